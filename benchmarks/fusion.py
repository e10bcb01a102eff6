"""Score fusion and chunk → document aggregation over full score matrices (queries × chunks).

Each fusion is written as ``α·a + (1−α)·b`` over a candidate set (the top ``cand`` chunks of each
retriever, as ``Retriever.search`` takes ``k`` candidates from each), so α can be tuned cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

RRF_K = 60
FUSIONS = {
    "rrf": "RRF k=60",
    "minmax": "min-max normalised α·dense + (1−α)·BM25",
    "maxnorm": "α·cosine + (1−α)·BM25/max BM25",
}


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Column ids of each row's ``k`` best scores, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def fusion_parts(dense: np.ndarray, lex: np.ndarray, method: str, cand: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, mask): fused = α·a + (1−α)·b on the candidates (mask), −inf elsewhere."""
    rows = np.arange(dense.shape[0])[:, None]
    d_top, l_top = _top(dense, cand), _top(lex, cand)
    l_ok = np.take_along_axis(lex, l_top, axis=1) > 0  # BM25 candidates need a matching term
    mask = np.zeros(dense.shape, dtype=bool)
    mask[rows, d_top] = True
    mask[np.broadcast_to(rows, l_top.shape)[l_ok], l_top[l_ok]] = True
    if method == "rrf":
        weights = 1.0 / (RRF_K + np.arange(d_top.shape[1], dtype=np.float32))
        a = np.zeros(dense.shape, np.float32)
        b = np.zeros(dense.shape, np.float32)
        a[rows, d_top] = weights
        b[rows, l_top] = np.where(l_ok, weights[None, :], 0.0)
        return a, b, mask  # α = 0.5 ranks exactly as RRF
    if method == "minmax":
        return _minmax(dense, mask), _minmax(lex, mask), mask
    if method == "maxnorm":
        lmax = lex.max(axis=1, keepdims=True)
        return dense.astype(np.float32), np.where(lmax > 0, lex / np.maximum(lmax, 1e-9), 0.0), mask
    raise ValueError(f"unknown fusion {method!r}")


def _minmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    lo = np.where(mask, scores, np.inf).min(axis=1, keepdims=True)
    hi = np.where(mask, scores, -np.inf).max(axis=1, keepdims=True)
    return ((scores - lo) / np.maximum(hi - lo, 1e-9)).astype(np.float32)


def combine(parts: tuple[np.ndarray, np.ndarray, np.ndarray], alpha: float) -> np.ndarray:
    a, b, mask = parts
    return np.where(mask, alpha * a + (1 - alpha) * b, -np.inf).astype(np.float32)


def fuse(dense: np.ndarray, lex: np.ndarray, method: str, alpha: float, cand: int) -> np.ndarray:
    return combine(fusion_parts(dense, lex, method, cand), alpha)


def doc_max(chunk_scores: np.ndarray, row_doc: np.ndarray, how: str = "max") -> tuple[np.ndarray, np.ndarray]:
    """Document scores = max (or sum) over each document's chunks: (queries × documents, document ids)."""
    order = np.argsort(row_doc, kind="stable")
    docs = row_doc[order]
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    reduce = np.maximum if how == "max" else np.add
    return reduce.reduceat(chunk_scores[..., order], starts, axis=-1), docs[starts]


def rank_docs(scores: np.ndarray, doc_ids: np.ndarray, k: int = 100) -> list[str]:
    """The ``k`` best document ids for one query (documents scored −inf are left out)."""
    k = min(k, scores.size)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [str(doc_ids[i]) for i in top if np.isfinite(scores[i])]


def tune_alpha(objective: Callable[[float], float], alphas: Sequence[float]) -> float:
    """The α with the best objective (the first one on ties)."""
    best = max(alphas, key=lambda a: (objective(a), -a))
    return float(best)
