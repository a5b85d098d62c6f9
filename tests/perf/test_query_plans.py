"""Every list a page shows is served by an index, even at 10,000 rows.

The check runs the real pages against the bench's 10,000-idea campaign, a forum with
10,000 threads and a thread with 500 posts, captures the SQL they execute and asks
the database to plan each statement again: a sequential scan (PostgreSQL) or a full
table scan (SQLite) of a large table fails the test with the statement and its plan.

The question is whether an index *can* serve each statement, whatever this data's
distribution (here one campaign holds every idea, so a scan is cheapest to count
it): PostgreSQL plans with sequential scans priced out (`enable_seqscan = off`,
which still shows one where no index applies), and SQLite plans without statistics,
assuming its indexes are selective.
"""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import fixtures

pytestmark = pytest.mark.django_db

LARGE_TABLES = ("ideas_idea", "forums_thread", "forums_post")
TABLES = "|".join(LARGE_TABLES)


def _full_scans(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            cursor.execute("SET LOCAL enable_seqscan = on")
            pattern = re.compile(rf"Seq Scan on ({TABLES})\b")
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = [row[-1] for row in cursor.fetchall()]
            # "SCAN t USING INDEX i" walks an index in order and stops at the page's
            # LIMIT, and so does a bare "SCAN t" when the order is the primary key
            # (SQLite's rowid); any other bare "SCAN t" reads the whole table.
            if re.search(r'ORDER BY "\w+"\."id" ASC LIMIT', sql):
                return []
            pattern = re.compile(rf"^SCAN ({TABLES})(?: AS \w+)?$")
    return [line for line in plan if pattern.search(line.strip())]


@pytest.fixture
def large_site(db):
    paths = {
        "campaign newest": fixtures.campaign_newest()["path"],
        "campaign supported": fixtures.campaign_supported()["path"],
        "campaign discussed": fixtures.campaign_discussed()["path"],
        "campaign category, page 2": fixtures.campaign_category_filter()["path"],
        "campaign random, page 3": fixtures.campaign_random()["path"],
        "forum latest": fixtures.forum_10000_threads()["path"],
        "thread with 500 posts": fixtures.forum_thread_500_posts()["path"],
        "idea with 200 comments": fixtures.idea_page_200_comments()["path"],
    }
    paths["forum top"] = paths["forum latest"] + "?sort=top"
    paths["forum unanswered"] = paths["forum latest"] + "?sort=unanswered"
    paths["campaign state filter"] = (
        paths["campaign newest"].split("?")[0] + "?state=published&sort=supported"
    )
    campaign_id = fixtures._bench_campaign().pk
    paths["API ideas of a campaign"] = f"/api/ideas/?campaign={campaign_id}"
    paths["API ideas, page 3"] = f"/api/ideas/?campaign={campaign_id}&page=3"
    return paths


def test_list_pages_at_10000_rows_never_scan_a_large_table(client, large_site):
    offenders = []
    for name, path in large_site.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            if not any(table in sql for table in LARGE_TABLES):
                continue
            scans = _full_scans(sql)
            if scans:
                offenders.append(f"{name} ({path}):\n  {sql[:400]}\n  -> {scans}")
    assert not offenders, "Full scans of large tables:\n" + "\n".join(offenders)


def test_statistics_are_refreshed_after_a_bulk_load(db):
    """After a bulk load the planner knows the table's size (bench, demo, importers)."""
    fixtures.forum_10000_threads()
    call_command("refresh_db_statistics")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = 'forums_thread'"
            )
            assert cursor.fetchone()[0] >= 10_000
        else:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'forums_thread'")
            rows = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
            assert rows and max(rows) >= 10_000
