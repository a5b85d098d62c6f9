"""Background work for notifications: one e-mail now, or the daily digest."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override
from django_tasks import task

from accounts.brand import current_brand
from accounts.mail import send_branded_mail
from accounts.models import Notification, User


def _absolute(url: str) -> str:
    if url.startswith("/"):
        return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url
    return url


@task()
def notify_followers(post_id: int, told: list[int]) -> int:
    """Tell a new post's followers and its host's people (forums.notify.followers)."""
    from .models import Post
    from .notify import followers

    post = (
        Post.objects.select_related("thread", "author")
        .filter(pk=post_id, deleted_at__isnull=True)
        .first()
    )
    if post is None or post.author is None:
        return 0
    return followers(post, set(told))


@task()
def email_notification(notification_id: int) -> bool:
    """Mail one notification to a resident who chose immediate e-mails."""
    notification = (
        Notification.objects.select_related("recipient")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    recipient = notification.recipient
    if recipient.email_notifications != User.EmailNotifications.IMMEDIATE:
        return False
    # Claim it first, so two workers never send the same mail.
    claimed = Notification.objects.filter(
        pk=notification.pk, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return False
    with override(recipient.preferred_language):
        body = render_to_string(
            "forums/email/notification.txt",
            {
                "notification": notification,
                "link": _absolute(notification.url),
                "recipient": recipient,
                "site_name": current_brand().name,
            },
        )
        send_branded_mail(notification.text, body, [recipient.email])
    return True


def send_digests() -> int:
    """One e-mail per daily-digest resident with their unread, un-mailed notifications."""
    sent = 0
    recipients = User.objects.filter(
        is_active=True,
        email_notifications=User.EmailNotifications.DAILY,
        notifications__emailed_at__isnull=True,
        notifications__read_at__isnull=True,
    ).distinct()
    for recipient in recipients.iterator():
        pending = list(
            recipient.notifications.filter(
                emailed_at__isnull=True, read_at__isnull=True
            ).order_by("created_at", "id")[:100]
        )
        if not pending:
            continue
        with override(recipient.preferred_language):
            body = render_to_string(
                "forums/email/digest.txt",
                {
                    "notifications": [(n, _absolute(n.url)) for n in pending],
                    "recipient": recipient,
                    "site_name": current_brand().name,
                    "inbox": _absolute("/me/notifications/"),
                },
            )
            subject = render_to_string(
                "forums/email/digest_subject.txt", {"count": len(pending)}
            ).strip()
            send_branded_mail(subject, body, [recipient.email])
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )
        sent += 1
    return sent


@task()
def send_notification_digests() -> int:
    return send_digests()
