"""Nothing outside the documents folder is read, and every entry that is skipped is named."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.bank import bank_fingerprint, load_bank
from assistant.ingest import load_documents


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    _write(docs / "good.txt", "Calcium\n\nCalcium builds bones and teeth.\n")
    return docs


def _problems(folder: Path) -> dict[str, str]:
    docs, problems = load_documents(folder)
    assert [d.path for d in docs] == ["good.txt"], "the good document still loads"
    return {p.path: p.message for p in problems}


def test_a_link_leading_outside_the_folder_is_never_read(corpus: Path, tmp_path: Path) -> None:
    secret = _write(tmp_path / "outside" / "secret.txt", "Secret\n\nThe password is swordfish.\n")
    os.symlink(secret, corpus / "passwd.txt")
    os.symlink(secret.parent, corpus / "linked-folder")
    found = _problems(corpus)
    assert "outside the documents folder" in found["passwd.txt"]
    assert "outside the documents folder" in found["linked-folder"]


def test_a_link_to_a_file_inside_the_folder_is_read(corpus: Path) -> None:
    os.symlink(corpus / "good.txt", corpus / "alias.txt")
    docs, problems = load_documents(corpus)
    assert [d.path for d in docs] == ["alias.txt", "good.txt"] and problems == []
    assert docs[0].text == docs[1].text


def test_every_odd_entry_is_named(corpus: Path) -> None:
    os.mkfifo(corpus / "pipe.txt")  # opening it would block the build
    (corpus / "folder.txt").mkdir()
    os.symlink("loop-b.txt", corpus / "loop-a.txt")
    os.symlink("loop-a.txt", corpus / "loop-b.txt")
    os.symlink("missing.txt", corpus / "dangling.txt")
    (corpus / "bom.txt").write_bytes(b"\xef\xbb\xbf")
    (corpus / "bom-space.md").write_bytes(b"\xef\xbb\xbf \n\n")
    found = _problems(corpus)
    assert set(found) == {"pipe.txt", "folder.txt", "loop-a.txt", "loop-b.txt", "dangling.txt", "bom.txt",
                          "bom-space.md"}
    assert "FIFO" in found["pipe.txt"]
    assert "folder" in found["folder.txt"]
    assert "loop" in found["loop-a.txt"] and "loop" in found["loop-b.txt"]
    assert "broken symbolic link" in found["dangling.txt"]
    assert "byte-order mark" in found["bom.txt"] and "byte-order mark" in found["bom-space.md"]


def test_documents_inside_a_folder_named_like_a_file_are_still_read(corpus: Path) -> None:
    _write(corpus / "notes.txt" / "inner.txt", "Zinc\n\nZinc supports immunity.\n")
    docs, problems = load_documents(corpus)
    assert [d.path for d in docs] == ["good.txt", "notes.txt/inner.txt"]
    assert [p.path for p in problems] == ["notes.txt"]


def test_catalog_and_bank_files_leading_outside_are_refused(corpus: Path, tmp_path: Path) -> None:
    outside = _write(tmp_path / "elsewhere" / "catalog.json", json.dumps({"good.txt": {"title": "Stolen"}}))
    os.symlink(outside, corpus / "catalog.json")
    (corpus / "questions").mkdir()
    os.symlink(_write(tmp_path / "elsewhere" / "bank.jsonl", '{"id": "q1", "question": "x?"}\n'),
               corpus / "questions" / "bank.jsonl")
    docs, problems = load_documents(corpus)
    assert docs[0].title == "", "the catalog outside the folder was not read"
    assert any(p.path == "catalog.json" and "outside" in p.message for p in problems)
    bank = load_bank(corpus, docs)
    assert bank.questions == []
    assert [(p.path, "outside" in p.message) for p in bank.problems] == [("questions/bank.jsonl", True)]
    assert bank_fingerprint(corpus) == {}


def test_a_bank_folder_that_is_a_link_outside_is_refused(corpus: Path, tmp_path: Path) -> None:
    _write(tmp_path / "other" / "bank.jsonl", '{"id": "q1", "question": "x?"}\n')
    os.symlink(tmp_path / "other", corpus / "questions")
    docs, _ = load_documents(corpus)
    bank = load_bank(corpus, docs)
    assert bank.questions == [] and "outside" in bank.problems[0].message


def test_a_linked_outside_file_never_reaches_the_index(corpus: Path, tmp_path: Path) -> None:
    from assistant.index import build_index
    from assistant.store import load_index
    from tests.fakes import FAKE_MODEL_ID, FakeEmbedder

    os.symlink(_write(tmp_path / "outside" / "passwd.txt", "root\n\nroot:x:0:0:root:/root:/bin/bash\n"),
               corpus / "passwd.txt")
    embedder = FakeEmbedder()
    summary = build_index(corpus, tmp_path / "index", lambda: embedder, model_id=FAKE_MODEL_ID,
                          dimension=embedder.dimension)
    assert any(p.startswith("passwd.txt: ") and "outside" in p for p in summary.problems)
    index = load_index(tmp_path / "index", FAKE_MODEL_ID, embedder.dimension)
    assert [d.path for d in index.documents.values()] == ["good.txt"]
    assert not any("root:x" in c.text for c in index.chunks)
