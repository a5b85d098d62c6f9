"""Report campaigns (Our City / 311): filing over HTTP and "reports near me".

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/agora_<you> \\
    python bench/bench_reports.py [--db postgres] [--seconds 20] [--burst 10]
                                  [--spike 50] [--servers daphne:1,granian-wsgi:2]
                                  [--reports 100000] [--queries 500] [--only filing|near]

* report_filing: each server of --servers (bench.run.Server: Daphne, or the
  production layout's HTTP workers, production settings, loopback). Residents with
  sessions file reports through the propose form (multipart: title, text, category,
  lat/lon, address and a 640x480 JPEG with EXIF/GPS that is re-encoded), so each
  request runs routing to a department, the working-day deadline, moderation
  screening, the idea's threads, notifications to the department's staff and live
  events. Arrivals come in bursts of `--burst` per second (Moscow's 2,000 a day
  peak at about 10/s) for `--seconds`; then a spike of `--spike` at once; then the
  same number as the bursts again as fast as 8 concurrent clients go, to show the
  headroom. Prints rates, latency p50/p95/p99 and statuses (errors: anything but
  the 302 of a filed report), and checks every 302 left one routed Report with its
  staff notifications. Rate limits are off in the bench servers (bench.run), as
  one address filing hundreds of reports is what they refuse.
* reports_near: `--reports` located reports (bulk-inserted) in a 20 x 20 km city;
  `--queries` "near me" searches (500 m) at random points through
  ideas.queries.reports_near (the SQL box on the (campaign, lat, lon) index, then
  exact distance); prints p50/p95 in ms, rows returned, and EXPLAIN ANALYZE of one
  query, which names the index.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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

CENTRE = (55.7558, 37.6173)

SETUP = """
import django, json, sys
django.setup()
from datetime import timedelta
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from accounts.models import User
from home.demo import seed_home
from ideas.models import (CampaignIndexPage, CampaignPage, CategoryRoute, Department,
                          Phase)
n = int(sys.argv[1])
home, _ = seed_home()
index = home.add_child(instance=CampaignIndexPage(title="Campaigns", slug="campaigns"))
campaign = index.add_child(instance=CampaignPage(
    title="Our City", slug="our-city", question="?", kind="reports",
    location_asked=True, answer_working_days=8))
campaign.categories.add("Roads", "Lighting", "Waste")
campaign.save_revision().publish()
now = timezone.now()
Phase.objects.create(campaign=campaign, kind="collecting",
                     start=now - timedelta(days=1), end=now + timedelta(days=30))
categories = []
for name in ("Roads", "Lighting", "Waste"):
    group = Group.objects.create(name=f"{name} staff")
    staff = User.objects.bulk_create([
        User(email=f"{name.lower()}{i}@bench.test", display_name=f"{name} {i}")
        for i in range(3)])
    group.user_set.add(*staff)
    dept = Department.objects.create(name=name, staff_group=group, lead=staff[0])
    tag = campaign.categories.get(name=name)
    CategoryRoute.objects.create(campaign=campaign, category=tag, department=dept)
    categories.append(tag.pk)
people = User.objects.bulk_create([
    User(email=f"r{i}@bench.test", display_name=f"R{i}") for i in range(n)])
keys = []
for user in people:
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    keys.append(s.session_key)
print(json.dumps({"campaign": campaign.pk, "categories": categories, "sessions": keys}))
"""

CHECK = """
import django, json, sys
django.setup()
from ideas.models import Idea, Report
from accounts.models import Notification
print(json.dumps({
    "ideas": Idea.objects.count(),
    "reports": Report.objects.count(),
    "routed": Report.objects.filter(department__isnull=False).count(),
    "notifications": Notification.objects.filter(kind="report.filed").count(),
}))
"""

NEAR = """
import django, json, random, statistics, sys, time
django.setup()
from datetime import timedelta
from django.db import connection
from django.utils import timezone
from ideas.models import CampaignPage, Idea, Report
from ideas.queries import NEAR_CANDIDATES, near_queryset, reports_near
n, queries = int(sys.argv[1]), int(sys.argv[2])
lat0, lon0 = 55.7558, 37.6173
campaign = CampaignPage.objects.get(slug="our-city")
rng = random.Random(5)
now = timezone.now()
have = Report.objects.filter(campaign=campaign).count()
batch = 5000
while have < n:
    k = min(batch, n - have)
    points = [(lat0 + rng.uniform(-0.09, 0.09), lon0 + rng.uniform(-0.16, 0.16))
              for _ in range(k)]
    ideas = Idea.objects.bulk_create([
        Idea(campaign=campaign, title=f"Report {have + i}", description="x",
             lat=lat, lon=lon, created_at=now - timedelta(minutes=have + i))
        for i, (lat, lon) in enumerate(points)])
    Report.objects.bulk_create([
        Report(idea=idea, campaign=campaign, lat=idea.lat, lon=idea.lon,
               filed_at=idea.created_at, due_at=idea.created_at + timedelta(days=10))
        for idea in ideas])
    have += k
with connection.cursor() as c:
    if connection.vendor == "postgresql":
        c.execute("ANALYZE ideas_report")
        c.execute("ANALYZE ideas_idea")
points = [(lat0 + rng.uniform(-0.08, 0.08), lon0 + rng.uniform(-0.15, 0.15))
          for _ in range(queries)]
reports_near(campaign.pk, *points[0], 500)  # warm up
times, rows = [], []
for lat, lon in points:
    t = time.perf_counter()
    found = reports_near(campaign.pk, lat, lon, 500)
    times.append((time.perf_counter() - t) * 1000)
    rows.append(len(found))
times.sort()
qs = near_queryset(campaign.pk, lat0, lon0, 500)
options = {"analyze": True} if connection.vendor == "postgresql" else {}
plan = qs.values_list("idea_id", "lat", "lon")[:NEAR_CANDIDATES].explain(**options)
print(json.dumps({
    "reports": Report.objects.filter(campaign=campaign).count(),
    "p50": statistics.median(times), "p95": times[int(0.95 * len(times)) - 1],
    "p99": times[int(0.99 * len(times)) - 1],
    "mean_found": statistics.mean(rows), "max_found": max(rows),
    "plan": plan, "uses_index": "report_near_idx" in plan,
}))
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


def photo_bytes() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (640, 480), (120, 110, 90))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 20.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = "----agora" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            'filename="street.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Filer:
    """Files one report per session over a keep-alive connection per thread."""

    def __init__(self, port: int, setup: dict, photo: bytes) -> None:
        self.port = port
        self.setup = setup
        self.photo = photo
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.n = 0
        self.local = threading.local()

    def file(self, key: str) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=120
            )
        with self.lock:
            self.n += 1
            n = self.n
        token = secrets.token_hex(16)
        cats = self.setup["categories"]
        body, ctype = multipart(
            {
                "csrfmiddlewaretoken": token,
                "title": f"Broken thing number {n} on street {n % 97}",
                "description": f"Report {n}: it has been like this for a week.",
                "categories": str(cats[n % len(cats)]),
                "lat": f"{CENTRE[0] + (n % 50) * 0.001:.6f}",
                "lon": f"{CENTRE[1] + (n % 70) * 0.001:.6f}",
                "address": f"Street {n % 97}, {n % 30 + 1}",
            },
            self.photo,
        )
        started = time.perf_counter()
        conn.request(
            "POST",
            f"/ideas/campaign/{self.setup['campaign']}/propose/",
            body=body,
            headers={
                "Content-Type": ctype,
                "Cookie": f"sessionid={key}; csrftoken={token}",
                "Host": "127.0.0.1",
            },
        )
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1

    def summary(self, wall: float) -> dict:
        lat = self.latencies
        return {
            "req_s": round(len(lat) / wall, 2),
            "p50_ms": round(statistics.median(lat), 1),
            "p95_ms": round(percentile(lat, 0.95), 1),
            "ratio_to_bare": None,
            "errors": sum(n for status, n in self.statuses.items() if status != 302),
            "requests": len(lat),
            "wall_s": round(wall, 2),
            "reports_per_s": round(len(lat) / wall, 2),
            "latency_ms": {
                "p50": round(statistics.median(lat), 1),
                "p95": round(percentile(lat, 0.95), 1),
                "p99": round(percentile(lat, 0.99), 1),
            },
            "statuses": self.statuses,
        }


def report_filing(
    db: str, seconds: int, burst: int, spike: int, servers: list[tuple[str, int]]
) -> tuple[list[dict], dict[str, str]]:
    tmp = tempfile.mkdtemp(prefix="agora-bench-reports-")
    env = server_env(db, Path(tmp))
    if db == "postgres":
        reset_postgres()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    # Sessions for the bursts, the spike, the fast run and each worker's warm-up.
    needed = sum(2 * seconds * burst + spike + 2 * workers for _, workers in servers)
    setup = _django(env, SETUP, str(needed))
    photo = photo_bytes()
    keys = list(setup["sessions"])
    results: list[dict] = []
    with bench_lock():
        for kind, workers in servers:
            label = f"{kind} x{workers}, production settings"
            server = Server(env, kind, workers, start_timeout=180)
            try:
                # Warm up every worker: imports, templates, pooled connections.
                warm = Filer(server.port, setup, photo)
                for _ in range(2 * workers):
                    warm.file(keys.pop())
                results.append(
                    {"scenario": "report_filing_bursts", "server": label,
                     "arrivals": f"{burst} at once every second for {seconds} s",
                     **arrivals(server.port, setup, photo, keys, seconds, burst)}
                )  # fmt: skip
                results.append(
                    {"scenario": "report_filing_spike", "server": label,
                     "arrivals": f"{spike} at once",
                     **arrivals(server.port, setup, photo, keys, 1, spike)}
                )  # fmt: skip
                results.append(
                    {"scenario": "report_filing_max", "server": label, "concurrency": 8,
                     **as_fast_as(server.port, setup, photo, keys, seconds * burst)}
                )  # fmt: skip
            finally:
                server.stop()
    check = _django(env, CHECK)
    filed = sum(r["statuses"].get(302, 0) for r in results) + sum(
        2 * workers for _, workers in servers
    )
    for result in results:
        result.update(
            db=db,
            photo_bytes=len(photo),
            reports_stored=check["reports"],
            all_302_routed=check["routed"] == check["reports"] == filed,
            staff_notifications=check["notifications"],
            load_avg=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
        )
    return results, env


def arrivals(
    port: int, setup: dict, photo: bytes, keys: list[str], seconds: int, burst: int
) -> dict:
    """`burst` reports start together at the top of every second."""
    filer = Filer(port, setup, photo)
    started = time.perf_counter()
    pending: list[threading.Thread] = []
    for second in range(seconds):
        delay = started + second - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        for _ in range(burst):
            t = threading.Thread(target=filer.file, args=(keys.pop(),))
            t.start()
            pending.append(t)
    for t in pending:
        t.join()
    return filer.summary(time.perf_counter() - started)


def as_fast_as(
    port: int, setup: dict, photo: bytes, keys: list[str], count: int
) -> dict:
    """`count` reports, 8 clients as fast as they go: the headroom."""
    filer = Filer(port, setup, photo)
    mine = [keys.pop() for _ in range(count)]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not mine:
                    return
                key = mine.pop()
            filer.file(key)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return filer.summary(time.perf_counter() - started)


def reports_near(env: dict[str, str], n: int, queries: int) -> dict:
    data = _django(env, NEAR, str(n), str(queries))
    return {
        "scenario": "reports_near",
        "db": "postgres" if "DATABASE_URL" in env else "sqlite",
        "req_s": None,
        "p50_ms": round(data["p50"], 2),
        "p95_ms": round(data["p95"], 2),
        "ratio_to_bare": None,
        "reports": data["reports"],
        "radius_m": 500,
        "queries": queries,
        "latency_ms": {
            "p50": round(data["p50"], 2),
            "p95": round(data["p95"], 2),
            "p99": round(data["p99"], 2),
        },
        "found_mean": round(data["mean_found"], 1),
        "found_max": data["max_found"],
        "index": "report_near_idx (campaign_id, lat, lon): bounding box, then haversine",
        "uses_index": data["uses_index"],
        "plan": data["plan"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--spike", type=int, default=50)
    parser.add_argument("--servers", default="daphne:1,granian-wsgi:2")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--only", choices=["filing", "near"])
    args = parser.parse_args()
    servers = [
        (spec.split(":")[0], int(spec.split(":")[1]))
        for spec in args.servers.split(",")
    ]
    for db in [d for d in args.db.split(",") if d]:
        env: dict[str, str] | None = None
        if args.only != "near":
            log(f"[reports] filing over HTTP on {db} ...")
            results, env = report_filing(
                db, args.seconds, args.burst, args.spike, servers
            )
            for result in results:
                print(json.dumps(result), flush=True)
        if args.only != "filing":
            if env is None:
                env = server_env(db, Path(tempfile.mkdtemp(prefix="agora-bench-")))
                if db == "postgres":
                    reset_postgres()
                manage(env, "migrate", "--noinput")
                _django(env, SETUP, "1")
            log(f"[reports] near me at {args.reports} reports on {db} ...")
            print(json.dumps(reports_near(env, args.reports, args.queries)), flush=True)


if __name__ == "__main__":
    main()
