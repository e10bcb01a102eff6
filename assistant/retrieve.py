"""Hybrid search: dense (FAISS) and lexical (BM25) scores fused per chunk, plus exact matches the
embedding cannot see (ages inside table ranges, named medicines in interaction rows)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

import numpy as np

from assistant.config import Settings
from assistant.embed import Embedder
from assistant.index import LoadedIndex
from assistant.lexical import fold, tokenize
from assistant.lexicon import CONDITIONS
from assistant.query import Query, QueryAnalyzer
from assistant.types import Chunk, Hit
from assistant.vectors import search as vector_search

DENSE_WEIGHT = 0.55
LEXICAL_WEIGHT = 1 - DENSE_WEIGHT
SENT_MIX = 0.5
LEX_SATURATION = 0.5
UNSEEN_WEIGHT = 1.0
AGE_BOOST = 0.3
DRUG_BOOST = 0.2

TIMING_BOOST = 0.1
_TIMING_Q = re.compile(r"\b(how long (before|after)|how many (hours|minutes)|how far apart|how soon)\b", re.I)
_DURATION = re.compile(r"\b\d+(\s*[-–]\s*\d+)?\s*(hours?|minutes?|hrs?|mins?)\b", re.I)
EFFICACY_BOOST = 0.1
_EFFICACY_Q = re.compile(r"\b(does|do|can|will|would|is)\b.{0,40}\b(help|work|effective|improve|reduce|treat|"
                         r"prevent|worth)\w*\b", re.I)
_EVIDENCE_WORDS = re.compile(r"\b(study|studies|trial|trials|evidence|review|meta-analysis|found|demonstrated|"
                             r"concluded|placebo)\b", re.I)
LIMIT_CHECK_MG = 300
LIMIT_BOOST = 0.2
_LIMIT = re.compile(r"(exceed\w*|upper (intake )?level|\bUL\b|>\s*\d|above|more than|very high doses?)[^.]{0,60}?"
                    r"\d+\s*mg|\d+\s*mg[^.]{0,40}?(upper|limit|exceed)", re.I)
# "How much is too much?": the stated limits answer it, as they answer "Is 1,500 mg fine?".
_LIMIT_Q = re.compile(r"\b(too much|too high|maximum|max|upper (intake )?limit|how much is (safe|too)|"
                      r"(become|becomes|becoming|is|gets) (too much|toxic|unsafe|dangerous|harmful)|"
                      r"safe (upper )?limit|most (i|you|one|someone) (can|should))\b", re.I)
# "I'm on dialysis, can I take it?": the sources' caution about that condition answers first.
CONDITION_BOOST = 0.1
# "What is magnesium glycinate?": a sentence that says what it is ("X is a chelated form…") answers it.
DEFINITION_BOOST = 0.1
_DEFINITION_Q = re.compile(r"^\s*(what(?: exactly| actually)?(?:'s| is| are)|define) (?:exactly |actually )?"
                           r"(?P<x>[a-z][\w\s-]{2,40}?)"
                           r"(?: exactly| actually| really)?\s*\??\s*$", re.I)
_RANGE = re.compile(r"(\d{1,2})\s*[–-]\s*(\d{1,2})\s*years|(\d{1,2})\+\s*years")


@dataclass
class SearchResult:
    query: Query
    hits: list[Hit]
    query_vector: np.ndarray
    query_tokens: list[str]
    timings_ms: dict[str, float] = field(default_factory=dict)
    topic_vector: np.ndarray | None = None


def _age_ranges(text: str) -> list[tuple[int, int]]:
    out = []
    for a, b, plus in _RANGE.findall(text):
        out.append((int(plus), 200) if plus else (int(a), int(b)))
    return out


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        chunks = [index.chunks[i] for i in index.searchable]
        self.analyzer = QueryAnalyzer(c.embedding_text() for c in chunks)
        self._folded = [fold(c.text) for c in chunks]
        self._ranges = [_age_ranges(c.text) if c.block == "table_row" else [] for c in chunks]
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
        exact: dict[int, float] = {}
        if query.ages:
            for r, ranges in enumerate(self._ranges):
                if any(lo <= age <= hi for age in query.ages for lo, hi in ranges):
                    exact[r] = exact.get(r, 0.0) + AGE_BOOST
        if query.drugs:
            for r in range(n):
                chunk = self.index.chunks[self.index.searchable[r]]
                if chunk.block == "table_row" and any(re.search(rf"\b{d}\b", self._folded[r]) for d in query.drugs):
                    exact[r] = exact.get(r, 0.0) + DRUG_BOOST
        if (query.amounts_mg and max(query.amounts_mg) >= LIMIT_CHECK_MG) or _LIMIT_Q.search(query.text):
            # "Is 1,500 mg fine?": the sources' stated limits and high-dose cautions answer it.
            for r in range(n):
                chunk = self.index.chunks[self.index.searchable[r]]
                if _LIMIT.search(chunk.text):
                    exact[r] = exact.get(r, 0.0) + LIMIT_BOOST
        for asked, stated in CONDITIONS.values():
            if re.search(asked, query.text, re.I):
                for r in range(n):
                    chunk = self.index.chunks[self.index.searchable[r]]
                    if chunk.kind == "safety" and re.search(stated, chunk.text, re.I):
                        exact[r] = exact.get(r, 0.0) + CONDITION_BOOST
        definition = _DEFINITION_Q.match(query.text)
        if definition:
            subject = re.escape(fold(definition.group("x")).strip())
            says_what = re.compile(rf"\b{subject} (is|are) (a|an|the|one|magnesium|\w+ed)\b")
            for r in range(n):
                if says_what.search(self._folded[r]):
                    exact[r] = exact.get(r, 0.0) + DEFINITION_BOOST
        if _TIMING_Q.search(query.text):
            # "How long before bed?": passages that state a duration answer it.
            for r in candidates:
                if _DURATION.search(self.index.chunks[self.index.searchable[r]].text):
                    exact[r] = exact.get(r, 0.0) + TIMING_BOOST
        if _EFFICACY_Q.search(query.text):
            # "Does it help with X?": passages that report studies or evidence answer it.
            for r in candidates:
                if _EVIDENCE_WORDS.search(self.index.chunks[self.index.searchable[r]].text):
                    exact[r] = exact.get(r, 0.0) + EFFICACY_BOOST
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
