"""Hits → an Answer: focused quoted passages, safety cautions, a quoted disclaimer, abstention."""

from __future__ import annotations

import time

from assistant.config import Settings
from assistant.index import LoadedIndex
from assistant.retrieve import Retriever
from assistant.types import Answer, Chunk, Passage, Span

ABSTAIN_DENSE = 0.35


def _passage(chunk: Chunk, index: LoadedIndex, score: float) -> Passage:
    doc = index.documents[chunk.doc_id]
    refs = tuple(r for r in doc.references if r.number in chunk.markers)
    best = chunk.sentences[0] if chunk.sentences else (chunk.start, chunk.end)
    return Passage(
        text=chunk.text, document_id=chunk.doc_id, document_title=doc.title, section=chunk.section or doc.title,
        start=chunk.start, end=chunk.end, score=round(float(score), 4), kind=chunk.kind,
        highlight=Span(*best), evidence=chunk.evidence, references=refs, section_start=chunk.section_start,
    )


def _disclaimer(index: LoadedIndex, preferred_doc: str | None) -> Passage:
    candidates = [c for c in index.chunks if c.kind == "disclaimer"]
    candidates.sort(key=lambda c: (c.doc_id != preferred_doc, c.start))
    if candidates:
        return _passage(candidates[0], index, 0.0)
    doc = next(iter(index.documents.values()))
    return Passage(text=doc.text[:0], document_id=doc.id, document_title=doc.title, section="", start=0, end=0,
                   score=0.0, kind="disclaimer")


def compose_answer(question: str, top_k: int, index: LoadedIndex, retriever: Retriever,
                   settings: Settings) -> Answer:
    result = retriever.search(question)
    t0 = time.perf_counter()
    hits = result.hits
    answered = bool(hits) and max(h.dense_score for h in hits) >= ABSTAIN_DENSE
    passages = tuple(_passage(h.chunk, index, h.score) for h in hits[:top_k]) if answered else ()
    safety = tuple(_passage(h.chunk, index, h.score) for h in hits if h.chunk.kind == "safety")[:2]
    disclaimer = _disclaimer(index, passages[0].document_id if passages else None)
    timings = dict(result.timings_ms)
    timings["compose"] = (time.perf_counter() - t0) * 1000
    return Answer(question=question, answered=answered, reason=None if answered else "not_covered",
                  passages=passages, safety=safety if answered else (), disclaimer=disclaimer,
                  timings_ms=timings)
