"""What makes content moderatable: one visibility state shared by ideas, threads and posts.

Apps that own content subclass `ModeratableContent` and register the model in
`moderation.registry`; moderation never imports them.
"""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
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


# ---------------------------------------------------------------------------
# Flags, the queue, appeals, sanctions and the audit log
# ---------------------------------------------------------------------------


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    ABUSE = "abuse", _("Abusive or hateful")
    OFF_TOPIC = "off_topic", _("Off-topic")
    PERSONAL_DATA = "personal_data", _("Shares personal data")
    OTHER = "other", _("Something else")


class Flag(models.Model):
    """One resident flags one piece of content, once (UNIQUE user x content)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content = GenericForeignKey("content_type", "object_id")
    reason = models.CharField(_("reason"), max_length=20, choices=FlagReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("flagged"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"],
                name="moderation_flag_once",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")

    def __str__(self) -> str:
        return f"{self.user_id} flags {self.content_type_id}:{self.object_id}"


class ItemKind(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    FLAGGED = "flagged", _("Flagged by residents")
    APPEAL = "appeal", _("Appeal")


class QueueItem(models.Model):
    """One thing waiting for a moderator: pending content, flagged content, an appeal.

    What the queue shows (label, excerpt, link, context) is copied here when the
    item is made, so the queue page costs the same few queries for 10 or 10,000
    items whatever kinds of content they are. At most one open item per content.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content = GenericForeignKey("content_type", "object_id")
    # Content decided together with this one (a new thread's opening post).
    companions = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    label = models.CharField(max_length=60)
    excerpt = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=500, blank=True)
    scope_key = models.CharField(_("forum or campaign"), max_length=60, blank=True)
    scope_label = models.CharField(max_length=200, blank=True)
    rule = models.CharField(_("rule"), max_length=30, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    flag_count = models.PositiveIntegerField(_("flags"), default=0)
    flag_reasons = models.JSONField(default=dict, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(decided_at__isnull=True),
                name="moderation_one_open_item",
            )
        ]
        indexes = [
            # The queue: open items, oldest first.
            models.Index(
                fields=["decided_at", "waiting_since", "id"],
                name="moderation_queue_idx",
            ),
        ]
        verbose_name = _("queue item")
        verbose_name_plural = _("queue items")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label} {self.object_id}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    def dom_id(self) -> str:
        return f"queue-item-{self.pk}"


class Appeal(models.Model):
    """An author asks for a hide to be looked at again; once per piece of content."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("why it should be shown again"), max_length=2000)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="moderation_appeal_once"
            )
        ]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"appeal on {self.content_type_id}:{self.object_id}"


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")
    BAN = "ban", _("Ban")


class Sanction(models.Model):
    """A measure on a resident's account; suspensions end by themselves at `until`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=SanctionKind.choices)
    reason = models.CharField(_("reason"), max_length=500)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "kind", "lifted_at"])]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class DecisionQuerySet(models.QuerySet["ModerationDecision"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The moderation audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The moderation audit log is append-only.")


class ModerationDecision(models.Model):
    """The audit log: one row per decision, never changed or deleted.

    Names are copied (moderator, subject) so the record stays readable after an
    account goes; `reason_code` is a fixed category the public log may count,
    `reason` the free text only moderators and the author see.
    """

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderator_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(_("decision"), max_length=20, db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    content_label = models.CharField(max_length=60, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason_code = models.CharField(max_length=30, blank=True)
    reason = models.CharField(_("why"), max_length=1000, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation decisions")

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator_name} at {self.created_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise TypeError("The moderation audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("The moderation audit log is append-only.")


class Submission(models.Model):
    """A trace of each screened submission: what the rate, repetition and probation
    rules count. Only a digest of the text is kept, never the text itself."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, blank=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["author", "-created_at"], name="moderation_submission_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class DuplicateMark(models.Model):
    """Content a moderator marked as a duplicate of another (an idea of an idea).

    The marked content's page points to the other; supports stay where they are.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    duplicate_of_id = models.PositiveBigIntegerField()
    duplicate_of_label = models.CharField(max_length=200)
    duplicate_of_url = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="moderation_duplicate_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_id} duplicates {self.duplicate_of_id}"
