"""A new resident signs up, verifies their address, logs in and sees their profile."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from home.demo import seed_home

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_resident_signs_up_verifies_logs_in_and_sees_profile(live_server, new_page):
    seed_home()
    page = new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").first.click()

    page.get_by_label("Email").fill("amara@example.org")
    page.get_by_label("Display name").fill("Amara Okafor")
    page.get_by_label("Password:", exact=True).fill("a-long-secret-phrase-42")
    page.get_by_label("Password (again)").fill("a-long-secret-phrase-42")
    page.get_by_role("button", name="Sign Up").click()
    expect(
        page.get_by_role("heading", name="Verify Your Email Address")
    ).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link
    page.goto(
        live_server.url
        + "/accounts/confirm-email/"
        + link.group(0).split("/confirm-email/")[1]
    )
    page.get_by_role("button", name="Confirm").click()

    # Confirming logs the resident in; log out and in again as they would next time.
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("amara@example.org")
    page.get_by_label("Password").fill("a-long-secret-phrase-42")
    page.get_by_role("button", name="Sign In").click()

    # Log-in returns to the page the resident was on (here the home page).
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("link", name="Amara Okafor").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("amara@example.org")
    expect(page.locator(".facts")).to_contain_text("Resident")
    expect(page.get_by_label("Display name")).to_have_value("Amara Okafor")
