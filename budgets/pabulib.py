"""Pabulib, the field's open file format (.pb), both ways, through pabutools' own
parser and writer: a file becomes a budget (to replay a past election or seed the
demo), and every budget can be exported as a file pabutools parses back into the
same instance and profile."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pabutools.election import (
    ApprovalBallot,
    ApprovalProfile,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
)
from pabutools.election import (
    Project as PbProject,
)
from pabutools.election.pabulib import (
    election_as_pabulib_string,
    parse_pabulib_from_string,
)

from .counting import RULES, Election, Item

Ballot = frozenset[str] | Mapping[str, int]

# META keys Agora writes itself; every other key of an imported file is kept as is.
OWN_META = {"num_projects", "num_votes", "budget", "vote_type", "rule", "currency"}


class PabulibError(ValueError):
    """The file is not a Pabulib file Agora can read; the message says what is wrong."""


@dataclass
class ParsedProject:
    key: str
    cost: int
    name: str
    category: str
    votes: int | None
    selected: bool | None
    lat: float | None
    lon: float | None


@dataclass
class ParsedElection:
    meta: dict[str, str]
    budget: int
    vote_type: str
    rule: str
    projects: list[ParsedProject]
    ballots: list[Ballot]
    category_caps: dict[str, int]

    def election(self) -> Election:
        return Election(
            self.budget,
            [Item(p.key, p.cost, p.category) for p in self.projects],
            self.ballots,
            self.category_caps,
        )


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _whole(value: Any, what: str) -> int:
    number = Fraction(str(value))
    if number.denominator != 1 or number < 0:
        raise PabulibError(f"{what} must be a whole, non-negative amount: {value}")
    return int(number)


def parse(text: str) -> ParsedElection:
    """Read a .pb file's text with pabutools' parser."""
    if not text.lstrip("\ufeff").strip().upper().startswith("META"):
        raise PabulibError("A Pabulib file starts with a META section.")
    try:
        instance, profile = parse_pabulib_from_string(text.lstrip("\ufeff"))
    except (KeyError, ValueError, IndexError, NotImplementedError) as exc:
        raise PabulibError(f"This Pabulib file could not be read: {exc!r}") from exc
    vote_type = instance.meta.get("vote_type", "")
    if vote_type not in ("approval", "cumulative"):
        raise PabulibError(
            f"Agora counts approval and cumulative ballots; this file has {vote_type!r}."
        )
    projects = []
    for project in sorted(instance, key=lambda p: p.name):
        meta = instance.project_meta.get(project, {})
        selected = meta.get("selected")
        votes = meta.get("votes")
        projects.append(
            ParsedProject(
                key=project.name,
                cost=_whole(project.cost, f"the cost of project {project.name}"),
                name=meta.get("name", project.name)[:300],
                category=",".join(sorted(project.categories or ())),
                votes=int(float(votes)) if votes not in (None, "") else None,
                selected=(selected == "1") if selected not in (None, "") else None,
                lat=_float(meta.get("latitude")),
                lon=_float(meta.get("longitude")),
            )
        )
    ballots: list[Ballot] = []
    for ballot in profile:
        if vote_type == "cumulative":
            ballots.append({p.name: int(v) for p, v in ballot.items()})
        else:
            ballots.append(frozenset(p.name for p in ballot))
    caps: dict[str, int] = {}
    if instance.meta.get("budget_per_category") and instance.meta.get("categories"):
        names = instance.meta["categories"].split(",")
        amounts = instance.meta["budget_per_category"].split(",")
        caps = {n.strip(): int(a) for n, a in zip(names, amounts, strict=False)}
    rule = instance.meta.get("rule", "")
    return ParsedElection(
        meta=dict(instance.meta),
        budget=_whole(instance.budget_limit, "The budget"),
        vote_type=vote_type,
        rule=rule if rule in RULES else "",
        projects=projects,
        ballots=ballots,
        category_caps=caps,
    )


@dataclass
class ExportProject:
    key: str
    cost: int
    name: str
    category: str = ""
    votes: int = 0
    selected: bool | None = None
    lat: float | None = None
    lon: float | None = None


def write(
    *,
    meta: Mapping[str, str],
    budget: int,
    rule: str,
    currency: str,
    projects: Sequence[ExportProject],
    ballots: Iterable[Ballot],
    cumulative: bool = False,
) -> str:
    """A .pb file, written by pabutools' own writer."""
    instance = Instance(budget_limit=budget)
    instance.meta.update({k: v for k, v in meta.items() if k not in OWN_META})
    instance.meta["rule"] = rule
    instance.meta["currency"] = currency
    by_key: dict[str, PbProject] = {}
    for p in projects:
        categories = {c.strip() for c in p.category.split(",") if c.strip()}
        project = PbProject(p.key, p.cost, categories=categories)
        instance.add(project)
        by_key[p.key] = project
        project_meta: dict[str, Any] = {
            "name": p.name.replace(";", ","),
            "votes": p.votes,
        }
        if p.selected is not None:
            project_meta["selected"] = "1" if p.selected else "0"
        if p.lat is not None and p.lon is not None:
            project_meta["latitude"] = p.lat
            project_meta["longitude"] = p.lon
        instance.project_meta[project] = project_meta
    profile: ApprovalProfile | CumulativeProfile
    if cumulative:
        profile = CumulativeProfile(instance=instance)
        for index, choice in enumerate(ballots, start=1):
            cb = CumulativeBallot(
                {by_key[k]: v for k, v in dict(choice).items() if k in by_key}
            )
            cb.meta = {"voter_id": str(index)}
            profile.append(cb)
    else:
        profile = ApprovalProfile(instance=instance)
        for index, choice in enumerate(ballots, start=1):
            ab = ApprovalBallot({by_key[k] for k in choice if k in by_key})
            ab.meta = {"voter_id": str(index)}
            profile.append(ab)
    text = election_as_pabulib_string(instance, profile)
    # pabutools writes a cumulative file's points as floats ("3.0"); its own parser
    # reads them back as exact fractions, so nothing is lost.
    return text
