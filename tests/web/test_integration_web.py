"""The API and the chat over the real model and the real index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.engine import Assistant
from assistant.server import create_app
from tests.web.conftest import DocumentTexts, check_answer, parse_html

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_client(real_assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(real_assistant), raise_server_exceptions=False) as c:
        yield c


def test_real_answers_follow_the_contract(real_client: TestClient, real_assistant: Assistant) -> None:
    texts = DocumentTexts(real_client.get)
    for question in real_assistant.example_questions() + ["What is the capital of France?"]:
        response = real_client.post("/api/ask", json={"question": question, "top_k": 3})
        assert response.status_code == 200, response.text
        check_answer(response.json(), texts, top_k=3)


def test_real_interaction_answer_is_cited(real_client: TestClient) -> None:
    body = real_client.post("/api/ask", json={"question": "Can I take magnesium with doxycycline?"}).json()
    assert body["answered"]
    assert any("oxycycline" in p["text"] for p in body["passages"])
    page = parse_html(real_client.post("/ask", data={"question": "Can I take magnesium with doxycycline?"}).text)
    assert page.find("a", cls="cite") is not None


def test_healthz_reports_the_real_model(real_client: TestClient) -> None:
    body = real_client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert body["build_id"]
