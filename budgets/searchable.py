"""What the site's search knows of budgets: the budget pages and their public projects
(unfeasible ones too, with their published reason, as the budget page shows them)."""

from django.utils.translation import gettext_lazy as _

from moderation.models import Visibility
from search.index import Document, page_document
from search.registry import register_kind

from .models import BudgetPage, Feasibility, Project


def budget_document(budget: BudgetPage) -> Document | None:
    return page_document(budget, budget.intro)


def project_document(project: Project) -> Document | None:
    if project.visibility != Visibility.PUBLISHED:
        return None
    body = project.description
    if project.feasibility == Feasibility.UNFEASIBLE and project.feasibility_reason:
        body = f"{body}\n{project.feasibility_reason}"
    return Document(
        title=project.title,
        body=body.strip(),
        url=project.get_absolute_url(),
        place_id=project.budget_id,
        state=project.feasibility,
        state_label=str(project.get_feasibility_display()),
        created_at=project.created_at,
    )


def register() -> None:
    from moderation.signals import content_visibility_changed

    register_kind(
        "budget",
        label=_("Budgets"),
        model=BudgetPage,
        document=budget_document,
        queryset=lambda: BudgetPage.objects.all(),
    )
    register_kind(
        "project",
        label=_("Budget projects"),
        model=Project,
        document=project_document,
        queryset=lambda: Project.objects.all(),
        states=dict(Feasibility.choices),
        reindex_on=content_visibility_changed,
    )
