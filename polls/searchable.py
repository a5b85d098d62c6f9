"""What the site's search knows of polls: each live poll page with its questions."""

from django.utils.translation import gettext_lazy as _

from search.index import Document
from search.registry import register_kind

from .models import PollPage


def poll_document(poll: PollPage) -> Document | None:
    if not poll.live:
        return None
    questions = "\n".join(q.text for q in poll.questions.all())
    return Document(
        title=poll.title,
        body=f"{poll.intro}\n{questions}".strip(),
        url=poll.url or "",
        place_id=poll.pk,
        created_at=poll.first_published_at,
    )


def register() -> None:
    register_kind(
        "poll",
        label=_("Polls"),
        model=PollPage,
        document=poll_document,
        queryset=lambda: PollPage.objects.prefetch_related("questions"),
    )
