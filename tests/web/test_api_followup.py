"""``POST /api/ask`` with ``history``: validated like ``question``, and the answer's ``context`` / ``build_id``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.engine import Assistant

EARLIER = "Is magnesium glycinate safe with kidney disease?"


def test_a_follow_up_names_the_earlier_question_it_used(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Why?", "history": ["How much for sleep?", EARLIER]}).json()
    assert body["question"] == "Why?" and body["answered"]
    assert body["context"] == {"question": EARLIER, "history_index": 1}


def test_without_history_there_is_no_context_and_the_build_is_named(client: TestClient,
                                                                     fake_assistant: Assistant) -> None:
    body = client.post("/api/ask", json={"question": "Can I take magnesium with doxycycline?"}).json()
    assert body["context"] is None
    assert body["build_id"] == fake_assistant.index.build_id


def test_history_is_cleaned_like_the_question(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Why?", "history": [f"  {EARLIER}\n"]}).json()
    assert body["context"] == {"question": EARLIER, "history_index": 0}


@pytest.mark.parametrize(("history", "says"), [
    (["q"] * 6, "history"),
    ([""], "history item 0"),
    (["ok", "   "], "history item 1"),
    (["x" * 1001], "limit is 1000"),
    (["bad \x00 char"], "not allowed"),
    ([3], "history.0"),
    ("just one string", "history"),
    ({"0": "a"}, "history"),
])
def test_bad_history_is_a_422_that_says_what_is_wrong(client: TestClient, history: object, says: str) -> None:
    response = client.post("/api/ask", json={"question": "Why?", "history": history})
    assert response.status_code == 422
    assert says in response.json()["detail"]
    assert any(e["field"].startswith("history") for e in response.json()["errors"])


def test_the_openapi_schema_documents_history_and_context(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["AskRequest"]["properties"]["history"]["maxItems"] == 5
    assert {"context", "build_id"} <= schemas["AnswerOut"]["properties"].keys()
