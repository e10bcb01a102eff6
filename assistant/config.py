"""One Settings object: paths, chunk sizes and answer thresholds (env prefix ``ASSISTANT_``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Bumped whenever ingestion or chunking changes what a chunk is: an index built by another
# version is refused on load.
CHUNKER_VERSION = "6"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    documents_dir: Path = PROJECT_ROOT / "documents"
    index_dir: Path = PROJECT_ROOT / "index"

    # Chunking: a paragraph longer than this is split at sentence boundaries.
    chunk_max_chars: int = 600
    # Adjacent units shorter than this (same section, kind and block) are merged.
    chunk_min_chars: int = 0

    # The all-MiniLM-L6-v2 runtime. "onnx": onnxruntime + tokenizers on a one-time export of the installed
    # weights (cached in ``onnx_cache``; the same vectors as PyTorch up to float noise, ≈ 3× faster per query,
    # no torch import when serving). "torch": sentence-transformers on PyTorch. Both give the same model id,
    # so an index built by either is served by either. If ONNX is unavailable, PyTorch is used (one warning).
    embedder: Literal["onnx", "torch"] = "onnx"
    # Where the exported ONNX model is cached (env ASSISTANT_ONNX_CACHE); default
    # ``$XDG_CACHE_HOME/magnesium-assistant/onnx`` (``~/.cache/...``).
    onnx_cache: Path | None = None
    embed_batch_size: int = 32
    # Sentence vectors sharpen passage choice; they roughly triple embedding work on large corpora.
    sentence_vectors: bool = True
    # Above this many vectors the index switches from exact to approximate search.
    ann_threshold: int = 25_000

    # Retrieval and answering.
    candidates: int = 30
    default_top_k: int = 3
    # Passages are trimmed to the sentences that answer within this many characters (bank_cv: 420 → 520 gave
    # hit@1 +0.005, hit@3 +0.002; median passage 233 → 254 characters).
    max_passage_chars: int = 520

    # Misspellings corrected against the sources' own words before anything reads the question (assistant/spelling.py).
    spelling: bool = True
    # Answering: the best hits made into passages to choose from; cautions at most; how many of the best hits
    # a caution topic that searches the question looks through for a safety passage.
    passage_candidates: int = 12
    # A candidate's score is multiplied by this for each chosen passage from its document (other sources first).
    # A passage that disagrees with a chosen one is shown when it scores at least ``conflict_min_share`` of the
    # best. Both chosen on held-out bank questions (benchmarks/bank_cv.py: 0.93 / 0.8 → 0.6 / 0.1 raised "both
    # sides shown" 0.56 → 0.73 and hit@3 0.848 → 0.853; ranker scores are probabilities, far apart).
    same_doc_penalty: float = 0.6
    conflict_min_share: float = 0.1
    max_cautions: int = 5
    caution_search_hits: int = 10
    # An emergency this probable (and above the notice's threshold) is answered only from the toxicity passages.
    emergency_sure: float = 0.5
    # Without a learned answerability model (no bank, or no unanswerable question in it): refuse below this
    # similarity of the frozen model (not the adapted one).
    min_similarity: float = 0.25

    # Learning in the rebuild (assistant/learn/): from the question bank in ``documents/questions/``.
    learn: bool = True
    learn_seed: int = 0
    learn_folds: int = 5
    adapter_temperature: float = 0.05
    # L2 pull of the adapter towards identity (out of fold on the bank: 0.1 → hit@1 0.69, 0.01 → 0.74, 0.001 → 0.75).
    adapter_l2: float = 0.001
    adapter_steps: int = 150
    adapter_learning_rate: float = 0.003
    adapter_batch_size: int = 512
    # Inverse L2 strengths of the classifiers (scikit-learn's C, on standardised inputs).
    answerable_c: float = 0.1
    emergency_c: float = 1.0
    caution_c: float = 1.0
    # The emergency notice's threshold lets at most this share of the bank's emergencies fall below it (out of
    # fold). 0 is recall 1.0, which puts the threshold at the single hardest emergency (measured: a Polish one at
    # p = 0.0002) and raises false alarms from ≈ 1.5 % to 5–18 % of the other questions.
    emergency_max_miss: float = 0.01
    # Out-of-fold emergency probabilities are averaged over this many fold layouts before the threshold is read.
    emergency_oof_repeats: int = 3
    # The classifiers also read hashed character 3–5-grams of the question (other languages, misspellings),
    # scaled against the standardised dense features; 0 dims turns them off.
    ngram_dims: int = 65_536
    ngram_scale: float = 10.0
    # A caution topic's threshold maximises this F-score out of fold (2: recall counts four times precision).
    caution_f_beta: float = 2.0
    # Solver tolerances: the emergency and answerability thresholds sit in the tails, which need a tight fit
    # (1e-3 there: emergency AUC 0.9990 → 0.9976, twice the false alarms); nine caution topics do not.
    classifier_tol: float = 1e-4
    caution_tol: float = 1e-3
    # Cross-validation folds of the classifiers are fitted in parallel threads.
    learn_jobs: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 5))
    # The answerability threshold lets at most this share of answerable bank questions be refused (out of fold).
    max_false_abstention: float = 0.03

    # Follow-ups (assistant/followup.py): the question alone is scored against the question read after each of
    # the last ``followup_turns`` earlier questions. The context is taken when the frozen model's best similarity
    # rises by ``followup_similarity_margin`` from below ``followup_similarity_confident``, or the learned
    # answerability's log-odds rise by ``followup_margin`` from below the probability ``followup_confident``;
    # never when the answerability model would refuse the reading in context. Chosen on
    # benchmarks/bench_followup.py (32 dependent follow-ups, 31 independent second questions written from the
    # documents), checked on a held-out 12 + 12.
    followup_turns: int = Field(default=2, ge=1, le=5)
    followup_similarity_margin: float = 0.15
    followup_similarity_confident: float = 0.6
    followup_margin: float = 4.0
    followup_confident: float = 0.999

    # Feedback (👍 / 👎 and a note) is stored in this SQLite file, created on first write (env ASSISTANT_FEEDBACK_DB).
    feedback_db: Path = PROJECT_ROOT / "var" / "feedback.sqlite3"

    host: str = "127.0.0.1"
    port: int = 8000
    # At most this many questions are answered at once by the server; more wait their turn (never an error).
    # ``ask`` is CPU-bound: on 2 cores, 32 questions at once only thrash the CPU. One more than the cores:
    # while one question is in Python (holding the GIL) another's embedding can use the core. Over HTTP on
    # 2 cores, median of 3–4 rounds against the engine alone: 2 → 78–83 % at 8 connections, 3 → 81–90 %.
    ask_concurrency: int = Field(default_factory=lambda: (os.cpu_count() or 1) + 1, ge=1)
    # At most this many more questions wait for a thread; beyond it the server answers 503 with a Retry-After of
    # ``ask_retry_after`` seconds. A waiting question whose client hangs up leaves the queue at once (it never runs).
    # 64 waiting behind 3 threads is 1–3 s of work on 2 cores (a question takes 20–40 ms), and more than the 32
    # connections of the HTTP benchmark. 300 clients that hung up after 0.3 s: the next question took 2.7 s
    # before, 0.17 s with this (1,000: 5.9 s → 0.4 s).
    ask_queue_limit: int = Field(default=64, ge=0)
    ask_retry_after: int = Field(default=2, ge=1)
    # A connection must deliver a whole request (headers and body) within this many seconds of opening, or of its
    # first byte after the previous answer; otherwise it is closed (uvicorn has no such timeout of its own, so
    # connections that never finish their headers were held forever). Idle kept-alive connections close after
    # ``keep_alive_timeout`` seconds (uvicorn's ``timeout_keep_alive``).
    request_read_timeout: float = Field(default=10.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    # Seconds between checks of the index manifest by a running server (0 disables).
    reload_interval: float = 2.0
