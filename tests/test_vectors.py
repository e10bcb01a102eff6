"""assistant/vectors.py: exact vs HNSW by size, recall of HNSW, search edge cases, save/load round trip."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from assistant.vectors import (
    HNSW_EF_SEARCH,
    HNSW_M,
    build_vector_index,
    load_vector_index,
    save_vector_index,
    search,
    set_ef_search,
)

DIM = 32


def unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return list(np.argsort(-(vectors @ query), kind="stable")[:k])


@pytest.mark.parametrize(("n", "threshold", "kind"), [(99, 100, "flat-ip"), (100, 100, f"hnsw{HNSW_M}"),
                                                      (500, 100, f"hnsw{HNSW_M}"), (500, 25_000, "flat-ip")])
def test_exact_below_the_threshold_hnsw_from_it(n: int, threshold: int, kind: str) -> None:
    index, name = build_vector_index(unit_vectors(n), threshold)
    assert name == kind and index.ntotal == n
    if kind == "flat-ip":
        assert isinstance(index, faiss.IndexFlatIP)
    else:
        assert isinstance(index, faiss.IndexHNSWFlat) and index.hnsw.efSearch == HNSW_EF_SEARCH
        assert index.metric_type == faiss.METRIC_INNER_PRODUCT


def test_exact_search_is_brute_force() -> None:
    vectors = unit_vectors(300)
    index, _ = build_vector_index(vectors, 10_000)
    for query in unit_vectors(20, seed=1):
        scores, ids = search(index, query, 10)
        assert list(ids) == exact_top(vectors, query, 10)
        assert np.allclose(scores, vectors[ids] @ query, atol=1e-5)
        assert list(scores) == sorted(scores, reverse=True)


def test_hnsw_recall_on_random_data() -> None:
    vectors = unit_vectors(2_000)
    index, kind = build_vector_index(vectors, 1_000)
    assert kind.startswith("hnsw")
    queries = unit_vectors(50, seed=2)
    recall = np.mean([len(set(search(index, q, 10)[1]) & set(exact_top(vectors, q, 10))) / 10 for q in queries])
    assert recall >= 0.9, recall
    # A stored vector finds itself first.
    assert all(search(index, vectors[i], 1)[1][0] == i for i in range(0, 2_000, 97))


def test_k_is_clamped_and_an_empty_index_finds_nothing() -> None:
    index, _ = build_vector_index(unit_vectors(5), 100)
    scores, ids = search(index, unit_vectors(1, seed=3)[0], 50)
    assert sorted(ids) == [0, 1, 2, 3, 4] and len(scores) == 5
    empty, kind = build_vector_index(np.zeros((0, DIM), dtype=np.float32), 100)
    assert kind == "flat-ip" and empty.ntotal == 0
    assert list(search(empty, unit_vectors(1)[0], 10)[1]) == [-1]


@pytest.mark.parametrize("threshold", [10_000, 100])
def test_save_and_load_round_trip(tmp_path: Path, threshold: int) -> None:
    vectors = unit_vectors(400)
    index, kind = build_vector_index(vectors, threshold)
    if kind.startswith("hnsw"):
        set_ef_search(index, 16)  # not saved as the served value: loading restores the default
    path = tmp_path / "vectors.faiss"
    save_vector_index(index, path)
    loaded = load_vector_index(path)
    assert type(loaded) is type(index) and loaded.ntotal == 400 and loaded.d == DIM
    assert np.allclose(loaded.reconstruct_n(0, 400), vectors), "the full vectors are kept (rebuilds reuse them)"
    if kind.startswith("hnsw"):
        assert loaded.hnsw.efSearch == HNSW_EF_SEARCH
        set_ef_search(index, HNSW_EF_SEARCH)
    for query in unit_vectors(10, seed=4):
        a, b = search(index, query, 10), search(loaded, query, 10)
        assert list(a[1]) == list(b[1]) and np.allclose(a[0], b[0])


def test_set_ef_search_is_a_no_op_on_exact_indexes() -> None:
    index, _ = build_vector_index(unit_vectors(10), 100)
    set_ef_search(index, 8)
    assert not hasattr(index, "hnsw")
