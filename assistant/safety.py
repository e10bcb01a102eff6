"""Cautions quoted from the sources for the caution topics a question touches, the disclaimer slot, and
the fixed emergency notice (the one thing the service says in its own words)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.bank import CautionTopic, Quote
from assistant.lexical import tokenize
from assistant.passages import make_passage
from assistant.store import LoadedIndex
from assistant.types import Chunk, Hit, Notice, Passage, Span

EMERGENCY_TEXT = (
    "This may be a medical emergency. Call your local emergency number (911 in the US) or a poison control "
    "centre now, or go to the nearest emergency department. Do not wait for symptoms to get worse. "
    "This assistant only quotes written sources and cannot help in an emergency."
)


def emergency_notice() -> Notice:
    return Notice("emergency", EMERGENCY_TEXT)


def _containing_chunk(index: LoadedIndex, q: Quote) -> Chunk | None:
    found = index.derived.get("chunks_by_doc")
    by_doc: dict[str, list[Chunk]] = found if isinstance(found, dict) else {}
    if not isinstance(found, dict):
        for c in index.chunks:
            by_doc.setdefault(c.doc_id, []).append(c)
        index.derived["chunks_by_doc"] = by_doc
    return next((c for c in by_doc.get(q.doc_id, []) if c.start <= q.start < c.end), None)


def quote_passage(index: LoadedIndex, q: Quote, kind: str = "safety") -> Passage:
    """A quote of the bank's data files as a passage: exactly ``text[start:end]`` of its document."""
    doc = index.documents[q.doc_id]
    chunk = _containing_chunk(index, q)
    section = chunk.section if chunk and chunk.section else doc.title
    return Passage(text=doc.text[q.start:q.end], document_id=doc.id, document_title=doc.title, section=section,
                   start=q.start, end=q.end, score=0.0, kind="safety" if kind == "safety" else "body",
                   highlight=Span(q.start, q.end), section_start=chunk.section_start if chunk else None)


def select_cautions(topics: Sequence[CautionTopic], hits: Sequence[Hit], index: LoadedIndex,
                    shown: Sequence[Passage], max_items: int, max_chars: int) -> tuple[Passage, ...]:
    """For each topic (most probable first) its stated cautions, or for a topic that searches the question,
    the best-ranked safety passage among ``hits``; nothing already quoted as an answer passage."""
    seen = {(p.document_id, p.start, p.end) for p in shown}
    out: list[Passage] = []

    def add(p: Passage) -> None:
        key = (p.document_id, p.start, p.end)
        covered = any(p.document_id == s.document_id and s.start <= p.start and p.end <= s.end
                      for s in [*shown, *out])
        if key not in seen and not covered and len(out) < max_items:
            seen.add(key)
            out.append(p)

    cited = {d: i for i, d in enumerate(dict.fromkeys(p.document_id for p in shown))}
    for topic in topics:
        if topic.search == "question":
            found = next((h for h in hits if h.chunk.kind == "safety"), None)
            if found is not None:
                add(make_passage(found.chunk, index, 0.0, tokenize(found.chunk.text), max_chars))
        quotes = [q for q in topic.quotes if q.doc_id in index.documents]
        if topic.pick is not None and quotes:
            # The topic's first sentence (its main statement), then the cited documents' own wording.
            quotes = [quotes[0], *sorted(quotes[1:], key=lambda q: cited.get(q.doc_id, len(cited)))][: topic.pick]
        for q in quotes:
            add(quote_passage(index, q))
    return tuple(out)


def _disclaimers(index: LoadedIndex) -> list[Chunk]:
    pool = index.derived.get("disclaimers")
    if not isinstance(pool, list):
        pool = index.derived["disclaimers"] = [c for c in index.chunks if c.kind == "disclaimer"]
    return pool


def _medical(c: Chunk) -> bool:
    low = c.text.lower()
    return "medical" in low or "health" in low


def select_disclaimer(index: LoadedIndex, preferred_docs: Sequence[str], avoid: Sequence[Passage] = ()) -> Passage:
    """A disclaimer quoted from the sources: the cited document's own if it has one, and not a span
    already quoted as a caution."""
    used = {(p.document_id, p.start) for p in avoid}
    pool = _disclaimers(index)
    pool = [c for c in pool if not any(d == c.doc_id and c.start <= s < c.end for d, s in used)] or list(pool)
    if not pool:
        raise LookupError("no disclaimer in the indexed sources")
    rank = {d: i for i, d in enumerate(preferred_docs)}
    # Prefer medical-advice disclaimers over generic ones, then the cited document's.
    pool.sort(key=lambda c: (rank.get(c.doc_id, len(rank)), not _medical(c), c.start))
    return make_passage(pool[0], index, 0.0, tokenize("medical advice consult healthcare"), 10_000)
