"""Every change of state in idea campaigns goes through here.

`check_<verb>_<noun>()` validates and enforces permission (raising IdeaError or
PermissionDenied with a message the person can act on); `do_<verb>_<noun>()`
writes in one transaction and emits live events after commit. Views, the admin,
the demo seed and tests all call these, so each rule is written once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from taggit.models import Tag

from accounts.actions import do_notify
from accounts.models import User
from accounts.roles import Role, has_role
from forums.actions import DiscussionRefused, do_create_hosted_thread, do_reply
from forums.models import Post, Thread
from live import publish_on_commit
from moderation.models import Visibility
from moderation.sanctions import ParticipationRefused, check_can_participate
from moderation.screening import SubmissionRefused, screen_submission
from search import index as search_index

from . import similar
from .discussion import IDEA_HOST, POINTS_AGAINST_HOST, POINTS_FOR_HOST
from .models import (
    ANSWER_STATES,
    VOTE_COUNT_FIELD,
    CampaignPage,
    CategoryRoute,
    Department,
    Follow,
    Idea,
    IdeaSource,
    IdeaState,
    Implementation,
    ImplementationStatus,
    Meeting,
    MeetingRegistration,
    MeToo,
    Milestone,
    OfficialResponse,
    ProgressUpdate,
    RegistrationStatus,
    Report,
    Support,
    Vote,
    VoteChoice,
)
from .phases import ACTION_CLOSED_MESSAGES, NOT_STARTED_MESSAGE, Action
from .photos import PhotoRefused, sanitise_photo
from .tracking import tracked_kind
from .workdays import add_working_days

logger = logging.getLogger(__name__)

# Submission rate limits: (how many, per seconds). A resident with more ideas
# than this in one sitting is rare; a script is not.
PROPOSE_LIMITS = [(5, 10 * 60), (20, 24 * 3600)]
MAX_TAGS = 10
MAX_TAG_LENGTH = 40


# Ideas are one kind of tracked thing (ideas.tracking); their state moves the record.
IDEA_TRACKED_KIND = "idea"
IDEA_TRACKING_STATUS: dict[str, str] = {
    IdeaState.ACCEPTED: ImplementationStatus.PLANNED,
    IdeaState.PLANNED: ImplementationStatus.PLANNED,
    IdeaState.IN_PROGRESS: ImplementationStatus.IN_PROGRESS,
    IdeaState.IMPLEMENTED: ImplementationStatus.COMPLETED,
}


class IdeaError(Exception):
    """A refusal the person can act on; the message is shown to them."""


# ---------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------


def _require_resident(user: Any) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to take part."))
    try:
        check_can_participate(user)
    except ParticipationRefused as refusal:
        raise IdeaError(str(refusal)) from refusal


def _require_phase(campaign: CampaignPage, action: Action) -> None:
    if not campaign.live:
        raise IdeaError(_("This campaign is not published."))
    if campaign.allows(action):
        return
    if not campaign.has_started():
        raise IdeaError(str(NOT_STARTED_MESSAGE))
    raise IdeaError(str(ACTION_CLOSED_MESSAGES[action]))


def _require_public_idea(idea: Idea) -> None:
    if idea.visibility != Visibility.PUBLISHED:
        raise IdeaError(_("This idea is not published yet, so it cannot be supported."))
    if idea.state == IdeaState.WITHDRAWN:
        raise IdeaError(_("This idea was withdrawn by its author."))


def is_city_staff(user: Any) -> bool:
    """Planners and city administrators answer ideas and record offline ones."""
    return has_role(user, Role.PLANNER) or has_role(user, Role.CITY_ADMIN)


def would_resident_be_allowed(campaign: CampaignPage, action: Action) -> bool:
    """Rules discovery (adhocracy4): could a logged-in resident do this now?

    Pages ask it for anonymous visitors to show "log in to take part" rather
    than hiding an action that is open."""
    return campaign.live and campaign.allows(action)


def _check_rate(user: User, verb: str, limits: list[tuple[int, int]]) -> None:
    for limit, seconds in limits:
        key = f"ideas:rate:{verb}:{user.pk}:{seconds}"
        cache.add(key, 0, timeout=seconds)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=seconds)
            count = 1
        if count > limit:
            raise IdeaError(
                _(
                    "You have proposed many ideas in a short time. Please wait a "
                    "while before proposing another; what you wrote is kept below."
                )
            )


def _clean_text(
    value: str, name: str, max_length: int, *, required: bool = True
) -> str:
    value = (value or "").strip()
    if required and not value:
        raise IdeaError(_("Please fill in the %(field)s.") % {"field": name})
    if len(value) > max_length:
        raise IdeaError(
            _("The %(field)s is too long: at most %(n)d characters.")
            % {"field": name, "n": max_length}
        )
    return value


def _clean_location(
    lat: float | None, lon: float | None
) -> tuple[float | None, float | None]:
    if (lat is None) != (lon is None):
        raise IdeaError(_("Give both latitude and longitude, or neither."))
    if (
        lat is not None
        and lon is not None
        and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise IdeaError(_("That point is not on the map: check the coordinates."))
    return lat, lon


def _clean_categories(campaign: CampaignPage, categories: Iterable[Tag]) -> list[Tag]:
    chosen = list(categories)
    offered = {t.pk for t in campaign.category_choices()}
    if any(t.pk not in offered for t in chosen):
        raise IdeaError(_("Pick categories from those this campaign offers."))
    return chosen


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        tag = tag.strip().lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise IdeaError(
                _("Tags can be at most %(n)d characters long.") % {"n": MAX_TAG_LENGTH}
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise IdeaError(_("Use at most %(n)d tags.") % {"n": MAX_TAGS})
    return cleaned


# ---------------------------------------------------------------------------
# Live events: fragments rendered by the same includes the pages use
# ---------------------------------------------------------------------------


def render_idea_card(idea: Idea) -> str:
    return render_to_string(
        "ideas/includes/idea_card.html", {"idea": idea, "campaign": idea.campaign}
    )


def render_timeline_entry(response: OfficialResponse) -> str:
    return render_to_string("ideas/includes/timeline_entry.html", {"entry": response})


def _publish_counts(idea: Idea, type: str) -> None:
    idea.refresh_from_db(
        fields=["support_count", "agree_count", "disagree_count", "pass_count"]
    )
    counts = {
        "supports": idea.support_count,
        "agree": idea.agree_count,
        "disagree": idea.disagree_count,
        "pass": idea.pass_count,
    }
    publish_on_commit(f"idea.{idea.pk}", type, {"counts": counts})
    # On the campaign page each card's counters are named after the idea.
    publish_on_commit(
        f"campaign.{idea.campaign_id}",
        type,
        {"counts": {f"{name}.{idea.pk}": n for name, n in counts.items()}},
    )


# ---------------------------------------------------------------------------
# Propose, record on a resident's behalf, edit, withdraw
# ---------------------------------------------------------------------------


def check_propose_idea(user: Any, campaign: CampaignPage) -> None:
    _require_resident(user)
    _require_phase(campaign, Action.PROPOSE)


def _idea_fields(
    campaign: CampaignPage,
    *,
    title: str,
    description: str,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
) -> dict[str, Any]:
    title = _clean_text(title, str(_("title")), 150)
    description = _clean_text(description, str(_("description")), 5000)
    if len(title) < 5:
        raise IdeaError(_("Give your idea a title of at least 5 characters."))
    lat, lon = _clean_location(lat, lon)
    address = _clean_text(address, str(_("address")), 200, required=False)
    if not campaign.location_asked:
        lat = lon = None
        address = ""
    return {
        "title": title,
        "description": description,
        "lat": lat,
        "lon": lon,
        "address": address,
    }


def _save_new_idea(
    idea: Idea,
    categories: list[Tag],
    tags: list[str],
    photo: UploadedFile | None,
    *,
    announce: bool = True,
) -> Idea:
    if photo:
        try:
            clean = sanitise_photo(photo)
        except PhotoRefused as exc:
            raise IdeaError(str(exc)) from exc
        idea.photo.save(clean.name, clean, save=False)
    idea.save()
    # One discussion per idea, made with it, so a comment never needs to create one.
    idea.thread = do_create_hosted_thread(IDEA_HOST, idea.pk, title=idea.title)
    idea.save(update_fields=["thread"])
    # The two columns of arguments exist from the start, so a page open before the
    # first point is posted already listens to them.
    point_threads(idea)
    if categories:
        idea.categories.set(categories)
    if tags:
        idea.tags.set(tags)
    if idea.author is not None:
        # Authors hear about answers to their own ideas like any follower.
        Follow.objects.get_or_create(user=idea.author, idea=idea)
    similar.mark_changed(idea.campaign_id)
    if announce and idea.visibility == Visibility.PUBLISHED:
        _announce_new_idea(idea)
    return idea


def _announce_new_idea(idea: Idea) -> None:
    publish_on_commit(
        f"campaign.{idea.campaign_id}",
        "idea.created",
        {
            "html": render_idea_card(idea),
            "mode": "prepend",
            "list": f"campaign.{idea.campaign_id}:ideas",
            # The campaign page's "Ideas (N)" stays true as ideas arrive.
            "counts": {
                "ideas": Idea.objects.public()
                .filter(campaign_id=idea.campaign_id)
                .count()
            },
            "announce": _("New idea: %(title)s") % {"title": idea.title},
        },
    )
    for follow in Follow.objects.filter(campaign_id=idea.campaign_id).select_related(
        "user"
    ):
        do_notify(
            follow.user,
            "idea.created",
            lambda: (
                _("New idea in “%(campaign)s”: %(title)s")
                % {"campaign": idea.campaign.title, "title": idea.title}
            ),
            idea.get_absolute_url(),
            actor=idea.author,
        )


def _clean_idea(
    campaign: CampaignPage,
    title: str,
    description: str,
    categories: Iterable[Tag],
    tags: Iterable[str],
    lat: float | None,
    lon: float | None,
    address: str,
) -> tuple[dict[str, Any], list[Tag], list[str]]:
    """What a propose, record or edit form sent, validated the same way for all three."""
    fields = _idea_fields(
        campaign,
        title=title,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
    )
    return fields, _clean_categories(campaign, categories), _clean_tags(tags)


def _screen_idea(
    user: User, campaign: CampaignPage, fields: dict[str, Any], *, record: bool
) -> Any:
    try:
        return screen_submission(
            user,
            f"{fields['title']}\n{fields['description']}",
            premoderated=campaign.premoderated,
            kind="idea",
            record=record,
        )
    except SubmissionRefused as exc:
        raise IdeaError(str(exc)) from exc


def do_propose_idea(
    user: User,
    campaign: CampaignPage,
    *,
    title: str,
    description: str,
    categories: Iterable[Tag] = (),
    tags: Iterable[str] = (),
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    photo: UploadedFile | None = None,
    announce: bool = True,
) -> Idea:
    """A resident proposes an idea; pre-moderation may hold it for a moderator.

    `announce=False` leaves the live announcement (and the followers' notices) to
    the caller, which makes it once its own writes are done (do_file_report)."""
    check_propose_idea(user, campaign)
    fields, chosen, tag_names = _clean_idea(
        campaign, title, description, categories, tags, lat, lon, address
    )
    screening = _screen_idea(user, campaign, fields, record=True)
    _check_rate(user, "propose", PROPOSE_LIMITS)
    with transaction.atomic():
        idea = Idea(
            campaign=campaign,
            author=user,
            source=IdeaSource.ONLINE,
            visibility=screening.visibility,
            visibility_reason=screening.reason,
            **fields,
        )
        return _save_new_idea(idea, chosen, tag_names, photo, announce=announce)


def check_record_idea(staff: Any, campaign: CampaignPage) -> None:
    _require_resident(staff)
    if not is_city_staff(staff):
        raise PermissionDenied(
            _(
                "Only planners and city administrators record ideas on a resident's behalf."
            )
        )
    if not campaign.allows(Action.PROPOSE):
        raise IdeaError(str(ACTION_CLOSED_MESSAGES[Action.PROPOSE]))


def do_record_idea(
    staff: User,
    campaign: CampaignPage,
    *,
    source: str,
    title: str,
    description: str,
    resident: User | None = None,
    submitter_name: str = "",
    categories: Iterable[Tag] = (),
    tags: Iterable[str] = (),
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    meeting: Meeting | None = None,
) -> Idea:
    """Staff enter an idea gathered at a meeting, on paper or by phone."""
    check_record_idea(staff, campaign)
    if source not in IdeaSource.values or source == IdeaSource.ONLINE:
        raise IdeaError(_("Say where the idea was gathered: meeting, paper or phone."))
    if meeting is not None:
        if meeting.campaign_id != campaign.pk:
            raise IdeaError(_("That meeting belongs to another campaign."))
        source = IdeaSource.MEETING
    fields, chosen, tag_names = _clean_idea(
        campaign, title, description, categories, tags, lat, lon, address
    )
    submitter_name = _clean_text(submitter_name, str(_("name")), 60, required=False)
    with transaction.atomic():
        # Staff read it as they typed it in: no pre-moderation queue.
        idea = Idea(
            campaign=campaign,
            author=resident,
            recorded_by=staff,
            source=source,
            submitter_name=submitter_name,
            meeting=meeting,
            **fields,
        )
        return _save_new_idea(idea, chosen, tag_names, None)


def check_edit_idea(user: Any, idea: Idea) -> None:
    _require_resident(user)
    if idea.author_id != user.pk:
        raise PermissionDenied(_("Only the author of an idea can change it."))
    if idea.state == IdeaState.WITHDRAWN:
        raise IdeaError(_("This idea was withdrawn and can no longer be changed."))
    if idea.support_count or idea.vote_total or idea.comment_count:
        raise IdeaError(
            _(
                "Others have already supported or discussed this idea, so it can no "
                "longer be changed. Add a comment to clarify it instead."
            )
        )
    if idea.state != IdeaState.PUBLISHED or not idea.campaign.is_open():
        raise IdeaError(_("This idea can no longer be changed in this phase."))


def do_edit_idea(
    user: User,
    idea: Idea,
    *,
    title: str,
    description: str,
    categories: Iterable[Tag] = (),
    tags: Iterable[str] = (),
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> Idea:
    campaign = idea.campaign
    check_edit_idea(user, idea)
    fields, chosen, tag_names = _clean_idea(
        campaign, title, description, categories, tags, lat, lon, address
    )
    # An edit is screened for its text only: it is no new contribution.
    screening = _screen_idea(user, campaign, fields, record=False)
    with transaction.atomic():
        # Re-check under the lock: a support may have arrived since the form opened.
        locked = Idea.objects.select_for_update().get(pk=idea.pk)
        locked.campaign = campaign
        check_edit_idea(user, locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        if screening.visibility != Visibility.PUBLISHED:
            locked.visibility = screening.visibility
            locked.visibility_reason = screening.reason
        if remove_photo and locked.photo:
            locked.photo.delete(save=False)
        if photo:
            try:
                clean = sanitise_photo(photo)
            except PhotoRefused as exc:
                raise IdeaError(str(exc)) from exc
            locked.photo.save(clean.name, clean, save=False)
        locked.edited_at = timezone.now()
        locked.save()
        locked.categories.set(chosen)
        locked.tags.set(tag_names)
        similar.mark_changed(locked.campaign_id)
        if locked.visibility == Visibility.PUBLISHED:
            publish_on_commit(
                f"campaign.{locked.campaign_id}",
                "idea.edited",
                {
                    "html": render_idea_card(locked),
                    "mode": "replace",
                    "dom_id": f"idea-{locked.pk}",
                },
            )
    return locked


def check_withdraw_idea(user: Any, idea: Idea) -> None:
    _require_resident(user)
    if idea.author_id != user.pk:
        raise PermissionDenied(_("Only the author of an idea can withdraw it."))
    if idea.state not in (IdeaState.PUBLISHED, IdeaState.UNDER_REVIEW):
        raise IdeaError(
            _("The city has already answered this idea; it stays on record.")
        )


def do_withdraw_idea(user: User, idea: Idea) -> Idea:
    check_withdraw_idea(user, idea)
    with transaction.atomic():
        updated = Idea.objects.filter(
            pk=idea.pk, state__in=[IdeaState.PUBLISHED, IdeaState.UNDER_REVIEW]
        ).update(state=IdeaState.WITHDRAWN)
        if not updated:
            raise IdeaError(
                _("The city has already answered this idea; it stays on record.")
            )
        idea.state = IdeaState.WITHDRAWN
        # A bulk update sends no post_save: a withdrawn idea leaves the search here.
        search_index.reindex("idea", [idea.pk])
        similar.mark_changed(idea.campaign_id)
        publish_on_commit(
            f"campaign.{idea.campaign_id}",
            "idea.withdrawn",
            {"mode": "remove", "dom_id": f"idea-{idea.pk}"},
        )
    return idea


# ---------------------------------------------------------------------------
# Supports and votes
# ---------------------------------------------------------------------------


def check_support_idea(user: Any, idea: Idea) -> None:
    _require_resident(user)
    _require_public_idea(idea)
    _require_phase(idea.campaign, Action.SUPPORT)
    if idea.campaign.uses_votes:
        raise IdeaError(_("In this campaign you vote agree, disagree or pass instead."))
    # A support says "another resident wants this too": the count that decides
    # review thresholds counts other people only (docs/security.md).
    if idea.author_id is not None and idea.author_id == user.pk:
        raise IdeaError(
            _(
                "You proposed this idea, so you cannot support it; share it with "
                "others who might."
            )
        )


def do_support_idea(user: User, idea: Idea) -> bool:
    """Support once; returns False if the resident already supported it."""
    check_support_idea(user, idea)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Support.objects.create(user=user, idea=idea)
        except IntegrityError:
            return False
        Idea.objects.filter(pk=idea.pk).update(support_count=F("support_count") + 1)
        _publish_counts(idea, "idea.supported")
        _maybe_start_review(idea)
    return True


def do_unsupport_idea(user: User, idea: Idea) -> bool:
    check_support_idea(user, idea)
    with transaction.atomic():
        deleted, _n = Support.objects.filter(user=user, idea=idea).delete()
        if not deleted:
            return False
        Idea.objects.filter(pk=idea.pk).update(support_count=F("support_count") - 1)
        _publish_counts(idea, "idea.supported")
    return True


def check_vote_idea(user: Any, idea: Idea, choice: int) -> None:
    _require_resident(user)
    _require_public_idea(idea)
    _require_phase(idea.campaign, Action.SUPPORT)
    if not idea.campaign.uses_votes:
        raise IdeaError(
            _("In this campaign you support ideas rather than vote on them.")
        )
    if choice not in VoteChoice.values:
        raise IdeaError(_("Choose agree, disagree or pass."))


def do_vote_idea(user: User, idea: Idea, choice: int) -> Vote:
    """Vote, or change one's vote while the phase allows it."""
    check_vote_idea(user, idea, choice)
    choice = VoteChoice(choice)
    with transaction.atomic():
        vote = Vote.objects.select_for_update().filter(user=user, idea=idea).first()
        if vote is None:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(user=user, idea=idea, choice=choice)
            except IntegrityError:
                # A concurrent click made it first: treat this one as a change.
                vote = Vote.objects.select_for_update().get(user=user, idea=idea)
            else:
                Idea.objects.filter(pk=idea.pk).update(
                    **{VOTE_COUNT_FIELD[choice]: F(VOTE_COUNT_FIELD[choice]) + 1}
                )
                _publish_counts(idea, "idea.voted")
                _maybe_start_review(idea)
                return vote
        if vote.choice != choice:
            old = VoteChoice(vote.choice)
            Idea.objects.filter(pk=idea.pk).update(
                **{
                    VOTE_COUNT_FIELD[old]: F(VOTE_COUNT_FIELD[old]) - 1,
                    VOTE_COUNT_FIELD[choice]: F(VOTE_COUNT_FIELD[choice]) + 1,
                }
            )
            vote.choice = choice
            vote.save(update_fields=["choice", "updated_at"])
            _publish_counts(idea, "idea.voted")
            _maybe_start_review(idea)
    return vote


def _maybe_start_review(idea: Idea) -> None:
    """Crossing the threshold sends the idea to official review, exactly once."""
    campaign = idea.campaign
    reached = idea.agree_count if campaign.uses_votes else idea.support_count
    if reached < campaign.support_threshold:
        return
    now = timezone.now()
    moved = Idea.objects.filter(pk=idea.pk, state=IdeaState.PUBLISHED).update(
        state=IdeaState.UNDER_REVIEW, review_started_at=now
    )
    if not moved:
        return
    idea.state = IdeaState.UNDER_REVIEW
    idea.review_started_at = now
    search_index.reindex("idea", [idea.pk])
    response = OfficialResponse.objects.create(
        idea=idea,
        from_state=IdeaState.PUBLISHED,
        to_state=IdeaState.UNDER_REVIEW,
        text=_(
            "This idea reached %(n)d supports, so the city will review it and answer "
            "within %(days)d days."
        )
        % {"n": campaign.support_threshold, "days": campaign.answer_deadline_days},
        created_at=now,
    )
    _publish_status(idea, response)
    planners = User.objects.filter(
        groups__name__in=[Role.PLANNER.value], is_active=True
    ).distinct()
    for planner in planners:
        do_notify(
            planner,
            "idea.review",
            lambda: (
                _(
                    "An idea reached the support threshold and awaits your answer: %(title)s"
                )
                % {"title": idea.title}
            ),
            idea.get_absolute_url(),
        )


# ---------------------------------------------------------------------------
# Status changes with an official answer
# ---------------------------------------------------------------------------


def check_change_status(user: Any, idea: Idea, new_state: str, text: str) -> None:
    _require_resident(user)
    if not is_city_staff(user):
        raise PermissionDenied(_("Only planners and city administrators answer ideas."))
    _check_answer(idea, new_state, text)


def _check_answer(idea: Idea, new_state: str, text: str) -> None:
    if new_state not in ANSWER_STATES:
        raise IdeaError(_("Choose one of the states the city can give an idea."))
    if idea.state == IdeaState.WITHDRAWN:
        raise IdeaError(_("This idea was withdrawn by its author."))
    if not (text or "").strip():
        if new_state == IdeaState.NOT_SELECTED:
            raise IdeaError(
                _("Say why the idea was not selected: residents are owed a reason.")
            )
        raise IdeaError(_("Write the official answer residents will read."))
    if len(text) > 5000:
        raise IdeaError(_("The answer is too long: at most 5000 characters."))


def do_change_status(
    user: User, idea: Idea, new_state: str, text: str
) -> OfficialResponse:
    """Staff set an idea's state with an answer; author, supporters and followers hear."""
    check_change_status(user, idea, new_state, text)
    return _record_answer(user, idea, new_state, text)


def _record_answer(
    user: User, idea: Idea, new_state: str, text: str
) -> OfficialResponse:
    """Write an official answer (checked by the caller) and tell everyone concerned."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Idea.objects.select_for_update().select_related("campaign").get(pk=idea.pk)
        )
        response = OfficialResponse.objects.create(
            idea=locked,
            from_state=locked.state,
            to_state=new_state,
            text=text.strip(),
            by=user,
            created_at=now,
        )
        locked.state = new_state
        update = ["state"]
        if locked.answered_at is None:
            locked.answered_at = now
            update.append("answered_at")
        if new_state == IdeaState.UNDER_REVIEW and locked.review_started_at is None:
            locked.review_started_at = now
            update.append("review_started_at")
        locked.save(update_fields=update)
        # A report's clock stops at its first answer.
        Report.objects.filter(idea=locked, answered_at__isnull=True).update(
            answered_at=now
        )
        sync_idea_tracking(locked)
        _publish_status(locked, response)
        _notify_status(response)
    idea.state = locked.state
    idea.answered_at = locked.answered_at
    return response


def _publish_status(idea: Idea, response: OfficialResponse) -> None:
    publish_on_commit(
        f"idea.{idea.pk}",
        "idea.status_changed",
        {
            "html": render_timeline_entry(response),
            "mode": "append",
            "list": f"idea.{idea.pk}:timeline",
            "announce": _("The city answered: %(state)s")
            % {"state": response.get_to_state_display()},
        },
    )


def status_recipients(idea: Idea) -> list[User]:
    """The author, supporters (agree voters in vote mode) and followers, once each."""
    ids: set[int] = set()
    if idea.author_id:
        ids.add(idea.author_id)
    if idea.campaign.uses_votes:
        ids.update(
            Vote.objects.filter(idea=idea, choice=VoteChoice.AGREE).values_list(
                "user_id", flat=True
            )
        )
    else:
        ids.update(Support.objects.filter(idea=idea).values_list("user_id", flat=True))
    ids.update(Follow.objects.filter(idea=idea).values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _notify_status(response: OfficialResponse) -> None:
    # The author, supporters and followers may be thousands: they are told by one
    # background task queued in this transaction (its row commits with the
    # answer or not at all), so the planner's request costs the same whatever
    # the idea's audience.
    from .tasks import notify_status

    notify_status.enqueue(response.pk)


def notify_status_now(response_id: int) -> int:
    """Tell an answered idea's author, supporters and followers, each in their
    language (the notify_status task). Returns how many were told."""
    answers = OfficialResponse.objects.select_related("idea__campaign", "by")
    response = answers.filter(pk=response_id).first()
    if response is None:
        return 0
    idea = response.idea

    def text() -> str:  # in each recipient's language
        return _("You said, we did: “%(title)s” is now %(state)s. %(answer)s") % {
            "title": idea.title,
            "state": response.get_to_state_display().lower(),
            "answer": response.text,
        }

    return _tell(
        status_recipients(idea),
        "idea.status",
        text,
        idea.get_absolute_url(),
        response.by,
    )


def _tell(
    recipients: Iterable[User],
    kind: str,
    text: Callable[[], str],
    url: str,
    actor: User | None,
) -> int:
    """An inbox line for each active recipient, once, then the e-mails of those
    who chose them; returns how many lines."""
    made: list[int] = []
    seen: set[int] = set()
    for recipient in recipients:
        if recipient.pk in seen or not recipient.is_active:
            continue
        seen.add(recipient.pk)
        note = do_notify(recipient, kind, text, url, actor)
        if note is not None:
            made.append(note.pk)
    if made:
        from .tasks import email_notifications

        transaction.on_commit(lambda: _enqueue_email(email_notifications, made))
    return len(made)


def _enqueue_email(task: Any, ids: list[int]) -> None:
    try:
        task.enqueue(ids)
    except Exception:
        # The inbox has the notification already; a lost e-mail is logged, not raised.
        logger.exception("could not enqueue notification e-mail")


# ---------------------------------------------------------------------------
# Follow
# ---------------------------------------------------------------------------


def check_follow(user: Any) -> None:
    _require_resident(user)


def do_follow_campaign(user: User, campaign: CampaignPage) -> bool:
    check_follow(user)
    _obj, created = Follow.objects.get_or_create(user=user, campaign=campaign)
    return created


def do_unfollow_campaign(user: User, campaign: CampaignPage) -> bool:
    check_follow(user)
    return Follow.objects.filter(user=user, campaign=campaign).delete()[0] > 0


def do_follow_idea(user: User, idea: Idea) -> bool:
    check_follow(user)
    if not idea.is_visible_to(user):
        raise IdeaError(_("This idea is not published."))
    _obj, created = Follow.objects.get_or_create(user=user, idea=idea)
    return created


def do_unfollow_idea(user: User, idea: Idea) -> bool:
    check_follow(user)
    return Follow.objects.filter(user=user, idea=idea).delete()[0] > 0


def validation_message(exc: Exception) -> str:
    """One sentence for a refusal, whatever exception carried it."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# ---------------------------------------------------------------------------
# Implementation tracking (ideas.tracking): one mechanism for accepted ideas
# and funded budget projects
# ---------------------------------------------------------------------------

MAX_MONEY = Decimal("999999999999.99")


def do_start_tracking(
    kind: str,
    subject_id: int,
    *,
    title: str,
    scope: str,
    lat: float | None = None,
    lon: float | None = None,
    budget_amount: Decimal | None = None,
    status: str = ImplementationStatus.PLANNED,
) -> Implementation:
    """Open (or return the existing) implementation record for a tracked thing.

    Idempotent: the owning app calls it when the thing is accepted or funded, and
    again whenever it likes; title, scope and place follow the thing."""
    tracked_kind(kind)  # an unregistered kind is a programming error, said early
    with transaction.atomic():
        impl, created = Implementation.objects.get_or_create(
            subject_kind=kind,
            subject_id=subject_id,
            defaults={
                "title": title[:200],
                "scope": scope,
                "lat": lat,
                "lon": lon,
                "budget_amount": budget_amount,
                "status": status,
            },
        )
        if not created:
            changed: dict[str, Any] = {
                "title": title[:200],
                "scope": scope,
                "lat": lat,
                "lon": lon,
            }
            if budget_amount is not None:
                changed["budget_amount"] = budget_amount
            Implementation.objects.filter(pk=impl.pk).update(**changed)
            for name, value in changed.items():
                setattr(impl, name, value)
    return impl


def check_manage_implementation(user: Any, impl: Implementation) -> None:
    _require_resident(user)
    if not tracked_kind(impl.subject_kind).can_manage(user, impl.subject_id):
        raise PermissionDenied(
            _("Only the staff responsible for it can report progress on this.")
        )


def _clean_money(value: Any, name: str) -> Decimal:
    if value in (None, ""):
        return Decimal(0)
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise IdeaError(
            _("The %(field)s must be an amount of money, like 1200.50.")
            % {"field": name}
        ) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise IdeaError(
            _("The %(field)s must be an amount between 0 and %(max)s.")
            % {"field": name, "max": MAX_MONEY}
        )
    return amount


def check_post_progress(
    user: Any,
    impl: Implementation,
    *,
    text: str,
    progress: int | None = None,
    status: str | None = None,
    spent: Any = None,
) -> dict[str, Any]:
    """Validate an update; returns the cleaned fields."""
    check_manage_implementation(user, impl)
    text = _clean_text(text, str(_("update")), 5000)
    if progress is not None and not (0 <= int(progress) <= 100):
        raise IdeaError(_("Progress is a percentage from 0 to 100."))
    if status and status not in ImplementationStatus.values:
        raise IdeaError(_("Choose one of the statuses offered."))
    return {
        "text": text,
        "progress": None if progress is None else int(progress),
        "status": status or "",
        "spent": _clean_money(spent, str(_("money spent"))),
    }


def render_progress_update(update: ProgressUpdate) -> str:
    return render_to_string("ideas/includes/progress_update.html", {"update": update})


def render_implementation_summary(impl: Implementation) -> str:
    return render_to_string(
        "ideas/includes/implementation_summary.html", {"impl": impl}
    )


def do_post_progress(
    user: User,
    impl: Implementation,
    *,
    text: str,
    progress: int | None = None,
    status: str | None = None,
    spent: Any = None,
    photo: UploadedFile | None = None,
) -> ProgressUpdate:
    """Staff post an update: status, progress and money move together; followers
    and supporters are told (inbox, e-mail for those who chose it) and pages
    showing the record follow live."""
    fields = check_post_progress(
        user, impl, text=text, progress=progress, status=status, spent=spent
    )
    clean_photo = None
    if photo:
        try:
            clean_photo = sanitise_photo(photo)
        except PhotoRefused as exc:
            raise IdeaError(str(exc)) from exc
    now = timezone.now()
    with transaction.atomic():
        locked = Implementation.objects.select_for_update().get(pk=impl.pk)
        update = ProgressUpdate(
            implementation=locked, by=user, created_at=now, **fields
        )
        if clean_photo is not None:
            update.photo.save(clean_photo.name, clean_photo, save=False)
        update.save()
        changes: dict[str, Any] = {
            "update_count": F("update_count") + 1,
            "spent_amount": F("spent_amount") + fields["spent"],
            "updated_at": now,
        }
        if fields["progress"] is not None:
            changes["progress"] = fields["progress"]
        if fields["status"]:
            changes["status"] = fields["status"]
            if fields["status"] == ImplementationStatus.COMPLETED:
                changes["progress"] = 100
        Implementation.objects.filter(pk=locked.pk).update(**changes)
        locked.refresh_from_db()
        impl.__dict__.update(
            {k: getattr(locked, k) for k in ("status", "progress", "spent_amount")}
        )
        _publish_progress(locked, update)
        _notify_progress(update)
    return update


def _publish_progress(impl: Implementation, update: ProgressUpdate) -> None:
    summary = render_implementation_summary(impl)
    publish_on_commit(
        impl.topic,
        "implementation.updated",
        {
            "html": render_progress_update(update),
            "mode": "prepend",
            "list": f"{impl.topic}:updates",
            "counts": {"progress": impl.progress},
            "announce": _("Progress update: %(title)s is %(progress)d%% done")
            % {"title": impl.title, "progress": impl.progress},
        },
    )
    # The results page of its scope replaces the record's summary row.
    publish_on_commit(
        impl.scope,
        "implementation.updated",
        {"html": summary, "mode": "replace", "dom_id": f"implementation-{impl.pk}"},
    )


def _notify_progress(update: ProgressUpdate) -> None:
    # Followers of a funded project or an idea may be thousands: one background
    # task, queued in this transaction, as for answers.
    from .tasks import notify_progress

    notify_progress.enqueue(update.pk)


def notify_progress_now(update_id: int) -> int:
    """Tell the followers of a tracked idea or project of a progress update, each
    in their language (the notify_progress task). Returns how many were told."""
    updates = ProgressUpdate.objects.select_related("implementation", "by")
    update = updates.filter(pk=update_id).first()
    if update is None:
        return 0
    impl = update.implementation
    kind = tracked_kind(impl.subject_kind)

    def text() -> str:  # in each recipient's language
        return _("Progress on “%(title)s”: %(progress)d%% done. %(text)s") % {
            "title": impl.title,
            "progress": impl.progress,
            "text": update.text,
        }

    return _tell(
        kind.followers(impl.subject_id),
        "tracking.update",
        text,
        kind.url(impl.subject_id),
        update.by,
    )


def check_add_milestone(
    user: Any, impl: Implementation, title: str, due_on: date | None
) -> tuple[str, date]:
    check_manage_implementation(user, impl)
    title = _clean_text(title, str(_("milestone")), 200)
    if due_on is None:
        raise IdeaError(_("Give the milestone a planned date."))
    return title, due_on


def do_add_milestone(
    user: User, impl: Implementation, title: str, due_on: date | None
) -> Milestone:
    title, due_on = check_add_milestone(user, impl, title, due_on)
    with transaction.atomic():
        milestone = Milestone.objects.create(
            implementation=impl, title=title, due_on=due_on
        )
        publish_on_commit(
            impl.scope,
            "implementation.updated",
            {
                "html": render_implementation_summary(impl),
                "mode": "replace",
                "dom_id": f"implementation-{impl.pk}",
            },
        )
    return milestone


def do_complete_milestone(
    user: User, milestone: Milestone, done_on: date | None = None
) -> Milestone:
    impl = milestone.implementation
    check_manage_implementation(user, impl)
    milestone.done_on = done_on or timezone.localdate()
    milestone.save(update_fields=["done_on"])
    return milestone


def sync_idea_tracking(idea: Idea) -> Implementation | None:
    """Accepted ideas are tracked to the end; the record follows the idea's state."""
    status = IDEA_TRACKING_STATUS.get(idea.state)
    if status is None:
        return None
    impl = do_start_tracking(
        IDEA_TRACKED_KIND,
        idea.pk,
        title=idea.title,
        scope=f"campaign.{idea.campaign_id}",
        lat=idea.lat,
        lon=idea.lon,
        status=status,
    )
    changes: dict[str, Any] = {"status": status}
    if status == ImplementationStatus.COMPLETED:
        changes["progress"] = 100
    Implementation.objects.filter(pk=impl.pk).update(**changes)
    impl.__dict__.update(changes)
    return impl


# ---------------------------------------------------------------------------
# Arguments for and against: short points, each a post in one of two threads
# hosted by the forums engine (likes, moderation, limits and live as any post)
# ---------------------------------------------------------------------------

MAX_POINT_LENGTH = 300
POINT_SIDES = {"for": POINTS_FOR_HOST, "against": POINTS_AGAINST_HOST}


def point_threads(idea: Idea) -> dict[str, Thread]:
    """The idea's "for" and "against" threads, made on first need (idempotent)."""
    return {
        side: do_create_hosted_thread(kind, idea.pk, title=idea.title)
        for side, kind in POINT_SIDES.items()
    }


def check_add_point(user: Any, idea: Idea, side: str, body: str) -> str:
    _require_resident(user)
    if side not in POINT_SIDES:
        raise IdeaError(_("Say whether your point is for or against the idea."))
    body = _clean_text(body, str(_("point")), MAX_POINT_LENGTH)
    if len(body) < 3:
        raise IdeaError(_("Write your point in a few words."))
    return body


def do_add_point(user: User, idea: Idea, side: str, body: str) -> Post:
    """A resident adds a point for or against; forums' rules decide the rest
    (the campaign's phase through the host, screening, posting rate, duplicates)."""
    body = check_add_point(user, idea, side, body)
    thread = point_threads(idea)[side]
    try:
        return do_reply(user, thread, body)
    except DiscussionRefused as exc:
        raise IdeaError(str(exc)) from exc


# ---------------------------------------------------------------------------
# Report campaigns (Our City / 311): filing with a clock, routing, "me too",
# answers by the department, escalation of overdue reports
# ---------------------------------------------------------------------------


def department_members(department: Department) -> list[User]:
    return list(User.objects.filter(groups=department.staff_group_id, is_active=True))


def is_department_staff(user: Any, department: Department | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if is_city_staff(user):
        return True
    return (
        department is not None
        and user.groups.filter(pk=department.staff_group_id).exists()
    )


def route_for(campaign: CampaignPage, category: Tag | None) -> Department | None:
    if category is None:
        return None
    route = (
        CategoryRoute.objects.filter(campaign=campaign, category=category)
        .select_related("department")
        .first()
    )
    return route.department if route else None


def check_file_report(
    user: Any,
    campaign: CampaignPage,
    category: Tag | None,
    lat: float | None,
    lon: float | None,
) -> None:
    check_propose_idea(user, campaign)
    if not campaign.is_reports:
        raise IdeaError(_("This campaign takes ideas, not reports."))
    if category is None:
        raise IdeaError(
            _("Pick the category of the problem, so it reaches the right department.")
        )
    _clean_categories(campaign, [category])
    if lat is None or lon is None:
        raise IdeaError(
            _("Mark where the problem is on the map, or give its coordinates.")
        )
    _clean_location(lat, lon)


def render_queue_row(report: Report) -> str:
    return render_to_string("ideas/includes/report_row.html", {"report": report})


def do_file_report(
    user: User,
    campaign: CampaignPage,
    *,
    title: str,
    description: str,
    category: Tag | None,
    lat: float | None,
    lon: float | None,
    address: str = "",
    photo: UploadedFile | None = None,
) -> Report:
    """A resident files a report: it gets its deadline (working days) and goes to
    the department its category belongs to, whose staff hear of it at once."""
    check_file_report(user, campaign, category, lat, lon)
    assert category is not None and lat is not None and lon is not None  # noqa: S101 (checked above)
    # The first live event takes the site-wide event-order lock until commit
    # (live/publish.py), so concurrent writers queue from there on. Filing does
    # every other write first and publishes last: a burst of reports then waits
    # on that lock only for the events themselves, not for the whole filing.
    with transaction.atomic():
        idea = do_propose_idea(
            user,
            campaign,
            title=title,
            description=description,
            categories=[category],
            lat=lat,
            lon=lon,
            address=address,
            photo=photo,
            announce=False,
        )
        department = route_for(campaign, category)
        report = Report.objects.create(
            idea=idea,
            campaign=campaign,
            department=department,
            lat=lat,
            lon=lon,
            filed_at=idea.created_at,
            due_at=add_working_days(idea.created_at, campaign.answer_working_days),
        )
        members = department_members(department) if department is not None else []
        if department is not None:
            row = render_queue_row(report)
            publish_on_commit(
                f"department.{department.pk}",
                "report.filed",
                {
                    "html": row,
                    "mode": "append",
                    "list": f"department.{department.pk}:queue",
                    "announce": _("New report: %(title)s") % {"title": idea.title},
                },
            )
            for member in members:
                do_notify(
                    member,
                    "report.filed",
                    _("New report for %(department)s, due %(due)s: %(title)s")
                    % {
                        "department": department.name,
                        "due": timezone.localtime(report.due_at).strftime("%Y-%m-%d"),
                        "title": idea.title,
                    },
                    idea.get_absolute_url(),
                    actor=user,
                )
        if idea.visibility == Visibility.PUBLISHED:
            _announce_new_idea(idea)
    return report


def check_me_too(user: Any, report: Report) -> None:
    _require_resident(user)
    _require_public_idea(report.idea)
    if report.idea.author_id == user.pk:
        raise IdeaError(_("You filed this report yourself."))


def do_me_too(user: User, report: Report) -> bool:
    """ "Me too" instead of a duplicate report; False if already counted."""
    check_me_too(user, report)
    with transaction.atomic():
        try:
            with transaction.atomic():
                MeToo.objects.create(user=user, report=report)
        except IntegrityError:
            return False
        Report.objects.filter(pk=report.pk).update(me_too_count=F("me_too_count") + 1)
        count = Report.objects.values_list("me_too_count", flat=True).get(pk=report.pk)
        report.me_too_count = count
        # Those who say "me too" hear the answer like any follower.
        Follow.objects.get_or_create(user=user, idea_id=report.idea_id)
        publish_on_commit(
            f"idea.{report.idea_id}", "report.me_too", {"counts": {"me_too": count}}
        )
    return True


def check_answer_report(user: Any, report: Report, new_state: str, text: str) -> None:
    _require_resident(user)
    if not is_department_staff(user, report.department):
        raise PermissionDenied(
            _("Only the staff of the department responsible answer this report.")
        )
    _check_answer(report.idea, new_state, text)


def do_answer_report(
    user: User, report: Report, new_state: str, text: str
) -> OfficialResponse:
    check_answer_report(user, report, new_state, text)
    response = _record_answer(user, report.idea, new_state, text)
    report.refresh_from_db(fields=["answered_at"])
    return response


def do_escalate_overdue_reports(now: Any = None) -> int:
    """Reports past their deadline without an answer go to the department's lead
    (or, without a lead, to its staff), once each. Returns how many escalated."""
    now = now or timezone.now()
    overdue = list(
        Report.objects.filter(
            answered_at__isnull=True, escalated_at__isnull=True, due_at__lt=now
        )
        .select_related("idea", "department__lead")
        .order_by("due_at")[:1000]
    )
    escalated = 0
    made: list[int] = []
    for report in overdue:
        with transaction.atomic():
            moved = Report.objects.filter(
                pk=report.pk, answered_at__isnull=True, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not moved:
                continue
            escalated += 1
            report.escalated_at = now
            department = report.department
            if department is None:
                recipients = list(
                    User.objects.filter(
                        groups__name=Role.CITY_ADMIN.value, is_active=True
                    )
                )
            elif department.lead is not None and department.lead.is_active:
                recipients = [department.lead]
            else:
                recipients = department_members(department)
            text = _(
                "Overdue: the answer to “%(title)s” was due %(due)s and is escalated "
                "to you."
            ) % {
                "title": report.idea.title,
                "due": timezone.localtime(report.due_at).strftime("%Y-%m-%d"),
            }
            for person in recipients:
                note = do_notify(
                    person, "report.escalated", text, report.idea.get_absolute_url()
                )
                if note is not None:
                    made.append(note.pk)
            if department is not None:
                publish_on_commit(
                    f"department.{department.pk}",
                    "report.escalated",
                    {
                        "html": render_queue_row(report),
                        "mode": "replace",
                        "dom_id": f"report-{report.pk}",
                    },
                )
    if made:
        from .tasks import email_notifications

        _enqueue_email(email_notifications, made)
    return escalated


# ---------------------------------------------------------------------------
# Meetings and events: registration with a waiting list, minutes, attendance,
# reminders
# ---------------------------------------------------------------------------


def check_manage_meetings(user: Any) -> None:
    _require_resident(user)
    if not is_city_staff(user):
        raise PermissionDenied(
            _("Only planners and city administrators organise meetings.")
        )


def do_create_meeting(
    staff: User,
    campaign: CampaignPage,
    *,
    title: str,
    starts_at: Any,
    ends_at: Any,
    place: str = "",
    online_url: str = "",
    capacity: int | None = None,
    description: str = "",
) -> Meeting:
    check_manage_meetings(staff)
    title = _clean_text(title, str(_("title")), 200)
    place = _clean_text(place, str(_("place")), 200, required=False)
    if not place and not online_url:
        raise IdeaError(_("Say where the meeting is: a place or an online link."))
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise IdeaError(_("A meeting ends after it starts."))
    if capacity is not None and capacity < 1:
        raise IdeaError(_("Capacity is at least one person, or empty for no limit."))
    return Meeting.objects.create(
        campaign=campaign,
        title=title,
        description=description.strip()[:5000],
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        online_url=online_url,
        capacity=capacity,
    )


def _publish_meeting_counts(meeting: Meeting) -> None:
    meeting.refresh_from_db(fields=["registered_count", "waiting_count"])
    publish_on_commit(
        f"campaign.{meeting.campaign_id}",
        "meeting.registrations",
        {
            "counts": {
                f"registered.{meeting.pk}": meeting.registered_count,
                f"waiting.{meeting.pk}": meeting.waiting_count,
            }
        },
    )


def check_register_meeting(user: Any, meeting: Meeting) -> None:
    _require_resident(user)
    if not meeting.campaign.live:
        raise IdeaError(_("This campaign is not published."))
    if meeting.starts_at <= timezone.now():
        raise IdeaError(_("This meeting has already started; registration is closed."))


def do_register_meeting(user: User, meeting: Meeting) -> MeetingRegistration:
    """Take a place, or the next place on the waiting list when the meeting is full."""
    check_register_meeting(user, meeting)
    with transaction.atomic():
        # The meeting row is the lock: two last-seat clicks are served in turn.
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        reg = MeetingRegistration.objects.filter(meeting=locked, user=user).first()
        if reg is not None and reg.status != RegistrationStatus.CANCELLED:
            return reg
        full = (
            locked.capacity is not None and locked.registered_count >= locked.capacity
        )
        status = RegistrationStatus.WAITING if full else RegistrationStatus.REGISTERED
        if reg is None:
            reg = MeetingRegistration.objects.create(
                meeting=locked, user=user, status=status
            )
        else:
            reg.status = status
            reg.created_at = timezone.now()  # back of the queue
            reg.save(update_fields=["status", "created_at"])
        field = "waiting_count" if full else "registered_count"
        Meeting.objects.filter(pk=locked.pk).update(**{field: F(field) + 1})
        _publish_meeting_counts(meeting)
    return reg


def do_cancel_registration(user: User, meeting: Meeting) -> MeetingRegistration | None:
    """Give up one's place; the first on the waiting list takes it and is told."""
    _require_resident(user)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        reg = MeetingRegistration.objects.filter(
            meeting=locked,
            user=user,
            status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITING],
        ).first()
        if reg is None:
            return None
        was = reg.status
        reg.status = RegistrationStatus.CANCELLED
        reg.save(update_fields=["status"])
        if was == RegistrationStatus.WAITING:
            Meeting.objects.filter(pk=locked.pk).update(
                waiting_count=F("waiting_count") - 1
            )
        else:
            Meeting.objects.filter(pk=locked.pk).update(
                registered_count=F("registered_count") - 1
            )
            if locked.starts_at > timezone.now():
                _promote_waiting(locked)
        _publish_meeting_counts(meeting)
    return reg


def _promote_waiting(meeting: Meeting) -> None:
    nxt = (
        MeetingRegistration.objects.filter(
            meeting=meeting, status=RegistrationStatus.WAITING
        )
        .select_related("user")
        .order_by("created_at", "id")
        .first()
    )
    if nxt is None:
        return
    nxt.status = RegistrationStatus.REGISTERED
    nxt.save(update_fields=["status"])
    Meeting.objects.filter(pk=meeting.pk).update(
        waiting_count=F("waiting_count") - 1,
        registered_count=F("registered_count") + 1,
    )
    note = do_notify(
        nxt.user,
        "meeting.promoted",
        _("A place opened up: you are now registered for “%(title)s”.")
        % {"title": meeting.title},
        meeting.get_absolute_url(),
    )
    if note is not None:
        from .tasks import email_notifications

        ids = [note.pk]
        transaction.on_commit(lambda: _enqueue_email(email_notifications, ids))


def do_record_minutes(staff: User, meeting: Meeting, minutes: str) -> Meeting:
    check_manage_meetings(staff)
    meeting.minutes = _clean_text(minutes, str(_("minutes")), 20000)
    meeting.save(update_fields=["minutes"])
    return meeting


def do_mark_attendance(
    staff: User, meeting: Meeting, attended_user_ids: Iterable[int]
) -> int:
    """Record who came; the meeting's count feeds the campaign's figures."""
    check_manage_meetings(staff)
    ids = set(attended_user_ids)
    with transaction.atomic():
        regs = MeetingRegistration.objects.filter(meeting=meeting)
        regs.filter(user_id__in=ids).update(attended=True)
        regs.exclude(user_id__in=ids).update(attended=False)
        count = regs.filter(attended=True).count()
        Meeting.objects.filter(pk=meeting.pk).update(attended_count=count)
        meeting.attended_count = count
    return count


def do_set_attendance_count(staff: User, meeting: Meeting, count: int) -> Meeting:
    """People in the room, counted at the door (not everyone registers)."""
    check_manage_meetings(staff)
    if count < 0 or count > 100_000:
        raise IdeaError(_("Give the number of people who came."))
    Meeting.objects.filter(pk=meeting.pk).update(attended_count=count)
    meeting.attended_count = count
    return meeting


def do_send_meeting_reminders(now: Any = None, hours: int = 24) -> int:
    """E-mail everyone registered for a meeting that starts within `hours`, once."""
    from django.conf import settings
    from django.core.mail import send_mass_mail

    now = now or timezone.now()
    regs = list(
        MeetingRegistration.objects.filter(
            status=RegistrationStatus.REGISTERED,
            reminded_at__isnull=True,
            meeting__starts_at__gt=now,
            meeting__starts_at__lte=now + timedelta(hours=hours),
            user__is_active=True,
        ).select_related("meeting", "user")[:5000]
    )
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    mails = []
    for reg in regs:
        m = reg.meeting
        when = timezone.localtime(m.starts_at).strftime("%Y-%m-%d %H:%M")
        where = m.place or m.online_url
        mails.append(
            (
                _("Reminder: %(title)s, %(when)s") % {"title": m.title, "when": when},
                _(
                    "You are registered for “%(title)s” on %(when)s at %(where)s.\n"
                    "Add it to your calendar: %(ics)s\n"
                    "Cannot come? Free your place for someone on the waiting list: "
                    "%(url)s\n"
                )
                % {
                    "title": m.title,
                    "when": when,
                    "where": where,
                    "ics": f"{base}{m.get_absolute_url()}meeting.ics",
                    "url": f"{base}{m.get_absolute_url()}",
                },
                settings.DEFAULT_FROM_EMAIL,
                [reg.user.email],
            )
        )
    if mails:
        send_mass_mail(mails, fail_silently=False)
        MeetingRegistration.objects.filter(pk__in=[r.pk for r in regs]).update(
            reminded_at=now
        )
    return len(mails)
