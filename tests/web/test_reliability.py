"""Work nobody waits for (a live uvicorn server on loopback, with faults injected, every wait bounded).

A question whose client hung up while it waited is never asked; the queue is bounded (503 with Retry-After
beyond it); connections that never deliver a whole request are closed within ``request_read_timeout``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.askpool import AskPool, QueueFull
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.httpguard import uvicorn_options
from assistant.server import CSP, create_app
from tests.web.conftest import live_server

TIMEOUT = 10.0  # no wait in this file is longer
HELD = "What does magnesium glycinate do for sleep quality? (held)"
REAL = "Can magnesium glycinate be taken with food?"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"not within {TIMEOUT} s: {what}"
        time.sleep(0.01)


class Gate:
    """Replaces ``assistant.ask``: records every question actually asked; ``HELD`` blocks until ``release``."""

    def __init__(self, assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[str] = []
        self.released = threading.Event()
        ask = assistant.ask

        def gated(question: str, top_k: int | None = None, history: Sequence[str] = ()):  # type: ignore[no-untyped-def]
            self.asked.append(question)
            if question == HELD:
                self.released.wait(TIMEOUT)
            return ask(question, top_k, history)

        monkeypatch.setattr(assistant, "ask", gated)


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=TIMEOUT)
    return sock


def send_request(url: str, path: str, body: bytes, content_type: str) -> socket.socket:
    """A whole POST on a new connection whose answer is never read."""
    sock = connect(url)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return sock


def abandoned(url: str, i: int) -> socket.socket:
    """Every fourth through the no-JavaScript form, the others through the API."""
    question = f"Abandoned question number {i} about magnesium"
    if i % 4 == 3:
        return send_request(url, "/ask", urlencode({"question": question}).encode(),
                            "application/x-www-form-urlencoded")
    return send_request(url, "/api/ask", json.dumps({"question": question}).encode(), "application/json")


# --- abandoned questions --------------------------------------------------------------------------------------

def test_questions_whose_clients_hung_up_while_waiting_are_never_asked(
        fake_assistant: Assistant, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate(fake_assistant, monkeypatch)
    app = create_app(fake_assistant, tiny_settings.model_copy(update={"ask_concurrency": 1, "ask_queue_limit": 100}))
    clients = 40
    with live_server(app) as url, ThreadPoolExecutor(1) as background, httpx.Client(base_url=url,
                                                                                      timeout=TIMEOUT) as c:
        held = background.submit(c.post, "/api/ask", json={"question": HELD})
        wait_for(lambda: gate.asked == [HELD], "the held question is being answered")
        sockets = [abandoned(url, i) for i in range(clients)]
        pool = app.state.ask_pool
        wait_for(lambda: pool.waiting == clients, f"{clients} questions wait behind the held one")
        for sock in sockets:
            sock.close()
        wait_for(lambda: pool.waiting == 0, "the abandoned questions left the queue")
        gate.released.set()
        assert held.result(TIMEOUT).status_code == 200
        response = c.post("/api/ask", json={"question": REAL})
        assert response.status_code == 200 and response.json()["question"] == REAL
        assert c.get("/healthz").status_code == 200
    assert gate.asked == [HELD, REAL], f"{len(gate.asked) - 2} abandoned questions were answered for nobody"


# --- a bounded queue ------------------------------------------------------------------------------------------

def test_beyond_the_queue_limit_the_answer_is_503_with_retry_after(
        fake_assistant: Assistant, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate(fake_assistant, monkeypatch)
    settings = tiny_settings.model_copy(update={"ask_concurrency": 1, "ask_queue_limit": 2, "ask_retry_after": 7})
    app = create_app(fake_assistant, settings)
    with live_server(app) as url, ThreadPoolExecutor(3) as background, httpx.Client(base_url=url,
                                                                                      timeout=TIMEOUT) as c:
        held = background.submit(c.post, "/api/ask", json={"question": HELD})
        wait_for(lambda: gate.asked == [HELD], "the held question is being answered")
        queued = [background.submit(c.post, "/api/ask", json={"question": f"Queued question {i}"}) for i in range(2)]
        wait_for(lambda: app.state.ask_pool.waiting == 2, "two questions wait")

        refused = c.post("/api/ask", json={"question": "One question too many"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "7"
        assert "7 s" in refused.json()["detail"]
        assert refused.headers["content-security-policy"] == CSP
        form = c.post("/ask", data={"question": "One form question too many"}, headers={"accept": "text/html"})
        assert form.status_code == 503 and form.headers["retry-after"] == "7"
        assert form.headers["content-type"].startswith("text/html")
        assert form.headers["content-security-policy"] == CSP

        gate.released.set()
        assert [f.result(TIMEOUT).status_code for f in [held, *queued]] == [200, 200, 200]
        assert c.post("/api/ask", json={"question": REAL}).status_code == 200, "the queue has room again"
    # the two queued questions were sent at once from two threads: either may have arrived first
    assert gate.asked[0] == HELD and gate.asked[3:] == [REAL]
    assert sorted(gate.asked[1:3]) == ["Queued question 0", "Queued question 1"]


def test_openapi_documents_503_with_retry_after(client: TestClient) -> None:
    responses = client.get("/openapi.json").json()["paths"]["/api/ask"]["post"]["responses"]
    assert "Retry-After" in responses["503"]["headers"]
    assert responses["503"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_pool_refuses_beyond_its_limit_and_a_cancelled_call_frees_its_place() -> None:
    pool = AskPool(1, name="ask-limit", limit=2)
    release = threading.Event()
    ran: list[str] = []
    try:
        running = pool.submit(lambda: release.wait(TIMEOUT))
        first = pool.submit(lambda: ran.append("first"))
        second = pool.submit(lambda: ran.append("second"))
        with pytest.raises(QueueFull):
            pool.submit(lambda: ran.append("refused"))
        assert first.cancel() and pool.waiting == 1, "a cancelled call leaves the queue at once"
        third = pool.submit(lambda: ran.append("third"))
        release.set()
        assert running.result(TIMEOUT) is True
        second.result(TIMEOUT)
        third.result(TIMEOUT)
        assert ran == ["second", "third"]
    finally:
        release.set()
        pool.shutdown()


def test_a_queue_limit_of_zero_never_lets_a_call_wait() -> None:
    pool = AskPool(1, name="ask-nowait", limit=0)
    release = threading.Event()
    try:
        busy = pool.submit(lambda: release.wait(TIMEOUT))
        with pytest.raises(QueueFull):
            pool.submit(lambda: None)
        release.set()
        busy.result(TIMEOUT)
        assert pool.submit(lambda: 42).result(TIMEOUT) == 42, "an idle thread takes the call"
    finally:
        release.set()
        pool.shutdown()


# --- connections that never deliver a request -----------------------------------------------------------------

def closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """Whether the server closes ``sock`` (without answering) before ``deadline``."""
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_connections_that_never_finish_a_request_are_closed(fake_assistant: Assistant,
                                                            tiny_settings: Settings) -> None:
    settings = tiny_settings.model_copy(update={"request_read_timeout": 0.5, "keep_alive_timeout": 5})
    with live_server(create_app(fake_assistant, settings), **uvicorn_options(settings)) as url:
        started = time.monotonic()
        silent = [connect(url) for _ in range(10)]
        partial_headers = [connect(url) for _ in range(10)]
        for sock in partial_headers:
            sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: applic")
        partial_body = [connect(url) for _ in range(5)]
        for sock in partial_body:
            sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"question\": ")
        kept = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=TIMEOUT)
        kept.request("GET", "/healthz")
        assert kept.getresponse().read() and kept.sock is not None
        kept.sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: loc")  # a second request on it that never ends
        sockets = [*silent, *partial_headers, *partial_body, kept.sock]

        deadline = started + TIMEOUT
        closed = [closed_by_server(sock, deadline) for sock in sockets]
        elapsed = time.monotonic() - started
        for sock in sockets:
            sock.close()
        assert all(closed), f"{closed.count(False)} of {len(sockets)} connections still open after {elapsed:.1f} s"
        assert elapsed < 0.5 + 4, f"closed after {elapsed:.1f} s, the deadline is 0.5 s"
        with httpx.Client(base_url=url, timeout=TIMEOUT) as c:
            assert c.post("/api/ask", json={"question": REAL}).status_code == 200, "whole requests are served"


def test_the_deadline_never_cuts_a_slow_answer_or_a_kept_alive_connection(
        fake_assistant: Assistant, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tiny_settings.model_copy(update={"request_read_timeout": 0.3})
    ask = fake_assistant.ask

    def slow_ask(question: str, top_k: int | None = None, history: Sequence[str] = ()):  # type: ignore[no-untyped-def]
        time.sleep(1.0)  # longer than the deadline: answering is not receiving
        return ask(question, top_k, history)

    monkeypatch.setattr(fake_assistant, "ask", slow_ask)
    with live_server(create_app(fake_assistant, settings), **uvicorn_options(settings)) as url:
        kept = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=TIMEOUT)
        body = json.dumps({"question": REAL})
        kept.request("POST", "/api/ask", body, {"content-type": "application/json"})
        first = kept.getresponse()
        assert first.status == 200
        answer = json.loads(first.read())
        sock = kept.sock
        time.sleep(0.6)  # idle longer than the deadline, shorter than the keep-alive timeout
        kept.request("POST", "/api/ask", body, {"content-type": "application/json"})
        second = kept.getresponse()  # http.client does not reconnect: a closed connection raises here
        assert second.status == 200 and json.loads(second.read()) == answer
        assert kept.sock is sock, "the same connection answered both"
        kept.close()


def test_serve_gives_uvicorn_the_connection_limits(tiny_settings: Settings, fake_assistant: Assistant,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from assistant import launch

    configs: list[uvicorn.Config] = []

    class NoServer:
        started = True

        def __init__(self, config: uvicorn.Config) -> None:
            configs.append(config)

        def run(self, sockets: object = None) -> None:
            pass

    monkeypatch.setattr(uvicorn, "Server", NoServer)
    monkeypatch.setattr(launch, "ensure_index", lambda settings, documents=None: None)
    monkeypatch.setattr("assistant.engine.Assistant.load", staticmethod(lambda settings: fake_assistant))
    assert launch.serve(tiny_settings.model_copy(update={"request_read_timeout": 3.5, "keep_alive_timeout": 4,
                                                         "port": 0})) == 0
    [config] = configs
    assert config.timeout_keep_alive == 4
    assert isinstance(config.http, type) and getattr(config.http, "request_read_timeout", None) == 3.5
