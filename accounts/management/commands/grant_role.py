"""`manage.py grant_role EMAIL ROLE`: make someone a moderator, planner or city administrator."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actions import do_grant_role, do_revoke_role
from accounts.models import User
from accounts.roles import Role


class Command(BaseCommand):
    help = "Grant (or with --revoke, take away) a role: " + ", ".join(
        r.slug for r in Role
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("role", help=", ".join(r.slug for r in Role))
        parser.add_argument("--revoke", action="store_true")

    def handle(
        self, *args: Any, email: str, role: str, revoke: bool, **opts: Any
    ) -> None:
        try:
            wanted = Role.from_slug(role)
        except ValueError:
            raise CommandError(
                f"Unknown role {role!r}. Choose one of: "
                + ", ".join(r.slug for r in Role)
            ) from None
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the e-mail address {email!r}.")
        if revoke:
            changed = do_revoke_role(user, wanted)
            verb = "no longer" if changed else "was not"
        else:
            changed = do_grant_role(user, wanted)
            verb = "is now" if changed else "already was"
        self.stdout.write(f"{user.email} {verb} {wanted.value}.")
