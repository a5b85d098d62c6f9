"""HTML fragments for live events, rendered by the same includes the pages use.

Rendered for a neutral viewer (no per-viewer state); per-viewer controls carry
data-owner-only so the live client shows them to their owner only, and
data-residents-only so it hides them from visitors who are not signed in.
"""

from django.template.loader import render_to_string

from .models import Post, Thread


def post(post: Post, thread: Thread) -> str:
    return render_to_string(
        "forums/includes/post.html",
        {"post": post, "thread": thread, "reader": "live"},
    )


def thread_row(thread: Thread) -> str:
    return render_to_string(
        "forums/includes/thread_row.html", {"thread": thread, "live_fragment": True}
    )
