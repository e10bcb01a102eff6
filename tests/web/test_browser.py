"""End to end in real headless Chromium against a live server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.engine import Assistant
from assistant.server import create_app
from tests.web.conftest import EMERGENCY_TEXT, live_server, not_covered, with_notice

pytestmark = pytest.mark.browser

SCRIPT_QUESTION = "<script>alert(1)</script>"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


class Watch:
    """Collects dialogs, page errors and CSP violations of a page."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(message.text)


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15_000)
    yield p
    context.close()


def ask(page: Any, question: str) -> Any:
    """Type ``question`` into the labelled box, press Enter and wait for its answer; returns the exchange."""
    before = page.locator("article.exchange").count()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    exchange = page.locator("article.exchange").nth(before)
    exchange.locator(".bubble-answer").wait_for()
    return exchange


def test_ask_see_citation_and_open_the_source(page: Any, live_url: str, fake_assistant: Assistant) -> None:
    watch = Watch(page)
    page.goto(live_url + "/")
    page.evaluate("window.__samePage = true")
    question = "Can I take magnesium with doxycycline?"
    exchange = ask(page, question)
    assert page.evaluate("window.__samePage === true"), "the page reloaded"
    assert page.url == live_url + "/"
    assert page.locator("#busy").is_hidden()
    expected = fake_assistant.ask(question, 3).passages[0]
    first = exchange.locator("ol.passages > li").first
    assert first.locator("blockquote").text_content() == expected.text
    assert first.locator("blockquote mark").count() == 1
    chip = first.locator("a.cite")
    assert chip.text_content() == f"{expected.document_title} · {expected.section}"
    assert exchange.locator("aside.disclaimer blockquote").text_content()
    assert page.locator("#conversation").get_attribute("aria-live") == "polite"

    chip.click()
    page.wait_for_url("**/documents/**")
    mark = page.locator("mark#cite")
    mark.wait_for()
    assert mark.text_content() == expected.text
    assert page.locator(".cited-section").text_content() == expected.section
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'cite'")
    box = mark.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, "the cited span is scrolled into view"
    page.get_by_role("link", name="← Back to the chat").first.click()
    page.wait_for_url(live_url + "/")
    assert not watch.problems and not watch.dialogs


def test_script_question_runs_nothing(page: Any, live_url: str) -> None:
    watch = Watch(page)
    page.goto(live_url + "/")
    exchange = ask(page, SCRIPT_QUESTION)
    assert exchange.locator(".question-text").text_content() == SCRIPT_QUESTION
    page.wait_for_timeout(300)
    assert watch.dialogs == []
    assert page.evaluate("document.querySelectorAll('#conversation script').length") == 0


def test_example_question_and_conversation_history(page: Any, live_url: str,
                                                   fake_assistant: Assistant) -> None:
    page.goto(live_url + "/")
    example = fake_assistant.example_questions()[1]
    page.get_by_role("button", name=example).click()
    page.locator("article.exchange .bubble-answer").first.wait_for()
    ask(page, "Does magnesium help with anxiety?")
    assert page.locator("article.exchange").count() == 2
    assert page.locator(".question-text").all_text_contents() == [example, "Does magnesium help with anxiety?"]
    assert page.get_by_label("Your question").input_value() == ""


def test_empty_question_is_refused_in_the_page(page: Any, live_url: str) -> None:
    page.goto(live_url + "/")
    page.get_by_label("Your question").fill("    ")
    page.get_by_label("Your question").press("Enter")
    error = page.locator("#question-error")
    error.wait_for()
    assert error.text_content()
    assert page.locator("article.exchange").count() == 0
    assert page.get_by_label("Your question").get_attribute("aria-invalid") == "true"


def test_emergency_notice_is_shown_first(page: Any, fake_assistant: Assistant,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with_notice(fake_assistant, monkeypatch)
    with live_server(create_app(fake_assistant)) as url:
        page.goto(url + "/")
        exchange = ask(page, "I took an overdose of magnesium and my heart is slow")
        first = exchange.locator(".bubble-answer > *").first
        assert first.get_attribute("role") == "alert"
        assert EMERGENCY_TEXT in (first.text_content() or "")


def test_not_covered_offers_covered_questions(page: Any, fake_assistant: Assistant,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    not_covered(fake_assistant, monkeypatch)
    with live_server(create_app(fake_assistant)) as url:
        page.goto(url + "/")
        exchange = ask(page, "How do volcanoes form?")
        box = exchange.locator(".not-covered")
        assert "don’t cover" in (box.text_content() or "")
        offered = box.locator("button")
        assert offered.count() >= 1
        chosen = offered.first.get_attribute("value")
        offered.first.click()
        page.locator("article.exchange").nth(1).locator(".bubble-answer").wait_for()
        assert page.locator("article.exchange").nth(1).locator(".question-text").text_content() == chosen


def test_works_without_javascript(chromium: Any, live_url: str, fake_assistant: Assistant) -> None:
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(live_url + "/")
        page.get_by_label("Your question").fill("Is magnesium glycinate safe if I have kidney disease?")
        with page.expect_navigation():
            page.get_by_label("Your question").press("Enter")
        assert page.url == live_url + "/ask"
        assert page.locator(".bubble-answer").count() == 1
        assert page.locator("aside.disclaimer blockquote").text_content()
        href = page.locator("a.cite").first.get_attribute("href")
        assert href and href.startswith("/documents/") and href.endswith("#cite")
        page.locator("a.cite").first.click()
        page.wait_for_url("**/documents/**")
        assert page.locator("mark#cite").count() == 1

        page.goto(live_url + "/")
        page.get_by_label("Your question").fill(SCRIPT_QUESTION)
        with page.expect_navigation():
            page.get_by_role("button", name="Ask", exact=True).click()
        assert page.locator(".question-text").text_content() == SCRIPT_QUESTION
        assert watch.dialogs == []

        page.goto(live_url + "/")
        with page.expect_navigation():
            page.get_by_role("button", name=fake_assistant.example_questions()[0]).click()
        assert page.locator(".question-text").text_content() == fake_assistant.example_questions()[0]
    finally:
        context.close()


def test_script_and_server_render_the_same_answer(chromium: Any, live_url: str, fake_assistant: Assistant,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The JavaScript chat (from /api/ask) and the no-JavaScript page (/ask) show the same thing."""
    with_notice(fake_assistant, monkeypatch)
    html = """() => Array.from(document.querySelectorAll('.bubble-answer')).map(b =>
        [b.innerText.replace(/\\s+/g, ' ').trim(),
         Array.from(b.querySelectorAll('a, mark, [role=alert], section, aside'))
              .map(e => e.tagName + '|' + (e.getAttribute('href') || '') + '|' + e.className).join(';')])"""
    for question in ("Can I take magnesium with doxycycline?", "I fear an overdose: what are the side effects?"):
        rendered = []
        for js in (True, False):
            context = chromium.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
            try:
                page = context.new_page()
                page.goto(live_url + "/")
                if js:
                    ask(page, question)
                else:
                    page.get_by_label("Your question").fill(question)
                    with page.expect_navigation():
                        page.get_by_label("Your question").press("Enter")
                rendered.append(page.evaluate(html))
            finally:
                context.close()
        assert rendered[0] == rendered[1]
        # (the box title is upper-cased by CSS, and innerText reports it so)
        assert len(rendered[0]) == 1 and "disclaimer" in rendered[0][0][0].lower() and "MARK|" in rendered[0][0][1]
        assert ("overdose" in question) == ("role" in rendered[0][0][1] or "notice" in rendered[0][0][1])


@pytest.mark.parametrize("path", ["/", "/documents/magnesium-glycinate-research?start=3113&end=3230"])
def test_phone_width_has_no_horizontal_scroll(chromium: Any, live_url: str, path: str) -> None:
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(live_url + path)
        if path == "/":
            ask(page, "Can I take magnesium with doxycycline?")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert not watch.problems
    finally:
        context.close()


def test_keyboard_only(page: Any, live_url: str) -> None:
    page.goto(live_url + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "question":
            break
    else:
        pytest.fail("the question box is not reachable with Tab")
    page.keyboard.type("What are the side effects of magnesium glycinate?")
    page.keyboard.press("Enter")
    page.locator("article.exchange .bubble-answer").wait_for()
    assert page.evaluate("document.activeElement.id") == "question"


@pytest.mark.integration
def test_screenshot_of_a_real_answer(chromium: Any, real_assistant: Assistant, tmp_path: Path) -> None:
    """A real answer at 1280 px; ASSISTANT_UPDATE_SCREENSHOT=1 also saves it as docs/screenshot.png."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    try:
        page = context.new_page()
        watch = Watch(page)
        with live_server(create_app(real_assistant)) as url:
            page.goto(url + "/")
            exchange = ask(page, "How much magnesium glycinate should I take for sleep?")
            assert exchange.locator("ol.passages > li").count() >= 1
            page.evaluate("window.scrollTo(0, 0)")
            shot = tmp_path / "screenshot.png"
            page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert not watch.problems
        if os.environ.get("ASSISTANT_UPDATE_SCREENSHOT") == "1":
            SCREENSHOT.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, SCREENSHOT)
    finally:
        context.close()
