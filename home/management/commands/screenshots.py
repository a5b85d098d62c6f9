"""Photograph the key pages of a running demo at a desktop and a phone width.

    make run PORT=8000            # in one terminal: the demo city
    make screenshots              # in another: docs/screenshots/*.png

Uses Playwright with the system's Chromium (never a downloaded browser) and signs
in the demo accounts by making their sessions in the same database the server
uses, so no password is needed. The PNGs are quantised to keep the repository small.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _session_for(email: str) -> str | None:
    from importlib import import_module

    from accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def _pages() -> list[tuple[str, str, str | None]]:
    """(name, path, who) for the pages a reader should see, from the demo data."""
    from forums.models import Thread
    from ideas.models import CampaignIndexPage, CampaignPage, Idea
    from insights.models import InsightReport

    pages: list[tuple[str, str, str | None]] = [("home", "/", None)]
    index = CampaignIndexPage.objects.live().first()
    if index:
        pages.append(("campaigns", index.url, None))
    for campaign in CampaignPage.objects.live().order_by("pk"):
        kind = "statements" if campaign.uses_votes else "campaign"
        if not any(name == kind for name, _path, _who in pages):
            pages.append((kind, campaign.url, None))
            if campaign.uses_votes:
                pages.append(
                    (
                        "statement-deck",
                        f"/ideas/campaign/{campaign.pk}/statements/",
                        "resident@agora.test",
                    )
                )
    idea = (
        Idea.objects.public()
        .filter(lat__isnull=False, campaign__voting_mode="support")
        .order_by("-support_count")
        .first()
    )
    if idea:
        pages.append(("idea", idea.get_absolute_url(), "resident@agora.test"))
    thread = Thread.objects.filter(forum__isnull=False).order_by("-post_count").first()
    if thread:
        pages.append(("thread", thread.get_absolute_url(), None))
    pages.append(("forums", "/discussions/", None))
    pages.append(("profile", "/me/", "resident@agora.test"))
    from budgets.models import BudgetPage
    from ideas.models import CampaignKind
    from polls.models import PollPage

    now = timezone.now()
    poll = (
        PollPage.objects.live()
        .filter(opens_at__lte=now, closes_at__gt=now)
        .order_by("pk")
        .first()
    )
    if poll:
        pages.append(("poll", poll.url, "resident@agora.test"))
    from polls.models import BallotBox

    closed = (
        BallotBox.objects.filter(key__startswith="poll.", closed_at__isnull=False)
        .order_by("pk")
        .first()
    )
    if closed:
        pk = closed.key.removeprefix("poll.")
        pages.append(("poll-results", f"/polls/{pk}/results/", None))
    for budget in BudgetPage.objects.live().order_by("pk"):
        if budget.phase == "voting" and not any(n == "budget" for n, _p, _w in pages):
            pages.append(("budget", budget.url, "resident@agora.test"))
        if budget.results_published_at and not any(
            n == "budget-results" for n, _p, _w in pages
        ):
            pages.append(("budget-results", f"/budgets/{budget.pk}/results/", None))
    reports = CampaignPage.objects.live().filter(kind=CampaignKind.REPORTS).first()
    if reports:
        pages.append(("reports", reports.url, None))
    from ideas.models import Implementation

    tracked = (
        Implementation.objects.filter(
            subject_kind="idea", scope__startswith="campaign."
        )
        .values_list("scope", flat=True)
        .order_by("scope")
        .first()
    )
    if tracked:
        pk = tracked.removeprefix("campaign.")
        pages.append(("results", f"/ideas/campaign/{pk}/results/", None))
    report = InsightReport.objects.filter(status="succeeded").order_by("-pk").first()
    if report:
        pages.append(
            ("insight-report", report.get_absolute_url(), "planner@agora.test")
        )
    return pages


class Command(BaseCommand):
    help = "Screenshots of the key pages of a running demo, at 1280 and 390 px."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--out", default="docs/screenshots")
        parser.add_argument("--colours", type=int, default=128)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from playwright.sync_api import TimeoutError as PlaywrightTimeout
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise CommandError(
                "Playwright is not installed: pip install '.[test]'"
            ) from exc
        from PIL import Image

        chromium = os.environ.get("AGORA_CHROMIUM") or shutil.which("chromium")
        if not chromium:
            raise CommandError("Chromium is not installed: apt-get install chromium")
        base = options["base_url"].rstrip("/")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        pages = _pages()
        sessions = {who: _session_for(who) for _n, _p, who in pages if who}
        host = base.split("://", 1)[-1].split("/", 1)[0].split(":")[0]
        written = 0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--headless=new", "--no-sandbox"]
            )
            for label, (width, height) in WIDTHS.items():
                for name, path, who in pages:
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        locale="en-GB",
                        reduced_motion="reduce",
                    )
                    if who and sessions.get(who):
                        context.add_cookies(
                            [
                                {
                                    "name": settings.SESSION_COOKIE_NAME,
                                    "value": sessions[who],
                                    "domain": host,
                                    "path": "/",
                                }
                            ]
                        )
                    page = context.new_page()
                    response = page.goto(base + path, wait_until="load")
                    # Map tiles come from elsewhere; wait a little, not forever.
                    with contextlib.suppress(PlaywrightTimeout):
                        page.wait_for_load_state("networkidle", timeout=5000)
                    if response is None or response.status >= 400:
                        context.close()
                        raise CommandError(
                            f"{path} answered {response and response.status}"
                        )
                    png = page.screenshot(full_page=False)
                    context.close()
                    image = Image.open(io.BytesIO(png)).convert("RGB")
                    small = image.quantize(
                        colors=options["colours"], dither=Image.Dither.NONE
                    )
                    target = out / f"{name}-{label}.png"
                    small.save(target, optimize=True)
                    written += 1
                    self.stdout.write(f"{target} ({target.stat().st_size // 1024} KB)")
            browser.close()
        self.stdout.write(self.style.SUCCESS(f"{written} screenshots in {out}/"))
