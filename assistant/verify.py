"""Check a loaded build before it is served: its files are the ones written together, counts agree, ids resolve.

A build whose files disagree (vectors from another build, an emptied ``documents.json``, sentence rows out of
range) would load and then fail every question; ``check_build`` finds that at load time instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from assistant.store import LoadedIndex

# Files a build's manifest does not hash: the manifest itself (written last) and the build lock.
_UNHASHED = {"manifest.json"}


class BuildRefused(Exception):
    """The build's files are inconsistent; the message says what disagrees."""


def file_hashes(folder: Path) -> dict[str, str]:
    """name → sha256 of every file of a build folder (written into the manifest, checked on load)."""
    hashes = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name not in _UNHASHED:
            hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def check_files(folder: Path, manifest: dict) -> None:
    """The files are the ones the manifest's build wrote (builds from before hashing are not checked)."""
    expected = manifest.get("files")
    if expected is None:
        return
    if not isinstance(expected, dict):
        raise BuildRefused("the manifest's file list is damaged")
    actual = file_hashes(folder)
    missing = sorted(set(expected) - set(actual))
    if missing:
        raise BuildRefused(f"files missing: {', '.join(missing)}")
    changed = sorted(name for name, digest in expected.items() if actual[name] != digest)
    if changed:
        raise BuildRefused(f"files changed since the build wrote them: {', '.join(changed)}")


def check_consistency(index: LoadedIndex) -> None:
    """Counts agree with the manifest and every id and span resolves."""
    m, docs, chunks = index.manifest, index.documents, index.chunks
    if not docs:
        raise BuildRefused("the build has no documents")
    listed = {d.get("id") for d in m.get("documents", []) if isinstance(d, dict)}
    if listed != set(docs):
        raise BuildRefused("documents.json does not hold the documents the manifest lists")
    if not chunks:
        raise BuildRefused("the build has no chunks")
    for c in chunks:
        doc = docs.get(c.doc_id)
        if doc is None:
            raise BuildRefused(f"chunk {c.id} names a document that is not in the build ({c.doc_id})")
        if doc.text[c.start:c.end] != c.text or not 0 <= c.start < c.end:
            raise BuildRefused(f"chunk {c.id} is not the slice of its document's text it names")
    searchable = np.asarray(index.searchable, dtype=np.int64)
    if searchable.size and (searchable.min() < 0 or searchable.max() >= len(chunks)):
        raise BuildRefused("vector rows point at chunks that do not exist")
    if index.vectors.ntotal != len(searchable):
        raise BuildRefused(f"{index.vectors.ntotal} vectors for {len(searchable)} searchable chunks")
    dimension = m.get("model", {}).get("dimension")
    if dimension is not None and index.vectors.d != dimension:
        raise BuildRefused(f"vectors have {index.vectors.d} dimensions, the manifest says {dimension}")
    if index.lexical.n_docs != len(searchable) or index.lexical.weights.shape[1] != len(searchable):
        raise BuildRefused(f"the lexical index has {index.lexical.n_docs} rows for {len(searchable)} chunks")
    rows, spans, vectors = index.sentence_rows, index.sentence_spans, index.sentence_vectors
    if not len(rows) == len(spans) == (len(vectors) if vectors.size else len(rows)):
        raise BuildRefused("sentence rows, spans and vectors disagree in number")
    if rows.size and (rows.min() < 0 or rows.max() >= len(searchable)):
        raise BuildRefused("sentence rows point at chunks that do not exist")
    for row, (start, end) in zip(rows.tolist(), spans.tolist(), strict=True):
        chunk = chunks[int(searchable[row])]
        if not chunk.start <= start < end <= chunk.end:
            raise BuildRefused(f"a sentence span ({start}–{end}) lies outside its chunk {chunk.id}")
    counts = m.get("counts") or {}
    for name, actual in (("documents", len(docs)), ("chunks", len(chunks)), ("searchable_chunks", len(searchable)),
                         ("sentences", len(rows))):
        if name in counts and counts[name] != actual:
            raise BuildRefused(f"the manifest counts {counts[name]} {name.replace('_', ' ')}, the build has {actual}")


def self_test_question(index: LoadedIndex) -> str:
    """A question from the build itself: the first searchable chunk's first sentence (true of any folder)."""
    chunk = index.chunks[int(index.searchable[0])] if index.searchable else index.chunks[0]
    doc = index.documents[chunk.doc_id]
    start, end = chunk.sentences[0] if chunk.sentences else (chunk.start, chunk.end)
    return " ".join(doc.text[start:end].split())[:300] or chunk.id
