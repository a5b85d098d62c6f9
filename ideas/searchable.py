"""What the site's search knows of campaigns: the campaign pages, their public ideas
and the comments on those ideas (posts in the ideas' hosted threads)."""

from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from forums.models import Post
from moderation.models import Visibility
from search.index import Document, page_document
from search.registry import register_kind

from .discussion import IDEA_HOST
from .models import CampaignPage, Idea, IdeaState

# Ideas that anyone may find: published by moderation and not withdrawn.
FINDABLE_STATES = {s for s in IdeaState.values if s != IdeaState.WITHDRAWN}


def campaign_document(campaign: CampaignPage) -> Document | None:
    if not campaign.live:
        return None
    intro = " ".join(
        strip_tags(str(text))
        for text in campaign.intro.stream_block.get_searchable_content(campaign.intro)
    )
    return page_document(campaign, f"{campaign.question}\n{intro}")


def idea_document(idea: Idea) -> Document | None:
    if idea.visibility != Visibility.PUBLISHED or idea.state not in FINDABLE_STATES:
        return None
    return Document(
        title=idea.title,
        body=f"{idea.description}\n{idea.address}".strip(),
        url=idea.get_absolute_url(),
        place_id=idea.campaign_id,
        state=idea.state,
        state_label=str(idea.get_state_display()),
        author_name=str(idea.author) if idea.author_id else "",
        author_id=idea.author_id,
        created_at=idea.created_at,
    )


def _idea_of(post: Post) -> dict[str, Any] | None:
    if hasattr(post, "idea_title"):
        if post.idea_title is None:
            return None
        return {
            "id": post.thread.host_id,
            "title": post.idea_title,
            "campaign_id": post.idea_campaign_id,
            "visibility": post.idea_visibility,
            "state": post.idea_state,
        }
    return (
        Idea.objects.filter(pk=post.thread.host_id)
        .values("id", "title", "campaign_id", "visibility", "state")
        .first()
    )


def comment_document(post: Post) -> Document | None:
    thread = post.thread
    if (
        thread.host_kind != IDEA_HOST
        or post.visibility != Visibility.PUBLISHED
        or post.deleted_at is not None
    ):
        return None
    idea = _idea_of(post)
    if (
        idea is None
        or idea["visibility"] != Visibility.PUBLISHED
        or idea["state"] not in FINDABLE_STATES
    ):
        return None
    return Document(
        title=idea["title"],
        body=post.body,
        url=f"{Idea(pk=idea['id']).get_absolute_url()}#post-{post.pk}",
        place_id=idea["campaign_id"],
        author_name=str(post.author) if post.author_id else "",
        author_id=post.author_id,
        created_at=post.created_at,
    )


def _comments_queryset() -> Any:
    ideas = Idea.objects.filter(pk=OuterRef("thread__host_id"))
    return (
        Post.objects.filter(thread__host_kind=IDEA_HOST)
        .select_related("thread", "author")
        .annotate(
            idea_title=Subquery(ideas.values("title")[:1]),
            idea_campaign_id=Subquery(ideas.values("campaign_id")[:1]),
            idea_visibility=Subquery(ideas.values("visibility")[:1]),
            idea_state=Subquery(ideas.values("state")[:1]),
        )
    )


def _idea_comments(idea: Idea) -> list[tuple[str, list[int]]]:
    if not idea.thread_id:
        return []
    ids = list(
        Post.objects.filter(thread_id=idea.thread_id).values_list("pk", flat=True)
    )
    return [("comment", ids)]


def register() -> None:
    from moderation.signals import content_visibility_changed

    register_kind(
        "campaign",
        label=_("Campaigns"),
        model=CampaignPage,
        document=campaign_document,
        queryset=lambda: CampaignPage.objects.all(),
    )
    register_kind(
        "idea",
        label=_("Ideas"),
        model=Idea,
        document=idea_document,
        queryset=lambda: Idea.objects.select_related("author"),
        dependents=_idea_comments,
        states=dict(IdeaState.choices),
        reindex_on=content_visibility_changed,
    )
    register_kind(
        "comment",
        label=_("Comments on ideas"),
        model=Post,
        document=comment_document,
        queryset=_comments_queryset,
        reindex_on=content_visibility_changed,
    )
