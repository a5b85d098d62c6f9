"""Polls at Active Citizen's scale: casting over HTTP, integrity, results, projector
staleness, and exporting and verifying the ballot log. Prints one JSON object per figure.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/agora_polls \\
        python bench/bench_polls.py [--voters 200000] [--http 20000] [--processes 2]
                                    [--workers 16] [--rate 100] [--seconds 10]

1. `cast_http`: logged-in verified residents (real sessions, CSRF cookie + token) POST
   their ballot to /polls/<id>/vote/ on a real Daphne (production settings): first
   `--http`/2 ballots on one process, then `--http`/2 spread over `--processes`
   processes (sharing Redis when REDIS_URL is set). 5 % of voters double-submit at
   the same moment; one of the two must be refused. Ballots/s, p50/p95 latency.
2. `cast_action`: the remaining voters through polls.actions.do_vote, the function
   the view calls (the issue allows this when HTTP for all would take > 20 minutes).
3. `integrity`: roll = ballots = running total = full recount total; lost = receipts
   issued - ballots stored; double = ballots - distinct voters; chain verified.
4. `results`: the live result from the running counts (what the poll page shows) and
   the close: full recount + chain check + log published, then results.json over HTTP.
5. `export_verify`: the published ballots.json size, and `manage.py verify_poll` on it.
6. `projector`: an event vote; phones post `--rate` ballots/s for `--seconds`; a
   WebSocket client subscribed to the poll's topic measures how stale the projector's
   count is (time from a ballot's response to the first event counting it).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
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

SETUP = r"""
import django, json, sys, secrets
django.setup()
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from accounts.models import User, Verification
from home.demo import seed_home
from polls.models import PollPage, PollQuestion, StakeholderWeight
from polls.actions import sync_box
n, http_n = int(sys.argv[1]), int(sys.argv[2])
home, _ = seed_home()
now = timezone.now()
poll = PollPage(title="City-wide poll", slug="city-wide", opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=1), results_visibility="live",
                privacy_minimum=10)
poll.questions.add(PollQuestion(text="Which first?", kind="single",
                                options_text="Parks\nTransit\nHousing\nSchools", sort_order=0))
poll.questions.add(PollQuestion(text="Rank these", kind="ranking",
                                options_text="Trams\nBuses\nBikes", sort_order=1))
for g in ["resident", "business", "academia", "civil_society", "government"]:
    poll.weights.add(StakeholderWeight(group=g, share=20))
home.add_child(instance=poll)
poll = PollPage.objects.get(pk=poll.pk)
sync_box(poll)
groups = ["resident", "business", "academia", "civil_society", "government"]
districts = [f"District {i}" for i in range(12)]
BATCH = 5000
for start in range(0, n, BATCH):
    users = User.objects.bulk_create([
        User(email=f"v{i}@bench.test", display_name=f"V{i}", password="!")
        for i in range(start, min(n, start + BATCH))])
    Verification.objects.bulk_create([
        Verification(user=u, method="register", district=districts[u.pk % 12],
                     birth_year=1950 + u.pk % 50, stakeholder_group=groups[u.pk % 5])
        for u in users])
ids = list(User.objects.filter(email__endswith="@bench.test").order_by("pk")
           .values_list("pk", flat=True))
keys, rows = [], []
store = SessionStore()
for uid in ids[:http_n]:
    user = User(pk=uid, password="!")
    key = secrets.token_hex(16)
    data = {"_auth_user_id": str(uid),
            "_auth_user_backend": "allauth.account.auth_backends.AuthenticationBackend",
            "_auth_user_hash": user.get_session_auth_hash()}
    rows.append(Session(session_key=key, session_data=store.encode(data),
                        expire_date=now + timedelta(days=1)))
    keys.append(key)
Session.objects.bulk_create(rows, batch_size=BATCH)
q = [str(x) for x in poll.questions.values_list("pk", flat=True)]
print(json.dumps({"poll": poll.pk, "sessions": keys, "rest": ids[http_n:], "q": q}))
"""

CAST_ACTION = r"""
import django, json, sys, time
django.setup()
from accounts.models import User
from polls import actions
from polls.models import PollPage
poll = PollPage.objects.get(pk=int(sys.argv[1]))
q1, q2 = sys.argv[2], sys.argv[3]
ids = json.loads(open(sys.argv[4]).read())
started = time.perf_counter()
done = 0
for uid in ids:
    user = User.objects.get(pk=uid)
    actions.do_vote(poll, user, {q1: [str(uid % 4)],
                                 q2: [str((uid + k) % 3 + 1) for k in range(3)]})
    done += 1
print(json.dumps({"cast": done, "seconds": time.perf_counter() - started}))
"""

CHECK = r"""
import django, json, sys, time
django.setup()
from django.utils import timezone
from accounts.models import User
from polls import actions, ballots, counting
from polls.models import Ballot, PollPage, VoterRollEntry
poll = PollPage.objects.get(pk=int(sys.argv[1]))
box = poll.box
box.refresh_from_db()
spec = actions.spec_of(poll)
t = time.perf_counter()
live = counting.present(spec, box.counts, weights=poll.weight_map(), privacy_minimum=10)
live_s = time.perf_counter() - t
roll = VoterRollEntry.objects.filter(box=box).count()
stored = Ballot.objects.filter(box=box).count()
distinct = VoterRollEntry.objects.filter(box=box).values("voter_key").distinct().count()
admin = User.objects.create_user(email="bench-admin@bench.test", password=None,
                                 display_name="Admin", is_superuser=True, is_active=True)
t = time.perf_counter()
check = ballots.verify_box(box)
full = counting.recount(spec, check.counted)
recount_s = time.perf_counter() - t
t = time.perf_counter()
result = actions.do_close_poll(admin, poll)
close_s = time.perf_counter() - t
log_obj = box.published_log
path = sys.argv[2]
open(path, "w").write(log_obj.json_text)
print(json.dumps({
    "roll": roll, "ballots_stored": stored, "box_count": box.ballot_count,
    "running_total": box.counts.get("n"), "recount_total": full["n"],
    "running_equals_recount": full == box.counts, "distinct_voters": distinct,
    "chain_ok": check.ok, "problems": check.problems[:5],
    "live_result_s": round(live_s, 4), "verify_and_recount_s": round(recount_s, 2),
    "close_publish_s": round(close_s, 2), "result_chain_ok": result.data["chain_ok"],
    "log_bytes": len(log_obj.json_text.encode()), "head_hash": log_obj.head_hash,
    "voters_in_result": result.data["voters"]}))
"""

EVENT_SETUP = r"""
import django, json, sys, secrets
django.setup()
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from accounts.models import User
from home.demo import seed_home
from polls import actions
from polls.models import PollPage, PollQuestion
n = int(sys.argv[1])
home, _ = seed_home()
poll = PollPage(title="Hall vote", slug="hall-vote", eligibility="event",
                results_visibility="live")
poll.questions.add(PollQuestion(text="Which?", kind="single",
                                options_text="Yes\nNo\nLater", sort_order=0))
home.add_child(instance=poll)
poll = PollPage.objects.get(pk=poll.pk)
admin = User.objects.create_user(email="hall-admin@bench.test", password=None,
                                 display_name="Admin", is_superuser=True)
actions.do_open_poll(admin, poll)
store = SessionStore()
rows, keys = [], []
now = timezone.now()
for i in range(n):
    key = secrets.token_hex(16)
    data = {f"event.{poll.pk}": True, "agora_device": secrets.token_hex(16)}
    rows.append(Session(session_key=key, session_data=store.encode(data),
                        expire_date=now + timedelta(days=1)))
    keys.append(key)
Session.objects.bulk_create(rows, batch_size=2000)
q = str(poll.questions.get().pk)
print(json.dumps({"poll": poll.pk, "sessions": keys, "q": q}))
"""


class PatientServer(Server):
    """bench.run's Server, given longer to start on a busy machine (5 minutes)."""

    def __init__(self, env: dict[str, str]) -> None:
        import urllib.request

        from bench.run import DAPHNE, free_port

        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                DAPHNE,
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("the server did not start within 300 s")


def django(env: dict[str, str], code: str, *args: str) -> dict:
    result = subprocess.run(
        [PY, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        log(result.stderr[-4000:])
        raise SystemExit("bench helper failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def post_ballot(conn: http.client.HTTPConnection, poll: int, session: str, body: dict):
    token = secrets.token_hex(16)
    data = urlencode({"csrfmiddlewaretoken": token, **body}, doseq=True)
    started = time.perf_counter()
    conn.request(
        "POST",
        f"/polls/{poll}/vote/",
        body=data,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={session}; csrftoken={token}",
            "Host": "127.0.0.1",
        },
    )
    response = conn.getresponse()
    text = response.read()
    return response.status, time.perf_counter() - started, b"receipt-code" in text


def cast_over_http(
    ports: list[int], poll: int, q: list[str], sessions: list[str], workers: int
) -> dict:
    jobs: list[tuple[str, int]] = []
    for i, key in enumerate(sessions):
        jobs.append((key, i))
        if i % 20 == 0:
            jobs.append((key, i))  # the same voter, twice at once
    jobs.reverse()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    receipts = 0

    def worker(n: int) -> None:
        nonlocal receipts
        port = ports[n % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not jobs:
                    break
                key, i = jobs.pop()
            body = {f"q{q[0]}": str(i % 4)}
            for r in range(3):
                body[f"q{q[1]}_{r}"] = str((i + r) % 3 + 1)
            try:
                status, elapsed, got_receipt = post_ballot(conn, poll, key, body)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, elapsed, got_receipt = 599, 0.0, False
            with lock:
                latencies.append(elapsed * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                receipts += got_receipt
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "receipts": receipts,
        "ballots_per_s": round(receipts / wall, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 0.95), 1),
        },
        "statuses": statuses,
        "seconds": round(wall, 1),
    }


async def projector_staleness(
    port: int, poll: int, q: str, sessions: list[str], rate: int
) -> dict:
    from websockets.asyncio.client import connect

    address = f"127.0.0.1:{port}"
    ws = await connect(
        f"ws://{address}/ws/live/", origin=f"http://{address}", max_queue=None
    )
    await ws.send(json.dumps({"action": "subscribe", "topics": [f"poll.{poll}"]}))
    assert json.loads(await ws.recv())["type"] == "subscribed"
    seen: list[tuple[float, int]] = []

    async def listen() -> None:
        while True:
            event = json.loads(await ws.recv())
            voters = (event.get("data") or {}).get("counts", {}).get("voters")
            if voters is not None:
                seen.append((time.perf_counter(), voters))

    listener = asyncio.create_task(listen())
    done: list[float] = []
    local = threading.local()

    def one(key: str, i: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=60
            )
        status, _elapsed, ok = post_ballot(
            conn, poll, key, {f"q{q}": str(i % 3), "from": "phone"}
        )
        if ok:
            done.append(time.perf_counter())

    loop = asyncio.get_running_loop()
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=16)
    started = time.perf_counter()
    futures = []
    for i, key in enumerate(sessions):
        target = started + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        futures.append(loop.run_in_executor(pool, one, key, i))
    await asyncio.gather(*futures)
    achieved = len(done) / (time.perf_counter() - started)
    await asyncio.sleep(2)
    listener.cancel()
    await ws.close()
    pool.shutdown()
    done.sort()
    stale = []
    for k, finished in enumerate(done, start=1):
        shown = next((t for t, v in seen if v >= k), None)
        stale.append(((shown - finished) if shown is not None else 99.0) * 1000)
    return {
        "ballots": len(done),
        "achieved_rate_per_s": round(achieved, 1),
        "staleness_ms": {
            "p50": round(statistics.median(stale), 1),
            "p95": round(percentile(stale, 0.95), 1),
            "max": round(max(stale), 1),
        },
        "at_most_1s": max(stale) <= 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=200_000)
    parser.add_argument("--http", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--action-processes",
        type=int,
        default=2,
        help="processes casting the rest through the action (they share the box lock)",
    )
    parser.add_argument(
        "--db",
        default="postgres",
        help="measured on PostgreSQL only (the issue's scale)",
    )
    args = parser.parse_args()
    if "postgres" not in args.db.split(","):
        emit({"bench": "polls", "skipped": "measured on PostgreSQL only"})
        return
    with tempfile.TemporaryDirectory(prefix="agora-bench-polls-") as tmp:
        env = server_env("postgres", Path(tmp))
        env["CONN_MAX_AGE"] = "0"
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        reset_postgres()
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        t = time.perf_counter()
        setup = django(env, SETUP, str(args.voters), str(args.http))
        log(f"setup {args.voters} verified voters in {time.perf_counter() - t:.0f} s")
        half = args.http // 2
        sessions = setup["sessions"]

        server = PatientServer(env)
        try:
            one = cast_over_http(
                [server.port], setup["poll"], setup["q"], sessions[:half], args.workers
            )
        finally:
            server.stop()
        emit({"bench": "cast_http", "processes": 1, "db": "postgres", **one})

        servers = [PatientServer(env) for _ in range(args.processes)]
        try:
            many = cast_over_http(
                [s.port for s in servers],
                setup["poll"],
                setup["q"],
                sessions[half:],
                args.workers,
            )
        finally:
            for s in servers:
                s.stop()
        emit(
            {
                "bench": "cast_http",
                "processes": args.processes,
                "db": "postgres",
                "redis": bool(os.environ.get("REDIS_URL")),
                **many,
            }
        )

        rest = setup["rest"]
        receipts_action = 0
        if rest:
            k = max(1, args.action_processes)
            procs = []
            t = time.perf_counter()
            for i in range(k):
                ids_file = Path(tmp) / f"rest{i}.json"
                ids_file.write_text(json.dumps(rest[i::k]))
                procs.append(
                    subprocess.Popen(
                        [
                            PY,
                            "-c",
                            CAST_ACTION,
                            str(setup["poll"]),
                            *setup["q"],
                            str(ids_file),
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )
            for proc in procs:
                out, _err = proc.communicate()
                if proc.returncode != 0:
                    raise SystemExit("casting through the action failed")
                receipts_action += json.loads(out.strip().splitlines()[-1])["cast"]
            wall = time.perf_counter() - t
            emit(
                {
                    "bench": "cast_action",
                    "note": "polls.actions.do_vote, the function the view calls",
                    "processes": k,
                    "ballots": receipts_action,
                    "ballots_per_s": round(receipts_action / wall, 1),
                }
            )

        log_path = Path(tmp) / "ballots.json"
        check = django(env, CHECK, str(setup["poll"]), str(log_path))
        receipts = one["receipts"] + many["receipts"] + receipts_action
        emit(
            {
                "bench": "integrity",
                "voters": args.voters,
                "roll": check["roll"],
                "ballots": check["ballots_stored"],
                "running_total": check["running_total"],
                "recount_total": check["recount_total"],
                "running_equals_recount": check["running_equals_recount"],
                "receipts_issued": receipts,
                "lost": receipts - check["ballots_stored"],
                "double": check["ballots_stored"] - check["distinct_voters"],
                "chain_ok": check["chain_ok"],
                "ok": check["roll"]
                == check["ballots_stored"]
                == check["running_total"]
                == check["recount_total"]
                == receipts
                == args.voters,
            }
        )
        server = PatientServer(env)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            times = []
            for _ in range(5):
                t = time.perf_counter()
                conn.request("GET", f"/polls/{setup['poll']}/results.json")
                body = conn.getresponse().read()
                times.append(time.perf_counter() - t)
            voters = json.loads(body)["result"]["voters"]
        finally:
            server.stop()
        emit(
            {
                "bench": "results",
                "ballots": voters,
                "live_result_from_running_counts_s": check["live_result_s"],
                "verify_chain_and_full_recount_s": check["verify_and_recount_s"],
                "close_recount_publish_log_s": check["close_publish_s"],
                "results_json_http_median_s": round(statistics.median(times), 4),
            }
        )
        t = time.perf_counter()
        out = subprocess.run(
            [
                PY,
                "manage.py",
                "verify_poll",
                str(log_path),
                "--head",
                check["head_hash"],
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        emit(
            {
                "bench": "export_verify",
                "ballots": voters,
                "log_mib": round(check["log_bytes"] / 2**20, 1),
                "export_included_in_close_s": check["close_publish_s"],
                "verify_poll_s": round(time.perf_counter() - t, 2),
                "verify_poll_ok": out.returncode == 0,
            }
        )

        event = django(env, EVENT_SETUP, str(args.rate * args.seconds))
        server = PatientServer(env)
        try:
            stale = asyncio.run(
                projector_staleness(
                    server.port, event["poll"], event["q"], event["sessions"], args.rate
                )
            )
        finally:
            server.stop()
        emit({"bench": "projector", "target_rate_per_s": args.rate, **stale})


if __name__ == "__main__":
    main()
