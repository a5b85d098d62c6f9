"""Every new account is a Resident; accounts' own data joins "download my data"."""

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.models import Group
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from . import privacy
from .models import User
from .roles import Role, ensure_roles


@receiver(post_save, sender=User, dispatch_uid="accounts.new_account_is_resident")
def make_resident(
    sender: type[User], instance: User, created: bool, **kwargs: Any
) -> None:
    if created and not kwargs.get("raw"):
        group, _ = Group.objects.get_or_create(name=Role.RESIDENT.value)
        instance.groups.add(group)


def _export_account(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "email_notifications": user.email_notifications,
        "stakeholder_group": user.stakeholder_group,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in user.emailaddress_set.all()
        ],
    }


def _export_notifications(user: User) -> list[dict[str, Any]]:
    return [
        {
            "kind": n.kind,
            "text": n.text,
            "url": n.url,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None,
        }
        for n in user.notifications.all()
    ]


privacy.register_export("account", _export_account)
privacy.register_export("notifications", _export_notifications)


@receiver(post_migrate, dispatch_uid="accounts.ensure_roles")
def ensure_roles_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # Runs once, after the last app has migrated, so every permission exists.
    if sender.label == "accounts":
        ensure_roles(using=kwargs.get("using", "default"))
