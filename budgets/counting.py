"""Counting a participatory budget: greedy by votes and the Method of Equal Shares.

Pure Python and numpy, no Django: an `Election` (budget, projects, ballots) in, an
`Outcome` (funded projects in order, and for every project why it was or was not
funded) out. Greedy is pabutools' `greedy_utilitarian_welfare` with `Cost_Sat`
(projects by votes, skipped when they no longer fit). Equal Shares is pabutools'
`method_of_equal_shares(..., sat_class=Cost_Sat, voter_budget_increment=1)` (the
`equalshares/add1` completion), reimplemented over groups of identical ballots with
numpy so that 100,000 ballots count in seconds; `tests/budgets/test_counting.py`
checks both against pabutools itself on every shared Pabulib file. Ties are broken
as pabutools breaks them: by project id, compared as text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

GREEDY = "greedy"
EQUAL_SHARES = "equalshares/add1"
EQUAL_SHARES_COMPARISON = "equalshares/add1-comparison"
# Unit steps of the add1 completion before it gallops (see equal_shares).
LINEAR_STEPS = 200
RULES = (GREEDY, EQUAL_SHARES, EQUAL_SHARES_COMPARISON)

# Relative tolerance of the float arithmetic. pabutools counts in exact fractions;
# two affordabilities this close are the same number computed along different paths.
_EPS = 1e-11


@dataclass(frozen=True)
class Item:
    """A project as the count sees it: an id (compared as text to break ties),
    a whole cost, and an optional category (for per-category caps)."""

    key: str
    cost: int
    category: str = ""


@dataclass
class Election:
    """One budget to count. `ballots` are approval sets of project keys, or (for
    cumulative ballots) mappings key -> points. `category_caps` bound the money a
    greedy count spends per category (Amsterdam); what is left after the capped
    pass is spent by score without caps."""

    budget: int
    projects: Sequence[Item]
    ballots: Sequence[Iterable[str] | Mapping[str, int]]
    category_caps: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Decision:
    """Why one project was or was not funded under one rule."""

    key: str
    cost: int
    votes: int
    funded: bool
    turn: int | None = None  # position among the funded projects (1-based)
    money_left_before: float | None = None  # money unspent when its turn came
    reason: str = ""  # "funded", "too_expensive", "supporters_short", "cap", "no_votes"
    # Equal Shares: what its supporters paid (payment -> number of supporters), and,
    # for a project not funded, how much its supporters still had together at the end.
    payments: list[tuple[float, int]] = field(default_factory=list)
    supporters_money: float | None = None


@dataclass
class Outcome:
    rule: str
    funded: list[str]  # in the order the rule chose them
    decisions: dict[str, Decision]
    spent: int
    budget: int
    per_voter_budget: float | None = None  # Equal Shares: each voter's final share
    note: str = ""

    @property
    def left(self) -> int:
        return self.budget - self.spent


# --- ballots ----------------------------------------------------------------


def _grouped(election: Election) -> tuple[list[tuple[tuple[str, int], ...]], list[int]]:
    """Identical ballots counted once with a multiplicity (pabutools' multiprofile)."""
    known = {p.key for p in election.projects}
    counter: Counter[tuple[tuple[str, int], ...]] = Counter()
    for ballot in election.ballots:
        if isinstance(ballot, Mapping):
            items = tuple(
                sorted((k, int(v)) for k, v in ballot.items() if k in known and v > 0)
            )
        else:
            items = tuple(sorted((k, 1) for k in set(ballot) if k in known))
        counter[items] += 1
    groups = list(counter)
    return groups, [counter[g] for g in groups]


def vote_counts(election: Election) -> dict[str, int]:
    """Votes per project: approvals, or the sum of points on cumulative ballots."""
    counts = {p.key: 0 for p in election.projects}
    for ballot in election.ballots:
        if isinstance(ballot, Mapping):
            for key, points in ballot.items():
                if key in counts:
                    counts[key] += int(points)
        else:
            for key in set(ballot):
                if key in counts:
                    counts[key] += 1
    return counts


# --- greedy -----------------------------------------------------------------


def greedy(election: Election, votes: Mapping[str, int] | None = None) -> Outcome:
    """Most votes first; a project that no longer fits is skipped, and the count goes
    on with cheaper ones. With category caps: a first pass within the caps, then the
    money left goes to the remaining projects by votes (Amsterdam's rule)."""
    votes = dict(votes) if votes is not None else vote_counts(election)
    order = sorted(election.projects, key=lambda p: (-votes[p.key], p.key))
    left = election.budget
    funded: list[str] = []
    decisions: dict[str, Decision] = {}
    caps = dict(election.category_caps)
    spent_in: Counter[str] = Counter()
    passes = (True, False) if caps else (False,)
    for capped in passes:
        for item in order:
            if item.key in funded:
                continue
            if votes[item.key] <= 0:
                decisions[item.key] = Decision(
                    item.key,
                    item.cost,
                    0,
                    False,
                    money_left_before=left,
                    reason="no_votes",
                )
                continue
            over_cap = (
                capped
                and item.category in caps
                and spent_in[item.category] + item.cost > caps[item.category]
            )
            if item.cost <= left and not over_cap:
                funded.append(item.key)
                decisions[item.key] = Decision(
                    item.key,
                    item.cost,
                    votes[item.key],
                    True,
                    turn=len(funded),
                    money_left_before=left,
                    # Funded in the pass after the caps, from the money they left.
                    reason="funded" if capped or not caps else "funded_after_caps",
                )
                left -= item.cost
                spent_in[item.category] += item.cost
            elif item.key in decisions and decisions[item.key].reason == "cap":
                decisions[item.key].money_left_before = left
            else:
                decisions[item.key] = Decision(
                    item.key,
                    item.cost,
                    votes[item.key],
                    False,
                    money_left_before=left,
                    reason="cap" if over_cap and item.cost <= left else "too_expensive",
                )
    return Outcome(GREEDY, funded, decisions, election.budget - left, election.budget)


# --- Equal Shares -----------------------------------------------------------


@dataclass
class _Prepared:
    keys: list[str]
    costs: np.ndarray
    weights: np.ndarray  # multiplicity per ballot group
    supporters: list[np.ndarray]  # group indices per project
    utilities: list[np.ndarray]  # the satisfaction each supporter group gets
    total_sat: np.ndarray
    n_voters: int


def _prepare(election: Election) -> _Prepared:
    groups, weights = _grouped(election)
    index = {p.key: i for i, p in enumerate(election.projects)}
    costs = np.array([p.cost for p in election.projects], dtype=np.float64)
    cumulative = any(isinstance(b, Mapping) for b in election.ballots)
    members: list[list[int]] = [[] for _ in election.projects]
    points: list[list[int]] = [[] for _ in election.projects]
    for g, items in enumerate(groups):
        for key, value in items:
            members[index[key]].append(g)
            points[index[key]].append(value)
    w = np.array(weights, dtype=np.float64)
    supporters = [np.array(m, dtype=np.int64) for m in members]
    # Cost_Sat for approval ballots (a supporter's satisfaction is the project's
    # cost); the points themselves for cumulative ballots.
    utilities = [
        np.array(pts, dtype=np.float64)
        if cumulative
        else np.full(len(pts), costs[i], dtype=np.float64)
        for i, pts in enumerate(points)
    ]
    total_sat = np.array(
        [float((w[s] * u).sum()) for s, u in zip(supporters, utilities, strict=True)]
    )
    return _Prepared(
        [p.key for p in election.projects],
        costs,
        w,
        supporters,
        utilities,
        total_sat,
        int(sum(weights)),
    )


def _affordability(
    cost: float, b: np.ndarray, w: np.ndarray, u: np.ndarray
) -> float | None:
    """The smallest rho such that supporters paying min(budget, rho * utility) cover
    the cost (pabutools' `mes_inner_algo`), or None if they cannot."""
    order = np.argsort(b / u, kind="stable")
    b, w, u = b[order], w[order], u[order]
    paid_before = np.concatenate(([0.0], np.cumsum(w * b)[:-1]))
    sat_after = (w * u).sum() - np.concatenate(([0.0], np.cumsum(w * u)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (cost - paid_before) / sat_after
    ok = rho * u <= b * (1 + _EPS)
    hits = np.flatnonzero(ok)
    if hits.size == 0:
        return None
    return float(rho[hits[0]])


def _mes_once(
    data: _Prepared, budget_per_voter: float, active: list[int]
) -> tuple[list[int], list[float], np.ndarray]:
    """One run of Equal Shares at a fixed budget per voter: the funded projects in
    order, the price (rho) of each, and the voters' money left."""
    b = np.full(len(data.weights), budget_per_voter, dtype=np.float64)
    afford = {i: data.costs[i] / data.total_sat[i] for i in active}
    remaining = set(active)
    chosen: list[int] = []
    prices: list[float] = []
    while remaining:
        best = math.inf
        tied: list[int] = []
        for i in sorted(remaining, key=lambda j: (afford[j], data.keys[j])):
            s = data.supporters[i]
            available = float((data.weights[s] * b[s]).sum())
            if available < data.costs[i] * (1 - _EPS):
                remaining.discard(i)
                continue
            if afford[i] > best * (1 + _EPS):
                break
            rho = _affordability(
                data.costs[i], b[s], data.weights[s], data.utilities[i]
            )
            if rho is None:  # covered only up to rounding: treat as unaffordable
                remaining.discard(i)
                continue
            afford[i] = rho
            if rho < best * (1 - _EPS):
                best, tied = rho, [i]
            elif rho <= best * (1 + _EPS):
                tied.append(i)
        if not tied:
            break
        pick = min(tied, key=lambda j: data.keys[j])
        s = data.supporters[pick]
        b[s] -= np.minimum(b[s], afford[pick] * data.utilities[pick])
        remaining.discard(pick)
        chosen.append(pick)
        prices.append(afford[pick])
    return chosen, prices, b


def equal_shares(election: Election, *, completion: str = EQUAL_SHARES) -> Outcome:
    """The Method of Equal Shares with the add1 completion: each voter's share starts
    at budget / voters and grows by 1 while the outcome fits the budget and leaves
    room for another project with supporters (pabutools' voter_budget_increment=1).

    `equalshares/add1-comparison` (Wieliczka): the share grows while the outcome
    fits, whether or not it leaves room, and the last outcome that fits is compared
    with greedy's; greedy's is taken only if more voters prefer it."""
    votes = vote_counts(election)
    data = _prepare(election)
    if data.n_voters == 0:
        return _mes_outcome(election, data, votes, [], [], None, None, EQUAL_SHARES)
    active = [
        i for i in range(len(data.keys)) if data.total_sat[i] > 0 and data.costs[i] > 0
    ]
    free = [
        i for i in range(len(data.keys)) if data.total_sat[i] > 0 and data.costs[i] == 0
    ]
    per_voter = election.budget / data.n_voters
    if (
        completion != EQUAL_SHARES_COMPARISON
        and (float(data.costs[active].sum()) if active else 0.0) <= election.budget
    ):
        # Everything supported fits: add1 would raise the share unit by unit until
        # all is funded (no outcome can overspend). Start where that is certain:
        # a share of the whole budget lets any supporter pay all their projects.
        per_voter = max(per_voter, float(election.budget))

    def run(share: float) -> tuple[list[int], list[float], np.ndarray, str | None]:
        """One outcome at this share, and whether the add1 loop stops at it:
        "over" (it overspends: the previous share's outcome is kept) or "done"."""
        chosen, prices, money = _mes_once(data, share, active)
        cost = float(data.costs[chosen].sum()) if chosen else 0.0
        if cost > election.budget:
            return chosen, prices, money, "over"
        taken = set(chosen)
        room = election.budget - cost
        if completion == EQUAL_SHARES_COMPARISON:
            # Wieliczka's variant: the share keeps growing while the outcome fits
            # the budget (an exhaustive outcome does not stop it); the last outcome
            # that fits is kept.
            done = len(taken) == len(active)
        else:
            done = all(i in taken or data.costs[i] > room for i in active)
        return chosen, prices, money, "done" if done else None

    # add1 raises the share by 1 until the loop stops. Few voters and a large
    # budget can mean tens of thousands of steps (300 voters, 5,000,000 EUR), so
    # after LINEAR_STEPS the steps double until the loop would stop, and the
    # first share at which it stops is then found by bisection: the same share
    # as the unit steps wherever stopping is monotone in the share (it is on
    # every Pabulib election the tests count against pabutools).
    first = run(per_voter)
    if first[3] is not None:  # the first run always fits; "done" at once
        chosen, prices, money, _stop = first
    else:
        lo, at_lo = 0, first
        hi: int | None = None
        at_hi = first
        step = 1
        while hi is None:
            k = lo + step
            result = run(per_voter + k)
            if result[3] is not None:
                hi, at_hi = k, result
            else:
                lo, at_lo = k, result
                if k >= LINEAR_STEPS:
                    step *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            result = run(per_voter + mid)
            if result[3] is not None:
                hi, at_hi = mid, result
            else:
                lo, at_lo = mid, result
        if at_hi[3] == "over":
            chosen, prices, money, _stop = at_lo
            per_voter += lo
        else:
            chosen, prices, money, _stop = at_hi
            per_voter += hi
    outcome = _mes_outcome(
        election,
        data,
        votes,
        free + chosen,
        [0.0] * len(free) + prices,
        money,
        per_voter,
        EQUAL_SHARES,
    )
    if completion == EQUAL_SHARES_COMPARISON:
        return _compare_with_greedy(election, outcome)
    return outcome


def _mes_outcome(
    election: Election,
    data: _Prepared,
    votes: Mapping[str, int],
    chosen: list[int],
    prices: list[float],
    money: np.ndarray | None,
    per_voter: float | None,
    rule: str,
) -> Outcome:
    decisions: dict[str, Decision] = {}
    if per_voter is None:
        money = None
    b = (
        np.full(len(data.weights), per_voter, dtype=np.float64)
        if per_voter is not None
        else None
    )
    left = float(election.budget)
    for turn, (i, rho) in enumerate(zip(chosen, prices, strict=True), start=1):
        key = data.keys[i]
        d = Decision(
            key,
            int(data.costs[i]),
            votes[key],
            True,
            turn=turn,
            money_left_before=left,
            reason="funded",
        )
        if b is not None:
            s = data.supporters[i]
            pay = np.minimum(b[s], rho * data.utilities[i])
            b[s] -= pay
            rounded: Counter[float] = Counter()
            for amount, weight in zip(pay.round(2), data.weights[s], strict=True):
                rounded[float(amount)] += int(weight)
            d.payments = sorted(rounded.items(), key=lambda kv: -kv[0])
        decisions[key] = d
        left -= data.costs[i]
    for i, key in enumerate(data.keys):
        if key in decisions:
            continue
        s = data.supporters[i]
        together = (
            float((data.weights[s] * money[s]).sum()) if money is not None else 0.0
        )
        decisions[key] = Decision(
            key,
            int(data.costs[i]),
            votes[key],
            False,
            money_left_before=left,
            reason="no_votes" if votes[key] <= 0 else "supporters_short",
            supporters_money=round(together, 2),
        )
    funded = [data.keys[i] for i in chosen]
    spent = int(sum(data.costs[i] for i in chosen))
    return Outcome(rule, funded, decisions, spent, election.budget, per_voter)


def _compare_with_greedy(election: Election, mes: Outcome) -> Outcome:
    """Wieliczka's comparison step: the Equal Shares outcome stands unless more
    voters prefer the greedy outcome (more of their money's worth: the total cost of
    the funded projects they voted for) than prefer Equal Shares."""
    g = greedy(election)
    a, b = set(mes.funded), set(g.funded)
    cost = {p.key: p.cost for p in election.projects}
    prefer_mes = prefer_greedy = 0
    for ballot in election.ballots:
        keys = set(ballot)
        sat_mes = sum(cost[k] for k in keys & a)
        sat_greedy = sum(cost[k] for k in keys & b)
        prefer_mes += sat_mes > sat_greedy
        prefer_greedy += sat_greedy > sat_mes
    chosen = g if prefer_greedy > prefer_mes else mes
    chosen.rule = EQUAL_SHARES_COMPARISON
    chosen.note = f"{prefer_mes}:{prefer_greedy}"
    return chosen


def count(election: Election, rule: str) -> Outcome:
    if rule == GREEDY:
        return greedy(election)
    return equal_shares(election, completion=rule)
