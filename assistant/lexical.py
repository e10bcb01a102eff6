"""BM25 over chunk texts (Lucene's formula), with Snowball stemming and English stop words."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import Stemmer
from scipy import sparse

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "s", "t", "don", "shouldn", "wasn", "weren", "won", "wouldn", "couldn", "didn", "doesn", "hadn", "hasn", "haven", "isn", "aren", "i'm", "it's", "i've", "i'd"]
)

_TOKEN = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case without accents, so 'jähriges' and 'jahriges' meet."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def tokenize(text: str, stem: bool = True, stopwords: bool = True) -> list[str]:
    return list(_tokenize(text, stem, stopwords))


@lru_cache(maxsize=65_536)
def _tokenize(text: str, stem: bool, stopwords: bool) -> tuple[str, ...]:
    # Cached: answering tokenizes the same source passages for every question.
    toks = [t for t in words(text) if not (stopwords and t in STOPWORDS)]
    return tuple(_stemmer().stemWords(toks) if stem else toks)


@lru_cache(maxsize=65_536)
def token_set(text: str, stem: bool = True) -> frozenset[str]:
    """``set(tokenize(text, stem))``, cached like ``tokenize`` (same members, same iteration order)."""
    return frozenset(_tokenize(text, stem, True))


class BM25Index:
    """Term × document weight matrix; a query's score is the sum of its terms' rows."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csr_matrix, df: np.ndarray, n_docs: int,
                 k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab = vocab
        self.weights = weights
        self.df = df
        self.n_docs = n_docs
        self.k1 = k1
        self.b = b
        self.weights.sum_duplicates()  # one entry per (term, chunk): ``scores`` adds rows slice by slice
        self._idf: dict[str, float] = {}  # term → idf, filled on first use

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(token_lists), dtype=np.float32)
        for d, toks in enumerate(token_lists):
            lengths[d] = len(toks)
            for term, tf in Counter(toks).items():
                rows.append(vocab.setdefault(term, len(vocab)))
                cols.append(d)
                tfs.append(tf)
        n = len(token_lists)
        tf_m = sparse.csr_matrix((np.asarray(tfs, np.float32), (rows, cols)), shape=(len(vocab), n))
        df = np.bincount(np.asarray(rows, dtype=np.int64), minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if n else 1.0
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        coo = tf_m.tocoo()
        w = idf[coo.row] * coo.data * (k1 + 1) / (coo.data + norm[coo.col])
        weights = sparse.csr_matrix((w.astype(np.float32), (coo.row, coo.col)), shape=tf_m.shape)
        return cls(vocab, weights, df, n, k1, b)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """Per chunk, the sum of the query terms' weights (a repeated term counts again), in float32
        and in query order: the same sums as ``weights[ids].sum(axis=0)``, without scipy's overhead."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        for t in query_tokens:
            i = self.vocab.get(t)
            if i is not None:
                lo, hi = indptr[i], indptr[i + 1]
                out[indices[lo:hi]] += data[lo:hi]
        return out

    def idf(self, term: str) -> float:
        cached = self._idf.get(term)
        if cached is not None:
            return cached
        i = self.vocab.get(term)
        if i is None:
            return 0.0
        value = self._idf[term] = float(np.log(1.0 + (self.n_docs - self.df[i] + 0.5) / (self.df[i] + 0.5)))
        return value

    def save(self, folder: Path) -> None:
        sparse.save_npz(folder / "lexical.npz", self.weights)
        meta = {"k1": self.k1, "b": self.b, "n_docs": self.n_docs, "df": self.df.tolist(), "vocab": self.vocab}
        (folder / "lexical_vocab.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        meta = json.loads((folder / "lexical_vocab.json").read_text(encoding="utf-8"))
        weights = sparse.load_npz(folder / "lexical.npz").tocsr()
        return cls(meta["vocab"], weights, np.asarray(meta["df"], np.float32), int(meta["n_docs"]),
                   float(meta["k1"]), float(meta["b"]))
