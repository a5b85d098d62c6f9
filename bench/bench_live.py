"""Live updates: delivery latency of one event to many subscribed WebSocket clients,
memory per idle connection, and what a publish adds to a write.

Servers are real Daphne processes (production settings); the clients (the
`websockets` library) run in this separate process. Cases: the in-memory layer
(live.layers.LocalFanoutLayer) with one Daphne, and Redis
(live.layers.RedisFanoutLayer) with two Daphne processes (clients split across
them). An event is caused by a real write request (POST "mark all as read" on the
first server, which emits notification.read on user.<id>); latency runs from just
before the POST to each client's receipt. With --load, two busy-looping processes
keep both cores busy while the events are sent. One JSON object per line on
standard output, each with the load average when it was measured.

    flock /tmp/bench.lock python bench/bench_live.py --db sqlite \
        --clients 1000,5000 --layers memory,redis [--load]

BENCH_REDIS_URL chooses the Redis database (default db 15).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PY, Server, log, manage, reset_postgres, server_env  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def django_in(env: dict[str, str], code: str) -> dict:
    result = subprocess.run(
        [PY, "-c", "import django, json; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log(result.stderr)
        raise SystemExit("django helper failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def make_reader(env: dict[str, str]) -> dict:
    """A resident with a session, the way a logged-in browser holds one."""
    return django_in(
        env,
        "from django.test import Client\n"
        "from accounts.models import User\n"
        "user, _ = User.objects.get_or_create(email='bench-live@example.org',"
        " defaults={'display_name': 'Bench'})\n"
        "client = Client(); client.force_login(user)\n"
        "print(json.dumps({'id': user.pk, 'session': client.cookies['sessionid'].value}))",
    )


class Writer:
    """Posts "mark all as read" as the resident's browser would (CSRF included)."""

    def __init__(self, address: str, session: str) -> None:
        self.address = address
        self.cookie = f"sessionid={session}"
        request = urllib.request.Request(
            f"http://{address}/me/notifications/", headers={"Cookie": self.cookie}
        )
        with urllib.request.urlopen(request) as response:
            html = response.read().decode()
            csrf = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert csrf and token
        self.csrf_cookie, self.token = csrf.group(1), token.group(1)

    def post(self) -> int:
        request = urllib.request.Request(
            f"http://{self.address}/me/notifications/read/",
            data=f"csrfmiddlewaretoken={self.token}".encode(),
            headers={
                "Cookie": f"{self.cookie}; csrftoken={self.csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.address}/me/notifications/",
            },
            method="POST",
        )
        opener = urllib.request.build_opener(NoRedirect)
        with opener.open(request) as response:
            return response.status


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        return fp


def add_unread(env: dict[str, str], user_id: int) -> None:
    django_in(
        env,
        "from accounts.models import Notification\n"
        f"Notification.objects.create(recipient_id={user_id}, kind='bench', text='x')\n"
        "print('{}')",
    )


async def open_clients(addresses: list[str], count: int, reader: dict) -> list:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidMessage, InvalidStatus

    topic = f"user.{reader['id']}"
    clients: list = []

    async def one(address: str) -> object:
        # A loaded server may drop a handshake (Daphne gives it 5 s): try again.
        for attempt in range(5):
            try:
                return await one_try(address)
            except (OSError, TimeoutError, InvalidMessage, InvalidStatus):
                RETRIES.append(1)
                await asyncio.sleep(0.5 * (attempt + 1))
        return await one_try(address)

    async def one_try(address: str) -> object:
        ws = await connect(
            f"ws://{address}/ws/live/",
            origin=f"http://{address}",
            additional_headers={"Cookie": f"sessionid={reader['session']}"},
            open_timeout=120,
            ping_interval=None,
            max_queue=None,
            compression=None,
        )
        await ws.send(json.dumps({"action": "subscribe", "topics": [topic]}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 120))
        assert reply["type"] == "subscribed", reply
        return ws

    batch = 25
    for start in range(0, count, batch):
        size = min(batch, count - start)
        clients += await asyncio.gather(
            *(one(addresses[(start + i) % len(addresses)]) for i in range(size))
        )
    return clients


EVENT_ID = re.compile(rb'"id":\s*(\d+)')


class Receiver(asyncio.Protocol):
    """One client's socket after its handshake and subscription: notes the moment
    the bytes of an event arrive, and answers pings, parsing only frame headers.

    The clients of a bench share one process and its cores with the servers; the
    websockets library's own receive path (frame parsing, UTF-8 checks, a queue
    and a task per message) costs about as much per message as the server's send,
    so a thousand receipts measured through it are mostly the bench's own work.
    Here a receipt is the arrival of the bytes, as a phone on its own CPU sees it."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = bytearray()
        self.on_event: object = None  # a callable(id, arrived) while waiting

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self.buffer += data
        while len(self.buffer) >= 2:
            opcode, size, start = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if size == 126:
                if len(self.buffer) < 4:
                    return
                size, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif size == 127:
                if len(self.buffer) < 10:
                    return
                size, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + size:
                return
            payload = bytes(self.buffer[start : start + size])
            del self.buffer[: start + size]
            if opcode == 0x9:  # ping: a pong, masked as a client's frames must be
                self.transport.write(
                    bytes([0x8A, 0x80 | len(payload)]) + b"\0" * 4 + payload
                )
            elif (
                opcode == 0x1
                and self.on_event is not None
                and b'"type":"notification.read"' in payload
            ):
                found = EVENT_ID.search(payload)
                if found:
                    self.on_event(int(found.group(1)), arrived)  # type: ignore[operator]

    def connection_lost(self, exc: Exception | None) -> None:
        pass


def take_over(ws: object) -> Receiver:
    """Hand a subscribed websockets connection's socket to a Receiver."""
    transport = ws.transport  # type: ignore[attr-defined]
    receiver = Receiver(transport)
    transport.set_protocol(receiver)
    return receiver


async def deliver_once(
    clients: list, writer: Writer, env: dict[str, str], user_id: int
) -> tuple[list[float], int]:
    await asyncio.to_thread(add_unread, env, user_id)
    received: list[float] = []
    newest: list[int] = []
    loop = asyncio.get_running_loop()
    all_in = loop.create_future()
    waiting = [len(clients)]

    def receipt(event_id: int, arrived: float, client: Receiver) -> None:
        # An event of an earlier round that arrives late does not count for this one.
        if event_id <= LAST_ID[0] or client.on_event is None:
            return
        client.on_event = None
        received.append(arrived)
        newest.append(event_id)
        waiting[0] -= 1
        if waiting[0] == 0 and not all_in.done():
            all_in.set_result(None)

    for client in clients:
        client.on_event = lambda i, t, c=client: receipt(i, t, c)
    start = time.perf_counter()
    status = await asyncio.to_thread(writer.post)
    answered = time.perf_counter()
    assert status == 302, status
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(all_in), 15)
    for client in clients:
        client.on_event = None
    POST_MS.append((answered - start) * 1000)
    LAST_ID[0] = max([LAST_ID[0], *newest])
    if received:
        first = min(received)
        SPREAD_MS.extend((t - first) * 1000 for t in received)
    return [(t - start) * 1000 for t in received], len(clients)


POST_MS: list[float] = []
LAST_ID = [0]  # the newest event id counted so far
RETRIES: list[int] = []
# Per event: each receipt after the first one, i.e. the fan-out itself, without
# the write request that caused it (which on a loaded machine takes seconds).
SPREAD_MS: list[float] = []


async def measure_delivery(
    addresses: list[str], pids: list[int], reader: dict, env: dict, args, count: int
) -> dict:
    # Warm up every server (imports, layer connections) before reading memory.
    for ws in await open_clients(addresses, len(addresses), reader):
        await ws.close()
    await asyncio.sleep(0.5)
    before = sum(rss_kib(pid) for pid in pids)
    clients = [take_over(ws) for ws in await open_clients(addresses, count, reader)]
    await asyncio.sleep(1)  # let the servers settle before reading memory
    after = sum(rss_kib(pid) for pid in pids)
    writer = Writer(addresses[0], reader["session"])
    latencies: list[float] = []
    per_event: list[list[float]] = []
    delivered = expected = 0
    with busy_cores(args.load):
        for _ in range(args.events):
            got, total = await deliver_once(clients, writer, env, reader["id"])
            per_event.append(
                [
                    round(min(got, default=float("nan")), 1),
                    round(percentile(got, 95), 1),
                ]
            )
            latencies += got
            delivered += len(got)
            expected += total
        load = os.getloadavg()
    for client in clients:
        client.transport.close()
    post_ms, POST_MS[:] = sorted(POST_MS), []
    spread, SPREAD_MS[:] = list(SPREAD_MS), []
    retries, RETRIES[:] = len(RETRIES), []
    return {
        "latency_ms": {
            "first": round(min(latencies, default=float("nan")), 2),
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
            "p99": round(percentile(latencies, 99), 2),
        },
        "fanout_after_first_ms": {
            "p50": round(percentile(spread, 50), 2),
            "p95": round(percentile(spread, 95), 2),
        },
        "delivered_pct": round(100 * delivered / expected, 2) if expected else 0.0,
        # Each event's first receipt and p95, in the order sent.
        "per_event_first_p95_ms": per_event,
        # The trigger's own round trip (the write request), included in latency.
        "post_ms_median": round(post_ms[len(post_ms) // 2], 2) if post_ms else None,
        "events": args.events,
        "memory_per_idle_connection_kib": round((after - before) / count, 1),
        "connect_retries": retries,
        "loaded_machine": bool(args.load),
        "load_average": [round(x, 2) for x in load],
    }


@contextlib.contextmanager
def busy_cores(on: bool):
    """Two processes that keep both cores busy (a loaded machine), or nothing."""
    procs = []
    if on:
        for _ in range(os.cpu_count() or 2):
            procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        time.sleep(5)  # let the load average climb a little before measuring
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def publish_cost(env: dict[str, str], repeat: int) -> dict:
    """Median time of a notification-like write with and without publish_on_commit,
    measured inside one process with the server's settings."""
    return django_in(
        env,
        "import statistics, time\n"
        "from django.db import transaction\n"
        "import live\n"
        "from accounts.models import Notification, User\n"
        "user = User.objects.get(email='bench-live@example.org')\n"
        "def write(publish):\n"
        "    start = time.perf_counter()\n"
        "    with transaction.atomic():\n"
        "        n = Notification.objects.create(recipient=user, kind='bench', text='x')\n"
        "        if publish:\n"
        "            live.publish_on_commit(f'user.{user.pk}', 'notification.created',"
        " {'counts': {'unread': n.pk}, 'html': '<li>x</li>'})\n"
        "    return (time.perf_counter() - start) * 1e6\n"
        "def measure():\n"
        "    for _ in range(20): write(False); write(True)\n"
        "    plain, published = [], []\n"
        f"    for _ in range({repeat}):\n"
        "        plain.append(write(False)); published.append(write(True))\n"
        "    return statistics.median(plain), statistics.median(published)\n"
        "# As under Daphne: the write runs in a worker thread beside a running event\n"
        "# loop, so the send after commit reuses that loop and its layer connections.\n"
        "import asyncio\n"
        "from asgiref.sync import sync_to_async\n"
        "async def main(): return await sync_to_async(measure)()\n"
        "p, q = asyncio.run(main())\n"
        "print(json.dumps({'write_us': round(p, 1), 'write_with_publish_us': round(q, 1),"
        " 'publish_adds_us': round(q - p, 1)}))",
    )


def run_case(
    db: str, layer: str, tmp: Path, args, counts: list[int], direct: bool = True
) -> list[dict]:
    env = server_env(db, tmp)
    env["LIVE_DIRECT_SEND"] = "1" if direct else "0"
    env["LIVE_MAX_TOPICS_PER_CONNECTION"] = "50"
    # Every bench client shares one session and one address: lift the caps.
    env["LIVE_MAX_CONNECTIONS_PER_SESSION"] = "100000"
    env["LIVE_MAX_CONNECTIONS_PER_IP"] = "100000"
    if layer == "redis":
        env["REDIS_URL"] = REDIS_URL
        env["CHANNEL_LAYER_PREFIX"] = f"bench-live-{os.getpid()}"
    reader = make_reader(env)
    servers = [Server(env) for _ in range(2 if layer == "redis" else 1)]
    rows = []
    try:
        addresses = [s.url.removeprefix("http://") for s in servers]
        pids = [s.proc.pid for s in servers]
        for count in counts:
            log(f"[{db}/{layer}] {count} clients ...")
            figures = asyncio.run(
                measure_delivery(addresses, pids, reader, env, args, count)
            )
            row = {
                "scenario": "live_delivery",
                "db": db,
                "layer": layer,
                "servers": f"{len(servers)} daphne",
                "clients": count,
                # Events written straight to the sockets (live/daphne_direct.py),
                # or each through its tab's consumer task.
                "direct_send": direct,
                "trigger": "POST /me/notifications/read/ on the first server",
                **figures,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        for server in servers:
            server.stop()
    if args.no_publish_cost:
        return rows
    log(f"[{db}/{layer}] publish cost ...")
    print(
        json.dumps(
            {
                "scenario": "live_publish_cost",
                "db": db,
                "layer": layer,
                "repeat": args.repeat,
                "what": "median of atomic(create Notification) with and without "
                "publish_on_commit (event row + send after commit)",
                **publish_cost(env, args.repeat),
            }
        ),
        flush=True,
    )
    return rows


def summarise(rows: list[dict]) -> None:
    """Per case and variant, the medians over the interleaved rounds."""
    cases: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["db"], row["layer"], row["clients"], row["direct_send"])
        cases.setdefault(key, []).append(row)
    for (db, layer, clients, direct), runs in cases.items():
        print(
            json.dumps(
                {
                    "scenario": "live_delivery_median",
                    "db": db,
                    "layer": layer,
                    "clients": clients,
                    "direct_send": direct,
                    "rounds": len(runs),
                    "latency_ms": {
                        k: round(
                            statistics.median([r["latency_ms"][k] for r in runs]), 2
                        )
                        for k in ("first", "p50", "p95", "p99")
                    },
                    "delivered_pct": round(
                        statistics.median([r["delivered_pct"] for r in runs]), 2
                    ),
                    "post_ms_median": round(
                        statistics.median([r["post_ms_median"] or 0 for r in runs]), 2
                    ),
                    "memory_per_idle_connection_kib": round(
                        statistics.median(
                            [r["memory_per_idle_connection_kib"] for r in runs]
                        ),
                        1,
                    ),
                    "loaded_machine": runs[0]["loaded_machine"],
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--clients", default="100,1000")
    parser.add_argument("--events", type=int, default=5, help="events per case")
    parser.add_argument("--repeat", type=int, default=300, help="writes per variant")
    parser.add_argument("--layers", default="memory,redis")
    parser.add_argument(
        "--load", action="store_true", help="keep every core busy while sending"
    )
    parser.add_argument(
        "--no-publish-cost", action="store_true", help="skip the publish-cost case"
    )
    parser.add_argument(
        "--var-dir", default="", help="keep the migrated database here between runs"
    )
    parser.add_argument(
        "--prepare", action="store_true", help="only migrate into --var-dir"
    )
    parser.add_argument(
        "--direct",
        default="on",
        help="on, off or on,off: write events straight to the sockets or not "
        "(with both, the variants alternate within each round)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved rounds of every variant"
    )
    args = parser.parse_args()
    limit = raise_open_file_limit()
    counts = [int(c) for c in args.clients.split(",") if c]
    if max(counts) * 2 + 100 > limit:
        raise SystemExit(
            f"open-file limit {limit} is too low for {max(counts)} clients"
        )
    for db in [d for d in args.db.split(",") if d]:
        with contextlib.ExitStack() as stack:
            if args.var_dir:
                tmp = str(Path(args.var_dir) / db)
                Path(tmp).mkdir(parents=True, exist_ok=True)
            else:
                tmp = stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="agora-bench-live-")
                )
            env = server_env(db, Path(tmp))
            marker = Path(tmp) / ".migrated"
            if not marker.exists():
                # Untimed set-up: run it once with --prepare, outside the bench lock.
                if db == "postgres":
                    reset_postgres()
                log(f"[{db}] migrating ...")
                manage(env, "migrate", "--noinput")
                manage(env, "collectstatic", "--noinput")
                if args.var_dir:
                    marker.touch()
            if args.prepare:
                continue
            variants = [v.strip() == "on" for v in args.direct.split(",") if v]
            rows = []
            for _ in range(args.rounds):
                for layer in [x for x in args.layers.split(",") if x]:
                    for direct in variants:
                        rows += run_case(db, layer, Path(tmp), args, counts, direct)
            if args.rounds > 1 or len(variants) > 1:
                summarise(rows)


if __name__ == "__main__":
    main()
