"""Follow-ups: is a question read on its own, or after one of the earlier questions of the conversation?

Decided by the assistant's own score of how well the sources answer a reading (the learned answerability
probability on a log-odds scale, or without that model the frozen model's best similarity): the question
alone against the earlier question's text followed by the new question. Log-odds, because the probability
saturates: "What happens with those?" after a diuretics question scores 0.9995 alone and 0.9997 in context
(benchmarks/bench_followup.py), which a margin on probabilities cannot tell from noise. No word lists: "them", "what about at night?" or "Why?"
depend on an earlier turn exactly when the earlier question's subject makes them answerable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.question import Question
from assistant.retrieve import Retriever, Search


@dataclass(frozen=True)
class Reading:
    """The question read after ``history[history_index]``: what retrieval saw and how answerable it is."""

    history_index: int
    analysed: Question
    search: Search
    score: float


@dataclass(frozen=True)
class Rule:
    """Take the context when it raises the score by ``margin`` and the question alone is below ``confident``."""

    margin: float
    confident: float


def log_odds(p: float, floor: float = 1e-6) -> float:
    """``log(p / (1 - p))``, finite: ``p`` is clipped to ``[floor, 1 - floor]``."""
    p = min(max(p, floor), 1 - floor)
    return math.log(p / (1 - p))


def in_context(earlier: str, question: str) -> str:
    """The text retrieval reads for a follow-up: the earlier question's subject, then the new question."""
    return f"{earlier} {question}"


def recent(history: Sequence[str], turns: int) -> list[int]:
    """Indexes of the last ``turns`` earlier questions, most recent first."""
    return list(range(len(history) - 1, max(len(history) - turns, 0) - 1, -1))


def readings(retriever: Retriever, question: str, history: Sequence[str], turns: int,
             score: Callable[[Search], float]) -> list[Reading]:
    """The question read after each of the last ``turns`` earlier questions (one embedding call for all)."""
    indexes = recent(history, turns)
    analysed = [retriever.analyse(in_context(history[i], question)) for i in indexes]
    usable = [(i, q) for i, q in zip(indexes, analysed, strict=True) if q.tokens]
    if not usable:
        return []
    bases = retriever.embedder.embed_batch([q.text for _, q in usable])
    out = []
    for (i, q), base in zip(usable, bases, strict=True):
        search = retriever.search(q, base=base)
        out.append(Reading(i, q, search, score(search)))
    return out


def choose(alone: float, options: Sequence[Reading], rule: Rule) -> Reading | None:
    """The reading to answer, or ``None`` to answer the question on its own.

    Ties go to the most recent earlier question (``options`` come most recent first).
    """
    if alone >= rule.confident or not options:
        return None
    best = max(options, key=lambda r: r.score)
    return best if best.score - alone >= rule.margin else None
