"""Inbox lines are written in the recipient's language, not in the language of
whoever acted (a Spanish-speaking neighbour liking a Russian speaker's post)."""

import pytest
from django.utils import translation

from accounts.actions import do_notify
from accounts.models import Notification
from forums import notify
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_line_is_translated_in_the_recipients_language():
    reader = UserFactory(preferred_language="ru")
    with translation.override("es"):
        note = do_notify(reader, "test", lambda: translation.gettext("Log in"))
    assert note.text == "Войти"


def test_a_like_from_a_spanish_speaker_reaches_a_russian_speaker_in_russian():
    author = UserFactory(preferred_language="ru")
    post = PostFactory(author=author)
    liker = UserFactory(display_name="Lucía", preferred_language="es")
    with translation.override("es"):
        notify.liked(post, liker)
    line = Notification.objects.get(recipient=author)
    assert line.text.startswith("Lucía отметил(а) «нравится» ваше сообщение")


def test_a_language_no_longer_offered_falls_back_to_english():
    reader = UserFactory(preferred_language="de")
    with translation.override("ru"):
        note = do_notify(reader, "test", lambda: translation.gettext("Log in"))
    assert note.text == "Log in"
