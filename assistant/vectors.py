"""FAISS vector index: exact inner product for small corpora, HNSW above a size threshold.

Measured on 2 cores (benchmarks/RESULTS.md, "Scale"): exact search costs ≈ 0.07 ms per 1,000
vectors per query (≈ 1.3 ms at 25k, 3 ms at 50k, 55–60 ms at 1M); HNSW answers in under a
millisecond with recall@10 0.96 at 1M realistic vectors (0.99 at 100k), at the price of a build of
≈ 0.17 ms per vector (≈ 3 minutes for 1M) on every rebuild. HNSW keeps the full vectors (``IndexHNSWFlat``),
so ``reconstruct`` works, as the index rebuild and the retriever need.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

DEFAULT_ANN_THRESHOLD = 25_000  # recommended value of Settings.ann_threshold (exact search ≤ ≈ 1.3 ms below it)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 128
# One query at a time is fastest on one thread (FAISS's own OpenMP pool, separate from torch's):
# two threads made a 100k exact search 2× slower here, and idle spinning threads steal the embedder's cores.
QUERY_THREADS = 1


def build_threads() -> int:
    """Threads for building: all cores unless ``ASSISTANT_FAISS_THREADS`` says otherwise."""
    return max(1, int(os.environ.get("ASSISTANT_FAISS_THREADS") or os.cpu_count() or 1))


def describe() -> str:
    return (f"exact below {DEFAULT_ANN_THRESHOLD:,} vectors by default, else HNSW M={HNSW_M}, "
            f"efConstruction={HNSW_EF_CONSTRUCTION}, efSearch={HNSW_EF_SEARCH}; {QUERY_THREADS} thread per query")


def build_vector_index(vectors: np.ndarray, ann_threshold: int) -> tuple[faiss.Index, str]:
    """An index over unit vectors (inner product = cosine) and a name for the manifest."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    index: faiss.Index
    if len(vectors) >= ann_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = f"hnsw{HNSW_M}"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat-ip"
    if len(vectors):
        faiss.omp_set_num_threads(build_threads())  # this thread only (an OpenMP setting is per thread)
        index.add(vectors)
    return index, kind


def set_ef_search(index: faiss.Index, ef_search: int) -> None:
    """How many graph candidates an HNSW query explores (more: better recall, slower); no-op when exact."""
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = ef_search


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    set_ef_search(index, HNSW_EF_SEARCH)
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and row ids of the ``k`` nearest rows for one query vector (ids -1 when fewer)."""
    k = max(1, min(k, index.ntotal))
    faiss.omp_set_num_threads(QUERY_THREADS)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    return scores[0], ids[0]
