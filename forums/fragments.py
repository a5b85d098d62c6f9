"""HTML fragments for live events, rendered by the same includes the pages use.

Rendered for a neutral viewer (no per-viewer state); per-viewer controls carry
data-owner-only so the live client shows them to their owner only. Their forms
carry no CSRF token: rendered without a request there is none, and live.js gives
each form the page's own token before it goes into the page.
"""

from django.template.loader import render_to_string

from .models import Post, Thread

# Django's own value for "no token here, on purpose": `{% csrf_token %}` renders
# nothing and does not warn that the context lacks a request.
NO_CSRF_TOKEN = "NOTPROVIDED"  # noqa: S105 (not a secret: a sentinel)


def post(post: Post, thread: Thread) -> str:
    return render_to_string(
        "forums/includes/post.html",
        {
            "post": post,
            "thread": thread,
            "live_fragment": True,
            "liked_ids": (),
            "csrf_token": NO_CSRF_TOKEN,
        },
    )


def thread_row(thread: Thread) -> str:
    return render_to_string(
        "forums/includes/thread_row.html", {"thread": thread, "live_fragment": True}
    )
