"""Production serving: the same app under Daphne, uvicorn, gunicorn and granian.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/agora_<you> \\
    python bench/bench_serving.py [--db postgres] [--servers daphne,gunicorn-gthread]
        [--workers 1,2] [--pages bare_view,home_page,campaign_newest]
        [--rounds 3] [--duration 5] [--connections 16] [--layout] [--fresh]

Each server kind of bench.run.SERVER_KINDS is started with 1, 2, ... worker
processes through bench.run.Server (production settings, loopback), and every page
is loaded with wrk (bench.run.wrk, -c16) after a one-second warm-up. Rounds are
interleaved (round 1 runs every server, then round 2 ...); the figures are the
medians over rounds. `ratio_to_bare` is a page's throughput over the bare view's
(/healthz) on the same server and workers.

--layout measures the production layout of docs/deploy.md instead:
granian (WSGI) HTTP workers, one Daphne for /ws/ only and the task worker, all sharing
PostgreSQL and Redis (BENCH_REDIS_URL, default db 15): the pages through the HTTP
workers, and a live event written through them reaching WebSocket clients on
Daphne (delivery p50/p95 and share delivered).

The database and its data are kept between invocations (so a long matrix can be
run in parts); --fresh drops and rebuilds them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    PY,
    SERVER_KINDS,
    Server,
    bench_lock,
    log,
    manage,
    reset_postgres,
    run_fixture,
    server_env,
    wrk,
)

VAR_DIR = Path(
    os.environ.get("BENCH_VAR_DIR", Path(tempfile.gettempdir()) / "agora-bench-serving")
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
# The layout docs/deploy.md recommends, as measured here.
LAYOUT_HTTP = "granian-wsgi"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def prepare(db: str, pages: list[str], fresh: bool) -> tuple[dict[str, str], dict]:
    var = VAR_DIR / db
    if fresh and var.exists():
        subprocess.run(["rm", "-rf", str(var)], check=True)
    var.mkdir(parents=True, exist_ok=True)
    env = server_env(db, var)
    marker = var / "prepared.json"
    if db == "postgres" and (fresh or not marker.exists()):
        reset_postgres()
    log(f"[serving/{db}] migrating, collecting static files, fixtures ...")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    paths = json.loads(marker.read_text()) if marker.exists() else {}
    for page in pages:
        if page not in paths:
            paths[page] = run_fixture(env, page)["path"]
    marker.write_text(json.dumps(paths))
    return env, paths


def measure_server(
    env: dict[str, str],
    kind: str,
    workers: int,
    paths: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, dict]:
    server = Server(env, kind, workers, start_timeout=180)
    try:
        figures = {}
        for page, path in paths.items():
            # Warm up every worker: imports, templates, pooled connections.
            wrk(server.url + path, 1 + workers, args.connections)
            result = wrk(server.url + path, args.duration, args.connections)
            result["load"] = load_average()
            figures[page] = result
        rss = server.peak_rss_mib()
        for result in figures.values():
            result["peak_rss_mib"] = rss
        return figures
    finally:
        server.stop()


def summarise(db: str, label: str, workers: int, runs: dict[str, list[dict]]) -> None:
    def med(page: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[page])

    def req_s(page: str) -> float:
        return statistics.median(
            r["requests"] / (r["duration_us"] / 1e6) for r in runs[page]
        )

    bare = req_s("bare_view") if "bare_view" in runs else None
    for page in runs:
        rate = req_s(page)
        print(
            json.dumps(
                {
                    "scenario": f"serving_{page}",
                    "db": db,
                    "server": label,
                    "workers": workers,
                    "req_s": round(rate, 1),
                    "p50_ms": round(med(page, "p50_us") / 1000, 2),
                    "p95_ms": round(med(page, "p95_us") / 1000, 2),
                    "ratio_to_bare": round(rate / bare, 3) if bare else None,
                    "errors": int(sum(r["errors"] for r in runs[page])),
                    "peak_rss_mib": round(med(page, "peak_rss_mib"), 1),
                    "rounds": len(runs[page]),
                    "load_avg": [r["load"] for r in runs[page]],
                }
            ),
            flush=True,
        )


def comparison(
    db: str, env: dict[str, str], paths: dict[str, str], args: argparse.Namespace
) -> None:
    """Run the rounds; each run is also appended to raw-<db>.jsonl, so a matrix too
    long for one sitting can be run round by round and summed up with --report."""
    kinds = [k for k in args.servers.split(",") if k]
    counts = [int(w) for w in args.workers.split(",") if w]
    raw = VAR_DIR / f"raw-{db}.jsonl"
    for round_ in range(args.rounds):
        for kind in kinds:
            for workers in counts:
                log(f"[serving/{db}] round {round_ + 1}: {kind} x{workers} ...")
                figures = measure_server(env, kind, workers, paths, args)
                with raw.open("a") as out:
                    for page, result in figures.items():
                        record = {"kind": kind, "workers": workers, "page": page}
                        out.write(json.dumps({**record, **result}) + "\n")
    report(db, args)


def report(db: str, args: argparse.Namespace) -> None:
    raw = VAR_DIR / f"raw-{db}.jsonl"
    results: dict[tuple[str, int], dict[str, list[dict]]] = {}
    for line in raw.read_text().splitlines() if raw.exists() else []:
        record = json.loads(line)
        key = (record["kind"], record["workers"])
        results.setdefault(key, {}).setdefault(record["page"], []).append(record)
    for (kind, workers), runs in results.items():
        summarise(db, kind, workers, runs)


# -- the production layout ----------------------------------------------------

LIVE_SETUP = """
import django, json, sys
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import Notification, User
readers = []
for i in range(int(sys.argv[1])):
    user, _ = User.objects.get_or_create(email=f"layout{i}@bench.test",
                                         defaults={"display_name": f"Layout {i}"})
    Notification.objects.create(recipient=user, kind="bench", text="x")
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    readers.append({"session": s.session_key, "id": user.pk})
print(json.dumps(readers))
"""


def post_read(http_url: str, session: str) -> int:
    """Mark all as read (one live event to the reader's topic) through HTTP."""
    import http.client
    import secrets

    host, port = http_url.removeprefix("http://").split(":")
    token = secrets.token_hex(16)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(
        "POST",
        "/me/notifications/read/",
        body=f"csrfmiddlewaretoken={token}",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={session}; csrftoken={token}",
        },
    )
    return conn.getresponse().status


async def live_delivery(
    http_url: str, ws_port: int, readers: list[dict], clients: int
) -> dict:
    """`clients` WebSockets on Daphne, split among the readers and subscribed to
    their own topic; for each reader a real write through the HTTP workers (mark
    all as read) sends one event, timed from just before the POST to receipt."""
    from websockets.asyncio.client import connect

    address = f"127.0.0.1:{ws_port}"
    groups: list[list] = []
    for i, reader in enumerate(readers):
        group = []
        for _ in range(clients // len(readers) + (i < clients % len(readers))):
            ws = await connect(
                f"ws://{address}/ws/live/",
                origin=f"http://{address}",
                additional_headers={"Cookie": f"sessionid={reader['session']}"},
                open_timeout=60,
                ping_interval=None,
            )
            topic = f"user.{reader['id']}"
            await ws.send(json.dumps({"action": "subscribe", "topics": [topic]}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert reply["type"] == "subscribed", reply
            group.append(ws)
        groups.append(group)
    latencies: list[float] = []
    for reader, group in zip(readers, groups, strict=True):
        received: list[float] = []

        async def wait(ws: object, received: list[float] = received) -> None:
            while True:
                event = json.loads(await ws.recv())  # type: ignore[attr-defined]
                if event.get("type") == "notification.read":
                    received.append(time.perf_counter())
                    return

        waiters = [asyncio.create_task(wait(ws)) for ws in group]
        started = time.perf_counter()
        status = await asyncio.to_thread(post_read, http_url, reader["session"])
        assert status == 302, status
        await asyncio.wait(waiters, timeout=15)
        for task in waiters:
            task.cancel()
        latencies += [(t - started) * 1000 for t in received]
    for group in groups:
        for ws in group:
            await ws.close()
    latencies.sort()
    return {
        "clients": clients,
        "events": len(readers),
        "delivered_share": round(len(latencies) / clients, 4),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1)
        if latencies
        else None,
    }


def layout(
    db: str, env: dict[str, str], paths: dict[str, str], args: argparse.Namespace
) -> None:
    env = {**env, "REDIS_URL": REDIS_URL}
    workers = int(args.workers.split(",")[-1])
    readers = json.loads(
        subprocess.run(
            [PY, "-c", LIVE_SETUP, "5"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    task_worker = subprocess.Popen(
        [PY, "manage.py", "db_worker", "--queue-name", "*"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    ws_server = Server(env, "daphne", 1, start_timeout=180)
    runs: dict[str, list[dict]] = {}
    try:
        live = None
        for round_ in range(args.rounds):
            log(f"[layout/{db}] round {round_ + 1}: {LAYOUT_HTTP} x{workers} ...")
            http_server = Server(env, LAYOUT_HTTP, workers, start_timeout=180)
            try:
                for page, path in paths.items():
                    wrk(http_server.url + path, 1 + workers, args.connections)
                    result = wrk(
                        http_server.url + path, args.duration, args.connections
                    )
                    result["load"] = load_average()
                    result["peak_rss_mib"] = (
                        http_server.peak_rss_mib() + ws_server.peak_rss_mib()
                    )
                    runs.setdefault(page, []).append(result)
                if live is None:
                    live = asyncio.run(
                        live_delivery(
                            http_server.url, ws_server.port, readers, args.live_clients
                        )
                    )
            finally:
                http_server.stop()
    finally:
        ws_server.stop()
        os.killpg(task_worker.pid, 15)
        task_worker.wait()
    label = (
        f"layout: {LAYOUT_HTTP} x{workers} (HTTP) + daphne x1 (/ws/) + db_worker, Redis"
    )
    summarise(db, label, workers, runs)
    print(
        json.dumps(
            {
                "scenario": "layout_live_delivery",
                "db": db,
                "server": label,
                "path": "POST /me/notifications/read/ on HTTP -> /ws/live/ on Daphne",
                **(live or {}),
                "load_avg": load_average(),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--servers", default=",".join(SERVER_KINDS))
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--pages", default="bare_view,home_page,campaign_newest")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--layout", action="store_true")
    # Five readers; a session may hold LIVE_MAX_CONNECTIONS_PER_SESSION (20) sockets.
    parser.add_argument("--live-clients", type=int, default=100)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--report", action="store_true", help="only sum up the runs recorded so far"
    )
    args = parser.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    for db in [d for d in args.db.split(",") if d]:
        if args.report:
            report(db, args)
            continue
        env, all_paths = prepare(db, pages, args.fresh)
        paths = {page: all_paths[page] for page in pages}
        with bench_lock():
            if args.layout:
                layout(db, env, paths, args)
            else:
                comparison(db, env, paths, args)


if __name__ == "__main__":
    main()
