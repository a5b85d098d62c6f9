"""Demo accounts for `seed_demo`: one per role, with passwords made on the spot."""

import json
import os
import secrets
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings

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


def passwords_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-accounts.json"


def remember_passwords(people: list[tuple[User, Role, str]]) -> Path | None:
    """Keep the demo passwords in var/ (mode 600) so `manage.py demo_accounts` can
    show them again. Development only: with DEBUG off nothing is written."""
    if not settings.DEBUG or not people:
        return None
    path = passwords_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    known = {row["email"]: row for row in read_passwords()}
    for user, role, password in people:
        known[user.email] = {
            "role": str(role.label),
            "email": user.email,
            "password": password,
        }
    order = {email: i for i, (email, _name, _role) in enumerate(DEMO_PEOPLE)}
    rows = sorted(known.values(), key=lambda r: order.get(r["email"], 99))
    # Created with 0600 from the first byte, not chmod-ed after writing.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=1)
    path.chmod(0o600)
    return path


def read_passwords() -> list[dict[str, str]]:
    path = passwords_file()
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [r for r in rows if isinstance(r, dict) and {"email", "password"} <= set(r)]


def accounts_box(rows: list[dict[str, str]], url: str = "") -> str:
    """The demo accounts as a box of plain text, for a terminal."""
    lines = []
    if url:
        lines += [
            f"Agora is ready: {url}",
            f"Staff interface: {url.rstrip('/')}/admin/",
            "",
        ]
    lines.append("Demo accounts (log in with the e-mail address and password):")
    for row in rows:
        lines.append(
            f"  {row.get('role', ''):<20} {row['email']:<24} {row['password']}"
        )
    lines += ["", "Show them again: .venv/bin/python manage.py demo_accounts"]
    width = max(len(line) for line in lines)
    top = "┌" + "─" * (width + 2) + "┐"
    bottom = "└" + "─" * (width + 2) + "┘"
    return "\n".join([top, *(f"│ {line:<{width}} │" for line in lines), bottom])
