"""The JSON API over the fake-embedder assistant: the API.md contract, validation, errors, headers."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from assistant.engine import Assistant
from assistant.server import MAX_BODY_BYTES, create_app
from tests.web.conftest import DocumentTexts, check_answer, with_notice

QUESTIONS = [
    "How much magnesium glycinate should I take for sleep?",
    "Can I take magnesium with doxycycline?",
    "Is magnesium glycinate safe if I have kidney disease?",
    "What are the side effects of magnesium glycinate?",
]


def test_ask_follows_the_contract(client: TestClient) -> None:
    texts = DocumentTexts(client.get)
    for question in QUESTIONS:
        response = client.post("/api/ask", json={"question": question})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        check_answer(body, texts, top_k=3)
        assert body["question"] == question


def test_passages_are_exact_slices_of_the_served_documents(client: TestClient, fake_assistant: Assistant) -> None:
    body = client.post("/api/ask", json={"question": "Can I take magnesium with doxycycline?", "top_k": 5}).json()
    assert body["answered"] and body["passages"]
    for p in body["passages"] + body["safety"] + [body["disclaimer"]]:
        served = client.get(f"/api/documents/{p['document_id']}").json()["text"]
        assert served[p["start"]:p["end"]] == p["text"]
        doc = fake_assistant.document(p["document_id"])
        assert doc is not None and doc.text == served


def test_ask_matches_the_engine(client: TestClient, fake_assistant: Assistant) -> None:
    question = "Is magnesium glycinate safe if I have kidney disease?"
    body = client.post("/api/ask", json={"question": question, "top_k": 2}).json()
    answer = fake_assistant.ask(question, 2)
    assert [(p["document_id"], p["start"], p["end"]) for p in body["passages"]] == \
        [(p.document_id, p.start, p.end) for p in answer.passages]
    assert body["disclaimer"]["text"] == answer.disclaimer.text
    assert len(body["passages"]) <= 2


def test_explain_returns_the_trace_only_when_asked(client: TestClient) -> None:
    plain = client.post("/api/ask", json={"question": "How much magnesium for sleep?"}).json()
    assert plain["trace"] is None
    explained = client.post("/api/ask", json={"question": "How much magnesium for sleep?", "explain": True}).json()
    steps = [t["step"] for t in explained["trace"]]
    assert steps[:2] == ["analyse", "retrieve"] and "answerability" in steps and "passages" in steps
    chosen = next(t for t in explained["trace"] if t["step"] == "passages")["data"]["chosen"]
    assert [(c["document"], c["start"]) for c in chosen] == \
        [(p["document_id"], p["start"]) for p in explained["passages"]]


@pytest.mark.parametrize("top_k", [1, 10])
def test_top_k_bounds_are_accepted(client: TestClient, top_k: int) -> None:
    body = client.post("/api/ask", json={"question": "Does magnesium help with anxiety?", "top_k": top_k}).json()
    assert len(body["passages"]) <= top_k


def test_question_is_trimmed(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "  Does magnesium help with anxiety?\n"}).json()
    assert body["question"] == "Does magnesium help with anxiety?"
    long_but_fine = "a" * 1000
    assert client.post("/api/ask", json={"question": f"   {long_but_fine}   "}).status_code == 200


def test_emergency_notice_is_passed_through(client: TestClient, fake_assistant: Assistant,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with_notice(fake_assistant, monkeypatch)
    body = client.post("/api/ask", json={"question": "I think I took an overdose of magnesium"}).json()
    assert body["notice"]["kind"] == "emergency" and body["notice"]["text"]


INVALID = [
    pytest.param(None, None, "missing", id="missing body"),
    pytest.param(b"", "application/json", "missing", id="empty body"),
    pytest.param(b"{", "application/json", "not valid JSON", id="malformed JSON"),
    pytest.param(b'{"question": "x",}', "application/json", "not valid JSON", id="trailing comma"),
    pytest.param(b"\xff\xfe", "application/json", "", id="not UTF-8"),
    pytest.param(b"{}", "application/json", "question is required", id="no question"),
    pytest.param(b'{"question": ""}', "application/json", "empty", id="empty question"),
    pytest.param(b'{"question": " \\n\\t "}', "application/json", "empty", id="white space question"),
    pytest.param(json.dumps({"question": "x" * 1001}).encode(), "application/json", "1000", id="too long"),
    pytest.param(json.dumps({"question": " " + "x" * 1001 + " "}).encode(), "application/json", "1000",
                 id="too long after trimming"),
    pytest.param(b'{"question": 42}', "application/json", "must be a string", id="number question"),
    pytest.param(b'{"question": null}', "application/json", "must be a string", id="null question"),
    pytest.param(b'{"question": ["a"]}', "application/json", "must be a string", id="list question"),
    pytest.param(b'{"question": "ok", "top_k": 0}', "application/json", "at least 1", id="top_k 0"),
    pytest.param(b'{"question": "ok", "top_k": 11}', "application/json", "at most 10", id="top_k 11"),
    pytest.param(b'{"question": "ok", "top_k": -3}', "application/json", "at least 1", id="top_k negative"),
    pytest.param(b'{"question": "ok", "top_k": "3"}', "application/json", "whole number", id="top_k string"),
    pytest.param(b'{"question": "ok", "top_k": 2.5}', "application/json", "whole number", id="top_k float"),
    pytest.param(b'{"question": "ok", "top_k": true}', "application/json", "whole number", id="top_k bool"),
    pytest.param(b'{"question": "ok", "topk": 3}', "application/json", "Unknown field", id="unknown field"),
    pytest.param(b'{"question": "ok", "explain": "yes"}', "application/json", "explain", id="explain string"),
    pytest.param(b'[{"question": "ok"}]', "application/json", "JSON object", id="array body"),
    pytest.param(b'"ok"', "application/json", "JSON object", id="string body"),
    pytest.param(b"question=ok", "application/x-www-form-urlencoded", "JSON object", id="form body"),
    pytest.param(b'{"question": "bad \\u0000 byte"}', "application/json", "not allowed", id="NUL"),
    pytest.param(b'{"question": "lone \\ud800 surrogate"}', "application/json", "not allowed", id="surrogate"),
]


@pytest.mark.parametrize(("body", "content_type", "says"), INVALID)
def test_invalid_input_is_422_with_an_actionable_detail(client: TestClient, body: bytes | None,
                                                         content_type: str | None, says: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/ask", content=body, headers=headers)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.strip()
    assert says in detail
    assert response.json()["errors"]
    assert not [r for r in caplog.records if r.name.startswith("assistant")], "reached the catch-all handler"


def test_wrong_method_and_unknown_paths_are_not_500(client: TestClient) -> None:
    assert client.get("/api/ask").status_code == 405
    assert client.get("/api/nothing-here").status_code == 404
    assert client.put("/api/ask", json={"question": "x"}).status_code == 405


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/api/documents/no-such-document")
    assert response.status_code == 404
    assert "no-such-document" in response.json()["detail"]
    assert client.get("/api/documents/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_documents_are_listed_and_served(client: TestClient, fake_assistant: Assistant) -> None:
    listed = client.get("/api/documents").json()
    assert {d["id"] for d in listed} == {d.id for d in fake_assistant.documents()}
    for d in listed:
        assert d["title"]
        full = client.get(f"/api/documents/{d['id']}").json()
        assert full["id"] == d["id"] and full["title"] == d["title"]
        assert full["text"] == fake_assistant.document(d["id"]).text  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 1024 * 1024])
def test_oversized_body_is_refused_before_parsing(client: TestClient, size: int) -> None:
    padding = "x" * size
    response = client.post("/api/ask", content=json.dumps({"question": "ok", "pad": padding}),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert response.headers["x-frame-options"] == "DENY"


def test_oversized_chunked_body_is_refused(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 8192

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_oversized_form_post_is_refused(client: TestClient) -> None:
    response = client.post("/ask", data={"question": "x" * (MAX_BODY_BYTES + 10)})
    assert response.status_code == 413


def test_healthz_reports_the_build(client: TestClient, fake_assistant: Assistant) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["build_id"] == fake_assistant.status()["build_id"]
    assert body["model"]["id"] and len(body["documents"]) == len(fake_assistant.documents())


@pytest.mark.parametrize("path", ["/", "/api/documents", "/healthz", "/static/app.css", "/documents",
                                  "/api/documents/nope", "/nope", "/openapi.json", "/docs"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"]


def test_default_csp_is_strict(client: TestClient) -> None:
    csp = client.get("/").headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe" not in csp


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/ask", "/api/documents", "/api/documents/{doc_id}", "/healthz"} <= paths.keys()
    assert "/" not in paths and "/ask" not in paths
    ask = paths["/api/ask"]["post"]
    assert set(ask["responses"]) >= {"200", "422", "413"}
    schemas = spec["components"]["schemas"]
    request = schemas["AskRequest"]
    assert request["required"] == ["question"]
    assert request["properties"]["top_k"]["minimum"] == 1 and request["properties"]["top_k"]["maximum"] == 10
    answer = schemas["AnswerOut"]["properties"]
    assert {"question", "answered", "reason", "passages", "safety", "disclaimer", "notice"} <= answer.keys()
    passage = schemas["PassageOut"]["properties"]
    assert {"text", "document_id", "document_title", "section", "start", "end", "score", "highlight",
            "evidence", "references"} <= passage.keys()
    assert "detail" in schemas["ValidationErrorOut"]["properties"]
    assert paths["/api/documents/{doc_id}"]["get"]["responses"]["404"]


def test_a_genuine_bug_is_a_logged_json_500(fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    def broken(question: str, top_k: int | None = None, history: object = ()) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fake_assistant, "ask", broken)
    with TestClient(create_app(fake_assistant), raise_server_exceptions=False) as c, \
            caplog.at_level(logging.ERROR, logger="assistant.server"):
        response = c.post("/api/ask", json={"question": "anything"})
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Internal server error")
    assert "boom" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


ODD_QUESTIONS = [
    "?", "!!!", "magnesium", "MAGNESIUM GLYCINATE???", "a" * 1000, "é" * 999, "🧲💊😴 sleep?", "日本語の質問です",
    "مرحبا", "<script>alert(1)</script>", "'; DROP TABLE chunks; --", "{{ 7*7 }}", "\u200b\u200b", "\t\nsleep\r\n",
    "how much\u00a0mg?", "magnesium " * 99, "0", "-1", "null", "true", "../../etc/passwd", "%00", "\\u0000",
]


@pytest.mark.parametrize("question", ODD_QUESTIONS)
def test_odd_questions_never_500(client: TestClient, question: str, caplog: pytest.LogCaptureFixture) -> None:
    texts = DocumentTexts(client.get)
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/ask", json={"question": question})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        check_answer(response.json(), texts)
    assert not [r for r in caplog.records if r.name.startswith("assistant")]
