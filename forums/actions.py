"""Every change of state in forums: check_* validates and enforces permission, do_* writes.

Each do_* runs in one transaction and emits its live events with
publish_on_commit; views, demo data, tests and host apps (ideas) all come here.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

import live
from accounts.limits import check_user, count_user
from moderation.sanctions import ParticipationRefused, check_can_participate
from moderation.screening import SubmissionRefused, screen_submission

from . import fragments, notify
from .hosts import host_for
from .markup import render_body
from .models import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ForumPage,
    Post,
    PostLike,
    PostRevision,
    ReadState,
    Thread,
    ThreadFollow,
)
from .permissions import (
    LOG_IN_TO_TAKE_PART,
    can_read_thread,
    forum_is_readable,
    is_forum_staff,
)

EDIT_WINDOW = timedelta(minutes=30)
DUPLICATE_WINDOW = timedelta(minutes=10)
# Accounts younger than this wait longer between posts (the "post_interval" and
# "post_interval_new_account" limits in accounts.limits; AGORA_NEW_ACCOUNT_HOURS).
NEW_ACCOUNT_HOURS = 24


class DiscussionRefused(Exception):
    """A refusal the resident can act on; the message is shown to them as it is."""


# ---------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------


def _require_resident(user: Any) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise DiscussionRefused(str(LOG_IN_TO_TAKE_PART))
    try:
        check_can_participate(user)
    except ParticipationRefused as refusal:
        raise DiscussionRefused(str(refusal)) from refusal


def _check_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise DiscussionRefused(_("Give your thread a title."))
    if len(title) > TITLE_MAX_LENGTH:
        raise DiscussionRefused(
            _("The title is %(n)d characters long; the limit is %(max)d.")
            % {"n": len(title), "max": TITLE_MAX_LENGTH}
        )
    return title


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DiscussionRefused(_("Write something before posting."))
    if len(body) > BODY_MAX_LENGTH:
        raise DiscussionRefused(
            _("Your text is %(n)d characters long; the limit is %(max)d.")
            % {"n": len(body), "max": BODY_MAX_LENGTH}
        )
    return body


def _post_scope(user: Any) -> str:
    """The named limit (accounts.limits) that spaces this resident's posts:
    accounts younger than AGORA_NEW_ACCOUNT_HOURS wait longer between posts."""
    hours = getattr(settings, "AGORA_NEW_ACCOUNT_HOURS", NEW_ACCOUNT_HOURS)
    legacy = getattr(settings, "AGORA_FORUM_RATE_LIMITS", {})
    hours = legacy.get("new_account_hours", hours)
    if timezone.now() - user.date_joined < timedelta(hours=hours):
        return "post_interval_new_account"
    return "post_interval"


def _legacy_interval_off(scope: str) -> bool:
    # AGORA_FORUM_RATE_LIMITS (superseded by AGORA_RATE_LIMITS) is still honoured
    # when it turns an interval off, as the demo loader and tests do.
    legacy = getattr(settings, "AGORA_FORUM_RATE_LIMITS", {})
    name = {
        "post_interval": "interval_seconds",
        "post_interval_new_account": "new_account_interval_seconds",
    }[scope]
    return name in legacy and not legacy[name]


def _check_rate(user: Any) -> None:
    """Refuse a post that comes sooner than the resident's interval allows: one
    named limit in accounts.limits, answered as a 429 that keeps the text."""
    scope = _post_scope(user)
    if not _legacy_interval_off(scope):
        check_user(user, scope)


def _record_post_time(user: Any) -> None:
    scope = _post_scope(user)
    if not _legacy_interval_off(scope):
        count_user(user, scope)


def _check_duplicate(user: Any, body: str) -> None:
    since = timezone.now() - DUPLICATE_WINDOW
    # The author index (author, -created_at) keeps this to the last minutes' posts.
    if Post.objects.filter(author=user, created_at__gte=since, body=body).exists():
        raise DiscussionRefused(
            _(
                "You posted this same text a few minutes ago. "
                "If you meant to add something, change the text first."
            )
        )


def _screen(
    user: Any, text: str, *, premoderated: bool, kind: str, record: bool = True
) -> Any:
    try:
        return screen_submission(
            user, text, premoderated=premoderated, kind=kind, record=record
        )
    except SubmissionRefused as refusal:
        raise DiscussionRefused(str(refusal)) from refusal


def _premoderated(thread: Thread) -> bool:
    if thread.is_hosted:
        # A hosted thread always has a host id (CHECK constraint); "or 0" is for mypy.
        return bool(host_for(thread.host_kind).premoderated(thread.host_id or 0))
    return bool(thread.forum and thread.forum.premoderated)


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------


def check_start_thread(user: Any, forum: ForumPage, title: str, body: str) -> None:
    _require_resident(user)
    if not forum_is_readable(forum, user):
        raise DiscussionRefused(_("This forum is not open."))
    if forum.who_may_start_threads == ForumPage.Starters.STAFF and not is_forum_staff(
        user
    ):
        raise DiscussionRefused(
            _("In this forum only city staff start threads; you can reply to theirs.")
        )
    _check_title(title)
    body = _check_body(body)
    _check_rate(user)
    _check_duplicate(user, body)


def do_start_thread(user: Any, forum: ForumPage, title: str, body: str) -> Thread:
    """Open a thread in a forum with its first post; the author follows it."""
    check_start_thread(user, forum, title, body)
    title, body = _check_title(title), _check_body(body)
    screening = _screen(
        user, f"{title}\n\n{body}", premoderated=forum.premoderated, kind="thread"
    )
    with transaction.atomic():
        thread = Thread.objects.create(
            forum=forum,
            author=user,
            title=title,
            visibility=screening.visibility,
            visibility_reason=screening.reason,
        )
        post = _create_post(user, thread, body, None, screening)
        ThreadFollow.objects.bulk_create(
            [ThreadFollow(user=user, thread=thread)], ignore_conflicts=True
        )
        _record_post_time(user)
        if thread.is_published:
            live.publish_on_commit(
                f"forum.{forum.pk}",
                "thread.created",
                {
                    "html": fragments.thread_row(thread),
                    "mode": "prepend",
                    "list": f"forum.{forum.pk}:threads",
                    "dom_id": f"thread-{thread.pk}",
                    "announce": _("New thread by %(name)s: %(title)s")
                    % {"name": user.display_name, "title": title},
                },
            )
            notify.mentions(post, post_mentions(post))
    return thread


def do_create_hosted_thread(host_kind: str, host_id: int, title: str) -> Thread:
    """The one thread of a host object (an idea's comments); made once, then returned.

    The host must be registered (forums.hosts.register_thread_host). The thread
    is published: each post in it is screened on its own.
    """
    host_for(host_kind)  # fails loudly for an unregistered kind
    title = " ".join((title or "").split())[:TITLE_MAX_LENGTH] or host_kind
    existing = Thread.objects.filter(host_kind=host_kind, host_id=host_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Thread.objects.create(
                host_kind=host_kind, host_id=host_id, title=title
            )
    except IntegrityError:
        # Two requests made the thread at once: the unique constraint kept one.
        return Thread.objects.get(host_kind=host_kind, host_id=host_id)


def check_moderate_thread(user: Any, thread: Thread) -> None:
    _require_resident(user)
    if not is_forum_staff(user):
        raise DiscussionRefused(
            _("Only moderators and city administrators can do this.")
        )


def do_pin_thread(user: Any, thread: Thread, pinned: bool) -> Thread:
    check_moderate_thread(user, thread)
    with transaction.atomic():
        Thread.objects.filter(pk=thread.pk).update(pinned=pinned)
        thread.pinned = pinned
        _publish_thread_row(thread)
    return thread


def do_lock_thread(user: Any, thread: Thread, locked: bool, reason: str = "") -> Thread:
    """Lock (no new posts, with a reason shown to residents) or unlock a thread."""
    check_moderate_thread(user, thread)
    reason = " ".join((reason or "").split())[:300]
    if locked and not reason:
        reason = _("A moderator closed this discussion.")
    with transaction.atomic():
        Thread.objects.filter(pk=thread.pk).update(
            locked=locked, lock_reason=reason if locked else ""
        )
        thread.locked, thread.lock_reason = locked, (reason if locked else "")
        _publish_thread_row(thread)
    return thread


def _publish_thread_row(thread: Thread) -> None:
    if thread.forum_id and thread.is_published:
        live.publish_on_commit(
            f"forum.{thread.forum_id}",
            "thread.updated",
            {
                "html": fragments.thread_row(thread),
                "mode": "replace",
                "dom_id": f"thread-{thread.pk}",
            },
        )


# ---------------------------------------------------------------------------
# Posts
# ---------------------------------------------------------------------------


def check_can_reply(user: Any, thread: Thread) -> None:
    """May `user` post in `thread` at all (before looking at the text)?"""
    _require_resident(user)
    if not can_read_thread(user, thread):
        raise DiscussionRefused(_("This discussion is not available."))
    if thread.locked:
        raise DiscussionRefused(
            _("This thread is locked, so it takes no new posts: %(reason)s")
            % {"reason": thread.lock_reason or _("a moderator closed it.")}
        )
    if not thread.is_published:
        raise DiscussionRefused(
            _("This thread is waiting for review; replies open once it is published.")
        )
    if thread.is_hosted:
        refusal = host_for(thread.host_kind).can_post(user, thread.host_id or 0)
        if refusal:
            raise DiscussionRefused(str(refusal))


def check_reply(
    user: Any, thread: Thread, body: str, reply_to: Post | None = None
) -> None:
    check_can_reply(user, thread)
    if reply_to is not None and (
        reply_to.thread_id != thread.pk
        or reply_to.is_deleted
        or not reply_to.is_visible_to(user)
    ):
        raise DiscussionRefused(_("The post you are answering is no longer there."))
    body = _check_body(body)
    _check_rate(user)
    _check_duplicate(user, body)


def do_reply(
    user: Any, thread: Thread, body: str, reply_to: Post | None = None
) -> Post:
    """Add a post to a thread; the author follows it; followers, the person answered
    and those mentioned are notified."""
    check_reply(user, thread, body, reply_to)
    body = _check_body(body)
    screening = _screen(user, body, premoderated=_premoderated(thread), kind="post")
    with transaction.atomic():
        post = _create_post(user, thread, body, reply_to, screening)
        ThreadFollow.objects.bulk_create(
            [ThreadFollow(user=user, thread=thread)], ignore_conflicts=True
        )
        _record_post_time(user)
        if post.is_published:
            thread.refresh_from_db(fields=["post_count", "like_count", "last_post_id"])
            live.publish_on_commit(
                thread.topic(),
                "post.created",
                {
                    "html": fragments.post(post, thread),
                    "mode": "append",
                    "list": f"{thread.topic()}:posts",
                    "dom_id": post.dom_id(),
                    "counts": {
                        "posts": thread.post_count,
                        "replies": thread.reply_count,
                    },
                    "announce": _("New reply by %(name)s")
                    % {"name": user.display_name},
                },
            )
            if thread.forum_id:
                _publish_thread_row(thread)
            notify.new_post(post, post_mentions(post))
    return post


def _create_post(
    user: Any, thread: Thread, body: str, reply_to: Post | None, screening: Any
) -> Post:
    rendered = render_body(body)
    post = Post.objects.create(
        thread=thread,
        author=user,
        reply_to=reply_to,
        body=body,
        body_html=rendered.html,
        visibility=screening.visibility,
        visibility_reason=screening.reason,
    )
    post._mentioned = rendered.mentioned
    if post.is_published:
        Thread.objects.filter(pk=thread.pk).update(
            post_count=F("post_count") + 1,
            last_activity_at=post.created_at,
            last_post_id=post.pk,
        )
    return post


def post_mentions(post: Post) -> list[Any]:
    return list(getattr(post, "_mentioned", None) or [])


def check_edit_post(user: Any, post: Post, body: str) -> None:
    _require_resident(user)
    if post.author_id != user.pk:
        raise DiscussionRefused(_("You can only edit your own posts."))
    if post.is_deleted:
        raise DiscussionRefused(_("This post was deleted."))
    if timezone.now() - post.created_at > EDIT_WINDOW:
        raise DiscussionRefused(
            _(
                "Posts can be edited for %(minutes)d minutes after posting; this one "
                "no longer can. You can reply to add to it."
            )
            % {"minutes": EDIT_WINDOW.total_seconds() // 60}
        )
    if post.thread.locked:
        raise DiscussionRefused(_("This thread is locked, so its posts cannot change."))
    _check_body(body)


def do_edit_post(user: Any, post: Post, body: str) -> Post:
    """Change a post within the edit window; the earlier text goes to its history."""
    check_edit_post(user, post, body)
    body = _check_body(body)
    if body == post.body:
        return post
    # Edits are screened again (a blocklisted word added later must not slip in),
    # but an edit never makes a published post wait for review.
    _screen(user, body, premoderated=False, kind="post", record=False)
    before = {u.pk for u in render_body(post.body).mentioned}
    rendered = render_body(body)
    with transaction.atomic():
        PostRevision.objects.create(post=post, body=post.body)
        post.body, post.body_html = body, rendered.html
        post.edited_at = timezone.now()
        post.save(update_fields=["body", "body_html", "edited_at"])
        if post.is_published:
            live.publish_on_commit(
                post.thread.topic(),
                "post.edited",
                {
                    "html": fragments.post(post, post.thread),
                    "mode": "replace",
                    "dom_id": post.dom_id(),
                },
            )
            notify.mentions(post, [u for u in rendered.mentioned if u.pk not in before])
    return post


def check_delete_post(user: Any, post: Post) -> None:
    _require_resident(user)
    if post.author_id != user.pk:
        raise DiscussionRefused(_("You can only delete your own posts."))
    if post.is_deleted:
        raise DiscussionRefused(_("This post was already deleted."))


def do_delete_post(user: Any, post: Post) -> Post:
    """The author withdraws a post: its text and history go; a tombstone keeps its place."""
    check_delete_post(user, post)
    with transaction.atomic():
        post.revisions.all().delete()
        post.body, post.body_html = "", ""
        post.deleted_at = timezone.now()
        post.save(update_fields=["body", "body_html", "deleted_at"])
        if post.is_published:
            live.publish_on_commit(
                post.thread.topic(),
                "post.deleted",
                {
                    "html": fragments.post(post, post.thread),
                    "mode": "replace",
                    "dom_id": post.dom_id(),
                },
            )
    return post


# ---------------------------------------------------------------------------
# Likes
# ---------------------------------------------------------------------------


def check_like_post(user: Any, post: Post) -> None:
    _require_resident(user)
    if post.author_id == user.pk:
        raise DiscussionRefused(_("You cannot like your own post."))
    if post.is_deleted or not post.is_published:
        raise DiscussionRefused(_("This post cannot be liked."))
    if not can_read_thread(user, post.thread):
        raise DiscussionRefused(_("This discussion is not available."))


def do_set_post_like(user: Any, post: Post, liked: bool) -> tuple[bool, int]:
    """Like or unlike (idempotent: a double click does not undo itself).

    The UNIQUE (user, post) row decides; the counts move with F() in the same
    transaction only when a row was really added or removed, so concurrent
    clicks never lose or double a like. Returns (liked, new count).
    """
    check_like_post(user, post)
    with transaction.atomic():
        if liked:
            try:
                with transaction.atomic():
                    PostLike.objects.create(user=user, post=post)
                changed = 1
            except IntegrityError:
                changed = 0
        else:
            deleted, _counts = PostLike.objects.filter(user=user, post=post).delete()
            changed = -1 if deleted else 0
        if changed:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + changed)
            Thread.objects.filter(pk=post.thread_id).update(
                like_count=F("like_count") + changed
            )
        count = Post.objects.values_list("like_count", flat=True).get(pk=post.pk)
        post.like_count = count
        if changed:
            live.publish_on_commit(
                post.thread.topic(),
                "post.liked",
                {"counts": {f"post-{post.pk}:likes": count}},
            )
        if changed == 1:
            notify.liked(post, user)
    return liked, count


# ---------------------------------------------------------------------------
# Following and reading
# ---------------------------------------------------------------------------


def check_follow_thread(user: Any, thread: Thread) -> None:
    _require_resident(user)
    if not can_read_thread(user, thread):
        raise DiscussionRefused(_("This discussion is not available."))


def do_follow_thread(user: Any, thread: Thread) -> None:
    check_follow_thread(user, thread)
    ThreadFollow.objects.bulk_create(
        [ThreadFollow(user=user, thread=thread)], ignore_conflicts=True
    )


def do_unfollow_thread(user: Any, thread: Thread) -> None:
    _require_resident(user)
    ThreadFollow.objects.filter(user=user, thread=thread).delete()


def do_mark_thread_read(
    user: Any, thread: Thread, post_id: int, *, known: ReadState | None = None
) -> None:
    """Move the resident's read marker forward to `post_id` (never back).

    `known` is the marker the caller has already read (or None if it looked and
    found none), which saves a query on every thread page.
    """
    if not user.is_authenticated or not post_id:
        return
    if known is not None and known.last_read_post_id >= post_id:
        return
    updated = 0
    if known is not None:
        updated = ReadState.objects.filter(
            user=user, thread=thread, last_read_post_id__lt=post_id
        ).update(last_read_post_id=post_id, updated_at=timezone.now())
    if not updated:
        ReadState.objects.bulk_create(
            [ReadState(user=user, thread=thread, last_read_post_id=post_id)],
            ignore_conflicts=True,
        )
