"""Every change of state in participatory budgets goes through here.

`check_<verb>_<noun>()` validates and enforces permission (raising BudgetError or
PermissionDenied with a message the person can act on); `do_<verb>_<noun>()`
writes in one transaction and publishes live events after commit. Views, the
import command, the demo seed and tests all call these.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Page

from accounts.actions import do_notify
from accounts.models import User
from accounts.roles import Role, has_role
from accounts.verification import (
    Eligibility,
    NotEligible,
    active_verification,
    check_eligible,
)
from ideas.models import Idea, Support
from ideas.photos import PhotoRefused, sanitise_photo
from live import publish_on_commit
from moderation.models import Visibility
from moderation.sanctions import ParticipationRefused, check_can_participate
from moderation.screening import SubmissionRefused, screen_submission

from . import counting, pabulib
from .ballots import BallotError, Choice, ballots_for, clean_choice
from .models import (
    BudgetPage,
    BudgetResult,
    CountingRule,
    District,
    Feasibility,
    Project,
)
from .phases import ACTION_CLOSED_MESSAGES, PHASE_ORDER, Action, BudgetPhase

logger = logging.getLogger(__name__)

MAX_TITLE = 300
MAX_DESCRIPTION = 5000


class BudgetError(Exception):
    """A refusal the person can act on; the message is shown to them."""


__all__ = ["BallotError", "BudgetError"]


# --- shared checks -------------------------------------------------------------


def is_budget_staff(user: Any) -> bool:
    """Planners and city administrators review projects and publish results."""
    return has_role(user, Role.PLANNER) or has_role(user, Role.CITY_ADMIN)


def _require_resident(user: Any) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to take part."))
    try:
        check_can_participate(user)
    except ParticipationRefused as refusal:
        raise BudgetError(str(refusal)) from refusal


def _require_staff(user: Any) -> None:
    if user is None or not user.is_authenticated or not is_budget_staff(user):
        raise PermissionDenied(
            _("Only the city's planners and administrators can do this.")
        )


def _require_phase(budget: BudgetPage, action: Action) -> None:
    if not budget.live:
        raise BudgetError(_("This budget is not published."))
    if not budget.allows(action):
        raise BudgetError(str(ACTION_CLOSED_MESSAGES[action]))


def would_resident_be_allowed(budget: BudgetPage, action: Action) -> bool:
    return budget.live and budget.allows(action)


def money_event(budget: BudgetPage) -> dict[str, Any]:
    """What the money bars show: how much is asked by feasible projects, per pot."""
    from .queries import money_summary

    return {"counts": money_summary(budget)}


# --- projects ------------------------------------------------------------------


def _clean_project_fields(
    budget: BudgetPage,
    *,
    title: str,
    description: str,
    category: str,
    district: District | None,
    lat: float | None,
    lon: float | None,
    address: str,
) -> dict[str, Any]:
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise BudgetError(_("Give the project a title."))
    if len(title) > MAX_TITLE:
        raise BudgetError(
            _("The title is %(n)s characters long; keep it within %(max)s.")
            % {"n": len(title), "max": MAX_TITLE}
        )
    if len(description) > MAX_DESCRIPTION:
        raise BudgetError(
            _("The description is %(n)s characters long; keep it within %(max)s.")
            % {"n": len(description), "max": MAX_DESCRIPTION}
        )
    category = (category or "").strip()
    offered = budget.category_list()
    if category and offered and category not in offered:
        raise BudgetError(_("Pick one of the categories this budget offers."))
    if district is not None and district.budget_id != budget.pk:
        raise BudgetError(_("Pick one of this budget's districts."))
    if (lat is None) != (lon is None):
        raise BudgetError(_("Give both latitude and longitude, or neither."))
    if (
        lat is not None
        and lon is not None
        and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise BudgetError(_("That place is not on the map."))
    return {
        "title": title,
        "description": description,
        "category": category,
        "district": district,
        "lat": lat,
        "lon": lon,
        "address": (address or "").strip()[:200],
    }


def _next_external_id(budget: BudgetPage) -> str:
    taken = set(budget.projects.values_list("external_id", flat=True))
    n = budget.projects.count() + 1
    while str(n) in taken:
        n += 1
    return str(n)


def render_project_card(project: Project) -> str:
    return render_to_string(
        "budgets/includes/project_card.html",
        {"project": project, "budget": project.budget},
    )


def _announce_project(project: Project) -> None:
    if project.visibility != Visibility.PUBLISHED:
        return
    publish_on_commit(
        f"budget.{project.budget_id}",
        "budget.project_added",
        {
            "html": render_project_card(project),
            "mode": "prepend",
            "list": f"budget.{project.budget_id}:projects",
            "dom_id": f"project-{project.pk}",
        },
    )


def check_propose_project(user: Any, budget: BudgetPage) -> None:
    _require_resident(user)
    _require_phase(budget, Action.PROPOSE)


def do_propose_project(
    user: User,
    budget: BudgetPage,
    *,
    title: str,
    description: str,
    category: str = "",
    district: District | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    image: UploadedFile | None = None,
) -> Project:
    """A resident proposes a project; it waits for the city's cost and feasibility review."""
    check_propose_project(user, budget)
    fields = _clean_project_fields(
        budget,
        title=title,
        description=description,
        category=category,
        district=district,
        lat=lat,
        lon=lon,
        address=address,
    )
    try:
        screening = screen_submission(
            user, f"{fields['title']}\n{fields['description']}", kind="budget_project"
        )
    except SubmissionRefused as exc:
        raise BudgetError(str(exc)) from exc
    clean_image = None
    if image is not None:
        try:
            clean_image = sanitise_photo(image)
        except PhotoRefused as exc:
            raise BudgetError(str(exc)) from exc
    with transaction.atomic():
        project = Project(
            budget=budget,
            author=user,
            visibility=screening.visibility,
            visibility_reason=screening.reason,
            external_id=_next_external_id(budget),
            **fields,
        )
        if clean_image is not None:
            project.image.save("project.jpg", clean_image, save=False)
        project.save()
        _announce_project(project)
    return project


def check_convert_idea(user: Any, budget: BudgetPage, idea: Idea) -> None:
    _require_staff(user)
    if not budget.live:
        raise BudgetError(_("This budget is not published."))
    if budget.phase not in (BudgetPhase.PROPOSING, BudgetPhase.REVIEW):
        raise BudgetError(_("Ideas become projects only before the voting starts."))
    if idea.visibility != Visibility.PUBLISHED:
        raise BudgetError(_("Only a published idea can become a project."))
    if Project.objects.filter(source_idea=idea).exists():
        raise BudgetError(_("This idea is already a project in a budget."))


def do_convert_idea(
    user: User, budget: BudgetPage, idea: Idea, *, district: District | None = None
) -> Project:
    """Staff turn an idea into a budget project; its author and supporters are told."""
    check_convert_idea(user, budget, idea)
    fields = _clean_project_fields(
        budget,
        title=idea.title,
        description=idea.description,
        category="",
        district=district,
        lat=idea.lat,
        lon=idea.lon,
        address=idea.address,
    )
    with transaction.atomic():
        project = Project.objects.create(
            budget=budget,
            author=idea.author,
            source_idea=idea,
            external_id=_next_external_id(budget),
            **fields,
        )
        if idea.photo:
            project.image.save("project.jpg", idea.photo.file, save=True)
        url = project.get_absolute_url()
        text = _("The idea “%(idea)s” is now a project in the budget “%(budget)s”.") % {
            "idea": idea.title,
            "budget": budget.title,
        }
        recipients = {
            u.pk: u
            for u in User.objects.filter(
                pk__in=Support.objects.filter(idea=idea).values("user_id")
            )
        }
        if idea.author is not None:
            recipients[idea.author.pk] = idea.author
        for recipient in recipients.values():
            do_notify(recipient, "budget_project", text, url, actor=user)
        _announce_project(project)
    return project


def check_review_project(user: Any, project: Project) -> None:
    from . import box

    _require_staff(user)
    if not project.budget.allows(Action.REVIEW):
        raise BudgetError(str(ACTION_CLOSED_MESSAGES[Action.REVIEW]))
    if box.ballots_cast(project.budget):
        # Reached only if the phase was moved back by a path that skips
        # check_change_phase; ballots were checked and are counted at these costs.
        raise BudgetError(
            _(
                "Ballots have been cast against this project's cost and verdict; "
                "they can no longer change."
            )
        )


def do_review_project(
    user: User,
    project: Project,
    *,
    cost: int | None,
    feasibility: str,
    reason: str = "",
) -> Project:
    """Staff set the cost estimate and the feasibility verdict. An unfeasible project
    stays visible with its reason; a feasible one needs a cost that fits its pot."""
    check_review_project(user, project)
    reason = (reason or "").strip()
    if feasibility not in Feasibility.values:
        raise BudgetError(_("Choose a feasibility verdict."))
    if feasibility == Feasibility.UNFEASIBLE and not reason:
        raise BudgetError(
            _("Say why the project is not feasible: the reason is published with it.")
        )
    if feasibility == Feasibility.FEASIBLE:
        if cost is None or cost <= 0:
            raise BudgetError(_("A feasible project needs a cost estimate above zero."))
        pot = (
            project.district.amount
            if project.district
            else project.budget.city_wide_amount()
        )
        if cost > pot:
            raise BudgetError(
                _(
                    "The cost %(cost)s is more than the %(pot)s this project's pot holds."
                )
                % {"cost": cost, "pot": pot}
            )
    with transaction.atomic():
        project.cost = cost
        project.feasibility = feasibility
        project.feasibility_reason = reason
        project.reviewed_by = user
        project.reviewed_at = timezone.now()
        project.save(
            update_fields=[
                "cost",
                "feasibility",
                "feasibility_reason",
                "reviewed_by",
                "reviewed_at",
            ]
        )
        if project.author is not None:
            do_notify(
                project.author,
                "budget_review",
                _("Your project “%(title)s” was reviewed: %(verdict)s.")
                % {
                    "title": project.title,
                    "verdict": project.get_feasibility_display(),
                },
                project.get_absolute_url(),
                actor=user,
            )
        if project.is_published:
            publish_on_commit(
                f"budget.{project.budget_id}",
                "budget.project_reviewed",
                {
                    "html": render_project_card(project),
                    "mode": "replace",
                    "dom_id": f"project-{project.pk}",
                    **money_event(project.budget),
                },
            )
    return project


# --- phases and results --------------------------------------------------------


def check_change_phase(user: Any, budget: BudgetPage, phase: str) -> None:
    from . import box

    _require_staff(user)
    if phase not in PHASE_ORDER:
        raise BudgetError(_("That is not a phase of a participatory budget."))
    if phase in (BudgetPhase.PROPOSING, BudgetPhase.REVIEW) and box.ballots_cast(
        budget
    ):
        raise BudgetError(
            _(
                "Ballots have been cast, so the budget cannot go back to proposing "
                "or review: the projects' costs and verdicts are fixed."
            )
        )
    if phase in (BudgetPhase.RESULTS, BudgetPhase.IMPLEMENTATION) and (
        budget.results_published_at is None
    ):
        raise BudgetError(_("Publish the results first: that moves the budget on."))


def do_change_phase(user: User, budget: BudgetPage, phase: str) -> BudgetPage:
    check_change_phase(user, budget, phase)
    with transaction.atomic():
        BudgetPage.objects.filter(pk=budget.pk).update(phase=phase)
        budget.phase = phase
        if phase == BudgetPhase.VOTING and not budget.is_imported:
            from . import box

            box.open_box(budget)
        publish_on_commit(
            f"budget.{budget.pk}",
            "budget.phase_changed",
            {"phase": phase, "announce": str(budget.get_phase_display())},
        )
    return budget


def _pots(budget: BudgetPage) -> list[tuple[str, int, list[Project]]]:
    projects = list(budget.projects.on_ballot().order_by("id"))
    pots: list[tuple[str, int, list[Project]]] = []
    districts = budget.district_list()
    city = [p for p in projects if p.district_id is None]
    if city or not districts:
        pots.append(("", budget.city_wide_amount(), city))
    for d in districts:
        pots.append(
            (str(d.pk), d.amount, [p for p in projects if p.district_id == d.pk])
        )
    return pots


def count_budget(budget: BudgetPage) -> list[BudgetResult]:
    """Count every pot of the budget under greedy and Equal Shares (and the budget's
    own rule when it is a variant). Unsaved rows; `do_publish_results` stores them."""
    ballots = ballots_for(budget)
    caps: dict[str, int] = {}
    meta = budget.source_meta or {}
    if meta.get("budget_per_category") and meta.get("categories"):
        caps = {
            n.strip(): int(a)
            for n, a in zip(
                meta["categories"].split(","),
                meta["budget_per_category"].split(","),
                strict=False,
            )
        }
    rules = [CountingRule.GREEDY.value, CountingRule.EQUAL_SHARES.value]
    if budget.rule not in rules:
        rules.append(budget.rule)
    rows: list[BudgetResult] = []
    for pot, amount, projects in _pots(budget):
        keys = {p.external_id for p in projects}
        pot_ballots = [_restrict(b, keys) for b in ballots]
        pot_ballots = [b for b in pot_ballots if b]
        election = counting.Election(
            amount,
            [
                counting.Item(p.external_id, int(p.cost or 0), p.category)
                for p in projects
            ],
            pot_ballots,
            caps,
        )
        for rule in rules:
            started = time.perf_counter()
            outcome = counting.count(election, rule)
            rows.append(
                BudgetResult(
                    budget=budget,
                    rule=rule,
                    pot=pot,
                    official=rule == budget.rule,
                    funded=outcome.funded,
                    decisions={k: vars(d) for k, d in outcome.decisions.items()},
                    spent=outcome.spent,
                    amount=amount,
                    voters=len(pot_ballots),
                    per_voter_budget=outcome.per_voter_budget,
                    seconds=round(time.perf_counter() - started, 3),
                )
            )
    return rows


def _restrict(ballot: Choice, keys: set[str]) -> Choice:
    if isinstance(ballot, Mapping):
        return {k: v for k, v in ballot.items() if k in keys}
    return frozenset(k for k in ballot if k in keys)


def check_publish_results(user: Any, budget: BudgetPage) -> None:
    _require_staff(user)
    if budget.phase not in (BudgetPhase.VOTING, BudgetPhase.RESULTS):
        raise BudgetError(_("Results are published when the voting ends."))


def do_publish_results(user: User | None, budget: BudgetPage) -> list[BudgetResult]:
    """Count the ballots under both rules, store every explanation, mark the funded
    projects and move the budget to its results phase; the page updates live."""
    if user is not None:
        check_publish_results(user, budget)
    from . import box

    # Publishing ends the voting: the box closes and its log is published, final.
    box.close_and_publish(budget)
    rows = count_budget(budget)
    with transaction.atomic():
        BudgetResult.objects.filter(budget=budget).delete()
        BudgetResult.objects.bulk_create(rows)
        funded = {k for r in rows if r.official for k in r.funded}
        votes: dict[str, int] = {}
        for r in rows:
            for key, d in r.decisions.items():
                votes[key] = int(d["votes"])
        projects = list(budget.projects.all())
        for p in projects:
            p.funded = p.external_id in funded
            p.vote_count = votes.get(p.external_id, p.vote_count)
        Project.objects.bulk_update(projects, ["funded", "vote_count"], batch_size=500)
        now = timezone.now()
        BudgetPage.objects.filter(pk=budget.pk).update(
            phase=BudgetPhase.RESULTS, results_published_at=now
        )
        budget.phase = BudgetPhase.RESULTS
        budget.results_published_at = now
        from .queries import results_context

        html = render_to_string(
            "budgets/includes/results_summary.html", results_context(budget)
        )
        publish_on_commit(
            f"budget.{budget.pk}",
            "budget.results_published",
            {
                "html": html,
                "mode": "replace",
                "dom_id": f"budget-results-{budget.pk}",
                "announce": _("The results are published."),
            },
        )
        from .tracking import start_tracking_funded

        start_tracking_funded(budget)
    return rows


# --- ballots -------------------------------------------------------------------


def eligibility(budget: BudgetPage) -> Eligibility:
    """Who may vote, from verified attributes (accounts' one verification). With
    districts, a verified district is needed to vote for a district's projects."""
    return Eligibility(
        verified_only=budget.verified_only or bool(budget.district_list()),
        min_age=budget.min_age,
    )


def voter_district(user: Any, budget: BudgetPage) -> str | None:
    """The district whose projects this voter may pick (None: no district rule)."""
    if not budget.district_list():
        return None
    verification = active_verification(user)
    return (verification.district if verification else "") or ""


def check_cast_ballot(user: Any, budget: BudgetPage, raw: Mapping[str, Any]) -> Choice:
    """Everything a ballot must pass before it goes in the box: the voter (logged in,
    not sanctioned, eligible), the phase, and the choices (known, feasible projects;
    within the money, the number of projects or the points). Returns the choice."""
    _require_resident(user)
    _require_phase(budget, Action.VOTE)
    try:
        check_eligible(user, eligibility(budget))
    except NotEligible as exc:
        raise BudgetError(exc.message) from exc
    return clean_choice(budget, raw, district=voter_district(user, budget))


def do_cast_ballot(
    user: User,
    budget: BudgetPage,
    choice: Choice,
    *,
    replacing_receipt: str | None = None,
) -> str:
    """Put the checked choice in polls' ballot box (one per voter, changeable with the
    receipt of the current ballot until close); returns the new receipt."""
    from polls import ballots as polls_ballots

    from . import box

    district = voter_district(user, budget)
    segment = {"district": district} if district else {}
    try:
        with transaction.atomic():
            receipt, the_box = box.cast(
                user,
                budget,
                choice,
                segment=segment,
                replacing_receipt=replacing_receipt,
            )
            if budget.counts_public:
                # Counts by Pabulib id, straight from the box's running tally.
                publish_on_commit(
                    f"budget.{budget.pk}",
                    "budget.counts",
                    {
                        "counts": {
                            f"votes.{k}": n for k, n in (the_box.counts or {}).items()
                        }
                    },
                )
    except polls_ballots.BallotError as exc:
        raise BudgetError(str(exc.message if hasattr(exc, "message") else exc)) from exc
    return receipt.code


# --- import --------------------------------------------------------------------


def check_import_pabulib(user: Any) -> None:
    _require_staff(user)


def do_import_pabulib(
    parent: Page,
    text: str,
    *,
    title: str | None = None,
    phase: str = BudgetPhase.VOTING,
    user: User | None = None,
) -> BudgetPage:
    """A Pabulib file becomes a budget: its projects (all feasible, at their cost),
    its rule, and its votes kept as the budget's open source file."""
    if user is not None:
        check_import_pabulib(user)
    try:
        parsed = pabulib.parse(text)
    except pabulib.PabulibError as exc:
        raise BudgetError(str(exc)) from exc
    meta = parsed.meta
    title = title or meta.get("description") or meta.get("unit") or "Budget"
    base = slugify(title)[:60] or "budget"
    slug, n = base, 1
    while parent.get_children().filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        budget = BudgetPage(
            title=title[:255],
            slug=slug,
            intro=meta.get("comment", ""),
            total=parsed.budget,
            currency=(meta.get("currency") or "EUR")[:3],
            phase=phase,
            rule=parsed.rule or CountingRule.GREEDY,
            ballot_kind="cumulative"
            if parsed.vote_type == "cumulative"
            else "knapsack",
            categories=",".join(
                sorted({c for p in parsed.projects for c in p.category.split(",") if c})
            )[:500],
            counts_public=True,
            verified_only=False,
            source_file=text.lstrip("\ufeff"),
            source_meta=meta,
        )
        located = [p for p in parsed.projects if p.lat is not None]
        if located:
            budget.map_lat = sum(p.lat or 0 for p in located) / len(located)
            budget.map_lon = sum(p.lon or 0 for p in located) / len(located)
        parent.add_child(instance=budget)
        budget.save_revision().publish()
        counts = counting.vote_counts(parsed.election())
        Project.objects.bulk_create(
            [
                Project(
                    budget=budget,
                    title=p.name or p.key,
                    category=p.category[:200],
                    lat=p.lat,
                    lon=p.lon,
                    cost=p.cost,
                    feasibility=Feasibility.FEASIBLE,
                    external_id=p.key,
                    vote_count=counts.get(p.key, 0),
                )
                for p in parsed.projects
            ]
        )
    return BudgetPage.objects.get(pk=budget.pk)


def do_record_vote_counts(budget: BudgetPage) -> None:
    """Publish the money and vote counts (when the city makes them public)."""
    if not budget.counts_public:
        return
    from .queries import vote_counts_event

    publish_on_commit(f"budget.{budget.pk}", "budget.counts", vote_counts_event(budget))


def increment_vote_counts(budget: BudgetPage, keys: list[str], delta: int) -> None:
    Project.objects.filter(budget=budget, external_id__in=keys).update(
        vote_count=F("vote_count") + delta
    )


# --- following and tracking ----------------------------------------------------


def do_follow_project(user: User, project: Project) -> bool:
    _require_resident(user)
    from .models import ProjectFollow

    _, created = ProjectFollow.objects.get_or_create(user=user, project=project)
    return created


def do_unfollow_project(user: User, project: Project) -> bool:
    from .models import ProjectFollow

    deleted, _n = ProjectFollow.objects.filter(user=user, project=project).delete()
    return bool(deleted)


# --- open data -----------------------------------------------------------------


def export_pabulib(budget: BudgetPage, district: District | None = None) -> str:
    """The budget (or one district's pot) as a Pabulib file, written by pabutools."""
    projects = list(
        budget.projects.on_ballot().filter(district=district).order_by("id")
    )
    keys = {p.external_id for p in projects}
    published = budget.results_published_at is not None
    ballots = (
        [_restrict(b, keys) for b in ballots_for(budget)]
        if (published or budget.is_imported)
        else []
    )
    ballots = [b for b in ballots if b]
    votes = counting.vote_counts(
        counting.Election(0, [counting.Item(k, 0) for k in keys], ballots)
    )
    meta = dict(budget.source_meta or {})
    meta.setdefault("description", budget.title)
    meta.setdefault("country", "")
    meta.setdefault("unit", budget.title)
    meta.setdefault("instance", str(budget.pk))
    if district is not None:
        meta["district"] = district.name
    amount = district.amount if district is not None else budget.city_wide_amount()
    return pabulib.write(
        meta=meta,
        budget=amount,
        rule=budget.rule,
        currency=budget.currency,
        projects=[
            pabulib.ExportProject(
                key=p.external_id,
                cost=int(p.cost or 0),
                name=p.title,
                category=p.category,
                votes=votes.get(p.external_id, 0),
                selected=p.funded if published else None,
                lat=p.lat,
                lon=p.lon,
            )
            for p in projects
        ],
        ballots=ballots,
        cumulative=budget.ballot_kind == "cumulative",
    )
