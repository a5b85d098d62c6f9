"""Readers for Pol.is export CSVs (comments, vote log, participants-votes).

Pure ``csv`` module; headers differ between export versions (some have a
``datetime`` column, some ``is-meta``/``xid``), so columns are found by name.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .types import Document, VoteMatrix

__all__ = [
    "ParticipantsVotes",
    "PolisComment",
    "PolisVote",
    "comments_to_documents",
    "last_votes",
    "read_comments",
    "read_last_votes",
    "read_participants_votes",
    "read_votes",
    "votes_to_matrix",
]


@dataclass(frozen=True)
class PolisComment:
    """One statement of a conversation. ``moderated``: 1 in, -1 out, 0 unseen."""

    comment_id: str
    text: str
    author_id: str | None = None
    moderated: int = 0
    agrees: int | None = None
    disagrees: int | None = None
    timestamp: int | None = None  # milliseconds since the epoch
    is_meta: bool = False


@dataclass(frozen=True)
class PolisVote:
    """One line of the vote log: 1 agree, -1 disagree, 0 pass."""

    voter_id: str
    comment_id: str
    vote: int
    timestamp: int | None = None


@dataclass
class ParticipantsVotes:
    """``participants-votes.csv``: the matrix plus Pol.is's own group ids."""

    matrix: VoteMatrix
    group_ids: dict[str, str | None]  # participant -> Pol.is group id, None if none
    n_votes: dict[str, int]


def _int(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _sort_ids(ids: Iterable[str]) -> list[str]:
    # Numeric ids sort as numbers so that "10" comes after "9".
    return sorted(set(ids), key=lambda s: (0, int(s), "") if s.isdigit() else (1, 0, s))


def read_comments(path: str | Path) -> list[PolisComment]:
    """Statements of ``comments.csv`` in file order."""
    out: list[PolisComment] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append(
                PolisComment(
                    comment_id=row["comment-id"].strip(),
                    text=row.get("comment-body") or "",
                    author_id=(row.get("author-id") or "").strip() or None,
                    moderated=_int(row.get("moderated")) or 0,
                    agrees=_int(row.get("agrees")),
                    disagrees=_int(row.get("disagrees")),
                    timestamp=_int(row.get("timestamp")),
                    is_meta=(row.get("is-meta") or "").strip().lower() == "true",
                )
            )
    return out


def read_votes(path: str | Path) -> list[PolisVote]:
    """The raw vote log of ``votes.csv`` in file order, re-votes included."""
    out: list[PolisVote] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            vote = _int(row.get("vote"))
            if vote is None:
                continue
            out.append(
                PolisVote(
                    voter_id=row["voter-id"].strip(),
                    comment_id=row["comment-id"].strip(),
                    vote=max(-1, min(1, vote)),
                    timestamp=_int(row.get("timestamp")),
                )
            )
    return out


def last_votes(votes: Iterable[PolisVote]) -> dict[tuple[str, str], int]:
    """Last vote per (voter, comment): latest timestamp, later line on ties."""
    best: dict[tuple[str, str], tuple[int, int, int]] = {}
    for line, v in enumerate(votes):
        key = (v.voter_id, v.comment_id)
        ts = v.timestamp if v.timestamp is not None else -1
        if key not in best or (ts, line) >= best[key][:2]:
            best[key] = (ts, line, v.vote)
    return {key: val[2] for key, val in best.items()}


def read_last_votes(path: str | Path) -> dict[tuple[str, str], int]:
    """``votes.csv`` reduced to the last vote per (voter, comment)."""
    return last_votes(read_votes(path))


def votes_to_matrix(
    votes: Mapping[tuple[str, str], int],
    comment_ids: Sequence[str] | None = None,
    participant_ids: Sequence[str] | None = None,
) -> VoteMatrix:
    """Participant x comment matrix (NaN = not seen) from last votes."""
    pids = (
        list(participant_ids)
        if participant_ids is not None
        else _sort_ids(p for p, _ in votes)
    )
    cids = (
        list(comment_ids) if comment_ids is not None else _sort_ids(c for _, c in votes)
    )
    prow = {p: i for i, p in enumerate(pids)}
    ccol = {c: j for j, c in enumerate(cids)}
    values = np.full((len(pids), len(cids)), np.nan)
    for (p, c), v in votes.items():
        if p in prow and c in ccol:
            values[prow[p], ccol[c]] = v
    return VoteMatrix(participant_ids=pids, comment_ids=cids, values=values)


def read_participants_votes(path: str | Path) -> ParticipantsVotes:
    """``participants-votes.csv``: comment columns are the all-digit headers."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        col = {name: i for i, name in enumerate(header)}
        comment_cols = [(i, h) for i, h in enumerate(header) if h.strip().isdigit()]
        pids: list[str] = []
        groups: dict[str, str | None] = {}
        n_votes: dict[str, int] = {}
        rows: list[list[float]] = []
        for row in reader:
            if not row:
                continue
            pid = row[col["participant"]].strip()
            pids.append(pid)
            gid = row[col["group-id"]].strip() if "group-id" in col else ""
            groups[pid] = gid or None
            vals = []
            for i, _ in comment_cols:
                cell = row[i].strip() if i < len(row) else ""
                vals.append(float(cell) if cell else math.nan)
            rows.append(vals)
            n_votes[pid] = sum(1 for x in vals if not math.isnan(x))
    values = np.array(rows, dtype=float).reshape(len(pids), len(comment_cols))
    matrix = VoteMatrix(pids, [h.strip() for _, h in comment_cols], values)
    return ParticipantsVotes(matrix=matrix, group_ids=groups, n_votes=n_votes)


def comments_to_documents(
    comments: Iterable[PolisComment], include_moderated_out: bool = False
) -> list[Document]:
    """Statements as pipeline documents (agrees become supports)."""
    docs = []
    for c in comments:
        if c.moderated < 0 and not include_moderated_out:
            continue
        created = (
            datetime.fromtimestamp(c.timestamp / 1000, tz=UTC)
            if c.timestamp is not None
            else None
        )
        docs.append(
            Document(
                id=c.comment_id,
                text=c.text,
                author_id=c.author_id,
                supports=c.agrees or 0,
                created=created,
            )
        )
    return docs
