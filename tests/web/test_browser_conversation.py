"""The conversation in Chromium: it survives a reload, follow-ups carry history, the question box stays in view,
copy and export, feedback, and AA contrast in the light and the dark theme."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.engine import Assistant
from assistant.server import create_app
from assistant.types import Answer, FollowUp
from tests.web.browser_helpers import PHONE, Watch, app_page, ask, low_contrast, open_chat
from tests.web.conftest import live_server, with_notice

pytestmark = pytest.mark.browser

FIRST = "Can I take magnesium with doxycycline?"
FOLLOW_UP = "How many hours apart should I take them?"


def follows(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``assistant`` read every question with history as a follow-up of the last earlier question."""
    ask_first = assistant.ask

    def with_context(question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        answer = ask_first(question, top_k, history)
        return replace(answer, context=FollowUp(history[-1], len(history) - 1)) if history else answer

    monkeypatch.setattr(assistant, "ask", with_context)


def test_the_conversation_survives_a_reload_and_new_conversation_clears_it(chromium: Any, live_url: str) -> None:
    with app_page(chromium) as page:
        watch = Watch(page)
        open_chat(page, live_url)
        ask(page, FIRST)
        ask(page, "Does magnesium help with anxiety?")
        page.reload()
        page.wait_for_selector("#conversation[data-restored=true]", state="attached")
        assert page.locator(".question-text").all_text_contents() == [FIRST, "Does magnesium help with anxiety?"]
        assert page.locator("article.exchange .answer-tools").first.is_visible()
        assert page.locator("#intro").is_hidden()
        page.get_by_role("link", name="New conversation").click()
        assert page.locator("article.exchange").count() == 0 and page.locator("#intro").is_visible()
        assert page.url == live_url + "/"
        page.reload()
        page.wait_for_selector("#conversation[data-restored=true]", state="attached")
        assert page.locator("article.exchange").count() == 0
        assert not watch.problems


def test_a_follow_up_sends_the_earlier_questions_and_says_which_it_used(
        chromium: Any, fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    follows(fake_assistant, monkeypatch)
    with live_server(create_app(fake_assistant)) as url, app_page(chromium) as page:
        sent: list[dict] = []
        page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/api/ask") else None)
        open_chat(page, url)
        first = ask(page, FIRST)
        assert first.locator(".context-note").count() == 0
        second = ask(page, FOLLOW_UP)
        assert sent == [{"question": FIRST}, {"question": FOLLOW_UP, "history": [FIRST]}]
        note = second.locator(".context-note")
        assert " ".join((note.text_content() or "").split()) == f"Answered in the context of: {FIRST}"
        page.reload()
        page.wait_for_selector("#conversation[data-restored=true]", state="attached")
        assert page.locator("article.exchange").nth(1).locator(".context-note").count() == 1


def test_the_question_box_stays_in_view(chromium: Any, live_url: str) -> None:
    with app_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        open_chat(page, live_url)
        for q in (FIRST, "Does magnesium help with anxiety?", "What are the side effects of magnesium glycinate?"):
            ask(page, q)
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height > 2 * PHONE["height"], "the conversation is long enough to scroll"
        for y in (0, height // 2):
            page.evaluate(f"window.scrollTo(0, {y})")
            box = page.locator("#question").bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_copy_an_answer_as_markdown_with_its_citations(chromium: Any, live_url: str,
                                                      fake_assistant: Assistant) -> None:
    with app_page(chromium) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
        open_chat(page, live_url)
        exchange = ask(page, FIRST)
        exchange.get_by_role("button", name="Copy as Markdown").click()
        exchange.locator(".tool-status").filter(has_text="Copied").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        p = fake_assistant.ask(FIRST, 3).passages[0]
        assert copied.startswith(f"## {FIRST}")
        assert f"{p.document_title}, {p.section}" in copied
        assert f"{live_url}/documents/{p.document_id}?start={p.start}&end={p.end}#cite" in copied
        assert "\t" not in copied


def test_export_the_conversation_as_markdown_and_json(chromium: Any, live_url: str, tmp_path: Path) -> None:
    with app_page(chromium, accept_downloads=True) as page:
        open_chat(page, live_url)
        ask(page, FIRST)
        ask(page, "Does magnesium help with anxiety?")
        with page.expect_download() as md:
            page.get_by_role("button", name="Export Markdown").click()
        with page.expect_download() as js:
            page.get_by_role("button", name="Export JSON").click()
        markdown = Path(md.value.path()).read_text()
        data = json.loads(Path(js.value.path()).read_text())
        assert md.value.suggested_filename.endswith(".md") and js.value.suggested_filename.endswith(".json")
        assert markdown.index(f"## {FIRST}") < markdown.index("## Does magnesium help with anxiety?")
        assert [e["question"] for e in data["exchanges"]] == [FIRST, "Does magnesium help with anxiety?"]
        assert all(e["answer"]["disclaimer"]["text"] for e in data["exchanges"])


def test_feedback_is_sent_only_when_asked_and_thanked(chromium: Any, live_url: str,
                                                     fake_assistant: Assistant) -> None:
    with app_page(chromium) as page:
        posted: list[dict] = []

        def store(route: Any) -> None:
            posted.append(route.request.post_data_json)
            route.fulfill(status=201, content_type="application/json", body='{"id": 1}')

        page.route("**/api/feedback", store)
        open_chat(page, live_url)
        exchange = ask(page, FIRST)
        up = exchange.get_by_role("button", name="👍 Helpful")
        up.click()
        assert up.get_attribute("aria-pressed") == "true"
        exchange.get_by_label("A note (optional)").fill("Clear, thank you.")
        page.wait_for_timeout(200)
        assert posted == [], "choosing a rating sends nothing yet"
        exchange.get_by_role("button", name="Send feedback").click()
        exchange.locator(".tool-status").filter(has_text="Thanks").wait_for()
        answer = fake_assistant.ask(FIRST, 3)
        shown = [*answer.passages, *answer.safety]
        assert posted == [{"question": FIRST, "rating": "up", "note": "Clear, thank you.", "build_id": answer.build_id,
                           "passages": [{"document_id": p.document_id, "start": p.start, "end": p.end}
                                        for p in shown]}]
        assert exchange.locator(".feedback").is_hidden()


def test_feedback_reaches_the_api(chromium: Any, fake_assistant: Assistant, tmp_path: Path) -> None:
    """Against the real endpoint: the page's body is one the API accepts (201), 👎 without a note."""
    settings = fake_assistant.settings.model_copy(update={"feedback_db": tmp_path / "feedback.sqlite3"})
    with live_server(create_app(fake_assistant, settings)) as url, app_page(chromium) as page:
        statuses: list[int] = []
        page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/api/feedback") else None)
        open_chat(page, url)
        exchange = ask(page, FIRST)
        exchange.get_by_role("button", name="👎 Not helpful").click()
        exchange.get_by_role("button", name="Send feedback").click()
        exchange.locator(".tool-status").filter(has_text="Thanks").wait_for()
        assert statuses == [201]
        assert (tmp_path / "feedback.sqlite3").stat().st_size > 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_aa_in_both_themes(chromium: Any, fake_assistant: Assistant, scheme: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with_notice(fake_assistant, monkeypatch)
    follows(fake_assistant, monkeypatch)
    with live_server(create_app(fake_assistant)) as url, app_page(chromium, color_scheme=scheme) as page:
        open_chat(page, url)
        ask(page, FIRST)
        exchange = ask(page, "I fear an overdose: what are the side effects?")
        for summary in page.locator("details.safety summary").all():
            summary.click()
        exchange.locator(".rate").first.click()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(15, 20, 25)") == (scheme == "dark")
        assert low_contrast(page) == []
        page.locator("ol.passages a.cite").first.hover()
        page.locator("ol.passages .preview").first.wait_for(state="visible")
        assert low_contrast(page) == []
        assert page.locator(".bubble-user .who").first.is_visible()
