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
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scenarios import SCENARIOS, Scenario  # noqa: E402

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


def wrk(url: str, duration: int, connections: int) -> dict:
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
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
