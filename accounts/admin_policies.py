"""What the staff admin may create, for the apps' Wagtail viewsets.

Residents' content (ideas, threads, posts) is made only by the apps' actions, which
check what the database's constraints would refuse; an admin "Add" form for it
would save a row the constraints refuse (a 500), so the admin offers none.
"""

from typing import Any

from django.http import Http404
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.chooser import SnippetChooserViewSet, SnippetCreateView


class NoAddPermissionPolicy(ModelPermissionPolicy):
    """The model's usual permissions, less "add": nobody creates it in the admin."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action == "add":
            return False
        return bool(super().user_has_permission(user, action))

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


def register_no_add_policy(model: Any) -> None:
    """Register the policy for `model` (at import of the app's wagtail_hooks, before
    its viewset asks the registry for one)."""
    register_permission_policy(model, NoAddPermissionPolicy(model), exact_class=True)


class ChooserCreateView(SnippetCreateView):
    """A snippet chooser's "create" URL exists even when the chooser has no creation
    form (Wagtail 8.0 then fails on `None.is_valid()`): without one it names
    nothing, 404."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if self.get_creation_form_class() is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class CheckedSnippetChooserViewSet(SnippetChooserViewSet):
    """Use as a SnippetViewSet's `chooser_viewset_class`."""

    create_view_class = ChooserCreateView
