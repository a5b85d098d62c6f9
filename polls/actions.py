"""Every change of state about polls: voting (check_vote/do_vote), and staff opening,
extending, closing and cancelling a poll, each audited; closing publishes the ballot
log and the final result once. Live events go out on `poll.<id>` after commit."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

import live
from accounts.models import User
from accounts.roles import Role, has_role
from accounts.verification import NotEligible, check_eligible, eligible_count
from forums.actions import do_create_hosted_thread

from . import ballots, counting
from .models import BallotBox, PollAudit, PollPage, PollResult
from .registrations import POLL_HOST

EVENT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class PollError(Exception):
    """A refusal the voter or staff member can act on; the message says why."""

    def __init__(self, message: object) -> None:
        self.message = str(message)
        super().__init__(self.message)


def poll_topic(poll: PollPage) -> str:
    return f"poll.{poll.pk}"


def spec_of(poll: PollPage) -> list[dict[str, Any]]:
    return [q.spec() for q in poll.questions.all()]


# --- the box behind a poll ---------------------------------------------------------


def sync_box(poll: PollPage) -> BallotBox:
    """Make the poll's ballot box, and follow the page's times until voting starts
    (afterwards only the audited actions below change them)."""
    box = ballots.get_or_create_box(poll.box_key)
    if not box.last_seq and not box.closed_at and not box.cancelled_at:
        box.allow_change = poll.allow_change
        if not poll.is_event:
            box.opens_at, box.closes_at = poll.opens_at, poll.closes_at
        box.save(update_fields=["allow_change", "opens_at", "closes_at"])
    if poll.box_id != box.pk:
        PollPage.objects.filter(pk=poll.pk).update(box=box)
        poll.box = box
    if poll.thread_id is None and poll.live:
        thread = do_create_hosted_thread(POLL_HOST, poll.pk, poll.title)
        PollPage.objects.filter(pk=poll.pk).update(thread=thread)
        poll.thread = thread
    return box


def box_of(poll: PollPage) -> BallotBox:
    if poll.box_id is None:
        return sync_box(poll)
    return poll.box


def state_of(poll: PollPage, now: datetime | None = None) -> str:
    return ballots.box_state(box_of(poll), now)


def results_visible(poll: PollPage) -> bool:
    state = state_of(poll)
    if state == "cancelled":
        return False
    return state == "closed" or poll.results_visibility == "live"


# --- voting ------------------------------------------------------------------------


def _segment(verification: Any) -> dict[str, str]:
    if verification is None:
        return {}
    segment = {}
    if verification.district:
        segment["district"] = verification.district
    if verification.stakeholder_group:
        segment["stakeholder_group"] = verification.stakeholder_group
    return segment


def check_vote(
    poll: PollPage, user: Any, *, device_key: str | None = None
) -> dict[str, str]:
    """Raise PollError (why) if this voter may not vote now; return their segment."""
    state = state_of(poll)
    if state == "cancelled":
        raise PollError(_("This poll was cancelled."))
    if state == "closed":
        raise PollError(_("Voting has closed; no more ballots are accepted."))
    if state == "not_open":
        raise PollError(_("Voting has not opened yet."))
    if poll.is_event:
        if not device_key:
            raise PollError(
                _("Enter the event's code and access code shown on the wall to vote.")
            )
        return {}
    try:
        verification = check_eligible(user, poll.rules)
    except NotEligible as refusal:
        raise PollError(refusal.message) from None
    return _segment(verification)


def voter_of(user: Any, device_key: str | None) -> Any:
    return device_key if device_key else user


def do_vote(
    poll: PollPage,
    user: Any,
    raw: dict[str, Any],
    *,
    device_key: str | None = None,
    replacing_receipt: str | None = None,
) -> ballots.Receipt:
    """Validate the answers and cast one ballot; returns the receipt (shown once)."""
    segment = check_vote(poll, user, device_key=device_key)
    spec = spec_of(poll)
    try:
        choices = counting.validate_choices(spec, raw)
    except counting.ChoiceError as error:
        raise PollError(error.message) from None
    box = box_of(poll)
    # Read before the box is locked: every statement under its lock costs every
    # voter of the poll (ballots.cast_ballot).
    weights = poll.weight_map() if poll.results_visibility == "live" else {}
    with transaction.atomic():
        try:
            receipt = ballots.cast_ballot(
                box,
                voter_of(user, device_key),
                choices,
                segment=segment,
                tally=counting.make_tally(spec),
                replacing_receipt=replacing_receipt or None,
            )
        except ballots.BallotError as error:
            raise PollError(error.message) from None
        _publish_counts(poll, spec, box, weights)
    return receipt


def _publish_counts(
    poll: PollPage,
    spec: list[dict[str, Any]],
    box: BallotBox,
    weights: dict[str, float],
) -> None:
    """The counts as this ballot left them (`box`, fresh from cast_ballot)."""
    data: dict[str, Any] = {"counts": {"voters": box.ballot_count}}
    if poll.results_visibility == "live":
        result = counting.present(
            spec, box.counts or {}, weights=weights, privacy_minimum=0
        )
        data.update(
            {
                "html": render_to_string(
                    "polls/includes/bars.html", {"result": result, "poll": poll}
                ),
                "mode": "replace",
                "dom_id": f"poll-{poll.pk}-bars",
            }
        )
    live.publish_on_commit(poll_topic(poll), "poll.counts", data)


# --- staff: open, extend, close, cancel ---------------------------------------------


def check_manage_poll(actor: Any, poll: PollPage) -> None:
    if not getattr(actor, "is_authenticated", False) or not (
        has_role(actor, Role.CITY_ADMIN) or has_role(actor, Role.PLANNER)
    ):
        raise PermissionDenied(_("Only city staff can open, close or cancel a poll."))


def _audit(poll: PollPage, actor: User | None, action: str, detail: str = "") -> None:
    PollAudit.objects.create(poll=poll, actor=actor, action=action, detail=detail[:500])


def _new_event_code(length: int) -> str:
    return "".join(secrets.choice(EVENT_CODE_ALPHABET) for _i in range(length))


def do_open_poll(actor: User, poll: PollPage) -> PollPage:
    """Open voting now. An event vote gets a short code and an access code for the wall."""
    check_manage_poll(actor, poll)
    box = box_of(poll)
    if state_of(poll) in ("closed", "cancelled"):
        raise PollError(_("A closed or cancelled poll cannot be opened again."))
    if state_of(poll) == "open":
        raise PollError(_("This poll is already open."))
    with transaction.atomic():
        now = timezone.now()
        BallotBox.objects.filter(pk=box.pk).update(opens_at=now)
        detail = ""
        if poll.is_event:
            code = _new_event_code(6)
            while PollPage.objects.filter(event_code=code).exists():
                code = _new_event_code(6)
            access = f"{secrets.randbelow(10_000):04d}"
            PollPage.objects.filter(pk=poll.pk).update(
                event_code=code, event_access_code=access
            )
            poll.event_code, poll.event_access_code = code, access
            detail = f"event code {code}"
        _audit(poll, actor, "opened", detail)
        live.publish_on_commit(poll_topic(poll), "poll.state", {"state": "open"})
    box.refresh_from_db()
    return poll


def do_extend_poll(actor: User, poll: PollPage, closes_at: datetime) -> PollPage:
    check_manage_poll(actor, poll)
    box = box_of(poll)
    if state_of(poll) in ("closed", "cancelled"):
        raise PollError(_("A closed or cancelled poll cannot be extended."))
    if closes_at <= timezone.now() or (box.closes_at and closes_at <= box.closes_at):
        raise PollError(_("The new closing time must be later than the current one."))
    with transaction.atomic():
        BallotBox.objects.filter(pk=box.pk).update(closes_at=closes_at)
        _audit(poll, actor, "extended", closes_at.isoformat())
    box.refresh_from_db()
    return poll


def do_close_poll(actor: User, poll: PollPage) -> PollResult:
    check_manage_poll(actor, poll)
    if state_of(poll) == "cancelled":
        raise PollError(_("This poll was cancelled."))
    with transaction.atomic():
        if ballots.close_box(box_of(poll)):
            _audit(poll, actor, "closed")
    return finalise_poll(poll)


def do_cancel_poll(actor: User, poll: PollPage, reason: str) -> PollPage:
    check_manage_poll(actor, poll)
    if not reason.strip():
        raise PollError(_("Say why the poll is cancelled; it is shown to voters."))
    if PollResult.objects.filter(poll=poll).exists():
        raise PollError(_("Published results are final; the poll cannot be cancelled."))
    box = box_of(poll)
    with transaction.atomic():
        if not BallotBox.objects.filter(pk=box.pk, cancelled_at__isnull=True).update(
            cancelled_at=timezone.now()
        ):
            raise PollError(_("This poll was already cancelled."))
        _audit(poll, actor, "cancelled", reason)
        live.publish_on_commit(poll_topic(poll), "poll.state", {"state": "cancelled"})
    box.refresh_from_db()
    return poll


def finalise_poll(poll: PollPage) -> PollResult:
    """Once a poll has closed (by staff or by its closing time): recount every ballot,
    check the recount against the running counts and the chain, publish the ballot
    log and the final result. Idempotent; the first call wins."""
    existing = PollResult.objects.filter(poll=poll).first()
    if existing is not None:
        return existing
    box = box_of(poll)
    box.refresh_from_db()
    if ballots.box_state(box) != "closed":
        raise PollError(_("Results are published when voting has closed."))
    spec = spec_of(poll)
    check = ballots.verify_box(box)
    full = counting.recount(spec, check.counted)
    incremental_matches = full == (box.counts or counting.empty_counts(spec))
    result = counting.present(
        spec,
        full,
        weights=poll.weight_map(),
        privacy_minimum=poll.privacy_minimum,
        eligible=None if poll.is_event else eligible_count(poll.rules),
    )
    meta = {
        "poll": poll.title,
        "poll_id": poll.pk,
        "questions": spec,
        "weights": poll.weight_map(),
        "privacy_minimum": poll.privacy_minimum,
        "counting": "single/multiple: one per chosen option; ranking: Borda count",
    }
    with transaction.atomic():
        log = ballots.publish_log(box, meta=meta, privacy_minimum=poll.privacy_minimum)
        result.update(
            {
                "head_hash": log.head_hash,
                "chain_ok": check.ok,
                "chain_problems": check.problems,
                "incremental_matches_recount": incremental_matches,
                "closed_at": (
                    box.closed_at or box.closes_at or timezone.now()
                ).isoformat(),
            }
        )
        final, created = PollResult.objects.get_or_create(
            poll=poll, defaults={"data": json.loads(json.dumps(result))}
        )
        if created:
            _audit(poll, None, "results_published", log.head_hash)
            live.publish_on_commit(poll_topic(poll), "poll.state", {"state": "closed"})
    return final


def finalise_due_polls(now: datetime | None = None) -> int:
    """Publish every poll whose closing time has passed (cron: close_due_polls)."""
    now = now or timezone.now()
    done = 0
    for poll in PollPage.objects.filter(
        box__closes_at__lte=now, box__cancelled_at__isnull=True, final_result=None
    ):
        finalise_poll(poll)
        done += 1
    return done
