"""Like throughput: many residents like one post at once over HTTP against a real Daphne.

Each liker has its own logged-in session; the likes are POSTed to
/discussions/posts/<id>/like/ from this process (threads, keep-alive off), then the
post's stored count is checked against the number of distinct likers.

    python bench/bench_forums.py [--db sqlite,postgres] [--likers 400] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    PY,
    Server,
    log,
    manage,
    reset_postgres,
    server_env,
)

CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 characters, as Django's cookie


def django(env: dict[str, str], code: str) -> dict:
    import subprocess

    result = subprocess.run(
        [PY, "-c", "import django, json; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log(result.stderr)
        raise SystemExit("bench_forums: a Django step failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


PREPARE = """
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from bench.fixtures import _bench_forum
from forums.models import Post, Thread
n = {likers}
forum = _bench_forum("bench-likes", "Bench likes")
author, _ = User.objects.get_or_create(email="author@bench.test", defaults={{"display_name": "Author"}})
thread = Thread.objects.create(forum=forum, author=author, title="Like this")
post = Post.objects.create(thread=thread, author=author, body="Like me", body_html="<p>Like me</p>")
User.objects.bulk_create([User(email=f"liker{{i}}-{{post.pk}}@bench.test", display_name=f"Liker {{i}}") for i in range(n)])
keys = []
for user in User.objects.filter(email__endswith=f"-{{post.pk}}@bench.test"):
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    keys.append(s.session_key)
print(json.dumps({{"post": post.pk, "sessions": keys}}))
"""

COUNT = """
from forums.models import Post, PostLike
post = Post.objects.get(pk={post})
print(json.dumps({{"like_count": post.like_count, "rows": PostLike.objects.filter(post=post).count()}}))
"""


def like(base: str, post_id: int, session_key: str) -> tuple[int, float]:
    url = urlparse(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request(
            "POST",
            f"/discussions/posts/{post_id}/like/",
            body=f"liked=1&csrfmiddlewaretoken={CSRF}",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session_key}; csrftoken={CSRF}",
                "Host": "127.0.0.1",
            },
        )
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.perf_counter() - started


def run(db: str, likers: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="agora-bench-likes-") as tmp:
        env = server_env(db, Path(tmp))
        # Persistent connections leak under ASGI (each request may run in another
        # thread, each thread keeps its own connection): with CONN_MAX_AGE=60 a
        # burst of likes exhausts PostgreSQL's max_connections ("too many clients").
        env.setdefault("CONN_MAX_AGE", "0")
        if db == "postgres":
            reset_postgres()
        log(f"[{db}] bench_forums: migrating ...")
        manage(env, "migrate", "--noinput")
        prepared = django(env, PREPARE.format(likers=likers))
        server = Server(env)
        try:
            post_id = prepared["post"]
            started = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                results = list(
                    pool.map(
                        lambda key: like(server.url, post_id, key), prepared["sessions"]
                    )
                )
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
        counted = django(env, COUNT.format(post=post_id))
        latencies = sorted(r[1] for r in results)
        ok = sum(1 for status, _ in results if status in (200, 302))
        return {
            "bench": "forum_like_throughput",
            "db": db,
            "server": "daphne, 1 process, production settings",
            "load": f"{likers} distinct logged-in residents, {concurrency} concurrent POSTs",
            "likes_per_s": round(likers / elapsed, 1),
            "latency_ms": {
                "p50": round(statistics.median(latencies) * 1000, 1),
                "p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
            },
            "ok_responses": ok,
            "errors": likers - ok,
            "final_like_count": counted["like_count"],
            "like_rows": counted["rows"],
            "statuses": dict(Counter(str(status) for status, _ in results)),
            # No like lost or doubled: the stored count equals the rows and the
            # accepted requests; and every distinct liker was accepted.
            "count_matches_likes": counted["like_count"] == counted["rows"] == ok,
            "all_likers_counted": counted["like_count"] == likers,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--likers", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    for db in [d for d in args.db.split(",") if d]:
        print(json.dumps(run(db, args.likers, args.concurrency)), flush=True)


if __name__ == "__main__":
    main()
