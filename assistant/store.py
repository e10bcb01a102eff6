"""Load a built index: the served build's manifest and files, checked before anything answers from them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from assistant.config import CHUNKER_VERSION
from assistant.embed import MODEL_ID
from assistant.learn.models import LearnedModels
from assistant.lexical import BM25Index
from assistant.types import Chunk, Document, Reference
from assistant.vectors import load_vector_index
from assistant.verify import BuildRefused, check_consistency, check_files

MANIFEST = "manifest.json"


class IndexUnavailable(Exception):
    """The index cannot be used; the message says what to do."""


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    searchable: list[int]  # vector / lexical row → position in ``chunks``
    vectors: faiss.Index
    lexical: BM25Index
    sentence_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sentence → vector row
    sentence_spans: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    learned: LearnedModels = field(default_factory=LearnedModels)
    # What the answering modules work out from this index alone (never from a question), on first use.
    derived: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def build_id(self) -> str:
        return str(self.manifest.get("build_id", ""))


def current_path(index_dir: Path) -> Path:
    return index_dir / "current"


def read_manifest(index_dir: Path) -> dict | None:
    """The served build's manifest; None when there is none or it is not a JSON object."""
    path = current_path(index_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def built_from(manifest: dict | None) -> Path | None:
    """The documents folder a build was made from (builds before this was recorded: None)."""
    folder = (manifest or {}).get("documents_dir")
    return Path(folder) if isinstance(folder, str) and folder else None


def rebuild_hint(index_dir: Path, documents_dir: Path | None = None) -> str:
    """The command that rebuilds ``index_dir`` (from the folder it was built from, when known)."""
    folder = documents_dir or built_from(read_manifest(index_dir))
    source = f"--documents {folder} " if folder else ""
    return f"assistant index {source}--index {index_dir}"


def _reference(d: dict) -> Reference:
    return Reference(**d)


def _chunk(d: dict) -> Chunk:
    d["section_path"] = tuple(d["section_path"])
    d["sentences"] = tuple(tuple(s) for s in d["sentences"])
    d["markers"] = tuple(d["markers"])
    return Chunk(**d)


def load_index(index_dir: Path, model_id: str = MODEL_ID, dimension: int | None = None,
               check_chunker: bool = True) -> LoadedIndex:
    """Load the served build; refuse one built for another model or chunker, saying how to fix it."""
    link = current_path(index_dir)
    if not link.exists():
        raise IndexUnavailable(f"No index in {index_dir}. Build it with: assistant index --index {index_dir}")
    path = link.resolve()  # resolve once, so a swap during loading cannot mix two builds
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("model", {}), dict):
            raise ValueError("not a manifest: expected a JSON object with the build's description")
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"{path / MANIFEST}: unreadable ({exc}). Rebuild with: "
                               f"{rebuild_hint(index_dir)}") from exc
    model = manifest.get("model", {})
    if model.get("id") != model_id or (dimension is not None and model.get("dimension") != dimension):
        raise IndexUnavailable(
            f"The index in {index_dir} was built with {model.get('id')} ({model.get('dimension')} dims) but "
            f"this assistant uses {model_id}. Rebuild it with: {rebuild_hint(index_dir)}")
    if check_chunker and manifest.get("chunker_version") != CHUNKER_VERSION:
        raise IndexUnavailable(
            f"The index in {index_dir} was built by chunker version {manifest.get('chunker_version')}, this "
            f"code is version {CHUNKER_VERSION}. Rebuild it with: {rebuild_hint(index_dir)}")
    try:
        raw_docs = json.loads((path / "documents.json").read_text(encoding="utf-8"))
        documents = {}
        for d in raw_docs:
            d["references"] = tuple(_reference(r) for r in d.get("references", []))
            documents[d["id"]] = Document(**d)
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [_chunk(json.loads(line)) for line in fh if line.strip()]
        searchable = np.load(path / "vector_ids.npy").tolist()
        vectors = load_vector_index(path / "vectors.faiss")
        lexical = BM25Index.load(path)
        s_rows = np.load(path / "sentence_rows.npy")
        s_spans = np.load(path / "sentence_spans.npy")
        s_vectors = np.load(path / "sentence_vectors.npy")
        learned = LearnedModels.load(path, manifest.get("learned"))
        check_files(path, manifest)
        index = LoadedIndex(path, manifest, documents, chunks, searchable, vectors, lexical, s_rows, s_spans,
                            s_vectors, learned)
        check_consistency(index)
    except BuildRefused as exc:
        raise IndexUnavailable(f"The index build {manifest.get('build_id')} in {index_dir} is refused: {exc}. "
                               f"Rebuild it with: {rebuild_hint(index_dir)}") from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RuntimeError) as exc:
        raise IndexUnavailable(f"The index in {path} is damaged ({type(exc).__name__}: {exc}). Rebuild it with: "
                               f"{rebuild_hint(index_dir)}") from exc
    return index
