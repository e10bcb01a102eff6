"""Follow-ups: is a question read on its own, or after one of the earlier questions of the conversation?

Decided by the assistant's own scores of how well the sources answer a reading: the question alone against
the earlier question's text followed by the new question. No word lists: "them", "what about at night?" or
"Why?" depend on an earlier turn exactly when the earlier question's subject makes them answerable.

Two scores, both the models' own:
- the frozen embedding's best similarity to the sources: a question that names its subject is close to
  the passages about it (≥ 0.62 for every independent second question of benchmarks/bench_followup.py);
  one that leans on an earlier turn is far (≤ 0.53 for every dependent follow-up there);
- the learned answerability probability, on a log-odds scale (it saturates: "What happens with those?"
  after a diuretics question scores 0.9995 alone and 0.9997 in context). It rarely moves enough on its
  own (0.72 of the follow-ups), so it decides when it rises by a wide margin, and a reading it would
  refuse is never taken: context that does not make the question answerable is no help.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.config import Settings
from assistant.question import Question
from assistant.retrieve import Retriever, Search


@dataclass(frozen=True)
class Score:
    similarity: float  # the frozen model's best similarity to a candidate passage (0 when nothing matched)
    log_odds: float | None = None  # the learned answerability's, when the index has that model


@dataclass(frozen=True)
class Reading:
    """The question read after ``history[history_index]``: what retrieval saw and how answerable it is."""

    history_index: int
    analysed: Question
    search: Search
    score: Score


@dataclass(frozen=True)
class Rule:
    """When a reading in context is taken (see ``takes``); all numbers come from ``Settings``."""

    similarity_margin: float
    similarity_confident: float
    margin: float = math.inf  # in log-odds
    confident: float = math.inf  # in log-odds
    answerable: float | None = None  # the answerability model's threshold, in log-odds


def log_odds(p: float, floor: float = 1e-6) -> float:
    """``log(p / (1 - p))``, finite: ``p`` is clipped to ``[floor, 1 - floor]``."""
    p = min(max(p, floor), 1 - floor)
    return math.log(p / (1 - p))


def rule_for(settings: Settings, answerable_threshold: float | None) -> Rule:
    """The rule of ``settings``; ``answerable_threshold``: the answerability model's (a probability), if any."""
    if answerable_threshold is None:
        return Rule(settings.followup_similarity_margin, settings.followup_similarity_confident)
    return Rule(settings.followup_similarity_margin, settings.followup_similarity_confident, settings.followup_margin,
                log_odds(settings.followup_confident), log_odds(answerable_threshold))


def takes(alone: Score, reading: Score, rule: Rule) -> bool:
    """Whether ``reading`` (the question after an earlier one) is how the question should be read."""
    if rule.answerable is not None and reading.log_odds is not None and reading.log_odds < rule.answerable:
        return False
    if alone.similarity < rule.similarity_confident and \
            reading.similarity - alone.similarity >= rule.similarity_margin:
        return True
    return alone.log_odds is not None and reading.log_odds is not None and alone.log_odds < rule.confident \
        and reading.log_odds - alone.log_odds >= rule.margin


def in_context(earlier: str, question: str) -> str:
    """The text retrieval reads for a follow-up: the earlier question's subject, then the new question."""
    return f"{earlier} {question}"


def recent(history: Sequence[str], turns: int) -> list[int]:
    """Indexes of the last ``turns`` earlier questions, most recent first."""
    return list(range(len(history) - 1, max(len(history) - turns, 0) - 1, -1))


def readings(retriever: Retriever, question: str, history: Sequence[str], turns: int,
             score: Callable[[Search], Score]) -> list[Reading]:
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


def choose(alone: Score, options: Sequence[Reading], rule: Rule) -> Reading | None:
    """The reading to answer, or ``None`` to answer the question on its own.

    Among several, the most answerable (ties go to the most recent: ``options`` come most recent first).
    """
    taken = [o for o in options if takes(alone, o.score, rule)]
    if not taken:
        return None
    return max(taken, key=lambda o: (o.score.log_odds if o.score.log_odds is not None else o.score.similarity))
