"""The secret, recountable ballot that polls and budgets share.

    from polls import ballots

    box = ballots.get_or_create_box("budget.7", allow_change=True, closes_at=...)
    receipt = ballots.cast_ballot(box, user, {"projects": [3, 9]}, tally=my_tally)
    ballots.close_box(box)
    log = ballots.publish_log(box, meta={...})
    check = ballots.verify_log(json.loads(log.json_text))

The voter roll records *that* a voter voted; the ballot records *what* was chosen,
with no column pointing to a voter. Each ballot's hash covers the previous hash, its
sequence number, choices, receipt hash, segment hash and what it replaces, so
changing, deleting or inserting a ballot after the fact breaks the chain (or its
head hash, which the results page shows). Callers check eligibility and validate
choices themselves; this module checks only the box (open, one ballot per voter).
See docs/ballots.md for the design and what it does not protect against.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Ballot, BallotBox, PublishedLog, VoterRollEntry

LOG_FORMAT = "agora-ballot-log/1"
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 16  # 31^16 ≈ 2^79: a receipt hash in the public log can't be reversed
CSV_COLUMNS = [
    "box",
    "seq",
    "replaces",
    "receipt_hash",
    "choices",
    "segment",
    "segment_salt",
    "segment_hash",
    "prev_hash",
    "hash",
]

# tally(counts, choices, segment, sign): update the owner's running counts in place
# (sign +1 for a new ballot, -1 for one being replaced).
Tally = Callable[[dict[str, Any], Any, dict[str, Any], int], None]


class BallotError(Exception):
    """A refused ballot; the message says why and nothing was stored."""

    code = "refused"

    def __init__(self, message: object) -> None:
        self.message = str(message)
        super().__init__(self.message)


class BoxClosed(BallotError):
    code = "closed"


class AlreadyVoted(BallotError):
    code = "already_voted"


class ReceiptNotFound(BallotError):
    code = "receipt_not_found"


@dataclass(frozen=True)
class Receipt:
    """Shown to the voter once; only its hash is stored (on the ballot)."""

    code: str
    seq: int
    box_key: str
    replaced_seq: int | None = None


# --- hashing ---------------------------------------------------------------------


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def genesis_hash(box_key: str) -> str:
    return sha256(f"{LOG_FORMAT}\n{box_key}")


def normalise_receipt(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def receipt_hash(box_key: str, code: str) -> str:
    return sha256(f"agora-receipt/1\n{box_key}\n{normalise_receipt(code)}")


def segment_hash(salt: str, segment: dict[str, Any]) -> str:
    return sha256(f"{salt}\n{canonical(segment)}")


def ballot_hash(
    prev_hash: str,
    seq: int,
    choices: Any,
    receipt_hash_: str,
    segment_hash_: str,
    replaces: int | None,
) -> str:
    return sha256(
        "\n".join(
            [
                prev_hash,
                str(seq),
                canonical(choices),
                receipt_hash_,
                segment_hash_,
                "" if replaces is None else str(replaces),
            ]
        )
    )


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


# --- boxes -----------------------------------------------------------------------


def get_or_create_box(key: str, **defaults: Any) -> BallotBox:
    box, _created = BallotBox.objects.get_or_create(key=key, defaults=defaults)
    return box


def box_state(box: BallotBox, now: datetime | None = None) -> str:
    """ "cancelled", "closed", "not_open" or "open"."""
    now = now or timezone.now()
    if box.cancelled_at:
        return "cancelled"
    if box.closed_at or (box.closes_at and now >= box.closes_at):
        return "closed"
    if box.opens_at is None or now < box.opens_at:
        return "not_open"
    return "open"


def check_box_open(box: BallotBox, now: datetime | None = None) -> None:
    state = box_state(box, now)
    if state == "cancelled":
        raise BoxClosed(_("This vote was cancelled."))
    if state == "closed":
        raise BoxClosed(_("Voting has closed. Your ballot was not counted."))
    if state == "not_open":
        raise BoxClosed(_("Voting has not opened yet."))


def voter_key_for_user(user: Any) -> str:
    return f"u{user.pk}"


def voter_key_for_device(token: str) -> str:
    return "d" + sha256(f"agora-device/1\n{token}")[:40]


def has_voted(box: BallotBox, voter_key: str) -> bool:
    return VoterRollEntry.objects.filter(box=box, voter_key=voter_key).exists()


# --- casting ---------------------------------------------------------------------


def cast_ballot(
    box: BallotBox,
    voter: Any,
    choices: Any,
    *,
    segment: dict[str, Any] | None = None,
    tally: Tally | None = None,
    replacing_receipt: str | None = None,
) -> Receipt:
    """Put one ballot in the box for `voter` (an account, or a voter key string from
    `voter_key_for_device`) and return its receipt.

    One ballot per voter: a second cast raises AlreadyVoted, also when two arrive
    at once (the box row is locked and the roll has a UNIQUE constraint). Where the
    box allows it, a voter replaces their ballot by giving its receipt: the roll
    still does not say which ballot was theirs. On return `box` holds the box as
    this ballot left it (sequence, head hash, running counts).

    Every cast of a box waits for its row lock, so the work between taking it and
    the commit (here, and whatever the caller's transaction adds, such as a live
    event) bounds the box's ballots per second: it is kept to five statements.
    """
    if isinstance(voter, str):
        voter_key, user = voter, None
    else:
        voter_key, user = voter_key_for_user(voter), voter
    segment = dict(segment or {})
    try:
        with transaction.atomic():
            locked = BallotBox.objects.select_for_update().get(pk=box.pk)
            check_box_open(locked)
            old: Ballot | None = None
            if replacing_receipt is not None:
                old = _ballot_to_replace(locked, voter_key, replacing_receipt)
                VoterRollEntry.objects.filter(box=locked, voter_key=voter_key).update(
                    changes=F("changes") + 1
                )
            else:
                # No look first: the roll's UNIQUE constraint refuses a second
                # entry, and this savepoint undoes the attempt.
                VoterRollEntry.objects.create(
                    box=locked, voter_key=voter_key, user=user
                )
            receipt = _append(locked, choices, segment, old)
            if tally is not None:
                counts = dict(locked.counts or {})
                if old is not None:
                    tally(counts, old.choices, old.segment, -1)
                tally(counts, choices, segment, +1)
                locked.counts = counts
            if old is None:
                locked.ballot_count += 1
            locked.save(
                update_fields=["last_seq", "head_hash", "ballot_count", "counts"]
            )
    except IntegrityError:
        # The voter is on the roll already (voted before, or at the same moment).
        raise _already_voted(box) from None
    for name in ("last_seq", "head_hash", "ballot_count", "counts", "closed_at"):
        setattr(box, name, getattr(locked, name))
    return receipt


def _already_voted(box: BallotBox) -> AlreadyVoted:
    if box.allow_change:
        return AlreadyVoted(
            _(
                "You have already voted. To change your ballot, use the receipt you "
                "were given."
            )
        )
    return AlreadyVoted(_("You have already voted; your ballot is counted once."))


def _ballot_to_replace(box: BallotBox, voter_key: str, code: str) -> Ballot:
    if not box.allow_change:
        raise BallotError(_("Ballots cannot be changed in this vote."))
    if not VoterRollEntry.objects.filter(box=box, voter_key=voter_key).exists():
        raise BallotError(_("You have not voted yet, so there is nothing to change."))
    old = Ballot.objects.filter(
        box=box, receipt_hash=receipt_hash(box.key, code)
    ).first()
    if old is None:
        raise ReceiptNotFound(
            _("No ballot has this receipt. Check the code as it was shown to you.")
        )
    if Ballot.objects.filter(box=box, replaces_seq=old.seq).exists():
        raise BallotError(
            _(
                "This ballot was already replaced. Use the receipt of your newest ballot."
            )
        )
    return old


def _append(
    box: BallotBox, choices: Any, segment: dict[str, Any], old: Ballot | None
) -> Receipt:
    seq = box.last_seq + 1
    prev = box.head_hash or genesis_hash(box.key)
    code = new_receipt_code()
    r_hash = receipt_hash(box.key, code)
    salt = secrets.token_hex(16)
    s_hash = segment_hash(salt, segment)
    replaces = old.seq if old is not None else None
    digest = ballot_hash(prev, seq, choices, r_hash, s_hash, replaces)
    Ballot.objects.create(
        box=box,
        seq=seq,
        choices=choices,
        segment=segment,
        segment_salt=salt,
        segment_hash=s_hash,
        receipt_hash=r_hash,
        replaces_seq=replaces,
        prev_hash=prev,
        hash=digest,
    )
    box.last_seq = seq
    box.head_hash = digest
    return Receipt(code=code, seq=seq, box_key=box.key, replaced_seq=replaces)


# --- closing, receipts, counting ---------------------------------------------------


def close_box(box: BallotBox, *, at: datetime | None = None) -> bool:
    """Close now (or record the scheduled close); False if it was already closed."""
    at = at or timezone.now()
    updated = BallotBox.objects.filter(
        pk=box.pk, closed_at__isnull=True, cancelled_at__isnull=True
    ).update(closed_at=at)
    box.refresh_from_db()
    return bool(updated)


def counted_ballots(box: BallotBox) -> Iterable[Ballot]:
    """Every ballot that counts (not replaced), in casting order, streamed."""
    replaced = set(
        Ballot.objects.filter(box=box, replaces_seq__isnull=False).values_list(
            "replaces_seq", flat=True
        )
    )
    for ballot in (
        Ballot.objects.filter(box=box)
        .order_by("seq")
        .only("seq", "choices", "segment")
        .iterator(chunk_size=5000)
    ):
        if ballot.seq not in replaced:
            yield ballot


@dataclass(frozen=True)
class ReceiptStatus:
    seq: int
    choices: Any
    replaced_by: int | None
    counted: bool


def find_receipt(box: BallotBox, code: str) -> ReceiptStatus | None:
    ballot = Ballot.objects.filter(
        box=box, receipt_hash=receipt_hash(box.key, code)
    ).first()
    if ballot is None:
        return None
    later = (
        Ballot.objects.filter(box=box, replaces_seq=ballot.seq)
        .values_list("seq", flat=True)
        .first()
    )
    return ReceiptStatus(
        seq=ballot.seq, choices=ballot.choices, replaced_by=later, counted=later is None
    )


# --- the published log and its verification -----------------------------------------


def _suppressed_segments(box: BallotBox, minimum: int) -> dict[str, set[Any]]:
    """Segment values held by fewer than `minimum` counted ballots: left out of the
    log (their salted hash stays), so a small group's ballots can't be picked out."""
    per_key: dict[str, Counter[Any]] = {}
    for ballot in counted_ballots(box):
        for key, value in (ballot.segment or {}).items():
            per_key.setdefault(key, Counter())[value] += 1
    return {
        key: {value for value, n in counter.items() if n < minimum}
        for key, counter in per_key.items()
    }


def log_rows(box: BallotBox, *, privacy_minimum: int = 0) -> list[dict[str, Any]]:
    small = _suppressed_segments(box, privacy_minimum) if privacy_minimum else {}
    rows = []
    for ballot in Ballot.objects.filter(box=box).order_by("seq").iterator(5000):
        segment = ballot.segment or {}
        hidden = any(value in small.get(key, ()) for key, value in segment.items())
        rows.append(
            {
                "seq": ballot.seq,
                "replaces": ballot.replaces_seq,
                "receipt_hash": ballot.receipt_hash,
                "choices": ballot.choices,
                "segment": None if hidden else segment,
                "segment_salt": None if hidden else ballot.segment_salt,
                "segment_hash": ballot.segment_hash,
                "prev_hash": ballot.prev_hash,
                "hash": ballot.hash,
            }
        )
    return rows


def build_log(
    box: BallotBox, *, meta: dict[str, Any] | None = None, privacy_minimum: int = 0
) -> dict[str, Any]:
    rows = log_rows(box, privacy_minimum=privacy_minimum)
    replaced = {row["replaces"] for row in rows if row["replaces"] is not None}
    return {
        "format": LOG_FORMAT,
        "box": box.key,
        "meta": meta or {},
        "head_hash": box.head_hash or genesis_hash(box.key),
        "ballot_count": sum(1 for row in rows if row["seq"] not in replaced),
        "ballots": rows,
    }


def log_to_csv(log: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in log["ballots"]:
        writer.writerow(
            [
                log["box"],
                row["seq"],
                "" if row["replaces"] is None else row["replaces"],
                row["receipt_hash"],
                canonical(row["choices"]),
                "" if row["segment"] is None else canonical(row["segment"]),
                row["segment_salt"] or "",
                row["segment_hash"],
                row["prev_hash"],
                row["hash"],
            ]
        )
    return out.getvalue()


def log_from_csv(text: str) -> dict[str, Any]:
    """Read a published CSV log back into the JSON log's shape (without meta)."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    box = ""
    for record in reader:
        box = record["box"]
        rows.append(
            {
                "seq": int(record["seq"]),
                "replaces": int(record["replaces"]) if record["replaces"] else None,
                "receipt_hash": record["receipt_hash"],
                "choices": json.loads(record["choices"]),
                "segment": json.loads(record["segment"]) if record["segment"] else None,
                "segment_salt": record["segment_salt"] or None,
                "segment_hash": record["segment_hash"],
                "prev_hash": record["prev_hash"],
                "hash": record["hash"],
            }
        )
    return {"format": LOG_FORMAT, "box": box, "meta": {}, "ballots": rows}


def publish_log(
    box: BallotBox, *, meta: dict[str, Any] | None = None, privacy_minimum: int = 0
) -> PublishedLog:
    """Publish the closed box's log once; later calls return the same, final log."""
    existing = PublishedLog.objects.filter(box=box).first()
    if existing is not None:
        return existing
    if box_state(box) != "closed":
        raise BallotError(_("The ballot log is published when voting has closed."))
    log = build_log(box, meta=meta, privacy_minimum=privacy_minimum)
    try:
        with transaction.atomic():
            return PublishedLog.objects.create(
                box=box,
                head_hash=log["head_hash"],
                ballot_count=log["ballot_count"],
                json_text=json.dumps(log, ensure_ascii=False, indent=1),
                csv_text=log_to_csv(log),
            )
    except IntegrityError:
        return PublishedLog.objects.get(box=box)


@dataclass
class LogCheck:
    """What verifying a ballot log found: `ok` only if every check passed."""

    box: str
    ballots_in_log: int = 0
    counted: list[dict[str, Any]] = field(default_factory=list)
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(log: dict[str, Any], *, expected_head: str | None = None) -> LogCheck:
    """Check a ballot log from anywhere (the published file, or the database): the
    chain from the genesis hash, every ballot's hash, the sequence, what replaced
    what, shown segments against their hashes, and the head hash and count it
    claims. Returns the counted ballots for a recount."""
    box_key = str(log.get("box", ""))
    check = LogCheck(box=box_key)
    if log.get("format") != LOG_FORMAT:
        check.problems.append(f"unknown format {log.get('format')!r}")
        return check
    prev = genesis_hash(box_key)
    replaced: dict[int, int] = {}
    rows = log.get("ballots") or []
    for expected_seq, row in enumerate(rows, start=1):
        seq = row.get("seq")
        if seq != expected_seq:
            check.problems.append(
                f"ballot #{seq}: expected #{expected_seq} (a ballot is missing or "
                "was inserted)"
            )
        if row.get("prev_hash") != prev:
            check.problems.append(f"ballot #{seq}: does not follow the one before it")
        digest = ballot_hash(
            prev,
            seq,
            row.get("choices"),
            row.get("receipt_hash", ""),
            row.get("segment_hash", ""),
            row.get("replaces"),
        )
        if digest != row.get("hash"):
            check.problems.append(f"ballot #{seq}: its content does not match its hash")
        if row.get("segment") is not None and (
            segment_hash(row.get("segment_salt") or "", row["segment"])
            != row.get("segment_hash")
        ):
            check.problems.append(f"ballot #{seq}: its segment does not match its hash")
        target = row.get("replaces")
        if target is not None:
            if not isinstance(target, int) or not 1 <= target < expected_seq:
                check.problems.append(f"ballot #{seq}: replaces no earlier ballot")
            elif target in replaced:
                check.problems.append(
                    f"ballot #{seq}: replaces #{target} a second time"
                )
            else:
                replaced[target] = seq
        prev = row.get("hash", "")
    check.ballots_in_log = len(rows)
    check.head_hash = prev
    check.counted = [
        {"seq": row["seq"], "choices": row["choices"], "segment": row.get("segment")}
        for row in rows
        if row.get("seq") not in replaced
    ]
    claimed_head = log.get("head_hash")
    if claimed_head is not None and claimed_head != prev:
        check.problems.append("the head hash does not match the last ballot")
    if expected_head is not None and expected_head != prev:
        check.problems.append(
            "the head hash differs from the one published "
            f"({expected_head[:16]}… ≠ {prev[:16]}…)"
        )
    if "ballot_count" in log and log["ballot_count"] != len(check.counted):
        check.problems.append(
            f"the log claims {log['ballot_count']} ballots, {len(check.counted)} count"
        )
    return check


def verify_box(box: BallotBox) -> LogCheck:
    """Check the stored ballots against the box's own head hash and voter roll:
    catches a ballot changed, deleted or inserted in the database."""
    box.refresh_from_db()
    log = build_log(box)
    check = verify_log(log, expected_head=box.head_hash or genesis_hash(box.key))
    if check.ballots_in_log != box.last_seq:
        check.problems.append(
            f"{check.ballots_in_log} ballots stored, {box.last_seq} were cast"
        )
    roll = VoterRollEntry.objects.filter(box=box).count()
    if roll != len(check.counted):
        check.problems.append(
            f"the voter roll has {roll} voters, {len(check.counted)} ballots count"
        )
    published = PublishedLog.objects.filter(box=box).first()
    if published is not None and published.head_hash != check.head_hash:
        check.problems.append("the stored ballots differ from the published log")
    return check
