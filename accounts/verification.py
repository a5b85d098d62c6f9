"""Verified residents: keyed hashes of register entries and access codes, and the one
eligibility check that polls and budgets call before a binding vote.

The writes (upload a register, generate codes, verify, revoke) are actions in
`accounts.actions`; this module holds what they share and what other apps read:

    from accounts.verification import Eligibility, NotEligible, check_eligible

    rules = Eligibility(verified_only=True, districts=("North",), min_age=16)
    check_eligible(user, rules)   # raises NotEligible with a message saying why

Identifiers (document number, date of birth, postcode…) are never stored: only
HMAC-SHA256 digests under a key derived from SECRET_KEY (or AGORA_VERIFICATION_KEY),
so a copy of the database alone does not reveal or confirm anyone's details.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import User, Verification, VerificationMethod

# What a resident types to find their register entry; a city may name others.
DEFAULT_REGISTER_FIELDS = ("document_number", "date_of_birth", "postcode")
# Attributes a register may carry and the city may choose to keep.
REGISTER_ATTRIBUTES = ("district", "year_of_birth", "stakeholder_group")
MAX_REGISTER_ROWS = 500_000
MAX_CODES_PER_BATCH = 5_000
# Codes avoid letters and digits that are easily confused on paper (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31^12 ≈ 2^59: guessing one of 5,000 codes at 20/h is hopeless


class VerificationError(Exception):
    """A refusal the person can act on; the message is shown to them."""


class NotEligible(Exception):
    """The account may not take part in this decision; the message says why."""

    def __init__(self, message: object) -> None:
        self.message = str(message)
        super().__init__(self.message)


def register_fields() -> tuple[str, ...]:
    return tuple(getattr(settings, "AGORA_REGISTER_FIELDS", DEFAULT_REGISTER_FIELDS))


def _key() -> bytes:
    explicit = getattr(settings, "AGORA_VERIFICATION_KEY", "")
    if explicit:
        return explicit.encode()
    # Derived, so that the register's hashes are not the SECRET_KEY's own HMACs
    # used elsewhere (sessions, signing). Rotating SECRET_KEY without setting
    # AGORA_VERIFICATION_KEY makes uploaded registers and unused codes unusable.
    return hmac.new(
        settings.SECRET_KEY.encode(), b"agora.verification.v1", hashlib.sha256
    ).digest()


def keyed_hash(purpose: str, value: str) -> str:
    return hmac.new(
        _key(), f"{purpose}\x00{value}".encode(), hashlib.sha256
    ).hexdigest()


def normalise(name: str, value: str) -> str:
    """The canonical form of one identifying detail, so "ab 12-34" matches "AB1234"."""
    value = unicodedata.normalize("NFKC", value or "").strip().casefold()
    if name.startswith("date"):
        parsed = parse_date(value)
        return parsed.isoformat() if parsed else value
    return re.sub(r"[\s\-./]", "", value)


def parse_date(value: str) -> date | None:
    value = value.strip()
    for pattern, order in (
        (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"),
        (r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$", "dmy"),
    ):
        match = re.match(pattern, value)
        if match:
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def register_hash(details: dict[str, str]) -> str:
    fields = register_fields()
    joined = "\x1f".join(normalise(name, details.get(name, "")) for name in fields)
    return keyed_hash("register", joined)


def code_hash(code: str) -> str:
    return keyed_hash("access-code", normalise_code(code))


def normalise_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def new_access_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


@dataclass(frozen=True)
class RegisterRow:
    lookup_hash: str
    district: str = ""
    birth_year: int | None = None
    stakeholder_group: str = ""


def parse_register(
    text: str, keep: Iterable[str]
) -> tuple[list[RegisterRow], list[str]]:
    """Read a register CSV into hashed rows. Returns (rows, problems); problems name
    the line and what is wrong, and a register with problems is not stored at all."""
    keep = set(keep)
    fields = register_fields()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = {h.strip().lower() for h in (reader.fieldnames or [])}
    missing = [name for name in fields if name not in headers]
    if missing:
        return [], [
            str(_("The register has no column %(columns)s."))
            % {"columns": ", ".join(missing)}
        ]
    groups = {value for value, _label in User.StakeholderGroup.choices}
    rows: list[RegisterRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_REGISTER_ROWS:
            problems.append(str(_("A register may hold at most 500,000 rows.")))
            break
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(record.get(name) for name in fields):
            continue
        empty = [name for name in fields if not record.get(name)]
        if empty:
            problems.append(
                str(_("Line %(line)s: %(columns)s is empty."))
                % {"line": line, "columns": ", ".join(empty)}
            )
            continue
        birth_year = None
        if "year_of_birth" in keep and record.get("year_of_birth"):
            if not record["year_of_birth"].isdigit():
                problems.append(
                    str(_("Line %(line)s: the year of birth is not a year."))
                    % {"line": line}
                )
                continue
            birth_year = int(record["year_of_birth"])
        group = (
            record.get("stakeholder_group", "") if "stakeholder_group" in keep else ""
        )
        if group and group not in groups:
            problems.append(
                str(_("Line %(line)s: unknown stakeholder group %(group)s."))
                % {"line": line, "group": group[:40]}
            )
            continue
        digest = register_hash(record)
        if digest in seen:
            problems.append(
                str(_("Line %(line)s repeats an earlier resident.")) % {"line": line}
            )
            continue
        seen.add(digest)
        rows.append(
            RegisterRow(
                lookup_hash=digest,
                district=record.get("district", "")[:100] if "district" in keep else "",
                birth_year=birth_year,
                stakeholder_group=group,
            )
        )
    return rows, problems


# --- reading: who is verified, and may they take part? -------------------------


def active_verification(user: object) -> Verification | None:
    """The account's current verification, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_agora_verification"):
        user._agora_verification = (  # type: ignore[attr-defined]
            Verification.objects.filter(
                user_id=user.pk,  # type: ignore[attr-defined]
                revoked_at__isnull=True,
            ).first()
        )
    return user._agora_verification  # type: ignore[attr-defined]


def forget_cached_verification(user: object) -> None:
    if user is not None:
        user.__dict__.pop("_agora_verification", None)


def age_in_year(birth_year: int, today: date | None = None) -> int:
    """The age a resident born in `birth_year` reaches this calendar year.

    Only the year of birth is kept, so a minimum age counts as met from
    1 January of the year in which the resident reaches it."""
    return (today or timezone.localdate()).year - birth_year


@dataclass(frozen=True)
class Eligibility:
    """Who may take part in a decision. Any rule on attributes implies verification:
    only attributes confirmed by a verification path count, never self-declared ones."""

    verified_only: bool = True
    districts: Sequence[str] = field(default_factory=tuple)
    min_age: int | None = None
    stakeholder_groups: Sequence[str] = field(default_factory=tuple)

    @property
    def needs_verification(self) -> bool:
        return bool(
            self.verified_only
            or self.districts
            or self.min_age
            or self.stakeholder_groups
        )

    def describe(self) -> list[str]:
        """The rules in words, for the page that asks people to take part."""
        lines: list[str] = []
        if self.needs_verification:
            lines.append(str(_("Verified residents")))
        else:
            lines.append(str(_("Anyone with an account")))
        if self.districts:
            lines.append(
                str(_("Living in: %(districts)s"))
                % {"districts": ", ".join(self.districts)}
            )
        if self.min_age:
            lines.append(str(_("Aged %(age)s or over")) % {"age": self.min_age})
        if self.stakeholder_groups:
            labels = dict(User.StakeholderGroup.choices)
            lines.append(
                str(_("Stakeholder groups: %(groups)s"))
                % {
                    "groups": ", ".join(
                        str(labels.get(g, g)) for g in self.stakeholder_groups
                    )
                }
            )
        return lines


def check_eligible(user: object, rules: Eligibility) -> Verification | None:
    """Raise NotEligible saying why `user` may not take part; else return their
    active verification (None when the rules need none and they have none)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotEligible(_("Please log in to take part."))
    if not getattr(user, "is_active", False):
        raise NotEligible(_("This account is not active."))
    verification = active_verification(user)
    if not rules.needs_verification:
        return verification
    if verification is None:
        raise NotEligible(
            _(
                "Only verified residents may take part. Verify your account on your "
                "profile page with a register check, an access letter or at a city desk."
            )
        )
    if rules.districts and verification.district not in rules.districts:
        if not verification.district:
            raise NotEligible(
                _(
                    "This vote is for residents of %(districts)s, and your "
                    "verification does not say where you live. Ask at a city desk."
                )
                % {"districts": ", ".join(rules.districts)}
            )
        raise NotEligible(
            _("This vote is for residents of %(districts)s; you are verified in %(d)s.")
            % {"districts": ", ".join(rules.districts), "d": verification.district}
        )
    if rules.min_age:
        if verification.birth_year is None:
            raise NotEligible(
                _(
                    "This vote is for residents aged %(age)s or over, and your "
                    "verification does not include your year of birth."
                )
                % {"age": rules.min_age}
            )
        if age_in_year(verification.birth_year) < rules.min_age:
            raise NotEligible(
                _("This vote is for residents aged %(age)s or over.")
                % {"age": rules.min_age}
            )
    if rules.stakeholder_groups and (
        verification.stakeholder_group not in rules.stakeholder_groups
    ):
        labels = dict(User.StakeholderGroup.choices)
        raise NotEligible(
            _(
                "This vote is for these stakeholder groups: %(groups)s. Your "
                "verification does not confirm one of them."
            )
            % {
                "groups": ", ".join(
                    str(labels.get(g, g)) for g in rules.stakeholder_groups
                )
            }
        )
    return verification


def is_eligible(user: object, rules: Eligibility) -> bool:
    try:
        check_eligible(user, rules)
    except NotEligible:
        return False
    return True


def eligible_count(rules: Eligibility) -> int | None:
    """How many accounts the rules admit today (turnout's denominator); one query."""
    if not rules.needs_verification:
        return User.objects.filter(is_active=True).count()
    qs = Verification.objects.filter(revoked_at__isnull=True, user__is_active=True)
    if rules.districts:
        qs = qs.filter(district__in=list(rules.districts))
    if rules.min_age:
        qs = qs.filter(
            birth_year__lte=timezone.localdate().year - rules.min_age,
        )
    if rules.stakeholder_groups:
        qs = qs.filter(stakeholder_group__in=list(rules.stakeholder_groups))
    return qs.count()


def what_it_allows(verification: Verification | None) -> list[str]:
    """For the profile: what this verification lets its holder do."""
    if verification is None:
        return [
            str(_("You can propose, support and discuss ideas.")),
            str(
                _(
                    "Polls and budgets for verified residents need a verification: "
                    "use your details from the register, an access letter, or visit "
                    "a city desk."
                )
            ),
        ]
    lines = [
        str(_("You can vote in polls and budgets open to verified residents.")),
    ]
    if verification.district:
        lines.append(
            str(_("Including those for residents of %(district)s."))
            % {"district": verification.district}
        )
    if verification.birth_year:
        lines.append(
            str(_("Minimum ages are checked against your year of birth (%(year)s)."))
            % {"year": verification.birth_year}
        )
    if verification.stakeholder_group:
        labels = dict(User.StakeholderGroup.choices)
        lines.append(
            str(_("Your votes count in the share of the group: %(group)s."))
            % {
                "group": labels.get(
                    verification.stakeholder_group, verification.stakeholder_group
                )
            }
        )
    return lines


METHOD_LABELS = dict(VerificationMethod.choices)


def export_verifications(user: User) -> list[dict[str, object]]:
    """The "download my data" section: every verification, active or revoked."""
    return [
        {
            "path": v.method,
            "district": v.district,
            "birth_year": v.birth_year,
            "stakeholder_group": v.stakeholder_group,
            "verified_at": v.verified_at.isoformat(),
            "revoked_at": v.revoked_at.isoformat() if v.revoked_at else None,
        }
        for v in Verification.objects.filter(user=user).order_by("verified_at")
    ]
