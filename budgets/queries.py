"""What budget pages read, in a fixed number of queries: shared by the page's
serve(), the views and the live events (one template per fragment)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, Sum

from .ballots import money
from .models import BudgetPage, BudgetResult, CountingRule, Feasibility, Project


def money_summary(budget: BudgetPage) -> dict[str, Any]:
    """Per pot: the money available and what the feasible projects ask together."""
    rows = (
        Project.objects.on_ballot()
        .filter(budget=budget)
        .values("district_id")
        .annotate(asked=Sum("cost"), n=Count("id"))
    )
    asked = {r["district_id"]: (r["asked"] or 0, r["n"]) for r in rows}
    counts: dict[str, Any] = {}
    pots = [(None, "city", budget.city_wide_amount())] + [
        (d.pk, str(d.pk), d.amount) for d in budget.district_list()
    ]
    for district_id, name, amount in pots:
        total, n = asked.get(district_id, (0, 0))
        counts[f"asked.{name}"] = int(total)
        counts[f"projects.{name}"] = n
        counts[f"percent.{name}"] = (
            min(100, round(100 * total / amount)) if amount else 0
        )
    return counts


def pots_for_display(budget: BudgetPage) -> list[dict[str, Any]]:
    summary = money_summary(budget)
    pots = [{"key": "city", "name": budget.title, "amount": budget.city_wide_amount()}]
    pots += [
        {"key": str(d.pk), "name": d.name, "amount": d.amount}
        for d in budget.district_list()
    ]
    for pot in pots:
        pot["asked"] = summary[f"asked.{pot['key']}"]
        pot["percent"] = summary[f"percent.{pot['key']}"]
        pot["n"] = summary[f"projects.{pot['key']}"]
        pot["amount_text"] = money(pot["amount"], budget.currency)
        pot["asked_text"] = money(pot["asked"], budget.currency)
    return [p for p in pots if p["amount"] > 0 or p["n"]]


def vote_counts_event(budget: BudgetPage) -> dict[str, Any]:
    counts = dict(Project.objects.filter(budget=budget).values_list("pk", "vote_count"))
    return {"counts": {f"votes.{pk}": n for pk, n in counts.items()}}


def project_list(
    budget: BudgetPage, *, feasibility: str = "", district: str = "", category: str = ""
) -> Any:
    qs = Project.objects.public().filter(budget=budget).select_related("district")
    if feasibility in Feasibility.values:
        qs = qs.filter(feasibility=feasibility)
    if district.isdigit():
        qs = qs.filter(district_id=int(district))
    if category:
        qs = qs.filter(category__icontains=category)
    if budget.results_published_at or budget.counts_public:
        return qs.order_by("-funded", "-vote_count", "id")
    return qs.order_by("feasibility", "id")


def map_points(projects: Iterable[Project]) -> list[dict[str, Any]]:
    return [
        {"lat": p.lat, "lon": p.lon, "title": p.title, "url": p.get_absolute_url()}
        for p in projects
        if p.is_located
    ]


RULE_LABELS = dict(CountingRule.choices)


def results_context(budget: BudgetPage) -> dict[str, Any]:
    """Both counts side by side, per pot, with every project's explanation."""
    results = list(BudgetResult.objects.filter(budget=budget).order_by("pot", "rule"))
    projects = {
        p.external_id: p
        for p in Project.objects.filter(budget=budget).select_related("district")
    }
    names = {"": budget.title} | {str(d.pk): d.name for d in budget.district_list()}
    pots: dict[str, dict[str, Any]] = {}
    for r in results:
        pot = pots.setdefault(
            r.pot,
            {
                "key": r.pot,
                "name": names.get(r.pot, r.pot),
                "amount": money(r.amount, budget.currency),
                "counts": [],
                "voters": r.voters,
            },
        )
        pot["counts"].append(r)
    for pot in pots.values():
        counts = pot["counts"]
        # Greedy first, then Equal Shares, then a variant; the official one marked.
        order = [
            CountingRule.GREEDY,
            CountingRule.EQUAL_SHARES,
            CountingRule.EQUAL_SHARES_COMPARISON,
        ]
        counts.sort(key=lambda r: order.index(r.rule) if r.rule in order else 9)
        keys = sorted(
            {k for r in counts for k in r.decisions},
            key=lambda k: (-int(counts[0].decisions[k]["votes"]), k),
        )
        rows = []
        for key in keys:
            project = projects.get(key)
            cells = []
            for r in counts:
                d = r.decisions.get(key, {})
                cells.append(_explain(d, budget.currency))
            rows.append(
                {
                    "key": key,
                    "project": project,
                    "cells": cells,
                    "votes": counts[0].decisions[key]["votes"],
                    "cost": money(counts[0].decisions[key]["cost"], budget.currency),
                }
            )
        pot["rows"] = rows
        pot["columns"] = [
            {
                "rule": r.rule,
                "label": RULE_LABELS.get(r.rule, r.rule),
                "official": r.official,
                "spent": money(r.spent, budget.currency),
                "funded": len(r.funded),
                "per_voter": money(r.per_voter_budget, budget.currency)
                if r.per_voter_budget
                else "",
                "differs": False,
            }
            for r in counts
        ]
        if len(counts) >= 2:
            base = set(counts[0].funded)
            for col, r in zip(pot["columns"], counts, strict=True):
                col["differs"] = set(r.funded) != base
    return {
        "budget": budget,
        "result_pots": list(pots.values()),
        "has_results": bool(results),
    }


def _explain(d: dict[str, Any], currency: str) -> dict[str, Any]:
    """One cell of the results table: funded or not, and why, in words."""
    from django.utils.translation import gettext as _

    if not d:
        return {"funded": False, "text": ""}
    left = money(d["money_left_before"] or 0, currency)
    cost = money(d["cost"], currency)
    if d["funded"]:
        text = _("Funded, turn %(turn)s: %(left)s was left when its turn came.") % {
            "turn": d["turn"],
            "left": left,
        }
        payments = d.get("payments") or []
        if payments:
            parts = [
                _("%(n)s paid %(amount)s")
                % {
                    "n": n,
                    "amount": money(amount, currency)
                    if amount >= 1
                    else f"{amount:.2f} {currency}",
                }
                for amount, n in payments[:4]
            ]
            if len(payments) > 4:
                parts.append(
                    _("%(n)s others paid less")
                    % {"n": sum(n for _a, n in payments[4:])}
                )
            text += " " + _("Its supporters paid: %(parts)s.") % {
                "parts": "; ".join(parts)
            }
        return {"funded": True, "text": text}
    reason = d.get("reason")
    if reason == "no_votes":
        text = _("Not funded: no votes.")
    elif reason == "cap":
        text = _(
            "Not funded: its category's cap was reached (%(left)s left overall)."
        ) % {"left": left}
    elif reason == "supporters_short":
        text = _(
            "Not funded: its supporters had %(together)s left together, less than its cost %(cost)s."
        ) % {"together": money(d.get("supporters_money") or 0, currency), "cost": cost}
    else:
        text = _(
            "Not funded: it cost %(cost)s and only %(left)s was left at its turn."
        ) % {
            "cost": cost,
            "left": left,
        }
    return {"funded": False, "text": text}


def visible_district_filter(user: Any) -> Q:
    return Q()
