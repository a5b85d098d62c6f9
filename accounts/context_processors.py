"""What every page needs to know about the visitor: unread notifications and roles."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .inbox import unread_count
from .roles import ADMIN_ROLES, has_role


def account_summary(request: HttpRequest) -> dict[str, Any]:
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
