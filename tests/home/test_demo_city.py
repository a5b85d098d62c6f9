"""The demo city a newcomer gets from `make run`: what it holds is found by search,
the moderator has something to do, the dates tell one story, and the demo accounts
can be shown again."""

import io
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from search.query import search

pytestmark = pytest.mark.django_db


def test_demo_city_is_ready_to_try(client, tmp_path):
    out = io.StringIO()
    with (
        override_settings(DEBUG=True, VAR_DIR=tmp_path),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        call_command("seed_demo", stdout=out)
    # Quiet: one line, no page-by-page log, no passwords among the start-up lines,
    # and no warning (a live fragment's form once warned of a missing CSRF token).
    assert out.getvalue().count("\n") == 1, out.getvalue()
    shown = [
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
        for w in caught
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
    ]
    assert shown == []
    assert "@agora.test" not in out.getvalue()

    # --- search finds what the demo holds --------------------------------------
    trees = search("trees")
    assert any("Station Street" in str(h.title) for h in trees.page.object_list)
    assert {f.value for f in search("park").kinds} >= {"idea", "post"}
    housing = search("housing")
    assert housing.total > 50
    assert {f.label for f in housing.places} >= {"Affordable housing"}
    from ideas.models import CampaignPage

    campaign = CampaignPage.objects.get(slug="affordable-housing")
    html = client.get(campaign.url, {"q": "rent"}).content.decode()
    assert "No idea matches these filters" not in html
    assert "rented accommodation" in html
    html = client.get("/discussions/search/", {"q": "fountains"}).content.decode()
    assert "<mark>" in html

    # --- the moderator has a flag, a held post and an appeal -------------------
    from moderation.models import ItemKind, QueueItem

    kinds = set(
        QueueItem.objects.filter(decided_at__isnull=True).values_list("kind", flat=True)
    )
    assert {ItemKind.FLAGGED, ItemKind.PENDING, ItemKind.APPEAL} <= kinds, kinds
    # The hidden and the held posts are not found; the flagged one stays up
    # until a moderator decides.
    assert search("belong").total == 0
    assert search("permits").total == 0
    assert search("idiot").total == 1

    # --- the dates agree -------------------------------------------------------
    from ideas.models import Idea, OfficialResponse

    now = timezone.now()
    for idea in Idea.objects.select_related("campaign"):
        assert idea.created_at <= now
        if idea.review_started_at:
            assert idea.created_at <= idea.review_started_at <= now, idea.title
        if idea.answered_at:
            # Reports are on the clock from filing, with no review phase.
            started = idea.review_started_at or idea.created_at
            assert started <= idea.answered_at <= now, idea.title
    for response in OfficialResponse.objects.select_related("idea"):
        assert response.idea.created_at <= response.created_at <= now
        if response.by_id is None:  # reaching the threshold starts the review
            assert response.created_at == response.idea.review_started_at

    # --- the accounts can be shown again, from a file only the owner reads -----
    path = tmp_path / "demo-accounts.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = io.StringIO()
    with override_settings(DEBUG=True, VAR_DIR=tmp_path):
        call_command("demo_accounts", stdout=shown)
    box = shown.getvalue()
    assert box.startswith("┌") and box.rstrip().endswith("┘")
    for email in ("resident@agora.test", "moderator@agora.test", "admin@agora.test"):
        assert email in box
    from accounts.models import User

    resident = User.objects.get(email="resident@agora.test")
    password = next(
        line.split()[-2] for line in box.splitlines() if "resident@agora.test" in line
    )
    assert resident.check_password(password)

    # Running the seed again changes nothing and keeps the passwords.
    before = search("housing").total
    with override_settings(DEBUG=True, VAR_DIR=tmp_path):
        call_command("seed_demo", stdout=io.StringIO())
        again = io.StringIO()
        call_command("demo_accounts", stdout=again)
    assert search("housing").total == before
    assert again.getvalue() == box


def test_demo_accounts_are_not_kept_outside_development(tmp_path):
    with override_settings(DEBUG=False, VAR_DIR=tmp_path):
        with pytest.raises(CommandError, match="only in development"):
            call_command("demo_accounts")
        from accounts.demo import remember_passwords, seed_accounts

        assert remember_passwords(seed_accounts()) is None
    assert not (tmp_path / "demo-accounts.json").exists()


def test_demo_accounts_says_what_to_do_without_a_file(tmp_path):
    with (
        override_settings(DEBUG=True, VAR_DIR=tmp_path),
        pytest.raises(CommandError, match="seed_demo"),
    ):
        call_command("demo_accounts")


def test_starting_the_site_prints_no_warning():
    """`make run` starts manage.py three times (migrate, seed, serve): loading the
    apps and the admin's hooks warns of nothing (Wagtail once warned that the forums'
    viewsets registered their permission policy)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-W", "default", "manage.py", "check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"},
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
