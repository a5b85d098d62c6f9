"""Polls (Wagtail pages) and the ballot boxes under them.

The ballot tables are the secret ballot: `VoterRollEntry` records *that* a voter
voted in a box; `Ballot` records *what* was chosen, with no column that names or
points to a voter (see docs/ballots.md for the design and its limits).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BallotBox(models.Model):
    """One decision's ballots. Owned by whatever is voted on, through its `key`
    ("poll.12", "budget.7"): polls and budgets each make theirs with
    `polls.ballots.get_or_create_box`."""

    key = models.CharField(max_length=80, unique=True)
    allow_change = models.BooleanField(default=False)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Kept under the box's row lock by every cast, in the same transaction.
    last_seq = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    ballot_count = models.PositiveIntegerField(default=0)  # counted (not replaced)
    counts = models.JSONField(default=dict, blank=True)  # the owner's running tally
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ballot box")
        verbose_name_plural = _("ballot boxes")

    def __str__(self) -> str:
        return self.key


class VoterRollEntry(models.Model):
    """That a voter voted in a box: nothing about what, no time, no order.

    The primary key is random so that the roll's ids do not follow casting order
    (which the ballots' sequence numbers do)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="roll")
    # "u<account id>" for an account, "d<hash of a device token>" at an event vote.
    voter_key = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["box", "voter_key"], name="one_roll_entry_per_voter"
            )
        ]
        verbose_name = _("voter roll entry")
        verbose_name_plural = _("voter roll")

    def __str__(self) -> str:
        return f"{self.box_id}:{self.voter_key}"


class Ballot(models.Model):
    """What was chosen, hash-chained in casting order. No voter, no time."""

    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="ballots")
    seq = models.PositiveIntegerField()
    choices = models.JSONField()
    # Attributes used for weights and breakdowns (district, stakeholder group).
    segment = models.JSONField(default=dict, blank=True)
    segment_salt = models.CharField(max_length=32, blank=True)
    segment_hash = models.CharField(max_length=64)
    receipt_hash = models.CharField(max_length=64)
    replaces_seq = models.PositiveIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["box", "seq"], name="one_ballot_per_seq"),
            models.UniqueConstraint(
                fields=["box", "receipt_hash"], name="one_ballot_per_receipt"
            ),
            models.UniqueConstraint(
                fields=["box", "replaces_seq"],
                condition=models.Q(replaces_seq__isnull=False),
                name="a_ballot_is_replaced_once",
            ),
        ]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return f"{self.box_id}#{self.seq}"


class PublishedLog(models.Model):
    """The ballot log as published at close: final, never rewritten."""

    box = models.OneToOneField(
        BallotBox, on_delete=models.CASCADE, related_name="published_log"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    head_hash = models.CharField(max_length=64)
    ballot_count = models.PositiveIntegerField()
    json_text = models.TextField()
    csv_text = models.TextField()

    class Meta:
        verbose_name = _("published ballot log")

    def __str__(self) -> str:
        return f"{self.box} @ {self.head_hash[:12]}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("a published ballot log is final")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


# --- polls ------------------------------------------------------------------------

from django.core.exceptions import ValidationError  # noqa: E402
from modelcluster.fields import ParentalKey, ParentalManyToManyField  # noqa: E402
from modelcluster.models import ClusterableModel  # noqa: E402
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel  # noqa: E402
from wagtail.models import Orderable, Page  # noqa: E402

from accounts.verification import Eligibility  # noqa: E402

from .forms import (  # noqa: E402
    PollPageForm,
    QuestionsLockedNotice,
    frozen_of,
    lock_message,
)


class EligibilityMode(models.TextChoices):
    VERIFIED = "verified", _("Verified residents")
    ACCOUNT = "account", _("Anyone with an account")
    EVENT = "event", _("Anyone in the room with the event's access code")


class ResultsVisibility(models.TextChoices):
    LIVE = "live", _("Live, while voting runs")
    AFTER_CLOSE = "after_close", _("Only after voting closes")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice (at most n)")
    RANKING = "ranking", _("Ranking (counted by Borda count)")


class PollPage(Page):
    """A poll or an event vote: questions, who may vote, when; standalone under the
    home page or inside a campaign. Its ballots live in a BallotBox ("poll.<id>")."""

    intro = models.TextField(_("introduction"), blank=True)
    opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    eligibility = models.CharField(
        _("who may vote"),
        max_length=20,
        choices=EligibilityMode.choices,
        default=EligibilityMode.VERIFIED,
    )
    districts = models.CharField(
        _("districts"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated; empty for the whole city."),
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    stakeholder_groups = models.CharField(
        _("stakeholder groups"),
        max_length=200,
        blank=True,
        help_text=_(
            "Comma-separated codes (resident, business, academia, civil_society, "
            "government); empty for all."
        ),
    )
    results_visibility = models.CharField(
        _("results shown"),
        max_length=20,
        choices=ResultsVisibility.choices,
        default=ResultsVisibility.AFTER_CLOSE,
    )
    allow_change = models.BooleanField(
        _("voters may change their ballot until close"), default=False
    )
    privacy_minimum = models.PositiveSmallIntegerField(
        _("smallest group shown on its own"),
        default=5,
        help_text=_("Districts and groups with fewer voters are not shown apart."),
    )
    box = models.OneToOneField(
        BallotBox, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    thread = models.ForeignKey(
        "forums.Thread",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    event_code = models.CharField(max_length=12, blank=True, db_index=True)
    event_access_code = models.CharField(max_length=12, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        QuestionsLockedNotice(heading=_("Questions are locked")),
        InlinePanel("questions", label=_("Questions"), min_num=1),
        MultiFieldPanel(
            [
                FieldPanel("opens_at"),
                FieldPanel("closes_at"),
                FieldPanel("eligibility"),
                FieldPanel("districts"),
                FieldPanel("min_age"),
                FieldPanel("stakeholder_groups"),
                FieldPanel("allow_change"),
            ],
            heading=_("Timing and rules"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("results_visibility"),
                FieldPanel("privacy_minimum"),
                InlinePanel("weights", label=_("Stakeholder shares")),
            ],
            heading=_("Results"),
        ),
    ]

    base_form_class = PollPageForm
    parent_page_types = ["home.HomePage", "ideas.CampaignPage"]
    subpage_types: list[str] = []
    template = "polls/poll_page.html"

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")

    @property
    def box_key(self) -> str:
        return f"poll.{self.pk}"

    @property
    def rules(self) -> Eligibility:
        return Eligibility(
            verified_only=self.eligibility == EligibilityMode.VERIFIED,
            districts=tuple(_split(self.districts)),
            min_age=self.min_age,
            stakeholder_groups=tuple(_split(self.stakeholder_groups)),
        )

    @property
    def is_event(self) -> bool:
        return self.eligibility == EligibilityMode.EVENT

    def weight_map(self) -> dict[str, float]:
        return {w.group: float(w.share) for w in self.weights.all() if w.share > 0}

    def serve_preview(self, request: object, mode_name: str) -> object:
        # Wagtail's preview and "view draft" render the template with only the
        # page in the context; this page is rendered by its view, so the draft
        # goes through the view too.
        return self.serve(request)

    def serve(self, request: object, *args: object, **kwargs: object) -> object:
        from .views import poll_page

        return poll_page(request, self)

    def ballots_cast(self) -> int:
        """Ballots cast so far (replaced ones included), read afresh."""
        if self.box_id is None:
            return 0
        return (
            BallotBox.objects.filter(pk=self.box_id)
            .values_list("last_seq", flat=True)
            .first()
            or 0
        )

    def check_questions_unchanged(self) -> None:
        """Once a ballot is cast the questions are locked (see polls/forms.py): raise
        if the questions about to be saved differ from the stored ones."""
        cast = self.ballots_cast() if self.pk else 0
        if not cast:
            return
        stored = {
            q.pk: frozen_of(q) for q in PollQuestion.objects.filter(page_id=self.pk)
        }
        about_to_save = {q.pk: frozen_of(q) for q in self.questions.all()}
        if stored != about_to_save:
            raise ValidationError(lock_message(cast), code="questions_locked")

    def save(self, *args: object, **kwargs: object) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "questions" in update_fields:  # type: ignore[operator]
            self.check_questions_unchanged()
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        from .actions import sync_box

        sync_box(self)


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class PollQuestion(Orderable, ClusterableModel):
    """One question of a poll; its options are lines of text, counted by position."""

    page = ParentalKey(PollPage, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=20, choices=QuestionKind.choices, default="single"
    )
    max_choices = models.PositiveSmallIntegerField(
        _("at most this many choices"),
        null=True,
        blank=True,
        help_text=_("Multiple choice only."),
    )
    options_text = models.TextField(_("options, one per line"))
    ideas = ParentalManyToManyField(
        "ideas.Idea",
        blank=True,
        related_name="+",
        verbose_name=_("ideas this question grew from"),
    )

    panels = [
        FieldPanel("text"),
        FieldPanel("kind"),
        FieldPanel("max_choices"),
        FieldPanel("options_text"),
        FieldPanel("ideas"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("question")

    def __str__(self) -> str:
        return self.text

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.options_text.splitlines() if line.strip()]

    def spec(self) -> dict[str, object]:
        return {
            "id": str(self.pk),
            "text": self.text,
            "kind": self.kind,
            "max": self.max_choices,
            "options": self.options,
        }


class StakeholderWeight(Orderable):
    """A stakeholder group's share of the weighted result (Leuven: five at 20 %)."""

    page = ParentalKey(PollPage, on_delete=models.CASCADE, related_name="weights")
    group = models.CharField(
        _("stakeholder group"),
        max_length=20,
        choices=[
            ("resident", _("Resident")),
            ("business", _("Business")),
            ("academia", _("Academia or research")),
            ("civil_society", _("Civil society or association")),
            ("government", _("Government or public service")),
        ],
    )
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)

    panels = [FieldPanel("group"), FieldPanel("share")]

    def __str__(self) -> str:
        return f"{self.group}: {self.share} %"


class PollAudit(models.Model):
    """Append-only: a poll opened, extended, closed, cancelled or its results published."""

    poll = models.ForeignKey(PollPage, on_delete=models.CASCADE, related_name="audit")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=30)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.poll_id} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("the poll audit is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class PollResult(models.Model):
    """The final result, computed once at close from a full recount; never changed."""

    poll = models.OneToOneField(
        PollPage, on_delete=models.CASCADE, related_name="final_result"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField()

    def __str__(self) -> str:
        return f"result of {self.poll_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("published results are final")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
