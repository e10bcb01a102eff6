"""The embedder factory and the ONNX embedder: choice by setting, fallback to PyTorch, export and equivalence."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import assistant.embed
import assistant.embed_onnx
from assistant.config import PROJECT_ROOT, Settings
from assistant.embed import MODEL_DIMENSION, MODEL_ID, make_embedder

TEXTS = [
    "How much magnesium glycinate should I take for sleep?",
    "Can I take magnesium with doxycycline?",
    "Magnesium binds to tetracyclines in the gut, forming insoluble complexes that reduce antibiotic absorption.",
    "ok",
    "A much longer text about magnesium. " * 60,  # past 256 tokens: truncated the same way by both runtimes
]


class FakeTorchEmbedder:
    """Stands in for SentenceTransformerEmbedder: no model is loaded."""

    model_id = MODEL_ID
    dimension = MODEL_DIMENSION

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), self.dimension), dtype=np.float32) / np.sqrt(self.dimension)


class FakeOnnxEmbedder(FakeTorchEmbedder):
    made: list[dict] = []

    def __init__(self, quantize: bool = True, cache_dir: Path | None = None, busy_threads: int | None = None) -> None:
        FakeOnnxEmbedder.made.append({"quantize": quantize, "cache_dir": cache_dir, "busy_threads": busy_threads})


@pytest.fixture
def fresh_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    """No remembered ONNX failure from another test; PyTorch replaced by a fake."""
    monkeypatch.setattr(assistant.embed, "_onnx_failure", None)
    monkeypatch.setattr(assistant.embed, "SentenceTransformerEmbedder", FakeTorchEmbedder)
    monkeypatch.delenv("ASSISTANT_EMBEDDER", raising=False)
    FakeOnnxEmbedder.made = []


def _warnings(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = capsys.readouterr().err.splitlines() + [r.getMessage() for r in caplog.records]
    caplog.clear()
    return [line for line in lines if "ONNX embedder is unavailable" in line]


# --- the factory (no model) -----------------------------------------------------------------------------------

def test_onnx_is_the_default(fresh_factory: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(assistant.embed_onnx, "OnnxEmbedder", FakeOnnxEmbedder)
    assert Settings().embedder == "onnx"
    embedder = make_embedder(Settings(onnx_cache=tmp_path))
    assert isinstance(embedder, FakeOnnxEmbedder)
    assert FakeOnnxEmbedder.made == [{"quantize": False, "cache_dir": tmp_path, "busy_threads": None}], \
        "fp32, in the configured cache"


def test_answering_shares_the_cores_among_concurrent_questions(fresh_factory: None, monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    import assistant.engine
    from assistant.embed import query_threads

    monkeypatch.setattr(assistant.embed_onnx, "OnnxEmbedder", FakeOnnxEmbedder)
    monkeypatch.setattr(assistant.embed.os, "cpu_count", lambda: 2)
    assert query_threads(Settings(ask_concurrency=2)) == 1
    assert query_threads(Settings(ask_concurrency=1)) == 2
    monkeypatch.setattr(assistant.embed.os, "cpu_count", lambda: 8)
    assert query_threads(Settings(ask_concurrency=2)) == 4
    assert query_threads(Settings(ask_concurrency=32)) == 1
    monkeypatch.setattr(assistant.engine, "load_index", lambda *args, **kwargs: object())
    monkeypatch.setattr(assistant.engine, "Retriever", lambda *args: None)
    monkeypatch.setattr(assistant.engine.Assistant, "_checked", lambda self, index: None)
    assistant.engine.Assistant.load(Settings(index_dir=tmp_path, ask_concurrency=2))
    assert FakeOnnxEmbedder.made[-1]["busy_threads"] == 4, "questions at the same time share the cores"


def test_the_server_answers_one_more_question_at_once_than_there_are_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.config

    monkeypatch.delenv("ASSISTANT_ASK_CONCURRENCY", raising=False)
    monkeypatch.setattr(assistant.config.os, "cpu_count", lambda: 2)
    assert Settings().ask_concurrency == 3
    monkeypatch.setattr(assistant.config.os, "cpu_count", lambda: None)
    assert Settings().ask_concurrency == 2
    monkeypatch.setenv("ASSISTANT_ASK_CONCURRENCY", "1")
    assert Settings().ask_concurrency == 1
    monkeypatch.setenv("ASSISTANT_ASK_CONCURRENCY", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings()


def test_the_setting_picks_the_embedder(fresh_factory: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assistant.embed_onnx, "OnnxEmbedder", FakeOnnxEmbedder)
    assert isinstance(make_embedder(Settings(embedder="torch")), FakeTorchEmbedder)
    assert not isinstance(make_embedder(Settings(embedder="torch")), FakeOnnxEmbedder)
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "torch")
    assert Settings().embedder == "torch"
    assert not isinstance(make_embedder(), FakeOnnxEmbedder)
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "onnx")
    assert isinstance(make_embedder(), FakeOnnxEmbedder)
    assert len(FakeOnnxEmbedder.made) == 1, "torch never touches the ONNX embedder"


def test_an_unknown_embedder_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "tensorflow")
    with pytest.raises(ValueError, match="embedder"):
        Settings()


def test_falls_back_to_pytorch_when_onnxruntime_is_missing(fresh_factory: None, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now raises ImportError
    embedder = make_embedder(Settings())
    assert isinstance(embedder, FakeTorchEmbedder)
    warned = _warnings(capsys, caplog)
    assert len(warned) == 1, "one clear warning line"
    assert "onnxruntime" in warned[0] and "PyTorch" in warned[0] and "\n" not in warned[0]
    assert isinstance(make_embedder(Settings()), FakeTorchEmbedder)
    assert _warnings(capsys, caplog) == [], "warned once per process, not on every reload"


def test_falls_back_when_the_export_fails(fresh_factory: None, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken(quantize: bool = True, cache_dir: Path | None = None) -> Path:
        raise RuntimeError("Exporting the ONNX model failed\nwith a long traceback")

    monkeypatch.setattr(assistant.embed_onnx, "ensure_model", broken)
    assert isinstance(make_embedder(Settings()), FakeTorchEmbedder)
    warned = _warnings(capsys, caplog)
    assert len(warned) == 1 and "RuntimeError: Exporting the ONNX model failed" in warned[0]
    assert "traceback" not in warned[0], "only the first line of the error"


def test_a_failed_export_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_written(target: Path, model_dir: Path | None = None) -> None:
        target.write_bytes(b"half an onnx file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(assistant.embed_onnx, "export_onnx", half_written)
    with pytest.raises(RuntimeError, match="disk full"):
        assistant.embed_onnx.ensure_model(False, tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# --- the real export and model ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh cache folder with the fp32 model exported into it from the installed weights (offline)."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    path = assistant.embed_onnx.ensure_model(False, cache)
    assert path.exists() and path.parent.parent == cache
    return cache


@pytest.mark.integration
def test_export_is_cached(onnx_cache: Path) -> None:
    path = assistant.embed_onnx.ensure_model(False, onnx_cache)
    before = path.stat().st_mtime_ns
    assert assistant.embed_onnx.ensure_model(False, onnx_cache) == path
    assert path.stat().st_mtime_ns == before, "the second call reuses the file"
    assert json.loads((path.parent / "source.json").read_text())["model"] == MODEL_ID
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name]


@pytest.mark.integration
def test_fp32_onnx_matches_sentence_transformers(onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.embed import SentenceTransformerEmbedder
    from assistant.embed_onnx import OnnxEmbedder

    monkeypatch.setattr(assistant.embed, "_onnx_failure", None)
    onnx = make_embedder(Settings(embedder="onnx", onnx_cache=onnx_cache))
    assert isinstance(onnx, OnnxEmbedder)
    assert (onnx.model_id, onnx.dimension) == (MODEL_ID, MODEL_DIMENSION), "serves an index built by PyTorch"
    reference = SentenceTransformerEmbedder().embed_batch(TEXTS)
    for vectors in (onnx.embed_batch(TEXTS), np.vstack([onnx.embed_batch([t]) for t in TEXTS])):
        assert vectors.shape == (len(TEXTS), MODEL_DIMENSION) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosine = (vectors * reference).sum(axis=1)
        assert cosine.min() > 0.999, cosine
    assert onnx.embed_batch([]).shape == (0, MODEL_DIMENSION)


@pytest.mark.integration
def test_serving_on_onnx_does_not_import_torch(onnx_cache: Path) -> None:
    script = ("import sys\n"
              "from assistant.config import Settings\n"
              "from assistant.embed import make_embedder\n"
              "import assistant.server\n"
              "e = make_embedder(Settings())\n"
              "e.embed_batch(['first question'])\n"
              "print(type(e).__name__, sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
              "if m in sys.modules))\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(onnx_cache), "ASSISTANT_ONNX_CACHE": str(onnx_cache),
           "ASSISTANT_EMBEDDER": "onnx"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "OnnxEmbedder []", out.stdout + out.stderr


@pytest.mark.integration
def test_overlapping_calls_share_the_cores_and_agree(onnx_cache: Path) -> None:
    """A call alone runs on the 2-thread session; calls that overlap it on the 1-thread one; same vectors."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from assistant.embed_onnx import OnnxEmbedder

    assert OnnxEmbedder(False, onnx_cache, threads=2, busy_threads=2).busy_threads is None, "one session"
    e = OnnxEmbedder(False, onnx_cache, threads=2, busy_threads=1)
    reference = e.embed_batch(TEXTS)
    used: list[str] = []
    lock = threading.Lock()

    class Recording:
        def __init__(self, name: str, inner: object) -> None:
            self.name, self.inner = name, inner

        def run(self, *args: object) -> object:
            with lock:
                used.append(self.name)
            time.sleep(0.02)  # make the calls overlap
            return self.inner.run(*args)  # type: ignore[attr-defined]

    e._session, e._busy_session = Recording("alone", e._session), Recording("busy", e._busy_session)  # type: ignore[assignment]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: e.embed_batch([t]), TEXTS * 4))
    for i, vector in enumerate(results):
        assert float(vector[0] @ reference[i % len(TEXTS)]) > 0.99999
    assert "alone" in used and "busy" in used and e._running == 0
    used.clear()
    e.embed_batch(TEXTS[:1])
    assert used == ["alone"]
