"""Clean views of exact slices: tables under their headers, emphasis, bullets, footnotes, labels, one mark."""

from __future__ import annotations

from assistant import render
from assistant.render import Line, Run, Table


def view_of(doc: str, piece: str, *, highlight: str | None = None, max_ref: int = 0,
            markdown: bool = False) -> render.QuoteView:
    start = doc.index(piece)
    end = start + len(piece)
    hl = None
    if highlight is not None:
        a = doc.index(highlight, start)
        hl = (a, a + len(highlight))
    rows = render.rows_for(render.table_rows(doc, markdown), doc, start, end)
    return render.quote_view(doc[start:end], start, hl, max_ref=max_ref, rows=rows)


def lines(view: render.QuoteView) -> list[tuple[str, str]]:
    return [(b.kind, "".join(r.text for r in b.runs)) for b in view.blocks if isinstance(b, Line)]


TAB_DOC = ("Table 4: Teas and their effects\n"
           "Tea\tOrigin\tEffect\n"
           "Chamomile\tEgypt\tMay calm the stomach. 3\n"
           "Peppermint\tEurope\tCools the mouth. ²\n\n"
           "References\n1. A study of teas\n2. Another study\n3. A third study\n")


def test_a_tab_row_is_a_table_under_the_documents_own_headers() -> None:
    view = view_of(TAB_DOC, "Chamomile\tEgypt\tMay calm the stomach. 3", max_ref=3)
    assert len(view.blocks) == 1 and isinstance(view.blocks[0], Table)
    table = view.blocks[0]
    assert table.headers == ("Tea", "Origin", "Effect")
    (row,) = table.rows
    assert ["".join(r.text for r in cell) for cell in row] == ["Chamomile", "Egypt", "May calm the stomach.3"]
    assert row[2][-1] == Run("3", refs=(3,))
    markdown = render.quote_markdown(view)
    assert "| Tea | Origin | Effect |" in markdown and "May calm the stomach.[^3]" in markdown


def test_two_rows_of_one_table_share_the_headers_and_prose_is_not_a_table() -> None:
    piece = "Chamomile\tEgypt\tMay calm the stomach. 3\nPeppermint\tEurope\tCools the mouth. ²"
    view = view_of(TAB_DOC, piece, max_ref=3)
    assert isinstance(view.blocks[0], Table) and len(view.blocks[0].rows) == 2
    prose = view_of(TAB_DOC, "Table 4: Teas and their effects")
    assert not any(isinstance(b, Table) for b in prose.blocks)


def test_a_pipe_row_in_markdown_is_a_table() -> None:
    doc = "# Teas\n\n| Tea | Colour |\n|---|---|\n| Rooibos | Red |\n| Matcha | Green |\n"
    view = view_of(doc, "| Matcha | Green |", markdown=True)
    assert isinstance(view.blocks[0], Table)
    assert view.blocks[0].headers == ("Tea", "Colour")
    assert [["".join(r.text for r in c) for c in row] for row in view.blocks[0].rows] == [["Matcha", "Green"]]


def test_emphasis_is_shown_without_its_asterisks() -> None:
    doc = "Steep it for *three* minutes, **never** boiling, and 2 * 3 cups is plenty."
    view = view_of(doc, doc)
    runs = view.blocks[0].runs  # type: ignore[union-attr]
    assert "".join(r.text for r in runs) == "Steep it for three minutes, never boiling, and 2 * 3 cups is plenty."
    assert [r.text for r in runs if r.em] == ["three"] and [r.text for r in runs if r.strong] == ["never"]
    assert "*three*" in render.quote_markdown(view) and "**never**" in render.quote_markdown(view)


def test_bullets_become_list_items_and_a_page_break_is_joined() -> None:
    doc = ("Good teas:\n- • Green tea for focus\n• Black tea for mornings\n* Herbal tea at night, which is\n\n"
           "- often caffeine free.\n")
    view = view_of(doc, doc.rstrip())
    assert lines(view) == [("paragraph", "Good teas:"), ("item", "Green tea for focus"),
                           ("item", "Black tea for mornings"),
                           ("item", "Herbal tea at night, which is often caffeine free.")]


def test_superscript_and_trailing_markers_are_reference_runs_only_when_a_reference_exists() -> None:
    doc = "Tea contains caffeine.⁴² It also has L-theanine 7\nNothing else.⁰"
    view = view_of(doc, doc, max_ref=50)
    refs = [r.refs for b in view.blocks if isinstance(b, Line) for r in b.runs if r.refs]
    assert refs == [(42,), (7,)]
    assert "⁰" in view.plain()  # 0 names no reference: left as it is
    assert "L-theanine7" in view.plain()  # the space before a marker is not shown


def test_a_short_first_line_is_a_label_and_the_highlight_is_marked_once() -> None:
    doc = "Steeping\nSteep for three minutes. Longer makes it bitter.\n"
    view = view_of(doc, doc.rstrip(), highlight="Longer makes it bitter.")
    assert lines(view) == [("label", "Steeping"), ("paragraph", "Steep for three minutes. Longer makes it bitter.")]
    assert view.marked == "Longer makes it bitter."
    marks = [r for b in view.blocks if isinstance(b, Line) for r in b.runs if r.mark]
    assert len(marks) == 1


def test_a_first_line_that_continues_in_lower_case_is_not_a_label() -> None:
    doc = "Steep it well\nand serve it hot.\n"
    assert lines(view_of(doc, doc.rstrip()))[0][0] == "paragraph"


def test_a_glued_evidence_label_is_a_label() -> None:
    doc = "✓✓ Moderate EvidenceSeveral trials found that tea helps.\n"
    assert lines(view_of(doc, doc.rstrip())) == [("label", "✓✓ Moderate Evidence"),
                                                  ("paragraph", "Several trials found that tea helps.")]


def test_a_highlight_is_worth_marking_only_when_it_is_part_of_the_passage() -> None:
    text = "One sentence. Another sentence."
    assert render.worth_marking(text, 100, (114, 131))
    assert not render.worth_marking(text, 100, (100, 131))
    assert not render.worth_marking(text, 100, None)


def test_context_is_the_sentence_either_side() -> None:
    doc = "First point here. Second point here. The cited sentence. The next point. The last one."
    start = doc.index("The cited sentence.")
    before, after = render.context_around(doc, start, start + len("The cited sentence."))
    assert (before, after) == ("Second point here.", "The next point.")
    assert render.context_around(doc, 0, len("First point here.")) == ("", "Second point here.")


def test_context_is_shown_without_bullets_or_emphasis() -> None:
    doc = "Intro line.\n- **Black** tea\nThe cited sentence.\n• *Green* tea\n"
    start = doc.index("The cited sentence.")
    assert render.context_around(doc, start, start + len("The cited sentence.")) == ("Black tea", "Green tea")
