"""``POST /api/feedback``: 201 with an id, a real SQLite file at ``Settings.feedback_db``, clear 422s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.engine import Assistant
from assistant.feedback import FeedbackStore
from assistant.server import create_app

GOOD = {"question": "How much magnesium for sleep?", "rating": "up", "note": "helpful",
        "build_id": "20260101T000000Z", "passages": [{"document_id": "magnesium-glycinate-research",
                                                      "start": 0, "end": 40}]}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "feedback.sqlite3"


@pytest.fixture
def feedback_client(fake_assistant: Assistant, tiny_settings: Settings, db: Path) -> Iterator[TestClient]:
    settings = tiny_settings.model_copy(update={"feedback_db": db})
    with TestClient(create_app(fake_assistant, settings), raise_server_exceptions=False) as c:
        yield c


def test_feedback_is_stored_and_answered_with_its_id(feedback_client: TestClient, db: Path) -> None:
    first = feedback_client.post("/api/feedback", json=GOOD)
    second = feedback_client.post("/api/feedback", json={"question": " Why? ", "rating": "down"})
    assert first.status_code == 201 and second.status_code == 201
    assert second.json()["id"] > first.json()["id"]
    newest, oldest = FeedbackStore(db).list()
    assert (oldest.feedback.question, oldest.feedback.rating, oldest.feedback.note, oldest.feedback.build_id) == \
        (GOOD["question"], "up", "helpful", GOOD["build_id"])
    assert [(p.document_id, p.start, p.end) for p in oldest.feedback.passages] == \
        [("magnesium-glycinate-research", 0, 40)]
    assert (newest.feedback.question, newest.feedback.note, newest.feedback.build_id,
            newest.feedback.passages) == ("Why?", "", None, ())


@pytest.mark.parametrize(("change", "says"), [
    ({"rating": "meh"}, "rating"),
    ({"rating": None}, "rating"),
    ({"question": "  "}, "question must not be empty"),
    ({"question": "x" * 1001}, "limit is 1000"),
    ({"note": "n" * 2001}, "note"),
    ({"note": "a \x07 bell"}, "not allowed"),
    ({"build_id": "b" * 101}, "build_id"),
    ({"build_id": 7}, "build_id"),
    ({"passages": [{"document_id": "d", "start": 5, "end": 4}]}, "end (4) must not be before its start (5)"),
    ({"passages": [{"document_id": "d", "start": -1, "end": 4}]}, "passages.0.start"),
    ({"passages": [{"document_id": "d" * 201, "start": 0, "end": 1}]}, "document_id"),
    ({"passages": [{"document_id": "d", "start": 0, "end": 1, "text": "x"}]}, "Unknown field"),
    ({"passages": [{"document_id": "d", "start": 0, "end": 1}] * 21}, "passages"),
    ({"user": "someone"}, "Unknown field 'user'"),
])
def test_bad_feedback_is_a_422_and_nothing_is_stored(feedback_client: TestClient, db: Path,
                                                     change: dict, says: str) -> None:
    response = feedback_client.post("/api/feedback", json={**GOOD, **change})
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]
    assert FeedbackStore(db).list() == []


def test_a_missing_or_malformed_body_is_a_422(feedback_client: TestClient) -> None:
    assert feedback_client.post("/api/feedback").status_code == 422
    response = feedback_client.post("/api/feedback", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "not valid JSON" in response.json()["detail"]


def test_an_oversized_body_is_a_413(feedback_client: TestClient, db: Path) -> None:
    response = feedback_client.post("/api/feedback", json={**GOOD, "note": "n" * 70_000})
    assert response.status_code == 413
    assert FeedbackStore(db).list() == []


def test_an_unwritable_database_is_a_503_not_a_500(fake_assistant: Assistant, tiny_settings: Settings,
                                                    tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = tiny_settings.model_copy(update={"feedback_db": blocker / "feedback.sqlite3"})
    with TestClient(create_app(fake_assistant, settings), raise_server_exceptions=False) as c:
        response = c.post("/api/feedback", json=GOOD)
    assert response.status_code == 503 and "could not be stored" in response.json()["detail"]


def test_the_openapi_schema_documents_feedback(feedback_client: TestClient) -> None:
    op = feedback_client.get("/openapi.json").json()["paths"]["/api/feedback"]["post"]
    assert {"201", "413", "422"} <= op["responses"].keys()
