"""Hand-checkable stand-ins for unit tests: a hashing bag-of-words embedder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

FAKE_MODEL_ID = "test/hashing-bag-of-words"


class FakeEmbedder:
    """Each word adds 1 to a hashed dimension; vectors are unit-normalised. Same words → same vector."""

    model_id = FAKE_MODEL_ID

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.calls = 0
        self.texts_embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dimension] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out
