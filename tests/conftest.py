"""Shared fixtures: a tiny corpus indexed with the fake embedder (no model, no network)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.engine import Assistant
from assistant.index import build_index, load_index
from tests.fakes import FAKE_MODEL_ID, FakeEmbedder

DATA = Path(__file__).parent / "data"
PROJECT_DOCUMENTS = Path(__file__).resolve().parent.parent / "documents"


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def tiny_settings(tmp_path: Path) -> Settings:
    """Settings over a copy of the bundled documents (without their question bank: the fake embedder has
    nothing to learn) with an index in a temporary folder."""
    docs = tmp_path / "documents"
    shutil.copytree(PROJECT_DOCUMENTS, docs, ignore=shutil.ignore_patterns("questions"))
    return Settings(documents_dir=docs, index_dir=tmp_path / "index", reload_interval=0)


@pytest.fixture
def fake_assistant(tiny_settings: Settings, fake_embedder: FakeEmbedder) -> Assistant:
    """An Assistant over the bundled documents, indexed and queried with the fake embedder."""
    build_index(tiny_settings.documents_dir, tiny_settings.index_dir, lambda: fake_embedder, tiny_settings,
                model_id=FAKE_MODEL_ID, dimension=fake_embedder.dimension)
    index = load_index(tiny_settings.index_dir, FAKE_MODEL_ID, fake_embedder.dimension)
    return Assistant(index, fake_embedder, tiny_settings)


@pytest.fixture(scope="session")
def real_assistant() -> Assistant:
    """The real model over the bundled documents' index (built first if missing or stale). Loaded once.

    The embedder is the product's (``make_embedder``: ONNX unless ``ASSISTANT_EMBEDDER=torch``).
    """
    from assistant.embed import make_embedder
    from assistant.index import staleness

    settings = Settings()
    embedder = make_embedder(settings)
    if staleness(settings.documents_dir, settings.index_dir, settings) is not None:
        build_index(settings.documents_dir, settings.index_dir, lambda: embedder, settings)
    return Assistant.load(settings, embedder)
