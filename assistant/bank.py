"""The question bank beside the documents (``documents/questions/``): questions with the exact quotes that
answer them, unanswerable ones, emergencies and their look-alikes, caution labels, plus two small data
files — caution topics (``cautions.json``) and what the sources call a medicine (``medicines.json``).

Every quote is checked to be an exact slice of a document; a line that fails is named and skipped.
Files named ``blind*.jsonl`` are the blind split; every other ``*.jsonl`` is training data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.folder import check_inside
from assistant.ingest import BANK_DIR, Problem
from assistant.types import Document

CAUTIONS_FILE = "cautions.json"
MEDICINES_FILE = "medicines.json"


@dataclass(frozen=True)
class Quote:
    """An exact span of a document: ``documents[doc_id].text[start:end]``."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class BankQuestion:
    id: str
    question: str
    category: str
    answerable: bool
    gold: tuple[Quote, ...]
    safety: tuple[Quote, ...] = ()
    emergency: bool = False
    cautions: tuple[str, ...] | None = None  # None: not labelled (derived from ``safety`` when possible)
    sides: tuple[tuple[int, ...], ...] = ()
    split: str = "train"
    source: str = ""  # "file.jsonl:12"


@dataclass(frozen=True)
class CautionTopic:
    """A kind of caution the bank labels questions with, and where the sources state it."""

    name: str
    label: str
    quotes: tuple[Quote, ...] = ()
    # "question": also the safety passage that best matches the question itself (a named medicine's
    # interaction row), found by retrieval.
    search: str | None = None
    pick: int | None = None  # quote only this many of ``quotes``: the first, then the cited documents' own


@dataclass
class Bank:
    questions: list[BankQuestion] = field(default_factory=list)
    topics: dict[str, CautionTopic] = field(default_factory=dict)
    medicines: dict[str, str] = field(default_factory=dict)  # a medicine's name → the sources' words for it
    problems: list[Problem] = field(default_factory=list)
    fingerprint: dict[str, str] = field(default_factory=dict)  # file → sha256, for staleness

    def split(self, name: str) -> list[BankQuestion]:
        return [q for q in self.questions if q.split == name]


class _Resolver:
    """Finds a quote in the documents by file name, catalog origin or id."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.docs: dict[str, Document] = {}
        for d in documents:
            for key in (d.id, d.path, Path(d.path).name, d.origin):
                if key:
                    self.docs.setdefault(key, d)

    def quote(self, raw: object) -> Quote:
        if not isinstance(raw, dict) or not isinstance(raw.get("quote"), str) or not raw["quote"].strip():
            raise ValueError("a quote must be an object with 'doc' and a non-empty 'quote'")
        doc = self.docs.get(str(raw.get("doc")))
        if doc is None:
            raise ValueError(f"unknown document {raw.get('doc')!r}")
        start = doc.text.find(raw["quote"])
        if start < 0:
            raise ValueError(f"not an exact slice of {doc.path}: {raw['quote'][:60]!r}")
        return Quote(doc.id, start, start + len(raw["quote"]))


def _question(data: object, resolver: _Resolver, split: str, source: str) -> BankQuestion:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    answerable = data.get("answerable")
    if not isinstance(answerable, bool):
        raise ValueError("'answerable' must be true or false")
    gold = tuple(resolver.quote(g) for g in data.get("gold") or [])
    if answerable and not gold:
        raise ValueError("an answerable question needs at least one gold quote")
    if not answerable and gold:
        raise ValueError("an unanswerable question has no gold quotes")
    cautions = data.get("cautions")
    if cautions is not None and (not isinstance(cautions, list) or not all(isinstance(c, str) for c in cautions)):
        raise ValueError("'cautions' must be a list of topic names")
    sides = tuple(tuple(int(i) for i in side) for side in data.get("sides") or [])
    if any(i < 0 or i >= len(gold) for side in sides for i in side):
        raise ValueError("'sides' points past the gold quotes")
    return BankQuestion(
        id=str(data.get("id") or source), question=question.strip(), category=str(data.get("category") or ""),
        answerable=answerable, gold=gold, safety=tuple(resolver.quote(g) for g in data.get("safety_gold") or []),
        emergency=data.get("expect_notice") == "emergency",
        cautions=tuple(cautions) if cautions is not None else None, sides=sides, split=split, source=source)


def _read_json(path: Path, bank: Bank, rel: str) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data
    except (OSError, ValueError) as exc:
        bank.problems.append(Problem(rel, f"ignored: {exc}"))
        return None


def _topics(path: Path, resolver: _Resolver, bank: Bank) -> None:
    rel = f"{BANK_DIR}/{CAUTIONS_FILE}"
    data = _read_json(path, bank, rel)
    for name, spec in ((data or {}).get("topics") or {}).items():
        try:
            if not isinstance(spec, dict):
                raise ValueError("expected an object")
            quotes = tuple(resolver.quote(q) for q in spec.get("quotes") or [])
            pick = spec.get("pick")
            if pick is not None and (not isinstance(pick, int) or pick < 1):
                raise ValueError("'pick' must be a whole number of at least 1")
            bank.topics[name] = CautionTopic(name, str(spec.get("label") or name), quotes, spec.get("search"), pick)
        except ValueError as exc:
            bank.problems.append(Problem(rel, f"topic {name!r} ignored: {exc}"))


def _bank_files(documents_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """name → path of the bank folder's files that may be read (regular files whose real path is inside the
    documents folder), and a problem for every other entry."""
    folder = documents_dir / BANK_DIR
    root = documents_dir.resolve()
    if not folder.is_dir():
        return {}, []
    if root not in folder.resolve().parents:
        return {}, [Problem(BANK_DIR, "ignored: the question bank folder leads outside the documents folder")]
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        refused = check_inside(root, path)
        if refused:
            problems.append(Problem(f"{BANK_DIR}/{path.name}", refused))
        else:
            files[path.name] = path
    return files, problems


def bank_fingerprint(documents_dir: Path) -> dict[str, str]:
    """file name → sha256 of every file in the bank folder (what a build learned from)."""
    files, _ = _bank_files(documents_dir)
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}


def load_bank(documents_dir: Path, documents: Sequence[Document]) -> Bank:
    """The bank of ``documents_dir`` (empty when it has none); every bad line is a named problem."""
    bank = Bank()
    files, bank.problems = _bank_files(documents_dir)
    if not files:
        return bank
    resolver = _Resolver(documents)
    bank.fingerprint = bank_fingerprint(documents_dir)
    if CAUTIONS_FILE in files:
        _topics(files[CAUTIONS_FILE], resolver, bank)
    if MEDICINES_FILE in files:
        data = _read_json(files[MEDICINES_FILE], bank, f"{BANK_DIR}/{MEDICINES_FILE}") or {}
        bank.medicines = {str(k).lower(): str(v) for k, v in (data.get("medicines") or {}).items()}
    seen: set[str] = set()
    for path in (p for name, p in files.items() if name.endswith(".jsonl")):
        rel = f"{BANK_DIR}/{path.name}"
        split = "blind" if path.name.startswith("blind") else "train"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            bank.problems.append(Problem(rel, f"skipped: cannot read ({exc})"))
            continue
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            source = f"{rel}:{n}"
            try:
                q = _question(json.loads(line), resolver, split, source)
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                bank.problems.append(Problem(source, f"skipped: {exc}"))
                continue
            if q.id in seen:
                q = BankQuestion(**{**q.__dict__, "id": f"{q.id}@{source}"})
            seen.add(q.id)
            bank.questions.append(q)
    return bank
