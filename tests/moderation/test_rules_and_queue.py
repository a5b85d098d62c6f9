"""Automatic rules at submission, pre-moderation, the queue page and its live events."""

import pytest
from django.test import override_settings

from forums.actions import DiscussionRefused, do_reply, do_start_thread
from live.models import Event
from moderation import actions
from moderation.models import ItemKind, QueueItem, Visibility
from moderation.screening import SubmissionRefused, screen_submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rule(name, action, **params):
    """Only this rule on, so each test sees its own rule's outcome."""
    from moderation.screening import DEFAULT_RULES

    rules = {other: {"action": "off"} for other in DEFAULT_RULES}
    rules[name] = {"action": action, **params}
    return override_settings(MODERATION_RULES=rules)


LINKS = "See https://a.example https://b.example https://c.example https://d.example"

CASES = [
    # rule, settings, text that trips it, text that does not
    ("blocklist", {"words": {"en": ["scumbag"]}}, "You scumbag!", "You neighbour!"),
    ("links", {"max_links": 3}, LINKS, "See https://a.example"),
]


@pytest.mark.parametrize(("name", "params", "bad", "good"), CASES)
def test_text_rules_publish_hold_or_refuse(name, params, bad, good):
    author = UserFactory()
    with rule(name, "hold", **params):
        assert screen_submission(author, good).visibility == Visibility.PUBLISHED
        held = screen_submission(author, bad)
        assert (held.visibility, held.rule) == (Visibility.PENDING, name)
    with rule(name, "refuse", **params), pytest.raises(SubmissionRefused) as refused:
        screen_submission(author, bad)
    assert str(refused.value)
    with rule(name, "off", **params):
        assert screen_submission(author, bad).visibility == Visibility.PUBLISHED


def test_blocklist_words_are_per_language():
    spanish, english = UserFactory(preferred_language="es"), UserFactory()
    with rule("blocklist", "refuse", words={"es": ["regalo"]}):
        with pytest.raises(SubmissionRefused, match="regalo"):
            screen_submission(spanish, "Un regalo envenenado")
        assert (
            screen_submission(english, "A regalo for the park").visibility
            == "published"
        )


def test_repeated_text_publish_hold_refuse():
    author = UserFactory()
    text = "Buy cheap watches at our shop today, best prices"
    with rule("repeated_text", "hold"):
        assert screen_submission(author, text).visibility == Visibility.PUBLISHED
        assert screen_submission(author, "Something else entirely, and long").rule == ""
        assert screen_submission(author, text.upper()).rule == "repeated_text"
    with (
        rule("repeated_text", "refuse"),
        pytest.raises(SubmissionRefused, match="same"),
    ):
        screen_submission(author, text)


def test_posting_rate_publish_hold_refuse():
    author = UserFactory()
    with rule("rate", "hold", max_items=2, window_minutes=10):
        assert screen_submission(author, "one").visibility == Visibility.PUBLISHED
        assert screen_submission(author, "two").visibility == Visibility.PUBLISHED
        assert screen_submission(author, "three").rule == "rate"
    with (
        rule("rate", "refuse", max_items=2),
        pytest.raises(SubmissionRefused, match="wait"),
    ):
        screen_submission(author, "four")


def test_new_account_probation_publish_hold_refuse():
    author = UserFactory()
    with rule("probation", "hold", first_contributions=2):
        assert screen_submission(author, "first").rule == "probation"
        assert screen_submission(author, "second").rule == "probation"
        assert screen_submission(author, "third").visibility == Visibility.PUBLISHED
    newcomer = UserFactory()
    with (
        rule("probation", "refuse", first_contributions=1),
        pytest.raises(SubmissionRefused, match="New accounts"),
    ):
        screen_submission(newcomer, "hello")


def test_a_held_post_enters_the_queue_with_its_rule(thread, ben, mia):
    with rule("links", "hold", max_links=1):
        post = do_reply(ben, thread, LINKS)
    assert post.visibility == Visibility.PENDING
    item = QueueItem.objects.get(object_id=post.pk, decided_at__isnull=True)
    assert (item.kind, item.rule, item.scope_label) == (
        ItemKind.PENDING,
        "links",
        "Town square",
    )
    event = Event.objects.filter(topic="moderation.queue").latest("id")
    assert event.type == "moderation.item_added"
    assert f'id="queue-item-{item.pk}"' in event.data["html"]
    assert event.data["list"] == "moderation.queue:items"

    actions.do_decide(mia, post, "approve")
    decided = Event.objects.filter(topic="moderation.queue").latest("id")
    assert decided.type == "moderation.item_decided"
    assert decided.data == {
        "mode": "remove",
        "dom_id": f"queue-item-{item.pk}",
        "counts": {"waiting": 0},
    }


def test_refused_text_is_a_clear_forum_error(thread, ben):
    with (
        rule("blocklist", "refuse", words={"*": ["scumbag"]}),
        pytest.raises(DiscussionRefused, match="rephrase"),
    ):
        do_reply(ben, thread, "you scumbag")


def test_premoderated_forum_shows_pending_thread_only_to_its_author(
    client, forum, ana, ben, mia
):
    forum.premoderated = True
    forum.save()
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    assert thread.visibility == Visibility.PENDING
    item = QueueItem.objects.get(decided_at__isnull=True)
    assert item.rule == "premoderation" and item.scope_key == f"forum.{forum.pk}"

    client.force_login(ana)
    mine = client.get(forum.url).content.decode()
    assert "Night buses" in mine
    client.force_login(ben)
    assert "Night buses" not in client.get(forum.url).content.decode()
    assert client.get(f"/discussions/threads/{thread.pk}/").status_code == 404 or (
        "Night buses"
        not in client.get(f"/discussions/threads/{thread.pk}/").content.decode()
    )
    client.logout()
    assert "Night buses" not in client.get(forum.url).content.decode()

    actions.do_decide(mia, thread, "approve")
    client.force_login(ben)
    assert "Night buses" in client.get(forum.url).content.decode()


def test_premoderated_campaign_idea_waits_for_review(client, ana, ben, mia):
    from ideas.actions import do_propose_idea
    from tests.factories import make_campaign

    campaign = make_campaign(premoderated=True)
    idea = do_propose_idea(
        ana, campaign, title="A library boat", description="A boat that lends books."
    )
    assert idea.visibility == Visibility.PENDING
    item = QueueItem.objects.get(decided_at__isnull=True, object_id=idea.pk)
    assert item.rule == "premoderation" and item.scope_key == f"campaign.{campaign.pk}"

    client.force_login(ana)
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "Waiting for review" in page
    client.force_login(ben)
    assert client.get(idea.get_absolute_url()).status_code == 404
    assert "A library boat" not in client.get(campaign.url).content.decode()

    actions.do_decide(mia, idea, "approve")
    assert "A library boat" in client.get(campaign.url).content.decode()


def test_queue_page_filters_and_costs_fixed_queries(
    client, forum, ana, mia, django_assert_max_num_queries
):
    forum.premoderated = True
    forum.save()
    authors = [ana, *(UserFactory() for _ in range(2))]
    for i in range(60):
        do_start_thread(authors[i % 3], forum, f"Thread {i}", f"Body number {i} here")
    client.force_login(mia)
    with django_assert_max_num_queries(16):
        page = client.get("/admin/moderation/queue/")
    html = page.content.decode()
    assert html.count('class="queue-item') == 50
    assert (
        html.index("Thread 0") < html.index("Thread 1:")
        if "Thread 1:" in html
        else True
    )
    with django_assert_max_num_queries(16):
        filtered = client.get(f"/admin/moderation/queue/?scope=forum.{forum.pk}&page=2")
    assert filtered.content.decode().count('class="queue-item') == 10
    assert (
        client.get("/admin/moderation/queue/?rule=links")
        .content.decode()
        .count('class="queue-item')
        == 0
    )


def test_bulk_form_in_the_queue(client, forum, ana, mia):
    forum.premoderated = True
    forum.save()
    threads = [do_start_thread(ana, forum, f"T{i}", f"Body {i} long") for i in range(3)]
    ids = QueueItem.objects.values_list("pk", flat=True)
    client.force_login(mia)
    response = client.post(
        "/admin/moderation/queue/",
        {
            "items": [str(i) for i in ids],
            "decision": "hide",
            "reason": "",
            "reason_code": "",
        },
    )
    assert response.status_code == 302
    assert (
        QueueItem.objects.filter(decided_at__isnull=True).count() == 3
    )  # reason missing
    client.post(
        "/admin/moderation/queue/",
        {
            "items": [str(i) for i in ids],
            "decision": "hide",
            "reason": "Advert",
            "reason_code": "spam",
        },
    )
    for t in threads:
        t.refresh_from_db()
        assert (t.visibility, t.visibility_reason) == ("hidden", "Advert")


def test_duplicate_idea_asks_supporters_and_moves_nothing(client, ana, mia):
    from accounts.models import Notification
    from ideas.actions import do_propose_idea, do_support_idea
    from ideas.models import Support
    from tests.factories import make_campaign

    campaign = make_campaign()
    original = do_propose_idea(
        ana, campaign, title="More trees", description="Plant trees."
    )
    bob = UserFactory()
    copy = do_propose_idea(
        bob, campaign, title="Plant trees", description="Trees please."
    )
    fans = [UserFactory() for _ in range(2)]
    for fan in fans:
        do_support_idea(fan, copy)
    do_support_idea(fans[0], original)

    actions.do_mark_duplicate(mia, copy, original)
    assert Support.objects.filter(idea=copy).count() == 2  # never moved
    assert Support.objects.filter(idea=original).count() == 1
    asked = Notification.objects.filter(kind="moderation.duplicate", recipient=fans[1])
    assert asked.count() == 1 and original.get_absolute_url() in asked.get().url
    # Already supporting the other: not asked again.
    assert not Notification.objects.filter(
        kind="moderation.duplicate", recipient=fans[0]
    )
    assert Notification.objects.filter(kind="moderation.duplicate", recipient=bob)
    page = client.get(copy.get_absolute_url()).content.decode()
    assert "duplicates another" in page and original.get_absolute_url() in page
    with pytest.raises(actions.ModerationError, match="already"):
        actions.do_mark_duplicate(mia, copy, original)


def test_dashboard_clocks(client, forum, ana, mia):
    from moderation.admin_views import service_clock

    forum.premoderated = True
    forum.save()
    first = do_start_thread(ana, forum, "First", "First body here")
    do_start_thread(ana, forum, "Second", "Second body here")
    actions.do_decide(mia, first, "approve")
    clock = service_clock()
    assert clock["waiting"] == 1 and clock["oldest"] is not None
    assert clock["median_to_decision"] is not None and clock["decided_30_days"] == 1
    client.force_login(mia)
    assert (
        "Median time to decision"
        in client.get("/admin/moderation/dashboard/").content.decode()
    )


def test_daily_digest_tells_moderators_the_clocks(forum, ana, mia, mailoutbox):
    from django.core.management import call_command

    forum.premoderated = True
    forum.save()
    do_start_thread(ana, forum, "Waiting thread", "Body of the waiting thread")
    call_command("moderation_digest")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [mia.email]
    assert "1 item" in mail.subject and "/admin/moderation/queue/" in mail.body


def test_dashboard_lists_ideas_past_their_answer_deadline(ana):
    from datetime import timedelta

    from django.utils import timezone

    from ideas.models import IdeaState
    from moderation.admin_views import service_clock
    from tests.factories import IdeaFactory, make_campaign

    campaign = make_campaign(answer_deadline_days=8)
    late = IdeaFactory(
        campaign=campaign,
        author=ana,
        state=IdeaState.UNDER_REVIEW,
        review_started_at=timezone.now() - timedelta(days=9),
    )
    IdeaFactory(
        campaign=campaign,
        state=IdeaState.UNDER_REVIEW,
        review_started_at=timezone.now() - timedelta(days=2),
    )
    overdue = service_clock()["overdue"]
    assert [entry["label"] for entry in overdue] == [late.title]


def test_an_edit_with_the_same_text_is_not_repeated_text(ana):
    from ideas.actions import do_edit_idea, do_propose_idea
    from tests.factories import make_campaign

    campaign = make_campaign()
    idea = do_propose_idea(ana, campaign, title="Shade trees", description="On Elm St.")
    with rule("repeated_text", "hold", min_length=5):
        edited = do_edit_idea(
            ana, idea, title="Shade trees", description="On Elm St.", address="Elm"
        )
    assert edited.visibility == Visibility.PUBLISHED
