"""Polls at Active Citizen's scale: casting over HTTP, integrity, results, projector
staleness, and exporting and verifying the ballot log. Prints one JSON object per figure.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/agora_polls \\
        python bench/bench_polls.py [--part all] [--voters 200000] [--http 20000]
            [--processes 2] [--workers 16] [--action-processes 2] [--rate 100]
            [--seconds 10] [--state DIR]

PostgreSQL only. Servers, Django steps and load come from bench.run's harness
(`Server`, `call`, `post_forms`, `emit`). `--part` runs one step, so that no timed
command holds the machine's bench lock for long; the steps share the database
and `--state` (a directory that keeps the poll's ids and the ballots counted so far):

1. `setup` (untimed): a fresh database; `--voters` verified residents (district,
   birth year, stakeholder group), a poll (one single-choice and one ranking
   question, five stakeholder shares of 20 %, results live), `--http` sessions.
2. `http`: logged-in residents (real sessions, CSRF cookie + token) POST their ballot
   to /polls/<id>/vote/ on `--server` (default granian's WSGI workers, the layout
   of docs/deploy.md; production settings): half of `--http` on one process, half
   on `--processes` processes. One voter in 20 submits twice
   at the same moment; exactly one of the two must get a receipt. `cast_http`:
   ballots/s, latency percentiles, statuses.
3. `action [--count N]`: the next N (default: all remaining) voters through
   polls.actions.do_vote, the function the view calls, in `--action-processes`
   processes (the issue allows this when HTTP for all 200,000 takes > 20 minutes).
4. `check`: `integrity` (roll = ballots = running total = full recount = receipts
   issued = voters; lost, double; chain verified); `results` (the live result from
   the running counts, results.json over HTTP while open and after close, verify +
   full recount, close = recount + chain + publish the log); `export_verify` (the
   log's size, `manage.py verify_poll` on it, and its CSV). Closes the poll.
5. `projector`: an event vote; phones post `--rate` ballots/s for `--seconds`; a
   WebSocket client subscribed to the poll's topic measures how stale the
   projector's count is (a ballot's response -> the first event counting it).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    PY,
    SERVER_KINDS,
    FormPost,
    Server,
    call,
    call_many,
    emit,
    latency_ms,
    log,
    manage,
    post_forms,
    reset_postgres,
)
from bench.run import (  # noqa: E402
    PartsState as State,
)

GROUPS = ["resident", "business", "academia", "civil_society", "government"]
START_TIMEOUT = 300  # Daphne's start on a busy machine

# --- steps run inside Django (bench.run.call) --------------------------------------


def answers(i: int, q: list[str]) -> dict[str, list[str]]:
    """Voter i's answers, the same over HTTP and through the action: an option of
    the single choice, and a full ranking of the three."""
    return {q[0]: [str(i % 4)], q[1]: [str((i + r) % 3 + 1) for r in range(3)]}


def form_fields(i: int, q: list[str]) -> dict[str, Any]:
    """The same answers as the poll page's form sends them."""
    raw = answers(i, q)
    fields: dict[str, Any] = {f"q{q[0]}": raw[q[0]]}
    for rank_of_option, rank in enumerate(raw[q[1]]):
        fields[f"q{q[1]}_{rank_of_option}"] = rank
    return fields


def make_poll_and_voters(n: int, http_n: int) -> dict[str, Any]:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User, Verification
    from bench.fixtures import signed_in_sessions
    from home.demo import seed_home
    from polls.actions import sync_box
    from polls.models import PollPage, PollQuestion, StakeholderWeight

    home, _ = seed_home()
    now = timezone.now()
    poll = PollPage(
        title="City-wide poll",
        slug="city-wide",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        results_visibility="live",
        privacy_minimum=10,
    )
    poll.questions.add(
        PollQuestion(
            text="Which first?",
            kind="single",
            options_text="Parks\nTransit\nHousing\nSchools",
            sort_order=0,
        )
    )
    poll.questions.add(
        PollQuestion(
            text="Rank these", kind="ranking", options_text="Trams\nBuses\nBikes"
        )
    )
    for group in GROUPS:
        poll.weights.add(StakeholderWeight(group=group, share=20))
    home.add_child(instance=poll)
    poll = PollPage.objects.get(pk=poll.pk)
    sync_box(poll)
    districts = [f"District {i}" for i in range(12)]
    batch = 5000
    for start in range(0, n, batch):
        users = User.objects.bulk_create(
            [
                User(email=f"v{i}@bench.test", display_name=f"V{i}", password="!")
                for i in range(start, min(n, start + batch))
            ]
        )
        Verification.objects.bulk_create(
            [
                Verification(
                    user=u,
                    method="register",
                    district=districts[u.pk % 12],
                    birth_year=1950 + u.pk % 50,
                    stakeholder_group=GROUPS[u.pk % 5],
                )
                for u in users
            ]
        )
    ids = list(
        User.objects.filter(email__endswith="@bench.test")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sessions = signed_in_sessions(ids[:http_n])
    # Bulk loads leave the planner's statistics stale; a city's would not be.
    call_command("refresh_db_statistics")
    return {
        "poll": poll.pk,
        "q": [str(x) for x in poll.questions.values_list("pk", flat=True)],
        "http": [[uid, key] for uid, key in zip(ids, sessions, strict=False)],
        "rest": ids[http_n:],
    }


def cast_through_action(poll_id: int, q: list[str], ids: list[int]) -> dict[str, Any]:
    from accounts.models import User
    from polls import actions
    from polls.models import PollPage

    poll = PollPage.objects.get(pk=poll_id)
    users = User.objects.in_bulk(ids)
    receipts = 0
    took = []
    for uid in ids:
        began = time.perf_counter()
        actions.do_vote(poll, users[uid], answers(uid, q))
        took.append(time.perf_counter() - began)
        receipts += 1
    return {"receipts": receipts, "took": took}


def check_and_close(poll_id: int, log_path: str) -> dict[str, Any]:
    from accounts.models import User
    from polls import actions, ballots, counting
    from polls.models import Ballot, PollPage, VoterRollEntry

    poll = PollPage.objects.get(pk=poll_id)
    box = poll.box
    box.refresh_from_db()
    spec = actions.spec_of(poll)
    began = time.perf_counter()
    counting.present(spec, box.counts, weights=poll.weight_map(), privacy_minimum=10)
    live_s = time.perf_counter() - began
    roll = VoterRollEntry.objects.filter(box=box).count()
    stored = Ballot.objects.filter(box=box).count()
    distinct = VoterRollEntry.objects.filter(box=box).values("voter_key").distinct()
    admin = User.objects.create_user(
        email="bench-admin@bench.test",
        password=None,
        display_name="Admin",
        is_superuser=True,
        is_active=True,
    )
    began = time.perf_counter()
    check = ballots.verify_box(box)
    full = counting.recount(spec, check.counted)
    recount_s = time.perf_counter() - began
    began = time.perf_counter()
    result = actions.do_close_poll(admin, poll)
    close_s = time.perf_counter() - began
    published = box.published_log
    Path(log_path).write_text(published.json_text)
    Path(log_path).with_suffix(".csv").write_text(published.csv_text)
    return {
        "roll": roll,
        "ballots_stored": stored,
        "box_count": box.ballot_count,
        "running_total": box.counts.get("n"),
        "recount_total": full["n"],
        "running_equals_recount": full == box.counts,
        "distinct_voters": distinct.count(),
        "chain_ok": check.ok,
        "problems": check.problems[:5],
        "live_result_s": round(live_s, 4),
        "verify_and_recount_s": round(recount_s, 2),
        "close_publish_s": round(close_s, 2),
        "result_chain_ok": result.data["chain_ok"],
        "result_incremental_matches_recount": result.data[
            "incremental_matches_recount"
        ],
        "log_bytes": len(published.json_text.encode()),
        "csv_bytes": len(published.csv_text.encode()),
        "head_hash": published.head_hash,
        "voters_in_result": result.data["voters"],
    }


def make_event_vote(n: int) -> dict[str, Any]:
    import secrets
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import User
    from home.demo import seed_home
    from polls import actions
    from polls.models import PollPage, PollQuestion

    home, _ = seed_home()
    poll = PollPage(
        title="Hall vote",
        slug=f"hall-vote-{secrets.token_hex(3)}",
        eligibility="event",
        results_visibility="live",
    )
    poll.questions.add(
        PollQuestion(text="Which?", kind="single", options_text="Yes\nNo\nLater")
    )
    home.add_child(instance=poll)
    poll = PollPage.objects.get(pk=poll.pk)
    admin = User.objects.create_user(
        email=f"hall-admin-{secrets.token_hex(3)}@bench.test",
        password=None,
        display_name="Admin",
        is_superuser=True,
    )
    actions.do_open_poll(admin, poll)
    store = SessionStore()
    rows, keys = [], []
    expires = timezone.now() + timedelta(days=1)
    for _i in range(n):
        key = secrets.token_hex(16)
        data = {f"event.{poll.pk}": True, "agora_device": secrets.token_hex(16)}
        rows.append(
            Session(
                session_key=key,
                session_data=store.encode(data),
                expire_date=expires,
            )
        )
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=2000)
    return {"poll": poll.pk, "sessions": keys, "q": str(poll.questions.get().pk)}


# --- the parts -----------------------------------------------------------------------


def got_receipt(status: int, body: bytes) -> bool:
    return status == 200 and b"receipt-code" in body


def part_setup(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    reset_postgres()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    began = time.perf_counter()
    setup = call(env, "bench.bench_polls:make_poll_and_voters", args.voters, args.http)
    state.data = {
        **setup,
        "voters": args.voters,
        "receipts": {"http": 0, "action": 0},
        "cast_rest": 0,
    }
    state.save()
    emit(
        {
            "bench": "polls_setup",
            "voters": args.voters,
            "sessions": len(setup["http"]),
            "seconds": round(time.perf_counter() - began, 1),
        }
    )


def _ballot_posts(state: State, voters: list[list[Any]]) -> list[FormPost]:
    """Each voter's ballot; one voter in 20 sends it twice at the same moment."""
    path = f"/polls/{state.data['poll']}/vote/"
    posts = []
    for n, (uid, session) in enumerate(voters):
        post = FormPost(path, session, form_fields(uid, state.data["q"]))
        posts.append(post)
        if n % 20 == 0:
            posts.append(post)
    return posts


def part_http(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    voters = state.data["http"]
    half = len(voters) // 2
    for processes, group in ((1, voters[:half]), (args.processes, voters[half:])):
        server = Server(
            env, kind=args.server, workers=processes, start_timeout=START_TIMEOUT
        )
        try:
            figures = post_forms(
                [server.port],
                _ballot_posts(state, group),
                workers=args.workers,
                ok=got_receipt,
            )
        finally:
            server.stop()
        doubles = (len(group) + 19) // 20
        state.data["receipts"]["http"] += figures["ok"]
        state.save()
        emit(
            {
                "bench": "cast_http",
                "db": "postgres",
                "server": f"{args.server} x{processes}, production settings",
                "redis": bool(os.environ.get("REDIS_URL")),
                "voters": len(group),
                "double_submits": doubles,
                "ballots_per_s": figures["ok_per_s"],
                "receipts": figures["ok"],
                "refused_second_submits": figures["statuses"].get("400", 0),
                **{k: v for k, v in figures.items() if k not in ("ok", "ok_per_s")},
                "load": os.getloadavg()[0],
            }
        )


def part_action(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    start = state.data["cast_rest"]
    rest = state.data["rest"]
    stop = len(rest) if args.count is None else min(len(rest), start + args.count)
    ids = rest[start:stop]
    if not ids:
        emit({"bench": "cast_action", "note": "every voter has voted"})
        return
    k = max(1, args.action_processes)
    began = time.perf_counter()
    done = call_many(
        env,
        "bench.bench_polls:cast_through_action",
        [[state.data["poll"], state.data["q"], ids[i::k]] for i in range(k)],
    )
    wall = time.perf_counter() - began
    receipts = sum(d["receipts"] for d in done)
    state.data["receipts"]["action"] += receipts
    state.data["cast_rest"] = stop
    state.save()
    emit(
        {
            "bench": "cast_action",
            "db": "postgres",
            "note": "polls.actions.do_vote, the function the view calls",
            "processes": k,
            "ballots": receipts,
            "ballots_per_s": round(receipts / wall, 1),
            "latency_ms": latency_ms([t for d in done for t in d["took"]]),
            "seconds": round(wall, 1),
            "cast_so_far": state.data["receipts"]["http"]
            + state.data["receipts"]["action"],
            "load": os.getloadavg()[0],
        }
    )


def _get_json(port: int, path: str, rounds: int = 5) -> tuple[float, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times, body = [], b"{}"
    for _ in range(rounds):
        began = time.perf_counter()
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        body = conn.getresponse().read()
        times.append(time.perf_counter() - began)
    conn.close()
    return statistics.median(times), json.loads(body)


def part_check(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    poll = state.data["poll"]
    results_path = f"/polls/{poll}/results.json"
    server = Server(env, start_timeout=START_TIMEOUT)
    try:
        open_s, _live = _get_json(server.port, results_path)
    finally:
        server.stop()
    log_path = state.dir / "ballots.json"
    check = call(env, "bench.bench_polls:check_and_close", poll, str(log_path))
    receipts = state.data["receipts"]["http"] + state.data["receipts"]["action"]
    emit(
        {
            "bench": "integrity",
            "voters": state.data["voters"],
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
            == check["voters_in_result"]
            == receipts
            == state.data["voters"],
        }
    )
    server = Server(env, start_timeout=START_TIMEOUT)
    try:
        closed_s, final = _get_json(server.port, results_path)
    finally:
        server.stop()
    emit(
        {
            "bench": "results",
            "ballots": final["result"]["voters"],
            "live_result_from_running_counts_s": check["live_result_s"],
            "results_json_http_open_median_s": round(open_s, 4),
            "results_json_http_closed_median_s": round(closed_s, 4),
            "verify_chain_and_full_recount_s": check["verify_and_recount_s"],
            "close_recount_publish_log_s": check["close_publish_s"],
            "incremental_matches_recount": check["result_incremental_matches_recount"],
            "load": os.getloadavg()[0],
        }
    )
    verify = {}
    for name in ("ballots.json", "ballots.csv"):
        began = time.perf_counter()
        out = subprocess.run(
            [PY, "manage.py", "verify_poll", str(state.dir / name)]
            + (["--head", check["head_hash"]] if name.endswith("json") else []),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        verify[name] = {
            "seconds": round(time.perf_counter() - began, 2),
            "ok": out.returncode == 0,
        }
    emit(
        {
            "bench": "export_verify",
            "ballots": final["result"]["voters"],
            "json_mib": round(check["log_bytes"] / 2**20, 1),
            "csv_mib": round(check["csv_bytes"] / 2**20, 1),
            "export_included_in_close_s": check["close_publish_s"],
            "verify_poll": verify,
            "load": os.getloadavg()[0],
        }
    )


async def projector_staleness(
    ports: list[int], poll: int, q: str, sessions: list[str], rate: int, ws_port: int
) -> dict:
    """Phones post at `rate` per second (open loop) to the servers on `ports` in
    turn; a WebSocket client on `ws_port`, subscribed to the poll's topic, records
    when each count arrives (from another process: through Redis)."""
    port = ws_port
    from concurrent.futures import ThreadPoolExecutor

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
    path = f"/polls/{poll}/vote/"

    def one(key: str, i: int) -> None:
        conns = getattr(local, "conns", None)
        if conns is None:
            conns = local.conns = {
                p: http.client.HTTPConnection("127.0.0.1", p, timeout=60) for p in ports
            }
        conn = conns[ports[i % len(ports)]]
        body, headers = FormPost(
            path, key, {f"q{q}": str(i % 3), "from": "phone"}
        ).encode()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        if got_receipt(response.status, response.read()):
            done.append(time.perf_counter())

    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=16)
    began = time.perf_counter()
    futures = []
    for i, key in enumerate(sessions):
        delay = began + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        futures.append(loop.run_in_executor(pool, one, key, i))
    await asyncio.gather(*futures)
    achieved = len(done) / (time.perf_counter() - began)
    await asyncio.sleep(2)
    listener.cancel()
    await ws.close()
    pool.shutdown()
    done.sort()
    stale = []
    for k, finished in enumerate(done, start=1):
        shown = next((t for t, v in seen if v >= k), None)
        # 0 when the projector showed it before the phone had its answer.
        stale.append(max(0.0, shown - finished) if shown is not None else 99.0)
    return {
        "ballots": len(done),
        "achieved_rate_per_s": round(achieved, 1),
        "staleness_ms": latency_ms(stale),
        "at_most_1s": max(stale) <= 1.0,
    }


def part_projector(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    event = call(env, "bench.bench_polls:make_event_vote", args.rate * args.seconds)
    # Phones post to `--server` (docs/deploy.md: granian's WSGI workers for HTTP);
    # the projector's WebSocket is on Daphne, as /ws/ is in that layout. Another
    # server than Daphne reaches the projector only through Redis.
    layout = args.server if os.environ.get("REDIS_URL") else "daphne"
    http = Server(
        env,
        kind=layout,
        workers=args.projector_processes,
        start_timeout=START_TIMEOUT,
    )
    ws = http if layout == "daphne" else Server(env, start_timeout=START_TIMEOUT)
    try:
        stale = asyncio.run(
            projector_staleness(
                [http.port],
                event["poll"],
                event["q"],
                event["sessions"],
                args.rate,
                ws_port=ws.port,
            )
        )
    finally:
        for server in {id(http): http, id(ws): ws}.values():
            server.stop()
    emit(
        {
            "bench": "projector",
            "server": f"{layout} x{args.projector_processes} for the phones, "
            + ("the same for /ws/" if ws is http else "one Daphne for /ws/")
            + ", production settings",
            "target_rate_per_s": args.rate,
            "redis": bool(os.environ.get("REDIS_URL")),
            **stale,
            "load": os.getloadavg()[0],
        }
    )


PARTS = {
    "setup": part_setup,
    "http": part_http,
    "action": part_action,
    "check": part_check,
    "projector": part_projector,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", default="all", choices=["all", *PARTS])
    parser.add_argument("--voters", type=int, default=200_000)
    parser.add_argument("--http", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--server",
        default="granian-wsgi",
        choices=sorted(SERVER_KINDS),
        help="http: the HTTP server (docs/deploy.md's layout: granian's WSGI workers)",
    )
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--action-processes", type=int, default=2)
    parser.add_argument(
        "--count", type=int, help="action: cast this many (default: all remaining)"
    )
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument(
        "--projector-processes",
        type=int,
        default=1,
        help="projector: worker processes of --server the phones post to (with "
        "REDIS_URL; without it, one Daphne serves the phones and the projector)",
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--state",
        default=os.path.join(os.environ.get("AGORA_VAR_DIR", "var"), "bench-polls"),
        help="directory the parts share",
    )
    parser.add_argument("--db", default="postgres", help="PostgreSQL only")
    args = parser.parse_args()
    if "postgres" not in args.db.split(","):
        emit({"bench": "polls", "skipped": "measured on PostgreSQL only"})
        return
    state_dir = Path(args.state).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    state = State(state_dir)
    for name in PARTS if args.part == "all" else [args.part]:
        log(f"[polls] {name} ...")
        PARTS[name](state, args)
        state = State(state_dir)


if __name__ == "__main__":
    main()
