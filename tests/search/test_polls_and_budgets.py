"""The one search also finds polls, budgets and their projects, as the newcomer expects
("once they exist", issue 13): a resident who types what a poll asks or what a
project proposes finds it, and a project moderation hides is gone from search."""

import pytest

from moderation.actions import Decision, do_decide
from search.query import search
from tests.factories import ModeratorFactory, make_budget, make_poll

pytestmark = pytest.mark.django_db


def found(text, **kw):
    return sorted(
        (hit.kind, hit.object_id) for hit in search(text, **kw).page.object_list
    )


def test_a_poll_is_found_by_its_title_and_introduction():
    poll = make_poll(title="Night buses", intro="Should trams run after midnight?")
    assert ("poll", poll.pk) in found("midnight")
    assert ("poll", poll.pk) in found("night buses")


def test_a_budget_and_its_projects_are_found_and_a_hidden_project_is_not():
    budget = make_budget(
        title="Green citizens' budget",
        projects=[("Pollinator meadow by the river", 20_000)],
    )
    project = budget.projects.get()
    project.description = "Wildflowers and bee hotels along the towpath."
    project.save()
    assert ("budget", budget.pk) in found("green citizens")
    assert ("project", project.pk) in found("wildflowers")
    assert ("project", project.pk) in found("pollinator", kinds=["project"])

    do_decide(ModeratorFactory(), project, Decision.HIDE, "Duplicate of another")
    assert ("project", project.pk) not in found("wildflowers")
