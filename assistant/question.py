"""A question as the models see it: markup and symbols removed, the sources' words for a named medicine
added (from ``medicines.json`` beside the documents), and the ages and amounts it states. Generic for any
folder: no wording of any question is special here."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.lexical import fold, tokenize
from assistant.spelling import Speller

_TAG = re.compile(r"<[^>]{0,200}>")
_SYMBOLS = re.compile(r"[^\w\s.,;:!?'’\"()%+\-–—/]")
_SPACES = re.compile(r"\s+")
# A number of years ("6-year-old", "15yo", "68 yrs") and a stated amount ("1,500 mg").
_AGE = re.compile(r"\b(\d{1,3})\s*-?\s*(?:years?|yrs?|yo|y/o)\b", re.I)
_AMOUNT = re.compile(r"\b(\d{1,2},\d{3}|\d{1,5})\s*(?:mg|milligrams?)\b", re.I)


@dataclass(frozen=True)
class Question:
    original: str
    text: str  # cleaned and spelling-corrected: what the embedder and the lexical index see
    written: str  # cleaned, as written: what the classifiers' character n-grams read
    tokens: tuple[str, ...]  # stemmed lexical tokens of ``text``
    ages: tuple[int, ...] = ()
    amounts_mg: tuple[int, ...] = ()
    medicines: tuple[str, ...] = ()  # names found in the medicines data
    notes: list[str] = field(default_factory=list, compare=False)  # for the trace


def clean(text: str) -> str:
    """Drop markup and symbols (emoji, brackets of code); keep the words a person asked."""
    text = _TAG.sub(" ", html.unescape(text))
    return _SPACES.sub(" ", _SYMBOLS.sub(" ", text)).strip()


def _mentions(folded: str, name: str) -> bool:
    i = folded.find(name)
    while i >= 0:
        before = folded[i - 1] if i > 0 else " "
        after = folded[i + len(name)] if i + len(name) < len(folded) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        i = folded.find(name, i + 1)
    return False


def prepare(question: str, medicines: Mapping[str, str] | None = None, speller: Speller | None = None) -> Question:
    """The question the retriever and the classifiers read (the same at training and at answer time)."""
    text = written = clean(question) or question.strip()
    notes = []
    if speller is not None:
        text, fixes = speller.fix(text)
        if fixes:
            notes.append("spelling: " + ", ".join(f"{a} → {b}" for a, b in fixes.items()))
    folded = fold(text)
    named = tuple(m for m in (medicines or {}) if _mentions(folded, m))
    if named:
        extra = " ".join(dict.fromkeys(w for m in named for w in (medicines or {})[m].split()))
        text = f"{text} ({extra})"
        notes.append(f"medicines named: {', '.join(named)} → the sources' words: {extra}")
    ages = tuple(int(a) for a in _AGE.findall(folded) if int(a) < 120)
    amounts = tuple(int(a.replace(",", "")) for a in _AMOUNT.findall(folded))
    return Question(original=question, text=text, written=written, tokens=tuple(tokenize(text)), ages=ages, amounts_mg=amounts,
                    medicines=named, notes=notes)
