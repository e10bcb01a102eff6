"""Hybrid search: dense (FAISS) and lexical (BM25) candidates fused into ranked hits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from assistant.config import Settings
from assistant.embed import Embedder
from assistant.index import LoadedIndex
from assistant.lexical import tokenize
from assistant.types import Hit
from assistant.vectors import search as vector_search

RRF_K = 60


@dataclass
class SearchResult:
    hits: list[Hit]
    query_vector: np.ndarray
    query_tokens: list[str]
    timings_ms: dict[str, float] = field(default_factory=dict)


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_batch([text])[0]

    def search(self, question: str, k: int | None = None) -> SearchResult:
        k = k or self.settings.candidates
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        qvec = self.embed_query(question)
        t1 = time.perf_counter()
        n = len(self.index.searchable)
        dense_scores, dense_rows = vector_search(self.index.vectors, qvec, min(k, n)) if n else (
            np.zeros(0, np.float32), np.zeros(0, np.int64))
        t2 = time.perf_counter()
        tokens = tokenize(question)
        lex = self.index.lexical.scores(tokens) if n else np.zeros(0)
        lex_rows = np.argsort(-lex)[:k] if n else np.zeros(0, np.int64)
        t3 = time.perf_counter()
        timings.update(embed=(t1 - t0) * 1000, vector=(t2 - t1) * 1000, lexical=(t3 - t2) * 1000)

        fused: dict[int, float] = {}
        dense_rank: dict[int, int] = {}
        for rank, row in enumerate(dense_rows):
            if row < 0:
                continue
            dense_rank[int(row)] = rank
            fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (RRF_K + rank)
        lex_rank: dict[int, int] = {}
        for rank, row in enumerate(lex_rows):
            if lex[row] <= 0:
                break
            lex_rank[int(row)] = rank
            fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (RRF_K + rank)
        dense_by_row = {int(r): float(s) for r, s in zip(dense_rows, dense_scores, strict=False) if r >= 0}
        hits = []
        for row, score in sorted(fused.items(), key=lambda kv: -kv[1])[:k]:
            chunk = self.index.chunks[self.index.searchable[row]]
            dense = dense_by_row.get(row)
            if dense is None:
                dense = float(np.dot(self.index.vectors.reconstruct(row), qvec)) if hasattr(
                    self.index.vectors, "reconstruct") else 0.0
            hits.append(Hit(chunk, score, dense, float(lex[row]), dense_rank.get(row), lex_rank.get(row)))
        return SearchResult(hits, qvec, tokens, timings)
