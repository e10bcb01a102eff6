"""Hybrid search: dense (FAISS, per chunk and per sentence) and lexical (BM25) scores fused per chunk,
plus the exact evidence of ``boosts``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from assistant.boosts import ChunkFacts, exact_boosts
from assistant.config import Settings
from assistant.embed import Embedder
from assistant.index import LoadedIndex
from assistant.lexical import tokenize
from assistant.query import Query, QueryAnalyzer
from assistant.types import Chunk, Hit
from assistant.vectors import search as vector_search

DENSE_WEIGHT = 0.55
LEXICAL_WEIGHT = 1 - DENSE_WEIGHT
SENT_MIX = 0.5
LEX_SATURATION = 0.5
UNSEEN_WEIGHT = 1.0


@dataclass
class SearchResult:
    query: Query
    hits: list[Hit]
    query_vector: np.ndarray
    query_tokens: list[str]
    timings_ms: dict[str, float] = field(default_factory=dict)
    topic_vector: np.ndarray | None = None


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        chunks = [index.chunks[i] for i in index.searchable]
        self.analyzer = QueryAnalyzer(c.embedding_text() for c in chunks)
        self._facts = [ChunkFacts.of(c) for c in chunks]
        self._chunks = chunks
        self.sentence_rows, self.sentence_vectors = index.sentence_rows, index.sentence_vectors
        self._sentences = SentenceGroups(index.sentence_rows)
        self._row_of = {c.id: r for r, c in enumerate(chunks)}
        self._probes: dict[str, list[Hit]] = {}

    def probe(self, text: str) -> list[Hit]:
        """Hits for a fixed probe text (e.g. toxicity for emergencies), computed once per index."""
        if text not in self._probes:
            self._probes[text] = self.search(text).hits
        return self._probes[text]

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_batch([text])[0]

    def best_sentence_similarity(self, vec: np.ndarray, chunks: list[Chunk]) -> float:
        """The highest similarity between ``vec`` and any sentence of ``chunks``."""
        rows = [self._row_of[c.id] for c in chunks if c.id in self._row_of]
        if not rows or not len(self.sentence_rows):
            return 0.0
        mask = self._sentences.of_rows(rows)
        return float((self.sentence_vectors[mask] @ vec).max()) if mask.any() else 0.0

    def _dense_scores(self, qvec: np.ndarray, rows: list[int]) -> dict[int, float]:
        if not rows:
            return {}
        vectors = self.index.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return {r: float(np.dot(v, qvec)) for r, v in zip(rows, vectors, strict=True)}

    def search(self, question: str, k: int | None = None, query: Query | None = None) -> SearchResult:
        k = k or self.settings.candidates
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = query or self.analyzer.analyze(question)
        t1 = time.perf_counter()
        # The question and its topic words alone (for the abstention check) in one forward pass.
        residual = query.topic_text
        vecs = self.embedder.embed_batch([query.dense_text or question, *([residual] if residual else [])])
        qvec = vecs[0]
        topic_vec = vecs[1] if residual else None
        t2 = time.perf_counter()
        n = len(self.index.searchable)
        if n == 0:
            return SearchResult(query, [], qvec, [], timings, topic_vec)
        d_scores, d_rows = vector_search(self.index.vectors, qvec, min(k, n))
        dense = {r: s for r, s in zip(d_rows.tolist(), d_scores.tolist(), strict=False) if r >= 0}
        dense_rank = {r: i for i, r in enumerate(dense)}
        t3 = time.perf_counter()
        tokens = tokenize(query.lexical_text)
        lex = self.index.lexical.scores(tokens)
        # Normalise by the best score the query could reach (every term matched), not by the best
        # chunk: a chunk that only shares common words then stays low even when it is the best.
        lexical = self.index.lexical
        # A word the sources never use ("nauseous") still counts: matching the question's other words
        # is then only part of the question.
        unseen = math.log(1.0 + (lexical.n_docs + 0.5) / 1.5) * UNSEEN_WEIGHT
        lex_max = sum(lexical.idf(t) or unseen for t in set(tokens)) * (lexical.k1 + 1) * LEX_SATURATION
        lex_list = lex.tolist()
        lex_rows = [r for r in np.argsort(-lex)[:k].tolist() if lex_list[r] > 0]
        lex_rank = {r: i for i, r in enumerate(lex_rows)}
        t4 = time.perf_counter()

        candidates = set(dense) | set(lex_rows)
        exact = exact_boosts(query, self._facts, candidates)
        candidates |= set(exact)
        missing = [r for r in candidates if r not in dense]
        dense.update(self._dense_scores(qvec, missing))
        if len(self.sentence_rows):
            sent_best = self._sentences.best(self.sentence_vectors @ qvec, n)
            candidates.update(np.argsort(-sent_best)[:k].tolist())
            missing = [r for r in candidates if r not in dense]
            dense.update(self._dense_scores(qvec, missing))
            best_list = sent_best.tolist()
            for r in candidates:
                dense[r] = SENT_MIX * best_list[r] + (1 - SENT_MIX) * dense[r]
        scored = [(r, DENSE_WEIGHT * dense[r] + LEXICAL_WEIGHT * (lex_list[r] / lex_max if lex_max > 0 else 0.0)
                   + exact.get(r, 0.0)) for r in candidates]
        scored.sort(key=lambda x: -x[1])
        hits = [Hit(self._chunks[r], score, dense[r], lex_list[r], dense_rank.get(r), lex_rank.get(r))
                for r, score in scored[:k]]
        t5 = time.perf_counter()
        timings.update(analyze=(t1 - t0) * 1000, embed=(t2 - t1) * 1000, vector=(t3 - t2) * 1000,
                       lexical=(t4 - t3) * 1000, fuse=(t5 - t4) * 1000)
        return SearchResult(query, hits, qvec, tokens, timings, topic_vec)


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
        self.n_rows = int(sentence_rows.max()) + 1 if len(sentence_rows) else 0

    def best(self, similarities: np.ndarray, n: int) -> np.ndarray:
        """Per chunk row (``n`` of them), its best sentence's similarity; -1 for a chunk without sentences."""
        out = np.full(n, -1.0, dtype=np.float32)
        if len(similarities):
            ordered = similarities if self.order is None else similarities[self.order]
            out[self.group_rows] = np.maximum(np.maximum.reduceat(ordered, self.starts), out[self.group_rows])
        return out

    def of_rows(self, rows: list[int]) -> np.ndarray:
        """Mask of the sentences belonging to ``rows``."""
        wanted = np.zeros(max(self.n_rows, max(rows) + 1), dtype=bool)
        wanted[rows] = True
        return wanted[self.rows]
