"""Fixtures for the insights pipeline tests; puts the repo root on sys.path."""

import csv
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def petitions() -> list[tuple[str, str, str]]:
    """(id, text, department) of the 160 sampled UK petitions."""
    with open(DATA / "uk-petitions-sample.csv", encoding="utf-8", newline="") as fh:
        return [(r["id"], r["text"], r["label"]) for r in csv.DictReader(fh)]
