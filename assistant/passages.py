"""Hit → a focused passage: the sentences of a chunk that answer, with enough context to stand alone."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.lexical import BM25Index, token_set
from assistant.store import LoadedIndex
from assistant.types import Chunk, Passage, Reference, Span

MIN_STANDALONE = 140


def sentence_scores(sentences: Sequence[tuple[int, int]], text: str, query_tokens: Sequence[str],
                    lexical: BM25Index) -> list[float]:
    """IDF-weighted share of the query's terms each sentence contains."""
    q = set(query_tokens)
    idf = {t: lexical.idf(t) for t in q}
    total = sum(idf[t] for t in q) or 1.0
    return [sum(idf[t] for t in q & token_set(text[s:e])) / total for s, e in sentences]


def _window(sents: Sequence[tuple[int, int]], scores: list[float], best: int, lo: int, hi: int,
            max_chars: int) -> tuple[int, int]:
    """Grow [lo, hi] (which holds ``best``) by neighbouring sentences that answer too, within ``max_chars``."""
    floor = max(0.15, 0.3 * scores[best])
    while True:
        options = []
        if hi + 1 < len(sents):
            options.append((scores[hi + 1], 1, hi + 1))
        if lo - 1 >= 0:
            options.append((scores[lo - 1], 0, lo - 1))
        grown = False
        for score, _, j in sorted(options, reverse=True):
            new_lo, new_hi = min(lo, j), max(hi, j)
            span = sents[new_hi][1] - sents[new_lo][0]
            short = sents[hi][1] - sents[lo][0] < MIN_STANDALONE
            if span <= max_chars and (score >= floor or short):
                lo, hi, grown = new_lo, new_hi, True
                break
        if not grown:
            return lo, hi


Paragraph = tuple[int, tuple[tuple[int, int], ...]]


def paragraph_of(chunk: Chunk, index: LoadedIndex) -> Paragraph:
    """(where ``chunk``'s first sentence is, every sentence) of the paragraph ``chunk`` was cut from:
    a passage may reach across the cut, never out of the paragraph."""
    paragraphs = index.derived.get("paragraphs")
    if not isinstance(paragraphs, dict):
        paragraphs = index.derived["paragraphs"] = _paragraphs(index)
    found: Paragraph | None = paragraphs.get(chunk.id)
    return found or (0, chunk.sentences)


def _paragraphs(index: LoadedIndex) -> dict[str, Paragraph]:
    by_doc: dict[str, list[Chunk]] = {}
    for c in index.chunks:
        if c.block == "paragraph" and c.sentences:
            by_doc.setdefault(c.doc_id, []).append(c)
    out: dict[str, Paragraph] = {}
    for doc_id, chunks in by_doc.items():
        text = index.documents[doc_id].text
        chunks.sort(key=lambda c: c.start)
        groups: list[list[Chunk]] = []
        for c in chunks:
            prev = groups[-1][-1] if groups else None
            if prev is not None and prev.section_start == c.section_start and "\n" not in text[prev.end : c.start]:
                groups[-1].append(c)
            else:
                groups.append([c])
        for group in (g for g in groups if len(g) > 1):
            sents = tuple(s for c in group for s in c.sentences)
            for c in group:
                out[c.id] = (sents.index(c.sentences[0]), sents)
    return out


def _lead_in(chunk: Chunk, text: str, lo: int) -> int:
    """Keep a list's lead-in sentence ("The RDA for magnesium is:") with the items quoted."""
    if lo > 0 and text[chunk.sentences[0][0] : chunk.sentences[0][1]].rstrip().endswith(":"):
        return 0
    return lo


def make_passage(chunk: Chunk, index: LoadedIndex, score: float, query_tokens: Sequence[str],
                 max_chars: int, dense: Mapping[tuple[str, int], float] | None = None) -> Passage:
    """``dense``: (document id, sentence start) → the question's similarity to that sentence, which is
    averaged with the lexical share to find the sentences that answer."""
    doc = index.documents[chunk.doc_id]
    text = doc.text
    if not chunk.sentences or chunk.block == "table_row":
        start, end, hl = chunk.start, chunk.end, (chunk.start, chunk.end)
    else:
        first, sents = paragraph_of(chunk, index)
        own = range(first, first + len(chunk.sentences))
        scores = sentence_scores(sents, text, query_tokens, index.lexical)
        if dense:
            scores = [0.5 * sc + 0.5 * max(dense.get((chunk.doc_id, s), 0.0), 0.0)
                      for sc, (s, _) in zip(scores, sents, strict=True)]
        best = max(own, key=lambda i: (scores[i], -i))
        if chunk.end - chunk.start <= max_chars:
            lo, hi = own[0], own[-1]
        else:
            lo = hi = best
        lo, hi = _window(sents, scores, best, lo, hi, max_chars)
        if first < lo < first + len(chunk.sentences) and _lead_in(chunk, text, lo) == 0 \
                and sents[hi][1] - sents[first][0] <= max_chars:
            lo = first
        start, end = sents[lo][0], sents[hi][1]
        hl = sents[best]
    body = text[start:end]
    refs: tuple[Reference, ...] = ()
    if chunk.markers:
        markers = {m for m in chunk.markers if _marker_in(body, m)} or set(chunk.markers)
        refs = tuple(r for r in doc.references if r.number in markers)
    return Passage(
        text=body, document_id=doc.id, document_title=doc.title, section=chunk.section or doc.title,
        start=start, end=end, score=round(float(score), 4), kind=chunk.kind, highlight=Span(*hl),
        evidence=chunk.evidence, references=refs, section_start=chunk.section_start,
    )


_SUPER = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _marker_in(body: str, number: int) -> bool:
    return str(number).translate(_SUPER) in body or bool(re.search(rf"\s{number}(?=\s|$)", body))


def whole_chunk_passage(chunk: Chunk, index: LoadedIndex, score: float = 0.0) -> Passage:
    doc = index.documents[chunk.doc_id]
    return Passage(
        text=chunk.text, document_id=doc.id, document_title=doc.title, section=chunk.section or doc.title,
        start=chunk.start, end=chunk.end, score=round(float(score), 4), kind=chunk.kind,
        highlight=Span(*chunk.sentences[0]) if chunk.sentences else None, evidence=chunk.evidence,
        references=tuple(r for r in doc.references if r.number in chunk.markers), section_start=chunk.section_start,
    )
