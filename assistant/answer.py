"""Ranked hits → the passages an answer quotes: trimmed to the sentences that answer, best first, other
documents preferred, near-duplicates collapsed, and a close passage that disagrees with the best one shown."""

from __future__ import annotations

from dataclasses import replace

from assistant import conflicts
from assistant.lexical import token_set
from assistant.types import Hit, Passage

DUPLICATE_JACCARD = 0.6

Candidate = tuple[float, Hit, Passage]


def _jaccard(a: str, b: str) -> float:
    x, y = token_set(a, stem=False), token_set(b, stem=False)
    return len(x & y) / len(x | y) if x and y else 0.0


def show_disagreement(chosen: list[Passage], candidates: list[Candidate], min_share: float) -> list[Passage]:
    """If a candidate from another document scoring at least ``min_share`` of the best disagrees with a
    chosen passage, show it too."""
    if len(chosen) < 2 or conflicts.find_conflicts(chosen):
        return chosen
    best = chosen[0]
    for score, _, p in sorted(candidates, key=lambda x: -x[0]):
        if score < min_share * best.score:
            break
        if any((c.document_id, c.start) == (p.document_id, p.start) for c in chosen):
            continue
        partner = next((i for i, c in enumerate(chosen) if conflicts.disagree(c, p)), None)
        if partner is not None:
            # Replace the weakest passage that is neither the best nor the one it disagrees with.
            droppable = [i for i in range(1, len(chosen)) if i != partner]
            if not droppable:
                continue
            kept = [c for i, c in enumerate(chosen) if i != droppable[-1]]
            return [*kept, replace(p, score=round(score, 4))]
    return chosen


def _quotes_best_of(chosen: Passage, other: Passage) -> bool:
    """``chosen`` already quotes ``other``'s best sentence (passages reach across chunk cuts)."""
    hl = other.highlight
    return (chosen.document_id == other.document_id and hl is not None
            and chosen.start <= hl.start and hl.end <= chosen.end)


def _without_overlap(p: Passage, chosen: Passage) -> Passage:
    """``p`` less the sentences ``chosen`` already quotes (they overlap where a passage reached
    across a chunk cut); the rest is still an exact slice of the source."""
    if p.document_id != chosen.document_id or not (p.start < chosen.end and chosen.start < p.end):
        return p
    if chosen.start <= p.start < chosen.end < p.end:
        cut = chosen.end - p.start
        text = p.text[cut:].lstrip()
        return replace(p, text=text, start=p.end - len(text))
    if p.start < chosen.start < p.end <= chosen.end:
        text = p.text[: chosen.start - p.start].rstrip()
        return replace(p, text=text, end=p.start + len(text))
    return p


def choose_passages(candidates: list[Candidate], top_k: int, same_doc_penalty: float) -> list[Passage]:
    """Greedy selection: best first, other documents preferred (a candidate's score is multiplied by
    ``same_doc_penalty`` for each chosen passage of its document), near-duplicates collapsed."""
    pool = list(candidates)
    chosen: list[Passage] = []
    while pool and len(chosen) < top_k:
        pool.sort(key=lambda x: -x[0])
        score, hit, p = pool.pop(0)
        p = replace(p, score=round(score, 4))
        dup = next((c for c in chosen if _jaccard(c.text, p.text) >= DUPLICATE_JACCARD), None)
        if dup is not None and not conflicts.disagree(dup, p):
            continue
        if any(_quotes_best_of(c, p) for c in chosen):
            continue
        for c in chosen:
            p = _without_overlap(p, c)
        chosen.append(p)
        pool = [(s * (same_doc_penalty if h.chunk.doc_id == p.document_id else 1.0), h, q) for s, h, q in pool]
    return chosen
