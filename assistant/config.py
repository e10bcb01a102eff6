"""One Settings object: paths, chunk sizes and answer thresholds (env prefix ``ASSISTANT_``)."""

from __future__ import annotations

from pathlib import Path

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
    # Seconds between checks of the index manifest by a running server (0 disables).
    reload_interval: float = 2.0
