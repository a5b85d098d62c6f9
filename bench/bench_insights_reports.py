"""Insight reports end to end: the full report task on a campaign of many ideas.

    python bench/bench_insights_reports.py [--db sqlite,postgres] [--sizes 10000]
                                           [--data ../shared/data]

For each database and size, in a fresh database (SQLite file, or the PostgreSQL
database named by BENCH_POSTGRES_URL, default agora_insights_bench): a campaign
with N published ideas (synthetic ideas made of real sentences, as in
bench_insights.py; a quarter located), then in one worker process:

* report_task: run_insight_report (read ideas, pipeline, comparison, storing
  results, clusters and N assignments, progress events): seconds, peak RSS;
* report_page: the planner's report page rendered by the test client (ms, queries);
* csv_export: the one-row-per-idea CSV streamed in full (ms);
* assign_new_idea: one new idea placed by the stored model (ms; first call also
  loads the model from the database).

Prints one JSON object per line. Figures are medians where repeated.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/agora_insights_bench"
)

from bench.run import PY, log, manage, reset_postgres, server_env  # noqa: E402

WORKER = r"""
import json, os, resource, statistics, sys, time
from pathlib import Path
import django
django.setup()
from datetime import timedelta
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from accounts.models import User
from accounts.roles import Role
from home.demo import seed_home
from ideas.models import CampaignIndexPage, CampaignPage, Idea, Phase
from insights import actions
from insights.models import InsightReport
from insights.tasks import run_insight_report
sys.path.insert(0, "bench")
from bench_insights import synthetic_ideas

n, db, data = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
home, _ = seed_home()
index = home.add_child(instance=CampaignIndexPage(title="Campaigns", slug="campaigns"))
campaign = index.add_child(instance=CampaignPage(
    title="Bench", slug="bench", question="What should the city do?"))
now = timezone.now()
Phase.objects.create(campaign=campaign, kind="collecting",
                     start=now - timedelta(days=60), end=now + timedelta(days=30))
authors = User.objects.bulk_create(
    [User(email=f"r{i}@bench.example", display_name=f"R{i}", password="!")
     for i in range(n // 3 + 1)], batch_size=1000)
authors = list(User.objects.filter(email__endswith="@bench.example").order_by("pk"))
docs = synthetic_ideas(data, n)
ideas = []
for i, d in enumerate(docs):
    title, _, rest = d.text.partition(". ")
    ideas.append(Idea(
        campaign=campaign, title=title[:150], description=(rest or d.text)[:5000],
        author=authors[int(d.author_id[1:]) % len(authors)],
        support_count=d.supports,
        created_at=now - timedelta(days=(i * 7) % 60, minutes=i),
        lat=52.5 + (i % 97) / 1000 if i % 4 == 0 else None,
        lon=13.4 + (i % 89) / 1000 if i % 4 == 0 else None,
    ))
Idea.objects.bulk_create(ideas, batch_size=2000)
planner = User.objects.create_user("planner@bench.example", "x", display_name="P")
from accounts.actions import do_grant_role
do_grant_role(planner, Role.PLANNER)

rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
report = actions.do_start_analysis(planner, campaign)
t = time.perf_counter()
status = run_insight_report.call(report.pk)
task_secs = time.perf_counter() - t
rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
report.refresh_from_db()
print(json.dumps({"bench": "insights_reports", "scenario": "report_task", "db": db,
    "ideas": n, "status": status, "seconds": round(task_secs, 2),
    "pipeline_timings": report.results.get("timings"),
    "clusters": report.n_clusters, "peak_rss_mib": round(rss_peak, 1),
    "rss_before_mib": round(rss_before, 1),
    "results_json_kib": round(len(json.dumps(report.results)) / 1024, 1),
    "model_kib": round(len(bytes(report.model or b"")) / 1024, 1)}), flush=True)

client = Client(HTTP_HOST="localhost", secure=True)
client.force_login(planner)
url = report.get_absolute_url()
times, queries = [], 0
for _ in range(5):
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
    queries = len(ctx.captured_queries)
assert response.status_code == 200
print(json.dumps({"bench": "insights_reports", "scenario": "report_page", "db": db,
    "ideas": n, "median_ms": round(statistics.median(times) * 1000, 1),
    "queries": queries, "kib": round(len(response.content) / 1024, 1)}), flush=True)

t = time.perf_counter()
response = client.get(url.rstrip("/") + "/ideas.csv")
rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
print(json.dumps({"bench": "insights_reports", "scenario": "csv_export", "db": db,
    "ideas": n, "rows": rows, "ms": round((time.perf_counter() - t) * 1000, 1)}),
    flush=True)

times = []
for i in range(6):
    Idea.objects.bulk_create([Idea(campaign=campaign, author=planner,
        title=f"New idea {i}", description=docs[i * 13].text[:400])])
    t = time.perf_counter()
    placed = actions.do_assign_new_ideas(campaign.pk)
    times.append(time.perf_counter() - t)
    assert placed == 1, placed
print(json.dumps({"bench": "insights_reports", "scenario": "assign_new_idea", "db": db,
    "ideas": n, "first_call_ms": round(times[0] * 1000, 1),
    "median_ms": round(statistics.median(times[1:]) * 1000, 1)}), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / "polis").is_dir():
        data = Path("/work/shared/data")
    for db in args.db.split(","):
        for n in [int(s) for s in args.sizes.split(",")]:
            with tempfile.TemporaryDirectory(prefix="agora-bench-insights-") as tmp:
                env = server_env(db, Path(tmp))
                if db == "postgres":
                    reset_postgres()
                log(f"[insights_reports] {db} {n} ideas: migrate and load ...")
                manage(env, "migrate", "--no-input", "-v0")
                manage(env, "collectstatic", "--no-input", "-v0")
                result = subprocess.run(
                    [PY, "-c", WORKER, str(n), db, str(data)],
                    cwd=ROOT,
                    env=env,
                    stdout=sys.stdout,
                )
                if result.returncode:
                    log(f"[insights_reports] {db} {n} failed ({result.returncode})")


if __name__ == "__main__":
    main()
