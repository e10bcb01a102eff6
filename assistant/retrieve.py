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
        self.sentence_rows, self.sentence_vectors = index.sentence_rows, index.sentence_vectors
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
        mask = np.isin(self.sentence_rows, rows)
        return float((self.sentence_vectors[mask] @ vec).max()) if mask.any() else 0.0

    def _dense_scores(self, qvec: np.ndarray, rows: list[int]) -> dict[int, float]:
        return {r: float(np.dot(self.index.vectors.reconstruct(r), qvec)) for r in rows}

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
        dense = {int(r): float(s) for r, s in zip(d_rows, d_scores, strict=False) if r >= 0}
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
        lex_rows = [int(r) for r in np.argsort(-lex)[:k] if lex[r] > 0]
        lex_rank = {r: i for i, r in enumerate(lex_rows)}
        t4 = time.perf_counter()

        candidates = set(dense) | set(lex_rows)
        exact = exact_boosts(query, self._facts, candidates)
        candidates |= set(exact)
        missing = [r for r in candidates if r not in dense]
        dense.update(self._dense_scores(qvec, missing))
        sent_best = np.full(n, -1.0, dtype=np.float32)
        if len(self.sentence_rows):
            np.maximum.at(sent_best, self.sentence_rows, self.sentence_vectors @ qvec)
            for r in np.argsort(-sent_best)[:k]:
                candidates.add(int(r))
        missing = [r for r in candidates if r not in dense]
        dense.update(self._dense_scores(qvec, missing))
        if len(self.sentence_rows):
            for r in candidates:
                dense[r] = SENT_MIX * float(sent_best[r]) + (1 - SENT_MIX) * dense[r]
        hits = []
        for r in candidates:
            lex_n = float(lex[r]) / lex_max if lex_max > 0 else 0.0
            score = DENSE_WEIGHT * dense[r] + LEXICAL_WEIGHT * lex_n + exact.get(r, 0.0)
            hits.append(Hit(self.index.chunks[self.index.searchable[r]], score, dense[r], float(lex[r]),
                            dense_rank.get(r), lex_rank.get(r)))
        hits.sort(key=lambda h: -h.score)
        t5 = time.perf_counter()
        timings.update(analyze=(t1 - t0) * 1000, embed=(t2 - t1) * 1000, vector=(t3 - t2) * 1000,
                       lexical=(t4 - t3) * 1000, fuse=(t5 - t4) * 1000)
        return SearchResult(query, hits[:k], qvec, tokens, timings, topic_vec)
