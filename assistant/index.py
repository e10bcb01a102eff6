"""Build, save and load the index: chunks, FAISS vectors, BM25 and a manifest, swapped in atomically."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from assistant import ingest
from assistant.bank import bank_fingerprint
from assistant.chunking import chunk_units, sentence_records
from assistant.config import CHUNKER_VERSION, Settings
from assistant.embed import MODEL_DIMENSION, MODEL_ID, Embedder, batching_lengths, embed_all
from assistant.learn.build import QUESTION_HASHES, QUESTION_VECTORS, Learned, learn, previous_question_vectors
from assistant.lexical import BM25Index, tokenize
from assistant.store import MANIFEST, IndexUnavailable, current_path, load_index, read_manifest
from assistant.structure import parse_document
from assistant.types import Chunk, Document
from assistant.vectors import build_vector_index, save_vector_index
from assistant.verify import file_hashes


@dataclass
class BuildSummary:
    build_id: str
    documents: int
    units_by_kind: dict[str, int]
    chunks: int
    searchable_chunks: int
    embedded: int
    reused: int
    seconds: float
    sentences: int = 0
    sentences_embedded: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    path: str = ""
    first_build: bool = False
    learning: dict = field(default_factory=dict)


def _settings_fingerprint(settings: Settings) -> dict:
    return {"chunk_max_chars": settings.chunk_max_chars, "chunk_min_chars": settings.chunk_min_chars,
            "sentence_vectors": settings.sentence_vectors}


def _learning_fingerprint(settings: Settings) -> dict:
    """The settings that change what a build learns (all of ``Settings`` that the trainer reads)."""
    names = ("learn", "learn_seed", "learn_folds", "adapter_temperature", "adapter_l2", "adapter_steps",
             "adapter_learning_rate", "adapter_batch_size", "answerable_c", "emergency_c", "caution_c",
             "emergency_max_miss", "ngram_dims", "ngram_scale", "classifier_tol", "caution_tol", "caution_f_beta",
             "max_false_abstention", "candidates", "spelling", "emergency_oof_repeats")
    return {n: getattr(settings, n) for n in names}


def staleness(documents_dir: Path, index_dir: Path, settings: Settings, model_id: str = MODEL_ID) -> str | None:
    """Why the index must be rebuilt, or None when it matches the documents and this code."""
    if not current_path(index_dir).exists():
        return "no index has been built yet"
    manifest = read_manifest(index_dir)
    if manifest is None:
        return "the index's manifest is missing or damaged"
    try:
        return _stale(manifest, documents_dir, settings, model_id)
    except (AttributeError, KeyError, TypeError):
        return "the index's manifest is damaged"


def _stale(manifest: dict, documents_dir: Path, settings: Settings, model_id: str) -> str | None:
    if not isinstance(manifest.get("model"), dict) or not isinstance(manifest.get("documents"), list):
        return "the index's manifest is damaged"
    if manifest.get("model", {}).get("id") != model_id or manifest.get("chunker_version") != CHUNKER_VERSION:
        return "the index was built by another model or chunker version"
    if manifest.get("settings") != _settings_fingerprint(settings):
        return "chunking settings changed"
    docs, _ = ingest.load_documents(documents_dir)
    built = {d["path"]: d["sha256"] for d in manifest.get("documents", [])} | manifest.get("unparsed", {})
    if built != {d.path: d.sha256 for d in docs}:
        return "documents changed since the last build"
    if manifest.get("bank", {}) != bank_fingerprint(documents_dir):
        return "the question bank changed since the last build"
    if manifest.get("learning_settings") != _learning_fingerprint(settings):
        return "learning settings changed"
    return None


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexUnavailable(f"{index_dir}: another build is running") from exc
        yield


def _previous_vectors(index_dir: Path, model_id: str, dimension: int
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """content hash → vector of the served build's chunks and of its sentences, so unchanged text is not
    re-embedded (one load of the served build for both; reuse is by content hash, so any chunker version)."""
    try:
        old = load_index(index_dir, model_id, dimension, check_chunker=False)
    except IndexUnavailable:
        return {}, {}
    chunks: dict[str, np.ndarray] = {}
    if old.vectors.ntotal and hasattr(old.vectors, "reconstruct_n"):
        mat = old.vectors.reconstruct_n(0, old.vectors.ntotal)
        chunks = {old.chunks[pos].content_hash: mat[row] for row, pos in enumerate(old.searchable)}
    try:
        hashes = json.loads((old.path / "sentence_hashes.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return chunks, {}
    return chunks, dict(zip(hashes, old.sentence_vectors, strict=False))


def _ingest(documents_dir: Path, settings: Settings
            ) -> tuple[list[Document], list[Chunk], Counter[str], list[ingest.Problem], dict[str, str]]:
    """Documents (titled, with their references), their chunks, unit counts by kind, problems, and
    the path → sha256 of documents that could be read but not parsed."""
    docs, problems = ingest.load_documents(documents_dir)
    unparsed: dict[str, str] = {}
    documents: list[Document] = []
    chunks: list[Chunk] = []
    unit_kinds: Counter[str] = Counter()
    for doc in docs:
        try:
            parsed = parse_document(doc.id, doc.text, markdown=ingest.is_markdown(doc))
            max_ref = max((r.number for r in parsed.references), default=0)
            doc_chunks = chunk_units(doc.id, doc.text, parsed.units, settings.chunk_max_chars,
                                     settings.chunk_min_chars, max_ref)
        except Exception as exc:  # a document the parser cannot handle is skipped, named
            problems.append(ingest.Problem(doc.path, f"skipped: could not be parsed ({type(exc).__name__}: {exc})"))
            unparsed[doc.path] = doc.sha256
            continue
        title = doc.title or parsed.title or ingest.fallback_title(doc)
        documents.append(Document(**{**doc.__dict__, "title": title, "references": parsed.references}))
        unit_kinds.update(u.kind for u in parsed.units)
        chunks.extend(doc_chunks)
    if not documents:
        raise ingest.CorpusError(f"{documents_dir}: no document could be parsed; nothing was indexed", problems)
    return documents, chunks, unit_kinds, problems, unparsed


def build_index(
    documents_dir: Path,
    index_dir: Path,
    embedder_factory: Callable[[], Embedder],
    settings: Settings | None = None,
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
    model_id: str = MODEL_ID,
    dimension: int = MODEL_DIMENSION,
    step: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Rebuild the index from ``documents_dir``; the served index changes only when all succeeded.

    ``progress(total, already_done)`` returns a callback told how many chunks each batch embedded.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    # Read and chunk everything before touching the index folder: a fatal input error writes nothing.
    documents, chunks, unit_kinds, problems, unparsed = _ingest(documents_dir, settings)
    made: list[Embedder] = []

    def get_embedder() -> Embedder:
        if not made:
            embedder = embedder_factory()
            if embedder.dimension != dimension or embedder.model_id != model_id:
                raise IndexUnavailable(f"embedder {embedder.model_id} ({embedder.dimension} dims) does not match "
                                       f"the requested {model_id} ({dimension} dims)")
            made.append(embedder)
        return made[0]

    with _build_lock(index_dir):
        searchable = [i for i, c in enumerate(chunks) if c.searchable]
        cache, s_cache = _previous_vectors(index_dir, model_id, dimension)
        todo = list({chunks[i].content_hash: i for i in searchable if chunks[i].content_hash not in cache}.values())
        vectors = np.zeros((len(searchable), dimension), dtype=np.float32)
        texts_by_doc = {d.id: d.text for d in documents}
        sentences = sentence_records(chunks, searchable, texts_by_doc) if settings.sentence_vectors else []
        s_todo = list({r.hash: r.text for r in sentences if r.hash not in s_cache}.items())
        fresh: dict[str, np.ndarray] = {}
        if todo or s_todo:
            embedder = get_embedder()
            total = len(searchable) + len(sentences)
            callback = progress(total, total - len(todo) - len(s_todo)) if progress else None
            # Texts of similar length (in tokens) share a batch: less padding, the same vectors.
            jobs = [(chunks[i].content_hash, chunks[i].embedding_text()) for i in todo] + s_todo
            lengths = batching_lengths(embedder, [t for _, t in jobs])
            jobs = [jobs[k] for k in sorted(range(len(jobs)), key=lengths.__getitem__)]
            new = embed_all(embedder, [t for _, t in jobs], settings.embed_batch_size, callback)
            fresh = {h: new[k] for k, (h, _) in enumerate(jobs)}
        for row, pos in enumerate(searchable):
            h = chunks[pos].content_hash
            vectors[row] = fresh[h] if h in fresh else cache[h]
        s_vectors = np.zeros((len(sentences), dimension), dtype=np.float32)
        for k, rec in enumerate(sentences):
            s_vectors[k] = fresh[rec.hash] if rec.hash in fresh else s_cache[rec.hash]
        vindex, vkind = build_vector_index(vectors, settings.ann_threshold)
        lexical = BM25Index.build([tokenize(chunks[i].embedding_text()) for i in searchable])
        s_rows = np.asarray([r.row for r in sentences], dtype=np.int64)
        s_spans = np.asarray([(r.start, r.end) for r in sentences], dtype=np.int64).reshape(-1, 2)
        served = current_path(index_dir)
        learned = learn(documents_dir, documents, [chunks[i] for i in searchable], vindex, lexical,
                        (s_rows, s_spans, s_vectors), get_embedder, settings,
                        previous_question_vectors(served.resolve() if served.exists() else None), progress, step)
        problems.extend(learned.problems)

        previous = read_manifest(index_dir) or {}
        try:
            old_docs = {d["path"]: d["sha256"] for d in previous.get("documents", [])}
        except (KeyError, TypeError):  # a damaged manifest: report as a first build
            previous, old_docs = {}, {}
        new_docs = {d.path: d.sha256 for d in documents}
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        manifest = {
            "build_id": build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"id": model_id, "dimension": int(vectors.shape[1])},
            "chunker_version": CHUNKER_VERSION,
            "settings": _settings_fingerprint(settings),
            "vector_index": vkind,
            "documents": [{"id": d.id, "path": d.path, "title": d.title, "sha256": d.sha256} for d in documents],
            "unparsed": unparsed,
            "counts": {"documents": len(documents), "units": dict(unit_kinds), "chunks": len(chunks),
                       "searchable_chunks": len(searchable), "sentences": len(sentences)},
            "bank": learned.fingerprint,
            "learning_settings": _learning_fingerprint(settings),
            "learning": learned.metrics,
            "documents_dir": str(documents_dir.resolve()),
        }
        _write_build(index_dir, build_id, manifest, documents, chunks, searchable, vindex, lexical,
                     (s_rows, s_spans, s_vectors, [r.hash for r in sentences]), learned)
        return BuildSummary(
            build_id=build_id, documents=len(documents), units_by_kind=dict(unit_kinds), chunks=len(chunks),
            searchable_chunks=len(searchable), embedded=len(todo), reused=len(searchable) - len(todo),
            sentences=len(sentences), sentences_embedded=len(s_todo),
            seconds=time.perf_counter() - started,
            added=sorted(set(new_docs) - set(old_docs)) if previous else [],
            removed=sorted(set(old_docs) - set(new_docs)),
            changed=sorted(p for p in new_docs if p in old_docs and old_docs[p] != new_docs[p]),
            problems=[str(p) for p in problems], path=str(index_dir / "builds" / build_id),
            first_build=not previous, learning=learned.metrics,
        )


def _write_build(index_dir: Path, build_id: str, manifest: dict, documents: list[Document],
                 chunks: list[Chunk], searchable: list[int], vindex: faiss.Index, lexical: BM25Index,
                 sentence_store: tuple[np.ndarray, np.ndarray, np.ndarray, list[str]], learned: Learned) -> None:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f"{build_id}.tmp-{os.getpid()}"
    tmp.mkdir()
    try:
        (tmp / "documents.json").write_text(
            json.dumps([asdict(d) for d in documents], ensure_ascii=False), encoding="utf-8")
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(c.__dict__, ensure_ascii=False) + "\n")  # flat fields: no deep copy
        np.save(tmp / "vector_ids.npy", np.asarray(searchable, dtype=np.int64))
        save_vector_index(vindex, tmp / "vectors.faiss")
        lexical.save(tmp)
        s_rows, s_spans, s_vectors, s_hashes = sentence_store
        np.save(tmp / "sentence_vectors.npy", s_vectors)
        np.save(tmp / "sentence_rows.npy", s_rows)
        np.save(tmp / "sentence_spans.npy", s_spans)
        (tmp / "sentence_hashes.json").write_text(json.dumps(s_hashes), encoding="utf-8")
        manifest["learned"] = learned.models.save(tmp)
        if learned.question_vectors is not None:
            np.save(tmp / QUESTION_HASHES, learned.question_vectors[0])
            np.save(tmp / QUESTION_VECTORS, learned.question_vectors[1])
        manifest["files"] = file_hashes(tmp)  # checked on load: a file from another build is refused
        # The manifest is written last: a build folder without one is incomplete.
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        final = builds / build_id
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    link_tmp = index_dir / f".current-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link_tmp.unlink()
    os.symlink(f"builds/{build_id}", link_tmp)
    os.replace(link_tmp, current_path(index_dir))  # the atomic switch
    _cleanup(builds, keep={build_id})


def _cleanup(builds: Path, keep: set[str]) -> None:
    """Remove abandoned temporary builds and all but the two newest complete builds."""
    complete = sorted(p.name for p in builds.iterdir() if p.is_dir() and ".tmp-" not in p.name)
    keep = keep | set(complete[-2:])
    for p in builds.iterdir():
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


