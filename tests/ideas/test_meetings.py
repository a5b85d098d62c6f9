"""Meetings: registration with a waiting list and promotion, reminders, iCalendar,
minutes, ideas recorded at the meeting, attendance in the campaign's figures."""

from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Notification
from ideas import actions
from ideas.models import Idea, MeetingRegistration
from tests.factories import PlannerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(db):
    return PlannerFactory()


@pytest.fixture
def meeting(campaign, planner):
    start = timezone.now() + timedelta(hours=20)
    return actions.do_create_meeting(
        planner,
        campaign,
        title="Lime Park evening",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Library hall, Lime Street 4",
        capacity=2,
    )


def test_a_resident_registers_for_a_full_meeting_and_joins_the_waiting_list(
    client, meeting
):
    ana, ben, cleo, dan = (UserFactory() for _ in range(4))
    assert actions.do_register_meeting(ana, meeting).status == "registered"
    assert actions.do_register_meeting(ben, meeting).status == "registered"
    assert actions.do_register_meeting(cleo, meeting).status == "waiting"
    assert actions.do_register_meeting(dan, meeting).status == "waiting"
    # A double click changes nothing.
    assert actions.do_register_meeting(cleo, meeting).status == "waiting"
    meeting.refresh_from_db()
    assert (meeting.registered_count, meeting.waiting_count) == (2, 2)
    client.force_login(dan)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "You are number 2 on the waiting list." in page
    # Ana cancels: Cleo, first in line, takes her place and is told.
    actions.do_cancel_registration(ana, meeting)
    meeting.refresh_from_db()
    assert (meeting.registered_count, meeting.waiting_count) == (2, 1)
    assert MeetingRegistration.objects.get(user=cleo).status == "registered"
    assert Notification.objects.filter(recipient=cleo, kind="meeting.promoted").exists()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "You are number 1 on the waiting list." in page


def test_registration_over_http(client, meeting):
    for _ in range(2):
        actions.do_register_meeting(UserFactory(), meeting)
    resident = UserFactory()
    client.force_login(resident)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Join the waiting list" in page
    response = client.post(f"/ideas/meeting/{meeting.pk}/register/", follow=True)
    assert "you are on the waiting list" in response.content.decode()
    assert MeetingRegistration.objects.get(user=resident).status == "waiting"


def test_no_registration_once_it_started(meeting):
    meeting.starts_at = timezone.now() - timedelta(minutes=1)
    meeting.save()
    with pytest.raises(actions.IdeaError, match="already started"):
        actions.do_register_meeting(UserFactory(), meeting)


def test_reminders_go_once_to_those_registered(meeting):
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    for person in (ana, ben, cleo):
        actions.do_register_meeting(person, meeting)
    assert actions.do_send_meeting_reminders() == 2  # Cleo is waiting
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ana.email, ben.email])
    assert "Library hall" in mail.outbox[0].body
    assert actions.do_send_meeting_reminders() == 0


def test_icalendar_per_meeting_and_per_campaign(client, meeting, campaign):
    ics = client.get(f"/ideas/meeting/{meeting.pk}/meeting.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    text = ics.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Lime Park evening" in text
    assert "LOCATION:Library hall\\, Lime Street 4" in text
    start = meeting.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    whole = client.get(f"/ideas/campaign/{campaign.pk}/meetings.ics").content.decode()
    assert whole.count("BEGIN:VEVENT") == 1


def test_staff_record_three_ideas_at_the_meeting_and_they_are_linked(
    client, meeting, campaign, planner
):
    for title in ("A fountain by the gate", "More bins", "Lights on the path"):
        client.force_login(planner)
        response = client.post(
            f"/ideas/campaign/{campaign.pk}/record/?meeting={meeting.pk}",
            {
                "source": "meeting",
                "meeting": meeting.pk,
                "title": title,
                "description": "Said in the room.",
            },
        )
        assert response.status_code == 302
    linked = Idea.objects.filter(meeting=meeting)
    assert linked.count() == 3 and {i.source for i in linked} == {"meeting"}
    page = client.get(meeting.get_absolute_url()).content.decode()
    for title in ("A fountain by the gate", "More bins", "Lights on the path"):
        assert title in page
    idea_page = client.get(linked.first().get_absolute_url())
    assert idea_page.status_code == 200


def test_minutes_and_attendance_count_in_the_campaign_figures(
    client, meeting, campaign, planner
):
    meeting.starts_at = timezone.now() - timedelta(days=2)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    meeting.save()
    client.force_login(UserFactory())
    forbidden = client.post(
        f"/ideas/meeting/{meeting.pk}/minutes/", {"minutes": "x", "attended_count": 3}
    )
    assert forbidden.status_code == 403
    client.force_login(planner)
    client.post(
        f"/ideas/meeting/{meeting.pk}/minutes/",
        {"minutes": "We talked about the park.", "attended_count": "37"},
    )
    meeting.refresh_from_db()
    assert (
        meeting.minutes == "We talked about the park." and meeting.attended_count == 37
    )
    cache.clear()
    page = client.get(campaign.url).content.decode()
    assert "People at the meetings</dt><dd>37<" in page
    bad = client.post(
        f"/ideas/meeting/{meeting.pk}/minutes/",
        {"minutes": "ok", "attended_count": "lots"},
        follow=True,
    )
    assert "number of people" in bad.content.decode()


def test_a_meeting_needs_a_place_and_staff(campaign, planner):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(actions.IdeaError, match="place or an online link"):
        actions.do_create_meeting(
            planner, campaign, title="x", starts_at=start, ends_at=start
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_create_meeting(
            UserFactory(),
            campaign,
            title="x",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place="Hall",
        )
