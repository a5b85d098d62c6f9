"""Whether a resident may take part now: suspensions and bans, told with why and until when.

Every app's check_ actions call `check_can_participate(user)` (and screening does
too), so a suspended resident hears the same clear message on every refused action.
"""

from typing import Any

from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Sanction, SanctionKind


class ParticipationRefused(Exception):
    """The account is suspended or banned; the message says why and until when."""


def active_sanction(user: Any) -> Sanction | None:
    """The suspension or ban in force for `user`, if any (one query, kept on the user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = user.__dict__.get("_agora_sanction", False)
    if cached is not False:
        return cached
    now = timezone.now()
    sanction = (
        Sanction.objects.filter(
            user_id=user.pk,
            kind__in=[SanctionKind.SUSPENSION, SanctionKind.BAN],
            lifted_at__isnull=True,
        )
        .filter(Q(until__isnull=True) | Q(until__gt=now))
        # A ban outweighs a suspension; of suspensions the one that ends last.
        .order_by(
            Case(When(kind=SanctionKind.BAN, then=0), default=1),
            F("until").desc(nulls_first=True),
        )
        .first()
    )
    user.__dict__["_agora_sanction"] = sanction
    return sanction


def reader_check(user: Any, noted: dict[str, Any]) -> dict[str, Any]:
    """For pages residents share (accounts.sharedpages): a suspended or banned
    reader is told so where the stand-in is offered forms."""
    from django.db import connection

    from accounts.sharedpages import rows

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return {
        "differs_sanction": rows(
            Sanction,
            user_id=user.pk,
            kind=[SanctionKind.SUSPENSION.value, SanctionKind.BAN.value],
            where="lifted_at IS NULL AND (until IS NULL OR until > %s)",
            params=[now],
        )
    }


def forget_sanction(user: Any) -> None:
    user.__dict__.pop("_agora_sanction", None)


def refusal_message(sanction: Sanction) -> str:
    if sanction.kind == SanctionKind.BAN or sanction.until is None:
        return _(
            "Your account is banned from taking part, so this cannot be done. "
            "Reason given by the moderators: %(reason)s"
        ) % {"reason": sanction.reason}
    until = date_format(timezone.localtime(sanction.until), "DATETIME_FORMAT")
    return _(
        "Your account is suspended until %(until)s, so this cannot be done until "
        "then. Reason given by the moderators: %(reason)s"
    ) % {"until": until, "reason": sanction.reason}


def check_can_participate(user: Any) -> None:
    """Raise ParticipationRefused (with why and until when) if `user` may not act now."""
    sanction = active_sanction(user)
    if sanction is not None:
        raise ParticipationRefused(refusal_message(sanction))
