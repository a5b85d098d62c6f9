"""Participatory budgets at Madrid's scale: ballots cast over HTTP and results counted.

    python bench/bench_budgets.py [--http 10000] [--total 100000] [--projects 300] [--processes 4]
                                  [--workers 16] [--count-ballots 100000] [--pabutools-sample 2000]

PostgreSQL only (BENCH_POSTGRES_URL, dropped and created anew). Prints JSON lines:

* budget_ballots_http: a real Daphne (production settings) on loopback; --http
  verified residents with sessions each cast one knapsack ballot (POST with CSRF)
  through the real view, from --workers concurrent connections: ballots per second,
  latency percentiles, statuses.
* budget_ballots_action: the rest up to --total cast through the same actions the
  view calls (check_cast_ballot + do_cast_ballot), in this machine's one process.
* budget_integrity: voter roll = counted ballots = box count = --total, 0 lost.
* budget_count: both rules on the --total approval ballots over --projects
  projects, read from polls' ballot box: seconds per rule and the counting
  process's peak memory; and pabutools' own greedy and Equal Shares on a sample of
  the same ballots, for comparison.
"""

from __future__ import annotations

import argparse
import http.client
import json
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

# The same ballots wherever they are cast: voter i's choice depends only on i.
CHOICE = """
import random
def choice(i, projects, total):
    rng = random.Random(i)
    k = rng.randint(1, 12)
    weights = [1 / (j + 1) ** 0.8 for j in range(len(projects))]
    picked = {}
    for j in rng.choices(range(len(projects)), weights=weights, k=k):
        picked[projects[j][0]] = projects[j][1]
    out, spent = [], 0
    for pk, cost in picked.items():
        if spent + cost <= total:
            out.append(str(pk)); spent += cost
    return out
"""

SETUP = """
import django, json, sys, random
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User, Verification
from budgets.actions import do_change_phase
from budgets.models import BudgetPage, Feasibility, Project
from home.demo import seed_home
n_total, n_http, n_projects = (int(a) for a in sys.argv[1:4])
home, _ = seed_home()
budget = home.add_child(instance=BudgetPage(
    title="Bench budget", slug="bench-budget", total=5_000_000, currency="EUR",
    verified_only=True, counts_public=True))
rng = random.Random(5)
Project.objects.bulk_create([
    Project(budget=budget, title=f"Project {i}", cost=rng.randrange(5, 200) * 1000,
            feasibility=Feasibility.FEASIBLE, external_id=str(i))
    for i in range(1, n_projects + 1)])
people = User.objects.bulk_create(
    [User(email=f"v{i}@bench.test", display_name=f"V{i}") for i in range(n_total)],
    batch_size=5000)
Verification.objects.bulk_create(
    [Verification(user=u, method="desk", note="bench") for u in people], batch_size=5000)
planner = User.objects.create_superuser(email="boss@bench.test", password=None)
do_change_phase(planner, BudgetPage.objects.get(pk=budget.pk), "voting")
keys = []
for user in people[:n_http]:
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    keys.append(s.session_key)
projects = list(Project.objects.filter(budget=budget).order_by("pk").values_list("pk", "cost"))
print(json.dumps({"budget": budget.pk, "sessions": keys, "projects": projects,
                  "people": [u.pk for u in people]}))
"""

ACTION = (
    CHOICE
    + """
import django, json, sys, time
django.setup()
from accounts.models import User
from budgets.actions import check_cast_ballot, do_cast_ballot
from budgets.models import BudgetPage
data = json.load(open(sys.argv[1]))
start, stop = int(sys.argv[2]), int(sys.argv[3])
budget = BudgetPage.objects.get(pk=data["budget"])
users = User.objects.in_bulk(data["people"][start:stop])
t = time.perf_counter()
for i in range(start, stop):
    user = users[data["people"][i]]
    chosen = check_cast_ballot(user, budget, {"project": choice(i, data["projects"], 5_000_000)})
    do_cast_ballot(user, budget, chosen)
print(json.dumps({"ballots": stop - start, "seconds": time.perf_counter() - t}))
"""
)

INTEGRITY = """
import django, json, sys
django.setup()
from polls.models import Ballot, BallotBox, VoterRollEntry
from polls.ballots import counted_ballots, verify_box
box = BallotBox.objects.get(key=f"budget.{sys.argv[1]}")
check = verify_box(box)
print(json.dumps({"roll": VoterRollEntry.objects.filter(box=box).count(),
                  "ballot_rows": Ballot.objects.filter(box=box).count(),
                  "counted": sum(1 for _ in counted_ballots(box)),
                  "box_count": box.ballot_count, "chain_ok": check.ok}))
"""

COUNT = (
    CHOICE
    + """
import django, json, resource, sys, time
django.setup()
from budgets import counting
from budgets.ballots import ballots_for
from budgets.models import BudgetPage, Project
budget = BudgetPage.objects.get(pk=int(sys.argv[1]))
rule, n = sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
in_box = ballots_for(budget)
read_s = time.perf_counter() - t
rows = list(Project.objects.filter(budget=budget).order_by("pk").values_list("pk", "cost", "external_id"))
key = {pk: ext for pk, _c, ext in rows}
pairs = [(pk, cost) for pk, cost, _e in rows]
# The ballots in the box, then more from the same generator up to n.
ballots = list(in_box) + [
    frozenset(key[int(pk)] for pk in choice(i, pairs, 5_000_000))
    for i in range(len(in_box), n)
]
projects = [counting.Item(ext, cost) for _pk, cost, ext in rows]
election = counting.Election(budget.total, projects, ballots)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
outcome = counting.count(election, rule)
count_s = time.perf_counter() - t
print(json.dumps({"rule": rule, "ballots": len(ballots), "from_the_box": len(in_box),
                  "read_box_s": round(read_s, 2),
                  "count_s": round(count_s, 2), "funded": len(outcome.funded),
                  "spent": outcome.spent,
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "rss_before_count_mib": round(base, 1)}))
"""
)

PABUTOOLS = (
    CHOICE
    + """
import django, json, resource, sys, time
django.setup()
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project as P
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from budgets import counting
from budgets.ballots import ballots_for
from budgets.models import BudgetPage, Project
budget = BudgetPage.objects.get(pk=int(sys.argv[1]))
sample = int(sys.argv[2])
rows = list(Project.objects.filter(budget=budget).order_by("pk").values_list("pk", "cost", "external_id"))
key = {pk: ext for pk, _c, ext in rows}
pairs = [(pk, cost) for pk, cost, _e in rows]
ballots = [frozenset(key[int(pk)] for pk in choice(i, pairs, 5_000_000)) for i in range(sample)]
items = [counting.Item(ext, cost) for _pk, cost, ext in rows]
inst = Instance(budget_limit=budget.total)
ps = {i.key: P(i.key, i.cost) for i in items}
for p in ps.values():
    inst.add(p)
profile = ApprovalProfile([ApprovalBallot({ps[k] for k in b}) for b in ballots], instance=inst)
multi = profile.as_multiprofile()
out = {"ballots": len(ballots), "distinct_ballots": len(multi)}
t = time.perf_counter(); g = greedy_utilitarian_welfare(inst, profile, sat_class=Cost_Sat)
out["pabutools_greedy_s"] = round(time.perf_counter() - t, 2)
t = time.perf_counter()
m = method_of_equal_shares(inst, multi, sat_class=Cost_Sat, voter_budget_increment=1)
out["pabutools_mes_add1_s"] = round(time.perf_counter() - t, 2)
e = counting.Election(budget.total, items, ballots)
t = time.perf_counter(); ours = counting.equal_shares(e)
out["agora_mes_add1_s"] = round(time.perf_counter() - t, 2)
t = time.perf_counter(); og = counting.greedy(e)
out["agora_greedy_s"] = round(time.perf_counter() - t, 2)
out["same_winners_mes"] = set(ours.funded) == {p.name for p in m}
out["same_winners_greedy"] = set(og.funded) == {p.name for p in g}
print(json.dumps(out))
"""
)


def _django(
    env: dict[str, str], code: str, *args: str, timeout: int | None = None
) -> dict:
    result = subprocess.run(
        [PY, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        log(result.stderr[-3000:])
        raise SystemExit("bench step failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cast_over_http(server: Server, setup: dict, workers: int) -> dict:
    namespace: dict = {}
    exec(CHOICE, namespace)  # noqa: S102 - our own constant, shared with the action step
    choice = namespace["choice"]
    jobs = list(enumerate(setup["sessions"]))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    barrier = threading.Barrier(workers)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        barrier.wait()
        while True:
            with lock:
                if not jobs:
                    break
                i, key = jobs.pop()
            token = "b" * 32
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "project": choice(i, setup["projects"], 5_000_000),
                },
                doseq=True,
            )
            started = time.perf_counter()
            conn.request(
                "POST",
                f"/budgets/{setup['budget']}/ballot/",
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
    return {
        "bench": "budget_ballots_http",
        "db": "postgres",
        "server": "daphne, 1 process, production settings",
        "ballots": len(latencies),
        "concurrency": workers,
        "ballots_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
        },
        "statuses": statuses,
        "seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--pabutools-sample", type=int, default=2_000)
    parser.add_argument("--count-ballots", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agora-bench-budgets-") as tmp:
        env = server_env("postgres", Path(tmp))
        env["CONN_MAX_AGE"] = "0"
        reset_postgres()
        log("[budgets] migrate ...")
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        log(f"[budgets] {args.total} verified voters, {args.projects} projects ...")
        setup = _django(env, SETUP, str(args.total), str(args.http), str(args.projects))
        data_file = Path(tmp) / "setup.json"
        data_file.write_text(json.dumps(setup))
        log(f"[budgets] {args.http} ballots over HTTP ...")
        server = Server(env)
        try:
            print(json.dumps(cast_over_http(server, setup, args.workers)), flush=True)
        finally:
            server.stop()
        rest = args.total - args.http
        if rest > 0:
            log(f"[budgets] {rest} ballots through the same actions ...")
            # Several processes, as several Daphne workers would: the box's row lock
            # still admits one ballot at a time.
            bounds = [
                args.http + rest * k // args.processes
                for k in range(args.processes + 1)
            ]
            started = time.perf_counter()
            procs = [
                subprocess.Popen(
                    [PY, "-c", ACTION, str(data_file), str(a), str(b)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for a, b in zip(bounds, bounds[1:], strict=False)
            ]
            for proc in procs:
                out, err = proc.communicate()
                if proc.returncode != 0:
                    log(err[-3000:])
                    raise SystemExit("bench step failed")
            done = {"ballots": rest, "seconds": time.perf_counter() - started}
            print(
                json.dumps(
                    {
                        "bench": "budget_ballots_action",
                        "db": "postgres",
                        "ballots": done["ballots"],
                        "ballots_per_s": round(done["ballots"] / done["seconds"], 1),
                        "seconds": round(done["seconds"], 1),
                        "processes": args.processes,
                        "why": "all of them over HTTP would take longer than 20 minutes here",
                    }
                ),
                flush=True,
            )
        check = _django(env, INTEGRITY, str(setup["budget"]))
        check.update(
            bench="budget_integrity",
            expected=args.total,
            lost=args.total - check["counted"],
            double=check["ballot_rows"] - check["counted"],
        )
        print(json.dumps(check), flush=True)
        for rule in ("greedy", "equalshares/add1"):
            log(f"[budgets] counting {rule} ...")
            out = _django(
                env, COUNT, str(setup["budget"]), rule, str(args.count_ballots)
            )
            out.update(bench="budget_count", projects=args.projects)
            print(json.dumps(out), flush=True)
        log(f"[budgets] pabutools on {args.pabutools_sample} of the ballots ...")
        try:
            out = _django(
                env,
                PABUTOOLS,
                str(setup["budget"]),
                str(args.pabutools_sample),
                timeout=600,
            )
        except subprocess.TimeoutExpired:
            out = {"pabutools_mes_add1_s": "did not finish within 600 s"}
        out.update(bench="budget_count_pabutools", projects=args.projects)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
