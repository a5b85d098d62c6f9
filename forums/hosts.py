"""Thread hosts: how another app (ideas) gives its objects a discussion without forums importing it.

A thread lives either in a ForumPage or in a *host*: an object of another app,
named by a kind ("idea") and an id. The host app registers the kind once, in
its AppConfig.ready(), and then creates one thread per object:

    from forums.hosts import register_thread_host
    from forums.actions import do_create_hosted_thread

    register_thread_host(
        "idea",
        can_read=lambda user, host_id: ...,     # bool: may this user read it?
        can_post=lambda user, host_id: None,    # None, or a message saying why not
        url=lambda host_id: f"/ideas/{host_id}/",  # page that shows the thread
        premoderated=lambda host_id: False,     # do new posts wait for review?
        recipients=lambda host_id: [idea.author],  # also told of every new post
        label=_("idea"),
    )
    thread = do_create_hosted_thread("idea", idea.pk, title=idea.title)

The host page shows the discussion by adding `discussion_context(request, thread)`
to its context and including "forums/includes/discussion.html" (see that
template for the variables). Replies, likes, edits and deletions are posted to
forums' own URLs, which check permission through the host and redirect back to
`url(host_id)#post-N`. Live topic `thread.<id>` asks the host's `can_read`.

Forum threads and hosted threads share every rule of forums.actions (limits,
rate limits, duplicates, edit window, locking); the host adds its own rules
(e.g. the campaign's phase) through `can_post`.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ThreadHost:
    """What forums needs to know about a kind of host."""

    kind: str
    can_read: Callable[[Any, int], bool]
    can_post: Callable[[Any, int], str | None]
    url: Callable[[int], str]
    premoderated: Callable[[int], bool]
    recipients: Callable[[int], Iterable[Any]]
    label: str


_hosts: dict[str, ThreadHost] = {}


def register_thread_host(
    kind: str,
    *,
    can_read: Callable[[Any, int], bool],
    can_post: Callable[[Any, int], str | None],
    url: Callable[[int], str],
    premoderated: Callable[[int], bool] = lambda host_id: False,
    recipients: Callable[[int], Iterable[Any]] = lambda host_id: (),
    label: str = "",
) -> None:
    """Register (or replace) a kind of host. Call from the host app's ready()."""
    if not kind or len(kind) > 40 or not kind.replace("_", "").isalnum():
        raise ValueError(f"a host kind is a short word, not {kind!r}")
    _hosts[kind] = ThreadHost(
        kind=kind,
        can_read=can_read,
        can_post=can_post,
        url=url,
        premoderated=premoderated,
        recipients=recipients,
        label=str(label or kind),
    )


def host_for(kind: str) -> ThreadHost:
    try:
        return _hosts[kind]
    except KeyError:
        raise LookupError(
            f"no thread host {kind!r} is registered (forums.hosts.register_thread_host)"
        ) from None


def is_registered(kind: str) -> bool:
    return kind in _hosts


# Re-exported so host apps need only this module.
def discussion_context(request: Any, thread: Any, **kwargs: Any) -> dict[str, Any]:
    """The template variables "forums/includes/discussion.html" needs, for this request.

    Returns {"thread", "posts" (a Page of Post), "reply_form" (or None),
    "post_refusal" (why the viewer may not post, or ""), "liked_ids",
    "first_unread_id", "query_string"}: one fixed set of queries whatever the
    thread's length. `page_param` (default "page") names the GET parameter.
    """
    from .views import discussion_context as build

    return build(request, thread, **kwargs)


def post_articles(
    posts: Any, *, user: Any, thread: Any, liked_ids: Collection[int] = ()
) -> None:
    """Fill each post's shared `article_html` (forums.views.post_articles) before a
    host page renders "forums/includes/post.html" for posts it fetched itself."""
    from .views import post_articles as fill

    fill(posts, user=user, thread=thread, liked_ids=liked_ids)


NO_HOST_MESSAGE = _("This discussion is not available.")
