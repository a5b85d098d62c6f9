"""A resident logs in and lands where they were; signing up and confirming the
address logs them in, back where they started; mails name the city; a person's
public page lists what they wrote that anyone may read."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from forums.actions import do_delete_post, do_reply, do_start_thread
from ideas import actions as idea_actions
from moderation.actions import Decision, do_decide
from tests.factories import ModeratorFactory, UserFactory, make_campaign, make_forum

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_posting_rate_limit(settings):
    settings.AGORA_FORUM_RATE_LIMITS = {
        "interval_seconds": 0,
        "new_account_interval_seconds": 0,
        "new_account_hours": 24,
    }


def test_header_login_link_carries_the_page_and_login_returns_there(
    client, resident, password
):
    forum = make_forum("Town square")
    html = client.get(forum.url).content.decode()
    assert f'href="/accounts/login/?next={forum.url}"' in html
    response = client.post(
        reverse("account_login"),
        {"login": resident.email, "password": password, "next": forum.url},
    )
    assert response.status_code == 302
    assert response["Location"] == forum.url


def test_login_refuses_to_send_you_off_site(client, resident, password):
    response = client.post(
        reverse("account_login"),
        {"login": resident.email, "password": password, "next": "https://evil.test/"},
    )
    assert "evil.test" not in response.get("Location", "")


def test_login_page_itself_does_not_nest_next(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "next=/accounts" not in html


def test_confirming_the_address_logs_in_and_returns_to_the_page(client):
    campaign = make_campaign()
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "password1": "correct-horse-battery-9",
            "password2": "correct-horse-battery-9",
            "display_name": "Nina Newcomer",
            "preferred_language": "en",
            "next": campaign.url,
        },
    )
    assert "_auth_user_id" not in client.session
    message = mail.outbox[0]
    assert message.subject.startswith("[Agora] ")
    assert "127.0.0.1" not in message.subject and "testserver" not in message.subject
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", message.body)
    response = client.post(link.group(0).split("testserver", 1)[-1])
    assert "_auth_user_id" in client.session
    assert response["Location"] == campaign.url


def test_person_page_lists_public_ideas_and_posts_only(
    client, django_assert_max_num_queries
):
    ana = UserFactory(display_name="Ana Lima")
    campaign = make_campaign(title="Greener streets")
    shown = idea_actions.do_propose_idea(
        ana, campaign, title="Trees along Station Street", description="Shade."
    )
    hidden = idea_actions.do_propose_idea(
        ana, campaign, title="A secret idea", description="Hidden by a moderator."
    )
    do_decide(ModeratorFactory(), hidden, Decision.HIDE, "Off topic")
    forum = make_forum("Town square")
    thread = do_start_thread(ana, forum, "Fountains", "Drinking fountains please.")
    gone = do_reply(ana, thread, "A post I took back.")
    do_delete_post(ana, gone)
    others = do_reply(UserFactory(), thread, "Someone else's post.")
    with django_assert_max_num_queries(10):
        html = client.get(reverse("accounts:person", args=[ana.pk])).content.decode()
    assert "Trees along Station Street" in html
    assert "Greener streets" in html
    assert "Drinking fountains please." in html
    assert "A secret idea" not in html
    assert "A post I took back." not in html
    assert others.body not in html
    assert shown.get_absolute_url() in html


def test_person_page_paginates(client):
    ana = UserFactory(display_name="Ana Lima")
    forum = make_forum("Town square")
    thread = do_start_thread(ana, forum, "Many posts", "Opening.")
    from django.test import override_settings

    with override_settings(
        AGORA_FORUM_RATE_LIMITS={
            "interval_seconds": 0,
            "new_account_interval_seconds": 0,
        }
    ):
        for i in range(25):
            do_reply(ana, thread, f"Reply number {i} about benches")
    url = reverse("accounts:person", args=[ana.pk])
    first = client.get(url).context["page"]
    assert first.paginator.count == 27  # thread, opening post, 25 replies
    assert len(first.object_list) == 20
    second = client.get(url, {"page": 2}).context["page"]
    assert len(second.object_list) == 7
    assert client.get(url, {"page": "x"}).status_code == 200
