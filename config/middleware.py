"""Site-wide middleware that is configuration rather than a feature of one app."""

import logging
import re
from collections.abc import Callable

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import FieldError
from django.http import Http404, HttpRequest, HttpResponseBase, QueryDict
from modelsearch.backends.base import FieldError as SearchFieldError

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with a wider policy for the Wagtail admin.

    The admin relies on inline scripts and styles; everything residents see gets
    the strict policy from CONTENT_SECURITY_POLICY.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            request.path_info.startswith(
                tuple(settings.CONTENT_SECURITY_POLICY_ADMIN_PREFIXES)
            )
            and getattr(response, "_csp_config", None) is None
        ):
            response._csp_config = settings.CONTENT_SECURITY_POLICY_ADMIN  # type: ignore[attr-defined]
        return super().process_response(request, response)


class CleanInputMiddleware:
    """One place that makes what a client sends safe to hand to any view.

    - NUL characters are removed from query parameters and form fields (names and
      values): PostgreSQL cannot store them in text and no resident types them.
    - An integer URL argument outside the 64-bit range names nothing: 404.
    - In the Wagtail admin, a `next` that is not a path on this site is dropped,
      so its views fall back to their own destination: they hand `next` to
      `redirect()`, which reads anything else as a view name (NoReverseMatch, 500).
    - A formset that claims more than 1000 forms (Django's own cap on a formset)
      is refused with 400: Wagtail's admin formsets would build each of them,
      and the request would run for minutes.
    (Invalid UTF-8 is already replaced by Django when it decodes the query;
    integers beyond 64 bits in parameters are handled by the database layer,
    see config/sqlite.py.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
            "QUERY_STRING", ""
        ):
            request.GET = _without_nul(request.GET)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            request.POST = _without_nul(request.POST)
            if _claims_too_many_forms(request.POST):
                from django.http import HttpResponseBadRequest

                return HttpResponseBadRequest(
                    "A form in this request claimed more than 1000 rows.",
                    content_type="text/plain; charset=utf-8",
                )
        if request.path_info.startswith(
            tuple(settings.CONTENT_SECURITY_POLICY_ADMIN_PREFIXES)
        ):
            request.GET = _without_foreign_next(request, request.GET)
            if request.method == "POST" and request.content_type in FORM_TYPES:
                request.POST = _without_foreign_next(request, request.POST)
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> None:
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                raise Http404
            if isinstance(value, str) and "\x00" in value:
                raise Http404

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        """In the Wagtail admin (third-party views we do not write), a value the
        view could not read (`ValueError`, `ValidationError`: "Field 'id' expected
        a number"; a form field it expected and did not get,
        `MultiValueDictKeyError`) is the client's bad input, not our failure: 400,
        with the traceback logged at WARNING for whoever upgrades Wagtail; a page
        number past a listing's end (`EmptyPage`) names nothing: 404. Our own
        views validate their input and are never excused here."""
        from django.core.exceptions import ValidationError
        from django.core.paginator import EmptyPage
        from django.http import HttpResponseBadRequest
        from django.utils.datastructures import MultiValueDictKeyError

        admin = tuple(settings.CONTENT_SECURITY_POLICY_ADMIN_PREFIXES)
        if not request.path_info.startswith(admin):
            return None
        if isinstance(exception, EmptyPage):
            raise Http404 from exception
        if not isinstance(
            exception, ValueError | ValidationError | MultiValueDictKeyError
        ) and not _known_wagtail_input_bug(request, exception):
            return None
        logger.warning(
            "admin view could not read its input: %s", request.path, exc_info=exception
        )
        return HttpResponseBadRequest(
            "The request contained a value this page could not read.",
            content_type="text/plain; charset=utf-8",
        )


# Wagtail 8.0's own admin views that fail on input they did not expect, each with
# the exception it raises then (tests/config/test_hostile_input.py sends it): the
# client gets 400 and the traceback is logged at WARNING, as above. Only these
# views and these exceptions: anything else is still a server error.
#   choose-external-link: reads a link form's "url" as None (AttributeError);
#   the root page's set_position, lock and unlock: it has no parent
#     (None.permissions_for_user, AttributeError);
#   redirects' import: a management form without its import_file_name (KeyError);
#   image and document listings and choosers, a search with a filter: modelsearch
#     cannot apply it (a Coalesce() it cannot read, AttributeError; "tags__name"
#     is no filter field, modelsearch's FilterFieldError).
KNOWN_WAGTAIL_INPUT_BUGS: tuple[
    tuple[re.Pattern[str], tuple[type[Exception], ...]], ...
] = (
    (re.compile(r"choose-external-link/$"), (AttributeError, TypeError)),
    (re.compile(r"pages/\d+/(?:set_position|lock|unlock)/$"), (AttributeError,)),
    (re.compile(r"redirects/import/process/$"), (KeyError,)),
    (
        re.compile(r"(?:images|documents)/(?:chooser/(?:results/)?)?$"),
        (AttributeError, FieldError, SearchFieldError),
    ),
)


def _known_wagtail_input_bug(request: HttpRequest, exception: Exception) -> bool:
    path = request.path_info
    for prefix in settings.CONTENT_SECURITY_POLICY_ADMIN_PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) :].lstrip("/")
            return any(
                pattern.match(rest) and isinstance(exception, types)
                for pattern, types in KNOWN_WAGTAIL_INPUT_BUGS
            )
    return False


MAX_FORMSET_FORMS = 1000  # django.forms.formsets.DEFAULT_MAX_NUM
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _without_nul(data: QueryDict) -> QueryDict:
    if not any("\x00" in k or any("\x00" in v for v in vs) for k, vs in data.lists()):
        return data
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        cleaned.setlist(
            key.replace("\x00", ""), [v.replace("\x00", "") for v in values]
        )
    cleaned._mutable = False
    return cleaned


def _without_foreign_next(request: HttpRequest, data: QueryDict) -> QueryDict:
    from django.utils.http import url_has_allowed_host_and_scheme

    values = data.getlist("next")
    if not values or all(
        v.startswith("/")
        and url_has_allowed_host_and_scheme(v, allowed_hosts={request.get_host()})
        for v in values
    ):
        return data
    cleaned = data.copy()
    del cleaned["next"]
    cleaned._mutable = False
    return cleaned


def _claims_too_many_forms(data: QueryDict) -> bool:
    for key, values in data.lists():
        if key.endswith("-TOTAL_FORMS"):
            for value in values:
                digits = value.strip().lstrip("+")
                if digits.isdigit() and (
                    len(digits) > 6 or int(digits) > MAX_FORMSET_FORMS
                ):
                    return True
    return False
