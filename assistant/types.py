"""Typed boundary objects shared by every stage: documents → units → chunks → hits → answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What a unit of text is for. Only body and safety units can be answer passages.
Kind = Literal["body", "safety", "disclaimer", "references", "boilerplate"]
KINDS: tuple[Kind, ...] = ("body", "safety", "disclaimer", "references", "boilerplate")
ANSWERABLE_KINDS: frozenset[str] = frozenset({"body", "safety"})

# The structural role of a unit inside its document.
Block = Literal["heading", "paragraph", "list_item", "table_row", "table_header", "caption", "reference"]


@dataclass(frozen=True)
class Reference:
    """One numbered entry of a document's works-cited list."""

    number: int
    title: str
    url: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A source document exactly as it is on disk, plus what the catalog says about it."""

    id: str
    title: str
    text: str
    path: str
    sha256: str
    source_kind: str = "document"
    date: str | None = None
    publisher: str | None = None
    origin: str | None = None
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Unit:
    """A structural piece of a document (heading, paragraph, list item, table row...) with its span."""

    doc_id: str
    start: int
    end: int
    block: Block
    kind: Kind
    section: str
    section_path: tuple[str, ...]
    section_start: int
    evidence: str | None = None
    markers: tuple[int, ...] = ()
    context: str = ""


@dataclass(frozen=True)
class Chunk:
    """A searchable span: ``document.text[start:end] == text``; never crosses a section."""

    id: str
    doc_id: str
    start: int
    end: int
    text: str
    kind: Kind
    block: Block
    section: str
    section_path: tuple[str, ...]
    section_start: int
    sentences: tuple[tuple[int, int], ...]
    evidence: str | None = None
    markers: tuple[int, ...] = ()
    context: str = ""
    content_hash: str = ""

    @property
    def searchable(self) -> bool:
        return self.kind in ANSWERABLE_KINDS

    def embedding_text(self) -> str:
        """What the embedder and the lexical index see: section path, then the text or table context."""
        body = self.context or self.text
        path = " > ".join(p for p in self.section_path if p)
        return f"{path}\n{body}" if path else body


@dataclass(frozen=True)
class Hit:
    """A chunk returned by retrieval with its fused and per-retriever evidence."""

    chunk: Chunk
    score: float
    dense_score: float = 0.0
    lexical_score: float = 0.0
    row: int = -1  # the chunk's row among the searchable chunks


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A quoted span of a source: ``text`` is exactly ``document.text[start:end]``."""

    text: str
    document_id: str
    document_title: str
    section: str
    start: int
    end: int
    score: float
    kind: Kind = "body"
    highlight: Span | None = None
    evidence: str | None = None
    references: tuple[Reference, ...] = ()
    section_start: int | None = None


@dataclass(frozen=True)
class Notice:
    kind: str
    text: str


@dataclass(frozen=True)
class Conflict:
    """Two or more passages (indexes into ``Answer.passages``) whose sources disagree on one point."""

    topic: str
    passages: tuple[int, ...]
    documents: tuple[str, ...]


@dataclass(frozen=True)
class TraceStep:
    """One step of answering a question and why it decided what it did."""

    step: str
    detail: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FollowUp:
    """The earlier question (``history[history_index]``) a follow-up was answered in the context of."""

    question: str
    history_index: int


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    reason: str | None
    passages: tuple[Passage, ...]
    safety: tuple[Passage, ...]
    disclaimer: Passage
    notice: Notice | None = None
    conflicts: tuple[Conflict, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    answerable_probability: float | None = None  # the learned answerability model's, when there is one
    trace: tuple[TraceStep, ...] = ()
    context: FollowUp | None = None  # set when the question was read after an earlier one
    build_id: str | None = None  # the index build that answered
