"""Pages of participatory budgets. Views parse the request and render; actions decide and write."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.limits import limit
from ideas.models import Idea, Implementation

from . import actions, box
from .ballots import BallotError, money
from .forms import ConvertIdeaForm, ProjectForm, ReviewForm
from .models import BallotKind, BudgetPage, Project, ProjectFollow
from .phases import ACTION_CLOSED_MESSAGES, Action, BudgetPhase
from .queries import map_points, pots_for_display, project_list, results_context
from .tracking import TRACKED_KIND

PROJECTS_PER_PAGE = 30
MAP_POINTS = 500


def _budget(budget_id: int) -> BudgetPage:
    budget = BudgetPage.objects.live().public().filter(pk=budget_id).first()
    if budget is None:
        raise Http404
    return budget


def budget_page(
    request: HttpRequest,
    budget: BudgetPage,
    *,
    ballot_error: str = "",
    picked: Any = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    qs = project_list(
        budget,
        feasibility=request.GET.get("feasibility", ""),
        district=request.GET.get("district", ""),
        category=request.GET.get("category", ""),
    )
    page = Paginator(qs, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    voting = budget.allows(Action.VOTE)
    ballot_projects: list[Project] = []
    if voting:
        # The ballot lists every project on it (a budget has tens to a few hundred).
        ballot_projects = list(
            Project.objects.on_ballot()
            .filter(budget=budget)
            .select_related("district")
            .order_by("district_id", "id")
        )
    picked_ids = {str(k) for k in (picked or {})}
    has_voted = voting and box.has_voted(user, budget)
    if (
        budget.counts_public
        and not budget.results_published_at
        and not budget.is_imported
    ):
        # While voting, counts come from the box's running tally (kept under its lock).
        the_box = box.box_for(budget)
        counts = (the_box.counts or {}) if the_box else {}
        for p in [*page.object_list, *ballot_projects]:
            p.vote_count = counts.get(p.external_id, 0)
    located = list(
        Project.objects.public()
        .filter(budget=budget, lat__isnull=False, lon__isnull=False)
        .order_by("-funded", "id")[:MAP_POINTS]
    )
    is_staff = actions.is_budget_staff(user)
    context: dict[str, Any] = {
        "page": budget,
        "budget": budget,
        "projects": page,
        "pots": pots_for_display(budget),
        "map_points": map_points(located),
        "map_tiles_url": settings.AGORA_MAP_TILES_URL,
        "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        "voting": voting,
        "ballot_projects": ballot_projects,
        "picked": picked_ids,
        "picked_points": {str(k): v for k, v in (picked or {}).items()}
        if isinstance(picked, dict)
        else {},
        "ballot_error": ballot_error,
        "has_voted": has_voted,
        "eligibility_lines": actions.eligibility(budget).describe(),
        "can_propose": budget.allows(Action.PROPOSE),
        "closed_message": ACTION_CLOSED_MESSAGES[Action.VOTE],
        "is_staff": is_staff,
        "phases": BudgetPhase.choices,
        "show_counts": budget.counts_public or bool(budget.results_published_at),
        "city_amount": budget.city_wide_amount(),
        "ballot_kinds": BallotKind,
        **results_context(budget),
    }
    if budget.results_published_at:
        from ideas.queries import results_context as tracking_results

        context.update(tracking_results(request, f"budget.{budget.pk}"))
    return render(request, "budgets/budget_page.html", context, status=status)


def _back(budget: BudgetPage) -> HttpResponse:
    return redirect(budget.url or "/")


def _refuse(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(getattr(exc, "message", exc)))


@require_POST
def cast_ballot(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = _budget(budget_id)
    if not request.user.is_authenticated:
        return redirect_to_login(budget.url or "/")
    limit(request, "ballot")
    try:
        choice = actions.check_cast_ballot(request.user, budget, request.POST)
        receipt = actions.do_cast_ballot(
            request.user,
            budget,
            choice,
            replacing_receipt=request.POST.get("receipt", "").strip() or None,
        )
    except BallotError as exc:
        return budget_page(
            request, budget, ballot_error=exc.message, picked=exc.choice, status=400
        )
    except actions.BudgetError as exc:
        return budget_page(request, budget, ballot_error=str(exc), status=400)
    messages.success(
        request,
        _(
            "Your ballot is in the box. Keep your receipt to find it in the published "
            "log: %(receipt)s"
        )
        % {"receipt": receipt},
    )
    return _back(budget)


@require_GET
def results(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = _budget(budget_id)
    if not budget.results_published_at and not actions.is_budget_staff(request.user):
        raise Http404
    return render(request, "budgets/results.html", results_context(budget))


@require_POST
def publish_results(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = _budget(budget_id)
    limit(request, "write")
    try:
        actions.do_publish_results(request.user, budget)
    except actions.BudgetError as exc:
        _refuse(request, exc)
        return _back(budget)
    messages.success(request, _("The results are published."))
    return redirect("budgets:results", budget.pk)


@require_POST
def change_phase(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = _budget(budget_id)
    limit(request, "write")
    try:
        actions.do_change_phase(request.user, budget, request.POST.get("phase", ""))
    except actions.BudgetError as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request,
            _("The budget is now in the phase: %(phase)s.")
            % {"phase": budget.get_phase_display()},
        )
    return _back(budget)


@require_POST
def convert_idea(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = _budget(budget_id)
    limit(request, "write")
    form = ConvertIdeaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of an idea."))
        return _back(budget)
    idea = Idea.objects.filter(pk=form.cleaned_data["idea"]).first()
    if idea is None:
        messages.error(request, _("There is no idea with that number."))
        return _back(budget)
    try:
        project = actions.do_convert_idea(request.user, budget, idea)
    except actions.BudgetError as exc:
        _refuse(request, exc)
        return _back(budget)
    messages.success(request, _("The idea is now a project; its supporters were told."))
    return redirect(project.get_absolute_url())


def propose_project(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = _budget(budget_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        actions.check_propose_project(request.user, budget)
    except actions.BudgetError as exc:
        _refuse(request, exc)
        return _back(budget)
    form = ProjectForm(request.POST or None, request.FILES or None, budget=budget)
    if request.method == "POST":
        limit(request, "idea")
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = actions.do_propose_project(
                    request.user,
                    budget,
                    title=data["title"],
                    description=data["description"],
                    category=data.get("category") or "",
                    district=data.get("district"),
                    lat=data.get("lat"),
                    lon=data.get("lon"),
                    address=data.get("address") or "",
                    image=data.get("image"),
                )
            except actions.BudgetError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "Thank you. The city will estimate its cost and check it can be done."
                    ),
                )
                return redirect(project.get_absolute_url())
    return render(
        request,
        "budgets/project_form.html",
        {
            "budget": budget,
            "form": form,
            "map_tiles_url": settings.AGORA_MAP_TILES_URL,
            "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        },
        status=400 if form.errors else 200,
    )


def _project(request: HttpRequest, pk: int) -> Project:
    project = (
        Project.objects.select_related("budget", "district", "source_idea")
        .filter(pk=pk)
        .first()
    )
    if (
        project is None
        or not project.budget.live
        or not project.is_visible_to(request.user)
    ):
        raise Http404
    return project


@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    budget = project.budget
    user = request.user
    staff = actions.is_budget_staff(user)
    impl = (
        Implementation.objects.filter(subject_kind=TRACKED_KIND, subject_id=project.pk)
        .prefetch_related("milestones")
        .first()
    )
    context: dict[str, Any] = {
        "project": project,
        "budget": budget,
        "cost_text": money(project.cost, budget.currency) if project.cost else "",
        "review_form": ReviewForm(
            initial={
                "cost": project.cost,
                "feasibility": project.feasibility,
                "reason": project.feasibility_reason,
            }
        )
        if staff and budget.allows(Action.REVIEW)
        else None,
        "follows": user.is_authenticated
        and ProjectFollow.objects.filter(user=user, project=project).exists(),
        "show_counts": budget.counts_public or bool(budget.results_published_at),
        "impl": impl,
    }
    if impl is not None:
        from ideas.forms import MilestoneForm, ProgressForm

        context["impl_updates"] = list(impl.updates.select_related("by")[:20])
        if staff:
            context["progress_form"] = ProgressForm()
            context["milestone_form"] = MilestoneForm()
    return render(request, "budgets/project_detail.html", context)


@require_POST
def review_project(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    limit(request, "write")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the cost and the verdict."))
        return redirect(project.get_absolute_url())
    try:
        actions.do_review_project(
            request.user,
            project,
            cost=form.cleaned_data["cost"],
            feasibility=form.cleaned_data["feasibility"],
            reason=form.cleaned_data["reason"],
        )
    except actions.BudgetError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("The review is published."))
    return redirect(project.get_absolute_url())


@require_POST
def follow_project(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(project.get_absolute_url())
    limit(request, "follow")
    try:
        if request.POST.get("undo"):
            actions.do_unfollow_project(request.user, project)
            messages.success(request, _("You no longer follow this project."))
        else:
            actions.do_follow_project(request.user, project)
            messages.success(
                request, _("You follow this project: you will hear of its progress.")
            )
    except actions.BudgetError as exc:
        _refuse(request, exc)
    return redirect(project.get_absolute_url())


@require_GET
def export_pabulib(request: HttpRequest, budget_id: int) -> HttpResponse:
    """The budget as a Pabulib file: projects, costs, and — once the results are
    published — the ballots and which projects were selected."""
    budget = _budget(budget_id)
    limit(request, "api_read")
    if (
        not budget.results_published_at
        and not budget.is_imported
        and not actions.is_budget_staff(request.user)
    ):
        raise PermissionDenied(_("The ballots are published with the results."))
    text = actions.export_pabulib(budget)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="agora-budget-{budget.pk}.pb"'
    )
    return response
