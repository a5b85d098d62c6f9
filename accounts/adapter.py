"""allauth, in the city's name: account mails say which city they come from (not the
server's host name) and get the same branded HTML as Agora's own mails."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.mail import EmailMessage, EmailMultiAlternatives

from .brand import current_brand
from .mail import brand_site, html_from_text


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        brand = current_brand()
        # allauth's templates write current_site.name / .domain: the city and its
        # public address (AGORA_BASE_URL), whatever host the request came in on.
        context = {**context, "current_site": brand_site(brand), "brand": brand}
        super().send_mail(template_prefix, email, context)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = super().render_mail(template_prefix, email, context, headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            message.attach_alternative(
                html_from_text(message.body, message.subject), "text/html"
            )
        return message
