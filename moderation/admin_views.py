"""Moderators' pages in the Wagtail admin: the queue, one item, the dashboard, the audit CSV.

Registered in wagtail_hooks.py. Every view checks the Moderator role; every
change goes through moderation.actions.
"""

import csv
import statistics
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from live.models import Event

from . import actions
from .content import get_content
from .forms import DecisionForm, DuplicateForm, SanctionForm
from .models import Flag, FlagReason, ItemKind, ModerationDecision, QueueItem
from .registry import kind_for, overdue
from .screening import RULE_LABELS

ITEMS_PER_PAGE = 50
_live_js: bool | None = None


def live_client_available() -> bool:
    """The live app's client ships in another branch; load it only where it exists."""
    global _live_js
    if _live_js is None:
        _live_js = bool(finders.find("js/live.js"))
    return _live_js


def moderator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not actions.is_moderator(request.user):
            raise PermissionDenied(_("Only moderators can open the moderation queue."))
        return view(request, *args, **kwargs)

    return wrapped


def queue_filters(params: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """The filters asked for, and the ORM lookups they mean."""
    chosen = {
        name: params.get(name, "")
        for name in ("scope", "kind", "rule", "reason")
        if params.get(name)
    }
    lookups: dict[str, Any] = {}
    if "scope" in chosen:
        lookups["scope_key"] = chosen["scope"]
    if chosen.get("kind") in ItemKind.values:
        lookups["kind"] = chosen["kind"]
    if "rule" in chosen:
        lookups["rule"] = chosen["rule"]
    if chosen.get("reason") in FlagReason.values:
        lookups["flag_reasons__has_key"] = chosen["reason"]
    return chosen, lookups


@moderator_required
def queue(request: HttpRequest) -> HttpResponse:
    chosen, lookups = queue_filters(
        request.GET if request.method == "GET" else request.POST
    )
    query_string = "&".join(f"{k}={v}" for k, v in chosen.items())
    if request.method == "POST":
        form = DecisionForm(request.POST)
        ids = [int(i) for i in request.POST.getlist("items") if i.isdigit()]
        if not ids:
            messages.error(request, _("Tick the items to decide on first."))
        elif form.is_valid():
            try:
                result = actions.do_bulk_decide(
                    request.user,
                    ids,
                    form.cleaned_data["decision"],
                    form.cleaned_data["reason"],
                    form.cleaned_data["reason_code"],
                )
            except actions.ModerationError as refusal:
                messages.error(request, str(refusal))
            else:
                if result.decided:
                    messages.success(
                        request,
                        ngettext(
                            "%(n)d item decided.",
                            "%(n)d items decided.",
                            len(result.decided),
                        )
                        % {"n": len(result.decided)},
                    )
                for _item_id, why in result.refused[:10]:
                    messages.warning(request, why)
        else:
            messages.error(request, _("Choose a decision."))
        url = reverse("moderation_admin:queue")
        return redirect(f"{url}?{query_string}" if query_string else url)

    open_items = QueueItem.objects.filter(decided_at__isnull=True)
    items = (
        open_items.filter(**lookups)
        .select_related("author")
        .order_by("waiting_since", "id")
    )
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    scopes = list(
        open_items.exclude(scope_key="")
        .values_list("scope_key", "scope_label")
        .distinct()
        .order_by("scope_label")
    )
    rules = list(
        open_items.exclude(rule="")
        .values_list("rule", flat=True)
        .distinct()
        .order_by("rule")
    )
    context = {
        "page": page,
        "items": page.object_list,
        "chosen": chosen,
        "query_string": query_string,
        "scopes": scopes,
        "rules": [(r, RULE_LABELS.get(r, r)) for r in rules],
        "kinds": ItemKind.choices,
        "reasons": FlagReason.choices,
        "form": DecisionForm(),
        "waiting": page.paginator.count if not lookups else open_items.count(),
        "live_since": Event.objects.order_by("-id").values_list("id", flat=True).first()
        or 0,
        "live_js": live_client_available(),
    }
    return render(request, "moderation/admin/queue.html", context)


@moderator_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(QueueItem.objects.select_related("author"), pk=pk)
    obj = get_content(item.content_type_id, item.object_id)
    kind = kind_for(obj)
    assert kind is not None  # noqa: S101
    forms = {
        "decide": DecisionForm(
            request.POST if request.POST.get("op") == "decide" else None
        ),
        "sanction": SanctionForm(
            request.POST if request.POST.get("op") == "sanction" else None
        ),
        "duplicate": DuplicateForm(
            request.POST if request.POST.get("op") == "duplicate" else None
        ),
    }
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            done = _item_post(request, op, obj, item, forms)
        except actions.ModerationError as refusal:
            messages.error(request, str(refusal))
            done = False
        if done:
            return redirect("moderation_admin:queue")
    flags = Flag.objects.filter(
        content_type_id=item.content_type_id, object_id=item.object_id
    ).select_related("user")
    context = {
        "item": item,
        "object": obj,
        "kind": kind,
        "forms": forms,
        "flags": flags,
        "appeal": actions.appeal_for(obj),
        "content_actions": [(n, label) for n, (label, _fn) in kind.actions.items()],
        "can_duplicate": kind.supporters is not None,
    }
    return render(request, "moderation/admin/item.html", context)


def _item_post(
    request: HttpRequest, op: str, obj: Any, item: QueueItem, forms: dict
) -> bool:
    user = request.user
    if op == "decide" and forms["decide"].is_valid():
        data = forms["decide"].cleaned_data
        actions.do_decide(
            user, obj, data["decision"], data["reason"], data["reason_code"]
        )
        messages.success(
            request,
            _("Decided: %(d)s.") % {"d": actions.DECISION_LABELS[data["decision"]]},
        )
        return True
    if op == "sanction" and forms["sanction"].is_valid() and item.author is not None:
        data = forms["sanction"].cleaned_data
        actions.do_sanction(
            user, item.author, data["kind"], data["reason"], data["days"]
        )
        messages.success(request, _("The resident was told."))
        return False
    if op == "duplicate" and forms["duplicate"].is_valid():
        other = (
            type(obj)
            ._default_manager.filter(pk=forms["duplicate"].cleaned_data["other_id"])
            .first()
        )
        if other is None:
            raise actions.ModerationError(_("There is no idea with that number."))
        actions.do_mark_duplicate(
            user, obj, other, forms["duplicate"].cleaned_data["reason"]
        )
        messages.success(request, _("Marked as a duplicate; its supporters were told."))
        return True
    if op.startswith("action:"):
        actions.do_content_action(
            user, obj, op.split(":", 1)[1], request.POST.get("reason", "")
        )
        messages.success(request, _("Done."))
        return False
    if op:
        messages.error(request, _("Check the form: something is missing."))
    return False


@moderator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "moderation/admin/dashboard.html", service_clock())


def service_clock(now: Any = None) -> dict[str, Any]:
    """Items waiting, the oldest wait, median time to decision (30 days), overdue work."""
    now = now or timezone.now()
    open_items = QueueItem.objects.filter(decided_at__isnull=True)
    summary = open_items.aggregate(waiting=Count("id"), oldest=Min("waiting_since"))
    by_kind = dict(open_items.values_list("kind").annotate(n=Count("id")).order_by())
    durations = [
        (decided - since).total_seconds()  # type: ignore[operator]
        for decided, since in QueueItem.objects.filter(
            decided_at__gte=now - timedelta(days=30)
        ).values_list("decided_at", "waiting_since")
    ]
    median = timedelta(seconds=statistics.median(durations)) if durations else None
    late = []
    for name, fn in overdue().items():
        for entry in fn():
            late.append({**entry, "source": name})
    return {
        "waiting": summary["waiting"],
        "oldest": summary["oldest"],
        "by_kind": [(ItemKind(k).label, n) for k, n in by_kind.items()],
        "median_to_decision": median,
        "decided_30_days": len(durations),
        "overdue": late,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


@moderator_required
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The whole audit log as CSV, streamed, for the city's records."""
    cts = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}

    def rows() -> Iterator[list[Any]]:
        yield [
            "id",
            "created_at",
            "moderator",
            "decision",
            "content_type",
            "object_id",
            "content",
            "subject_account_id",
            "reason_code",
            "reason",
            "before",
            "after",
        ]
        for d in ModerationDecision.objects.order_by("created_at", "id").iterator(2000):
            yield [
                d.pk,
                d.created_at.isoformat(),
                d.moderator_name,
                d.action,
                cts.get(d.content_type_id or 0, ""),
                d.object_id or "",
                d.content_label,
                d.subject_id or "",
                d.reason_code,
                d.reason,
                d.before,
                d.after,
            ]

    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="moderation-log-{stamp}.csv"'
    )
    return response
