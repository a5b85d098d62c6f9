"""Forum pages (editorial, in the page tree) and the discussion they hold (plain models).

A Thread belongs either to a ForumPage or to a host registered in `forums.hosts`
(an idea's comments). Posts are the thread's messages; counts are kept on the
rows (likes, posts) and updated with F() in the same transaction as the unique
rows they count.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from moderation.models import ModeratableContent, Visibility, visible_to_q

TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 10_000

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "h2", "h3"]


class ForumIndexPage(Page):
    """The list of forums ("Forums" in the site's navigation). Children: ForumPages."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    subpage_types = ["forums.ForumPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("forum index")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .queries import forum_summaries

        context = super().get_context(request, *args, **kwargs)
        context["forums"] = forum_summaries(
            self.get_children().live().public(), request.user
        )
        return context


class ForumPage(Page):
    """One forum: a topic where residents start threads. Edited by city staff.

    The threads themselves are plain models (Thread, Post) listed by `serve`.
    """

    class Starters(models.TextChoices):
        RESIDENTS = "residents", _("Any resident")
        STAFF = "staff", _("City staff only")

    topic = models.CharField(
        _("topic"),
        max_length=200,
        blank=True,
        help_text=_("One line that says what this forum is about."),
    )
    description = RichTextField(
        _("description"), blank=True, features=RICH_TEXT_FEATURES
    )
    rules = RichTextField(
        _("rules"),
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text=_("Shown to residents before they post."),
    )
    who_may_start_threads = models.CharField(
        _("who may start threads"),
        max_length=10,
        choices=Starters.choices,
        default=Starters.RESIDENTS,
    )
    premoderated = models.BooleanField(
        _("pre-moderate new posts"),
        default=False,
        help_text=_(
            "New threads and posts wait for a moderator before anyone else sees them."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("topic"),
        FieldPanel("description"),
        FieldPanel("rules"),
        FieldPanel("who_may_start_threads"),
        FieldPanel("premoderated"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("topic"),
        index.SearchField("description"),
    ]

    parent_page_types = ["forums.ForumIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("forum")

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The page most residents share (accounts.sharedpages).
        from accounts import sharedpages

        return sharedpages.serve(
            request, lambda: super(ForumPage, self).serve(request, *args, **kwargs)
        )

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .views import forum_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(forum_page_context(request, self))
        return context


class ThreadQuerySet(SearchableQuerySetMixin, models.QuerySet["Thread"]):
    def visible_to(self, user: Any) -> "ThreadQuerySet":
        return self.filter(visible_to_q(user))

    def in_forums(self) -> "ThreadQuerySet":
        return self.filter(forum__isnull=False)


class Thread(index.Indexed, ModeratableContent):
    """A conversation: in a forum (`forum`) or hosted by another app (`host_kind`, `host_id`).

    Exactly one of the two is set (a database constraint says so). Registered
    with moderation in ForumsConfig.ready().
    """

    forum = models.ForeignKey(
        ForumPage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="threads",
        verbose_name=_("forum"),
    )
    host_kind = models.CharField(_("host kind"), max_length=40, blank=True)
    host_id = models.PositiveBigIntegerField(_("host id"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forum_threads",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_activity_at = models.DateTimeField(_("last activity"), auto_now_add=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    lock_reason = models.CharField(_("why it is locked"), max_length=300, blank=True)
    # Published posts (the opening post included; tombstones still count, as they
    # still take a place in the thread) and the sum of their likes.
    post_count = models.PositiveIntegerField(_("posts"), default=0)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    last_post_id = models.BigIntegerField(_("last post id"), default=0)

    objects = ThreadQuerySet.as_manager()

    search_fields = [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.FilterField("forum_id"),
        index.FilterField("visibility"),
        index.FilterField("host_kind"),
    ]

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        constraints = [
            models.CheckConstraint(
                condition=(Q(forum__isnull=False) & Q(host_kind=""))
                | (Q(forum__isnull=True) & ~Q(host_kind="") & Q(host_id__isnull=False)),
                name="forums_thread_in_forum_xor_hosted",
            ),
            models.UniqueConstraint(
                fields=["host_kind", "host_id"],
                condition=~Q(host_kind=""),
                name="forums_thread_one_per_host",
            ),
        ]
        indexes = [
            # The three orderings of a forum page: latest activity (pinned first),
            # top (likes), unanswered (no replies yet, newest first).
            models.Index(
                fields=["forum", "-pinned", "-last_activity_at", "-id"],
                name="forums_thread_latest_idx",
            ),
            models.Index(
                fields=["forum", "-like_count", "-id"], name="forums_thread_top_idx"
            ),
            models.Index(
                fields=["forum", "post_count", "-created_at", "-id"],
                name="forums_thread_unanswered_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_hosted(self) -> bool:
        return bool(self.host_kind)

    @property
    def reply_count(self) -> int:
        # A forum thread's first post opens it; a hosted thread has only replies.
        return max(self.post_count - (0 if self.is_hosted else 1), 0)

    def get_absolute_url(self) -> str:
        if self.is_hosted:
            from .hosts import host_for

            return host_for(self.host_kind).url(self.host_id)
        return reverse("forums:thread", args=[self.pk])

    def topic(self) -> str:
        return f"thread.{self.pk}"


class PostQuerySet(SearchableQuerySetMixin, models.QuerySet["Post"]):
    def visible_to(self, user: Any) -> "PostQuerySet":
        return self.filter(visible_to_q(user))


class Post(index.Indexed, ModeratableContent):
    """One message in a thread; may answer another post (shown as "in reply to").

    `body` is the Markdown the author wrote (kept for editing); `body_html` is
    rendered and sanitised once, when written, so reading costs nothing.
    """

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="posts", verbose_name=_("thread")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forum_posts",
        verbose_name=_("author"),
    )
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(_("text as HTML"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    like_count = models.PositiveIntegerField(_("likes"), default=0)

    objects = PostQuerySet.as_manager()

    search_fields = [
        index.SearchField("body"),
        index.FilterField("thread_id"),
        index.FilterField("visibility"),
        index.FilterField("deleted_at"),
    ]

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["id"]
        indexes = [
            # A thread's pages are ordered by id; the author index serves the
            # "same text twice within minutes" check and the personal-data export.
            models.Index(fields=["thread", "id"], name="forums_post_thread_idx"),
            models.Index(
                fields=["author", "-created_at"], name="forums_post_author_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread.title} #{self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_pending(self) -> bool:
        return self.visibility == Visibility.PENDING

    def get_absolute_url(self) -> str:
        return reverse("forums:post", args=[self.pk])

    def dom_id(self) -> str:
        return f"post-{self.pk}"


class PostRevision(models.Model):
    """What a post said before an edit: the edit history its author and staff can see."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(_("text"))
    edited_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        ordering = ["-edited_at", "-id"]
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")

    def __str__(self) -> str:
        return f"post {self.post_id} before {self.edited_at:%Y-%m-%d %H:%M}"


class PostLike(models.Model):
    """One resident likes one post. The UNIQUE pair is what Post.like_count counts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_likes"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "post"], name="forums_one_like_per_user"
            )
        ]
        verbose_name = _("like")
        verbose_name_plural = _("likes")

    def __str__(self) -> str:
        return f"{self.user_id} likes post {self.post_id}"


class ThreadFollow(models.Model):
    """The resident hears about new replies in this thread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="forums_one_follow_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows thread {self.thread_id}"


class ReadState(models.Model):
    """Where a resident stopped reading a thread: the last post id they were shown."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="read_states"
    )
    last_read_post_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="forums_one_read_state"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.user_id} read thread {self.thread_id} to {self.last_read_post_id}"
        )
