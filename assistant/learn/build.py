"""The learning step of ``assistant index``: read the bank beside the documents, embed its questions
(reusing the previous build's vectors for unchanged questions), train, and hand back what to save."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from assistant.bank import load_bank
from assistant.config import Settings
from assistant.embed import Embedder, batching_lengths, embed_all
from assistant.ingest import Problem
from assistant.learn.features import Scorer
from assistant.learn.models import LearnedModels
from assistant.learn.train import Trainer
from assistant.lexical import BM25Index
from assistant.question import prepare
from assistant.spelling import speller_for
from assistant.types import Chunk, Document

QUESTION_VECTORS = "bank_vectors.npy"
QUESTION_HASHES = "bank_hashes.npy"
Progress = Callable[[int, int], Callable[[int], None]]


@dataclass
class Learned:
    models: LearnedModels
    metrics: dict = field(default_factory=dict)
    fingerprint: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    question_vectors: tuple[np.ndarray, np.ndarray] | None = None  # (hashes, vectors) to keep for the next build


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def previous_question_vectors(build: Path | None) -> dict[str, np.ndarray]:
    if build is None:
        return {}
    try:
        hashes = np.load(build / QUESTION_HASHES)
        vectors = np.load(build / QUESTION_VECTORS)
    except (OSError, ValueError):
        return {}
    return dict(zip((str(h) for h in hashes), vectors, strict=False))


def learn(documents_dir: Path, documents: Sequence[Document], chunks: list[Chunk], vectors: faiss.Index,
          lexical: BM25Index, sentences: tuple[np.ndarray, np.ndarray, np.ndarray],
          embedder: Callable[[], Embedder], settings: Settings, previous: dict[str, np.ndarray],
          progress: Progress | None = None, step: Callable[[str], None] | None = None) -> Learned:
    bank = load_bank(documents_dir, documents)
    if not bank.questions or not settings.learn:
        models = LearnedModels(medicines=dict(bank.medicines), topics=list(bank.topics.values()))
        return Learned(models, {"questions": {"train": 0, "blind": 0}}, bank.fingerprint, bank.problems)
    speller = speller_for(chunks) if settings.spelling else None
    texts = [prepare(q.question, bank.medicines, speller).text for q in bank.questions]
    hashes = [_hash(t) for t in texts]
    todo = list(dict.fromkeys(h for h in hashes if h not in previous))
    fresh: dict[str, np.ndarray] = {}
    if todo:
        by_hash = dict(zip(hashes, texts, strict=True))
        model = embedder()
        jobs = [by_hash[h] for h in todo]
        order = sorted(range(len(jobs)), key=batching_lengths(model, jobs).__getitem__)
        callback = progress(len(todo), 0) if progress else None
        done = embed_all(model, [jobs[k] for k in order], settings.embed_batch_size, callback)
        fresh = {todo[k]: done[j] for j, k in enumerate(order)}
    qvecs = np.stack([fresh[h] if h in fresh else previous[h] for h in hashes]).astype(np.float32)
    rows, spans, svecs = sentences
    scorer = Scorer(chunks, vectors, lexical, rows, spans, svecs, settings.candidates)
    result = Trainer(scorer, bank, settings, step, speller).run(bank.questions, qvecs)
    result.metrics["problems"] = len(bank.problems)
    return Learned(result.models, result.metrics, bank.fingerprint, bank.problems,
                   (np.array(hashes), qvecs))
