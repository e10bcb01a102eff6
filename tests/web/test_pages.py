"""Server-rendered HTML: the chat without JavaScript, the source viewer, escaping and CSP-compatible markup."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from assistant.engine import Assistant
from assistant.types import Passage
from tests.web.conftest import EMERGENCY_TEXT, Node, not_covered, parse_html, with_notice

SCRIPT_QUESTION = "<script>alert(1)</script>"


def assert_csp_friendly(page: Node) -> None:
    """Nothing the CSP would block: no inline scripts, inline styles, event handlers or javascript: URLs."""
    for node in page.iter():
        if node.tag == "script":
            assert (node.attrs.get("src") or "").startswith("/static/"), "inline or foreign script"
            assert not node.text().strip()
        assert node.tag != "style"
        assert "style" not in node.attrs
        assert not [a for a in node.attrs if a.startswith("on")]
        for attr in ("href", "src", "action"):
            assert not (node.attrs.get(attr) or "").lower().startswith("javascript:")


def test_chat_page(client: TestClient, fake_assistant: Assistant) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = parse_html(response.text)
    assert_csp_friendly(page)
    form = page.find("form", id="ask-form")
    assert form is not None and form.attrs["method"] == "post" and form.attrs["action"] == "/ask"
    field = form.find("input", id="question")
    assert field is not None and field.attrs["name"] == "question"
    label = page.find("label")
    assert label is not None and label.attrs["for"] == "question"
    assert form.find("button", type="submit") is not None
    conversation = page.find("section", id="conversation")
    assert conversation is not None and conversation.attrs["aria-live"] == "polite"
    examples = [b.attrs["value"] for b in page.find_all("button", cls="example")]
    assert examples == fake_assistant.example_questions()
    assert page.find("html").attrs["lang"] == "en"  # type: ignore[union-attr]
    assert page.find("meta", name="viewport") is not None


def words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text))


def shown_text(node: Node) -> str:
    """The text a quote shows from its slice: everything but table headers (which come from the document)."""
    return "".join(c if isinstance(c, str) else " " + shown_text(c) + " " for c in node.children
                   if isinstance(c, str) or c.tag != "th")


def assert_shows_the_slice(quote: Node, p: Passage) -> None:
    """The clean quote shows the slice's words in order (markup such as asterisks, bullets and tabs aside)."""
    assert quote.attrs["data-start"] == str(p.start) and quote.attrs["data-end"] == str(p.end)
    shown, source = words(shown_text(quote)), words(p.text)
    assert shown and "\t" not in quote.text()
    pos = 0
    for w in shown:  # every shown word comes from the slice, in its order
        pos = source.index(w, pos) + 1


def test_form_post_renders_an_answer(client: TestClient, fake_assistant: Assistant) -> None:
    question = "Can I take magnesium with doxycycline?"
    response = client.post("/ask", data={"question": question})
    assert response.status_code == 200
    page = parse_html(response.text)
    assert_csp_friendly(page)
    answer = fake_assistant.ask(question, 3)
    assert page.find("p", cls="question-text").text() == question  # type: ignore[union-attr]
    figures = page.find("ol", cls="passages").find_all("figure", cls="passage")  # type: ignore[union-attr]
    assert len(figures) == len(answer.passages)
    for figure, p in zip(figures, answer.passages, strict=True):
        quote = figure.find("blockquote")
        assert quote is not None
        assert_shows_the_slice(quote, p)
        marks = quote.find_all("mark")
        if marks:
            assert p.highlight is not None
            sentence = p.text[p.highlight.start - p.start:p.highlight.end - p.start]
            assert words("".join(m.text() for m in marks)) == words(sentence)
        chip = figure.find("a", cls="cite")
        assert chip is not None and chip.text() == f"{p.document_title} · {p.section}"
        url = urlsplit(chip.attrs["href"] or "")
        assert url.path == f"/documents/{p.document_id}" and url.fragment == "cite"
        assert parse_qs(url.query) == {"start": [str(p.start)], "end": [str(p.end)]}
        preview = figure.find("span", cls="preview")
        assert preview is not None and p.document_title in preview.text() and p.section in preview.text()
        if p.evidence:
            evidence = figure.find("span", cls="evidence")
            assert evidence is not None and evidence.text() == p.evidence
        refs = figure.find("ol", cls="refs")
        for ref, item in zip(p.references, refs.find_all("li") if refs else [], strict=True):
            link = item.find("a")
            assert f"[{ref.number}]" in item.text()
            if ref.url:
                assert link is not None and link.attrs["href"] == ref.url and link.text() == ref.title
                assert link.attrs["rel"] == "noopener noreferrer"
    disclaimer = page.find("footer", cls="disclaimer")
    assert disclaimer is not None
    assert_shows_the_slice(disclaimer.find("blockquote"), answer.disclaimer)  # type: ignore[arg-type]
    assert disclaimer.find("mark") is None


def test_a_table_row_is_shown_under_its_column_headers(client: TestClient, fake_assistant: Assistant) -> None:
    for question in ("Can I take magnesium with doxycycline?", "upper limit for magnesium by age",
                     "magnesium forms compared by bioavailability"):
        rows = [p for p in fake_assistant.ask(question, 5).passages if "\t" in p.text.strip()]
        if rows:
            break
    else:
        pytest.skip("no table row among these answers")
    page = parse_html(client.post("/ask", data={"question": question, "top_k": "5"}).text)
    quote = next(q for q in page.find_all("blockquote") if q.attrs["data-start"] == str(rows[0].start))
    table = quote.find("table")
    assert table is not None
    headers = [th.text() for th in table.find_all("th")]
    cells = [td.text() for td in table.find_all("td")]
    assert len(headers) >= 2 and len(cells) == len(headers)
    doc = fake_assistant.document(rows[0].document_id)
    assert doc is not None
    header_line = next(line for line in doc.text[:rows[0].start].splitlines()[::-1]
                       if words(line)[:2] == words(headers[0] + " " + headers[1])[:2])
    assert header_line.count("\t") >= 1  # the headers are the document's own header row
    for cell, td in zip(rows[0].text.split("\t"), table.find_all("td"), strict=False):
        assert words(td.text())[:1] == words(cell)[:1]
        assert td.attrs["data-label"] in headers


def test_references_are_rendered_when_the_source_cites_works(client: TestClient, fake_assistant: Assistant) -> None:
    for question in ("Can I take magnesium with doxycycline?", "magnesium fluoroquinolone antibiotics absorption"):
        answer = fake_assistant.ask(question, 5)
        cited = [r for p in answer.passages for r in p.references if r.url]
        if cited:
            break
    else:
        pytest.skip("no passage with references for these questions")
    page = parse_html(client.post("/ask", data={"question": question, "top_k": "5"}).text)
    links = {a.attrs["href"]: a for a in page.find_all("a") if a.attrs.get("rel") == "noopener noreferrer"}
    assert cited[0].url in links


def test_safety_box_shows_cautions_not_already_quoted(client: TestClient, fake_assistant: Assistant) -> None:
    question = "What are the side effects of magnesium glycinate?"
    answer = fake_assistant.ask(question, 3)
    page = parse_html(client.post("/ask", data={"question": question}).text)
    quoted = {(p.document_id, p.start, p.end) for p in answer.passages}
    extra = [s for s in answer.safety if (s.document_id, s.start, s.end) not in quoted]
    box = page.find("details", cls="safety")
    if not extra:
        assert box is None
        return
    assert box is not None and "open" not in box.attrs
    assert "Cautions from the sources" in box.find("summary").text()  # type: ignore[union-attr]
    quotes = box.find_all("blockquote")
    assert [q.attrs["data-start"] for q in quotes] == [str(s.start) for s in extra]
    assert all(q.find("mark") is None for q in quotes), "cautions are not highlighted"


def test_script_question_is_escaped(client: TestClient) -> None:
    response = client.post("/ask", data={"question": SCRIPT_QUESTION})
    assert response.status_code == 200
    assert SCRIPT_QUESTION not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    page = parse_html(response.text)
    assert page.find("p", cls="question-text").text() == SCRIPT_QUESTION  # type: ignore[union-attr]
    assert all(s.attrs.get("src") for s in page.find_all("script"))


def test_script_question_is_escaped_when_invalid(client: TestClient) -> None:
    long_script = SCRIPT_QUESTION * 100  # too long: re-shown in the box with an error
    response = client.post("/ask", data={"question": long_script})
    assert response.status_code == 422
    assert "<script>alert" not in response.text
    page = parse_html(response.text)
    assert "1000" in page.find("p", id="question-error").text()  # type: ignore[union-attr]


@pytest.mark.parametrize("data", [{}, {"question": ""}, {"question": "   "}, {"question": "ok", "top_k": "99"},
                                  {"question": "ok", "top_k": "many"}])
def test_invalid_form_posts_explain_the_problem(client: TestClient, data: dict) -> None:
    response = client.post("/ask", data=data)
    assert response.status_code == 422
    page = parse_html(response.text)
    error = page.find("p", id="question-error")
    assert error is not None and error.text().strip() and "hidden" not in error.attrs
    assert page.find("input", id="question").attrs.get("aria-invalid") == "true"  # type: ignore[union-attr]


def test_malformed_form_bodies_are_not_500(client: TestClient) -> None:
    response = client.post("/ask", content=b"--xx\r\nbroken", headers={"content-type": "multipart/form-data"})
    assert response.status_code == 422
    response = client.post("/ask", content=b"\xff\xfe=\xff", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code in (200, 422)
    assert client.get("/ask", follow_redirects=False).status_code == 303


def test_not_covered_lists_questions_the_sources_cover(client: TestClient, fake_assistant: Assistant,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    not_covered(fake_assistant, monkeypatch)
    page = parse_html(client.post("/ask", data={"question": "How do volcanoes form?"}).text)
    box = page.find("div", cls="not-covered")
    assert box is not None and "don’t cover" in box.text()
    offered = [b.attrs["value"] for b in box.find_all("button")]
    assert offered and set(offered) <= set(fake_assistant.example_questions())
    assert page.find("ol", cls="passages") is None
    assert page.find("footer", cls="disclaimer") is not None


def test_emergency_notice_comes_first(client: TestClient, fake_assistant: Assistant,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with_notice(fake_assistant, monkeypatch)
    page = parse_html(client.post("/ask", data={"question": "I took an overdose and feel faint"}).text)
    bubble = page.find("div", cls="bubble-answer")
    assert bubble is not None
    first = next(c for c in bubble.children if not isinstance(c, str))
    assert first.attrs.get("role") == "alert" and EMERGENCY_TEXT in first.text()


def test_source_viewer_marks_the_cited_span(client: TestClient, fake_assistant: Assistant) -> None:
    p = fake_assistant.ask("Can I take magnesium with doxycycline?", 3).passages[0]
    response = client.get(f"/documents/{p.document_id}", params={"start": p.start, "end": p.end})
    assert response.status_code == 200
    page = parse_html(response.text)
    assert_csp_friendly(page)
    doc = fake_assistant.document(p.document_id)
    assert doc is not None
    pre = page.find("pre", cls="doc-text")
    assert pre is not None and pre.text() == doc.text
    mark = pre.find("mark", id="cite")
    assert mark is not None and mark.text() == p.text
    assert page.find("strong", cls="cited-section").text() == p.section  # type: ignore[union-attr]
    assert page.find("h1").text() == doc.title  # type: ignore[union-attr]
    assert any(a.attrs.get("href") == "/" for a in page.find_all("a"))


@pytest.mark.parametrize("query", ["start=10&end=5", "start=-1&end=5", "start=0&end=99999999", "start=a&end=b",
                                   "start=5", "end=5", "start=&end=", "start=1e3&end=2e3"])
def test_source_viewer_ignores_bad_ranges(client: TestClient, fake_assistant: Assistant, query: str) -> None:
    doc = fake_assistant.documents()[0]
    response = client.get(f"/documents/{doc.id}?{query}")
    assert response.status_code == 200
    page = parse_html(response.text)
    assert page.find("mark") is None
    assert page.find("pre", cls="doc-text").text() == doc.text  # type: ignore[union-attr]


def test_source_viewer_without_range(client: TestClient, fake_assistant: Assistant) -> None:
    doc = fake_assistant.documents()[0]
    page = parse_html(client.get(f"/documents/{doc.id}").text)
    assert page.find("mark") is None and page.find("p", cls="warn") is None


def test_unknown_document_page_is_404(client: TestClient) -> None:
    response = client.get("/documents/nope")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    page = parse_html(response.text)
    assert "not found" in page.find("h1").text().lower()  # type: ignore[union-attr]
    other = client.get("/no/such/page", headers={"accept": "text/html"})
    assert other.status_code == 404 and other.headers["content-type"].startswith("text/html")
    assert client.get("/no/such/page").headers["content-type"].startswith("application/json")


def test_documents_page_lists_every_source(client: TestClient, fake_assistant: Assistant) -> None:
    page = parse_html(client.get("/documents").text)
    hrefs = {a.attrs["href"] for a in page.find_all("a")}
    assert {f"/documents/{d.id}" for d in fake_assistant.documents()} <= hrefs


def test_static_assets_are_versioned_and_served(client: TestClient) -> None:
    html = client.get("/").text
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(src)
        assert response.status_code == 200, src
    for name in ("app.js", "dom.js", "store.js", "panel.js", "tools.js"):
        script = client.get(f"/static/{name}").text
        assert script and not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(",
                                        script), name
    assert "?v=" in html
