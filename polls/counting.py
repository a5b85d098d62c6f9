"""Counting a poll: validating a ballot's choices, the running tally kept with each
cast, the full recount it is checked against, and the presented result (raw and
weighted, breakdowns with a privacy minimum). Pure Python over plain data, so
`manage.py verify_poll` and anyone's own script count the same way.

A question spec is {"id", "text", "kind": single|multiple|ranking, "max", "options"};
a ballot's choices are {"<question id>": [option index, ...]} (for a ranking, the
options in the voter's order, best first). Rankings are counted by the Borda count:
with k options, the first gets k-1 points, the next k-2, …, unranked options 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

SEGMENT_KEYS = ("district", "stakeholder_group")


class ChoiceError(Exception):
    def __init__(self, message: object) -> None:
        self.message = str(message)
        super().__init__(self.message)


def validate_choices(spec: list[dict[str, Any]], raw: Mapping[str, Any]) -> dict:
    """Turn submitted answers into a ballot's choices, or raise ChoiceError saying
    which question is wrong. `raw[qid]` is a list of option indices (strings or ints);
    for a ranking, `raw[qid]` lists ranks per option ("" for unranked)."""
    choices: dict[str, list[int]] = {}
    for number, q in enumerate(spec, start=1):
        k = len(q["options"])
        values = raw.get(q["id"]) or []
        if isinstance(values, str | int):
            values = [values]
        if q["kind"] == "ranking":
            ranks: dict[int, int] = {}
            for index, value in enumerate(list(values)[:k]):
                text = str(value).strip()
                if not text:
                    continue
                if not text.isdigit() or not 1 <= int(text) <= k:
                    raise ChoiceError(
                        _("Question %(n)s: ranks go from 1 to %(k)s.")
                        % {"n": number, "k": k}
                    )
                ranks[index] = int(text)
            if not ranks:
                raise ChoiceError(
                    _("Question %(n)s: rank at least one option.") % {"n": number}
                )
            if len(set(ranks.values())) != len(ranks):
                raise ChoiceError(
                    _("Question %(n)s: give each option a different rank.")
                    % {"n": number}
                )
            choices[q["id"]] = [
                i for i, _r in sorted(ranks.items(), key=lambda x: x[1])
            ]
            continue
        picked: list[int] = []
        for value in values:
            text = str(value).strip()
            if not text.isdigit() or not 0 <= int(text) < k:
                raise ChoiceError(
                    _("Question %(n)s: that is not one of the options.") % {"n": number}
                )
            if int(text) not in picked:
                picked.append(int(text))
        if not picked:
            raise ChoiceError(_("Question %(n)s: choose an option.") % {"n": number})
        if q["kind"] == "single" and len(picked) > 1:
            raise ChoiceError(
                _("Question %(n)s: choose only one option.") % {"n": number}
            )
        limit = q.get("max") or k
        if q["kind"] == "multiple" and len(picked) > limit:
            raise ChoiceError(
                _("Question %(n)s: choose at most %(max)s options.")
                % {"n": number, "max": limit}
            )
        choices[q["id"]] = sorted(picked)
    return choices


def points(question: dict[str, Any], picked: list[int]) -> list[tuple[int, int]]:
    """(option index, points) this ballot gives on one question."""
    k = len(question["options"])
    if question["kind"] == "ranking":
        return [(i, k - 1 - position) for position, i in enumerate(picked)]
    return [(i, 1) for i in picked]


def empty_counts(spec: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "n": 0,
        "q": {q["id"]: {"n": 0, "o": [0] * len(q["options"]), "by": {}} for q in spec},
    }


def make_tally(spec: list[dict[str, Any]]) -> Any:
    """The running tally for polls.ballots.cast_ballot: counts per option, per
    question, per district and stakeholder group."""

    def tally(
        counts: dict[str, Any], choices: Any, segment: dict[str, Any], sign: int
    ) -> None:
        if "q" not in counts:
            counts.update(empty_counts(spec))
        counts["n"] += sign
        for q in spec:
            qc = counts["q"].setdefault(
                q["id"], {"n": 0, "o": [0] * len(q["options"]), "by": {}}
            )
            picked = (choices or {}).get(q["id"]) or []
            if not picked:
                continue
            qc["n"] += sign
            given = points(q, picked)
            for i, value in given:
                qc["o"][i] += sign * value
            for key in SEGMENT_KEYS:
                value = (segment or {}).get(key)
                if not value:
                    continue
                bucket = (
                    qc["by"]
                    .setdefault(key, {})
                    .setdefault(value, {"n": 0, "o": [0] * len(q["options"])})
                )
                bucket["n"] += sign
                for i, pts in given:
                    bucket["o"][i] += sign * pts

    return tally


def recount(
    spec: list[dict[str, Any]], ballots: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """A full recount from counted ballots ({"choices", "segment"} each)."""
    counts = empty_counts(spec)
    tally = make_tally(spec)
    for ballot in ballots:
        tally(counts, ballot["choices"], ballot.get("segment") or {}, +1)
    return counts


def _share(q: dict[str, Any], option_value: int, n: int, total_points: int) -> float:
    if q["kind"] == "ranking":
        return option_value / total_points if total_points else 0.0
    return option_value / n if n else 0.0


def present(
    spec: list[dict[str, Any]],
    counts: dict[str, Any],
    *,
    weights: Mapping[str, float] | None = None,
    privacy_minimum: int = 0,
    eligible: int | None = None,
) -> dict[str, Any]:
    """The result as shown and exported: counts, percentages (of voters; for a
    ranking, of all Borda points), the weighted percentage when there are
    stakeholder shares, and breakdowns without groups under the privacy minimum."""
    weights = {g: float(w) for g, w in (weights or {}).items() if float(w) > 0}
    voters = int(counts.get("n", 0))
    result: dict[str, Any] = {
        "voters": voters,
        "eligible": eligible,
        "turnout_percent": round(100 * voters / eligible, 1) if eligible else None,
        "weighted": bool(weights),
        "weights": weights,
        "counting": "borda",
        "privacy_minimum": privacy_minimum,
        "questions": [],
    }
    for q in spec:
        qc = counts.get("q", {}).get(q["id"]) or {
            "n": 0,
            "o": [0] * len(q["options"]),
            "by": {},
        }
        n, values = qc["n"], qc["o"]
        total_points = sum(values)
        groups = qc.get("by", {}).get("stakeholder_group", {})
        present_weight = sum(
            w for g, w in weights.items() if groups.get(g, {}).get("n")
        )
        options = []
        for i, label in enumerate(q["options"]):
            entry: dict[str, Any] = {
                "label": label,
                "count": values[i],
                "percent": round(100 * _share(q, values[i], n, total_points), 1),
            }
            if weights:
                weighted = 0.0
                for group, weight in weights.items():
                    bucket = groups.get(group)
                    if bucket and bucket["n"]:
                        weighted += weight * _share(
                            q, bucket["o"][i], bucket["n"], sum(bucket["o"])
                        )
                entry["weighted_percent"] = (
                    round(100 * weighted / present_weight, 1)
                    if present_weight
                    else None
                )
            options.append(entry)
        breakdowns: dict[str, Any] = {}
        for key in SEGMENT_KEYS:
            shown, hidden = [], 0
            for value, bucket in sorted(qc.get("by", {}).get(key, {}).items()):
                if bucket["n"] <= 0:
                    continue
                if bucket["n"] < privacy_minimum:
                    hidden += bucket["n"]
                    continue
                total = sum(bucket["o"])
                shown.append(
                    {
                        "value": value,
                        "voters": bucket["n"],
                        "counts": bucket["o"],
                        "percents": [
                            round(100 * _share(q, v, bucket["n"], total), 1)
                            for v in bucket["o"]
                        ],
                    }
                )
            breakdowns[key] = {"groups": shown, "voters_not_shown": hidden}
        result["questions"].append(
            {
                "id": q["id"],
                "text": q["text"],
                "kind": q["kind"],
                "voters": n,
                "options": options,
                "breakdowns": breakdowns,
            }
        )
    return result
