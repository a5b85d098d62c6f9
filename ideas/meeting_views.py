"""Pages of a campaign's meetings: list, detail with registration and waiting list,
iCalendar files, and the staff forms for minutes and attendance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.limits import limit

from . import actions
from .ical import calendar
from .models import (
    CampaignPage,
    Idea,
    Meeting,
    MeetingRegistration,
    RegistrationStatus,
)

MEETINGS_SHOWN = 50


def _campaign(pk: int) -> CampaignPage:
    return get_object_or_404(CampaignPage.objects.live().public(), pk=pk)


def _meeting(pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("campaign"), pk=pk)
    if not meeting.campaign.live:
        raise Http404
    return meeting


def campaign_meetings(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(campaign_pk)
    now = timezone.now()
    meetings = Meeting.objects.filter(campaign=campaign)
    return render(
        request,
        "ideas/meetings.html",
        {
            "campaign": campaign,
            "upcoming": list(
                meetings.filter(ends_at__gt=now).order_by("starts_at")[:MEETINGS_SHOWN]
            ),
            "past": list(
                meetings.filter(ends_at__lte=now).order_by("-starts_at")[
                    :MEETINGS_SHOWN
                ]
            ),
            "is_staff": actions.is_city_staff(request.user),
        },
    )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    registration = None
    position = None
    if request.user.is_authenticated:
        registration = MeetingRegistration.objects.filter(
            meeting=meeting, user=request.user
        ).first()
        if registration and registration.status == RegistrationStatus.WAITING:
            position = MeetingRegistration.objects.filter(
                meeting=meeting,
                status=RegistrationStatus.WAITING,
                created_at__lte=registration.created_at,
            ).count()
    is_staff = actions.is_city_staff(request.user)
    return render(
        request,
        "ideas/meeting_detail.html",
        {
            "meeting": meeting,
            "campaign": meeting.campaign,
            "registration": registration,
            "waiting_position": position,
            "ideas": list(
                Idea.objects.public()
                .filter(meeting=meeting)
                .order_by("created_at")[:100]
            ),
            "is_staff": is_staff,
            "attendees": list(
                MeetingRegistration.objects.filter(
                    meeting=meeting, status=RegistrationStatus.REGISTERED
                ).select_related("user")[:500]
            )
            if is_staff
            else [],
        },
    )


@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    if not request.user.is_authenticated:
        return redirect_to_login(meeting.get_absolute_url())
    limit(request, "write")
    try:
        if request.POST.get("cancel"):
            actions.do_cancel_registration(request.user, meeting)
            messages.success(request, _("Your registration is cancelled."))
        else:
            reg = actions.do_register_meeting(request.user, meeting)
            if reg.status == RegistrationStatus.WAITING:
                messages.info(
                    request,
                    _(
                        "The meeting is full: you are on the waiting list and will "
                        "hear if a place opens up."
                    ),
                )
            else:
                messages.success(request, _("You are registered. See you there!"))
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
    return redirect(meeting.get_absolute_url())


@require_POST
def record_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    if not request.user.is_authenticated:
        return redirect_to_login(meeting.get_absolute_url())
    actions.check_manage_meetings(request.user)
    limit(request, "write")
    try:
        actions.do_record_minutes(
            request.user, meeting, request.POST.get("minutes", "")
        )
        count = request.POST.get("attended_count", "").strip()
        if count:
            if not count.isdigit():
                raise actions.IdeaError(_("Give the number of people who came."))
            actions.do_set_attendance_count(request.user, meeting, int(count))
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The minutes are published."))
    return redirect(meeting.get_absolute_url())


def _ics(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    return _ics(calendar([meeting], meeting.title), f"meeting-{meeting.pk}.ics")


def campaign_ics(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(campaign_pk)
    meetings = Meeting.objects.filter(campaign=campaign).order_by("-starts_at")[:500]
    return _ics(calendar(meetings, campaign.title), f"campaign-{campaign.pk}.ics")
