"""Bursts: 200 residents write at the same instant (supports, likes, replies).

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/agora_<you>_bursts \\
    python bench/bench_bursts.py [--db postgres] [--writers 200] [--rounds 3]
        [--servers daphne:1,daphne-unbounded:1,granian-wsgi:2]

Each round, `--writers` distinct logged-in residents (sessions made beforehand)
open a connection each, wait at one barrier, and POST at once: a third support an
idea, a third like a post, a third reply in a thread (a fresh idea, post and thread
per round). Servers come from bench.run.Server (production settings, loopback);
`daphne-unbounded` is Daphne with AGORA_HTTP_CONCURRENCY=0, the way it ran before
requests queued (config/concurrency.py). Rounds are interleaved over the servers;
figures are medians over rounds: the burst's wall time as req_s, latency p50/p95/
max, and every answer that was not the 302 of a write that succeeded counts as an
error. The stored counts are checked against the rows.

Rate limits are off in the servers (bench.run.server_env: RATELIMIT_ENABLE=False):
one address sending 200 writes is what a rate limit is for, and the bench measures
the write path, not the limiter. Production keeps them on.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    PY,
    Server,
    bench_lock,
    log,
    manage,
    reset_postgres,
    server_env,
)

SETUP = """
import django, json, sys
django.setup()
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from accounts.models import User
from bench.fixtures import _bench_forum
from forums import actions as forum_actions
from home.demo import seed_home
from ideas import actions
from ideas.models import CampaignIndexPage, CampaignPage, Phase
writers, rounds = int(sys.argv[1]), int(sys.argv[2])
home, _ = seed_home()
index = home.add_child(instance=CampaignIndexPage(title="Campaigns", slug="campaigns"))
campaign = index.add_child(instance=CampaignPage(
    title="Bursts", slug="bursts", question="?", support_threshold=10 * writers))
now = timezone.now()
Phase.objects.create(campaign=campaign, kind="collecting",
                     start=now - timedelta(days=1), end=now + timedelta(days=9))
forum = _bench_forum("bench-bursts", "Bench bursts")
people = User.objects.bulk_create([
    User(email=f"b{i}@bench.test", display_name=f"B{i}") for i in range(writers * rounds)])
plan = []
for r in range(rounds):
    # One author per round: proposing and posting rates are per author.
    author = User.objects.create(email=f"burst-author{r}@bench.test",
                                 display_name=f"Author {r}")
    idea = actions.do_propose_idea(author, campaign, title=f"Benches, round {r}",
                                   description="One per street.")
    thread = forum_actions.do_start_thread(author, forum, f"Round {r}",
                                           f"Like me, round {r}")
    post = thread.posts.get()
    sessions = []
    for user in people[r * writers:(r + 1) * writers]:
        s = SessionStore()
        s["_auth_user_id"] = str(user.pk)
        s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        s["_auth_user_hash"] = user.get_session_auth_hash()
        s.create()
        sessions.append(s.session_key)
    plan.append({"idea": idea.pk, "thread": thread.pk, "post": post.pk,
                 "sessions": sessions})
print(json.dumps(plan))
"""

CHECK = """
import django, json, sys
django.setup()
from forums.models import Post, PostLike, Thread
from ideas.models import Idea, Support
plan = json.loads(sys.argv[1])
out = []
for r in plan:
    idea, post = Idea.objects.get(pk=r["idea"]), Post.objects.get(pk=r["post"])
    out.append({
        "supports": [idea.support_count, Support.objects.filter(idea=idea).count()],
        "likes": [post.like_count, PostLike.objects.filter(post=post).count()],
        "replies": Post.objects.filter(thread_id=r["thread"]).count() - 1,
    })
print(json.dumps(out))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def write(
    port: int, target: dict, i: int, key: str, barrier: threading.Barrier
) -> tuple:
    token = secrets.token_hex(16)  # a 32-character CSRF secret
    kind = ("support", "like", "reply")[i % 3]
    path, fields = {
        "support": (f"/ideas/{target['idea']}/support/", {}),
        "like": (f"/discussions/posts/{target['post']}/like/", {}),
        "reply": (
            f"/discussions/threads/{target['thread']}/reply/",
            {"body": f"Writer {i} agrees; bench {secrets.token_hex(6)} by the square."},
        ),
    }[kind]
    body = urlencode({"csrfmiddlewaretoken": token, **fields})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.connect()
    barrier.wait()
    started = time.perf_counter()
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={key}; csrftoken={token}",
                "Host": "127.0.0.1",
            },
        )
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError as error:
        status = type(error).__name__
    finally:
        conn.close()
    return kind, status, (time.perf_counter() - started) * 1000


def burst(port: int, target: dict) -> dict:
    keys = target["sessions"]
    barrier = threading.Barrier(len(keys))
    results: list[tuple] = [None] * len(keys)  # type: ignore[list-item]

    def run(i: int) -> None:
        results[i] = write(port, target, i, keys[i], barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(keys))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies = [ms for _, _, ms in results]
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "wall_s": wall,
        "req_s": len(results) / wall,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
        "errors": sum(n for s, n in statuses.items() if s != "302"),
        "statuses": statuses,
        "load": load_average(),
    }


def run_rounds(
    args: argparse.Namespace,
    servers: list[tuple[str, int]],
    env: dict[str, str],
    db: str,
    targets: Iterator[dict],
    runs: dict[tuple[str, int], list[dict]],
) -> None:
    for round_ in range(args.rounds):
        for kind, workers in servers:
            server_kind, server_env_ = kind, dict(env)
            if kind == "daphne-unbounded":
                server_kind = "daphne"
                server_env_["AGORA_HTTP_CONCURRENCY"] = "0"
            log(f"[bursts/{db}] round {round_ + 1}: {kind} x{workers} ...")
            server = Server(server_env_, server_kind, workers, start_timeout=180)
            try:
                # Warm up: imports, templates, pooled connections.
                for _ in range(3):
                    conn = http.client.HTTPConnection("127.0.0.1", server.port)
                    conn.request("GET", "/")
                    conn.getresponse().read()
                runs.setdefault((kind, workers), []).append(
                    burst(server.port, next(targets))
                )
            finally:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--writers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--servers", default="daphne:1,daphne-unbounded:1,granian-wsgi:2"
    )
    args = parser.parse_args()
    servers = [
        (spec.split(":")[0], int(spec.split(":")[1]))
        for spec in args.servers.split(",")
    ]
    for db in [d for d in args.db.split(",") if d]:
        tmp = Path(tempfile.mkdtemp(prefix="agora-bench-bursts-"))
        env = server_env(db, tmp)
        if db == "postgres":
            reset_postgres()
        log(f"[bursts/{db}] migrating and preparing {args.writers} writers ...")
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        plan_rounds = args.rounds * len(servers)
        setup = subprocess.run(
            [PY, "-c", SETUP, str(args.writers), str(plan_rounds)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if setup.returncode != 0:
            log(setup.stderr[-3000:])
            raise SystemExit("bench_bursts: setup failed")
        plan = json.loads(setup.stdout.strip().splitlines()[-1])
        runs: dict[tuple[str, int], list[dict]] = {}
        targets = iter(plan)
        with bench_lock():
            run_rounds(args, servers, env, db, targets, runs)
        check = subprocess.run(
            [PY, "-c", CHECK, json.dumps(plan)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        counts = json.loads(check.stdout.strip().splitlines()[-1])
        consistent = all(
            c["supports"][0] == c["supports"][1] and c["likes"][0] == c["likes"][1]
            for c in counts
        )
        for (kind, workers), results in runs.items():

            def med(key: str, results: list[dict] = results) -> float:
                return round(statistics.median(r[key] for r in results), 1)

            print(
                json.dumps(
                    {
                        "scenario": f"burst_{args.writers}_writers",
                        "db": db,
                        "server": kind,
                        "workers": workers,
                        "req_s": med("req_s"),
                        "p50_ms": med("p50_ms"),
                        "p95_ms": med("p95_ms"),
                        "max_ms": max(r["max_ms"] for r in results),
                        "ratio_to_bare": None,
                        "errors": sum(r["errors"] for r in results),
                        "statuses": [r["statuses"] for r in results],
                        "writes": "1/3 support an idea, 1/3 like a post, 1/3 reply",
                        "counts_match_rows": consistent,
                        "rounds": len(results),
                        "load_avg": [r["load"] for r in results],
                        "rate_limits": "off in the bench (RATELIMIT_ENABLE=False)",
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
