"""Reading outside data for the command line (`analyse_texts`, `analyse_votes`).

Everything a person can get wrong in a file becomes a CommandError that says what
to fix, never a traceback.
"""

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from insights.pipeline import Document

MAX_FIELD = 1_000_000  # a single CSV cell may hold a long consultation answer


def read_text_rows(
    path: Path, text_column: str, id_column: str | None
) -> list[Document]:
    """Documents from a CSV file: one per row with non-empty text."""
    csv.field_size_limit(MAX_FIELD)
    if not path.is_file():
        raise CommandError(f"{path}: no such file.")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            if text_column not in columns:
                raise CommandError(
                    f"{path}: there is no column {text_column!r}. "
                    f"Columns found: {', '.join(columns) or '(none: is the file empty?)'}."
                )
            if id_column and id_column not in columns:
                raise CommandError(
                    f"{path}: there is no column {id_column!r}. "
                    f"Columns found: {', '.join(columns)}."
                )
            docs: list[Document] = []
            seen: set[str] = set()
            for line, row in enumerate(reader, start=2):
                text = (row.get(text_column) or "").strip()
                if not text:
                    continue
                doc_id = (row.get(id_column) or "").strip() if id_column else str(line)
                if not doc_id:
                    raise CommandError(f"{path}, line {line}: the id is empty.")
                if doc_id in seen:
                    raise CommandError(
                        f"{path}, line {line}: the id {doc_id!r} appears twice; "
                        "ids must be unique."
                    )
                seen.add(doc_id)
                docs.append(Document(id=doc_id, text=text))
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start}). "
            "Save the file as UTF-8 CSV and try again."
        ) from None
    except csv.Error as error:
        raise CommandError(f"{path}: not a readable CSV file ({error}).") from None
    return docs


def read_previous_groups(path: Path) -> dict[str, int]:
    """The ``participants`` map (participant id -> group id) of an earlier
    ``analyse_votes`` result, to start the groups from."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path}: not JSON ({error.msg}, line {error.lineno})."
        ) from None
    participants = data.get("participants") if isinstance(data, dict) else None
    if not isinstance(participants, dict):
        raise CommandError(
            f'{path}: no "participants" map; give a file written by analyse_votes.'
        )
    return {
        str(p): g
        for p, g in participants.items()
        if isinstance(g, int) and not isinstance(g, bool)
    }


def write_json(data: dict[str, Any], out: Path) -> None:
    try:
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as error:
        raise CommandError(
            f"{out}: cannot write the result ({error.strerror})."
        ) from None
