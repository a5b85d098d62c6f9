"""What every page needs to know about the visitor: unread notifications and roles."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import sharedpages
from .inbox import unread_count
from .roles import ADMIN_ROLES, has_role


def account_summary(request: HttpRequest) -> dict[str, Any]:
    if sharedpages.is_shared_render(request):
        # A copy shared by residents (accounts.sharedpages): the reader's part of
        # the header, their id and their CSRF token are markers filled per reader.
        return {
            "unread_notifications": 0,
            "can_use_admin": False,
            **sharedpages.context(request),
        }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "can_use_admin": False}
    # Lazy: a page that never shows the count never pays its query.
    return {
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
        "can_use_admin": SimpleLazyObject(
            lambda: any(has_role(user, r) for r in ADMIN_ROLES)
        ),
    }
