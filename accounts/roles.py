"""Roles are Django groups with fixed names, so permissions stay data that admins can see.

Every new account is a Resident; staff roles are granted with
`manage.py grant_role EMAIL ROLE` or in the Wagtail admin.
"""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    RESIDENT = "Resident"
    MODERATOR = "Moderator"
    PLANNER = "Planner"
    CITY_ADMIN = "City administrator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @classmethod
    def from_slug(cls, slug: str) -> "Role":
        """Accept 'moderator', 'city-admin', 'City administrator' and the like."""
        wanted = slug.strip().lower().replace("_", "-")
        for role in cls:
            if wanted in (role.value.lower(), role.slug):
                return role
        raise ValueError(slug)

    @property
    def slug(self) -> str:
        return {"City administrator": "city-admin"}.get(self.value, self.value.lower())


ROLE_LABELS = {
    Role.RESIDENT: _("Resident"),
    Role.MODERATOR: _("Moderator"),
    Role.PLANNER: _("Planner"),
    Role.CITY_ADMIN: _("City administrator"),
}

# Roles that open the Wagtail admin: moderators work their queue there, planners
# read reports there, city administrators edit the site.
ADMIN_ROLES = (Role.MODERATOR, Role.PLANNER, Role.CITY_ADMIN)


def role_names(user: object) -> frozenset[str]:
    """The names of the user's roles, cached on the user object: one query per request."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:  # type: ignore[attr-defined]
        return frozenset()
    cached = getattr(user, "_agora_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user._agora_roles = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: object, role: Role) -> bool:
    """True if the user holds the role; superusers hold every staff role."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return role.value in role_names(user)


# What each staff role may do in the Wagtail admin, as (app_label, model, codename).
# Apps added later grant their own model permissions to these groups the same way.
ROLE_PERMISSIONS: dict[Role, list[tuple[str, str, str]]] = {
    Role.RESIDENT: [],
    Role.MODERATOR: [("wagtailadmin", "admin", "access_admin")],
    Role.PLANNER: [("wagtailadmin", "admin", "access_admin")],
    Role.CITY_ADMIN: [
        ("wagtailadmin", "admin", "access_admin"),
        ("wagtailimages", "image", "add_image"),
        ("wagtailimages", "image", "change_image"),
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "add_document"),
        ("wagtaildocs", "document", "change_document"),
        ("wagtaildocs", "document", "choose_document"),
    ],
}
# City administrators edit and publish the whole page tree.
CITY_ADMIN_PAGE_PERMISSIONS = [
    "add_page",
    "change_page",
    "publish_page",
    "lock_page",
    "unlock_page",
]


def register_role_permissions(role: Role, perms: list[tuple[str, str, str]]) -> None:
    """Let a later app give a role permissions on its models (call in ready())."""
    ROLE_PERMISSIONS.setdefault(role, []).extend(perms)


def ensure_roles(using: str = "default") -> None:
    """Create the role groups and give them their permissions; safe to run again."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import (
        Collection,
        GroupCollectionPermission,
        GroupPagePermission,
        Page,
    )

    def permission(app_label: str, model: str, codename: str) -> Permission:
        ct, _ = ContentType.objects.db_manager(using).get_or_create(
            app_label=app_label, model=model
        )
        perm, _ = Permission.objects.db_manager(using).get_or_create(
            content_type=ct, codename=codename, defaults={"name": codename}
        )
        return perm

    groups = {}
    for role in Role:
        group, _ = Group.objects.db_manager(using).get_or_create(name=role.value)
        groups[role] = group
        wanted = [permission(*p) for p in ROLE_PERMISSIONS.get(role, [])]
        group.permissions.add(*wanted)

    city_admins = groups[Role.CITY_ADMIN]
    root = Page.get_first_root_node()
    if root is not None:
        for codename in CITY_ADMIN_PAGE_PERMISSIONS:
            GroupPagePermission.objects.db_manager(using).get_or_create(
                group=city_admins,
                page=root,
                permission=permission("wagtailcore", "page", codename),
            )
    collection = Collection.get_first_root_node()
    if collection is not None:
        for app_label, model, codename in ROLE_PERMISSIONS[Role.CITY_ADMIN]:
            if app_label in ("wagtailimages", "wagtaildocs"):
                GroupCollectionPermission.objects.db_manager(using).get_or_create(
                    group=city_admins,
                    collection=collection,
                    permission=permission(app_label, model, codename),
                )
