"""Where quoted sources disagree: different figures for the same thing, or different strengths of evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.lexical import token_set, tokenize
from assistant.types import Conflict, Passage

_FIGURE = re.compile(r"(\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?)\s*(?:mg\s+)?(?:of\s+)?([a-z]{3,})(?:\s+([a-z]{3,}))?",
                     re.I)
_STRENGTH = (
    (3, re.compile(r"\bstrong (evidence|support)|✓✓✓|robust\b", re.I)),
    (0, re.compile(r"\b(unlikely|not effective|no (clear )?effect|conflicting|negative evidence|unreliable)\b", re.I)),
    (1, re.compile(r"\b(poor|weak|suggestive|preliminary|limited|not yet (been )?rigorously proven|emerging)\b", re.I)),
    (2, re.compile(r"\b(moderate|promising|growing)\b|✓✓", re.I)),
)
_UNIT_STOP = frozenset("and the with for per from that this than are was were".split())


def figures(text: str) -> dict[str, str]:
    """'over 300 enzymatic reactions' → {'reaction': '300'}; keyed by the counted thing's stem."""
    return {k: v[0] for k, v in _figures(text).items()}


@lru_cache(maxsize=4096)  # a pure function of a quoted span; callers only read the result
def _figures(text: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for m in _FIGURE.finditer(text):
        number, w1, w2 = m.group(1), (m.group(2) or "").lower(), (m.group(3) or "").lower()
        for word in (w2, w1):
            if word and word not in _UNIT_STOP:
                key = (tokenize(word, stopwords=False) or [word])[0]
                thing = f"{w1} {w2}".strip() if word == w2 and w1 not in _UNIT_STOP else word
                out.setdefault(key, (re.sub(r"\s+", "", number), thing))
                break
    return out


def strength(p: Passage) -> int | None:
    return _strength(p.evidence or "", p.text)


@lru_cache(maxsize=4096)
def _strength(evidence: str, text: str) -> int | None:
    probe = f"{evidence} {text}"
    for level, pattern in _STRENGTH:
        if pattern.search(probe):
            return level
    return None


def _topic_overlap(a: Passage, b: Passage) -> frozenset[str]:
    return token_set(a.text) & token_set(b.text)


def disagree(a: Passage, b: Passage) -> str | None:
    """The point two passages from different documents disagree on, or None."""
    if a.document_id == b.document_id:
        return None
    fa, fb = _figures(a.text), _figures(b.text)
    for key in fa.keys() & fb.keys():
        if fa[key][0] != fb[key][0] and key not in ("mg", "year", "week", "day", "hour", "minut", "befor"):
            return f"{fa[key][1]}: {fa[key][0]} vs {fb[key][0]}"
    sa, sb = strength(a), strength(b)
    shared = _topic_overlap(a, b)
    if sa is not None and sb is not None and sa != sb and len(shared) >= 3:
        return "strength of evidence"
    time_a, time_b = _timing(a.text), _timing(b.text)
    if time_a and time_b and time_a != time_b:
        return f"timing: {time_a} vs {time_b}"
    return None


@lru_cache(maxsize=4096)
def _timing(text: str) -> str | None:
    m = re.search(r"(\d+\s*[-–]?\s*\d*\s*(hours?|minutes?))\s+before\s+(bed|bedtime|sleep)", text, re.I)
    return re.sub(r"\s+", " ", m.group(1)).replace("–", "-") if m else None


def find_conflicts(passages: Sequence[Passage]) -> tuple[Conflict, ...]:
    out: list[Conflict] = []
    for i in range(len(passages)):
        for j in range(i + 1, len(passages)):
            topic = disagree(passages[i], passages[j])
            if topic:
                out.append(Conflict(topic, (i, j), (passages[i].document_id, passages[j].document_id)))
    return tuple(out)
