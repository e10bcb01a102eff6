"""Shared helpers for the ingestion, chunking and index tests (no model, no network)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.chunking import chunk_units
from assistant.config import Settings
from assistant.embed import MODEL_DIMENSION, MODEL_ID
from assistant.index import BuildSummary, build_index
from assistant.store import LoadedIndex, load_index
from assistant.structure import ParsedDocument, parse_document
from assistant.types import Chunk, Unit
from assistant.vectors import search as vector_search
from tests.fakes import FAKE_MODEL_ID, FakeEmbedder

DATA = Path(__file__).parent / "data"
QUIRKS = DATA / "quirks"
PROJECT_DOCUMENTS = Path(__file__).resolve().parent.parent / "documents"
BUNDLED = sorted(PROJECT_DOCUMENTS.glob("*.txt"))
CLINICAL = PROJECT_DOCUMENTS / "magnesium-glycinate-clinical-review.txt"
TETRACYCLINE_ROW = "Tetracycline Antibiotics\tDoxycycline, Minocycline, Tetracycline"


def read(path: Path) -> str:
    """A document's text exactly as ingestion sees it (UTF-8, newlines untouched)."""
    return path.read_bytes().decode("utf-8")


def parse(path: Path) -> tuple[str, ParsedDocument]:
    text = read(path)
    return text, parse_document(path.stem, text, markdown=path.suffix == ".md")


def chunks_of(path: Path, max_chars: int = 600, min_chars: int = 0) -> tuple[str, ParsedDocument, list[Chunk]]:
    text, parsed = parse(path)
    max_ref = max((r.number for r in parsed.references), default=0)
    return text, parsed, chunk_units(path.stem, text, parsed.units, max_chars, min_chars, max_ref)


def unit_containing(text: str, units: Sequence[Unit], needle: str) -> Unit:
    """The unit whose span holds the first occurrence of ``needle``."""
    pos = text.index(needle)
    found = [u for u in units if u.start <= pos < u.end]
    assert len(found) == 1, f"{needle!r} is in {len(found)} units"
    return found[0]


def chunk_containing(text: str, chunks: Sequence[Chunk], needle: str) -> Chunk:
    pos = text.index(needle)
    found = [c for c in chunks if c.start <= pos < c.end]
    assert len(found) == 1, f"{needle!r} is in {len(found)} chunks"
    return found[0]


class RealSizedFake(FakeEmbedder):
    """The fake embedder wearing the real model's name and size, for code paths that use the defaults."""

    model_id = MODEL_ID

    def __init__(self) -> None:
        super().__init__(dimension=MODEL_DIMENSION)


class FailingEmbedder(FakeEmbedder):
    """Embeds ``ok_batches`` batches, then raises, as a model running out of memory would."""

    def __init__(self, ok_batches: int = 1) -> None:
        super().__init__()
        self.ok_batches = ok_batches

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if self.calls >= self.ok_batches:
            raise RuntimeError("embedding backend crashed")
        return super().embed_batch(texts)


def copy_corpus(src: Path | Sequence[Path], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    files = sorted(src.iterdir()) if isinstance(src, Path) else list(src)
    for f in files:
        if f.is_file():
            shutil.copy(f, dest / f.name)
    return dest


def fake_build(docs: Path, index: Path, embedder: FakeEmbedder, settings: Settings | None = None,
               progress: Callable[[int, int], Callable[[int], None]] | None = None) -> BuildSummary:
    settings = settings or Settings(documents_dir=docs, index_dir=index)
    return build_index(docs, index, lambda: embedder, settings, progress=progress, model_id=FAKE_MODEL_ID,
                       dimension=embedder.dimension)


def fake_load(index: Path, dimension: int = 64) -> LoadedIndex:
    return load_index(index, FAKE_MODEL_ID, dimension)


def dense_search(index: LoadedIndex, embedder: FakeEmbedder, query: str, k: int = 3) -> list[Chunk]:
    """The ``k`` chunks nearest to ``query`` in the loaded FAISS index."""
    vector = embedder.embed_batch([query])[0]
    _, rows = vector_search(index.vectors, vector, k)
    return [index.chunks[index.searchable[int(r)]] for r in rows if r >= 0]


def lexical_best(index: LoadedIndex, query: str) -> Chunk:
    from assistant.lexical import tokenize

    scores = index.lexical.scores(tokenize(query))
    return index.chunks[index.searchable[int(np.argmax(scores))]]


def _signal(path: Path, phase: str) -> None:
    tmp = path.with_suffix(".partial")
    tmp.write_text(phase, encoding="utf-8")
    os.replace(tmp, path)


class _StallingEmbedder(FakeEmbedder):
    """Says through ``signal`` that embedding started, then stalls until the process is killed."""

    def __init__(self, signal: Path) -> None:
        super().__init__()
        self.signal = signal

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        _signal(self.signal, "embedding")
        time.sleep(600)
        return super().embed_batch(texts)


def _stalled_build(docs: Path, index: Path, signal: Path, phase: str) -> None:
    """Run by a test in a subprocess that it SIGKILLs once ``signal`` appears."""
    import assistant.index as index_module

    if phase == "writing":
        real_save = index_module.save_vector_index

        def stall_while_writing(vindex, path):  # type: ignore[no-untyped-def]
            real_save(vindex, path)
            _signal(signal, "writing")
            time.sleep(600)

        index_module.save_vector_index = stall_while_writing
        embedder = FakeEmbedder()
    else:
        embedder = _StallingEmbedder(signal)
    fake_build(docs, index, embedder, Settings(documents_dir=docs, index_dir=index, embed_batch_size=4))


if __name__ == "__main__":
    _stalled_build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
