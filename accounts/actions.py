"""Every change of state about accounts goes through here (check_* validates, do_* writes)."""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

import live

from . import inbox, privacy
from . import verification as vf
from .models import (
    AccessCode,
    Notification,
    RegisterEntry,
    User,
    Verification,
    VerificationAudit,
    VerificationMethod,
    recipient_language,
)
from .roles import Role, has_role
from .topics import user_topic

logger = logging.getLogger(__name__)


class AccountError(Exception):
    """A refusal the person can act on; the message is shown to them."""


def check_update_profile(actor: User, target: User) -> None:
    if not actor.is_authenticated or actor.pk != target.pk:
        raise PermissionDenied(_("You can only change your own profile."))


def do_update_profile(actor: User, target: User, **fields: Any) -> User:
    check_update_profile(actor, target)
    allowed = {
        "display_name",
        "preferred_language",
        "email_notifications",
        "stakeholder_group",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(target, name, value)
        target.full_clean(exclude=["password"])
        target.save(update_fields=sorted(fields))
    return target


def check_change_avatar(actor: User, target: User) -> None:
    check_update_profile(actor, target)


def do_change_avatar(actor: User, target: User, upload: Any | None) -> User:
    """Set (a cleaned copy of `upload`) or, with None, remove the profile picture.
    Raises AccountError with a message the person can act on."""
    from .avatars import AvatarRefused, clean_avatar

    check_change_avatar(actor, target)
    clean = None
    if upload is not None:
        try:
            clean = clean_avatar(upload)
        except AvatarRefused as exc:
            raise AccountError(str(exc)) from exc
    old = target.avatar.name if target.avatar else ""
    with transaction.atomic():
        if clean is not None:
            target.avatar.save(clean.name, clean, save=False)
        else:
            target.avatar = ""
        target.save(update_fields=["avatar"])
    if old and old != target.avatar.name:
        target.avatar.storage.delete(old)
    return target


def do_grant_role(user: User, role: Role) -> bool:
    """Give `user` the role; returns False if they had it already.

    The groups carry the permissions (see migrations/0002_roles.py): staff
    roles include Wagtail's access_admin, so no is_staff flag is involved.
    """
    group, _created = Group.objects.get_or_create(name=role.value)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    user.__dict__.pop("_agora_roles", None)
    return True


def do_revoke_role(user: User, role: Role) -> bool:
    group = Group.objects.filter(name=role.value).first()
    if group is None or not user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.remove(group)
    user.__dict__.pop("_agora_roles", None)
    return True


def export_personal_data(user: User) -> dict[str, Any]:
    """Everything Agora holds about `user`, from every app that registered a section."""
    data: dict[str, Any] = {
        "format": "agora-personal-data/1",
        "exported_at": timezone.now().isoformat(),
    }
    for section, exporter in privacy.exporters().items():
        data[section] = exporter(user)
    return data


def check_delete_account(actor: User, target: User, password: str) -> None:
    if not actor.is_authenticated or actor.pk != target.pk:
        raise PermissionDenied(_("You can only delete your own account."))
    if not target.check_password(password):
        raise AccountError(
            _("That password is not right. Enter your current password to confirm.")
        )
    if target.is_superuser:
        raise AccountError(
            _(
                "This is a superuser account. Ask another administrator to remove "
                "its rights first, so the city is never left without one."
            )
        )


def do_delete_account(actor: User, target: User, password: str) -> None:
    """Remove the account; what the person wrote stays, shown as by a former resident."""
    check_delete_account(actor, target, password)
    with transaction.atomic():
        for name, eraser in privacy.erasers().items():
            logger.debug("erasing %s for account %s", name, target.pk)
            eraser(target)
        picture = target.avatar.name if target.avatar else ""
        target.delete()
    if picture:
        target.avatar.storage.delete(picture)


def do_notify(
    recipient: User,
    kind: str,
    text: str | Callable[[], str],
    url: str = "",
    actor: User | None = None,
) -> Notification | None:
    """Put a line in the recipient's inbox. Nobody is notified of their own doing.

    Pass `text` as a function that translates it (`lambda: _("…") % {…}`): it is
    called in the recipient's language, not in the language of whoever acted.

    Emits notification.created on user.<id> with the inbox line (the inbox's own
    template, in the recipient's language) and the new unread count for the badge.
    """
    if actor is not None and actor.pk == recipient.pk:
        return None
    if callable(text):
        with translation.override(recipient_language(recipient)):
            text = text()
    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=recipient, actor=actor, kind=kind, text=text[:500], url=url
        )
        inbox.changed_on_commit(recipient.pk)
        unread = Notification.objects.unread().filter(recipient=recipient).count()
        topic = user_topic(recipient.pk)
        with translation.override(recipient_language(recipient)):
            html = render_to_string(
                "accounts/notification.html", {"notification": notification}
            )
        live.publish_on_commit(
            topic,
            "notification.created",
            {
                "html": html,
                "mode": "prepend",
                "list": f"{topic}:notifications",
                "counts": {"unread": unread},
                "announce": notification.text,
            },
        )
    return notification


def do_mark_notifications_read(
    user: User, notification_ids: list[int] | None = None
) -> int:
    """Mark the given (or all) of the user's unread notifications as read.

    Emits notification.read with the unread count left, so the badge in the
    person's other tabs follows.
    """
    with transaction.atomic():
        qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
        if notification_ids is not None:
            qs = qs.filter(pk__in=notification_ids)
        count = qs.update(read_at=timezone.now())
        if count:
            inbox.changed_on_commit(user.pk)
            unread = Notification.objects.unread().filter(recipient=user).count()
            live.publish_on_commit(
                user_topic(user.pk), "notification.read", {"counts": {"unread": unread}}
            )
    return count


# --- verification of residents ---------------------------------------------------


class VerificationFailed(vf.VerificationError):
    """Details or a code that matched nothing: counts towards the failure limits."""


class VerificationReused(vf.VerificationError):
    """An entry or code that already verified another account: staff are told."""


def _audit(
    kind: str,
    *,
    actor: User | None = None,
    subject: User | None = None,
    method: str = "",
    detail: str = "",
    ip: str = "",
) -> VerificationAudit:
    return VerificationAudit.objects.create(
        kind=kind,
        actor=actor,
        subject=subject,
        method=method,
        detail=detail[:500],
        ip_hash=vf.keyed_hash("ip", ip)[:16] if ip else "",
    )


def check_manage_verification(actor: User) -> None:
    """Register uploads, access letters, desk checks and revocations: city staff."""
    if not getattr(actor, "is_authenticated", False) or not has_role(
        actor, Role.CITY_ADMIN
    ):
        raise PermissionDenied(
            _("Only city administrators can manage the verification of residents.")
        )


def do_upload_register(
    actor: User, text: str, *, keep: list[str], batch: str
) -> tuple[int, list[str]]:
    """Store a register as keyed hashes. Returns (rows stored, problems); with any
    problem nothing is stored, so a register is either wholly in or not at all."""
    check_manage_verification(actor)
    rows, problems = vf.parse_register(text, keep)
    if problems:
        return 0, problems
    if not rows:
        return 0, [str(_("The register has no rows."))]
    known = set(
        RegisterEntry.objects.filter(
            lookup_hash__in=[r.lookup_hash for r in rows]
        ).values_list("lookup_hash", flat=True)
    )
    fresh = [r for r in rows if r.lookup_hash not in known]
    with transaction.atomic():
        RegisterEntry.objects.bulk_create(
            [
                RegisterEntry(
                    batch=batch[:100],
                    lookup_hash=r.lookup_hash,
                    district=r.district,
                    birth_year=r.birth_year,
                    stakeholder_group=r.stakeholder_group,
                    uploaded_by=actor,
                )
                for r in fresh
            ],
            batch_size=2000,
        )
        _audit(
            VerificationAudit.Kind.REGISTER_UPLOADED,
            actor=actor,
            method=VerificationMethod.REGISTER,
            detail=(
                f"{batch[:100]}: {len(fresh)} new entries, {len(known)} already "
                f"known; kept {', '.join(sorted(keep)) or 'no attributes'}"
            ),
        )
    return len(fresh), []


def do_generate_access_codes(
    actor: User, *, district: str, count: int, batch: str
) -> list[str]:
    """Make `count` one-time codes for a district. The codes are returned once (for
    the printed sheet) and stored only as keyed hashes."""
    check_manage_verification(actor)
    if not 1 <= count <= vf.MAX_CODES_PER_BATCH:
        raise vf.VerificationError(
            _("Generate between 1 and %(max)s codes at a time.")
            % {"max": vf.MAX_CODES_PER_BATCH}
        )
    codes = [vf.new_access_code() for _i in range(count)]
    with transaction.atomic():
        AccessCode.objects.bulk_create(
            [
                AccessCode(
                    batch=batch[:100],
                    code_hash=vf.code_hash(code),
                    district=district[:100],
                    created_by=actor,
                )
                for code in codes
            ]
        )
        _audit(
            VerificationAudit.Kind.CODES_GENERATED,
            actor=actor,
            method=VerificationMethod.ACCESS_CODE,
            detail=f"{batch[:100]}: {count} codes for {district[:100] or '-'}",
        )
    return codes


def check_verify_self(user: User) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Please log in to verify your account."))
    vf.forget_cached_verification(user)
    if vf.active_verification(user) is not None:
        raise vf.VerificationError(_("Your account is already verified."))


def _tell_staff(text: str) -> None:
    for admin in User.objects.filter(
        groups__name=Role.CITY_ADMIN.value, is_active=True
    ).distinct():
        do_notify(admin, "verification.reuse", text, url="/admin/")


def _refuse_reuse(user: User, method: str, ip: str) -> None:
    _audit(
        VerificationAudit.Kind.REUSE_REFUSED,
        subject=user,
        method=method,
        ip=ip,
        detail="an entry or code that already verified another account",
    )
    _tell_staff(
        str(
            _(
                "A second account (%(email)s) tried to verify with a %(method)s that "
                "has already been used. Check the verification audit."
            )
        )
        % {"email": user.email, "method": vf.METHOD_LABELS[method]}
    )
    raise VerificationReused(
        _(
            "This has already been used to verify another account, so it cannot "
            "verify this one. City staff have been told; if it was yours, visit a "
            "city desk."
        )
    )


def _create_verification(user: User, **fields: Any) -> Verification:
    try:
        with transaction.atomic():
            verification = Verification.objects.create(user=user, **fields)
    except IntegrityError:
        raise vf.VerificationError(_("Your account is already verified.")) from None
    vf.forget_cached_verification(user)
    return verification


def do_verify_by_register(
    user: User, details: dict[str, str], *, ip: str = ""
) -> Verification:
    """Find the resident's register entry by the keyed hash of what they typed."""
    check_verify_self(user)
    digest = vf.register_hash(details)
    entry = RegisterEntry.objects.filter(lookup_hash=digest).first()
    if entry is None:
        _audit(
            VerificationAudit.Kind.FAILED,
            subject=user,
            method=VerificationMethod.REGISTER,
            ip=ip,
        )
        raise VerificationFailed(
            _(
                "These details do not match the register. Check them against your "
                "document (the date as on it, e.g. 1990-04-23) and try again."
            )
        )
    with transaction.atomic():
        claimed = RegisterEntry.objects.filter(
            pk=entry.pk, used_by__isnull=True
        ).update(used_by=user, used_at=timezone.now())
        if claimed:
            verification = _create_verification(
                user,
                method=VerificationMethod.REGISTER,
                district=entry.district,
                birth_year=entry.birth_year,
                stakeholder_group=entry.stakeholder_group,
                register_entry=entry,
            )
            _audit(
                VerificationAudit.Kind.VERIFIED,
                subject=user,
                method=VerificationMethod.REGISTER,
                ip=ip,
                detail=f"register {entry.batch}",
            )
            return verification
    _refuse_reuse(user, VerificationMethod.REGISTER, ip)
    raise AssertionError("unreachable")


def do_verify_by_access_code(user: User, code: str, *, ip: str = "") -> Verification:
    check_verify_self(user)
    access = AccessCode.objects.filter(code_hash=vf.code_hash(code)).first()
    if access is None:
        _audit(
            VerificationAudit.Kind.FAILED,
            subject=user,
            method=VerificationMethod.ACCESS_CODE,
            ip=ip,
        )
        raise VerificationFailed(
            _(
                "This access code is not right. Type it as printed on your letter "
                "(capital letters and digits; the dashes do not matter)."
            )
        )
    with transaction.atomic():
        claimed = AccessCode.objects.filter(pk=access.pk, used_by__isnull=True).update(
            used_by=user, used_at=timezone.now()
        )
        if claimed:
            verification = _create_verification(
                user,
                method=VerificationMethod.ACCESS_CODE,
                district=access.district,
                access_code=access,
            )
            _audit(
                VerificationAudit.Kind.VERIFIED,
                subject=user,
                method=VerificationMethod.ACCESS_CODE,
                ip=ip,
                detail=f"access letters {access.batch}",
            )
            return verification
    _refuse_reuse(user, VerificationMethod.ACCESS_CODE, ip)
    raise AssertionError("unreachable")


def do_verify_at_desk(
    actor: User,
    subject: User,
    *,
    note: str,
    district: str = "",
    birth_year: int | None = None,
    stakeholder_group: str = "",
) -> Verification:
    """A staff member verifies a person they have seen; the note goes in the audit."""
    check_manage_verification(actor)
    if not note.strip():
        raise vf.VerificationError(
            _("Write a note: which document you saw, or why you verify this person.")
        )
    if stakeholder_group and stakeholder_group not in dict(
        User.StakeholderGroup.choices
    ):
        raise vf.VerificationError(_("Choose a stakeholder group from the list."))
    vf.forget_cached_verification(subject)
    if vf.active_verification(subject) is not None:
        raise vf.VerificationError(
            _("This account is already verified. Revoke that verification first.")
        )
    with transaction.atomic():
        verification = _create_verification(
            subject,
            method=VerificationMethod.DESK,
            district=district[:100],
            birth_year=birth_year,
            stakeholder_group=stakeholder_group,
            verified_by=actor,
            note=note[:500],
        )
        _audit(
            VerificationAudit.Kind.VERIFIED,
            actor=actor,
            subject=subject,
            method=VerificationMethod.DESK,
            detail=note,
        )
    return verification


def do_revoke_verification(
    actor: User, verification: Verification, *, reason: str
) -> Verification:
    """Staff withdraw a verification; its history stays. The register entry or code
    stays used: a wrongly verified person comes back through a desk."""
    check_manage_verification(actor)
    if not reason.strip():
        raise vf.VerificationError(_("Say why the verification is revoked."))
    with transaction.atomic():
        updated = Verification.objects.filter(
            pk=verification.pk, revoked_at__isnull=True
        ).update(
            revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason[:500]
        )
        if not updated:
            raise vf.VerificationError(_("This verification was already revoked."))
        _audit(
            VerificationAudit.Kind.REVOKED,
            actor=actor,
            subject=verification.user,
            method=verification.method,
            detail=reason,
        )
    verification.refresh_from_db()
    vf.forget_cached_verification(verification.user)
    return verification
