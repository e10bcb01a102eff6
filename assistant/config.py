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
    max_passage_chars: int = 420

    host: str = "127.0.0.1"
    port: int = 8000
    # At most this many questions are answered at once by the server; more wait their turn (never an error).
    # ``ask`` is CPU-bound: on 2 cores, 32 questions at once only thrash the CPU. One more than the cores:
    # while one question is in Python (holding the GIL) another's embedding can use the core. Over HTTP on
    # 2 cores, median of 3–4 rounds against the engine alone: 2 → 78–83 % at 8 connections, 3 → 81–90 %.
    ask_concurrency: int = Field(default_factory=lambda: (os.cpu_count() or 1) + 1, ge=1)
    # Seconds between checks of the index manifest by a running server (0 disables).
    reload_interval: float = 2.0
