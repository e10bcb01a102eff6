"""The fast paths of query time and index builds give exactly what the plain code they replace gave."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.embed import batching_lengths
from assistant.learn.features import SentenceGroups
from assistant.lexical import BM25Index, token_set, tokenize
from tests.fakes import FakeEmbedder
from tests.helpers_index import PROJECT_DOCUMENTS, copy_corpus, fake_build, fake_load


def test_bm25_scores_are_the_float32_row_sums_scipy_gives() -> None:
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(40)]
    docs = [list(rng.choice(vocab, size=int(rng.integers(1, 30)))) for _ in range(25)]
    index = BM25Index.build(docs)
    for _ in range(200):
        query = list(rng.choice([*vocab, "unseen"], size=int(rng.integers(0, 12))))  # repeats count again
        ids = [index.vocab[t] for t in query if t in index.vocab]
        expected = (np.asarray(index.weights[ids].sum(axis=0)).ravel().astype(np.float32) if ids
                    else np.zeros(index.n_docs, np.float32))
        assert index.scores(query).tobytes() == expected.tobytes()


def test_idf_is_memoised_without_changing_it() -> None:
    index = BM25Index.build([["a", "b"], ["a"], ["c"]])
    first = [index.idf(t) for t in ("a", "b", "c", "zzz")]
    assert [index.idf(t) for t in ("a", "b", "c", "zzz")] == first
    assert first[0] < first[1] and first[3] == 0.0


@pytest.mark.parametrize("rows", [[0, 0, 1, 3, 3, 3], [3, 0, 3, 1, 0, 3], [2], []])
def test_best_sentence_per_chunk_matches_maximum_at(rows: list[int]) -> None:
    sentence_rows = np.asarray(rows, dtype=np.int64)
    sims = np.random.default_rng(1).uniform(-1, 1, len(rows)).astype(np.float32)
    expected = np.full(5, -1.0, dtype=np.float32)
    np.maximum.at(expected, sentence_rows, sims)
    groups = SentenceGroups(sentence_rows)
    assert groups.best(sims, 5).tobytes() == expected.tobytes()


def test_cached_token_sets_equal_fresh_sets_in_the_same_order() -> None:
    text = "Magnesium glycinate helps sleep; magnesium oxide helps constipation. Sleep!"
    assert list(token_set(text)) == list(set(tokenize(text)))
    assert token_set(text, stem=False) == set(tokenize(text, stem=False))


class CountingFake(FakeEmbedder):
    """Counts tokens as words; records the batches it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return super().embed_batch(texts)


def test_batching_lengths_use_token_counts_when_the_embedder_has_them() -> None:
    texts = ["a bb ccc", "dddddddddddddddddddd", "e f"]
    assert batching_lengths(CountingFake(), texts) == [3, 1, 2]
    assert batching_lengths(FakeEmbedder(), texts) == [8, 20, 3]  # characters otherwise


def test_build_batches_by_token_count_and_keeps_the_same_vectors(tmp_path: Path) -> None:
    docs = copy_corpus(PROJECT_DOCUMENTS, tmp_path / "docs")
    counting = CountingFake()
    fake_build(docs, tmp_path / "by-tokens", counting)
    sent = [t for batch in counting.batches for t in batch]
    assert [len(t.split()) for t in sent] == sorted(len(t.split()) for t in sent)
    fake_build(docs, tmp_path / "by-chars", FakeEmbedder())
    a, b = fake_load(tmp_path / "by-tokens"), fake_load(tmp_path / "by-chars")
    assert a.chunks == b.chunks
    assert np.array_equal(a.vectors.reconstruct_n(0, a.vectors.ntotal), b.vectors.reconstruct_n(0, b.vectors.ntotal))
    assert np.array_equal(a.sentence_vectors, b.sentence_vectors)
