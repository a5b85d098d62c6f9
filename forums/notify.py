"""Who hears about what happens in a discussion: inbox lines, and e-mail as each resident chose.

Called only from forums.actions, inside their transaction. A new post's followers
are told by a background task queued in that transaction (forums.tasks.
notify_followers), so a reply's own work does not grow with its audience.
Immediate e-mails are queued as a task after the commit (forums.tasks); daily digests are sent by
`manage.py send_notification_digests` (or the send_notification_digests task).
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actions import do_notify
from accounts.models import Notification, User

from .hosts import host_for
from .models import Post, ThreadFollow
from .permissions import can_read_thread

# At most this many followers are told of one new post; beyond it (a very busy
# thread) people keep up through unread markers rather than a flood of lines.
MAX_FOLLOWERS_NOTIFIED = 500


def _deliver(notification: Notification | None, recipient: User) -> None:
    if notification is None:
        return
    if recipient.email_notifications == User.EmailNotifications.IMMEDIATE and (
        recipient.email
    ):
        from .tasks import email_notification

        pk = notification.pk
        transaction.on_commit(lambda: email_notification.enqueue(pk))


def _send(
    recipient: User,
    kind: str,
    text: Callable[[], str],
    url: str,
    actor: User | None,
    post: Post,
) -> None:
    if actor is not None and recipient.pk == actor.pk:
        return
    if not recipient.is_active or not can_read_thread(recipient, post.thread):
        return
    _deliver(do_notify(recipient, kind, text, url, actor), recipient)


def mentions(post: Post, mentioned: Iterable[Any]) -> None:
    actor = post.author
    for user in mentioned:
        _send(
            user,
            "forums.mention",
            lambda: (
                _("%(name)s mentioned you in “%(title)s”")
                % {"name": actor.display_name, "title": post.thread.title}
            ),
            post.get_absolute_url(),
            actor,
            post,
        )


def new_post(post: Post, mentioned: list[Any]) -> None:
    """A reply: mentions first, then the person answered, then followers and the host's people."""
    actor = post.author
    thread = post.thread
    told: set[int] = {actor.pk}
    mentions(post, [u for u in mentioned if u.pk not in told])
    told.update(u.pk for u in mentioned)
    url = post.get_absolute_url()
    values = {"name": actor.display_name, "title": thread.title}
    if post.reply_to_id and post.reply_to and post.reply_to.author_id not in told:
        answered = post.reply_to.author
        if answered is not None:
            _send(
                answered,
                "forums.reply",
                lambda: _("%(name)s replied to your post in “%(title)s”") % values,
                url,
                actor,
                post,
            )
            told.add(answered.pk)
    # Followers and the host's people may be hundreds: they are told by one
    # background task, queued in this transaction (the task row commits with the
    # post, or not at all), so a reply costs the same whatever its audience.
    from .tasks import notify_followers

    notify_followers.enqueue(post.pk, sorted(told))


def followers(post: Post, told: set[int]) -> int:
    """Tell the thread's followers and the host's people of a new post, except those
    in `told` (its author, the mentioned, the person answered). Returns how many."""
    thread = post.thread
    recipients = list(
        User.objects.filter(followed__thread=thread, is_active=True)
        .exclude(pk__in=told)
        .order_by("pk")[:MAX_FOLLOWERS_NOTIFIED]
    )
    if thread.is_hosted:
        extra = host_for(thread.host_kind).recipients(thread.host_id)
        recipients += [u for u in extra if u is not None and u.pk not in told]
    values = {"name": post.author.display_name, "title": thread.title}
    url = post.get_absolute_url()
    sent = 0
    for follower in recipients:
        if follower.pk in told:
            continue
        told.add(follower.pk)
        _send(
            follower,
            "forums.reply",
            lambda: _("%(name)s replied in “%(title)s”") % values,
            url,
            post.author,
            post,
        )
        sent += 1
    return sent


def liked(post: Post, liker: User) -> None:
    if post.author is None:
        return
    _send(
        post.author,
        "forums.like",
        lambda: (
            _("%(name)s liked your post in “%(title)s”")
            % {"name": liker.display_name, "title": post.thread.title}
        ),
        post.get_absolute_url(),
        liker,
        post,
    )


__all__ = ["ThreadFollow", "liked", "mentions", "new_post"]
