"""Counting: Agora's greedy and Equal Shares against the cities' own winners and
against pabutools itself, on the three real Pabulib files, and on a hand-made
example where the two rules part ways."""

from fractions import Fraction
from pathlib import Path

import pytest
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import (
    BudgetAllocation,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.rules.mes.mes_rule import method_of_equal_shares_scheme
from pabutools.tiebreaking import lexico_tie_breaking

from budgets import counting, pabulib

DATA = Path(__file__).resolve().parents[2] / "budgets" / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))
WIELICZKA = DATA / "Poland_Wieliczka_2023_Green_Budget.pb"


def _load(path):
    return pabulib.parse(path.read_text(encoding="utf-8-sig"))


def test_the_three_shared_files_are_in_the_repository():
    assert {p.name for p in FILES} == {
        "Netherlands_Amsterdam_166.pb",
        "Poland_Warszawa_2023_Wesola.pb",
        "Poland_Wieliczka_2023_Green_Budget.pb",
    }
    assert (DATA / "README.md").read_text().count("pabulib") >= 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_greedy_equals_pabutools_greedy(path):
    parsed = _load(path)
    # pabutools' greedy knows no category caps: compare without them.
    plain = counting.Election(parsed.budget, parsed.election().projects, parsed.ballots)
    ours = counting.greedy(plain)
    instance, profile = parse_pabulib(str(path))
    theirs = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    assert set(ours.funded) == {p.name for p in theirs}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_equal_shares_equals_pabutools_at_the_share_add1_stops_at(path):
    """pabutools' add1 reruns Equal Shares once per unit of share (150-300 runs,
    25-100 s per file); here pabutools runs once, exactly, at the share where ours
    stopped, and once a unit lower (the last share that did not yet stop)."""
    parsed = _load(path)
    ours = counting.equal_shares(parsed.election())
    instance, profile = parse_pabulib(str(path))
    multi = profile.as_multiprofile()
    start = Fraction(int(instance.budget_limit), multi.num_ballots())
    steps = round(ours.per_voter_budget - float(start))
    assert steps > 0
    sat = multi.as_sat_profile(Cost_Sat)
    theirs = method_of_equal_shares_scheme(
        instance,
        multi,
        sat,
        start + steps,
        BudgetAllocation(),
        lexico_tie_breaking,
        binary_sat=True,
    )
    assert set(ours.funded) == {p.name for p in theirs}
    before = method_of_equal_shares_scheme(
        instance,
        multi,
        sat,
        start + steps - 1,
        BudgetAllocation(),
        lexico_tie_breaking,
        binary_sat=True,
    )
    # One unit earlier the outcome still left room for another project (add1 went on).
    spent = sum(p.cost for p in before)
    assert any(
        p not in before and spent + p.cost <= instance.budget_limit for p in instance
    )


def test_equal_shares_equals_pabutools_full_add1_run_on_wieliczka():
    parsed = _load(WIELICZKA)
    ours = counting.equal_shares(parsed.election())
    instance, profile = parse_pabulib(str(WIELICZKA))
    theirs = method_of_equal_shares(
        instance,
        profile.as_multiprofile(),
        sat_class=Cost_Sat,
        voter_budget_increment=1,
    )
    assert set(ours.funded) == {p.name for p in theirs}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_winners_under_the_files_rule_equal_the_citys(path):
    parsed = _load(path)
    selected = {p.key for p in parsed.projects if p.selected}
    has_selected = any(p.selected is not None for p in parsed.projects)
    if not has_selected:
        # Amsterdam publishes no `selected` column: its caps are counted, and the
        # outcome keeps every category within its cap in the first pass.
        assert parsed.meta["rule"] == "greedy" and parsed.category_caps
        outcome = counting.greedy(parsed.election())
        held = [
            d
            for d in outcome.decisions.values()
            if d.reason in ("cap", "funded_after_caps")
        ]
        assert held, "some project must be held back by its category's cap"
        return
    outcome = counting.count(parsed.election(), parsed.rule)
    assert set(outcome.funded) == selected


def test_wieliczka_variant_is_what_reproduces_the_citys_outcome():
    """Plain add1 (pabutools: stop at the first outcome that leaves no room) funds 67
    and 66 where Wieliczka funded 46; going on while the outcome fits reproduces it."""
    parsed = _load(WIELICZKA)
    selected = {p.key for p in parsed.projects if p.selected}
    plain = set(counting.equal_shares(parsed.election()).funded)
    assert plain ^ selected == {"46", "66", "67"}
    variant = counting.equal_shares(
        parsed.election(), completion=counting.EQUAL_SHARES_COMPARISON
    )
    assert set(variant.funded) == selected


def test_amsterdam_caps_hold_in_the_capped_pass():
    parsed = _load(DATA / "Netherlands_Amsterdam_166.pb")
    outcome = counting.greedy(parsed.election())
    cost = {p.key: (p.cost, p.category) for p in parsed.projects}
    assert outcome.spent <= parsed.budget
    first_pass = [k for k in outcome.funded if outcome.decisions[k].reason == "funded"]
    per_category: dict[str, int] = {}
    for k in first_pass:
        per_category[cost[k][1]] = per_category.get(cost[k][1], 0) + cost[k][0]
    assert all(per_category[c] <= parsed.category_caps[c] for c in per_category)
    uncapped = counting.greedy(
        counting.Election(parsed.budget, parsed.election().projects, parsed.ballots)
    )
    assert set(uncapped.funded) != set(outcome.funded)
    assert all(cost[k][0] > 0 for k in outcome.funded)


def test_equal_shares_and_greedy_differ_on_a_hand_made_example():
    """100 voters, 1,000 to spend. 60 want three big projects (A, B, C at 400 each);
    40 want D and E (300 each). Greedy gives the majority everything it can afford
    (A, B; C no longer fits; then nothing for the 40). Equal Shares gives each voter
    10: the 40 have 400 together, enough for D (300), so D is funded."""
    items = [
        counting.Item("A", 400),
        counting.Item("B", 400),
        counting.Item("C", 400),
        counting.Item("D", 300),
        counting.Item("E", 300),
    ]
    ballots = [{"A", "B", "C"}] * 60 + [{"D", "E"}] * 40
    election = counting.Election(1000, items, ballots)
    g = counting.greedy(election)
    assert g.funded == ["A", "B"]
    assert g.decisions["C"].reason == "too_expensive"
    assert g.decisions["C"].money_left_before == 200
    assert g.decisions["D"].money_left_before == 200
    m = counting.equal_shares(election)
    assert "D" in m.funded and len({"A", "B", "C"} & set(m.funded)) >= 1
    d = m.decisions["D"]
    # Each of the 40 supporters paid an equal part of D's 300.
    assert sum(n for _amount, n in d.payments) == 40
    assert sum(amount * n for amount, n in d.payments) == pytest.approx(300, abs=0.5)
    # And pabutools agrees.
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project

    instance = Instance(budget_limit=1000)
    ps = {i.key: Project(i.key, i.cost) for i in items}
    for p in ps.values():
        instance.add(p)
    profile = ApprovalProfile(
        [ApprovalBallot({ps[k] for k in b}) for b in ballots], instance=instance
    )
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    assert set(m.funded) == {p.name for p in theirs}


def test_cumulative_ballots_count_points():
    items = [counting.Item("A", 50), counting.Item("B", 50), counting.Item("C", 50)]
    ballots = [{"A": 3, "B": 1}, {"B": 4}, {"C": 2, "A": 2}]
    election = counting.Election(100, items, ballots)
    assert counting.vote_counts(election) == {"A": 5, "B": 5, "C": 2}
    assert counting.greedy(election).funded == ["A", "B"]
    assert len(counting.equal_shares(election).funded) == 2


def _few_voters_large_budget():
    """12 voters and 60,000 to spend on 8 projects: add1 raises each voter's share
    by 1 from 5,000, so the unit steps run thousands of times."""
    import random

    rng = random.Random(7)
    items = [
        counting.Item(f"P{i}", rng.randrange(4_000, 26_000, 100)) for i in range(8)
    ]
    ballots = [
        {f"P{i}" for i in rng.sample(range(8), rng.randint(1, 4))} for _ in range(12)
    ]
    return counting.Election(60_000, items, ballots)


@pytest.mark.parametrize(
    "completion", [counting.EQUAL_SHARES, counting.EQUAL_SHARES_COMPARISON]
)
def test_equal_shares_gallops_to_the_share_the_unit_steps_reach(
    monkeypatch, completion
):
    """With few voters and a large budget the add1 completion gallops after
    LINEAR_STEPS unit steps: it reaches the same share and outcome as unit steps."""
    election = _few_voters_large_budget()
    runs = []
    once = counting._mes_once
    monkeypatch.setattr(counting, "_mes_once", lambda *a: runs.append(1) or once(*a))
    fast = counting.equal_shares(election, completion=completion)
    fast_runs, linear_steps = len(runs), counting.LINEAR_STEPS
    monkeypatch.setattr(counting, "LINEAR_STEPS", 10**9)
    slow = counting.equal_shares(election, completion=completion)
    slow_runs = len(runs) - fast_runs
    # Bounded work: unit steps up to LINEAR_STEPS, then a logarithmic number.
    assert fast_runs < linear_steps + 50 < slow_runs
    assert fast.funded == slow.funded
    assert fast.per_voter_budget == slow.per_voter_budget
    # It did gallop: the share rose by more than the unit steps before galloping.
    assert slow.per_voter_budget - 60_000 / 12 > 200
    assert fast.funded  # something is funded: the comparison is not vacuous
    assert {k: d.reason for k, d in fast.decisions.items()} == {
        k: d.reason for k, d in slow.decisions.items()
    }


def test_equal_shares_with_few_voters_equals_pabutools_add1():
    election = _few_voters_large_budget()
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project

    instance = Instance(budget_limit=election.budget)
    ps = {i.key: Project(i.key, i.cost) for i in election.projects}
    for p in ps.values():
        instance.add(p)
    profile = ApprovalProfile(
        [ApprovalBallot({ps[k] for k in b}) for b in election.ballots],
        instance=instance,
    )
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    assert set(counting.equal_shares(election).funded) == {p.name for p in theirs}
