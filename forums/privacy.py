"""What forums holds about a person, for "download my data", and what goes with the account."""

from typing import Any

from .models import Post, PostLike, Thread, ThreadFollow


def export_personal_data(user: Any) -> dict[str, Any]:
    return {
        "threads": [
            {"id": t.pk, "title": t.title, "created_at": t.created_at.isoformat()}
            for t in Thread.objects.filter(author=user).order_by("id")
        ],
        "posts": [
            {
                "id": p.pk,
                "thread": p.thread_id,
                "text": p.body,
                "created_at": p.created_at.isoformat(),
                "deleted": p.deleted_at is not None,
            }
            for p in Post.objects.filter(author=user).order_by("id")
        ],
        "likes": list(
            PostLike.objects.filter(user=user).values_list("post_id", flat=True)
        ),
        "following": list(
            ThreadFollow.objects.filter(user=user).values_list("thread_id", flat=True)
        ),
    }


def erase_personal_data(user: Any) -> None:
    # Posts and threads stay (author becomes NULL: "former resident"); likes,
    # follows and read markers are personal and cascade with the account.
    return None
