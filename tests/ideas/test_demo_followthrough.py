"""The demo city's follow-through: a report campaign with located reports in several
states, a past meeting with minutes and recorded ideas, progress on an accepted idea
— with dates consistent with each other."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ideas.models import (
    CampaignPage,
    Idea,
    Implementation,
    Meeting,
    ProgressUpdate,
    Report,
)

pytestmark = pytest.mark.django_db


def test_demo_has_reports_a_past_meeting_and_progress(client):
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    reports = CampaignPage.objects.get(slug="fix-my-street")
    assert reports.is_reports
    located = Report.objects.filter(campaign=reports)
    assert (
        located.count() == 10 and located.filter(department__isnull=True).count() == 0
    )
    states = {
        "open": located.filter(answered_at__isnull=True, due_at__gt=now).count(),
        "on_time": located.filter(answered_at__lte=models_f("due_at")).count(),
        "late": located.filter(answered_at__gt=models_f("due_at")).count(),
        "escalated": located.filter(escalated_at__isnull=False).count(),
    }
    assert all(states.values()), states
    for r in located:
        assert r.filed_at < r.due_at and r.filed_at <= now
        assert r.answered_at is None or r.answered_at >= r.filed_at
    record = client.get(f"/ideas/campaign/{reports.pk}/answer-record/").content.decode()
    assert "Roads department" in record
    near = client.get(
        f"/ideas/campaign/{reports.pk}/near.json?lat=50.8798&lon=4.7005&radius=1000"
    ).json()
    assert len(near["results"]) >= 5

    streets = CampaignPage.objects.get(slug="greener-streets")
    past = Meeting.objects.get(campaign=streets, ends_at__lt=now)
    assert past.minutes and past.attended_count == 41
    recorded = Idea.objects.filter(meeting=past)
    assert recorded.count() == 3
    assert all(past.starts_at <= i.created_at <= past.ends_at for i in recorded)
    phase_start = streets.phase_list()[0].start
    assert past.starts_at > phase_start
    assert Meeting.objects.filter(campaign=streets, starts_at__gt=now).exists()

    crossing = Idea.objects.get(title="Safer crossing at the school gate")
    impl = Implementation.objects.get(subject_kind="idea", subject_id=crossing.pk)
    updates = list(ProgressUpdate.objects.filter(implementation=impl))
    assert len(updates) == 2 and impl.progress == 65 and impl.spent_amount == 33500
    assert all(crossing.answered_at <= u.created_at <= now for u in updates)
    results = client.get(f"/ideas/campaign/{streets.pk}/results/").content.decode()
    assert "Safer crossing at the school gate" in results
    lane = Idea.objects.get(title="A protected cycle lane on the ring road")
    assert (lane.points_for_count, lane.points_against_count) == (2, 2)


def models_f(name):
    from django.db.models import F

    return F(name)
