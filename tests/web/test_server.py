"""A live uvicorn server on loopback: concurrent questions, index reload without a restart, start-up."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.engine import Assistant
from assistant.index import build_index
from assistant.server import create_app
from assistant.store import IndexUnavailable
from tests.fakes import FAKE_MODEL_ID, FakeEmbedder
from tests.web.conftest import DocumentTexts, check_answer, live_server

QUESTIONS = [
    "How much magnesium glycinate should I take for sleep?",
    "Can I take magnesium with doxycycline?",
    "Is magnesium glycinate safe if I have kidney disease?",
    "Does magnesium help with anxiety?",
    "What are the side effects of magnesium glycinate?",
    "magnesium and calcium absorption",
    "How do volcanoes form?",
]


def test_concurrent_questions(live_url: str) -> None:
    """16 client threads × 25 questions against the live server: every answer valid, no error."""
    with httpx.Client(base_url=live_url, timeout=30) as shared:
        texts = DocumentTexts(shared.get)

        def client_thread(n: int) -> int:
            done = 0
            with httpx.Client(base_url=live_url, timeout=30) as c:
                for i in range(25):
                    top_k = 1 + (n + i) % 5
                    question = QUESTIONS[(n * 25 + i) % len(QUESTIONS)]
                    response = c.post("/api/ask", json={"question": question, "top_k": top_k})
                    assert response.status_code == 200, response.text
                    body = response.json()
                    check_answer(body, texts, top_k=top_k)
                    assert body["question"] == question
                    done += 1
            return done

        with ThreadPoolExecutor(max_workers=16) as pool:
            assert sum(pool.map(client_thread, range(16))) == 16 * 25


def test_concurrent_questions_beyond_the_cap_wait_and_are_all_answered(
        fake_assistant: Assistant, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """32 requests at once (API and the no-JavaScript form): all answered, never more than 2 ``ask`` at a time."""
    tiny_settings = tiny_settings.model_copy(update={"ask_concurrency": 2})
    ask = fake_assistant.ask
    lock = threading.Lock()
    running, peak = 0, 0

    def slow_ask(question: str, top_k: int | None = None, history=()):  # type: ignore[no-untyped-def]
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.03)  # long enough for the requests to pile up
            return ask(question, top_k, history)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(fake_assistant, "ask", slow_ask)
    with live_server(create_app(fake_assistant, tiny_settings)) as url:
        def one(i: int) -> int:
            with httpx.Client(base_url=url, timeout=60) as c:
                if i % 4 == 3:
                    response = c.post("/ask", data={"question": QUESTIONS[i % len(QUESTIONS)]})
                else:
                    response = c.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                    assert response.json()["question"] == QUESTIONS[i % len(QUESTIONS)]
                return response.status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(one, range(32)))
        with httpx.Client(base_url=url, timeout=5) as c:
            assert c.get("/healthz").status_code == 200, "other routes are not held up by the cap"
    assert statuses == [200] * 32
    assert peak == 2, f"{peak} ask calls ran at once"


def test_a_rebuilt_index_is_served_without_a_restart(fake_assistant: Assistant, tiny_settings: Settings) -> None:
    settings = tiny_settings.model_copy(update={"reload_interval": 0.05})
    doc_path = sorted(settings.documents_dir.glob("*.txt"))[0]
    doc_id = doc_path.stem
    added = "\n\nMagnesium glycinate and zinc picolinate may be taken at different times of day.\n"
    errors: list[str] = []
    stop = threading.Event()

    with live_server(create_app(fake_assistant, settings)) as url, httpx.Client(base_url=url, timeout=30) as c:
        before = c.get("/healthz").json()["build_id"]
        old_texts = {d["id"]: c.get(f"/api/documents/{d['id']}").json()["text"] for d in c.get("/api/documents").json()}

        def texts(doc: str) -> list[str]:
            return [old_texts[doc], old_texts[doc] + added] if doc == doc_id else [old_texts[doc]]

        def hammer() -> None:
            with httpx.Client(base_url=url, timeout=30) as h:
                i = 0
                while not stop.is_set():
                    try:
                        response = h.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                        if response.status_code != 200:
                            errors.append(f"{response.status_code}: {response.text}")
                        else:
                            check_answer(response.json(), texts)
                        health = h.get("/healthz")
                        if health.status_code != 200:
                            errors.append(f"healthz {health.status_code}")
                    except Exception as exc:  # collected and reported below
                        errors.append(repr(exc))
                    i += 1

        workers = [threading.Thread(target=hammer) for _ in range(4)]
        for w in workers:
            w.start()
        try:
            time.sleep(0.2)
            doc_path.write_text(doc_path.read_text(encoding="utf-8") + added, encoding="utf-8")
            embedder = FakeEmbedder()
            build_index(settings.documents_dir, settings.index_dir, lambda: embedder, settings,
                        model_id=FAKE_MODEL_ID, dimension=embedder.dimension)
            deadline = time.monotonic() + 20
            while c.get("/healthz").json()["build_id"] == before:
                assert time.monotonic() < deadline, "the new build was not picked up"
                time.sleep(0.05)
            time.sleep(0.2)  # keep asking on the new build for a moment
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=30)
        assert c.get(f"/api/documents/{doc_id}").json()["text"] == old_texts[doc_id] + added
    assert not errors, errors[:5]


def test_reload_is_off_when_the_interval_is_zero(fake_assistant: Assistant, tiny_settings: Settings) -> None:
    with TestClient(create_app(fake_assistant, tiny_settings)) as c:
        before = c.get("/healthz").json()["build_id"]
        embedder = FakeEmbedder()
        build_index(tiny_settings.documents_dir, tiny_settings.index_dir, lambda: embedder, tiny_settings,
                    model_id=FAKE_MODEL_ID, dimension=embedder.dimension)
        time.sleep(0.2)
        assert c.get("/healthz").json()["build_id"] == before


def test_lifespan_loads_the_assistant_once(fake_assistant: Assistant, tiny_settings: Settings,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Settings | None] = []

    def load(settings: Settings | None = None) -> Assistant:
        calls.append(settings)
        return fake_assistant

    monkeypatch.setattr(Assistant, "load", staticmethod(load))
    with TestClient(create_app(settings=tiny_settings)) as c:
        for _ in range(3):
            assert c.post("/api/ask", json={"question": "Does magnesium help with anxiety?"}).status_code == 200
        assert c.get("/healthz").json()["status"] == "ok"
    assert calls == [tiny_settings]


def test_lifespan_failure_is_recorded(tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def load(settings: Settings | None = None) -> Assistant:
        raise IndexUnavailable("No index in somewhere. Build it with: assistant index")

    monkeypatch.setattr(Assistant, "load", staticmethod(load))
    app = create_app(settings=tiny_settings)
    with pytest.raises(IndexUnavailable), TestClient(app):
        pass
    assert isinstance(app.state.startup_error, IndexUnavailable)
