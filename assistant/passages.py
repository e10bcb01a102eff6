"""Hit → a focused passage: the sentences of a chunk that answer, with enough context to stand alone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.index import LoadedIndex
from assistant.lexical import BM25Index, token_set
from assistant.types import Chunk, Passage, Reference, Span

MIN_STANDALONE = 140


def sentence_scores(chunk: Chunk, text: str, query_tokens: Sequence[str], lexical: BM25Index) -> list[float]:
    """IDF-weighted share of the query's terms each sentence contains."""
    q = set(query_tokens)
    idf = {t: lexical.idf(t) for t in q}
    total = sum(idf[t] for t in q) or 1.0
    return [sum(idf[t] for t in q & token_set(text[s:e])) / total for s, e in chunk.sentences]


def _window(chunk: Chunk, scores: list[float], max_chars: int) -> tuple[int, int, int]:
    """(first sentence, last sentence, best sentence) of the window to quote."""
    sents = chunk.sentences
    best = max(range(len(sents)), key=lambda i: (scores[i], -i))
    floor = max(0.15, 0.3 * scores[best])
    lo = hi = best
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
            return lo, hi, best


def _lead_in(chunk: Chunk, text: str, lo: int) -> int:
    """Keep a list's lead-in sentence ("The RDA for magnesium is:") with the items quoted."""
    if lo > 0 and text[chunk.sentences[0][0] : chunk.sentences[0][1]].rstrip().endswith(":"):
        return 0
    return lo


def make_passage(chunk: Chunk, index: LoadedIndex, score: float, query_tokens: Sequence[str],
                 max_chars: int) -> Passage:
    doc = index.documents[chunk.doc_id]
    text = doc.text
    if not chunk.sentences:
        start, end, hl = chunk.start, chunk.end, (chunk.start, chunk.end)
    else:
        scores = sentence_scores(chunk, text, query_tokens, index.lexical)
        if chunk.block == "table_row" or chunk.end - chunk.start <= max_chars:
            lo, hi = 0, len(chunk.sentences) - 1
            best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        else:
            lo, hi, best = _window(chunk, scores, max_chars)
            first = _lead_in(chunk, text, lo)
            if chunk.sentences[hi][1] - chunk.sentences[first][0] <= max_chars:
                lo = first
        start, end = chunk.sentences[lo][0], chunk.sentences[hi][1]
        hl = chunk.sentences[best]
        if chunk.block == "table_row":
            start, end, hl = chunk.start, chunk.end, (chunk.start, chunk.end)
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
