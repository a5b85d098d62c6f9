"""What makes content moderatable: one visibility state shared by ideas, threads and posts.

Apps that own content subclass `ModeratableContent` and register the model in
`moderation.registry`; moderation never imports them.
"""

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Waiting for review")
    HIDDEN = "hidden", _("Hidden by a moderator")
    REMOVED = "removed", _("Removed")


class ModeratableContent(models.Model):
    """Abstract base for anything a resident writes.

    Subclasses have an `author` foreign key (nullable: a deleted account's content
    stays, shown as by a former resident). `visibility_reason` is shown to the
    author when their content is not published.
    """

    visibility = models.CharField(
        _("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLISHED,
        db_index=True,
    )
    visibility_reason = models.CharField(
        _("reason shown to the author"), max_length=500, blank=True
    )

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.visibility == Visibility.PUBLISHED

    def is_visible_to(self, user: Any) -> bool:
        """Published content is public; anything else only its author and moderators see."""
        if self.visibility == Visibility.PUBLISHED:
            return True
        if user is None or not user.is_authenticated:
            return False
        from accounts.roles import Role, has_role

        author_id = getattr(self, "author_id", None)
        return author_id == user.pk or has_role(user, Role.MODERATOR)


def visible_to_q(user: Any, author_field: str = "author") -> Q:
    """A filter for lists: published content, plus the viewer's own waiting content.

    Moderators see pending content in their queue, not mixed into public lists.
    """
    q = Q(visibility=Visibility.PUBLISHED)
    if user is not None and user.is_authenticated:
        q |= Q(**{f"{author_field}_id": user.pk}) & Q(
            visibility__in=[Visibility.PENDING, Visibility.HIDDEN]
        )
    return q
