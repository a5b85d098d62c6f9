"""Background work for idea campaigns (django-tasks): index rebuilds, telling an
answer's or an update's audience, and e-mail."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import timezone
from django_tasks import task


@task()
def rebuild_similarity_index(campaign_id: int) -> int:
    """Rebuild the campaign's similar-ideas index in the worker's memory (and ours,
    with the immediate backend); returns how many ideas it holds."""
    from .similar import refresh

    return len(refresh(campaign_id))


@task()
def notify_status(response_id: int) -> int:
    """Tell an answered idea's author, supporters and followers (actions.notify_status_now)."""
    from .actions import notify_status_now

    return notify_status_now(response_id)


@task()
def notify_progress(update_id: int) -> int:
    """Tell a tracked idea's or project's followers of an update (actions.notify_progress_now)."""
    from .actions import notify_progress_now

    return notify_progress_now(update_id)


@task()
def email_notifications(notification_ids: list[int]) -> int:
    """E-mail the notifications whose recipients asked for immediate e-mail."""
    from accounts.models import Notification, User

    notes = list(
        Notification.objects.filter(
            pk__in=notification_ids,
            emailed_at__isnull=True,
            recipient__email_notifications=User.EmailNotifications.IMMEDIATE,
            recipient__is_active=True,
        ).select_related("recipient")
    )
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    messages = [
        (
            note.text[:120],
            f"{note.text}\n\n{base}{note.url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [note.recipient.email],
        )
        for note in notes
    ]
    if messages:
        send_mass_mail(messages, fail_silently=False)
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
            emailed_at=timezone.now()
        )
    return len(messages)
