"""The index: manifest, reuse of unchanged vectors, atomic swap, killed and failed builds, refusals, staleness."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import assistant.index as index_module
import assistant.store as store_module
from assistant.config import CHUNKER_VERSION, Settings
from assistant.index import staleness
from assistant.ingest import CorpusError
from assistant.store import IndexUnavailable, current_path, load_index, read_manifest
from tests.fakes import FAKE_MODEL_ID, FakeEmbedder
from tests.helpers_index import (
    PROJECT_DOCUMENTS,
    QUIRKS,
    TETRACYCLINE_ROW,
    FailingEmbedder,
    chunks_of,
    copy_corpus,
    dense_search,
    fake_build,
    fake_load,
    lexical_best,
)

REPO = Path(__file__).resolve().parent.parent
RESEARCH = "magnesium-glycinate-research.txt"


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the bundled documents and an index folder, with one build already served."""
    docs, index = copy_corpus(PROJECT_DOCUMENTS, tmp_path / "docs"), tmp_path / "index"
    fake_build(docs, index, FakeEmbedder())
    return docs, index


def _answers_tetracycline(index_dir: Path) -> str:
    """Load the served index, check it finds the interaction row both ways, return its build id."""
    loaded = fake_load(index_dir)
    embedder = FakeEmbedder()
    top = dense_search(loaded, embedder, "Tetracycline Antibiotics Doxycycline Minocycline Tetracycline", k=3)
    assert any(TETRACYCLINE_ROW in c.text for c in top)
    assert TETRACYCLINE_ROW in lexical_best(loaded, "doxycycline minocycline").text
    return loaded.build_id


def _edit(docs: Path, name: str = RESEARCH, extra: str = "\nNew Findings\nMagnesium may also ease restless legs.\n") -> None:
    path = docs / name
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")


def _builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in (index_dir / "builds").iterdir())


def test_first_build_writes_a_complete_manifest_and_loads(tmp_path: Path) -> None:
    docs, index_dir = copy_corpus(PROJECT_DOCUMENTS, tmp_path / "docs"), tmp_path / "index"
    embedder = FakeEmbedder()
    summary = fake_build(docs, index_dir, embedder)
    manifest = read_manifest(index_dir)
    assert manifest is not None
    assert manifest["model"] == {"id": FAKE_MODEL_ID, "dimension": 64}
    assert manifest["chunker_version"] == CHUNKER_VERSION
    assert manifest["settings"] == {"chunk_max_chars": 600, "chunk_min_chars": 0, "sentence_vectors": True}
    assert datetime.fromisoformat(manifest["built_at"]).tzinfo is not None
    sha = {d["path"]: d["sha256"] for d in manifest["documents"]}
    assert sha == {d["path"]: d["sha256"] for d in manifest["documents"]} and len(sha) == 5
    import hashlib

    for path, digest in sha.items():
        assert digest == hashlib.sha256((PROJECT_DOCUMENTS / path).read_bytes()).hexdigest()
    counts = manifest["counts"]
    assert counts["documents"] == 5 and set(counts["units"]) == {"body", "safety", "disclaimer", "references",
                                                                 "boilerplate"}
    assert os.readlink(current_path(index_dir)) == f"builds/{manifest['build_id']}"

    loaded = fake_load(index_dir)
    assert len(loaded.chunks) == counts["chunks"] == summary.chunks
    assert loaded.vectors.ntotal == len(loaded.searchable) == counts["searchable_chunks"] == loaded.lexical.n_docs
    assert all(loaded.chunks[i].searchable for i in loaded.searchable)
    assert all(not c.searchable for i, c in enumerate(loaded.chunks) if i not in set(loaded.searchable))
    assert summary.embedded == counts["searchable_chunks"] and summary.reused == 0
    assert summary.sentences == counts["sentences"] == len(loaded.sentence_rows) == len(loaded.sentence_vectors) > 0
    assert embedder.texts_embedded == summary.embedded + summary.sentences_embedded
    assert summary.first_build and summary.documents == 5 and summary.units_by_kind == counts["units"]
    # The chunk store round-trips exactly what chunking produces.
    text, _, fresh = chunks_of(docs / "magnesium-glycinate-clinical-review.txt")
    stored = [c for c in loaded.chunks if c.doc_id == "magnesium-glycinate-clinical-review"]
    assert stored == fresh
    doc = loaded.documents["magnesium-glycinate-clinical-review"]
    assert doc.text == text and len(doc.references) == 48 and doc.title.startswith("Magnesium Glycinate: A Compre")
    assert _answers_tetracycline(index_dir) == manifest["build_id"]


def test_unchanged_rebuild_embeds_nothing_and_keeps_vectors(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    before = fake_load(index_dir)
    embedder = FakeEmbedder()
    summary = fake_build(docs, index_dir, embedder)
    assert embedder.texts_embedded == 0 and embedder.calls == 0
    assert summary.embedded == 0 and summary.reused == summary.searchable_chunks
    assert (summary.added, summary.changed, summary.removed, summary.first_build) == ([], [], [], False)
    after = fake_load(index_dir)
    assert after.build_id != before.build_id
    n = before.vectors.ntotal
    assert np.array_equal(before.vectors.reconstruct_n(0, n), after.vectors.reconstruct_n(0, n))


def test_editing_one_document_re_embeds_only_its_changed_chunks(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    old_hashes = {c.content_hash for c in fake_load(index_dir).chunks}
    _edit(docs)
    embedder = FakeEmbedder()
    summary = fake_build(docs, index_dir, embedder)
    new = fake_load(index_dir)
    expected = {new.chunks[i].content_hash for i in new.searchable} - old_hashes
    assert 0 < len(expected) == summary.embedded < 5
    assert embedder.texts_embedded == summary.embedded + summary.sentences_embedded
    assert summary.changed == [RESEARCH] and summary.added == [] and summary.removed == []
    assert any("restless legs" in c.text for c in new.chunks)


def test_added_and_removed_documents_are_reported(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    (docs / "sleep-mineral-science-2025.txt").unlink()
    (docs / "notes.md").write_text("# Notes\n\n## Timing\n\nTake magnesium glycinate in the evening.\n", encoding="utf-8")
    embedder = FakeEmbedder()
    summary = fake_build(docs, index_dir, embedder)
    assert summary.added == ["notes.md"] and summary.removed == ["sleep-mineral-science-2025.txt"]
    assert summary.documents == 5 and summary.embedded == 1
    assert embedder.texts_embedded == 1 + summary.sentences_embedded
    assert fake_load(index_dir).documents["notes"].title == "Notes"


def test_progress_is_told_the_total_the_reused_and_each_batch(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    calls: list[tuple[int, int]] = []
    batches: list[int] = []

    def progress(total: int, done: int):  # type: ignore[no-untyped-def]
        calls.append((total, done))
        return batches.append

    _edit(docs)
    summary = fake_build(docs, index_dir, FakeEmbedder(), progress=progress)
    total = summary.searchable_chunks + summary.sentences
    assert calls == [(total, total - summary.embedded - summary.sentences_embedded)]
    assert sum(batches) == summary.embedded + summary.sentences_embedded
    calls.clear()
    fake_build(docs, index_dir, FakeEmbedder(), progress=progress)
    assert calls == [], "nothing to embed: no progress bar"


def test_swap_keeps_two_complete_builds_and_no_temporary_folders(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    ids = [read_manifest(index_dir)["build_id"]]  # type: ignore[index]
    for _ in range(3):
        ids.append(fake_build(docs, index_dir, FakeEmbedder()).build_id)
    assert _builds(index_dir) == sorted(ids[-2:])
    assert read_manifest(index_dir)["build_id"] == ids[-1]  # type: ignore[index]
    assert not list(index_dir.glob(".current-*"))


def test_failing_embedder_leaves_the_served_index_untouched(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    served = _answers_tetracycline(index_dir)
    builds = _builds(index_dir)
    notes = " ".join(f"Magnesium glycinate note number {i} is here." for i in range(200))
    (docs / "extra.txt").write_text(f"Extra\n\n{notes}\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="embedding backend crashed"):
        fake_build(docs, index_dir, FailingEmbedder(ok_batches=1), Settings(embed_batch_size=2))
    assert _answers_tetracycline(index_dir) == served
    assert _builds(index_dir) == builds, "no new or half-written build folder"
    assert fake_build(docs, index_dir, FakeEmbedder()).documents == 6, "the lock was released"


def _run_and_kill(docs: Path, index_dir: Path, phase: str, tmp_path: Path) -> None:
    flag = tmp_path / f"{phase}.signal"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.helpers_index", str(docs), str(index_dir), str(flag), phase],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"build exited before being killed: {proc.returncode}\n{err.decode()}")
            assert time.monotonic() < deadline, "the build never reached the kill point"
            time.sleep(0.05)
        assert flag.read_text(encoding="utf-8") == phase
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("phase", ["embedding", "writing"])
def test_build_killed_part_way_leaves_the_previous_index_serving(corpus: tuple[Path, Path], tmp_path: Path,
                                                                  phase: str) -> None:
    docs, index_dir = corpus
    served = _answers_tetracycline(index_dir)
    _edit(docs)
    _run_and_kill(docs, index_dir, phase, tmp_path)
    assert _answers_tetracycline(index_dir) == served
    assert staleness(docs, index_dir, Settings(), FAKE_MODEL_ID) == "documents changed since the last build"
    leftovers = [n for n in _builds(index_dir) if ".tmp-" in n]
    assert (len(leftovers) == 1) == (phase == "writing"), "only a build killed while writing leaves a temp folder"
    summary = fake_build(docs, index_dir, FakeEmbedder())  # the dead process's lock is gone
    assert summary.changed == [RESEARCH]
    assert not [n for n in _builds(index_dir) if ".tmp-" in n], "the next build cleans up"
    assert _answers_tetracycline(index_dir) == summary.build_id


def test_concurrent_build_is_refused(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    with open(index_dir / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(IndexUnavailable, match="another build is running"):
            fake_build(docs, index_dir, FakeEmbedder())


def test_fatal_input_error_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        fake_build(tmp_path / "missing", tmp_path / "index", FakeEmbedder())
    assert not (tmp_path / "index").exists()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_bytes(b"")
    with pytest.raises(CorpusError, match="nothing was indexed"):
        fake_build(bad, tmp_path / "index", FakeEmbedder())
    assert not (tmp_path / "index").exists()


def test_fatal_input_error_keeps_the_served_index(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    _, index_dir = corpus
    served = _answers_tetracycline(index_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError):
        fake_build(empty, index_dir, FakeEmbedder())
    assert _answers_tetracycline(index_dir) == served


def test_load_refuses_another_model_or_dimension(corpus: tuple[Path, Path]) -> None:
    _, index_dir = corpus
    with pytest.raises(IndexUnavailable, match=r"built with test/hashing-bag-of-words .*Rebuild it with: assistant index"):
        load_index(index_dir, "sentence-transformers/all-MiniLM-L6-v2", 384)
    with pytest.raises(IndexUnavailable, match="Rebuild"):
        load_index(index_dir, FAKE_MODEL_ID, 32)


def test_load_refuses_another_chunker_version(corpus: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    docs, index_dir = corpus
    monkeypatch.setattr(index_module, "CHUNKER_VERSION", "999")
    monkeypatch.setattr(store_module, "CHUNKER_VERSION", "999")
    with pytest.raises(IndexUnavailable, match=f"chunker version {CHUNKER_VERSION}, this code is version 999.*Rebuild"):
        fake_load(index_dir)
    assert staleness(docs, index_dir, Settings(), FAKE_MODEL_ID) == "the index was built by another model or chunker version"


def test_load_without_an_index_or_with_a_damaged_one(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="No index in .*assistant index"):
        fake_load(tmp_path / "nowhere")
    _, index_dir = corpus
    (current_path(index_dir).resolve() / "chunks.jsonl").unlink()
    with pytest.raises(IndexUnavailable, match="damaged.*Rebuild"):
        fake_load(index_dir)


def test_staleness(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    docs, index_dir = corpus
    settings = Settings()
    assert staleness(docs, index_dir, settings, FAKE_MODEL_ID) is None
    assert staleness(docs, tmp_path / "other", settings, FAKE_MODEL_ID) == "no index has been built yet"
    assert staleness(docs, index_dir, settings) == "the index was built by another model or chunker version"
    assert staleness(docs, index_dir, Settings(chunk_max_chars=300), FAKE_MODEL_ID) == "chunking settings changed"
    _edit(docs)
    assert staleness(docs, index_dir, settings, FAKE_MODEL_ID) == "documents changed since the last build"


def test_new_chunk_settings_rebuild_reuses_what_did_not_change(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    settings = Settings(chunk_max_chars=300)
    embedder = FakeEmbedder()
    summary = fake_build(docs, index_dir, embedder, settings)
    manifest = read_manifest(index_dir)
    assert manifest is not None and manifest["settings"]["chunk_max_chars"] == 300
    assert 0 < summary.reused < summary.searchable_chunks, "whole table rows and short paragraphs are reused"
    assert staleness(docs, index_dir, settings, FAKE_MODEL_ID) is None


def test_same_model_with_another_dimension_rebuilds_instead_of_crashing(corpus: tuple[Path, Path]) -> None:
    docs, index_dir = corpus
    embedder = FakeEmbedder(dimension=32)
    summary = fake_build(docs, index_dir, embedder)
    assert summary.reused == 0 and 0 < summary.sentences_embedded <= summary.sentences
    assert embedder.texts_embedded == summary.searchable_chunks + summary.sentences_embedded
    assert fake_load(index_dir, dimension=32).vectors.d == 32


def test_a_corpus_with_nothing_searchable_still_builds(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "nav.txt").write_text("Previous\nHome\nNext\n", encoding="utf-8")
    summary = fake_build(docs, tmp_path / "index", FakeEmbedder())
    assert summary.searchable_chunks == 0 and summary.chunks == 1 and summary.units_by_kind == {"boilerplate": 3}
    loaded = fake_load(tmp_path / "index")
    assert loaded.vectors.ntotal == 0 and loaded.lexical.n_docs == 0


def test_markdown_and_text_folder_builds(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    summary = fake_build(QUIRKS, index_dir, FakeEmbedder())
    assert summary.documents == len(list(QUIRKS.iterdir())) and summary.problems == []
    loaded = fake_load(index_dir)
    md = [c for c in loaded.chunks if c.doc_id == "markdown-guide"]
    assert ("Safety", "Interactions") in {c.section_path for c in md}
    manifest = json.loads((current_path(index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert {d["title"] for d in manifest["documents"]} >= {"Magnesium Glycinate Guide", "Drug Interactions Review"}


def test_identical_passages_are_embedded_once(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.txt", "b.txt"):
        (docs / name).write_text("Sleep\n\nMagnesium glycinate may help you fall asleep.\n", encoding="utf-8")
    embedder = FakeEmbedder()
    summary = fake_build(docs, tmp_path / "index", embedder)
    assert summary.searchable_chunks == 2 and embedder.texts_embedded == 1 + summary.sentences_embedded
    assert summary.embedded == 1 and summary.reused == 1
    loaded = fake_load(tmp_path / "index")
    assert loaded.vectors.ntotal == 2
    n = loaded.vectors.ntotal
    vectors = loaded.vectors.reconstruct_n(0, n)
    assert np.array_equal(vectors[0], vectors[1])


def test_a_document_the_parser_chokes_on_is_skipped_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = index_module.parse_document

    def fragile(doc_id: str, text: str, markdown: bool = False):  # type: ignore[no-untyped-def]
        if doc_id == "mangled-table":
            raise ValueError("unexpected layout")
        return real(doc_id, text, markdown=markdown)

    monkeypatch.setattr(index_module, "parse_document", fragile)
    summary = fake_build(QUIRKS, tmp_path / "index", FakeEmbedder())
    assert summary.problems == ["mangled_table.txt: skipped: could not be parsed (ValueError: unexpected layout)"]
    assert summary.documents == len(list(QUIRKS.iterdir())) - 1
    assert "mangled-table" not in fake_load(tmp_path / "index").documents
    assert staleness(QUIRKS, tmp_path / "index", Settings(), FAKE_MODEL_ID) is None, "not rebuilt on every run"


def test_sentence_vectors_can_be_turned_off_for_large_corpora(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Sleep\n\nMagnesium glycinate may help you fall asleep. It is gentle.\n", encoding="utf-8")
    embedder = FakeEmbedder()
    summary = fake_build(docs, tmp_path / "index", embedder, Settings(sentence_vectors=False))
    assert summary.sentences == 0 and embedder.texts_embedded == summary.embedded == 1
    assert len(fake_load(tmp_path / "index").sentence_vectors) == 0


def test_a_new_chunker_version_still_reuses_unchanged_vectors(corpus: tuple[Path, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    docs, index_dir = corpus
    monkeypatch.setattr("assistant.index.CHUNKER_VERSION", "next")
    embedder = FakeEmbedder()
    summary = fake_build(docs, index_dir, embedder)
    assert summary.embedded == 0 and summary.sentences_embedded == 0 and embedder.texts_embedded == 0
    assert read_manifest(index_dir)["chunker_version"] == "next"  # type: ignore[index]
