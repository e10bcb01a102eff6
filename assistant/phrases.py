"""Whole-word phrase matching for the lexicons, also in a base form ("shouldn't be taking" meets
"should not take")."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _whole_words(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(phrase)}\b")


# Lexicon phrases are written in one form ("should not take"); questions inflect and pad them
# ("shouldn't be taking", "should absolutely never take"). Both sides are matched in a base form too.
_BASE_FORMS = (
    (re.compile(r"\b(can)'?t\b"), r"\1 not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\b(should|must|could|would|do|does|did|is|are|was|were|have|has)n'?t\b"), r"\1 not"),
    (re.compile(r"\b(should|must|can|could|would|will|do|does|did)( not)? (?:(?:absolutely|really|ever|actually|"
                r"definitely|just|even|probably|honestly|still|also) )+"), r"\1\2 "),
    (re.compile(r"\b(should|must|can|could|would|will|do|does|did) never\b"), r"\1 not"),
    (re.compile(r"\b(feel|feeling|felt|am|i'm|im|is|are|get|getting) (?:(?:really|very|so|pretty|super|quite|"
                r"extremely|kinda|kind of|a bit|a little|always|constantly) )+"), r"\1 "),
    (re.compile(r"\b(?:be |been |being )?(?:taking|takes|took|taken)\b"), "take"),
)


def base_form(text: str) -> str:
    """``text`` with contractions spelled out, adverbs after a modal dropped and 'taking' as 'take'."""
    for pattern, repl in _BASE_FORMS:
        text = pattern.sub(repl, text)
    return text


def mentions(text: str, phrase: str) -> bool:
    """``phrase`` as whole words in ``text``; a substring test rules most lexicon phrases out before the regex."""
    return phrase in text and _whole_words(phrase).search(text) is not None


def mentions_any_form(text: str, base: str, phrase: str) -> bool:
    """``phrase`` in ``text``, or its base form in ``base`` (``base_form(text)``, worked out once by the caller)."""
    return mentions(text, phrase) or (base != text and mentions(base, _base_of(phrase)))


@lru_cache(maxsize=4096)
def _base_of(phrase: str) -> str:
    return base_form(phrase)
