"""Background work for moderation: the moderators' daily digest e-mail."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.utils.translation import override
from django_tasks import task

from accounts.mail import send_branded_mass_mail
from accounts.roles import Role


@task()
def send_moderation_digest() -> int:
    """E-mail every moderator the service clocks; returns how many mails were sent."""
    from .admin_views import service_clock

    group = Group.objects.filter(name=Role.MODERATOR.value).first()
    if group is None:
        return 0
    clock = service_clock()
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    mails = []
    for moderator in group.user_set.filter(is_active=True):
        with override(moderator.preferred_language):
            context = {**clock, "moderator": moderator, "base_url": base}
            subject = render_to_string(
                "moderation/email/digest_subject.txt", context
            ).strip()
            body = render_to_string("moderation/email/digest.txt", context)
        mails.append((subject, body, [moderator.email]))
    return send_branded_mass_mail(mails) if mails else 0
