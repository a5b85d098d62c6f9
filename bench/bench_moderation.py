"""The moderation queue at size: 10,000 waiting items and a bulk decision on 500.

Usage: ``python bench/bench_moderation.py [--db sqlite,postgres] [--items 10000]
[--bulk 500] [--requests 30]``. For each database it migrates a fresh one, builds
the waiting items, starts the real server (Daphne, production settings), loads
the queue's first and last pages as a logged-in moderator (session cookie) and
times them, counts the page's queries in-process, then times one bulk approval
of `--bulk` items. Prints one JSON object per measurement; figures are medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess  # noqa: S404 - runs this same script as a worker
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import PY, Server, log, manage, reset_postgres, server_env  # noqa: E402


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


# --- inside Django (worker subprocess) -----------------------------------------


def build(items: int) -> dict[str, Any]:
    """A forum thread with `items` pending posts, each waiting in the queue."""
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.roles import Role, ensure_roles
    from forums.models import Post, Thread
    from moderation.models import ItemKind, QueueItem, Visibility
    from tests.factories import UserFactory, make_forum

    ensure_roles()
    forum = make_forum("Bench square", premoderated=True)
    authors = [UserFactory() for _ in range(50)]
    moderator = UserFactory(display_name="Bench moderator", roles=[Role.MODERATOR])
    thread = Thread.objects.create(forum=forum, author=authors[0], title="Bench thread")
    posts = Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                author=authors[i % len(authors)],
                body=f"Waiting post number {i} with a few words of text.",
                body_html=f"<p>Waiting post number {i}</p>",
                visibility=Visibility.PENDING,
                visibility_reason="held",
            )
            for i in range(items)
        ],
        batch_size=1000,
    )
    ct = ContentType.objects.get_for_model(Post)
    start = timezone.now() - timezone.timedelta(hours=items // 100 + 1)
    QueueItem.objects.bulk_create(
        [
            QueueItem(
                kind=ItemKind.PENDING,
                content_type=ct,
                object_id=post.pk,
                author_id=post.author_id,
                label="post",
                excerpt=post.body,
                url=f"/discussions/posts/{post.pk}/",
                scope_key=f"forum.{forum.pk}",
                scope_label=forum.title,
                rule="premoderation" if i % 3 else "links",
                reason="held",
                waiting_since=start + timezone.timedelta(seconds=i),
            )
            for i, post in enumerate(posts)
        ],
        batch_size=1000,
    )
    session = SessionStore()
    session["_auth_user_id"] = str(moderator.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = moderator.get_session_auth_hash()
    session.create()
    pages = (items + 49) // 50
    return {"session": session.session_key, "moderator": moderator.pk, "pages": pages}


def count_queries(moderator_id: int, pages: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=moderator_id))
    counts = {}
    for name, path in (
        ("first", "/admin/moderation/queue/"),
        ("last", f"/admin/moderation/queue/?page={pages}"),
        ("filtered", "/admin/moderation/queue/?rule=links&page=3"),
    ):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, secure=True)
        assert response.status_code == 200, response.status_code  # noqa: S101
        counts[name] = len(ctx.captured_queries)
    return counts


def bulk(moderator_id: int, n: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from moderation.actions import do_bulk_decide
    from moderation.models import QueueItem

    moderator = User.objects.get(pk=moderator_id)
    ids = list(
        QueueItem.objects.filter(decided_at__isnull=True)
        .order_by("waiting_since")
        .values_list("pk", flat=True)[:n]
    )
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = do_bulk_decide(moderator, ids, "approve")
        seconds = time.perf_counter() - started
    return {
        "decided": len(result.decided),
        "seconds": round(seconds, 3),
        "queries": len(ctx.captured_queries),
    }


def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    if args.worker == "build":
        out = build(args.items)
    elif args.worker == "queries":
        out = count_queries(args.moderator, args.pages)
    else:
        out = bulk(args.moderator, args.bulk)
    print(json.dumps(out))


# --- driver -------------------------------------------------------------------


def run_worker(env: dict[str, str], *extra: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603
        [PY, __file__, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log(result.stderr[-3000:])
        raise SystemExit(f"worker {extra[:2]} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def timed_get(url: str, cookie: str, n: int) -> dict[str, float]:
    times = []
    for _ in range(n):
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            assert response.status == 200  # noqa: S101
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
    }


def bench_db(db: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="agora-bench-mod-") as tmp:
        env = server_env(db, Path(tmp))
        env["DJANGO_SETTINGS_MODULE"] = "bench.moderation_settings"
        env["STATIC_ROOT_BENCH"] = tmp
        if db == "postgres":
            reset_postgres()
        manage(env, "migrate", "--no-input")
        manage(env, "collectstatic", "--noinput")
        log(f"[{db}] building {args.items} waiting items")
        built = run_worker(env, "--worker", "build", "--items", str(args.items))
        queries = run_worker(
            env,
            "--worker",
            "queries",
            "--moderator",
            str(built["moderator"]),
            "--pages",
            str(built["pages"]),
        )
        cookie = f"sessionid={built['session']}"
        server = Server(env)
        try:
            base = server.url + "/admin/moderation/queue/"
            timed_get(base, cookie, 2)  # warm-up
            for name, url in (
                ("first", base),
                ("last", f"{base}?page={built['pages']}"),
            ):
                emit(
                    {
                        "bench": "moderation_queue_page",
                        "db": db,
                        "waiting_items": args.items,
                        "page": name,
                        "requests": args.requests,
                        **timed_get(url, cookie, args.requests),
                        "queries": queries[name],
                    }
                )
        finally:
            server.stop()
        result = run_worker(
            env,
            "--worker",
            "bulk",
            "--moderator",
            str(built["moderator"]),
            "--bulk",
            str(args.bulk),
        )
        emit(
            {
                "bench": "moderation_bulk_decision",
                "db": db,
                "items": args.bulk,
                **result,
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--bulk", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--worker", default="")
    parser.add_argument("--moderator", type=int, default=0)
    parser.add_argument("--pages", type=int, default=1)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    for db in args.db.split(","):
        bench_db(db.strip(), args)


if __name__ == "__main__":
    main()
