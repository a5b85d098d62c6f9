"""Fixtures for the insights pipeline tests: small real samples kept in tests/insights/data."""

import csv
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def petitions() -> list[tuple[str, str, str]]:
    """(id, text, department) of the 160 sampled UK petitions."""
    with open(DATA / "uk-petitions-sample.csv", encoding="utf-8", newline="") as fh:
        return [(r["id"], r["text"], r["label"]) for r in csv.DictReader(fh)]
