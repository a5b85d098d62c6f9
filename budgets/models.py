"""Participatory budgets: the city sets the money and the rules (a Wagtail page),
residents propose projects, staff review them, residents vote, the count decides.

Ballots are not stored here: they are cast through polls' one ballot mechanism
(voter roll + secret ballot box + receipts + hash-chained log). An election
imported from a Pabulib file keeps its source file, whose votes are open data.
"""

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
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable, Page
from wagtail.search import index

from ideas.models import MapCentre
from moderation.models import ModeratableContent

from .counting import EQUAL_SHARES, EQUAL_SHARES_COMPARISON, GREEDY
from .editor import BallotTermsLockedNotice, BudgetPageForm
from .phases import PHASE_ACTIONS, Action, BudgetPhase


class BallotKind(models.TextChoices):
    KNAPSACK = "knapsack", _("Approval within the budget (knapsack)")
    APPROVAL = "approval", _("Approval of at most a number of projects")
    CUMULATIVE = "cumulative", _("Cumulative points")


class CountingRule(models.TextChoices):
    GREEDY = GREEDY, _("Greedy: most votes first until the money runs out")
    EQUAL_SHARES = EQUAL_SHARES, _("Method of Equal Shares (with add1 completion)")
    EQUAL_SHARES_COMPARISON = (
        EQUAL_SHARES_COMPARISON,
        _("Method of Equal Shares, add1 to the budget's limit, compared with greedy"),
    )


class BudgetPage(Page, MapCentre):
    """One participatory budget: the money, the phase, who may vote and how it is
    counted. Edited by city staff in the page tree; the phase moves by staff
    actions (budgets.actions) so that every move is checked and published live."""

    intro = models.TextField(_("introduction"), blank=True)
    total = models.PositiveBigIntegerField(_("total amount"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    theme = models.CharField(
        _("theme"),
        max_length=120,
        blank=True,
        help_text=_("For example “green projects only”. Shown on every project form."),
    )
    phase = models.CharField(
        _("phase"),
        max_length=20,
        choices=BudgetPhase.choices,
        default=BudgetPhase.PROPOSING,
    )
    voting_closes_at = models.DateTimeField(
        _("voting closes at"), null=True, blank=True
    )
    ballot_kind = models.CharField(
        _("ballot"),
        max_length=12,
        choices=BallotKind.choices,
        default=BallotKind.KNAPSACK,
    )
    max_choices = models.PositiveSmallIntegerField(
        _("most projects a voter may pick"),
        null=True,
        blank=True,
        help_text=_("Approval ballots: leave empty for no limit."),
    )
    points = models.PositiveSmallIntegerField(
        _("points per voter"), default=10, help_text=_("Cumulative ballots.")
    )
    rule = models.CharField(
        _("counting rule"),
        max_length=40,
        choices=CountingRule.choices,
        default=CountingRule.EQUAL_SHARES,
    )
    counts_public = models.BooleanField(
        _("show vote counts while voting"),
        default=False,
        help_text=_("When off, counts appear only with the results."),
    )
    # Eligibility, decided from verified attributes (accounts' verification).
    verified_only = models.BooleanField(_("verified residents only"), default=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    categories = models.CharField(
        _("categories offered"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated."),
    )
    # A budget's map opens wider than a campaign's (its projects span the city).
    map_zoom = models.PositiveSmallIntegerField(_("map zoom"), default=12)
    # A replayed election keeps the Pabulib file it came from; its votes are open data.
    source_file = models.TextField(
        _("imported Pabulib file"), blank=True, editable=False
    )
    source_meta = models.JSONField(default=dict, blank=True, editable=False)
    attribution = models.TextField(_("data attribution"), blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True, editable=False)

    content_panels = [
        *Page.content_panels,
        BallotTermsLockedNotice(heading=_("Voting has started")),
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldPanel("total"),
                FieldPanel("currency"),
                FieldPanel("theme"),
                FieldPanel("categories"),
                InlinePanel("districts", label=_("Districts with their own budget")),
            ],
            heading=_("Money"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("phase"),
                FieldPanel("voting_closes_at"),
                FieldPanel("ballot_kind"),
                FieldPanel("max_choices"),
                FieldPanel("points"),
                FieldPanel("rule"),
                FieldPanel("counts_public"),
            ],
            heading=_("Voting and counting"),
        ),
        MultiFieldPanel(
            [FieldPanel("verified_only"), FieldPanel("min_age")],
            heading=_("Who may vote"),
        ),
        MultiFieldPanel(
            MapCentre.map_panels,
            heading=_("Map"),
        ),
        FieldPanel("attribution"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    base_form_class = BudgetPageForm
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("participatory budget")

    def allows(self, action: Action, now: datetime | None = None) -> bool:
        if action not in PHASE_ACTIONS[self.phase]:
            return False
        if action == Action.VOTE and self.voting_closes_at is not None:
            return (now or timezone.now()) < self.voting_closes_at
        return True

    def category_list(self) -> list[str]:
        return [c.strip() for c in self.categories.split(",") if c.strip()]

    def district_list(self) -> list[District]:
        cached = self.__dict__.get("_districts")
        if cached is None:
            cached = list(self.districts.all().order_by("sort_order", "pk"))
            self.__dict__["_districts"] = cached
        return cached

    def city_wide_amount(self) -> int:
        """The money not set aside for districts, spent on city-wide projects."""
        return self.total - sum(d.amount for d in self.district_list())

    @property
    def is_imported(self) -> bool:
        return bool(self.source_file)

    def get_template(self, request: Any, *args: Any, **kwargs: Any) -> str:
        return "budgets/budget_page.html"

    def serve_preview(self, request: Any, mode_name: str) -> Any:
        # Wagtail's preview and "view draft" render the template with only the
        # page in the context; this page is rendered by its view, so the draft
        # goes through the view too.
        return self.serve(request)

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        from .views import budget_page

        return budget_page(request, self)


class District(Orderable):
    """A district with its own sub-budget; its projects compete only with each other
    for its money, and only its residents (by verified district) vote on them."""

    budget = ParentalKey(BudgetPage, on_delete=models.CASCADE, related_name="districts")
    name = models.CharField(_("district"), max_length=100)
    amount = models.PositiveBigIntegerField(_("amount"))

    panels = [FieldPanel("name"), FieldPanel("amount")]

    def __str__(self) -> str:
        return self.name


class Feasibility(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    FEASIBLE = "feasible", _("Feasible")
    UNFEASIBLE = "unfeasible", _("Not feasible")


def project_image_path(instance: Project, filename: str) -> str:
    return f"budgets/projects/{secrets.token_hex(12)}.jpg"


class ProjectQuerySet(models.QuerySet["Project"]):
    def public(self) -> ProjectQuerySet:
        from moderation.models import Visibility

        return self.filter(visibility=Visibility.PUBLISHED)

    def on_ballot(self) -> ProjectQuerySet:
        return self.public().filter(feasibility=Feasibility.FEASIBLE)


class Project(ModeratableContent):
    """A project residents can vote for: proposed by a resident, converted from an
    idea, or imported from a Pabulib file. Staff set its cost and feasibility;
    a project found unfeasible stays visible with the published reason."""

    budget = models.ForeignKey(
        BudgetPage, on_delete=models.CASCADE, related_name="projects"
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=200, blank=True)
    image = models.ImageField(_("image"), upload_to=project_image_path, blank=True)
    lat = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address = models.CharField(_("place"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_projects",
    )
    # The idea it grew from: the link lives here (budgets may import ideas, not the
    # other way round); the idea's page learns of it through ideas.links.
    source_idea = models.OneToOneField(
        "ideas.Idea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_project",
    )
    cost = models.PositiveBigIntegerField(_("cost estimate"), null=True, blank=True)
    feasibility = models.CharField(
        _("feasibility"),
        max_length=12,
        choices=Feasibility.choices,
        default=Feasibility.PENDING,
        db_index=True,
    )
    feasibility_reason = models.TextField(_("reason, published"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The project id in Pabulib files (kept on import, exported as is).
    external_id = models.CharField(max_length=40)
    vote_count = models.PositiveIntegerField(default=0)
    # Set when results are published, from the count under the budget's own rule.
    funded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "external_id"],
                name="budgets_project_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(feasibility="unfeasible") | ~Q(feasibility_reason=""),
                name="budgets_unfeasible_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["budget", "feasibility", "-vote_count", "id"]),
            models.Index(fields=["budget", "district", "id"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("budgets:project", args=[self.pk])

    @property
    def is_located(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def on_ballot(self) -> bool:
        return self.is_published and self.feasibility == Feasibility.FEASIBLE


class BudgetResult(models.Model):
    """One count of a budget under one rule, with every decision explained.

    Both rules are always counted, so the results page can show them side by side;
    the budget's own rule is the one that decides (`official`). `pot` is "" for the
    city-wide money or a district's id."""

    budget = models.ForeignKey(
        BudgetPage, on_delete=models.CASCADE, related_name="results"
    )
    rule = models.CharField(max_length=40, choices=CountingRule.choices)
    pot = models.CharField(max_length=20, blank=True)
    official = models.BooleanField(default=False)
    funded = models.JSONField(default=list)  # project ids in funding order
    decisions = models.JSONField(default=dict)  # project id -> explanation
    spent = models.PositiveBigIntegerField(default=0)
    amount = models.PositiveBigIntegerField(default=0)
    voters = models.PositiveIntegerField(default=0)
    per_voter_budget = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "rule", "pot"], name="budgets_result_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.rule} {self.pot}"


class ProjectFollow(models.Model):
    """A resident who wants to hear how a project goes (its review, its progress)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="budgets_follow_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.project_id}"
