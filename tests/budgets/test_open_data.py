"""Open data: a Pabulib file becomes a budget (manage.py import_pabulib), the budget
is counted and published, and its export parses back into the same election."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pabutools.election.pabulib import parse_pabulib_from_string

from budgets.actions import do_publish_results, export_pabulib
from budgets.models import BudgetPage, BudgetResult, Project
from home.demo import seed_home

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "budgets" / "data" / "pabulib"
WARSAW = DATA / "Poland_Warszawa_2023_Wesola.pb"
WIELICZKA = DATA / "Poland_Wieliczka_2023_Green_Budget.pb"


def _import(path, *extra):
    seed_home()
    out = StringIO()
    call_command("import_pabulib", str(path), *extra, stdout=out)
    return BudgetPage.objects.latest("pk"), out.getvalue()


def _election(text):
    instance, profile = parse_pabulib_from_string(text)
    projects = {p.name: (int(p.cost), frozenset(p.categories or ())) for p in instance}
    ballots = sorted(sorted(p.name for p in b) for b in profile)
    return int(instance.budget_limit), projects, ballots, instance.meta


def test_import_creates_a_budget_with_every_project_and_its_rule():
    budget, out = _import(WARSAW)
    assert budget.total == 1_011_308 and budget.currency == "PLN"
    assert budget.rule == "greedy"
    assert budget.projects.count() == 29
    assert "29 projects" in out
    top = budget.projects.get(external_id="818")
    assert top.cost == 201_710 and top.vote_count == 530
    assert top.lat == pytest.approx(52.21806007628)


def test_import_refuses_a_file_that_is_not_pabulib(tmp_path):
    seed_home()
    bad = tmp_path / "bad.pb"
    bad.write_text("project;cost\n1;2\n")
    with pytest.raises(CommandError, match="META"):
        call_command("import_pabulib", str(bad), stdout=StringIO())
    assert not BudgetPage.objects.exists()


@pytest.mark.parametrize("path", sorted(DATA.glob("*.pb")), ids=lambda p: p.stem)
def test_export_parses_back_into_the_same_instance_and_profile(path):
    budget, _out = _import(path)
    original = _election(path.read_text(encoding="utf-8-sig"))
    exported = _election(export_pabulib(budget))
    assert exported[0] == original[0]
    assert exported[1] == original[1]
    assert exported[2] == original[2]
    for key in ("description", "country", "unit", "instance", "vote_type"):
        assert exported[3][key] == original[3][key]


def test_import_with_count_publishes_the_citys_winners_for_wieliczka():
    budget, out = _import(WIELICZKA, "--count")
    assert budget.rule == "equalshares/add1-comparison"
    text = WIELICZKA.read_text(encoding="utf-8-sig")
    instance, _profile = parse_pabulib_from_string(text)
    selected = {
        p.name for p in instance if instance.project_meta[p].get("selected") == "1"
    }
    funded = set(
        Project.objects.filter(budget=budget, funded=True).values_list(
            "external_id", flat=True
        )
    )
    assert funded == selected
    rules = set(
        BudgetResult.objects.filter(budget=budget).values_list("rule", flat=True)
    )
    assert rules == {"greedy", "equalshares/add1", "equalshares/add1-comparison"}
    # The exported file now carries Agora's `selected`, equal to the city's.
    _b, projects, _ballots, _meta = _election(
        export_pabulib(BudgetPage.objects.get(pk=budget.pk))
    )
    instance2, _p2 = parse_pabulib_from_string(
        export_pabulib(BudgetPage.objects.get(pk=budget.pk))
    )
    assert {
        p.name for p in instance2 if instance2.project_meta[p].get("selected") == "1"
    } == selected
    assert "Results published" in out


def test_results_page_shows_both_rules_with_explanations(client):
    budget, _out = _import(WARSAW)
    do_publish_results(None, budget)
    response = client.get(f"/budgets/{budget.pk}/results/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Greedy" in html and "Equal Shares" in html
    assert "was left when its turn came" in html
    assert "Its supporters paid" in html
    assert "Not funded" in html
