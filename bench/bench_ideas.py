"""Idea campaigns: support throughput over HTTP and the similar-ideas lookup.

    python bench/bench_ideas.py [--db sqlite,postgres] [--residents 400] [--workers 32]
                                [--sizes 10000,100000] [--only support|similar]

* support_throughput: a real Daphne (production settings) on loopback; N residents
  with sessions each click "Support" twice, concurrently, on one idea; prints
  supports per second, latency percentiles and whether the final count equals N.
* similar_lookup: insights.pipeline.SimilarityIndex over 10,000 and 100,000
  synthetic ideas (words of the Pol.is housing statements), as the propose form's
  lookup uses it; prints build seconds and query median/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PY, Server, log, manage, reset_postgres, server_env  # noqa: E402

SETUP = """
import django, json, sys
django.setup()
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from accounts.models import User
from home.demo import seed_home
from ideas import actions
from ideas.models import CampaignIndexPage, CampaignPage, Phase
n = int(sys.argv[1])
home, _ = seed_home()
index = home.add_child(instance=CampaignIndexPage(title="Campaigns", slug="campaigns"))
campaign = index.add_child(instance=CampaignPage(
    title="Throughput", slug="throughput", question="?", support_threshold=n // 2))
now = timezone.now()
Phase.objects.create(campaign=campaign, kind="collecting",
                     start=now - timedelta(days=1), end=now + timedelta(days=9))
people = User.objects.bulk_create([
    User(email=f"s{i}@bench.test", display_name=f"S{i}") for i in range(n + 1)])
idea = actions.do_propose_idea(people[-1], campaign, title="Benches everywhere",
                               description="One per street.")
keys = []
for user in people[:n]:
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    keys.append(s.session_key)
print(json.dumps({"idea": idea.pk, "sessions": keys}))
"""

COUNT = """
import django, json, sys
django.setup()
from ideas.models import Idea, Support
i = Idea.objects.get(pk=int(sys.argv[1]))
print(json.dumps({"count": i.support_count, "rows": Support.objects.filter(idea=i).count(),
                  "state": i.state}))
"""


def _django(env: dict[str, str], code: str, *args: str) -> dict:
    result = subprocess.run(
        [PY, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        log(result.stderr[-3000:])
        raise SystemExit("bench setup failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def support_throughput(db: str, residents: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="agora-bench-ideas-") as tmp:
        env = server_env(db, Path(tmp))
        # Under ASGI every request runs in its own thread; with CONN_MAX_AGE > 0 each
        # keeps its PostgreSQL connection and a burst hits "too many clients" (see
        # the report). Measure the write path, not that leak, as bench_forums does.
        env["CONN_MAX_AGE"] = "0"
        if db == "postgres":
            reset_postgres()
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        setup = _django(env, SETUP, str(residents))
        server = Server(env)
        try:
            port = server.port
            jobs = [key for key in setup["sessions"] for _ in (1, 2)]  # double clicks
            random.Random(1).shuffle(jobs)
            lock = threading.Lock()
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            barrier = threading.Barrier(workers)

            def worker() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                barrier.wait()
                while True:
                    with lock:
                        if not jobs:
                            break
                        key = jobs.pop()
                    token = secrets.token_hex(16)  # a 32-character CSRF secret
                    body = urlencode({"csrfmiddlewaretoken": token})
                    started = time.perf_counter()
                    conn.request(
                        "POST",
                        f"/ideas/{setup['idea']}/support/",
                        body=body,
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": f"sessionid={key}; csrftoken={token}",
                            "Host": "127.0.0.1",
                        },
                    )
                    response = conn.getresponse()
                    response.read()
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        latencies.append(elapsed)
                        statuses[response.status] = statuses.get(response.status, 0) + 1
                conn.close()

            threads = [threading.Thread(target=worker) for _ in range(workers)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
        finally:
            server.stop()
        final = _django(env, COUNT, str(setup["idea"]))
    return {
        "bench": "support_throughput",
        "db": db,
        "server": "daphne, 1 process, production settings",
        "residents": residents,
        "requests": len(latencies),
        "concurrency": workers,
        "requests_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
        },
        "statuses": statuses,
        "final_count": final["count"],
        "support_rows": final["rows"],
        "count_correct": final["count"] == final["rows"] == residents,
        "idea_state": final["state"],
    }


def synthetic_ideas(n: int, seed: int = 3) -> list[tuple[str, str]]:
    """Short texts drawn from the words of the real Pol.is housing statements."""
    path = ROOT / "ideas" / "demo_data" / "affordable-housing" / "comments.csv"
    with open(path, newline="", encoding="utf-8") as f:
        statements = [row["comment-body"] for row in csv.DictReader(f)]
    words = [w.strip('.,!?"()').lower() for s in statements for w in s.split()]
    words = [w for w in words if w]
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        base = rng.choice(statements).split()
        start = rng.randrange(max(1, len(base) - 8))
        text = base[start : start + rng.randint(6, 20)] + rng.choices(
            words, k=rng.randint(3, 12)
        )
        docs.append((str(i), " ".join(text)))
    return docs


def similar_lookup(size: int, queries: int = 200) -> dict:
    from insights.pipeline import SimilarityIndex

    docs = synthetic_ideas(size)
    started = time.perf_counter()
    index = SimilarityIndex.build(docs)
    build_s = time.perf_counter() - started
    rng = random.Random(11)
    drafts = [
        " ".join(rng.choice(docs)[1].split()[: rng.randint(4, 12)])
        for _ in range(queries)
    ]
    index.query(drafts[0])  # warm up
    times = []
    hits = 0
    for draft in drafts:
        t = time.perf_counter()
        found = index.query(draft, k=5, min_score=0.35)
        times.append((time.perf_counter() - t) * 1000)
        hits += bool(found)
    return {
        "bench": "similar_lookup",
        "ideas": size,
        "queries": queries,
        "build_s": round(build_s, 2),
        "query_ms": {
            "p50": round(statistics.median(times), 2),
            "p95": round(percentile(times, 0.95), 2),
        },
        "queries_with_a_hit": hits,
        "index_mib": round(index.vectors.nbytes / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--only", choices=["support", "similar"])
    args = parser.parse_args()
    if args.only != "similar":
        for db in [d for d in args.db.split(",") if d]:
            log(f"[ideas] support throughput on {db} ...")
            print(
                json.dumps(support_throughput(db, args.residents, args.workers)),
                flush=True,
            )
    if args.only != "support":
        for size in [int(s) for s in args.sizes.split(",") if s]:
            log(f"[ideas] similar-ideas lookup at {size} ideas ...")
            print(json.dumps(similar_lookup(size)), flush=True)


if __name__ == "__main__":
    main()
