"""Flags, the queue's decisions, appeals, duplicates, sanctions and the audit log."""

import pytest
from django.test import override_settings

from accounts.models import Notification
from forums.actions import DiscussionRefused, do_reply
from moderation import actions
from moderation.actions import Decision, ModerationError
from moderation.models import (
    Appeal,
    ItemKind,
    ModerationDecision,
    QueueItem,
    Visibility,
)
from tests.factories import IdeaFactory, UserFactory

pytestmark = pytest.mark.django_db


def flaggers(n):
    return [UserFactory() for _ in range(n)]


def test_flags_hide_at_three_then_a_moderator_restores(post, ana, mia):
    first, second, third = flaggers(3)
    actions.do_flag_content(first, post, "abuse")
    actions.do_flag_content(second, post, "spam")
    post.refresh_from_db()
    assert post.visibility == Visibility.PUBLISHED
    item = QueueItem.objects.get(object_id=post.pk, decided_at__isnull=True)
    assert (item.kind, item.flag_count) == (ItemKind.FLAGGED, 2)

    actions.do_flag_content(third, post, "abuse", "Insults Ben")
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN
    assert "flagged" in post.visibility_reason
    assert ModerationDecision.objects.filter(action="auto_hide").count() == 1

    actions.do_decide(mia, post, Decision.RESTORE)
    post.refresh_from_db()
    assert post.visibility == Visibility.PUBLISHED
    item.refresh_from_db()
    assert item.decided_by == mia and item.decision == Decision.RESTORE
    assert Notification.objects.filter(
        recipient=ana, kind="moderation.restore"
    ).exists()


@override_settings(MODERATION_AUTO_HIDE_FLAGS=1)
def test_the_threshold_is_a_setting(post):
    actions.do_flag_content(UserFactory(), post, "spam")
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN


def test_a_resident_flags_once_and_never_their_own(post, ana, ben):
    actions.do_flag_content(ben, post, "off_topic")
    with pytest.raises(ModerationError, match="already flagged"):
        actions.do_flag_content(ben, post, "spam")
    with pytest.raises(ModerationError, match="your own"):
        actions.do_flag_content(ana, post, "spam")
    with pytest.raises(ModerationError, match="few words"):
        actions.do_flag_content(UserFactory(), post, "other", "")


def test_flag_view_without_javascript(client, post, ben):
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(post)
    client.force_login(ben)
    page = client.get(post.get_absolute_url(), follow=True)
    assert f"/moderation/flag/{ct.pk}/{post.pk}/" in page.content.decode()
    response = client.post(
        f"/moderation/flag/{ct.pk}/{post.pk}/", {"reason": "spam", "note": ""}
    )
    assert response.status_code == 302
    assert QueueItem.objects.filter(object_id=post.pk, flag_count=1).exists()
    again = client.post(f"/moderation/flag/{ct.pk}/{post.pk}/", {"reason": "spam"})
    assert again.status_code == 400
    assert "already flagged" in again.content.decode()


def test_an_idea_is_flagged_through_the_flag_page_like_a_post(client, ben):
    """The idea page carries a link to the flag page, not a form of its own (no
    per-page reasons, note field or token to render); the flag page returns to
    the idea. Its author gets no link, a visitor none either."""
    from django.contrib.contenttypes.models import ContentType

    idea = IdeaFactory()
    flag_url = (
        f"/moderation/flag/{ContentType.objects.get_for_model(idea).pk}/{idea.pk}/"
    )
    assert flag_url not in client.get(idea.get_absolute_url()).content.decode()

    client.force_login(idea.author)
    assert flag_url not in client.get(idea.get_absolute_url()).content.decode()

    client.force_login(ben)
    page = client.get(idea.get_absolute_url()).content.decode()
    assert f'href="{flag_url}"' in page
    assert 'class="flag__form"' not in page
    form = client.get(flag_url)
    assert form.status_code == 200
    assert "Abusive or hateful" in form.content.decode()
    response = client.post(flag_url, {"reason": "spam", "note": ""})
    assert response.status_code == 302
    assert response["Location"] == idea.get_absolute_url()
    assert QueueItem.objects.filter(object_id=idea.pk, flag_count=1).exists()


def test_hide_needs_a_reason_the_author_reads_and_can_appeal_once(
    client, post, ana, mia, max_
):
    with pytest.raises(ModerationError, match="reason"):
        actions.do_decide(mia, post, Decision.HIDE, "")
    actions.do_decide(mia, post, Decision.HIDE, "Names a neighbour.", "personal_data")
    post.refresh_from_db()
    assert (post.visibility, post.visibility_reason) == (
        Visibility.HIDDEN,
        "Names a neighbour.",
    )
    note = Notification.objects.get(recipient=ana, kind="moderation.hide")
    assert "Names a neighbour." in note.text

    client.force_login(ana)
    page = client.get(post.get_absolute_url(), follow=True).content.decode()
    assert "Names a neighbour." in page and "Appeal this decision" in page

    actions.do_appeal(ana, post, "I removed the name, please look again.")
    with pytest.raises(ModerationError, match="already appealed"):
        actions.do_appeal(ana, post, "Again")
    item = QueueItem.objects.get(object_id=post.pk, decided_at__isnull=True)
    assert item.kind == ItemKind.APPEAL
    assert Appeal.objects.get().hidden_by == mia

    with pytest.raises(ModerationError, match="another moderator"):
        actions.do_decide(mia, post, Decision.RESTORE)
    actions.do_decide(max_, post, Decision.REJECT_APPEAL, "The name is still there.")
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN
    assert Notification.objects.filter(recipient=ana, kind="moderation.reject_appeal")


def test_residents_and_authors_cannot_decide(post, ana, ben, mia):
    with pytest.raises(ModerationError, match="Only moderators"):
        actions.do_decide(ben, post, Decision.HIDE, "I do not like it")
    own = do_reply(mia, post.thread, "A moderator's own reply")
    with pytest.raises(ModerationError, match="your own"):
        actions.do_decide(mia, own, Decision.HIDE, "hm")
    with pytest.raises(ModerationError, match="Only moderators"):
        actions.do_bulk_decide(ben, [1], Decision.APPROVE)
    with pytest.raises(ModerationError, match="your own"):
        actions.do_sanction(mia, mia, "warning", "self")


def test_queue_pages_refuse_residents(client, ben, mia):
    client.force_login(ben)
    assert client.get("/admin/moderation/queue/").status_code in (302, 403)
    assert client.get("/admin/moderation/audit.csv").status_code in (302, 403)
    client.force_login(mia)
    assert client.get("/admin/moderation/queue/").status_code == 200


def test_every_decision_leaves_an_audit_entry_that_cannot_change(post, thread, mia):
    actions.do_decide(mia, post, Decision.HIDE, "Spam link", "spam")
    actions.do_decide(mia, post, Decision.RESTORE)
    actions.do_decide(mia, post, Decision.REMOVE, "Advert", "spam")
    actions.do_content_action(mia, thread, "lock", "Too heated")
    target = UserFactory()
    actions.do_sanction(mia, target, "warning", "Be kind")
    decisions = list(ModerationDecision.objects.order_by("id"))
    assert [d.action for d in decisions] == [
        "hide",
        "restore",
        "remove",
        "lock",
        "sanction_warning",
    ]
    assert decisions[0].before["visibility"] == "published"
    assert decisions[0].after == {"visibility": "hidden", "reason": "Spam link"}
    assert all(d.moderator == mia for d in decisions)
    thread.refresh_from_db()
    assert thread.locked and thread.lock_reason == "Too heated"

    entry = decisions[0]
    entry.reason = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        ModerationDecision.objects.all().update(reason="x")
    with pytest.raises(TypeError):
        ModerationDecision.objects.all().delete()


def test_audit_csv_for_moderators(client, post, mia):
    actions.do_decide(mia, post, Decision.HIDE, "Spam link", "spam")
    client.force_login(mia)
    response = client.get("/admin/moderation/audit.csv")
    body = b"".join(response.streaming_content).decode()
    assert "Spam link" in body and "forums.post" in body and "hide" in body


def test_public_log_counts_reasons_without_personal_data(client, post, ana, mia):
    actions.do_decide(
        mia, post, Decision.HIDE, "Ana Lima wrote her address", "personal_data"
    )
    actions.do_sanction(mia, UserFactory(display_name="Zed Secret"), "warning", "rude")
    page = client.get("/moderation/log/").content.decode()
    assert "Shares personal data" in page and "Hide" in page
    for private in ("Ana Lima", "address", "Mia Moderator", "Zed Secret", "rude", "@"):
        assert private not in page.split("<main", 1)[1]


def test_sanctions_refuse_every_action_with_why_and_until(post, ben, mia):
    actions.do_sanction(mia, ben, "suspension", "Insults in three threads", days=7)
    from moderation.models import Sanction

    until = Sanction.objects.get(user=ben).until
    with pytest.raises(DiscussionRefused) as refused:
        do_reply(ben, post.thread, "I am back")
    message = str(refused.value)
    assert "suspended until" in message and "Insults in three threads" in message
    assert str(until.year) in message
    with pytest.raises(ModerationError, match="suspended until"):
        actions.do_flag_content(ben, post, "spam")
    from forums.actions import do_set_post_like

    with pytest.raises(DiscussionRefused, match="suspended until"):
        do_set_post_like(ben, post, True)
    note = Notification.objects.get(recipient=ben, kind="moderation.suspension")
    assert "Insults in three threads" in note.text


def test_a_ban_refuses_without_end(post, ben, mia):
    actions.do_sanction(mia, ben, "ban", "Spam robot")
    with pytest.raises(DiscussionRefused, match="banned.*Spam robot"):
        do_reply(ben, post.thread, "buy now")


def test_bulk_decision_skips_what_the_moderator_may_not_decide(forum, ana, mia, max_):
    from forums.actions import do_start_thread

    forum.premoderated = True
    forum.save()
    theirs = [
        do_start_thread(ana, forum, f"Idea {i}", f"Text number {i}") for i in range(3)
    ]
    own = do_start_thread(mia, forum, "Mine", "A moderator's own thread")
    ids = list(
        QueueItem.objects.filter(decided_at__isnull=True).values_list("pk", flat=True)
    )
    assert len(ids) == 4
    result = actions.do_bulk_decide(mia, ids, Decision.APPROVE)
    assert len(result.decided) == 3 and len(result.refused) == 1
    for t in theirs:
        t.refresh_from_db()
        assert t.visibility == Visibility.PUBLISHED
        # The opening post was decided with its thread.
        assert t.posts.get().visibility == Visibility.PUBLISHED
    own.refresh_from_db()
    assert own.visibility == Visibility.PENDING
    assert ModerationDecision.objects.filter(action="approve").count() == 3
