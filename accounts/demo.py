"""Demo accounts for `seed_demo`: one per role, with passwords made on the spot."""

import secrets

from allauth.account.models import EmailAddress

from .actions import do_grant_role
from .models import User
from .roles import Role

DEMO_PEOPLE = [
    ("resident@agora.test", "Rosa Resident", Role.RESIDENT),
    ("moderator@agora.test", "Mo Moderator", Role.MODERATOR),
    ("planner@agora.test", "Pat Planner", Role.PLANNER),
    ("admin@agora.test", "Ada Administrator", Role.CITY_ADMIN),
]


def make_verified_account(
    email: str, display_name: str, password: str | None = None
) -> tuple[User, bool]:
    """Get or create an account whose e-mail address counts as verified."""
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, display_name=display_name
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


def seed_accounts() -> list[tuple[User, Role, str]]:
    """Create the demo accounts that do not exist yet; returns them with passwords."""
    made = []
    for email, name, role in DEMO_PEOPLE:
        password = secrets.token_urlsafe(12)
        user, created = make_verified_account(email, name, password)
        if created:
            do_grant_role(user, role)
            if role == Role.CITY_ADMIN:
                # The demo administrator may also manage accounts and settings.
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            made.append((user, role, password))
    return made
