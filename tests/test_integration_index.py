"""The real index over documents/ with the real model, built into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import build_index
from assistant.store import LoadedIndex, load_index
from assistant.vectors import search as vector_search
from tests.helpers_index import PROJECT_DOCUMENTS, TETRACYCLINE_ROW

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedIndex, object]:
    from assistant.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    index_dir = tmp_path_factory.mktemp("real") / "index"
    settings = Settings(documents_dir=PROJECT_DOCUMENTS, index_dir=index_dir)
    summary = build_index(PROJECT_DOCUMENTS, index_dir, lambda: embedder, settings)
    assert summary.documents == 5 and summary.embedded == summary.searchable_chunks
    again = build_index(PROJECT_DOCUMENTS, index_dir, lambda: embedder, settings)
    assert again.embedded == 0, "an unchanged rebuild with the real model re-embeds nothing"
    return load_index(index_dir, embedder.model_id, embedder.dimension), embedder


def test_tetracycline_row_is_one_safety_chunk_with_its_section(real_index: tuple[LoadedIndex, object]) -> None:
    index, _ = real_index
    doc = index.documents["magnesium-glycinate-clinical-review"]
    start = doc.text.index(TETRACYCLINE_ROW)
    holding = [c for c in index.chunks if c.doc_id == doc.id and c.start <= start < c.end]
    assert len(holding) == 1
    row = holding[0]
    assert row.start == start and doc.text[row.start : row.end] == row.text
    assert row.text.endswith("4-6 hours after the magnesium supplement. ⁴⁷")
    assert (row.kind, row.block, row.searchable) == ("safety", "table_row", True)
    assert row.section == "Table 3: Clinically Significant Drug Interactions with Magnesium Supplements"
    assert row.section_path[-2] == "Clinically Significant Drug Interactions"
    assert "Example Drugs: Doxycycline, Minocycline, Tetracycline" in row.context


def test_real_vectors_find_the_interaction_row(real_index: tuple[LoadedIndex, object]) -> None:
    index, embedder = real_index
    query = embedder.embed_batch(["Can I take magnesium with doxycycline?"])[0]  # type: ignore[attr-defined]
    _, rows = vector_search(index.vectors, query, 5)
    found = [index.chunks[index.searchable[int(r)]] for r in rows]
    assert any(TETRACYCLINE_ROW in c.text for c in found)


def test_every_real_chunk_is_an_exact_slice(real_index: tuple[LoadedIndex, object]) -> None:
    index, _ = real_index
    for c in index.chunks:
        assert index.documents[c.doc_id].text[c.start : c.end] == c.text
    assert isinstance(index.path, Path) and index.manifest["model"]["dimension"] == 384
