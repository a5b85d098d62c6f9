"""Stored sentence embeddings of ideas: which encoder the site uses and how to read
the vectors back for a report. Writing them is insights.actions.do_store_embeddings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from django.conf import settings

from .models import IdeaEmbedding
from .pipeline import SentenceEncoder, backend_name, load_encoder
from .pipeline.embed import DIM, MODEL


def encoder() -> SentenceEncoder | None:
    """The packaged encoder, or None when settings turn it off or it is absent."""
    return load_encoder(enabled=bool(getattr(settings, "INSIGHTS_EMBEDDINGS", True)))


def describe_backend() -> str:
    return backend_name(enabled=bool(getattr(settings, "INSIGHTS_EMBEDDINGS", True)))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_vectors(idea_ids: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """One row per idea: its stored vector if it matches the text, else zeros.

    Zero rows are what the pipeline embeds itself, so an idea whose task has not
    run yet (or whose text changed since) is still analysed correctly.
    """
    out = np.zeros((len(idea_ids), DIM), dtype=np.float32)
    row = {int(pk): i for i, pk in enumerate(idea_ids)}
    wanted = {int(pk): text_hash(t) for pk, t in zip(idea_ids, texts, strict=True)}
    rows = (
        IdeaEmbedding.objects.filter(idea_id__in=list(row), backend=MODEL)
        .values_list("idea_id", "text_hash", "vector")
        .iterator(chunk_size=2000)
    )
    for idea_id, digest, vector in rows:
        if wanted[idea_id] == digest:
            out[row[idea_id]] = np.frombuffer(bytes(vector), dtype="<f4")
    return out
