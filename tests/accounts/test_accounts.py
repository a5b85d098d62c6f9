"""A resident's account: signing up, verifying, logging in, roles, profile and privacy."""

import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import privacy
from accounts.actions import do_notify
from accounts.models import Notification, User
from accounts.roles import Role, has_role
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_up(
    client,
    email="new@example.org",
    name="Nina Newcomer",
    password="correct-horse-battery-9",
):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": password,
            "password2": password,
            "display_name": name,
            "preferred_language": "es",
        },
    )


def test_signup_sends_a_verification_mail_and_login_waits_for_it(client):
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert user.display_name == "Nina Newcomer"
    assert user.preferred_language == "es"
    assert has_role(user, Role.RESIDENT)
    assert len(mail.outbox) == 1
    assert not EmailAddress.objects.get(user=user).verified

    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "new@example.org", "password": "correct-horse-battery-9"},
    )
    # Mandatory verification: no session until the address is confirmed.
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]


def test_following_the_mailed_link_verifies_and_logs_in(client):
    sign_up(client)
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("testserver", 1)[-1]
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new@example.org").verified
    assert int(client.session["_auth_user_id"]) == User.objects.get().pk


def test_signup_refuses_a_blank_display_name_with_a_message(client):
    response = sign_up(client, name="   ")
    assert response.status_code == 200
    assert "Please enter a display name." in response.content.decode()
    assert not User.objects.exists()


def test_login_and_logout(client, password):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": password}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_rate_limited(client, password):
    user = UserFactory()
    answers = [
        client.post(
            reverse("account_login"), {"login": user.email, "password": "wrong"}
        )
        for _ in range(6)
    ]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    # The lockout is a limit: 429 with Retry-After, the address typed kept.
    locked = answers[5]
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 1
    text = locked.content.decode()
    assert "Logging in was refused" in text and user.email in text
    assert "wrong" not in text  # never a password
    # Even the right password is refused until the limit has passed.
    right = client.post(
        reverse("account_login"), {"login": user.email, "password": password}
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_is_sent(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    assert "password" in mail.outbox[0].subject.lower()


def test_grant_role_command_gives_and_refuses_clearly(capsys):
    user = UserFactory(email="mo@example.org")
    call_command("grant_role", "mo@example.org", "moderator")
    assert has_role(User.objects.get(pk=user.pk), Role.MODERATOR)
    call_command("grant_role", "MO@example.org", "city-admin")
    assert (
        Group.objects.get(name="City administrator")
        .user_set.filter(pk=user.pk)
        .exists()
    )
    with pytest.raises(CommandError, match="Unknown role"):
        call_command("grant_role", "mo@example.org", "mayor")
    with pytest.raises(CommandError, match="No account"):
        call_command("grant_role", "nobody@example.org", "planner")
    call_command("grant_role", "mo@example.org", "moderator", "--revoke")
    assert not has_role(User.objects.get(pk=user.pk), Role.MODERATOR)


def test_staff_roles_open_the_wagtail_admin_and_residents_are_kept_out(client):
    resident = UserFactory()
    client.force_login(resident)
    assert client.get("/admin/").status_code == 302
    planner = UserFactory(roles=[Role.PLANNER])
    client.force_login(planner)
    assert client.get("/admin/").status_code == 200


def test_resident_edits_own_profile(resident_client, resident):
    response = resident_client.post(
        reverse("accounts:profile"),
        {
            "display_name": "  Renamed   Resident ",
            "preferred_language": "ru",
            "email_notifications": "daily",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.display_name == "Renamed Resident"
    assert resident.email_notifications == "daily"


def test_profile_refuses_bad_input_and_keeps_what_was_typed(resident_client, resident):
    response = resident_client.post(
        reverse("accounts:profile"),
        {
            "display_name": "x" * 200,
            "preferred_language": "xx",
            "email_notifications": "daily",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value has at most 60 characters" in html
    assert "x" * 200 in html
    resident.refresh_from_db()
    assert resident.display_name != "x" * 200


def test_private_pages_need_a_login(client):
    for name in (
        "accounts:profile",
        "accounts:notifications",
        "accounts:privacy",
        "accounts:export",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_public_page_shows_the_display_name_never_the_email(client):
    person = UserFactory(display_name="<b>Bold</b> Bea")
    html = client.get(person.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; Bea" in html
    assert person.email not in html


def test_download_my_data_holds_every_registered_section(resident_client, resident):
    privacy.register_export("test-section", lambda user: {"answer": user.display_name})
    NotificationFactory(recipient=resident, text="A reply to your post")
    response = resident_client.get(reverse("accounts:export"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == resident.email
    assert data["account"]["roles"] == ["Resident"]
    assert data["notifications"][0]["text"] == "A reply to your post"
    assert data["test-section"] == {"answer": resident.display_name}


def test_delete_account_needs_the_password(resident_client, resident):
    response = resident_client.post(
        reverse("accounts:delete"), {"password": "wrong", "confirm": "on"}
    )
    assert response.status_code == 400
    assert "That password is not right" in response.content.decode()
    assert User.objects.filter(pk=resident.pk).exists()


def test_delete_account_removes_it_and_runs_registered_erasers(
    resident_client, resident, password
):
    erased = []
    privacy.register_erasure("test", lambda user: erased.append(user.pk))
    NotificationFactory(recipient=resident)
    response = resident_client.post(
        reverse("accounts:delete"), {"password": password, "confirm": "on"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=resident.pk).exists()
    assert not Notification.objects.exists()
    assert erased == [resident.pk]
    assert "_auth_user_id" not in resident_client.session


def test_notifications_inbox_marks_read_and_stays_bounded(
    resident_client, resident, django_assert_max_num_queries
):
    other = UserFactory()
    for i in range(45):
        do_notify(resident, "reply", f"Reply number {i}", "/", actor=other)
    with django_assert_max_num_queries(8):
        response = resident_client.get(reverse("accounts:notifications"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 30
    assert "Reply number 44" in response.content.decode()
    assert Notification.objects.unread().filter(recipient=resident).count() == 45
    resident_client.post(
        reverse("accounts:notifications_read"), {"next": "https://evil.example/"}
    )
    assert Notification.objects.unread().filter(recipient=resident).count() == 0


def test_nobody_is_notified_of_their_own_doing(resident):
    assert do_notify(resident, "like", "You liked yourself", actor=resident) is None
    assert not Notification.objects.exists()


def test_a_resident_cannot_mark_someone_elses_notifications(resident_client):
    other = UserFactory()
    note = NotificationFactory(recipient=other)
    resident_client.post(
        reverse("accounts:notifications_read"), {"notification": [note.pk]}
    )
    note.refresh_from_db()
    assert note.read_at is None


def test_staff_factories_give_their_role_unless_told_otherwise():
    from tests.factories import ModeratorFactory, PlannerFactory

    assert has_role(ModeratorFactory(), Role.MODERATOR)
    planner = PlannerFactory(roles=[Role.PLANNER, Role.MODERATOR])
    assert has_role(planner, Role.PLANNER) and has_role(planner, Role.MODERATOR)


def test_the_header_badge_follows_each_change_on_the_next_page(
    resident_client, resident, django_assert_num_queries
):
    """accounts.inbox: where the cache is shared by every process (Redis), the
    unread count is read from it while the inbox stays the same; in embedded
    mode (each process its own memory) it is counted on each page, so a
    notification written by another process (the task worker) shows at once.
    Either way a new or read notification shows on the next page."""
    from accounts.inbox import counts_kept, unread_count

    def badge() -> str:
        html = resident_client.get(reverse("search")).content.decode()
        found = re.search(
            rf'data-live-count="user\.{resident.pk}:unread"[^>]*>([^<]*)<', html
        )
        return found.group(1)

    other = UserFactory()
    assert badge() == ""
    do_notify(resident, "reply", "First reply", "/", actor=other)
    do_notify(resident, "reply", "Second reply", "/", actor=other)
    assert badge() == "2"
    resident_client.post(reverse("accounts:notifications_read"))
    assert badge() == ""
    do_notify(resident, "reply", "Third reply", "/", actor=other)
    assert badge() == "1"
    # Someone else's inbox is theirs: a count kept for one is not another's.
    assert unread_count(other) == 0
    if counts_kept():
        with django_assert_num_queries(0):
            assert unread_count(resident) == 1
    else:
        # Written without accounts.actions, as another process's would be seen.
        Notification.objects.create(recipient=resident, kind="reply", text="Fourth")
        assert badge() == "2"
