"""Fixtures for the HTTP API and web chat: a TestClient, a live uvicorn server on loopback, headless Chromium."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.engine import Assistant
from assistant.server import create_app
from assistant.types import Answer, Notice

EMERGENCY_TEXT = "If this is an emergency, call your local emergency number now."
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def client(fake_assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(fake_assistant), raise_server_exceptions=False) as c:
        yield c


def with_notice(assistant: Assistant, monkeypatch: pytest.MonkeyPatch, trigger: str = "overdose") -> None:
    """Make ``assistant`` attach an emergency notice when the question contains ``trigger``."""
    ask = assistant.ask

    def ask_with_notice(question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        answer = ask(question, top_k, history)
        return replace(answer, notice=Notice("emergency", EMERGENCY_TEXT)) if trigger in question.lower() else answer

    monkeypatch.setattr(assistant, "ask", ask_with_notice)


def not_covered(assistant: Assistant, monkeypatch: pytest.MonkeyPatch, trigger: str = "volcano") -> None:
    """Make ``assistant`` abstain (answered=false) when the question contains ``trigger``."""
    ask = assistant.ask

    def ask_abstaining(question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        answer = ask(question, top_k, history)
        if trigger in question.lower():
            return replace(answer, answered=False, reason="not_covered", passages=(), safety=(), conflicts=())
        return answer

    monkeypatch.setattr(assistant, "ask", ask_abstaining)


# --- a live server ------------------------------------------------------------------------------------------

@contextlib.contextmanager
def live_server(app: FastAPI, **config: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a background thread; yields the base URL.

    ``config``: more ``uvicorn.Config`` options (e.g. ``uvicorn_options(settings)``, as ``serve`` passes them).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5,
                                          **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a lifespan that loads the real model takes a while
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def live_url(fake_assistant: Assistant) -> Iterator[str]:
    with live_server(create_app(fake_assistant)) as url:
        yield url


# --- the answer contract ------------------------------------------------------------------------------------

PASSAGE_FIELDS = {"text", "document_id", "document_title", "section", "start", "end", "score", "highlight",
                  "evidence", "references"}
ANSWER_FIELDS = {"question", "answered", "reason", "passages", "safety", "disclaimer", "notice"}


def check_passage(p: dict, texts: Callable[[str], list[str]]) -> None:
    assert p.keys() >= PASSAGE_FIELDS, PASSAGE_FIELDS - p.keys()
    assert isinstance(p["start"], int) and isinstance(p["end"], int) and 0 <= p["start"] <= p["end"]
    assert any(t[p["start"]:p["end"]] == p["text"] for t in texts(p["document_id"])), \
        f"{p['document_id']}[{p['start']}:{p['end']}] is not the passage text"
    if p["highlight"] is not None:
        assert p["start"] <= p["highlight"]["start"] <= p["highlight"]["end"] <= p["end"]
    assert isinstance(p["score"], int | float)
    assert p["evidence"] is None or isinstance(p["evidence"], str)
    for r in p["references"]:
        assert {"number", "title", "url"} <= r.keys()


def check_answer(body: dict, texts: Callable[[str], list[str]], top_k: int = 3) -> None:
    """``body`` follows API.md; ``texts(doc_id)`` gives the document text(s) a slice may come from."""
    assert body.keys() >= ANSWER_FIELDS, ANSWER_FIELDS - body.keys()
    assert isinstance(body["answered"], bool)
    assert len(body["passages"]) <= top_k
    if not body["answered"]:
        assert body["passages"] == [] and isinstance(body["reason"], str) and body["reason"]
    for p in body["passages"] + body["safety"] + [body["disclaimer"]]:
        check_passage(p, texts)
    assert body["disclaimer"]["text"].strip(), "the disclaimer is always present"
    assert body["notice"] is None or {"kind", "text"} <= body["notice"].keys()
    for c in body.get("conflicts", []):
        assert all(0 <= i < len(body["passages"]) for i in c["passages"])


class DocumentTexts:
    """Fetches ``/api/documents/{id}`` once per id (thread-safe) for slice checks."""

    def __init__(self, get: Callable[[str], httpx.Response | Any]) -> None:
        self._get = get
        self._texts: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, doc_id: str) -> list[str]:
        with self._lock:
            if doc_id not in self._texts:
                response = self._get(f"/api/documents/{doc_id}")
                assert response.status_code == 200
                self._texts[doc_id] = response.json()["text"]
            return [self._texts[doc_id]]


# --- HTML ---------------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self) -> Iterator[Node]:
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes())
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.current.tag != tag:
            self.problems.append(f"</{tag}> closes <{self.current.tag}>")
            return
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(html: str) -> Node:
    """Parse a page strictly enough to notice unbalanced tags; returns the document node."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert not builder.problems, builder.problems
    assert builder.current is builder.root, f"<{builder.current.tag}> never closed"
    return builder.root


# --- Chromium -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser build).

    Module-scoped: Playwright's sync API keeps an event loop on the main thread while it runs, which
    would stop later tests from starting their own (``asyncio.run``).
    """
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
