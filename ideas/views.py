"""Pages of idea campaigns. Views parse the request and render; actions decide and write."""

from __future__ import annotations

import hashlib
import statistics
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import json_script
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import sharedpages
from accounts.limits import limit
from accounts.models import User
from forums.hosts import discussion_context, post_articles
from forums.models import Post, PostLike, Thread
from live import versions
from moderation.models import Visibility, visible_to_q
from search import query as search_query

from . import actions, similar
from .discussion import POINT_HOSTS, POINTS_AGAINST_HOST, POINTS_FOR_HOST, showing
from .forms import (
    AnswerForm,
    IdeaForm,
    MilestoneForm,
    ProgressForm,
    RecordIdeaForm,
    VoteForm,
)
from .links import campaign_links
from .models import (
    CampaignPage,
    Follow,
    Idea,
    IdeaState,
    Implementation,
    Meeting,
    MeToo,
    OfficialResponse,
    Report,
    Support,
    Vote,
    VoteChoice,
)
from .phases import ACTION_CLOSED_MESSAGES, NOT_STARTED_MESSAGE, PHASE_ACTIONS, Action
from .photos import (
    PhotoRefused,
    discard_draft_photo,
    keep_draft_photo,
    take_draft_photo,
)

IDEAS_PER_PAGE = 20
MAP_POINTS = 500
UPDATES_SHOWN = 20
POINTS_SHOWN = 20
RANDOM_PRIME = 2_147_483_647  # 2**31 - 1: random_key * multiplier stays within int64

SORTS = {
    "random": gettext_lazy("Random"),
    "new": gettext_lazy("Newest"),
    "supported": gettext_lazy("Most supported"),
    "discussed": gettext_lazy("Most discussed"),
}

PUBLIC_STATES = [s for s in IdeaState.values if s != IdeaState.WITHDRAWN]


def _visitor_seed(request: HttpRequest) -> int:
    """The visitor's random order: from the link, so every page of a listing agrees.

    Without one, the day's order (a resident's own for the day): nothing is kept in
    a session, so an anonymous page sets no cookie and can be served from the page
    cache, and the order still changes from day to day."""
    raw = request.GET.get("seed", "")
    if raw.isdigit() and 0 < int(raw) < RANDOM_PRIME:
        return int(raw)
    user = request.user
    who = user.pk if user.is_authenticated else ""
    digest = hashlib.sha256(f"{timezone.localdate().isoformat()}:{who}".encode())
    return int.from_bytes(digest.digest()[:8], "big") % (RANDOM_PRIME - 1) + 1


def sort_ideas(qs: QuerySet[Idea], sort: str, seed: int) -> QuerySet[Idea]:
    if sort == "supported":
        return qs.order_by("-support_count", "-agree_count", "-id")
    if sort == "discussed":
        return qs.order_by("-comment_count", "-id")
    if sort == "new":
        return qs.order_by("-created_at", "-id")
    # A different permutation per seed, computed in SQL on SQLite and PostgreSQL
    # alike: (random_key * seed) mod p is a bijection of the stored random keys.
    shuffle = ExpressionWrapper(
        (F("random_key") * Value(seed) + Value(seed // 7)) % Value(RANDOM_PRIME),
        output_field=BigIntegerField(),
    )
    return qs.alias(shuffle=shuffle).order_by("shuffle", "id")


def campaign_ideas(campaign: CampaignPage, user: Any) -> QuerySet[Idea]:
    return (
        Idea.objects.filter(campaign=campaign)
        .filter(visible_to_q(user))
        .exclude(state=IdeaState.WITHDRAWN)
    )


ANSWER_RECORD_SECONDS = 60


def answer_record(campaign: CampaignPage) -> dict[str, Any]:
    """How many ideas the city answered, how fast, and which are past the deadline.

    It scans the campaign's answered ideas, so it is computed at most once a
    minute per campaign and shared through the cache: a figure a minute old is
    as true to residents as a fresh one."""
    key = f"ideas:answer-record:{campaign.pk}"
    record = cache.get(key)
    if record is None:
        record = _answer_record(campaign)
        cache.set(key, record, ANSWER_RECORD_SECONDS)
    return record


def _answer_record(campaign: CampaignPage) -> dict[str, Any]:
    base = Idea.objects.public().filter(campaign=campaign)
    rows = list(
        base.filter(answered_at__isnull=False).values_list(
            "answered_at", "review_started_at", "created_at"
        )
    )
    days = [
        (answered - (review or created)).total_seconds() / 86400
        for answered, review, created in rows
    ]
    deadline = timezone.now() - timezone.timedelta(days=campaign.answer_deadline_days)
    overdue = base.filter(
        state=IdeaState.UNDER_REVIEW,
        answered_at__isnull=True,
        review_started_at__lt=deadline,
    ).order_by("review_started_at")
    overdue_list = list(overdue.only("pk", "title", "review_started_at")[:10])
    meeting_figures = Meeting.objects.filter(
        campaign=campaign, ends_at__lte=timezone.now()
    ).aggregate(n=Count("id"), attended=Sum("attended_count"))
    return {
        "answered": len(rows),
        "awaiting": base.filter(
            state=IdeaState.UNDER_REVIEW, answered_at__isnull=True
        ).count(),
        "median_days": round(statistics.median(days), 1) if days else None,
        "overdue": overdue_list,
        "overdue_count": overdue.count()
        if len(overdue_list) == 10
        else len(overdue_list),
        "deadline_days": campaign.answer_deadline_days,
        # Residents who took part in the room count in the campaign's figures.
        "meetings": meeting_figures["n"],
        "attended": meeting_figures["attended"] or 0,
    }


def map_script_for(campaign: CampaignPage) -> str:
    """The newest located public ideas for the map, as the page's JSON script
    element (empty when there are none), cached until an idea changes (the
    similar-ideas version moves with every new, edited or withdrawn idea)."""
    key = f"ideas:map-script:{campaign.pk}:{similar.current_version(campaign.pk)}"
    script = cache.get(key)
    if script is None:
        points = [
            {"id": pk, "title": title, "lat": lat, "lon": lon, "url": f"/ideas/{pk}/"}
            for pk, title, lat, lon in Idea.objects.public()
            .filter(campaign=campaign, lat__isnull=False, lon__isnull=False)
            .order_by("-created_at")
            .values_list("pk", "title", "lat", "lon")[:MAP_POINTS]
        ]
        script = str(json_script(points, "idea-map-points")) if points else ""
        cache.set(key, script, 3600)
    return mark_safe(script)  # noqa: S308 - json_script escaped it


def _phase_context(campaign: CampaignPage, user: Any) -> dict[str, Any]:
    phase = campaign.current_phase()
    open_actions = PHASE_ACTIONS[phase.kind] if phase else frozenset()
    closed_message = ""
    if phase is None:
        closed_message = (
            NOT_STARTED_MESSAGE
            if not campaign.has_started()
            else _("This campaign is closed. Thank you to everyone who took part.")
        )
    return {
        "phase": phase,
        "phases": campaign.phase_list(),
        "can_propose": Action.PROPOSE in open_actions,
        "can_support": Action.SUPPORT in open_actions,
        "can_comment": Action.COMMENT in open_actions,
        "propose_closed_message": ACTION_CLOSED_MESSAGES[Action.PROPOSE],
        "support_closed_message": ACTION_CLOSED_MESSAGES[Action.SUPPORT],
        "campaign_closed_message": closed_message,
        "is_staff_answerer": actions.is_city_staff(user),
    }


def campaign_page(request: HttpRequest, campaign: CampaignPage) -> HttpResponse:
    # The page most residents share (accounts.sharedpages), except the random
    # order of the day, which is each resident's own (_visitor_seed).
    sort = request.GET.get("sort", "random")
    own_order = (sort not in SORTS or sort == "random") and "seed" not in request.GET
    return sharedpages.serve(  # type: ignore[return-value]
        request, lambda: _campaign_page(request, campaign), shareable=not own_order
    )


def _campaign_page(request: HttpRequest, campaign: CampaignPage) -> HttpResponse:
    user = request.user
    sharedpages.note(request, campaign=campaign.pk)
    sort = request.GET.get("sort", "random")
    if sort not in SORTS:
        sort = "random"
    seed = _visitor_seed(request)
    category = request.GET.get("category", "")[:100]
    state = request.GET.get("state", "")
    tag = request.GET.get("tag", "")[:100]
    query = request.GET.get("q", "").strip()[:200]

    params = {
        k: v
        for k, v in {
            "sort": sort,
            "category": category,
            "state": state,
            "tag": tag,
            "q": query,
            "seed": seed if sort == "random" else "",
        }.items()
        if v
    }
    list_context = {
        "campaign": campaign,
        "query_string": urlencode(params),
        "filters_active": bool(category or state or tag or query),
    }
    shared_key = _shared_list_key(campaign, user, params, request.GET.get("page"))
    shared = cache.get(shared_key) if shared_key else None
    if shared is not None:
        ideas_count, ideas_list_html = shared
        page, ideas = None, []
    else:
        qs = campaign_ideas(campaign, user)
        if category:
            qs = qs.filter(categories__slug=category)
        if state in PUBLIC_STATES:
            qs = qs.filter(state=state)
        if tag:
            qs = qs.filter(tags__slug=tag)
        if query:
            # The site's one search engine finds the ids; filters and sort stay in SQL.
            qs = qs.filter(
                pk__in=search_query.matching_ids("idea", query, place_id=campaign.pk)
            )
        qs = (
            sort_ideas(qs, sort, seed)
            .select_related("author")
            .prefetch_related("categories")
        )

        page = Paginator(qs, IDEAS_PER_PAGE).get_page(request.GET.get("page"))
        ideas = list(page.object_list)
        if campaign.uses_votes and user.is_authenticated and ideas:
            # The viewer's own votes on this page, in one query, for the cards' buttons.
            chosen = dict(
                Vote.objects.filter(user=user, idea__in=ideas).values_list(
                    "idea_id", "choice"
                )
            )
            for idea in ideas:
                idea.viewer_vote = chosen.get(idea.pk)
            sharedpages.note(request, voted_cards=[idea.pk for idea in ideas])
        ideas_count = page.paginator.count
        ideas_list_html = ""
        if shared_key:
            ideas_list_html = render_to_string(
                "ideas/includes/idea_list.html",
                {**list_context, "ideas": ideas, "ideas_page": page},
            )
            cache.set(shared_key, (ideas_count, ideas_list_html), SHARED_LIST_SECONDS)
    follows_campaign = user.is_authenticated and (
        Follow.objects.filter(user=user, campaign=campaign).exists()
    )

    map_script = map_script_for(campaign) if campaign.location_asked else ""
    context = {
        "page": campaign,
        "campaign": campaign,
        "self": campaign,
        "ideas_page": page,
        "ideas": ideas,
        "ideas_count": ideas_count,
        "ideas_list_html": ideas_list_html,
        "sort": sort,
        "sorts": SORTS,
        "category": category,
        "state": state,
        "states": [(s, IdeaState(s).label) for s in PUBLIC_STATES],
        "tag": tag,
        "query": query,
        "categories": campaign.category_choices(),
        **list_context,
        "follows_campaign": follows_campaign,
        "record": answer_record(campaign),
        "map_script": map_script,
        "map_tiles_url": settings.AGORA_MAP_TILES_URL,
        "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        "campaign_links": campaign_links(user, campaign),
        "vote_choices": VoteChoice.choices,
        **_phase_context(campaign, user),
    }
    return render(request, "ideas/campaign_page.html", context)


SHARED_LIST_SECONDS = 300


def _shared_list_key(
    campaign: CampaignPage, user: Any, params: dict[str, Any], page: str | None
) -> str | None:
    """The cache key of a page of cards that looks the same to everyone who may
    see it, or None when this viewer's list is their own: a resident with votes to
    show on the cards, or with ideas of theirs still waiting or hidden (which only
    they see in the list). Keyed by the pages' version (live.versions), so any
    change makes a new list; shared by visitors and residents alike."""
    if user.is_authenticated:
        if campaign.uses_votes:
            return None
        if (
            Idea.objects.filter(campaign=campaign, author=user)
            .exclude(visibility=Visibility.PUBLISHED)
            .exists()
        ):
            return None
    digest = hashlib.sha256(
        f"{sorted(params.items())}:{page or ''}".encode()
    ).hexdigest()[:32]
    return f"ideas:cards:{campaign.pk}:{get_language()}:{versions.current()}:{digest}"


def _get_campaign(pk: int) -> CampaignPage:
    campaign = CampaignPage.objects.live().public().filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def _get_idea(request: HttpRequest, pk: int, *, with_viewer: bool = False) -> Idea:
    """The idea, 404 unless `request.user` may see it. `with_viewer`: with the
    viewer's support, vote and follow read in the same query (`viewer_supports`,
    `viewer_vote`, `viewer_follows`)."""
    ideas = Idea.objects.select_related("campaign", "author", "thread")
    user = request.user
    if with_viewer and user.is_authenticated:
        mine = {"user_id": user.pk, "idea_id": OuterRef("pk")}
        ideas = ideas.annotate(
            viewer_supports=Exists(Support.objects.filter(**mine)),
            viewer_vote=Subquery(
                Vote.objects.filter(**mine).order_by("id").values("choice")[:1]
            ),
            viewer_follows=Exists(Follow.objects.filter(**mine)),
        )
    idea = get_object_or_404(ideas, pk=pk)
    if not idea.campaign.live or not idea.is_visible_to(request.user):
        raise Http404
    return idea


def idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The page most residents share (accounts.sharedpages).
    return sharedpages.serve(  # type: ignore[return-value]
        request, lambda: _idea_detail(request, pk)
    )


def _idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _get_idea(request, pk, with_viewer=True)
    sharedpages.note(request, idea=idea.pk, authors=[idea.author_id])
    campaign = idea.campaign
    user = request.user
    timeline = list(OfficialResponse.objects.filter(idea=idea).select_related("by"))
    report = None
    if campaign.is_reports:
        report = Report.objects.filter(idea=idea).select_related("department").first()
        if report is not None:
            sharedpages.note(request, report=report.pk)
    viewer: dict[str, Any] = {"supports": False, "vote": None, "follows": False}
    if user.is_authenticated:
        viewer["supports"] = idea.viewer_supports
        viewer["vote"] = idea.viewer_vote
        viewer["follows"] = idea.viewer_follows
    can_edit = can_withdraw = False
    if user.is_authenticated and idea.author_id == user.pk:
        try:
            actions.check_edit_idea(user, idea)
            can_edit = True
        except (actions.IdeaError, PermissionDenied):
            pass
        try:
            actions.check_withdraw_idea(user, idea)
            can_withdraw = True
        except (actions.IdeaError, PermissionDenied):
            pass
    context = {
        "idea": idea,
        "campaign": campaign,
        "categories": list(idea.categories.all()),
        "tags": list(idea.tags.all()),
        "timeline": timeline,
        "viewer": viewer,
        "can_edit": can_edit,
        "can_withdraw": can_withdraw,
        "viewer_is_author": user.is_authenticated and idea.author_id == user.pk,
        "answer_form": AnswerForm() if _may_answer(user, idea, report) else None,
        "vote_choices": VoteChoice.choices,
        "answer_due": idea.answer_due(),
        "map_points": [
            {"id": idea.pk, "title": idea.title, "lat": idea.lat, "lon": idea.lon}
        ]
        if idea.is_located
        else [],
        "map_tiles_url": settings.AGORA_MAP_TILES_URL,
        "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        **_phase_context(campaign, user),
        **_implementation_context(idea, user),
        **_arguments_context(request, idea, user),
        "report": report,
        "viewer_me_too": bool(
            report
            and user.is_authenticated
            and MeToo.objects.filter(user=user, report=report).exists()
        ),
    }
    if idea.thread_id:
        # The comments: forums' discussion (posts, reply form), one fixed set of
        # queries; the host's checks answer from the idea already loaded.
        with showing(idea):
            context.update(discussion_context(request, idea.thread))
    return render(request, "ideas/idea_detail.html", context)


def _arguments_context(request: HttpRequest, idea: Idea, user: Any) -> dict[str, Any]:
    """Two columns of points, the most liked first: four queries whatever their number."""
    threads = {
        t.host_kind: t
        # The exclude names the partial unique index's own condition, so that
        # SQLite's planner may use it (an IN alone does not imply it there).
        for t in Thread.objects.filter(
            host_kind__in=list(POINT_HOSTS), host_id=idea.pk
        ).exclude(host_kind="")
    }
    columns = []
    shown: list[int] = []
    for side, kind, label in (
        ("for", POINTS_FOR_HOST, _("For")),
        ("against", POINTS_AGAINST_HOST, _("Against")),
    ):
        thread = threads.get(kind)
        points = []
        if thread is not None:
            points = list(
                Post.objects.filter(thread=thread, deleted_at__isnull=True)
                .visible_to(user)
                .select_related("author")
                .order_by("-like_count", "id")[:POINTS_SHOWN]
            )
            shown += [p.pk for p in points]
            sharedpages.note(request, threads=[thread.pk])
        columns.append(
            {"side": side, "label": label, "thread": thread, "points": points}
        )
    liked: set[int] = set()
    if user.is_authenticated and shown:
        liked = set(
            PostLike.objects.filter(user=user, post_id__in=shown).values_list(
                "post_id", flat=True
            )
        )
    for column in columns:
        if column["thread"] is not None:
            post_articles(
                column["points"], user=user, thread=column["thread"], liked_ids=liked
            )
    sharedpages.note(request, posts=shown)
    return {
        "argument_columns": columns,
        "point_max_length": actions.MAX_POINT_LENGTH,
    }


def _implementation_context(idea: Idea, user: Any) -> dict[str, Any]:
    """The idea's implementation record, its milestones and latest updates."""
    impl = (
        Implementation.objects.filter(
            subject_kind=actions.IDEA_TRACKED_KIND, subject_id=idea.pk
        )
        .prefetch_related("milestones")
        .first()
    )
    if impl is None:
        return {"impl": None}
    manage = actions.is_city_staff(user)
    return {
        "impl": impl,
        "impl_updates": list(impl.updates.all()[:UPDATES_SHOWN]),
        "progress_form": ProgressForm(auto_id="progress-%s") if manage else None,
        "milestone_form": MilestoneForm(auto_id="milestone-%s") if manage else None,
    }


def _similar_ideas(
    campaign: CampaignPage, text: str, exclude: list[int] | None = None
) -> list[Idea]:
    hits = similar.similar_idea_ids(campaign.pk, text, exclude=exclude)
    if not hits:
        return []
    found = Idea.objects.public().filter(pk__in=[pk for pk, _ in hits]).in_bulk()
    return [found[pk] for pk, _ in hits if pk in found]


def _submit(
    request: HttpRequest, campaign: CampaignPage, form: IdeaForm, photo: Any
) -> Idea:
    """An idea, or in a report campaign a report (routed, on the clock)."""
    kwargs = form.action_kwargs()
    if not campaign.is_reports:
        return actions.do_propose_idea(request.user, campaign, photo=photo, **kwargs)
    categories = kwargs["categories"]
    report = actions.do_file_report(
        request.user,
        campaign,
        title=kwargs["title"],
        description=kwargs["description"],
        category=categories[0] if categories else None,
        lat=kwargs.get("lat"),
        lon=kwargs.get("lon"),
        address=kwargs.get("address", ""),
        photo=photo,
    )
    return report.idea


def propose_idea(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _get_campaign(campaign_pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    closed = ""
    try:
        actions.check_propose_idea(request.user, campaign)
    except actions.IdeaError as exc:
        closed = str(exc)
    form = IdeaForm(request.POST or None, request.FILES or None, campaign=campaign)
    similar_ideas: list[Idea] = []
    preview = False
    # A photo chosen before "Check for similar ideas" is kept for the next submit.
    photo_draft = request.POST.get("photo_draft", "")[:1000]
    photo_draft_name = request.POST.get("photo_draft_name", "")[:100]
    if request.method == "POST" and not closed and form.is_valid():
        text = f"{form.cleaned_data['title']}. {form.cleaned_data['description']}"
        if "preview" in request.POST:
            # The no-JS path to "has someone proposed this already?".
            similar_ideas = _similar_ideas(campaign, text)
            preview = True
            if form.cleaned_data.get("photo"):
                try:
                    photo_draft, photo_draft_name = keep_draft_photo(
                        form.cleaned_data["photo"], request.user.pk
                    )
                except PhotoRefused as exc:
                    form.add_error("photo", str(exc))
        else:
            limit(request, "idea")
            photo = form.cleaned_data.get("photo")
            if not photo and photo_draft:
                photo = take_draft_photo(photo_draft, request.user.pk)
            try:
                idea = _submit(request, campaign, form, photo)
            except (actions.IdeaError, PermissionDenied) as exc:
                form.add_error(None, str(exc))
            else:
                if photo_draft:
                    discard_draft_photo(photo_draft, request.user.pk)
                if idea.visibility == Visibility.PUBLISHED:
                    messages.success(request, _("Thank you: your idea is published."))
                else:
                    messages.info(request, idea.visibility_reason)
                return redirect(idea.get_absolute_url())
    return render(
        request,
        "ideas/idea_form.html",
        {
            "campaign": campaign,
            "form": form,
            "closed_message": closed,
            "similar_ideas": similar_ideas,
            "preview": preview,
            "photo_draft": photo_draft,
            "photo_draft_name": photo_draft_name,
            "heading": _("Report a problem")
            if campaign.is_reports
            else _("Propose an idea"),
            "similar_url": f"/ideas/campaign/{campaign.pk}/similar/",
            "map_tiles_url": settings.AGORA_MAP_TILES_URL,
            "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def edit_idea(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _get_idea(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        actions.check_edit_idea(request.user, idea)
    except PermissionDenied:
        raise
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
        return redirect(idea.get_absolute_url())
    initial = {
        "title": idea.title,
        "description": idea.description,
        "categories": list(idea.categories.all()),
        "tags": ", ".join(t.name for t in idea.tags.all()),
        "lat": idea.lat,
        "lon": idea.lon,
        "address": idea.address,
    }
    form = IdeaForm(
        request.POST or None,
        request.FILES or None,
        campaign=idea.campaign,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_edit_idea(
                request.user,
                idea,
                photo=form.cleaned_data.get("photo"),
                remove_photo=form.cleaned_data.get("photo") is False,
                **form.action_kwargs(),
            )
        except actions.IdeaError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your idea is updated."))
            return redirect(idea.get_absolute_url())
    return render(
        request,
        "ideas/idea_form.html",
        {
            "campaign": idea.campaign,
            "idea": idea,
            "form": form,
            "heading": _("Change your idea"),
            "similar_url": f"/ideas/campaign/{idea.campaign_id}/similar/",
            "map_tiles_url": settings.AGORA_MAP_TILES_URL,
            "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def record_idea(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _get_campaign(campaign_pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not actions.is_city_staff(request.user):
        raise PermissionDenied(_("Only planners and city administrators record ideas."))
    meeting_id = request.GET.get("meeting", "")
    form = RecordIdeaForm(
        request.POST or None,
        campaign=campaign,
        initial={"source": "meeting", "meeting": int(meeting_id)}
        if meeting_id.isdigit()
        else None,
    )
    if request.method == "POST" and form.is_valid():
        resident = None
        email = form.cleaned_data.get("resident_email")
        if email:
            resident = User.objects.filter(email__iexact=email).first()
            if resident is None:
                form.add_error(
                    "resident_email", _("No account has this e-mail address.")
                )
        if not form.errors:
            try:
                idea = actions.do_record_idea(
                    request.user,
                    campaign,
                    source=form.cleaned_data["source"],
                    resident=resident,
                    submitter_name=form.cleaned_data.get("submitter_name", ""),
                    meeting=form.cleaned_data.get("meeting"),
                    **form.action_kwargs(),
                )
            except actions.IdeaError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The idea is recorded."))
                return redirect(idea.get_absolute_url())
    return render(
        request,
        "ideas/idea_form.html",
        {
            "campaign": campaign,
            "form": form,
            "heading": _("Record an idea gathered offline"),
            "map_tiles_url": settings.AGORA_MAP_TILES_URL,
            "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _act(
    request: HttpRequest, idea: Idea, fn: Any, *args: Any, ok: str = ""
) -> HttpResponse:
    """Run one action for a POSTed button and go back to where the visitor was."""
    if not request.user.is_authenticated:
        return redirect_to_login(idea.get_absolute_url())
    try:
        fn(request.user, *args)
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
    else:
        if ok:
            messages.success(request, ok)
    # Back to the item acted on (its #fragment), not to the top of the page.
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return redirect(back)
    return redirect(f"{idea.get_absolute_url()}#support")


@require_POST
def add_point(request: HttpRequest, pk: int) -> HttpResponse:
    """A point for or against, from the form under its column."""
    idea = _get_idea(request, pk)
    back = f"{idea.get_absolute_url()}#arguments"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    limit(request, "post")
    try:
        post = actions.do_add_point(
            request.user,
            idea,
            request.POST.get("side", ""),
            request.POST.get("body", ""),
        )
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if not post.is_published:
        messages.info(
            request, _("Thanks! Your point waits for a moderator before others see it.")
        )
        return redirect(back)
    return redirect(f"{idea.get_absolute_url()}#post-{post.pk}")


@require_POST
def support_idea(request: HttpRequest, pk: int) -> HttpResponse:
    limit(request, "support")
    idea = _get_idea(request, pk)
    if request.POST.get("undo"):
        return _act(request, idea, actions.do_unsupport_idea, idea)
    return _act(
        request, idea, actions.do_support_idea, idea, ok=_("You support this idea.")
    )


@require_POST
def vote_idea(request: HttpRequest, pk: int) -> HttpResponse:
    limit(request, "vote")
    idea = _get_idea(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose agree, disagree or pass."))
        return redirect(idea.get_absolute_url())
    return _act(request, idea, actions.do_vote_idea, idea, form.cleaned_data["choice"])


@require_POST
def withdraw_idea(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _get_idea(request, pk)
    return _act(
        request, idea, actions.do_withdraw_idea, idea, ok=_("Your idea is withdrawn.")
    )


@require_POST
def follow_idea(request: HttpRequest, pk: int) -> HttpResponse:
    limit(request, "follow")
    idea = _get_idea(request, pk)
    if request.POST.get("undo"):
        return _act(request, idea, actions.do_unfollow_idea, idea)
    return _act(
        request,
        idea,
        actions.do_follow_idea,
        idea,
        ok=_("You will hear when this idea changes."),
    )


@require_POST
def follow_campaign(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    limit(request, "follow")
    campaign = _get_campaign(campaign_pk)
    if not request.user.is_authenticated:
        return redirect_to_login(campaign.url)
    if request.POST.get("undo"):
        actions.do_unfollow_campaign(request.user, campaign)
    else:
        actions.do_follow_campaign(request.user, campaign)
        messages.success(request, _("You will hear about new ideas in this campaign."))
    return redirect(f"{campaign.url}#campaign-actions")


def _may_answer(user: Any, idea: Idea, report: Report | None = None) -> bool:
    """City staff answer ideas; a report is answered by its department's staff too."""
    if idea.campaign.is_reports:
        if report is None:
            report = (
                Report.objects.filter(idea=idea).select_related("department").first()
            )
        if report is not None:
            return actions.is_department_staff(user, report.department)
    return actions.is_city_staff(user)


@require_POST
def answer_idea(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _get_idea(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(idea.get_absolute_url())
    form = AnswerForm(request.POST)
    if form.is_valid():
        limit(request, "write")
        report = Report.objects.filter(idea=idea).select_related("idea").first()
        try:
            if report is not None:
                report.idea = idea
                actions.do_answer_report(
                    request.user,
                    report,
                    form.cleaned_data["state"],
                    form.cleaned_data["text"],
                )
            else:
                actions.do_change_status(
                    request.user,
                    idea,
                    form.cleaned_data["state"],
                    form.cleaned_data["text"],
                )
        except actions.IdeaError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The answer is published and residents are told.")
            )
            return redirect(idea.get_absolute_url())
    elif not _may_answer(request.user, idea):
        raise PermissionDenied(_("Only planners and city administrators answer ideas."))
    messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
    return redirect(idea.get_absolute_url())


@require_GET
def similar_ideas_json(request: HttpRequest, campaign_pk: int) -> JsonResponse:
    """For the propose form's script: the ideas most like what is being typed."""
    campaign = _get_campaign(campaign_pk)
    text = f"{request.GET.get('title', '')[:150]}. {request.GET.get('description', '')[:2000]}"
    exclude = [int(x) for x in [request.GET.get("exclude", "")] if x.isdigit()]
    ideas = _similar_ideas(campaign, text.strip(". "), exclude)
    return JsonResponse(
        {
            "results": [
                {
                    "id": i.pk,
                    "title": i.title,
                    "url": i.get_absolute_url(),
                    "supports": i.support_count,
                    "state": i.get_state_display(),
                }
                for i in ideas
            ]
        }
    )


def campaign_redirect(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    return redirect(_get_campaign(campaign_pk).url)


def campaign_index(request: HttpRequest) -> HttpResponse:
    """/ideas/: the header's "Campaigns" link, to the campaign index page wherever it is."""
    from .models import CampaignIndexPage

    index = CampaignIndexPage.objects.live().public().first()
    if index is None or not index.url:
        return redirect("/")
    return redirect(index.url)


def vote_deck(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """Agree/disagree statements one after another (a Pol.is-style card).

    Each vote posts to the ordinary vote action and comes back here for the next
    statement the resident has not voted on, in their own random order. That is the
    whole flow without JavaScript; vote-deck.js only swaps the card in place.
    """
    campaign = _get_campaign(campaign_pk)
    if not campaign.uses_votes:
        raise Http404
    user = request.user
    seed = _visitor_seed(request)
    statements = Idea.objects.public().filter(campaign=campaign)
    remaining = statements
    if user.is_authenticated:
        remaining = statements.exclude(votes__user=user)
    total = statements.count()
    left = remaining.count() if user.is_authenticated else total
    idea = (
        sort_ideas(remaining, "random", seed).select_related("author").first()
        if left
        else None
    )
    context = {
        "campaign": campaign,
        "idea": idea,
        "total": total,
        "voted": total - left,
        "left": left,
        "vote_choices": VoteChoice.choices,
        "deck_url": request.path,
        **_phase_context(campaign, user),
    }
    return render(request, "ideas/vote_deck.html", context)
