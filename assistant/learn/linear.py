"""Linear classifiers learned in the rebuild and applied at answer time with numpy alone: standardised
dense inputs plus hashed character n-grams of the question (they carry words the English embedding model
reads poorly: other languages, misspellings), one logistic output per label, a threshold per label chosen
on out-of-fold predictions."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from assistant.lexical import fold

NGRAMS = (3, 4, 5)


def hashed_ngrams(texts: Sequence[str], dims: int) -> sparse.csr_matrix:
    """Per text, the L2-normalised counts of its words' character 3–5-grams, hashed into ``dims`` columns."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, text in enumerate(texts):
        counts: dict[int, int] = {}
        for word in fold(text).split():
            w = f" {word} "
            for n in NGRAMS:
                for j in range(len(w) - n + 1):
                    h = zlib.crc32(w[j : j + n].encode("utf-8")) % dims
                    counts[h] = counts.get(h, 0) + 1
        norm = float(np.sqrt(sum(v * v for v in counts.values()))) or 1.0
        rows.extend([i] * len(counts))
        cols.extend(counts)
        vals.extend(v / norm for v in counts.values())
    return sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(texts), dims))


@dataclass(frozen=True)
class Inputs:
    """What a classifier reads: dense features and, optionally, the questions' hashed n-grams."""

    dense: np.ndarray
    ngrams: sparse.csr_matrix | None = None

    @classmethod
    def of(cls, dense: np.ndarray, texts: Sequence[str] | None, dims: int) -> Inputs:
        return cls(dense, hashed_ngrams(texts, dims) if texts is not None and dims > 0 else None)

    def take(self, rows: np.ndarray) -> Inputs:
        return Inputs(self.dense[rows], None if self.ngrams is None else self.ngrams[rows])


@dataclass
class LinearModel:
    """``p = sigmoid(((x - mean) / scale) · w + scale_n · ngrams(text) · w_n + b)`` per label."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (dense features, labels)
    bias: np.ndarray  # (labels,)
    mean: np.ndarray
    scale: np.ndarray
    thresholds: np.ndarray  # (labels,)
    ngram_weights: np.ndarray | None = None  # (hashed n-grams, labels)
    ngram_scale: float = 0.0

    def probabilities(self, x: np.ndarray, texts: Sequence[str] | None = None,
                      ngrams: sparse.csr_matrix | None = None) -> np.ndarray:
        """Per row of ``x`` (and its question text, or its already hashed n-grams), each label's probability."""
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.weights + self.bias
        if self.ngram_weights is not None and (texts is not None or ngrams is not None):
            h = ngrams if ngrams is not None else hashed_ngrams(texts or [], self.ngram_weights.shape[0])
            z = z + self.ngram_scale * (h @ self.ngram_weights)
        return (1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))).astype(np.float32)

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "labels": np.array(self.labels), "weights": self.weights, "bias": self.bias, "mean": self.mean,
            "scale": self.scale, "thresholds": self.thresholds}
        if self.ngram_weights is not None:
            arrays |= {"ngram_weights": self.ngram_weights, "ngram_scale": np.array(self.ngram_scale, np.float32)}
        np.savez(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path) as z:
            ngrams = z["ngram_weights"] if "ngram_weights" in z.files else None
            return cls(tuple(str(x) for x in z["labels"]), z["weights"], z["bias"], z["mean"], z["scale"],
                       z["thresholds"], ngrams, float(z["ngram_scale"]) if ngrams is not None else 0.0)


@dataclass(frozen=True)
class Fit:
    c: float = 1.0
    balanced: bool = True
    ngram_scale: float = 10.0
    tol: float = 1e-4
    seed: int = 0
    jobs: int = 2


def fit_logistic(inputs: Inputs, y: np.ndarray, fit: Fit, label: str = "yes", threshold: float = 0.5
                 ) -> LinearModel:
    """An L2 logistic regression on standardised dense features (and scaled hashed n-grams)."""
    from sklearn.linear_model import LogisticRegression

    x = inputs.dense
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    std = (x - mean) / scale
    use_ngrams = inputs.ngrams is not None
    design = std if inputs.ngrams is None else sparse.hstack([sparse.csr_matrix(std),
                                                               fit.ngram_scale * inputs.ngrams]).tocsr()
    model = LogisticRegression(C=fit.c, class_weight="balanced" if fit.balanced else None, max_iter=1000,
                               tol=fit.tol, random_state=fit.seed)
    model.fit(design, y)
    coef = model.coef_[0].astype(np.float32)
    d = x.shape[1]
    return LinearModel((label,), coef[:d, None], np.array([model.intercept_[0]], np.float32),
                       mean.astype(np.float32), scale.astype(np.float32), np.array([threshold], np.float32),
                       coef[d:, None] if use_ngrams else None, fit.ngram_scale if use_ngrams else 0.0)


def stack(models: Sequence[LinearModel], thresholds: Sequence[float]) -> LinearModel:
    """One multi-label model from single-label models fitted on the same inputs."""
    first = models[0]
    ngrams = None if first.ngram_weights is None else np.hstack([m.ngram_weights for m in models])  # type: ignore[misc]
    return LinearModel(tuple(m.labels[0] for m in models), np.hstack([m.weights for m in models]),
                       np.concatenate([m.bias for m in models]), first.mean, first.scale,
                       np.asarray(thresholds, np.float32), ngrams, first.ngram_scale)


def folds(n: int, k: int, seed: int = 0) -> list[np.ndarray]:
    """``k`` disjoint index sets covering ``range(n)``, shuffled deterministically."""
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def out_of_fold(inputs: Inputs, y: np.ndarray, k: int, fit: Fit) -> np.ndarray:
    """Each sample's probability from a model that never saw it (k-fold)."""
    from joblib import Parallel, delayed

    def one(held: np.ndarray) -> np.ndarray:
        train = np.setdiff1d(np.arange(len(y)), held)
        if len(set(y[train].tolist())) < 2:
            return np.full(len(held), float(y[train].mean()) if len(train) else 0.0, np.float32)
        sub = inputs.take(held)
        return fit_logistic(inputs.take(train), y[train], fit).probabilities(sub.dense, ngrams=sub.ngrams)[:, 0]

    parts = folds(len(y), k, fit.seed)
    p = np.zeros(len(y), dtype=np.float32)
    # The folds are independent: one worker thread per core (scikit-learn's solver releases the GIL).
    for held, probs in zip(parts, Parallel(n_jobs=fit.jobs, prefer="threads")(delayed(one)(h) for h in parts),
                           strict=True):
        p[held] = probs
    return p


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Probability that a random positive outranks a random negative (ties count half)."""
    pos, neg = p[y == 1], p[y == 0]
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))
