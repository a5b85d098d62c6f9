"""Every change of state about accounts goes through here (check_* validates, do_* writes)."""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

import live

from . import privacy
from .models import Notification, User, recipient_language
from .roles import Role
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
        target.delete()


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
            unread = Notification.objects.unread().filter(recipient=user).count()
            live.publish_on_commit(
                user_topic(user.pk), "notification.read", {"counts": {"unread": unread}}
            )
    return count
