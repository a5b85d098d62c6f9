"""A planner's answer and a progress update cost the same whatever the idea's
audience: its author, supporters and followers are told by one background task
queued in the same transaction (ideas.tasks.notify_status, notify_progress), run
here by the database task worker's own task runner."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from ideas import actions
from ideas.models import Implementation
from tests.factories import (
    DATABASE_TASKS,
    PlannerFactory,
    UserFactory,
    run_database_tasks,
)

pytestmark = pytest.mark.django_db


def supported_idea(campaign, supporters: int):
    idea = actions.do_propose_idea(
        UserFactory(),
        campaign,
        title=f"Benches along the canal ({supporters})",
        description="Somewhere to sit.",
    )
    for _ in range(supporters):
        actions.do_support_idea(UserFactory(), idea)
    return idea


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


@override_settings(TASKS=DATABASE_TASKS)
def test_an_answer_and_an_update_cost_the_same_for_two_supporters_and_for_thirty(
    campaign,
):
    planner = PlannerFactory()
    ideas = {n: supported_idea(campaign, n) for n in (0, 2, 30)}
    answer = {
        n: queries(
            lambda idea=idea: actions.do_change_status(
                planner, idea, "accepted", "We will build them."
            )
        )
        for n, idea in ideas.items()
    }
    assert answer[30] == answer[2]  # (0 warmed the per-process caches)
    update = {
        n: queries(
            lambda idea=idea: actions.do_post_progress(
                planner,
                Implementation.objects.get(subject_kind="idea", subject_id=idea.pk),
                text="The first six benches are in.",
                progress=40,
            )
        )
        for n, idea in ideas.items()
    }
    assert update[30] == update[2]
    busy = ideas[30]
    told = Notification.objects.filter(url=busy.get_absolute_url())
    assert not told.exists()  # nobody until the worker runs
    assert run_database_tasks("ideas.tasks.notify_status") == 3
    assert run_database_tasks("ideas.tasks.notify_progress") == 3
    # The author and the 30 supporters, once each, of the answer and the update.
    assert told.filter(kind="idea.status").count() == 31
    assert told.filter(kind="tracking.update").count() == 31
    assert "40% done" in told.filter(kind="tracking.update").first().text
