"""`assistant index` through click's CliRunner, with the fake embedder standing in for the model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import assistant.embed
from assistant.cli import main
from assistant.config import Settings
from assistant.embed import MODEL_DIMENSION, MODEL_ID
from assistant.store import load_index, read_manifest
from tests.fakes import FakeEmbedder
from tests.helpers_index import PROJECT_DOCUMENTS, QUIRKS, TETRACYCLINE_ROW, RealSizedFake, copy_corpus, fake_build


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> list[RealSizedFake]:
    """Every embedder the command creates (through ``make_embedder``) is a fake with the real model's id and size; listed for checks."""
    made: list[RealSizedFake] = []

    def factory() -> RealSizedFake:
        made.append(RealSizedFake())
        return made[-1]

    monkeypatch.setattr(assistant.embed, "make_embedder", lambda settings=None: factory())
    return made


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["index", *map(str, args)])


def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def test_index_any_folder_prints_progress_and_a_summary(tmp_path: Path, fake_model: list[RealSizedFake]) -> None:
    index_dir = tmp_path / "index"
    result = run("--documents", QUIRKS, "--index", index_dir)
    assert result.exit_code == 0, result.output
    n_docs = len(list(QUIRKS.iterdir()))
    assert re.search(rf"^Indexed {n_docs} documents in \d+\.\d s → {re.escape(str(index_dir))}$", result.stdout, re.M)
    assert re.search(r"^  units by kind: body \d+, boilerplate \d+, disclaimer \d+, references \d+, safety \d+$",
                     result.stdout, re.M)
    chunks = re.search(r"^  chunks: (\d+) \((\d+) searchable\); embedded (\d+), reused 0$", result.stdout, re.M)
    sentences = re.search(r"^  sentences: (\d+) \(embedded (\d+), reused \d+\)$", result.stdout, re.M)
    assert chunks and sentences and int(chunks.group(3)) == int(chunks.group(2))
    assert int(chunks.group(3)) + int(sentences.group(2)) == fake_model[0].texts_embedded
    to_embed = int(chunks.group(2)) + int(sentences.group(1))
    assert "  since last build: first build" in result.stdout
    assert result.stderr.startswith(f"Reading and chunking the documents in {QUIRKS} ...")
    assert "Embedding" in result.stderr and f"{to_embed}/{to_embed}" in result.stderr, "progress bar"
    assert _warnings(result) == []
    manifest = read_manifest(index_dir)
    assert manifest is not None and manifest["model"] == {"id": MODEL_ID, "dimension": MODEL_DIMENSION}


def test_rebuild_reports_what_changed_and_reuses_vectors(tmp_path: Path, fake_model: list[RealSizedFake]) -> None:
    docs, index_dir = copy_corpus(PROJECT_DOCUMENTS, tmp_path / "docs"), tmp_path / "index"
    assert run("--documents", docs, "--index", index_dir).exit_code == 0
    again = run("--documents", docs, "--index", index_dir)
    assert again.exit_code == 0
    assert re.search(r"embedded 0, reused \d+$", again.stdout, re.M)
    assert "  since last build: no document changes" in again.stdout
    assert "Embedding" not in again.stderr, "no progress bar when nothing is embedded"
    assert len(fake_model) == 1, "the model is not even loaded when every vector is reused"

    (docs / "magnesium-glycinate-research.txt").chmod(0o644)
    with open(docs / "magnesium-glycinate-research.txt", "a", encoding="utf-8") as fh:
        fh.write("\nNew Findings\nMagnesium may ease restless legs.\n")
    (docs / "sleep-mineral-science-2025.txt").unlink()
    (docs / "notes.md").write_text("# Notes\n\n## Timing\n\nTake it in the evening.\n", encoding="utf-8")
    changed = run("--documents", docs, "--index", index_dir)
    assert changed.exit_code == 0
    assert ("  since last build: added: notes.md; changed: magnesium-glycinate-research.txt; "
            "removed: sleep-mineral-science-2025.txt") in changed.stdout
    embedded = int(re.search(r"embedded (\d+),", changed.stdout).group(1))  # type: ignore[union-attr]
    sentences = int(re.search(r"sentences: \d+ \(embedded (\d+),", changed.stdout).group(1))  # type: ignore[union-attr]
    assert 0 < embedded <= 4 and fake_model[-1].texts_embedded == embedded + sentences


def test_if_stale_does_nothing_when_up_to_date(tmp_path: Path, fake_model: list[RealSizedFake]) -> None:
    index_dir = tmp_path / "index"
    first = run("--documents", QUIRKS, "--index", index_dir, "--if-stale")
    assert first.exit_code == 0 and "Rebuilding: no index has been built yet." in first.stdout
    second = run("--documents", QUIRKS, "--index", index_dir, "--if-stale")
    assert second.exit_code == 0
    assert second.stdout.strip() == f"Index in {index_dir} is up to date."
    assert len(fake_model) == 1


def test_bad_files_are_named_one_line_each_and_skipped(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Good\n\n## Sleep\n\nMagnesium may help sleep.\n", encoding="utf-8")
    (docs / "latin1.txt").write_bytes("Caf\xe9 notes".encode("latin-1"))
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02\x03 binary")
    (docs / "slides.pptx").write_bytes(b"PK\x03\x04")
    result = run("--documents", docs, "--index", tmp_path / "index", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(_warnings(result)) == [
        "warning: binary.txt: skipped: binary file (contains NUL bytes)",
        "warning: empty.txt: skipped: the file is empty",
        "warning: latin1.txt: skipped: not UTF-8 text (invalid byte at offset 3)",
        "warning: slides.pptx: skipped: unsupported file type '.pptx' (supported: .txt, .md, .markdown)",
    ]
    assert "Indexed 1 documents" in result.stdout and "  skipped files or bank lines: 4" in result.stdout
    assert "Embedding" not in result.stderr, "--quiet hides the progress bar"


def test_nothing_indexable_exits_non_zero_names_each_file_and_writes_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    (docs / "paper.pdf").write_bytes(b"%PDF-1.7")
    result = run("--documents", docs, "--index", tmp_path / "index")
    assert result.exit_code == 1
    assert sorted(_warnings(result)) == [
        "warning: empty.txt: skipped: the file is empty",
        "warning: paper.pdf: skipped: unsupported file type '.pdf' (supported: .txt, .md, .markdown)",
    ]
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {docs}: no indexable documents (2 file(s) skipped); nothing was indexed")
    assert not (tmp_path / "index").exists()


def test_missing_or_empty_folder_is_fatal(tmp_path: Path) -> None:
    missing = run("--documents", tmp_path / "nope", "--index", tmp_path / "index")
    assert missing.exit_code == 1
    assert missing.stderr.strip().splitlines()[-1] == (
        f"Error: {tmp_path / 'nope'}: documents folder not found; nothing was indexed")
    (tmp_path / "empty").mkdir()
    empty = run("--documents", tmp_path / "empty", "--index", tmp_path / "index")
    assert empty.exit_code == 1 and "no .txt or .md files" in empty.stderr
    assert not (tmp_path / "index").exists()


def test_failure_keeps_the_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs, index_dir = copy_corpus(PROJECT_DOCUMENTS, tmp_path / "docs"), tmp_path / "index"
    assert run("--documents", docs, "--index", index_dir, "--quiet").exit_code == 0
    served = read_manifest(index_dir)["build_id"]  # type: ignore[index]

    class Broken(RealSizedFake):
        def embed_batch(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("out of memory")

    monkeypatch.setattr(assistant.embed, "make_embedder", lambda settings=None: Broken())
    (docs / "new.txt").write_text("New\n\nA new note about magnesium and sleep.\n", encoding="utf-8")
    failed = run("--documents", docs, "--index", index_dir, "--quiet")
    assert failed.exit_code == 1
    assert "the build failed (RuntimeError: out of memory)" in failed.stderr
    assert "is unchanged" in failed.stderr and "Traceback" not in failed.output
    (docs / "empty.txt").write_bytes(b"")
    loaded = load_index(index_dir, MODEL_ID, MODEL_DIMENSION)
    assert loaded.build_id == served
    assert any(TETRACYCLINE_ROW in c.text for c in loaded.chunks)


def test_unwritable_index_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be", encoding="utf-8")
    result = run("--documents", QUIRKS, "--index", blocker / "sub", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write the index in {blocker / 'sub'}")


def test_index_reports_what_it_learned_from_the_bank(tmp_path: Path) -> None:
    import shutil

    from assistant.cli import learning_lines

    learning_dir = Path(__file__).parent / "data" / "learning"
    docs = tmp_path / "docs"
    (docs / "questions").mkdir(parents=True)
    shutil.copy(learning_dir / "guide.md", docs)
    shutil.copy(learning_dir / "bank.jsonl", docs / "questions" / "train.jsonl")
    shutil.copy(learning_dir / "bank.jsonl", docs / "questions" / "blind-1.jsonl")

    summary = fake_build(docs, tmp_path / "index", FakeEmbedder(),
                         Settings(documents_dir=docs, index_dir=tmp_path / "index", learn_folds=2, adapter_steps=20,
                                  ngram_dims=4096, emergency_oof_repeats=1))
    lines = learning_lines(summary.learning)
    assert lines[0].startswith("learned from 52 bank questions")
    assert any("out of fold:" in line for line in lines) and any("blind split (52 questions)" in line for line in lines)
