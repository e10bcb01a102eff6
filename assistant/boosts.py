"""Exact evidence the embedding cannot see, added to a chunk's fused score: an age inside a table's
age range, a named medicine in an interaction row, a stated limit for "is 1,500 mg fine?", the
caution for a named condition, a sentence saying what a thing is, a duration for "how long
before", studies for "does it help". What each chunk states is worked out once per index."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.lexical import fold
from assistant.lexicon import CONDITIONS
from assistant.query import Query
from assistant.types import Chunk

AGE_BOOST = 0.3
DRUG_BOOST = 0.2
LIMIT_BOOST = 0.2
LIMIT_CHECK_MG = 300
CONDITION_BOOST = 0.1
DEFINITION_BOOST = 0.1
TIMING_BOOST = 0.1
EFFICACY_BOOST = 0.1
COUNT_BOOST = 0.1
CAUSE_BOOST = 0.1

_RANGE = re.compile(r"(\d{1,2})\s*[–-]\s*(\d{1,2})\s*years|(\d{1,2})\+\s*years")
_LIMIT = re.compile(r"(exceed\w*|upper (intake )?level|\bUL\b|>\s*\d|above|more than|very high doses?)[^.]{0,60}?"
                    r"\d+\s*mg|\d+\s*mg[^.]{0,40}?(upper|limit|exceed)", re.I)
# "How much is too much?": the stated limits answer it, as they answer "Is 1,500 mg fine?".
_LIMIT_Q = re.compile(r"\b(too much|too high|maximum|max|upper (intake )?limit|how much is (safe|too)|"
                      r"(become|becomes|becoming|is|gets) (too much|toxic|unsafe|dangerous|harmful)|"
                      r"safe (upper )?limit|most (i|you|one|someone) (can|should))\b", re.I)
# "What is magnesium glycinate?": a sentence that says what it is ("X is a chelated form…") answers it.
_DEFINITION_Q = re.compile(r"^\s*(what(?: exactly| actually)?(?:'s| is| are)|define) (?:exactly |actually )?"
                           r"(?P<x>[a-z][\w\s-]{2,40}?)"
                           r"(?: exactly| actually| really)?\s*\??\s*$", re.I)
_TIMING_Q = re.compile(r"\b(how long (before|after)|how many (hours|minutes)|how far apart|how soon)\b", re.I)
_DURATION = re.compile(r"\b\d+(\s*[-–]\s*\d+)?\s*(hours?|minutes?|hrs?|mins?)\b", re.I)
_EFFICACY_Q = re.compile(r"\b(does|do|can|will|would|is|are|has|have)\b.{0,40}\b(help|work|effective|improve|reduce|"
                         r"treat|prevent|worth|shown|proven)\w*\b", re.I)
# "How many reactions?": a sentence with a number answers it.
_COUNT_Q = re.compile(r"\b(how many|what (\S+ )?(percentage|proportion|fraction|share|number|level|value|point|cut-?off|threshold)|"
                      r"how (common|widespread|rare))\b",
                      re.I)
_NUMBER = re.compile(r"\d")
# "How do people end up with toxicity?", "Why are so many people low?": a sentence giving a cause answers it.
_CAUSE_Q = re.compile(r"\b(what (causes?|leads? to|makes)|causes? of|how (do|does|did|can|could|would) "
                      r"(people|someone|one|you|i|it|this) (usually |actually |typically |normally )?"
                      r"(get|end up|develop|become|happen|occur|go)|end up|why (are|is|do|does) (so many|"
                      r"most|many|people|so much))\b", re.I)
_CAUSE_WORDS = re.compile(r"\b(caused? by|causes?|due to|because|results? (from|in)|resulting from|occurs? (from|when|in|with)|"
                          r"lead(s|ing)? to|contribut\w+|deplet\w+|factors?|from (a |an )?(massive |large )?overdose)\b",
                          re.I)
_EVIDENCE_WORDS = re.compile(r"\b(study|studies|trial|trials|evidence|review|meta-analysis|found|demonstrated|"
                             r"concluded|placebo)\b", re.I)


def states_limit(text: str) -> bool:
    """The text states an amount as a limit ("Exceeding 800 mg", "UL of 350 mg/day")."""
    return bool(_LIMIT.search(text))


def age_ranges(text: str) -> list[tuple[int, int]]:
    return [(int(plus), 200) if plus else (int(a), int(b)) for a, b, plus in _RANGE.findall(text)]


@dataclass(frozen=True)
class ChunkFacts:
    folded: str
    table_row: bool
    ages: tuple[tuple[int, int], ...]
    limit: bool
    duration: bool
    evidence: bool
    number: bool
    cause: bool
    conditions: frozenset[str]  # the conditions a safety chunk cautions about

    @classmethod
    def of(cls, chunk: Chunk) -> ChunkFacts:
        table_row = chunk.block == "table_row"
        cautions = frozenset(name for name, (_, stated) in CONDITIONS.items()
                             if chunk.kind == "safety" and re.search(stated, chunk.text, re.I))
        return cls(folded=fold(chunk.text), table_row=table_row,
                   ages=tuple(age_ranges(chunk.text)) if table_row else (), limit=states_limit(chunk.text),
                   duration=bool(_DURATION.search(chunk.text)), evidence=bool(_EVIDENCE_WORDS.search(chunk.text)),
                   number=bool(_NUMBER.search(chunk.text)), cause=bool(_CAUSE_WORDS.search(chunk.text)),
                   conditions=cautions)


def exact_boosts(query: Query, facts: Sequence[ChunkFacts], candidates: Iterable[int]) -> dict[int, float]:
    """Row → the boost its exact evidence earns for this question. Boosts that find chunks anywhere
    in the index (ages, medicines, limits, conditions, definitions) look at every row; the others
    only re-rank ``candidates``."""
    out: dict[int, float] = {}

    def add(rows: Iterable[int], boost: float) -> None:
        for r in rows:
            out[r] = out.get(r, 0.0) + boost

    every = range(len(facts))
    if query.ages:
        add((r for r in every if any(lo <= a <= hi for a in query.ages for lo, hi in facts[r].ages)), AGE_BOOST)
    if query.drugs:
        named = [re.compile(rf"\b{re.escape(d)}\b") for d in query.drugs]
        add((r for r in every if facts[r].table_row and any(p.search(facts[r].folded) for p in named)), DRUG_BOOST)
    if (query.amounts_mg and max(query.amounts_mg) >= LIMIT_CHECK_MG) or _LIMIT_Q.search(query.text):
        add((r for r in every if facts[r].limit), LIMIT_BOOST)
    if query.conditions:
        add((r for r in every if facts[r].conditions & query.conditions), CONDITION_BOOST)
    definition = _DEFINITION_Q.match(query.text)
    if definition:
        subject = re.escape(fold(definition.group("x")).strip())
        says_what = re.compile(rf"\b{subject} (is|are) (a|an|the|one|magnesium|\w+ed)\b")
        add((r for r in every if says_what.search(facts[r].folded)), DEFINITION_BOOST)
    pool = list(candidates)
    if _TIMING_Q.search(query.text):
        add((r for r in pool if facts[r].duration), TIMING_BOOST)
    if _EFFICACY_Q.search(query.text):
        add((r for r in pool if facts[r].evidence), EFFICACY_BOOST)
    if _COUNT_Q.search(query.text):
        add((r for r in pool if facts[r].number), COUNT_BOOST)
    if _CAUSE_Q.search(query.text):
        add((r for r in pool if facts[r].cause), CAUSE_BOOST)
    return out
