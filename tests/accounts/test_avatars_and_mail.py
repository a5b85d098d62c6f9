"""A resident's face and the city's voice: initials or an uploaded picture (cleaned,
limited, removable), and e-mails that name the city in text and branded HTML."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from accounts.templatetags.agora_ui import avatar, initials
from home.brand import BrandSettings
from home.demo import seed_home
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def picture(fmt="PNG", size=(600, 400), gps=False) -> bytes:
    image = Image.new("RGB", size, "purple")
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (50.0, 52.0, 48.0)}
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def test_initials_stand_in_for_a_picture():
    assert initials("Amara Okafor") == "AO"
    assert initials("bo") == "BO"
    assert initials("  ") == "?"
    user = UserFactory.build(pk=7, display_name="Amara Okafor")
    html = avatar(user, 32)
    assert ">AO</span>" in html and 'aria-hidden="true"' in html
    assert "avatar--c" in html  # a colour class, never an inline style (CSP)
    assert "style=" not in html


def test_a_resident_uploads_a_picture_that_is_cleaned_and_squared(
    client, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    seed_home()
    resident = UserFactory(display_name="Amara Okafor")
    client.force_login(resident)
    upload = SimpleUploadedFile("me.jpg", picture("JPEG", gps=True), "image/jpeg")
    response = client.post(reverse("accounts:avatar"), {"avatar": upload})
    assert response.status_code == 302
    assert response["Location"].endswith("/me/#avatar")
    resident.refresh_from_db()
    with Image.open(resident.avatar.path) as stored:
        assert stored.format == "WEBP" and stored.size == (256, 256)
        assert not stored.getexif()
    page = client.get("/me/").content.decode()
    assert f'src="{resident.avatar.url}"' in page
    assert "Your picture is saved." in page

    old_path = resident.avatar.path
    client.post(reverse("accounts:avatar"), {"remove": "1"})
    resident.refresh_from_db()
    assert not resident.avatar
    assert not (tmp_path / old_path).exists()
    assert ">AO</span>" in client.get("/me/").content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("x.png", b"<?php system($_GET[1]); ?>", "image/png"),
            "could not be read as a picture",
        ),
        (
            SimpleUploadedFile("x.gif", b"GIF89a" + b"\0" * 40, "image/gif"),
            "could not be read as a picture",
        ),
        (None, "Choose a picture to upload first."),
    ],
)
def test_what_is_not_a_picture_is_refused_with_a_message(
    client, tmp_path, settings, upload, message
):
    settings.MEDIA_ROOT = tmp_path
    seed_home()
    resident = UserFactory()
    client.force_login(resident)
    data = {"avatar": upload} if upload else {}
    response = client.post(reverse("accounts:avatar"), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.get(pk=resident.pk).avatar


def test_a_picture_over_2_mb_is_refused(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    seed_home()
    client.force_login(UserFactory())
    big = SimpleUploadedFile("big.png", b"\0" * (2 * 1024 * 1024 + 1), "image/png")
    response = client.post(reverse("accounts:avatar"), {"avatar": big}, follow=True)
    assert "larger than 2 MB" in response.content.decode()


def test_uploads_are_rate_limited_and_need_an_account(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.AGORA_RATE_LIMITS = {"avatar": "2/h"}
    response = client.post(reverse("accounts:avatar"), {"remove": "1"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory())
    for _ in range(2):
        assert (
            client.post(reverse("accounts:avatar"), {"remove": "1"}).status_code == 302
        )
    assert client.post(reverse("accounts:avatar"), {"remove": "1"}).status_code == 429


def test_account_mail_names_the_city_and_comes_with_branded_html(client):
    seed_home()
    BrandSettings.objects.create(city_name="Leuven", brand_colour="#7a1f3d")
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "password1": "correct-horse-battery-9",
            "password2": "correct-horse-battery-9",
            "display_name": "Nina",
            "preferred_language": "en",
        },
    )
    message = mail.outbox[-1]
    assert "Hello from Leuven!" in message.body
    assert "Thank you for using Leuven!" in message.body
    assert "account on testserver" not in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Leuven" in html and "#7a1f3d" in html
    assert "confirm-email" in html  # the link is there, and clickable
    assert 'href="http' in html


def test_notification_mail_is_branded(django_capture_on_commit_callbacks):
    from accounts.actions import do_notify
    from forums.tasks import email_notification

    seed_home()
    BrandSettings.objects.create(city_name="Leuven")
    resident = UserFactory(display_name="Ana")
    note = do_notify(resident, "test", "Ben replied to you", url="/discussions/")
    email_notification.call(note.pk)
    message = mail.outbox[-1]
    assert "Ben replied to you" in message.body and "Leuven" in message.body
    html = message.alternatives[0][0]
    assert "Leuven" in html and "Ben replied to you" in html
