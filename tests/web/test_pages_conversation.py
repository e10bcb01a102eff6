"""The conversation without JavaScript (history in the form), the exchange fragment the script shows,
follow-up context, the emergency layout and what copy / feedback are given."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from assistant.engine import Assistant
from assistant.schemas import answer_out
from assistant.types import Answer, FollowUp, Notice
from tests.web.conftest import Node, parse_html

FIRST = "Which magnesium form is gentlest on the stomach?"
SECOND = "And how much of it at bedtime?"
NOTICE = "Get help right away. Call 112 or +44 20 7946 0000 now, and stay with the person."


def questions(page: Node) -> list[str]:
    return [p.text() for p in page.find_all("p", cls="question-text")]


def hidden_history(page: Node) -> list[str]:
    form = page.find("form", id="ask-form")
    assert form is not None
    return [i.attrs["value"] or "" for i in form.find_all("input", type="hidden") if i.attrs.get("name") == "history"]


def test_the_form_carries_the_conversation(client: TestClient) -> None:
    page = parse_html(client.post("/ask", data={"question": FIRST}).text)
    assert questions(page) == [FIRST] and hidden_history(page) == [FIRST]
    response = client.post("/ask", data={"question": SECOND, "history": hidden_history(page)})
    page = parse_html(response.text)
    assert response.status_code == 200
    assert questions(page) == [FIRST, SECOND]
    assert hidden_history(page) == [FIRST, SECOND]
    assert [a.attrs["id"] for a in page.find_all("article", cls="exchange")] == ["exchange-0", "exchange-1"]
    intro = page.find("div", id="intro")
    assert intro is not None and "hidden" in intro.attrs


def test_the_form_keeps_the_last_five_earlier_questions(client: TestClient) -> None:
    earlier = [f"Question number {i} about magnesium?" for i in range(5)]
    page = parse_html(client.post("/ask", data={"question": SECOND, "history": earlier}).text)
    assert questions(page) == [*earlier, SECOND]
    assert hidden_history(page) == [*earlier[1:], SECOND]


def test_history_is_sent_to_the_assistant_oldest_first(client: TestClient, fake_assistant: Assistant,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []
    ask = fake_assistant.ask

    def recording(question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        seen.append((question, tuple(history)))
        return ask(question, top_k, history)

    monkeypatch.setattr(fake_assistant, "ask", recording)
    client.post("/ask", data={"question": SECOND, "history": [FIRST, "A second one?"]})
    assert seen == [(FIRST, ()), ("A second one?", (FIRST,)), (SECOND, (FIRST, "A second one?"))]


@pytest.mark.parametrize("history", [[f"q{i}" for i in range(6)], ["fine", "   "], ["x" * 1001]])
def test_bad_history_is_a_422_that_names_it(client: TestClient, history: list[str]) -> None:
    response = client.post("/ask", data={"question": FIRST, "history": history})
    assert response.status_code == 422
    error = parse_html(response.text).find("p", id="question-error")
    assert error is not None and "history" in error.text().lower()


def test_a_follow_up_says_which_question_it_was_read_with(client: TestClient, fake_assistant: Assistant,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ask = fake_assistant.ask

    def with_context(question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        answer = ask(question, top_k, history)
        return replace(answer, context=FollowUp(history[-1], len(history) - 1)) if history else answer

    monkeypatch.setattr(fake_assistant, "ask", with_context)
    page = parse_html(client.post("/ask", data={"question": SECOND, "history": [FIRST]}).text)
    notes = page.find_all("p", cls="context-note")
    assert len(notes) == 1 and FIRST in notes[0].text()
    article = page.find_all("article", cls="exchange")[1]
    assert f"Answered in the context of: {FIRST}" in (article.attrs["data-markdown"] or "")


def test_the_fragment_is_the_exchange_the_form_page_shows(client: TestClient, fake_assistant: Assistant) -> None:
    answer = client.post("/api/ask", json={"question": FIRST}).json()
    response = client.post("/fragments/exchange", json={"index": 0, "answer": answer})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    fragment = parse_html(response.text).find("article", cls="exchange")
    page = parse_html(client.post("/ask", data={"question": FIRST}).text).find("article", cls="exchange")
    assert fragment is not None and page is not None
    assert fragment.text().split() == page.text().split()
    assert fragment.attrs == page.attrs


@pytest.mark.parametrize("change", ["text", "start", "unknown"])
def test_the_fragment_refuses_what_is_not_an_exact_slice(client: TestClient, change: str) -> None:
    answer = client.post("/api/ask", json={"question": FIRST}).json()
    body: dict = {"index": 0, "answer": answer}
    passage = (answer["passages"] or answer["safety"] or [answer["disclaimer"]])[0]
    if change == "text":
        passage["text"] = "Take ten grams a day." + passage["text"][21:]
    elif change == "start":
        passage["start"] += 1
    else:
        body["extra"] = True
    response = client.post("/fragments/exchange", json=body)
    assert response.status_code == 422 and response.json()["detail"]


def test_the_emergency_notice_says_its_heading_once_and_links_the_numbers(
        client: TestClient, fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    ask = fake_assistant.ask
    monkeypatch.setattr(fake_assistant, "ask", lambda q, top_k=None, history=(): replace(
        ask(q, top_k, history), notice=Notice("emergency", NOTICE)))
    page = parse_html(client.post("/ask", data={"question": FIRST}).text)
    notice = page.find("div", cls="notice")
    assert notice is not None
    title, body = notice.find("p", cls="notice-title"), notice.find("p", cls="notice-text")
    assert title is not None and body is not None
    assert title.text() == "Get help right away."
    assert "Get help right away" not in body.text()
    assert " ".join((title.text() + " " + body.text()).split()) == NOTICE
    assert [(a.attrs["href"], a.text()) for a in body.find_all("a")] == [
        ("tel:112", "112"), ("tel:+442079460000", "+44 20 7946 0000")]
    cautions = page.find("details", cls="safety")
    assert cautions is None or "open" in cautions.attrs, "with a notice, the cautions are shown open"


def test_copy_and_feedback_carry_the_citations_and_the_passages_shown(client: TestClient,
                                                                      fake_assistant: Assistant) -> None:
    answer = fake_assistant.ask(FIRST, 3)
    page = parse_html(client.post("/ask", data={"question": FIRST}).text)
    article = page.find("article", cls="exchange")
    assert article is not None
    markdown = article.attrs["data-markdown"] or ""
    assert markdown.startswith(f"## {FIRST}")
    for p in (*answer.passages, answer.disclaimer):
        assert f"{p.document_title}, {p.section}" in markdown
        assert f"/documents/{p.document_id}?start={p.start}&end={p.end}#cite" in markdown
    tools = article.find("div", cls="answer-tools")
    assert tools is not None and "hidden" in tools.attrs, "copy and feedback need the script"
    box = tools.find("div", cls="feedback")
    assert box is not None
    data = json.loads(box.attrs["data-feedback"] or "")
    shown = [*answer.passages, *answer.safety]
    assert data == {"question": FIRST, "build_id": answer_out(answer).build_id,
                    "passages": [{"document_id": p.document_id, "start": p.start, "end": p.end} for p in shown]}
    assert [b.attrs["data-rating"] for b in box.find_all("button", cls="rate")] == ["up", "down"]
