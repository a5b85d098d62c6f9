"""The staff side of ideas in the Wagtail admin: a list of ideas with filters and a
bulk action that answers many ideas at once with one official text.

Ideas are residents' words, so the admin shows them read-only; every change of
state goes through ideas.actions (the bulk answer calls do_change_status).
"""

from typing import Any

from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from accounts.admin_policies import (
    CheckedSnippetChooserViewSet,
    register_no_add_policy,
)

from . import actions
from .forms import AnswerForm
from .models import Department, Idea, IdeaState, Meeting

# Ideas are proposed only through ideas.actions (a campaign, an author, the
# moderation rules): the admin offers no "Add", whose form would save an idea
# without its campaign. Registered before the viewset asks for its policy.
register_no_add_policy(Idea)


class IdeaViewSet(SnippetViewSet):
    model = Idea
    chooser_viewset_class = CheckedSnippetChooserViewSet
    icon = "pick"
    menu_label = _("Ideas")
    menu_order = 210
    add_to_admin_menu = True
    list_display = [
        "title",
        "campaign",
        "state",
        "support_count",
        "comment_count",
        "created_at",
    ]
    list_filter = {
        "campaign": ["exact"],
        "state": ["exact"],
        "categories": ["exact"],
        "source": ["exact"],
    }
    list_per_page = 50
    search_fields = ["title", "description"]
    # The database's words-only search index has no "description" column to
    # restrict to (a 500 on SQLite for any search): the ORM searches the listing.
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    panels = [
        FieldPanel(name, read_only=True)
        for name in (
            "campaign",
            "title",
            "description",
            "state",
            "visibility",
            "source",
            "address",
            "lat",
            "lon",
            "support_count",
            "comment_count",
        )
    ]

    def get_queryset(self, request: Any) -> Any:
        return Idea.objects.select_related("campaign")


register_snippet(IdeaViewSet)


@hooks.register("register_bulk_action")
class AnswerIdeasBulkAction(SnippetBulkAction):
    """Give several ideas the same state and official answer (e.g. a council decision)."""

    display_name = _("Answer")
    action_type = "answer"
    aria_label = _("Answer the selected ideas with one official text")
    template_name = "ideas/admin/confirm_bulk_answer.html"
    action_priority = 10
    form_class = AnswerForm
    models = [Idea]

    def check_perm(self, obj: Idea) -> bool:
        return (
            actions.is_city_staff(self.request.user)
            and obj.state != IdeaState.WITHDRAWN
        )

    def get_execution_context(self) -> dict[str, Any]:
        return {
            "user": self.request.user,
            "state": self.cleaned_form.cleaned_data["state"],
            "text": self.cleaned_form.cleaned_data["text"],
            "request": self.request,
        }

    @classmethod
    def execute_action(
        cls, objects: Any, user: Any = None, **kwargs: Any
    ) -> tuple[int, int]:
        done = 0
        for idea in objects:
            try:
                actions.do_change_status(user, idea, kwargs["state"], kwargs["text"])
            except actions.IdeaError as exc:
                messages.warning(kwargs["request"], f"{idea.title}: {exc}")
            else:
                done += 1
        return done, 0

    def get_success_message(
        self, num_parent_objects: int, num_child_objects: int
    ) -> str:
        return ngettext(
            "%(count)d idea answered; its author, supporters and followers are told.",
            "%(count)d ideas answered; their authors, supporters and followers are told.",
            num_parent_objects,
        ) % {"count": num_parent_objects}


class DepartmentViewSet(SnippetViewSet):
    """Departments that answer reports (report campaigns route categories to them)."""

    model = Department
    chooser_viewset_class = CheckedSnippetChooserViewSet
    icon = "group"
    menu_label = _("Departments")
    menu_order = 211
    add_to_admin_menu = True
    list_display = ["name", "staff_group", "lead"]


class MeetingViewSet(SnippetViewSet):
    """Campaign meetings: dates, place, capacity; minutes after the meeting."""

    model = Meeting
    chooser_viewset_class = CheckedSnippetChooserViewSet
    icon = "date"
    menu_label = _("Meetings")
    menu_order = 212
    add_to_admin_menu = True
    list_display = ["title", "campaign", "starts_at", "registered_count", "capacity"]
    list_filter = {"campaign": ["exact"]}


register_snippet(DepartmentViewSet)
register_snippet(MeetingViewSet)
