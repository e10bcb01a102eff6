"""The question bank: exact quotes resolved by file name or catalog origin, bad lines named and skipped."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.bank import load_bank
from assistant.ingest import load_documents

TEXT = "Kidney disease needs care. Take 200 mg before bed for sleep. Glycine calms the brain."


def _folder(tmp_path: Path, lines: list[str], name: str = "train.jsonl") -> Path:
    docs = tmp_path / "docs"
    (docs / "questions").mkdir(parents=True)
    (docs / "a.txt").write_text(TEXT, encoding="utf-8")
    (docs / "catalog.json").write_text(json.dumps({"a.txt": {"title": "A", "origin": "seed_a.txt"}}))
    (docs / "questions" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return docs


def _q(**kw: object) -> str:
    item = {"id": "q1", "question": "How much for sleep?", "category": "dosage", "answerable": True,
            "gold": [{"doc": "a.txt", "quote": "Take 200 mg before bed for sleep."}], "safety_gold": [],
            "expect_notice": None}
    item.update(kw)
    return json.dumps(item)


def test_quotes_resolve_to_exact_spans_by_file_name_or_origin(tmp_path: Path) -> None:
    docs = _folder(tmp_path, [_q(), _q(id="q2", gold=[{"doc": "seed_a.txt", "quote": "Glycine calms the brain."}])])
    documents, _ = load_documents(docs)
    bank = load_bank(docs, documents)
    assert not bank.problems and len(bank.questions) == 2
    for q in bank.questions:
        g = q.gold[0]
        assert TEXT[g.start:g.end] in ("Take 200 mg before bed for sleep.", "Glycine calms the brain.")
        assert q.split == "train"


def test_the_bank_is_not_indexed_as_a_document(tmp_path: Path) -> None:
    documents, problems = load_documents(_folder(tmp_path, [_q()]))
    assert [d.path for d in documents] == ["a.txt"] and not problems


def test_every_bad_line_is_named_and_skipped(tmp_path: Path) -> None:
    docs = _folder(tmp_path, [
        _q(),
        "{not json",
        _q(id="q3", gold=[{"doc": "a.txt", "quote": "Take 900 mg."}]),
        _q(id="q4", gold=[]),
        _q(id="q5", answerable=False),
        _q(id="q6", gold=[{"doc": "missing.txt", "quote": "Take 200 mg before bed for sleep."}]),
    ])
    bank = load_bank(docs, load_documents(docs)[0])
    assert [q.id for q in bank.questions] == ["q1"]
    lines = sorted(p.path for p in bank.problems)
    assert lines == [f"questions/train.jsonl:{n}" for n in (2, 3, 4, 5, 6)]
    messages = " ".join(p.message for p in bank.problems)
    assert "not an exact slice" in messages and "unknown document" in messages and "gold" in messages


def test_blind_files_are_the_blind_split(tmp_path: Path) -> None:
    docs = _folder(tmp_path, [_q()], name="blind-1.jsonl")
    bank = load_bank(docs, load_documents(docs)[0])
    assert [q.split for q in bank.questions] == ["blind"] and bank.split("train") == []


def test_caution_topics_are_checked_against_the_documents(tmp_path: Path) -> None:
    docs = _folder(tmp_path, [_q()])
    (docs / "questions" / "cautions.json").write_text(json.dumps({"topics": {
        "kidney": {"label": "Kidney", "quotes": [{"doc": "a.txt", "quote": "Kidney disease needs care."}]},
        "broken": {"quotes": [{"doc": "a.txt", "quote": "Not in the text."}]}}}))
    bank = load_bank(docs, load_documents(docs)[0])
    assert list(bank.topics) == ["kidney"]
    assert any("broken" in p.message for p in bank.problems)
