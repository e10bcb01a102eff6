"""What the learned models read, computed the same way at training and at answer time.

Per candidate chunk: the adapted query's similarity to the chunk and to its best sentence, the base
(unadapted) similarity, a saturated BM25 score and whether an age the question states lies inside an age
range the chunk (a table row) states. Per question: how strong and how clear-cut the best candidates are,
and how much of the question's wording the sources use at all."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import faiss
import numpy as np

from assistant.lexical import BM25Index
from assistant.types import Chunk
from assistant.vectors import search as vector_search

CANDIDATE_FEATURES = ("dense", "sentence", "base", "lexical", "age")
QUESTION_FEATURES = ("top_score", "margin", "top_dense", "top_sentence", "top_base", "top_lexical",
                     "covered", "unseen", "length")
# Before any training: the fixed hybrid the index always had (dense chunk + best sentence, BM25, ages).
DEFAULT_WEIGHTS = np.array([0.275, 0.275, 0.0, 0.45, 0.3], dtype=np.float32)
LEX_SATURATION = 0.5
_RANGE = re.compile(r"(\d{1,2})\s*[–-]\s*(\d{1,2})\s*years|(\d{1,2})\+\s*years")


def age_ranges(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((int(plus), 200) if plus else (int(a), int(b)) for a, b, plus in _RANGE.findall(text))


class SentenceGroups:
    """The sentence vectors' rows grouped by chunk row once per index, so that the best sentence of
    every chunk is one ``np.maximum.reduceat`` per question."""

    def __init__(self, sentence_rows: np.ndarray) -> None:
        self.rows = sentence_rows
        order = np.argsort(sentence_rows, kind="stable")
        ordered = sentence_rows[order]
        self.order = None if np.array_equal(ordered, sentence_rows) else order
        first = np.ones(len(ordered), dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        self.starts = np.flatnonzero(first)  # where each chunk's sentences begin in ``ordered``
        self.group_rows = ordered[self.starts]

    def best(self, similarities: np.ndarray, n: int) -> np.ndarray:
        """Per chunk row (``n`` of them), its best sentence's similarity; -1 for a chunk without sentences."""
        out = np.full(n, -1.0, dtype=np.float32)
        if len(similarities):
            ordered = similarities if self.order is None else similarities[self.order]
            out[self.group_rows] = np.maximum(np.maximum.reduceat(ordered, self.starts), out[self.group_rows])
        return out


@dataclass
class Candidates:
    """The chunk rows worth ranking for one question and their features (rows × CANDIDATE_FEATURES)."""

    rows: np.ndarray
    features: np.ndarray
    sentence_similarities: np.ndarray  # adapted query · every sentence vector


class Scorer:
    """Candidate and question features over one index's searchable chunks."""

    def __init__(self, chunks: list[Chunk], vectors: faiss.Index, lexical: BM25Index,
                 sentence_rows: np.ndarray, sentence_spans: np.ndarray, sentence_vectors: np.ndarray,
                 candidates: int) -> None:
        self.chunks = chunks
        self.vectors = vectors
        self.lexical = lexical
        self.sentence_rows = sentence_rows
        self.sentence_spans = sentence_spans
        self.sentence_vectors = sentence_vectors
        self.groups = SentenceGroups(sentence_rows)
        self.k = candidates
        self.ages = [age_ranges(c.text) if c.block == "table_row" else () for c in chunks]
        self._aged = [r for r, a in enumerate(self.ages) if a]
        self._unseen = math.log(1.0 + (lexical.n_docs + 0.5) / 1.5)

    @property
    def n(self) -> int:
        return len(self.chunks)

    def _dense(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0, np.float32)
        return self.vectors.reconstruct_batch(rows.astype(np.int64)) @ qvec

    def lexical_scores(self, tokens: tuple[str, ...]) -> tuple[np.ndarray, float]:
        """BM25 per chunk, and the best a chunk could reach (every term matched, saturated): a chunk that
        only shares common words stays low even when it is the best one."""
        lex = self.lexical.scores(tokens)
        top = sum(self.lexical.idf(t) or self._unseen for t in set(tokens)) * (self.lexical.k1 + 1) * LEX_SATURATION
        return lex, top

    def candidates(self, adapted: np.ndarray, base: np.ndarray, tokens: tuple[str, ...],
                   ages: tuple[int, ...] = (), only: np.ndarray | None = None, k: int | None = None) -> Candidates:
        """The union of the best chunks by adapted similarity, best sentence and BM25 (or exactly the
        rows ``only``), with every feature of each."""
        n = self.n
        sent_sims = self.sentence_vectors @ adapted if len(self.sentence_rows) else np.zeros(0, np.float32)
        sent_best = self.groups.best(sent_sims, n)
        lex, lex_top = self.lexical_scores(tokens)
        if only is not None:
            rows = np.asarray(only, dtype=np.int64)
        else:
            k = min(k or self.k, n)
            _, d_rows = vector_search(self.vectors, adapted, k)
            pool = set(d_rows[d_rows >= 0].tolist())
            pool.update(np.argsort(-sent_best)[:k].tolist())
            pool.update(r for r in np.argsort(-lex)[:k].tolist() if lex[r] > 0)
            if ages:
                pool.update(r for r in self._aged if any(lo <= a <= hi for a in ages for lo, hi in self.ages[r]))
            rows = np.asarray(sorted(pool), dtype=np.int64)
        dense = self._dense(adapted, rows)
        feats = np.zeros((len(rows), len(CANDIDATE_FEATURES)), dtype=np.float32)
        if len(rows):
            sentence = sent_best[rows]
            feats[:, 0] = dense
            feats[:, 1] = np.where(sentence > -1, sentence, dense)
            feats[:, 2] = self._dense(base, rows)
            feats[:, 3] = lex[rows] / lex_top if lex_top > 0 else 0.0
            if ages:
                feats[:, 4] = [float(any(lo <= a <= hi for a in ages for lo, hi in self.ages[r])) for r in rows]
        return Candidates(rows, feats, sent_sims)

    def question_features(self, cands: Candidates, scores: np.ndarray, tokens: tuple[str, ...]) -> np.ndarray:
        """How well the best candidates (by ``scores``) cover the question."""
        out = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
        if not len(scores):
            return out
        order = np.argsort(-scores)
        f = cands.features
        out[0] = scores[order[0]]
        out[1] = scores[order[0]] - (scores[order[1]] if len(order) > 1 else 0.0)
        out[2], out[3], out[4], out[5] = f[:, 0].max(), f[:, 1].max(), f[:, 2].max(), f[:, 3].max()
        terms = set(tokens)
        if terms:
            weights = {t: self.lexical.idf(t) or self._unseen for t in terms}
            total = sum(weights.values())
            top_rows = cands.rows[order[:3]]
            vocab = self.lexical.vocab
            ids = {t: vocab[t] for t in terms if t in vocab}
            present = set()
            weights_m = self.lexical.weights
            for t, i in ids.items():
                cols = weights_m.indices[weights_m.indptr[i]:weights_m.indptr[i + 1]]
                if np.isin(top_rows, cols).any():
                    present.add(t)
            out[6] = sum(weights[t] for t in present) / total
            out[7] = sum(w for t, w in weights.items() if t not in ids) / total
        out[8] = math.log1p(len(tokens))
        return out
