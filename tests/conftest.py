"""Shared fixtures: a tiny corpus indexed with the fake embedder (no model, no network)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.engine import Assistant
from assistant.index import build_index
from assistant.store import MANIFEST, load_index
from tests.fakes import FAKE_MODEL_ID, FakeEmbedder

DATA = Path(__file__).parent / "data"
PROJECT_DOCUMENTS = Path(__file__).resolve().parent.parent / "documents"


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def _tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled documents (without their question bank: the fake embedder has nothing to learn), indexed once
    per session with the fake embedder; each test gets a copy, so none of them rebuilds it (≈ 0.8 s each)."""
    root = tmp_path_factory.mktemp("tiny-template")
    docs = root / "documents"
    shutil.copytree(PROJECT_DOCUMENTS, docs, ignore=shutil.ignore_patterns("questions"))
    settings = Settings(documents_dir=docs, index_dir=root / "index", reload_interval=0)
    embedder = FakeEmbedder()
    build_index(docs, settings.index_dir, lambda: embedder, settings, model_id=FAKE_MODEL_ID,
                dimension=embedder.dimension)
    return root


@pytest.fixture
def tiny_settings(tmp_path: Path, _tiny_template: Path) -> Settings:
    """Settings over a copy of the bundled documents (without the question bank) with an index in a temporary
    folder: the session's build, copied (``current`` included) and recording this copy's documents folder."""
    docs, index_dir = tmp_path / "documents", tmp_path / "index"
    shutil.copytree(_tiny_template / "documents", docs)
    shutil.copytree(_tiny_template / "index", index_dir, symlinks=True)
    manifest_path = index_dir / "current" / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["documents_dir"] = str(docs.resolve())
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return Settings(documents_dir=docs, index_dir=index_dir, reload_interval=0)


@pytest.fixture
def fake_assistant(tiny_settings: Settings, fake_embedder: FakeEmbedder) -> Assistant:
    """An Assistant over the bundled documents, indexed and queried with the fake embedder."""
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
