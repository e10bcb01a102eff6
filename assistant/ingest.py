"""Read a folder of documents: exact text, catalog metadata, and one clear line per problem file."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.folder import check_inside, walk
from assistant.types import Document

SUPPORTED = (".txt", ".md", ".markdown")
CATALOG = "catalog.json"
# The question bank and the facts beside the documents (assistant/bank.py): data to learn from, not sources.
BANK_DIR = "questions"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CorpusError(Exception):
    """Nothing could be indexed (missing folder, no readable document); ``problems`` names each file."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def _load_catalog(folder: Path, problems: list[Problem]) -> dict[str, dict]:
    path = folder / CATALOG
    if not path.exists() and not path.is_symlink():
        return {}
    refused = check_inside(folder, path)
    if refused:
        problems.append(Problem(CATALOG, f"catalog ignored: {refused.removeprefix('skipped: ')}"))
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object keyed by file name")
        return {k: v for k, v in data.items() if isinstance(v, dict)}
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem(CATALOG, f"catalog ignored: {exc}"))
        return {}


def read_text(path: Path) -> str:
    """The file's exact text. Raises ValueError with a reason a person can act on."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError("skipped: the file is empty")
    if b"\x00" in raw[:8192]:
        raise ValueError("skipped: binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"skipped: not UTF-8 text (invalid byte at offset {exc.start})") from exc
    # A byte-order mark is not part of the text people quote; offsets are into the decoded text.
    if text.startswith("\ufeff"):
        text = text[1:]
        if not text.strip():
            raise ValueError("skipped: the file is empty (only a byte-order mark)")
    return text


def _unique_id(rel: str, seen: set[str]) -> str:
    """A stable id from the file name: 'a.md' beside 'a.txt' becomes 'a-md', then 'a-md-2'..."""
    doc_id = slugify(rel.rsplit(".", 1)[0])
    if doc_id in seen:
        doc_id = slugify(rel)
    base, n = doc_id, 2
    while doc_id in seen:
        doc_id, n = f"{base}-{n}", n + 1
    seen.add(doc_id)
    return doc_id


def _fallback_title(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def load_documents(folder: Path) -> tuple[list[Document], list[Problem]]:
    """All readable ``.txt``/``.md`` files under ``folder`` (sorted, recursive)."""
    if not folder.exists():
        raise CorpusError(f"{folder}: documents folder not found; nothing was indexed")
    if not folder.is_dir():
        raise CorpusError(f"{folder}: not a folder; nothing was indexed")
    problems: list[Problem] = []
    catalog = _load_catalog(folder, problems)
    docs: list[Document] = []
    seen: set[str] = set()
    for entry in walk(folder):
        rel, path, parts = entry.rel, entry.path, entry.rel.split("/")
        if rel == CATALOG or parts[0] == BANK_DIR:
            continue
        if entry.is_dir:
            if entry.problem:
                problems.append(Problem(rel, entry.problem))
            elif path.suffix.lower() in SUPPORTED:
                problems.append(Problem(rel, "skipped: a folder, not a document (the files inside it are read)"))
            continue
        if entry.problem:
            problems.append(Problem(rel, entry.problem))
            continue
        if path.suffix.lower() not in SUPPORTED:
            problems.append(Problem(rel, f"skipped: unsupported file type '{path.suffix or '(none)'}' "
                                         f"(supported: {', '.join(SUPPORTED)})"))
            continue
        try:
            text = read_text(path)
        except OSError as exc:
            problems.append(Problem(rel, f"skipped: cannot read ({exc.strerror or exc})"))
            continue
        except ValueError as exc:
            problems.append(Problem(rel, str(exc)))
            continue
        doc_id = _unique_id(rel, seen)
        meta = catalog.get(rel, {})
        docs.append(
            Document(
                id=doc_id,
                title=str(meta.get("title") or ""),
                text=text,
                path=rel,
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                source_kind=str(meta.get("kind") or "document"),
                date=meta.get("date"),
                publisher=meta.get("publisher"),
                origin=meta.get("origin"),
            )
        )
    if not docs:
        skipped = sum(1 for p in problems if p.path != CATALOG)
        detail = f" ({skipped} file(s) skipped)" if skipped else " (no .txt or .md files)"
        raise CorpusError(f"{folder}: no indexable documents{detail}; nothing was indexed", problems)
    return docs, problems


def is_markdown(doc: Document) -> bool:
    return doc.path.lower().endswith((".md", ".markdown"))


def fallback_title(doc: Document) -> str:
    return _fallback_title(Path(doc.path))
