"""Bank questions → training targets: the chunk rows and sentences that hold their gold quotes, and the
caution topics that apply to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.bank import BankQuestion, CautionTopic, Quote
from assistant.types import Chunk


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Most of the shorter span lies inside the other."""
    inter = min(a_end, b_end) - max(a_start, b_start)
    return inter > 0 and inter >= 0.5 * min(a_end - a_start, b_end - b_start)


@dataclass
class Targets:
    chunk_rows: list[list[int]]  # per question, the searchable rows holding a gold quote
    sentences: list[list[int]]  # per question, the sentence indexes holding a gold quote
    cautions: np.ndarray  # (questions, topics) 0/1
    caution_known: np.ndarray  # (questions,) bool: the question's cautions are labelled or derivable


def _rows_of(quotes: Sequence[Quote], by_doc: dict[str, list[tuple[int, int, int]]]) -> list[int]:
    return sorted({r for q in quotes for r, s, e in by_doc.get(q.doc_id, []) if _overlaps(q.start, q.end, s, e)})


def targets(questions: Sequence[BankQuestion], chunks: Sequence[Chunk], sentence_rows: np.ndarray,
            sentence_spans: np.ndarray, topics: Sequence[CautionTopic]) -> Targets:
    chunk_spans: dict[str, list[tuple[int, int, int]]] = {}
    for r, c in enumerate(chunks):
        chunk_spans.setdefault(c.doc_id, []).append((r, c.start, c.end))
    sent_spans: dict[str, list[tuple[int, int, int]]] = {}
    for k, (row, (s, e)) in enumerate(zip(sentence_rows.tolist(), sentence_spans.tolist(), strict=True)):
        sent_spans.setdefault(chunks[row].doc_id, []).append((k, s, e))
    names = [t.name for t in topics]
    labels = np.zeros((len(questions), len(names)), dtype=np.int8)
    known = np.zeros(len(questions), dtype=bool)
    for i, q in enumerate(questions):
        if q.cautions is not None:
            known[i] = True
            for name in q.cautions:
                if name in names:
                    labels[i, names.index(name)] = 1
            continue
        # Unlabelled: a topic applies when one of the question's safety quotes is one of the topic's.
        for j, t in enumerate(topics):
            if any(s.doc_id == tq.doc_id and _overlaps(s.start, s.end, tq.start, tq.end)
                   for s in q.safety for tq in t.quotes):
                labels[i, j] = 1
        known[i] = bool(q.safety) or not q.answerable
    return Targets([_rows_of(q.gold, chunk_spans) for q in questions],
                   [_rows_of(q.gold, sent_spans) for q in questions], labels, known)
