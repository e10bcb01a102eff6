"""The one object every edge (API, web chat, CLI) talks to: ``Assistant.ask``."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import Settings
from assistant.embed import Embedder, make_embedder, query_threads
from assistant.pipeline import Pipeline
from assistant.retrieve import Retriever
from assistant.store import IndexUnavailable, LoadedIndex, load_index, read_manifest, rebuild_hint
from assistant.types import Answer, Document
from assistant.verify import self_test_question

EXAMPLE_QUESTIONS = (
    "How much magnesium glycinate should I take for sleep?",
    "Can I take magnesium with doxycycline?",
    "Is magnesium glycinate safe if I have kidney disease?",
    "Does magnesium help with anxiety?",
    "What are the side effects of magnesium glycinate?",
)


class Assistant:
    """Answers questions from one loaded index; swaps to a newer build without dropping requests."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._embedder = embedder
        self._lock = threading.Lock()
        self._state = (index, self._checked(index))
        # The newest build that was refused on reload (and why), shown by /healthz.
        self.refused: dict[str, str] | None = None

    @classmethod
    def load(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
        settings = settings or Settings()
        embedder = embedder or make_embedder(settings, busy_threads=query_threads(settings))
        return cls(load_index(settings.index_dir, embedder.model_id, embedder.dimension), embedder, settings)

    def _pipeline(self, index: LoadedIndex) -> Pipeline:
        return Pipeline(index, Retriever(index, self._embedder, self.settings), self.settings)

    def _checked(self, index: LoadedIndex) -> Pipeline:
        """The build's pipeline once one question from the build itself answers with exact quotes."""
        pipeline = self._pipeline(index)
        question = self_test_question(index)
        try:
            answer = pipeline.run(question, 1)
        except Exception as exc:
            raise IndexUnavailable(f"The index build {index.build_id} is refused: its self-test question failed "
                                   f"({type(exc).__name__}: {exc}). Rebuild it with: "
                                   f"{rebuild_hint(self.settings.index_dir)}") from exc
        for p in (*answer.passages, *answer.safety, answer.disclaimer):
            doc = index.documents.get(p.document_id)
            if p.text and (doc is None or doc.text[p.start:p.end] != p.text):
                raise IndexUnavailable(f"The index build {index.build_id} is refused: its self-test answer quotes "
                                       f"text that is not in {p.document_id} at {p.start}–{p.end}. Rebuild it with: "
                                       f"{rebuild_hint(self.settings.index_dir)}")
        return pipeline

    @property
    def index(self) -> LoadedIndex:
        return self._state[0]

    def ask(self, question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        """Quoted passages, cautions and a disclaimer for ``question``; never generated text.

        ``history``: the earlier questions of the conversation, oldest first; a question that depends on one
        of them is answered in its context (``Answer.context`` names it).
        """
        _, pipeline = self._state  # one consistent snapshot for the whole request
        started = time.perf_counter()
        answer = pipeline.run(question, top_k or self.settings.default_top_k, history)
        answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return answer

    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    def document(self, doc_id: str) -> Document | None:
        return self.index.documents.get(doc_id)

    def example_questions(self) -> list[str]:
        return list(EXAMPLE_QUESTIONS)

    def status(self) -> dict:
        index = self.index
        m = index.manifest
        return {
            "status": "ok",
            "build_id": m.get("build_id"),
            "built_at": m.get("built_at"),
            "model": m.get("model"),
            "vector_index": m.get("vector_index"),
            "chunker_version": m.get("chunker_version"),
            "documents": [{"id": d["id"], "path": d["path"], "sha256": d["sha256"]} for d in m.get("documents", [])],
            "counts": m.get("counts"),
            "learned": m.get("learned", []),
            "documents_dir": m.get("documents_dir"),
            "refused": self.refused,
        }

    def reload_if_changed(self, index_dir: Path | None = None) -> bool:
        """Load a newer build if ``index/current`` moved; requests in flight keep their snapshot.

        A build that fails its checks is not served: the current one stays, ``refused`` says which and why
        (raised once per refused build; later calls skip it until another build appears).
        """
        index_dir = index_dir or self.settings.index_dir
        manifest = read_manifest(index_dir)
        build_id = str((manifest or {}).get("build_id", ""))
        if manifest is None or build_id in (self.index.build_id, (self.refused or {}).get("build_id")):
            return False
        with self._lock:
            if build_id == self.index.build_id:
                return False
            try:
                fresh = load_index(index_dir, self._embedder.model_id, self._embedder.dimension)
                pipeline = self._checked(fresh)
            except IndexUnavailable as exc:
                self.refused = {"build_id": build_id, "reason": str(exc),
                                "at": datetime.now(UTC).isoformat(timespec="seconds")}
                raise
            self._state = (fresh, pipeline)
        return True
