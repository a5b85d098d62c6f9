"""A resident verifies with an access letter, votes, keeps the receipt and finds the
ballot in the published log; an event vote from three phones while the projector
follows live."""

import hashlib
import json

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.actions import do_generate_access_codes
from polls import actions, ballots
from tests.factories import CityAdminFactory, UserFactory, make_poll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_context(browser, server, user, width=1280):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        locale="en-GB", viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server.url,
            }
        ]
    )
    return context


@pytest.mark.parametrize("width", [1280, 390])
def test_resident_verifies_votes_and_finds_the_ballot_in_the_published_log(
    browser, daphne_live_server, width
):
    server = daphne_live_server
    admin = CityAdminFactory()
    code = do_generate_access_codes(admin, district="North", count=1, batch="t")[0]
    poll = make_poll(
        title="Benches or trees",
        districts="North",
        questions=[("Which first?", "single", ["Benches", "Trees"], None)],
    )
    rosa = UserFactory(display_name="Rosa")
    context = logged_in_context(browser, server, rosa, width)
    try:
        page = context.new_page()
        page.goto(server.url + poll.url)
        expect(page.locator(".poll-refusal")).to_contain_text("Only verified residents")

        page.goto(server.url + "/me/verify/")
        page.get_by_label("Access code from your letter").fill(code.lower())
        page.get_by_role("button", name="Verify with this code").click()
        expect(page.locator(".verification-status")).to_contain_text("verified")

        page.goto(server.url + poll.url)
        page.get_by_label("Trees").check()
        page.get_by_role("button", name="Cast my ballot").click()
        expect(page.get_by_role("heading", name="Your ballot is in")).to_be_visible()
        receipt = page.locator("#receipt-code").inner_text()

        actions.do_close_poll(admin, poll)
        page.goto(server.url + poll.url)
        page.get_by_label("Receipt").fill(receipt)
        page.get_by_role("button", name="Look up").click()
        expect(page.locator(".receipt-lookup")).to_contain_text("It counts.")

        page.goto(server.url + f"/polls/{poll.pk}/results/")
        head = page.locator("#head-hash").inner_text()
        response = page.request.get(server.url + f"/polls/{poll.pk}/ballots.json")
        log = json.loads(response.text())
        mine = hashlib.sha256(
            f"agora-receipt/1\n{poll.box_key}\n{receipt.replace('-', '')}".encode()
        ).hexdigest()
        row = next(r for r in log["ballots"] if r["receipt_hash"] == mine)
        assert row["choices"] == {str(poll.questions.get().pk): [1]}
        assert ballots.verify_log(log, expected_head=head).ok
    finally:
        context.close()


def test_an_event_vote_from_three_phones_while_the_projector_updates(
    browser, daphne_live_server
):
    server = daphne_live_server
    admin = CityAdminFactory()
    poll = make_poll(
        title="Hall vote",
        eligibility="event",
        open_now=False,
        results_visibility="live",
        questions=[("First topic?", "single", ["Crossings", "Benches"], None)],
    )
    actions.do_open_poll(admin, poll)
    poll.refresh_from_db()
    wall = browser.new_context(locale="en-GB")
    phones = [browser.new_context(locale="en-GB") for _ in range(3)]
    try:
        projector = wall.new_page()
        projector.goto(server.url + f"/polls/{poll.pk}/projector/")
        expect(projector.locator("body")).to_have_attribute("data-live-state", "live")
        expect(projector.locator("#event-code")).to_have_text(poll.event_code)
        count = projector.locator("#ballot-count")
        expect(count).to_have_text("0")
        for n, (phone_context, option) in enumerate(
            zip(phones, ["Crossings", "Benches", "Crossings"], strict=True), start=1
        ):
            phone = phone_context.new_page()
            phone.goto(server.url + "/vote/")
            phone.get_by_label("Event code").fill(poll.event_code)
            phone.get_by_label("Access code").fill(poll.event_access_code)
            phone.get_by_role("button", name="Go to the vote").click()
            phone.get_by_label(option).check()
            phone.get_by_role("button", name="Vote").click()
            expect(
                phone.get_by_role("heading", name="Your ballot is in")
            ).to_be_visible()
            expect(count).to_have_text(str(n))
        bars = projector.locator(f"#poll-{poll.pk}-bars .bar__value")
        expect(bars.nth(0)).to_contain_text("2 · 66.7 %")
        expect(bars.nth(1)).to_contain_text("1 · 33.3 %")
        # A phone that tries again is told, and the projector does not move.
        again = phones[0].new_page()
        again.goto(server.url + f"/polls/event/{poll.event_code}/")
        expect(again.locator(".notice")).to_contain_text("You have voted")
        expect(count).to_have_text("3")
    finally:
        wall.close()
        for phone_context in phones:
            phone_context.close()
