"""The query adapter: a d×d matrix applied to the frozen query vector, trained so that the chunks (and
sentences) holding a question's gold quotes come first. Identity when there is nothing to learn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class AdapterConfig:
    temperature: float = 0.05
    l2: float = 0.001  # pull towards identity
    steps: int = 150
    learning_rate: float = 0.003
    batch_size: int = 512
    seed: int = 0


class QueryAdapter:
    """``adapt(q) = normalise(W q)``; ``W`` is None for the identity."""

    def __init__(self, matrix: np.ndarray | None = None) -> None:
        self.matrix = None if matrix is None else np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def identity(self) -> bool:
        return self.matrix is None

    def adapt(self, vectors: np.ndarray) -> np.ndarray:
        if self.matrix is None:
            return vectors
        out = vectors @ self.matrix.T
        norms = np.linalg.norm(out, axis=-1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32)

    def save(self, path: Path) -> None:
        np.save(path, self.matrix if self.matrix is not None else np.zeros((0, 0), np.float32))

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        matrix = np.load(path)
        return cls(matrix if matrix.size else None)


def _softmax_loss(torch, logits, positives):  # type: ignore[no-untyped-def]
    """Mean over questions of −log(probability mass on the question's positives)."""
    masked = logits.masked_fill(~positives, float("-inf"))
    return (torch.logsumexp(logits, dim=1) - torch.logsumexp(masked, dim=1)).mean()


def train_adapter(questions: np.ndarray, chunk_positives: Sequence[Sequence[int]], chunk_vectors: np.ndarray,
                  sentence_positives: Sequence[Sequence[int]] | None = None,
                  sentence_vectors: np.ndarray | None = None, config: AdapterConfig | None = None) -> QueryAdapter:
    """A softmax over all chunks (and all sentences) with the gold ones as positives (several per question)."""
    import torch

    config = config or AdapterConfig()
    keep = [i for i, p in enumerate(chunk_positives) if p]
    if not keep:
        return QueryAdapter()
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    d = questions.shape[1]
    q = torch.from_numpy(np.ascontiguousarray(questions[keep], dtype=np.float32))
    c = torch.from_numpy(np.ascontiguousarray(chunk_vectors, dtype=np.float32))
    pos_c = torch.zeros((len(keep), c.shape[0]), dtype=torch.bool)
    for j, i in enumerate(keep):
        pos_c[j, list(chunk_positives[i])] = True
    use_sentences = sentence_vectors is not None and sentence_positives is not None and len(sentence_vectors)
    if use_sentences:
        s = torch.from_numpy(np.ascontiguousarray(sentence_vectors, dtype=np.float32))
        pos_s = torch.zeros((len(keep), s.shape[0]), dtype=torch.bool)
        for j, i in enumerate(keep):
            pos_s[j, list(sentence_positives[i])] = True  # type: ignore[index]
        has_s = pos_s.any(dim=1)
    eye = torch.eye(d)
    w = torch.nn.Parameter(eye.clone())
    opt = torch.optim.Adam([w], lr=config.learning_rate)
    n = len(keep)
    for _ in range(config.steps):
        batch = torch.randperm(n, generator=gen)[: config.batch_size] if n > config.batch_size else torch.arange(n)
        adapted = torch.nn.functional.normalize(q[batch] @ w.T, dim=1)
        loss = _softmax_loss(torch, adapted @ c.T / config.temperature, pos_c[batch])
        if use_sentences:
            rows = batch[has_s[batch]]
            if len(rows):
                a_s = torch.nn.functional.normalize(q[rows] @ w.T, dim=1)
                loss = loss + _softmax_loss(torch, a_s @ s.T / config.temperature, pos_s[rows])
        loss = loss + config.l2 * ((w - eye) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return QueryAdapter(w.detach().numpy().copy())
