"""Question → ranked chunks: the frozen embedding adapted by the learned query adapter, candidates from
dense, best-sentence and BM25 search, ranked by the learned ranker (or the fixed hybrid without a bank)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from assistant.config import Settings
from assistant.embed import Embedder
from assistant.learn.features import CANDIDATE_FEATURES, Candidates, Scorer
from assistant.question import Question, prepare
from assistant.spelling import speller_for
from assistant.store import LoadedIndex
from assistant.types import Hit


@dataclass
class Search:
    question: Question
    base: np.ndarray  # the frozen model's question vector
    adapted: np.ndarray  # after the query adapter
    candidates: Candidates
    scores: np.ndarray  # per candidate, the ranker's score
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)

    def features_of(self, hit: Hit) -> dict[str, float]:
        i = int(np.flatnonzero(self.candidates.rows == hit.row)[0])
        return {n: round(float(v), 3) for n, v in zip(CANDIDATE_FEATURES, self.candidates.features[i], strict=True)}


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.models = index.learned
        self.chunks = [index.chunks[i] for i in index.searchable]
        self.scorer = Scorer(self.chunks, index.vectors, index.lexical, index.sentence_rows, index.sentence_spans,
                             index.sentence_vectors, settings.candidates)
        self.row_of = {c.id: r for r, c in enumerate(self.chunks)}
        self.speller = speller_for(self.chunks) if settings.spelling else None

    def analyse(self, question: str) -> Question:
        return prepare(question, self.models.medicines, self.speller)

    def search(self, question: Question, only: list[int] | None = None, base: np.ndarray | None = None,
               k: int | None = None) -> Search:
        """Ranked hits for ``question`` (over the rows ``only``, when given; ``k`` candidates from each
        retriever and at most ``k`` hits); ``base`` reuses a vector already computed."""
        k = k or self.settings.candidates
        t0 = time.perf_counter()
        if base is None:
            base = self.embedder.embed_batch([question.text])[0]
        t1 = time.perf_counter()
        adapted = self.models.adapter.adapt(base)
        cands = self.scorer.candidates(adapted, base, question.tokens, question.ages,
                                       None if only is None else np.asarray(only, dtype=np.int64), k)
        scores = self.models.rank(cands.features)
        order = np.argsort(-scores, kind="stable")[:k]
        hits = [Hit(self.chunks[int(cands.rows[i])], float(scores[i]), float(cands.features[i, 1]),
                    float(cands.features[i, 3]), row=int(cands.rows[i])) for i in order]
        t2 = time.perf_counter()
        return Search(question, base, adapted, cands, scores, hits,
                      {"embed": (t1 - t0) * 1000, "rank": (t2 - t1) * 1000})

    def question_features(self, search: Search) -> np.ndarray:
        return self.scorer.question_features(search.candidates, search.scores, search.question.tokens)
