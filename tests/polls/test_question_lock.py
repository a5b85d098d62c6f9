"""Staff edit a poll in the Wagtail editor; once the first ballot is in, its
questions and options are locked (ballots name options by position), and the
editor says why. Everything else on the page stays editable."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from polls import actions
from polls.models import Ballot, PollPage, PollQuestion
from tests.factories import CityAdminFactory, UserFactory, make_poll, verify

pytestmark = pytest.mark.django_db

LOCKED = "questions and their options can no longer be added, removed or changed"


def question_row(q, **changes):
    row = {
        "id": q.pk,
        "text": q.text,
        "kind": q.kind,
        "max_choices": q.max_choices or "",
        "options_text": q.options_text,
        "ORDER": q.sort_order + 1,
    }
    row.update(changes)
    return row


def editor_post(client, poll, questions, *, title=None, extra_new=None):
    """What the editor's Publish button sends, with `questions` as the inline rows."""
    rows = list(questions) + list(extra_new or [])
    data = nested_form_data(
        {
            "title": title or poll.title,
            "slug": poll.slug,
            "intro": poll.intro,
            "eligibility": poll.eligibility,
            "results_visibility": poll.results_visibility,
            "privacy_minimum": poll.privacy_minimum,
            "questions": inline_formset(rows, initial=poll.questions.count()),
            "weights": inline_formset([]),
            "action-publish": "action-publish",
        }
    )
    return client.post(f"/admin/pages/{poll.pk}/edit/", data)


@pytest.fixture
def admin_client(client):
    client.force_login(CityAdminFactory())
    return client


def cast_one(poll):
    poll = PollPage.objects.get(pk=poll.pk)
    voter = UserFactory()
    verify(voter)
    q = poll.questions.get()
    return actions.do_vote(poll, voter, {str(q.pk): ["1"]})


def test_before_the_first_ballot_staff_may_change_the_options(admin_client):
    poll = make_poll()
    q = poll.questions.get()
    editor = admin_client.get(f"/admin/pages/{poll.pk}/edit/").content.decode()
    assert LOCKED not in editor
    response = editor_post(admin_client, poll, [question_row(q, options_text="A\nB")])
    assert response.status_code == 302
    assert PollQuestion.objects.get(pk=q.pk).options == ["A", "B"]


def test_after_the_first_ballot_the_editor_says_the_questions_are_locked(
    admin_client,
):
    poll = make_poll()
    cast_one(poll)
    editor = admin_client.get(f"/admin/pages/{poll.pk}/edit/").content.decode()
    assert "Voting has started (1 ballot cast)" in editor
    assert LOCKED in editor


@pytest.mark.parametrize(
    "change",
    [
        {"options_text": "A\nC\nB"},  # reordered: every ballot would change meaning
        {"options_text": "A\nB\nC\nD"},  # one added
        {"options_text": "A\nB"},  # one removed
        {"options_text": "A\nBee\nC"},  # one reworded
        {"text": "Which one, really?"},
        {"kind": "multiple", "max_choices": 2},
    ],
)
def test_after_the_first_ballot_no_option_or_question_can_change(admin_client, change):
    poll = make_poll()
    cast_one(poll)
    q = poll.questions.get()
    response = editor_post(admin_client, poll, [question_row(q, **change)])
    assert response.status_code == 200
    page = response.content.decode()
    assert "The page could not be saved" in page and LOCKED in page
    assert "Locked: voting has started." in page
    stored = PollQuestion.objects.get(pk=q.pk)
    assert (stored.text, stored.kind, stored.options) == (
        "Which one?",
        "single",
        ["A", "B", "C"],
    )
    assert Ballot.objects.filter(box=poll.box).count() == 1


def test_after_the_first_ballot_no_question_can_be_removed_or_added(admin_client):
    poll = make_poll()
    cast_one(poll)
    q = poll.questions.get()
    removed = editor_post(admin_client, poll, [question_row(q, DELETE="1")])
    assert removed.status_code == 200
    assert "This question can no longer be removed." in removed.content.decode()
    added = editor_post(
        admin_client,
        poll,
        [question_row(q)],
        extra_new=[
            {"id": "", "text": "And?", "kind": "single", "options_text": "X\nY"}
        ],
    )
    assert added.status_code == 200
    assert "No question can be added any more." in added.content.decode()
    assert list(
        PollQuestion.objects.filter(page=poll).values_list("pk", flat=True)
    ) == [q.pk]


def test_after_the_first_ballot_the_rest_of_the_page_stays_editable(admin_client):
    poll = make_poll()
    cast_one(poll)
    q = poll.questions.get()
    # A trailing blank line in the options is not a change: options are counted
    # as their non-empty lines.
    response = editor_post(
        admin_client,
        poll,
        [question_row(q, options_text="A\nB\nC\n")],
        title="Which one? (extended)",
    )
    assert response.status_code == 302
    assert PollPage.objects.get(pk=poll.pk).title == "Which one? (extended)"


def test_a_revision_saved_before_the_first_ballot_cannot_be_published_after_it():
    """The scheduler and workflows publish revisions without the editor's form."""
    poll = make_poll()
    q = poll.questions.get()
    q.options_text = "A\nB"
    poll.questions = [q]
    revision = poll.save_revision()  # a draft, as "Save draft" or a schedule makes
    cast_one(poll)
    with pytest.raises(ValidationError, match="Voting has started"):
        revision.publish()
    assert PollQuestion.objects.get(pk=q.pk).options == ["A", "B", "C"]
