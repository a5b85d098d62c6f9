"""Site-wide middleware that is configuration rather than a feature of one app."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


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
