"""End to end in real headless Chromium against a live server on 127.0.0.1 (no other origin reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.engine import Assistant
from assistant.server import create_app
from tests.web.browser_helpers import DESKTOP, NARROW_DESKTOP, PHONE, Watch, app_page, ask, open_chat
from tests.web.conftest import EMERGENCY_TEXT, live_server, not_covered, with_notice

pytestmark = pytest.mark.browser

SCRIPT_QUESTION = "<script>alert(1)</script>"
TABLE_QUESTION = "Can I take magnesium with doxycycline?"


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    with app_page(chromium) as p:
        yield p


def test_ask_see_citation_and_open_the_source_page(chromium: Any, live_url: str, fake_assistant: Assistant) -> None:
    """Below the side-panel width a citation opens the source page (deep link) and comes back."""
    with app_page(chromium, viewport=NARROW_DESKTOP) as page:
        watch = Watch(page)
        open_chat(page, live_url)
        page.evaluate("window.__samePage = true")
        exchange = ask(page, TABLE_QUESTION)
        assert page.evaluate("window.__samePage === true"), "the page reloaded"
        assert page.url == live_url + "/"
        assert page.locator("#busy").is_hidden()
        expected = fake_assistant.ask(TABLE_QUESTION, 3).passages[0]
        first = exchange.locator("ol.passages > li").first
        quote = first.locator("blockquote")
        assert (quote.get_attribute("data-start"), quote.get_attribute("data-end")) == (str(expected.start),
                                                                                       str(expected.end))
        assert first.locator("blockquote mark").count() <= 1 or first.locator("li mark").count() >= 1
        chip = first.locator("a.cite")
        assert chip.text_content() == f"{expected.document_title} · {expected.section}"
        assert exchange.locator("footer.disclaimer blockquote").text_content()
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
        page.locator("article.exchange .bubble-answer").first.wait_for()  # the conversation is still there
        assert not watch.problems and not watch.dialogs


def test_script_question_runs_nothing(page: Any, live_url: str) -> None:
    watch = Watch(page)
    open_chat(page, live_url)
    exchange = ask(page, SCRIPT_QUESTION)
    assert exchange.locator(".question-text").text_content() == SCRIPT_QUESTION
    page.wait_for_timeout(300)
    assert watch.dialogs == []
    assert page.evaluate("document.querySelectorAll('#conversation script').length") == 0


def test_example_question_and_conversation_history(page: Any, live_url: str,
                                                   fake_assistant: Assistant) -> None:
    open_chat(page, live_url)
    example = fake_assistant.example_questions()[1]
    page.get_by_role("button", name=example).click()
    page.locator("article.exchange .bubble-answer").first.wait_for()
    page.wait_for_function("() => !document.querySelector('article.exchange.pending')")
    ask(page, "Does magnesium help with anxiety?")
    assert page.locator("article.exchange").count() == 2
    assert page.locator(".question-text").all_text_contents() == [example, "Does magnesium help with anxiety?"]
    assert page.get_by_label("Your question").input_value() == ""


def test_empty_question_is_refused_in_the_page(page: Any, live_url: str) -> None:
    open_chat(page, live_url)
    page.get_by_label("Your question").fill("    ")
    page.get_by_label("Your question").press("Enter")
    error = page.locator("#question-error")
    error.wait_for()
    assert error.text_content()
    assert page.locator("article.exchange").count() == 0
    assert page.get_by_label("Your question").get_attribute("aria-invalid") == "true"


def test_not_covered_offers_covered_questions(page: Any, fake_assistant: Assistant,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    not_covered(fake_assistant, monkeypatch)
    with live_server(create_app(fake_assistant)) as url:
        open_chat(page, url)
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
    with app_page(chromium, java_script_enabled=False) as page:
        watch = Watch(page)
        page.goto(live_url + "/")
        page.get_by_label("Your question").fill("Is magnesium glycinate safe if I have kidney disease?")
        with page.expect_navigation():
            page.get_by_label("Your question").press("Enter")
        assert page.url == live_url + "/ask"
        assert page.locator(".bubble-answer").count() == 1
        assert page.locator("footer.disclaimer blockquote").text_content()
        assert page.locator(".answer-tools").is_hidden(), "copy and feedback need the script"
        page.get_by_label("Your question").fill("And is it safe with my heart medication?")
        with page.expect_navigation():
            page.get_by_label("Your question").press("Enter")
        assert page.locator(".question-text").all_text_contents() == [
            "Is magnesium glycinate safe if I have kidney disease?", "And is it safe with my heart medication?"]
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

        with page.expect_navigation():
            page.get_by_role("link", name="New conversation").click()
        with page.expect_navigation():
            page.get_by_role("button", name=fake_assistant.example_questions()[0]).click()
        assert page.locator(".question-text").all_text_contents() == [fake_assistant.example_questions()[0]]


def test_script_and_server_render_the_same_answer(chromium: Any, live_url: str, fake_assistant: Assistant,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The JavaScript chat (from /api/ask) and the no-JavaScript page (/ask) show the same thing."""
    with_notice(fake_assistant, monkeypatch)
    shown = """() => Array.from(document.querySelectorAll('.bubble-answer')).map(b => {
        const copy = b.cloneNode(true); copy.querySelectorAll('.answer-tools').forEach(t => t.remove());
        return [copy.textContent.replace(/\\s+/g, ' ').trim(),
                Array.from(copy.querySelectorAll('a, mark, table, [role=alert], details, footer'))
                     .map(e => e.tagName + '|' + (e.getAttribute('href') || '') + '|' + e.className).join(';')]; })"""
    for question in (TABLE_QUESTION, "I fear an overdose: what are the side effects?"):
        rendered = []
        for js in (True, False):
            with app_page(chromium, java_script_enabled=js) as page:
                page.goto(live_url + "/")
                if js:
                    ask(page, question)
                else:
                    page.get_by_label("Your question").fill(question)
                    with page.expect_navigation():
                        page.get_by_label("Your question").press("Enter")
                rendered.append(page.evaluate(shown))
        assert rendered[0] == rendered[1]
        assert len(rendered[0]) == 1 and "disclaimer" in rendered[0][0][0].lower()
        assert ("overdose" in question) == ("notice" in rendered[0][0][1])


@pytest.mark.parametrize("path", ["/", "/documents/magnesium-glycinate-research?start=3113&end=3230"])
def test_phone_width_has_no_horizontal_scroll(chromium: Any, live_url: str, path: str) -> None:
    with app_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        watch = Watch(page)
        page.goto(live_url + path)
        if path == "/":
            page.wait_for_selector("#conversation[data-restored=true]", state="attached")
            exchange = ask(page, TABLE_QUESTION)
            for summary in exchange.locator("details.safety summary").all():
                summary.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert not watch.problems


def test_keyboard_only(page: Any, live_url: str) -> None:
    open_chat(page, live_url)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "question":
            break
    else:
        pytest.fail("the question box is not reachable with Tab")
    page.keyboard.type("What are the side effects of magnesium glycinate?")
    page.keyboard.press("Enter")
    page.locator("article.exchange .bubble-answer").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'question'")


def test_emergency_notice_is_first_with_its_heading_once_and_a_tel_link(
        page: Any, fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    with_notice(fake_assistant, monkeypatch)
    with live_server(create_app(fake_assistant)) as url:
        open_chat(page, url)
        exchange = ask(page, "I took an overdose of magnesium and my heart is slow")
        first = exchange.locator(".bubble-answer > *").first
        assert first.get_attribute("role") == "alert"
        text = " ".join((first.text_content() or "").split())
        assert text == EMERGENCY_TEXT, "the heading is the notice's first sentence, said once"
        cautions = exchange.locator("details.safety")
        assert cautions.count() == 0 or cautions.get_attribute("open") is not None


def test_a_tel_link_for_the_number_in_the_notice(page: Any, fake_assistant: Assistant,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from assistant.types import Notice

    ask_first = fake_assistant.ask
    monkeypatch.setattr(fake_assistant, "ask", lambda q, top_k=None, history=(): replace(
        ask_first(q, top_k, history), notice=Notice("emergency", "Act now. Ring 999 for an ambulance.")))
    with live_server(create_app(fake_assistant)) as url:
        open_chat(page, url)
        exchange = ask(page, "My friend fainted after taking magnesium")
        link = exchange.locator(".notice a.tel")
        assert link.get_attribute("href") == "tel:999" and link.is_visible()
        assert exchange.locator(".notice-title").text_content() == "Act now."


def test_side_panel_keeps_the_chat_on_wide_screens(chromium: Any, live_url: str, fake_assistant: Assistant) -> None:
    with app_page(chromium, viewport=DESKTOP) as page:
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url) if "/api/documents/" in r.url else None)
        open_chat(page, live_url)
        exchange = ask(page, TABLE_QUESTION)
        expected = fake_assistant.ask(TABLE_QUESTION, 3).passages
        chip = exchange.locator("ol.passages a.cite").first
        chip.click()
        panel = page.locator("#source-panel")
        panel.locator("mark#panel-cite").wait_for()
        assert page.url == live_url + "/", "the chat stays"
        assert panel.locator("mark#panel-cite").text_content() == expected[0].text
        assert panel.locator("#panel-title").text_content() == expected[0].document_title
        assert page.locator("#ask-form").is_visible() and exchange.is_visible()
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'panel-cite'")
        assert panel.locator("#panel-open").get_attribute("href") == chip.get_attribute("href")
        same_doc = [i for i, p in enumerate(expected) if p.document_id == expected[0].document_id and i]
        if same_doc:
            exchange.locator("ol.passages a.cite").nth(same_doc[0]).click()
            panel.locator("mark#panel-cite").wait_for()
            assert panel.locator("mark#panel-cite").text_content() == expected[same_doc[0]].text
        page.keyboard.press("Escape")
        assert panel.is_hidden()
        assert len([u for u in fetched if expected[0].document_id in u]) == 1, "one fetch per document"


def test_citation_preview_on_hover_and_focus(page: Any, live_url: str, fake_assistant: Assistant) -> None:
    open_chat(page, live_url)
    exchange = ask(page, TABLE_QUESTION)
    p = fake_assistant.ask(TABLE_QUESTION, 3).passages[0]
    chip = exchange.locator("ol.passages a.cite").first
    preview = exchange.locator("ol.passages .preview").first
    assert preview.is_hidden()
    chip.hover()
    preview.wait_for(state="visible")
    text = preview.text_content() or ""
    assert p.document_title in text and p.section in text
    page.keyboard.press("Escape")
    preview.wait_for(state="hidden")
    page.mouse.move(0, 0)
    page.get_by_label("Your question").focus()
    chip.focus()
    preview.wait_for(state="visible")
    box, viewport = preview.bounding_box(), DESKTOP
    assert box is not None and box["x"] + box["width"] <= viewport["width"]


CLEAN_JS = """() => Array.from(document.querySelectorAll('article.exchange blockquote.quote')).map(q => ({
    text: q.innerText, raw: q.textContent, kind: q.closest('ol.passages') ? 'answer' : 'other', marks: q.querySelectorAll('mark').length,
    tables: q.querySelectorAll('table th').length,
    dangling: Array.from(q.querySelectorAll('sup.fn a')).filter(a => !document.getElementById(a.hash.slice(1))).length
}))"""


def test_quotes_are_clean_in_the_page(page: Any, live_url: str) -> None:
    open_chat(page, live_url)
    for question in (TABLE_QUESTION, "What are the side effects of magnesium glycinate?",
                     "How much magnesium glycinate should I take for sleep?"):
        ask(page, question)
    quotes = page.evaluate(CLEAN_JS)
    assert quotes
    for q in quotes:
        assert "\t" not in q["raw"] and "**" not in q["raw"]
        assert not any(line.lstrip().startswith(("- ", "•", "* ")) for line in q["text"].splitlines()), q["text"]
        assert q["dangling"] == 0, "every footnote link has its reference in the page"
        if q["kind"] != "answer":
            assert q["marks"] == 0, "cautions and the disclaimer are not highlighted"
    assert any(q["tables"] >= 2 for q in quotes), "a table row is shown under its headers"
    assert page.locator("sup.fn a").count() >= 1
    link = page.locator("sup.fn a").first
    link.click()
    page.wait_for_function("() => location.hash && document.querySelector(location.hash + ':target')")


def test_keyboard_reaches_a_citation_its_preview_and_the_side_panel(page: Any, live_url: str) -> None:
    open_chat(page, live_url)
    exchange = ask(page, TABLE_QUESTION)
    chip = exchange.locator("ol.passages a.cite").first
    page.evaluate("document.querySelector('ol.passages figure').closest('li').scrollIntoView()")
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.matches('ol.passages a.cite')"):
            break
    else:
        pytest.fail("no citation is reachable with the keyboard")
    focused = page.locator("ol.passages a.cite:focus")
    focused.locator("xpath=..").locator(".preview").wait_for(state="visible")
    page.keyboard.press("Enter")
    page.locator("#panel-cite").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'panel-cite'")
    page.keyboard.press("Escape")
    assert page.locator("#source-panel").is_hidden()
    assert page.evaluate("document.activeElement.matches('ol.passages a.cite')"), "focus goes back to the citation"
    assert chip.count() == 1
