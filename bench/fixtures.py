"""Data the HTTP scenarios need, made inside Django by bench/run.py before the server starts.

Each function returns a JSON-ready dict; "path" is the URL the scenario loads.
Later capabilities add their own functions here (a thread with 500 posts, ...).
"""

from typing import Any


def home_page() -> dict[str, Any]:
    from home.demo import seed_home

    seed_home()
    return {"path": "/"}


def bare_view() -> dict[str, Any]:
    return {"path": "/healthz"}
