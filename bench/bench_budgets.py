"""Participatory budgets at Madrid's scale: ballots cast over HTTP, integrity, both
counting rules at 100,000 ballots, the results page. Prints one JSON object per figure.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/agora_budgets \\
        python bench/bench_budgets.py [--part all] [--total 100000] [--http 10000]
            [--projects 300] [--processes 1] [--workers 16] [--action-processes 2]
            [--pabutools-sample 2000] [--state DIR]

PostgreSQL only. Servers, Django steps and load come from bench.run's harness
(`Server`, `call`, `post_forms`, `emit`); `--part` runs one step, so that no timed
command holds the machine's bench lock for long (the steps share the database and
`--state`):

1. `setup` (untimed): a fresh database; `--total` verified residents; a knapsack
   budget of 5,000,000 EUR over `--projects` feasible projects, in its voting phase;
   `--http` sessions.
2. `http`: `--http` residents (real sessions, CSRF cookie + token) POST a knapsack
   ballot to /budgets/<id>/ballot/ on Daphne (production settings) over
   `--processes` processes; one in 20 submits twice at the same moment (one of the
   two must be refused). `budget_ballots_http`: ballots/s, latency, statuses.
3. `action [--count N]`: the next N (default: all remaining) through the actions
   the view calls (check_cast_ballot + do_cast_ballot), in `--action-processes`
   processes (the issue allows this when HTTP for all would take > 20 minutes).
4. `check`: `budget_integrity`: voter roll = counted ballots = box count = running
   total of the tally = receipts issued = voters, lost, double, chain verified.
5. `count`: both rules on the ballots in the box (`budget_count`: seconds and the
   counting process's peak memory), pabutools' greedy and Equal Shares on the first
   `--pabutools-sample` ballots against Agora's (same winners?).
6. `results`: publishing the results (close the box, publish its log, count both
   rules on the box's ballots, store every explanation) and the results page over
   HTTP (`budget_results`).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
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

TOTAL = 5_000_000
START_TIMEOUT = 300


def choice(i: int, projects: list[list[int]], total: int = TOTAL) -> list[str]:
    """Voter i's knapsack ballot, the same wherever it is cast: 1 to 12 projects,
    popular ones likelier, kept within the money."""
    rng = random.Random(i)
    weights = [1 / (j + 1) ** 0.8 for j in range(len(projects))]
    picked: dict[int, int] = {}
    for j in rng.choices(range(len(projects)), weights=weights, k=rng.randint(1, 12)):
        picked[projects[j][0]] = projects[j][1]
    out, spent = [], 0
    for pk, cost in picked.items():
        if spent + cost <= total:
            out.append(str(pk))
            spent += cost
    return out


# --- steps run inside Django (bench.run.call) ----------------------------------------


def make_budget_and_voters(n_total: int, n_http: int, n_projects: int) -> dict:
    from django.core.management import call_command

    from accounts.models import User, Verification
    from bench.fixtures import signed_in_sessions
    from budgets.actions import do_change_phase
    from budgets.models import BudgetPage, Feasibility, Project
    from home.demo import seed_home

    home, _ = seed_home()
    budget = home.add_child(
        instance=BudgetPage(
            title="Bench budget",
            slug="bench-budget",
            total=TOTAL,
            currency="EUR",
            verified_only=True,
            counts_public=True,
        )
    )
    rng = random.Random(5)
    Project.objects.bulk_create(
        [
            Project(
                budget=budget,
                title=f"Project {i}",
                cost=rng.randrange(5, 200) * 1000,
                feasibility=Feasibility.FEASIBLE,
                external_id=str(i),
            )
            for i in range(1, n_projects + 1)
        ]
    )
    people = User.objects.bulk_create(
        [
            User(email=f"v{i}@bench.test", display_name=f"V{i}", password="!")
            for i in range(n_total)
        ],
        batch_size=5000,
    )
    Verification.objects.bulk_create(
        [Verification(user=u, method="desk", note="bench") for u in people],
        batch_size=5000,
    )
    planner = User.objects.create_superuser(email="boss@bench.test", password=None)
    do_change_phase(planner, BudgetPage.objects.get(pk=budget.pk), "voting")
    ids = [u.pk for u in people]
    sessions = signed_in_sessions(ids[:n_http])
    call_command("refresh_db_statistics")
    projects = Project.objects.filter(budget=budget).order_by("pk")
    return {
        "budget": budget.pk,
        "projects": [list(p) for p in projects.values_list("pk", "cost")],
        "http": [[uid, key] for uid, key in zip(ids, sessions, strict=False)],
        "rest": ids[n_http:],
    }


def cast_through_action(budget_id: int, projects: list, ids: list[int]) -> dict:
    from accounts.models import User
    from budgets.actions import check_cast_ballot, do_cast_ballot
    from budgets.models import BudgetPage

    budget = BudgetPage.objects.get(pk=budget_id)
    users = User.objects.in_bulk(ids)
    took = []
    for uid in ids:
        began = time.perf_counter()
        user = users[uid]
        chosen = check_cast_ballot(user, budget, {"project": choice(uid, projects)})
        do_cast_ballot(user, budget, chosen)
        took.append(time.perf_counter() - began)
    return {"receipts": len(ids), "took": took}


def integrity(budget_id: int) -> dict:
    from polls.ballots import counted_ballots, verify_box
    from polls.models import Ballot, BallotBox, VoterRollEntry

    box = BallotBox.objects.get(key=f"budget.{budget_id}")
    began = time.perf_counter()
    check = verify_box(box)
    verify_s = time.perf_counter() - began
    counted = list(counted_ballots(box))
    tally: dict[str, int] = {}
    for ballot in counted:
        for key in ballot.choices.get("projects", []):
            tally[key] = tally.get(key, 0) + 1
    return {
        "roll": VoterRollEntry.objects.filter(box=box).count(),
        "distinct_voters": VoterRollEntry.objects.values("voter_key")
        .filter(box=box)
        .distinct()
        .count(),
        "ballot_rows": Ballot.objects.filter(box=box).count(),
        "counted": len(counted),
        "box_count": box.ballot_count,
        "running_counts_equal_recount": tally == box.counts,
        "chain_ok": check.ok,
        "verify_s": round(verify_s, 2),
    }


def count_rule(budget_id: int, rule: str) -> dict:
    import resource

    from budgets import counting
    from budgets.ballots import ballots_for
    from budgets.models import BudgetPage, Project

    budget = BudgetPage.objects.get(pk=budget_id)
    began = time.perf_counter()
    ballots = ballots_for(budget)
    read_s = time.perf_counter() - began
    rows = Project.objects.filter(budget=budget).order_by("pk")
    items = [
        counting.Item(ext, cost)
        for ext, cost in rows.values_list("external_id", "cost")
    ]
    election = counting.Election(budget.total, items, ballots)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    outcome = counting.count(election, rule)
    count_s = time.perf_counter() - began
    return {
        "rule": rule,
        "ballots": len(ballots),
        "read_box_s": round(read_s, 2),
        "count_s": round(count_s, 2),
        "funded": len(outcome.funded),
        "spent": outcome.spent,
        "peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "rss_before_count_mib": round(before, 1),
    }


def pabutools_sample(budget_id: int, sample: int) -> dict:
    from pabutools.election import (
        ApprovalBallot,
        ApprovalProfile,
        Cost_Sat,
        Instance,
    )
    from pabutools.election import Project as PabuProject
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

    from budgets import counting
    from budgets.ballots import ballots_for
    from budgets.models import BudgetPage, Project

    budget = BudgetPage.objects.get(pk=budget_id)
    ballots = ballots_for(budget)[:sample]
    rows = Project.objects.filter(budget=budget).order_by("pk")
    items = [
        counting.Item(ext, cost)
        for ext, cost in rows.values_list("external_id", "cost")
    ]
    instance = Instance(budget_limit=budget.total)
    theirs = {i.key: PabuProject(i.key, i.cost) for i in items}
    for p in theirs.values():
        instance.add(p)
    profile = ApprovalProfile(
        [ApprovalBallot({theirs[k] for k in b}) for b in ballots], instance=instance
    )
    out: dict[str, Any] = {"ballots": len(ballots)}
    began = time.perf_counter()
    g = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    out["pabutools_greedy_s"] = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    m = method_of_equal_shares(
        instance,
        profile.as_multiprofile(),
        sat_class=Cost_Sat,
        voter_budget_increment=1,
    )
    out["pabutools_mes_add1_s"] = round(time.perf_counter() - began, 2)
    election = counting.Election(budget.total, items, ballots)
    began = time.perf_counter()
    ours = counting.equal_shares(election)
    out["agora_mes_add1_s"] = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    ours_greedy = counting.greedy(election)
    out["agora_greedy_s"] = round(time.perf_counter() - began, 2)
    out["same_winners_mes"] = set(ours.funded) == {p.name for p in m}
    out["same_winners_greedy"] = set(ours_greedy.funded) == {p.name for p in g}
    return out


def publish(budget_id: int) -> dict:
    from budgets.actions import do_publish_results
    from budgets.models import BudgetPage

    budget = BudgetPage.objects.get(pk=budget_id)
    began = time.perf_counter()
    rows = do_publish_results(None, budget)
    return {"publish_s": round(time.perf_counter() - began, 2), "results": len(rows)}


# --- the parts ------------------------------------------------------------------------


def part_setup(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    reset_postgres()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    began = time.perf_counter()
    setup = call(
        env,
        "bench.bench_budgets:make_budget_and_voters",
        args.total,
        args.http,
        args.projects,
    )
    state.data = {**setup, "voters": args.total, "receipts": 0, "cast_rest": 0}
    state.save()
    emit(
        {
            "bench": "budget_setup",
            "voters": args.total,
            "projects": args.projects,
            "seconds": round(time.perf_counter() - began, 1),
        }
    )


def part_http(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    path = f"/budgets/{state.data['budget']}/ballot/"
    posts = []
    for n, (uid, session) in enumerate(state.data["http"]):
        post = FormPost(path, session, {"project": choice(uid, state.data["projects"])})
        posts.append(post)
        if n % 20 == 0:
            posts.append(post)  # the same voter, twice at once
    server = Server(
        env, kind=args.server, workers=args.processes, start_timeout=START_TIMEOUT
    )
    try:
        figures = post_forms(
            [server.port],
            posts,
            workers=args.workers,
            ok=lambda status, body: status == 302,
        )
    finally:
        server.stop()
    state.data["receipts"] += figures["ok"]
    state.save()
    emit(
        {
            "bench": "budget_ballots_http",
            "db": "postgres",
            "server": f"{args.server} x{args.processes}, production settings",
            "voters": len(state.data["http"]),
            "double_submits": (len(state.data["http"]) + 19) // 20,
            "ballots_per_s": figures["ok_per_s"],
            "receipts": figures["ok"],
            "refused_second_submits": figures["statuses"].get("400", 0),
            **{k: v for k, v in figures.items() if k not in ("ok", "ok_per_s")},
            "load": os.getloadavg()[0],
        }
    )


def part_action(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    start, rest = state.data["cast_rest"], state.data["rest"]
    stop = len(rest) if args.count is None else min(len(rest), start + args.count)
    ids = rest[start:stop]
    if not ids:
        emit({"bench": "budget_ballots_action", "note": "every voter has voted"})
        return
    k = max(1, args.action_processes)
    began = time.perf_counter()
    done = call_many(
        env,
        "bench.bench_budgets:cast_through_action",
        [[state.data["budget"], state.data["projects"], ids[i::k]] for i in range(k)],
    )
    wall = time.perf_counter() - began
    receipts = sum(d["receipts"] for d in done)
    state.data["receipts"] += receipts
    state.data["cast_rest"] = stop
    state.save()
    emit(
        {
            "bench": "budget_ballots_action",
            "db": "postgres",
            "note": "check_cast_ballot + do_cast_ballot, what the view calls",
            "processes": k,
            "ballots": receipts,
            "ballots_per_s": round(receipts / wall, 1),
            "latency_ms": latency_ms([t for d in done for t in d["took"]]),
            "seconds": round(wall, 1),
            "cast_so_far": state.data["receipts"],
            "load": os.getloadavg()[0],
        }
    )


def part_check(state: State, args: argparse.Namespace) -> None:
    check = call(state.env(), "bench.bench_budgets:integrity", state.data["budget"])
    receipts = state.data["receipts"]
    emit(
        {
            "bench": "budget_integrity",
            "voters": state.data["voters"],
            "receipts_issued": receipts,
            **check,
            "lost": receipts - check["counted"],
            "double": check["counted"] - check["distinct_voters"],
            "voters_who_did_not_vote": state.data["voters"] - receipts,
            "ok": check["roll"]
            == check["counted"]
            == check["ballot_rows"]
            == check["box_count"]
            == receipts
            and check["running_counts_equal_recount"]
            and check["chain_ok"],
        }
    )


def part_count(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    budget = state.data["budget"]
    for rule in ("greedy", "equalshares/add1"):
        out = call(env, "bench.bench_budgets:count_rule", budget, rule)
        emit({"bench": "budget_count", "projects": len(state.data["projects"]), **out})
    out = call(
        env, "bench.bench_budgets:pabutools_sample", budget, args.pabutools_sample
    )
    emit({"bench": "budget_count_pabutools", **out, "load": os.getloadavg()[0]})


def part_results(state: State, args: argparse.Namespace) -> None:
    env = state.env()
    budget = state.data["budget"]
    published = call(env, "bench.bench_budgets:publish", budget)
    server = Server(env, start_timeout=START_TIMEOUT)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        times, status = [], 0
        for _ in range(6):
            began = time.perf_counter()
            conn.request(
                "GET", f"/budgets/{budget}/results/", headers={"Host": "127.0.0.1"}
            )
            response = conn.getresponse()
            response.read()
            status = response.status
            times.append(time.perf_counter() - began)
        conn.close()
    finally:
        server.stop()
    emit(
        {
            "bench": "budget_results",
            "ballots": state.data["receipts"],
            "publish_results_s": published["publish_s"],
            "note": "publish: close the box, publish its log, count both rules, store "
            "every explanation",
            "results_page_status": status,
            "results_page_first_s": round(times[0], 3),
            "results_page_median_s": round(statistics.median(times[1:]), 3),
            "load": os.getloadavg()[0],
        }
    )


PARTS = {
    "setup": part_setup,
    "http": part_http,
    "action": part_action,
    "check": part_check,
    "count": part_count,
    "results": part_results,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", default="all", choices=["all", *PARTS])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--http", type=int, default=10_000)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--processes", type=int, default=1)
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
    parser.add_argument("--pabutools-sample", type=int, default=2_000)
    parser.add_argument(
        "--state",
        default=os.path.join(os.environ.get("AGORA_VAR_DIR", "var"), "bench-budgets"),
        help="directory the parts share",
    )
    parser.add_argument("--db", default="postgres", help="PostgreSQL only")
    args = parser.parse_args()
    if "postgres" not in args.db.split(","):
        emit({"bench": "budgets", "skipped": "measured on PostgreSQL only"})
        return
    state_dir = Path(args.state).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in PARTS if args.part == "all" else [args.part]:
        log(f"[budgets] {name} ...")
        PARTS[name](State(state_dir), args)


if __name__ == "__main__":
    main()
