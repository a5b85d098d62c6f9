"""Idea campaigns: the city asks (Wagtail pages), residents propose, support and vote
(plain models), the city answers (official responses on a timeline)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from moderation.models import ModeratableContent

from .phases import PHASE_ACTIONS, Action, PhaseKind


class CampaignIndexPage(Page):
    """Lists the city's campaigns; CampaignPages live under it."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    subpage_types = ["ideas.CampaignPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("campaign index")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["campaigns"] = campaign_cards(
            CampaignPage.objects.live()
            .public()
            .child_of(self)
            .order_by("-first_published_at")[:60]
        )
        return context


def campaign_cards(campaigns: Any) -> list[CampaignPage]:
    """Campaigns ready for their cards (image, phase and dates) at a fixed number
    of queries however many there are: phases and image renditions prefetched."""
    result = list(
        campaigns.select_related("image").prefetch_related(
            "phases", "image__renditions"
        )
    )
    for campaign in result:
        campaign.__dict__["_phase_list"] = sorted(
            campaign.phases.all(), key=lambda p: (p.start, p.sort_order)
        )
    return result


class CampaignCategory(TaggedItemBase):
    """A category the campaign offers (a taggit tag); ideas pick among these."""

    content_object = ParentalKey(
        "ideas.CampaignPage", on_delete=models.CASCADE, related_name="category_items"
    )


class VotingMode(models.TextChoices):
    SUPPORT = "support", _("Support (one support per resident)")
    AGREE_DISAGREE = "agree_disagree", _("Agree / disagree / pass on every idea")


class CampaignKind(models.TextChoices):
    IDEAS = "ideas", _("Ideas: residents propose, support and discuss")
    REPORTS = "reports", _("Reports (311): every submission is answered on a clock")


class MapCentre(models.Model):
    """Where a page's map opens: the centre and zoom staff set, for pages whose
    things sit on a map (campaigns here, participatory budgets)."""

    map_lat = models.FloatField(
        _("map centre latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    map_lon = models.FloatField(
        _("map centre longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    map_zoom = models.PositiveSmallIntegerField(_("map zoom"), default=13)

    map_panels = [FieldPanel("map_lat"), FieldPanel("map_lon"), FieldPanel("map_zoom")]

    class Meta:
        abstract = True


class CampaignPage(Page, MapCentre):  # noqa: DJ008 (Page gives __str__: the title)
    """One question the city asks its residents, with its phases and rules.

    Edited by city staff in the page tree; what residents may do at any moment
    follows from the phase dates (see ideas.phases).
    """

    question = models.CharField(_("question asked"), max_length=255)
    intro = StreamField(
        [
            (
                "paragraph",
                blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"]),
            ),
            ("heading", blocks.CharBlock(form_classname="title")),
            ("image", ImageBlock()),
        ],
        blank=True,
        verbose_name=_("introduction"),
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("image"),
    )
    categories = ClusterTaggableManager(
        through=CampaignCategory,
        blank=True,
        verbose_name=_("categories offered"),
        help_text=_("Residents pick one or more of these for their ideas."),
    )
    location_asked = models.BooleanField(
        _("ask for a location"),
        default=False,
        help_text=_("Ideas may carry a point on a map."),
    )
    support_threshold = models.PositiveIntegerField(
        _("support threshold"),
        default=50,
        help_text=_(
            "Supports (or agree votes) at which an idea goes to official review."
        ),
    )
    answer_deadline_days = models.PositiveSmallIntegerField(
        _("answer deadline (days)"),
        default=8,
        help_text=_("Days the city has to answer an idea once it is under review."),
    )
    premoderated = models.BooleanField(
        _("pre-moderate new ideas"),
        default=False,
        help_text=_("A moderator reads every new idea before it appears."),
    )
    voting_mode = models.CharField(
        _("voting mode"),
        max_length=20,
        choices=VotingMode.choices,
        default=VotingMode.SUPPORT,
    )
    featured = models.BooleanField(_("feature on the home page"), default=True)
    kind = models.CharField(
        _("kind of campaign"),
        max_length=10,
        choices=CampaignKind.choices,
        default=CampaignKind.IDEAS,
    )
    answer_working_days = models.PositiveSmallIntegerField(
        _("answer deadline for reports (working days)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "Report campaigns: working days the city has to answer each report from "
            "the moment it is filed (weekends and the holidays of AGORA_HOLIDAYS "
            "do not count)."
        ),
    )
    attribution = models.TextField(
        _("data attribution"),
        blank=True,
        help_text=_("Shown on the page when the ideas come from an outside source."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("question"),
        FieldPanel("intro"),
        FieldPanel("image"),
        InlinePanel("phases", label=_("Phases"), min_num=1),
        MultiFieldPanel(
            [
                FieldPanel("kind"),
                FieldPanel("categories"),
                FieldPanel("answer_working_days"),
                FieldPanel("voting_mode"),
                FieldPanel("support_threshold"),
                FieldPanel("answer_deadline_days"),
                FieldPanel("premoderated"),
                FieldPanel("featured"),
            ],
            heading=_("Rules"),
        ),
        InlinePanel(
            "routes",
            label=_("Report routing: category to department"),
            heading=_("Report routing"),
        ),
        MultiFieldPanel(
            [FieldPanel("location_asked"), *MapCentre.map_panels],
            heading=_("Map"),
        ),
        FieldPanel("attribution"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("question")]

    parent_page_types = ["ideas.CampaignIndexPage"]
    # Polls may sit inside a campaign (a string: ideas does not import polls).
    subpage_types: list[str] = ["polls.PollPage"]

    class Meta:
        verbose_name = _("campaign")

    # --- phases ---------------------------------------------------------------

    def phase_list(self) -> list[Phase]:
        cached = self.__dict__.get("_phase_list")
        if cached is None:
            cached = list(self.phases.all().order_by("start", "sort_order"))
            self.__dict__["_phase_list"] = cached
        return cached

    def current_phase(self, now: datetime | None = None) -> Phase | None:
        now = now or timezone.now()
        for phase in self.phase_list():
            if phase.start <= now < phase.end:
                return phase
        return None

    def first_day(self) -> datetime | None:
        phases = self.phase_list()
        return phases[0].start if phases else None

    def last_day(self) -> datetime | None:
        phases = self.phase_list()
        return max(p.end for p in phases) if phases else None

    def has_started(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        phases = self.phase_list()
        return bool(phases) and phases[0].start <= now

    def is_open(self, now: datetime | None = None) -> bool:
        phase = self.current_phase(now)
        return phase is not None and bool(PHASE_ACTIONS[phase.kind])

    def allows(self, action: Action, now: datetime | None = None) -> bool:
        phase = self.current_phase(now)
        return phase is not None and action in PHASE_ACTIONS[phase.kind]

    @property
    def is_reports(self) -> bool:
        return self.kind == CampaignKind.REPORTS

    def full_clean(self, *args: Any, **kwargs: Any) -> None:
        # Every report has a place: "near me" and the map need it.
        if self.kind == CampaignKind.REPORTS:
            self.location_asked = True
        super().full_clean(*args, **kwargs)

    @property
    def uses_votes(self) -> bool:
        return self.voting_mode == VotingMode.AGREE_DISAGREE

    def category_choices(self) -> list[Tag]:
        return list(self.categories.all().order_by("name"))

    def get_template(self, request: Any, *args: Any, **kwargs: Any) -> str:
        return "ideas/campaign_page.html"

    def serve_preview(self, request: Any, mode_name: str) -> Any:
        # Wagtail's preview and "view draft" render the template with only the
        # page in the context; this page is rendered by its view, so the draft
        # goes through the view too.
        return self.serve(request)

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The campaign page is a list with filters, sorting and a stable random
        # order per visitor: a view, not a template context.
        from .views import campaign_page

        return campaign_page(request, self)


class Phase(Orderable):
    """One phase of a campaign, with its dates; its kind names the actions it opens."""

    campaign = ParentalKey(
        CampaignPage, on_delete=models.CASCADE, related_name="phases"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PhaseKind.choices)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    panels = [FieldPanel("kind"), FieldPanel("start"), FieldPanel("end")]

    class Meta(Orderable.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="ideas_phase_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def actions(self) -> frozenset[Action]:
        return PHASE_ACTIONS[self.kind]


class IdeaState(models.TextChoices):
    PUBLISHED = "published", _("Published")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    NOT_SELECTED = "not_selected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn by its author")


# States a planner can set with an official answer.
ANSWER_STATES = [
    IdeaState.UNDER_REVIEW,
    IdeaState.ACCEPTED,
    IdeaState.PLANNED,
    IdeaState.IN_PROGRESS,
    IdeaState.IMPLEMENTED,
    IdeaState.NOT_SELECTED,
]


class IdeaSource(models.TextChoices):
    ONLINE = "online", _("Online")
    MEETING = "meeting", _("At a public meeting")
    PAPER = "paper", _("On paper")
    PHONE = "phone", _("By phone")


class TaggedIdea(TaggedItemBase):
    """A resident's free tag on an idea."""

    content_object = models.ForeignKey(
        "ideas.Idea", on_delete=models.CASCADE, related_name="tagged_items"
    )


def _random_key() -> int:
    return secrets.randbelow(2**31 - 1)


def idea_photo_path(instance: Idea, filename: str) -> str:
    # Never trust the uploaded name: a random one with the checked extension.
    ext = filename.rsplit(".", 1)[-1].lower()
    return f"ideas/photos/{secrets.token_hex(12)}.{ext}"


class IdeaQuerySet(SearchableQuerySetMixin, models.QuerySet["Idea"]):
    def public(self) -> IdeaQuerySet:
        """What anyone may see: published content, not withdrawn, on a live campaign."""
        from moderation.models import Visibility

        return self.filter(visibility=Visibility.PUBLISHED).exclude(
            state=IdeaState.WITHDRAWN
        )


class Idea(index.Indexed, ModeratableContent):
    """A resident's proposal in a campaign (or one recorded by staff on their behalf)."""

    campaign = models.ForeignKey(
        CampaignPage, on_delete=models.CASCADE, related_name="ideas"
    )
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), max_length=5000)
    categories = models.ManyToManyField(
        Tag, blank=True, related_name="+", verbose_name=_("categories")
    )
    tags = TaggableManager(through=TaggedIdea, blank=True, verbose_name=_("tags"))
    lat = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address = models.CharField(_("address or place"), max_length=200, blank=True)
    photo = models.ImageField(_("photo"), upload_to=idea_photo_path, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
    )
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=IdeaSource.choices,
        default=IdeaSource.ONLINE,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The staff member who entered an idea gathered offline."),
    )
    submitter_name = models.CharField(
        _("name given by the resident"),
        max_length=60,
        blank=True,
        help_text=_("For ideas recorded offline from someone without an account."),
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=IdeaState.choices,
        default=IdeaState.PUBLISHED,
        db_index=True,
    )
    # The idea's discussion, hosted by the forums engine (one thread per idea).
    thread = models.OneToOneField(
        "forums.Thread",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    agree_count = models.PositiveIntegerField(_("agree"), default=0)
    disagree_count = models.PositiveIntegerField(_("disagree"), default=0)
    pass_count = models.PositiveIntegerField(_("pass"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    points_for_count = models.PositiveIntegerField(_("points for"), default=0)
    points_against_count = models.PositiveIntegerField(_("points against"), default=0)
    # A random number drawn once; the per-visitor random order mixes it with the
    # visitor's seed in SQL, so the order is stable across pages and cheap.
    random_key = models.BigIntegerField(default=_random_key, editable=False)
    created_at = models.DateTimeField(
        _("proposed"), default=timezone.now, db_index=True
    )
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    review_started_at = models.DateTimeField(
        _("under review since"), null=True, blank=True
    )
    answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    # Ideas gathered at a public meeting link to it.
    meeting = models.ForeignKey(
        "ideas.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("recorded at meeting"),
    )

    objects = IdeaQuerySet.as_manager()

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("description"),
        index.FilterField("campaign"),
        index.FilterField("visibility"),
        index.FilterField("state"),
    ]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["campaign", "visibility", "-created_at"],
                name="idea_campaign_new_idx",
            ),
            models.Index(
                fields=["campaign", "visibility", "-support_count"],
                name="idea_campaign_sup_idx",
            ),
            models.Index(
                fields=["campaign", "visibility", "-comment_count"],
                name="idea_campaign_com_idx",
            ),
            # A campaign's counts (all, by state, awaiting an answer) read this index
            # alone; the API's default order (id) and the overdue list have theirs.
            models.Index(
                fields=["campaign", "visibility", "state", "answered_at"],
                name="idea_campaign_state_idx",
            ),
            models.Index(
                fields=["campaign", "visibility", "id"], name="idea_campaign_id_idx"
            ),
            models.Index(
                fields=["campaign", "state", "review_started_at"],
                name="idea_campaign_review_idx",
            ),
        ]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ideas:idea", args=[self.pk])

    @property
    def approval_count(self) -> int:
        """What counts towards the threshold: supports, or agree votes in vote mode."""
        return self.agree_count if self.campaign.uses_votes else self.support_count

    @property
    def is_located(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def vote_total(self) -> int:
        return self.agree_count + self.disagree_count + self.pass_count

    def answer_due(self) -> datetime | None:
        if self.review_started_at is None:
            return None
        return self.review_started_at + timezone.timedelta(
            days=self.campaign.answer_deadline_days
        )


class Support(models.Model):
    """One resident's support of one idea (support mode)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_supports"
    )
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "idea"], name="ideas_support_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.idea_id}"


class VoteChoice(models.IntegerChoices):
    AGREE = 1, _("Agree")
    DISAGREE = -1, _("Disagree")
    PASS = 0, _("Pass")


VOTE_COUNT_FIELD = {
    VoteChoice.AGREE: "agree_count",
    VoteChoice.DISAGREE: "disagree_count",
    VoteChoice.PASS: "pass_count",
}


class Vote(models.Model):
    """One resident's agree/disagree/pass vote on one idea (Pol.is-style campaigns)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes"
    )
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    choice = models.SmallIntegerField(choices=VoteChoice.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "idea"], name="ideas_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} votes {self.choice} on {self.idea_id}"


class OfficialResponse(models.Model):
    """One entry of an idea's timeline: a change of state and the city's answer.

    `by` is null for what the system did itself (reaching the support threshold).
    """

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="responses")
    from_state = models.CharField(max_length=20, choices=IdeaState.choices)
    to_state = models.CharField(max_length=20, choices=IdeaState.choices)
    text = models.TextField(_("answer"), max_length=5000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("official response")
        verbose_name_plural = _("official responses")

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.from_state} -> {self.to_state}"


class Follow(models.Model):
    """A resident follows a campaign (new ideas) or an idea (answers, changes)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_follows"
    )
    campaign = models.ForeignKey(
        CampaignPage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
    )
    idea = models.ForeignKey(
        Idea, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(campaign__isnull=False) & Q(idea__isnull=True))
                | (Q(campaign__isnull=True) & Q(idea__isnull=False)),
                name="ideas_follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "campaign"],
                condition=Q(campaign__isnull=False),
                name="ideas_follow_campaign_once",
            ),
            models.UniqueConstraint(
                fields=["user", "idea"],
                condition=Q(idea__isnull=False),
                name="ideas_follow_idea_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.campaign_id or self.idea_id}"


# ---------------------------------------------------------------------------
# Implementation tracking (ideas.tracking): accepted ideas, funded projects
# ---------------------------------------------------------------------------


class ImplementationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


def update_photo_path(instance: Any, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    return f"tracking/photos/{secrets.token_hex(12)}.{ext}"


class Implementation(models.Model):
    """What became of one tracked thing (an accepted idea, a funded budget project).

    The thing itself lives in its app, named by `subject_kind` (registered in
    ideas.tracking) and `subject_id`; `scope` groups the records one public results
    page lists ("campaign.3", "budget.7"). `spent_amount` is the sum of the updates'
    money spent, kept with F() in the update's transaction.
    """

    subject_kind = models.CharField(max_length=40)
    subject_id = models.PositiveBigIntegerField()
    scope = models.CharField(max_length=60)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.PLANNED,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    budget_amount = models.DecimalField(
        _("planned budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    spent_amount = models.DecimalField(
        _("money spent"), max_digits=14, decimal_places=2, default=0
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    update_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_id"], name="tracking_one_per_subject"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="tracking_progress_at_most_100"
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope", "status", "-updated_at"], name="tracking_scope_idx"
            ),
        ]
        verbose_name = _("implementation")
        verbose_name_plural = _("implementations")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from .tracking import tracked_kind

        return tracked_kind(self.subject_kind).url(self.subject_id)

    @property
    def topic(self) -> str:
        return f"implementation.{self.pk}"

    @property
    def is_located(self) -> bool:
        return self.lat is not None and self.lon is not None


class Milestone(models.Model):
    """A dated step of an implementation; done when `done_on` is set."""

    implementation = models.ForeignKey(
        Implementation, on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("planned for"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressUpdate(models.Model):
    """One entry on an implementation's timeline: text, optional photo, money spent,
    and the status and progress it set."""

    implementation = models.ForeignKey(
        Implementation, on_delete=models.CASCADE, related_name="updates"
    )
    text = models.TextField(_("update"), max_length=5000)
    photo = models.ImageField(_("photo"), upload_to=update_photo_path, blank=True)
    spent = models.DecimalField(
        _("money spent"), max_digits=14, decimal_places=2, default=0
    )
    status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, blank=True
    )
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["implementation", "-created_at"], name="tracking_update_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.implementation_id}: {self.text[:40]}"


# ---------------------------------------------------------------------------
# Report campaigns (Our City / 311): routing, a clock, "me too", near me
# ---------------------------------------------------------------------------


class Department(models.Model):
    """A city department that answers reports; its staff group sees its queue and its
    lead hears of every report past its deadline."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    staff_group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("staff group"),
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department lead"),
    )

    panels = [FieldPanel("name"), FieldPanel("staff_group"), FieldPanel("lead")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ideas:department_queue", args=[self.pk])


class CategoryRoute(models.Model):
    """In a report campaign, a category belongs to one department."""

    campaign = ParentalKey(
        CampaignPage, on_delete=models.CASCADE, related_name="routes"
    )
    category = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="routes"
    )

    panels = [FieldPanel("category"), FieldPanel("department")]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "category"], name="ideas_route_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id} -> {self.department_id}"


class Report(models.Model):
    """The clock and routing of one submission in a report campaign (its idea holds
    the text, photo, place and answers). lat/lon are copied here, NOT NULL, under
    a (campaign, lat, lon) index that "near me" reads as a bounding box."""

    idea = models.OneToOneField(Idea, on_delete=models.CASCADE, related_name="report")
    campaign = models.ForeignKey(
        CampaignPage, on_delete=models.CASCADE, related_name="reports"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    lat = models.FloatField()
    lon = models.FloatField()
    filed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    answered_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    me_too_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["campaign", "lat", "lon"], name="report_near_idx"),
            models.Index(
                fields=["department", "answered_at", "due_at"], name="report_queue_idx"
            ),
            models.Index(fields=["campaign", "filed_at"], name="report_filed_idx"),
            models.Index(
                fields=["answered_at", "escalated_at", "due_at"],
                name="report_overdue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.idea_id}"

    @property
    def is_overdue(self) -> bool:
        end = self.answered_at or timezone.now()
        return end > self.due_at


class MeToo(models.Model):
    """A resident has the same problem: counted on the report instead of a duplicate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="me_toos")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "report"], name="ideas_me_too_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} too on {self.report_id}"


# ---------------------------------------------------------------------------
# Meetings and events
# ---------------------------------------------------------------------------


class Meeting(models.Model):
    """A public meeting of a campaign: in a place or online, with a capacity and a
    waiting list; minutes and the ideas recorded there come after."""

    campaign = models.ForeignKey(
        CampaignPage, on_delete=models.CASCADE, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    minutes = models.TextField(_("minutes"), blank=True, max_length=20000)
    registered_count = models.PositiveIntegerField(default=0)
    waiting_count = models.PositiveIntegerField(default=0)
    attended_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    panels = [
        FieldPanel("campaign"),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("starts_at"),
        FieldPanel("ends_at"),
        FieldPanel("place"),
        FieldPanel("online_url"),
        FieldPanel("capacity"),
        FieldPanel("minutes"),
    ]

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="ideas_meeting_ends_after_start",
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "starts_at"], name="meeting_campaign_idx")
        ]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ideas:meeting", args=[self.pk])

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.registered_count >= self.capacity


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingRegistration(models.Model):
    """One resident's place at a meeting (or on its waiting list)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="meeting_registrations",
    )
    status = models.CharField(max_length=12, choices=RegistrationStatus.choices)
    attended = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"], name="ideas_register_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["meeting", "status", "created_at"],
                name="meeting_waiting_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status} {self.meeting_id}"
