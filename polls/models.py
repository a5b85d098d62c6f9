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
