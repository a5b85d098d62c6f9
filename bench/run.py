"""`make bench`: start the real server (Daphne, production settings) on loopback, load it
with wrk from a separate process, and print one JSON object per scenario and database.

Each scenario runs --repeat times against a fresh server process; the figures are the
medians. Server peak memory is the process's VmHWM (peak resident set) from /proc.

    python bench/run.py [--db sqlite,postgres] [--scenario home_page] [--duration 10]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scenarios import PAGE_SCENARIOS, SCENARIOS, Scenario  # noqa: E402

PY = sys.executable
DAPHNE = str(Path(PY).with_name("daphne"))
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/agora_bench"
)


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


@contextlib.contextmanager
def bench_lock() -> Iterator[None]:
    """Hold the machine-wide bench lock (the file named by BENCH_LOCK, if set) for
    the timed part only, so untimed data loading does not keep others waiting."""
    path = os.environ.get("BENCH_LOCK")
    if not path:
        yield
        return
    with open(path, "a") as handle:
        log(f"waiting for the bench lock {path} ...")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    log("wrk not found; installing Debian's package (needs root) ...")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("bench needs wrk: apt-get install wrk")
    return wrk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db: str, var_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="bench-only-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        AGORA_VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        # Load from one address is not abuse: the rate limits would answer 429s.
        RATELIMIT_ENABLE="False",
    )
    if db == "postgres":
        env["DATABASE_URL"] = POSTGRES_URL
    return env


def reset_postgres() -> None:
    import psycopg

    name = POSTGRES_URL.rsplit("/", 1)[1]
    admin_url = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        log(result.stdout, result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return result.stdout


def run_fixture(env: dict[str, str], name: str) -> dict:
    code = (
        "import django, json; django.setup(); from bench import fixtures; "
        "from django.core.management import call_command; "
        f"data = fixtures.{name}(); "
        # Bulk loads leave the planner's statistics stale; a city's would not be.
        "call_command('refresh_db_statistics'); print(json.dumps(data))"
    )
    result = subprocess.run(
        [PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        log(result.stderr)
        raise SystemExit(f"fixture {name} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# How each server is started for a kind of layout (bench/bench_serving.py compares
# them). ASGI servers load config.asgi (HTTP and WebSockets); WSGI servers load
# config.wsgi (HTTP only). `workers` processes share one listening socket.
SERVER_KINDS = (
    "daphne",
    "uvicorn",
    "granian-asgi",
    "gunicorn-sync",
    "gunicorn-gthread",
    "granian-wsgi",
)
# Threads per process for the threaded WSGI servers; the PostgreSQL pool
# (DATABASE_POOL_MAX, 20) must be at least this large.
WSGI_THREADS = 8


def _bin(name: str) -> str:
    return str(Path(PY).with_name(name))


def server_command(kind: str, port: int, workers: int) -> list[str]:
    """The command line that serves Agora on 127.0.0.1:port (Daphne: one process;
    Server starts `workers` of them on a shared socket)."""
    host = ["127.0.0.1", str(port)]
    if kind == "daphne":
        return [DAPHNE, "-b", host[0], "-p", host[1], "config.asgi:application"]
    if kind == "uvicorn":
        return [
            _bin("uvicorn"), "--host", host[0], "--port", host[1],
            "--workers", str(workers), "--no-access-log", "--log-level", "warning",
            "--lifespan", "off", "config.asgi:application",
        ]  # fmt: skip
    if kind.startswith("gunicorn-"):
        worker_class = kind.removeprefix("gunicorn-")
        threads = WSGI_THREADS if worker_class == "gthread" else 1
        return [
            _bin("gunicorn"), "-b", f"{host[0]}:{host[1]}", "-w", str(workers),
            "-k", worker_class, "--threads", str(threads), "--log-level", "warning",
            "config.wsgi:application",
        ]  # fmt: skip
    if kind.startswith("granian-"):
        interface = kind.removeprefix("granian-")
        app = (
            "config.wsgi:application"
            if interface == "wsgi"
            else "config.asgi:application"
        )
        extra = (
            ["--blocking-threads", str(WSGI_THREADS), "--no-ws"]
            if interface == "wsgi"
            else []
        )
        return [
            _bin("granian"), "--interface", interface, "--host", host[0],
            "--port", host[1], "--workers", str(workers), "--log-level", "warning",
            *extra, app,
        ]  # fmt: skip
    raise ValueError(f"unknown server kind {kind!r}; one of {SERVER_KINDS}")


class Server:
    """Agora served on a free loopback port: one Daphne process by default, or
    `workers` processes of any kind in SERVER_KINDS. Every process of it runs in
    a session of its own, so stop() ends them all and nothing else."""

    def __init__(
        self,
        env: dict[str, str],
        kind: str = "daphne",
        workers: int = 1,
        start_timeout: float = 60,
        port: int | None = None,
    ) -> None:
        self.kind, self.workers = kind, workers
        self.port = port or free_port()
        command = server_command(kind, self.port, workers)
        popen = {
            "cwd": ROOT,
            "env": env,
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
            "start_new_session": True,
        }
        self.procs: list[subprocess.Popen] = []
        if kind == "daphne" and workers > 1:
            # Daphne has no worker processes of its own: N processes accept on
            # one inherited socket, as under a supervisor or systemd sockets.
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(1024)
            fd = listener.fileno()
            command = [DAPHNE, "--fd", str(fd), "config.asgi:application"]
            for _ in range(workers):
                self.procs.append(subprocess.Popen(command, pass_fds=(fd,), **popen))
            listener.close()
        else:
            self.procs.append(subprocess.Popen(command, **popen))
        self.proc = self.procs[0]
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{kind} did not start within {start_timeout:.0f} s")

    def pids(self) -> list[int]:
        """Every process of this server (masters and their workers)."""
        sessions = {p.pid for p in self.procs}
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) in sessions:  # field 6 of stat: the session id
                found.append(int(stat.parent.name))
        return found

    def peak_rss_mib(self) -> float:
        """The peak resident memory of all its processes, added up."""
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                total += peak_rss_mib(pid)
        return total

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wrk(url: str, duration: int, connections: int, cookie: str = "") -> dict:
    out = subprocess.run(
        [
            ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "wrk_json.lua"),
            *(["-H", f"Cookie: {cookie}"] if cookie else []),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- scripts' helpers: Django steps in fresh processes, form posts, JSON lines ---


class PartsState:
    """What the parts of a long bench share between its commands (bench_polls,
    bench_budgets): ids and counts so far, kept as JSON in its --state folder."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.file = directory / "state.json"
        self.data: dict[str, Any] = (
            json.loads(self.file.read_text()) if self.file.exists() else {}
        )

    def save(self) -> None:
        self.file.write_text(json.dumps(self.data))

    def env(self) -> dict[str, str]:
        env = server_env("postgres", self.dir)
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        return env


def emit(record: dict) -> None:
    """One figure: a JSON line on standard output."""
    print(json.dumps(record), flush=True)


def _call_command(target: str) -> list[str]:
    module, function = target.split(":")
    code = (
        "import django, json, sys; django.setup(); "
        f"from {module} import {function} as step; "
        "result = step(*json.load(sys.stdin)); print(json.dumps(result))"
    )
    return [PY, "-c", code]


def call(
    env: dict[str, str], target: str, *args: object, timeout: float | None = None
) -> Any:
    """Run `module:function(*args)` in a fresh Django process under `env` (as the
    server sees the database) and return what it returns; arguments and result go
    as JSON (arguments on standard input: lists of 100,000 ids fit)."""
    return call_many(env, target, [list(args)], timeout=timeout)[0]


def call_many(
    env: dict[str, str],
    target: str,
    arg_lists: list[list[object]],
    timeout: float | None = None,
) -> list[Any]:
    """`call` in parallel: one process per argument list, all started at once."""
    procs = []
    for args in arg_lists:
        proc = subprocess.Popen(
            _call_command(target),
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append((proc, json.dumps(args)))
    results = []
    for proc, payload in procs:
        out, err = proc.communicate(payload, timeout=timeout)
        if proc.returncode != 0:
            log(err[-4000:])
            raise SystemExit(f"bench step {target} failed")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def latency_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds of durations in seconds."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        if not ordered:
            return 0.0
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": at(1.0)}


@dataclass(frozen=True)
class FormPost:
    """A form a logged-in person sends: their session, a CSRF token that matches its
    cookie (as a browser that loaded the page has), the fields."""

    path: str
    session: str
    fields: dict[str, Any]

    def encode(self) -> tuple[str, dict[str, str]]:
        token = secrets.token_hex(16)
        body = urlencode({"csrfmiddlewaretoken": token, **self.fields}, doseq=True)
        return body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={self.session}; csrftoken={token}",
            "Host": "127.0.0.1",
        }


def post_forms(
    ports: list[int],
    posts: list[FormPost],
    *,
    workers: int = 16,
    ok: Callable[[int, bytes], bool] = lambda status, body: status < 400,
) -> dict[str, Any]:
    """Send `posts` in order from `workers` keep-alive connections spread over the
    servers on `ports`, as fast as they answer (a closed loop). Returns how many
    were `ok`, their rate, latency percentiles and the statuses."""
    jobs = list(reversed(posts))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    good = 0
    start = threading.Barrier(workers + 1)

    def worker(n: int) -> None:
        nonlocal good
        port = ports[n % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start.wait()
        while True:
            with lock:
                if not jobs:
                    break
                post = jobs.pop()
            body, headers = post.encode()
            began = time.perf_counter()
            try:
                conn.request("POST", post.path, body=body, headers=headers)
                response = conn.getresponse()
                status, text = response.status, response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, text = 599, b""
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                good += ok(status, text)
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "ok": good,
        "ok_per_s": round(good / wall, 1),
        "latency_ms": latency_ms(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "concurrency": workers,
        "seconds": round(wall, 1),
    }


def measure(
    scenario: Scenario, env: dict[str, str], path: str, args: argparse.Namespace
) -> dict:
    runs = []
    for _ in range(args.repeat):
        server = Server(env)
        try:
            # Warm up: import paths, template caches, database connections.
            wrk(server.url + path, 2, scenario.connections)
            result = wrk(server.url + path, args.duration, scenario.connections)
            result["peak_rss_mib"] = peak_rss_mib(server.proc.pid)
        finally:
            server.stop()
        runs.append(result)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    return {
        "requests_per_s": round(
            statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in runs), 1
        ),
        "latency_ms": {
            "p50": round(median("p50_us") / 1000, 2),
            "p95": round(median("p95_us") / 1000, 2),
            "p99": round(median("p99_us") / 1000, 2),
        },
        "errors": int(sum(r["errors"] for r in runs)),
        "requests": int(sum(r["requests"] for r in runs)),
        "server_peak_rss_mib": round(median("peak_rss_mib"), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--scenario", default="", help="comma-separated names")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        choices=["http", "scripts"],
        help="only the HTTP scenarios, or only the bench/bench_*.py scripts",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="the pages of issue 12, anonymous and signed in, interleaved with the "
        "bare view on one server; prints ratio_to_bare",
    )
    parser.add_argument(
        "--var-dir",
        default="",
        help="--pages: keep the data here (SQLite file; PostgreSQL kept in its "
        "database) so --prepare can load it once and later runs reuse it",
    )
    parser.add_argument(
        "--prepare", action="store_true", help="--pages: load the data, measure nothing"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--variants", default="anonymous,resident", help="--pages: who loads the pages"
    )
    args = parser.parse_args()
    if args.pages:
        run_pages(args)
        return
    if args.only != "scripts":
        run_http(args)
    if args.only != "http":
        run_scripts(args)


def run_scripts(args: argparse.Namespace) -> None:
    """Measurements that are not page loads (throughput, delivery, analysis) live in
    bench/bench_*.py scripts, each printing its own JSON lines; run them in turn."""
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        log(f"[script] {script.name} ...")
        result = subprocess.run(
            [PY, str(script), "--db", args.db], cwd=ROOT, stdout=sys.stdout
        )
        if result.returncode != 0:
            log(f"[script] {script.name} failed with exit code {result.returncode}")


def run_http(args: argparse.Namespace) -> None:

    wanted = {s for s in args.scenario.split(",") if s}
    scenarios = [s for s in SCENARIOS if not wanted or s.name in wanted]
    ensure_wrk()
    for db in [d for d in args.db.split(",") if d]:
        with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp:
            env = server_env(db, Path(tmp))
            if db == "postgres":
                reset_postgres()
            log(f"[{db}] migrating and collecting static files ...")
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput")
            for scenario in scenarios:
                log(f"[{db}] {scenario.name} ...")
                path = run_fixture(env, scenario.fixture)["path"]
                figures = measure(scenario, env, path, args)
                print(
                    json.dumps(
                        {
                            "scenario": scenario.name,
                            "db": db,
                            "path": path,
                            "description": scenario.description,
                            "server": "daphne, 1 process, production settings",
                            "load": f"wrk -t1 -c{scenario.connections} "
                            f"-d{args.duration}s, median of {args.repeat}",
                            **figures,
                        }
                    ),
                    flush=True,
                )


def run_pages(args: argparse.Namespace) -> None:
    """Each page scenario as an anonymous visitor and as a signed-in resident, and
    the bare view (/healthz), all on the same server process: --repeat rounds, each
    loading every case in turn for --duration seconds, so a change of the machine's
    load touches all cases alike. Figures are medians over rounds; ratio_to_bare is
    the median of each round's ratio to that round's bare view."""
    wanted = {s for s in args.scenario.split(",") if s}
    scenarios = [s for s in PAGE_SCENARIOS if not wanted or s.name in wanted]
    variants = [v for v in args.variants.split(",") if v]
    ensure_wrk()
    for db in [d for d in args.db.split(",") if d]:
        keep = Path(args.var_dir or tempfile.mkdtemp(prefix="agora-bench-")) / db
        keep.mkdir(parents=True, exist_ok=True)
        env = server_env(db, keep)
        ready = keep / "prepared.json"
        if args.prepare or not ready.exists():
            if db == "postgres":
                reset_postgres()
            log(f"[{db}] migrating, collecting static files, loading data ...")
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput")
            paths = {s.name: run_fixture(env, s.fixture)["path"] for s in scenarios}
            # Last: the fixtures' bulk loads leave the statistics fresh behind them.
            cookie = run_fixture(env, "bench_session")["cookie"]
            ready.write_text(json.dumps({"paths": paths, "cookie": cookie}))
        if args.prepare:
            continue
        prepared = json.loads(ready.read_text())
        cases = [("bare", "", "/healthz", "")]
        for s in scenarios:
            for variant in variants:
                cookie = prepared["cookie"] if variant == "resident" else ""
                cases.append((s.name, variant, prepared["paths"][s.name], cookie))
        server = Server(env)
        runs: dict[tuple[str, str], list[dict]] = {(c[0], c[1]): [] for c in cases}
        try:
            for _name, _variant, path, cookie in cases:  # warm every page and cache
                wrk(server.url + path, 1, args.connections, cookie)
            for round_no in range(args.repeat):
                log(f"[{db}] round {round_no + 1}/{args.repeat}: {os.getloadavg()}")
                for name, variant, path, cookie in cases:
                    result = wrk(
                        server.url + path, args.duration, args.connections, cookie
                    )
                    result["req_s"] = result["requests"] / (result["duration_us"] / 1e6)
                    runs[(name, variant)].append(result)
        finally:
            server.stop()
        bare = runs[("bare", "")]
        for name, variant, path, _cookie in cases:
            got = runs[(name, variant)]
            ratios = [r["req_s"] / b["req_s"] for r, b in zip(got, bare, strict=True)]
            print(
                json.dumps(
                    {
                        "scenario": f"{name}_{variant}" if variant else name,
                        "db": db,
                        "req_s": round(statistics.median(r["req_s"] for r in got), 1),
                        "p50_ms": round(
                            statistics.median(r["p50_us"] for r in got) / 1000, 2
                        ),
                        "p95_ms": round(
                            statistics.median(r["p95_us"] for r in got) / 1000, 2
                        ),
                        "ratio_to_bare": round(statistics.median(ratios), 3),
                        "path": path,
                        "errors": int(sum(r["errors"] for r in got)),
                        "rounds": len(got),
                        "load": f"wrk -t1 -c{args.connections} -d{args.duration}s, "
                        "daphne 1 process, production settings",
                        "loadavg_end": round(os.getloadavg()[0], 2),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
