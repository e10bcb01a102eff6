"""Lines → blocks: exact spans, tables (pipe and PDF-mangled tab tables), page breaks, headings, Markdown."""

from __future__ import annotations

import pytest

from assistant.blocks import Block, build_blocks, clean_heading, heading_like, split_lines
from tests.helpers_index import BUNDLED, QUIRKS, read


def _only(blocks: list[Block], kind: str) -> list[Block]:
    return [b for b in blocks if b.block == kind]


def _starting(blocks: list[Block], text: str, prefix: str) -> Block:
    found = [b for b in blocks if text[b.start : b.end].lstrip().startswith(prefix)]
    assert len(found) == 1, f"{len(found)} blocks start with {prefix!r}"
    return found[0]


def test_split_lines_keeps_exact_offsets_with_crlf_and_no_final_newline() -> None:
    text = "one\r\ntwo\n\nthree"
    lines = split_lines(text)
    assert [text[line.start : line.end] for line in lines] == ["one", "two", "", "three"]
    assert [line.text for line in lines] == ["one", "two", "", "three"]
    assert lines[2].blank and not lines[0].blank


@pytest.mark.parametrize("path", [*BUNDLED, *sorted(QUIRKS.iterdir())], ids=lambda p: p.name)
def test_blocks_are_ordered_exact_non_overlapping_spans(path) -> None:  # type: ignore[no-untyped-def]
    text = read(path)
    blocks = build_blocks(text, markdown=path.suffix == ".md")
    assert blocks
    previous_end = 0
    for b in blocks:
        assert b.text == text[b.start : b.end]
        assert b.start >= previous_end, f"overlap at {b.start}"
        assert b.text.strip(), "a block is never blank"
        previous_end = b.end


def test_mangled_tab_table_gives_one_row_per_record_with_broken_cells_rejoined() -> None:
    text = read(QUIRKS / "mangled_table.txt")
    blocks = build_blocks(text)
    caption = _only(blocks, "caption")
    assert len(caption) == 1 and caption[0].text.startswith("Table 3: Clinically Significant Drug Interactions")
    header = _only(blocks, "table_header")
    assert len(header) == 1
    assert header[0].headers == ["Interacting Drug Class/Medication", "Example Drugs", "Mechanism of Interaction",
                                 "Clinical Management/Reco mmendation"]
    rows = _only(blocks, "table_row")
    assert [r.cells[0] for r in rows] == ["Bisphosphonates", "Tetracycline Antibiotics", "Gabapentin"]
    bis, tet, gaba = rows
    # The fragment line "\t\tbisphosphonates, ...\tbefore or after ..." fills the last two columns.
    assert bis.cells[2] == "Magnesium forms insoluble chelates with bisphosphonates, reducing their absorption. ⁸"
    assert bis.cells[3].startswith("Separate doses. Take the bisphosphonate at least 2 hours before or after")
    assert text[bis.start : bis.end].endswith("any magnesium product. ⁴⁷"), "the row span covers its fragment line"
    assert gaba.cells[2] == "Magnesium can decrease the absorption of gabapentin by up to 20-40%. ⁴⁷"
    assert gaba.cells[3] == "Separate doses. Take gabapentin at least 2 hours after taking a magnesium supplement. ⁴⁷"
    assert tet.cells[1] == "Doxycycline, Minocycline, Tetracycline"
    assert all(r.caption.startswith("Table 3:") and r.headers == header[0].headers for r in rows)
    # The closing "--\t--\t--" rule is not a row, and the prose after the table is a paragraph again.
    after = _starting(blocks, text, "Most people can take magnesium")
    assert after.block == "paragraph"


def test_pipe_table_rows_skip_the_separator_line() -> None:
    text = read(QUIRKS / "page_breaks.txt")
    blocks = build_blocks(text)
    header = _only(blocks, "table_header")
    rows = _only(blocks, "table_row")
    assert header[0].headers == ["Form", "Bioavailability", "GI Side Effects", "Best For"]
    assert [r.cells for r in rows] == [
        ["Glycinate", "High", "Minimal", "Nightly supplementation"],
        ["Oxide", "Very Low (~4%)", "Significant", "Occasional constipation"],
    ]
    assert not any("---" in b.text for b in blocks)


def test_page_break_continuations_are_merged_into_one_block() -> None:
    text = read(QUIRKS / "page_breaks.txt")
    blocks = build_blocks(text)
    para = _starting(blocks, text, "Magnesium blocks the NMDA receptor")
    assert para.text.endswith("helps initiate sleep."), "the lower-case continuation after the blank line joins"
    item = _starting(blocks, text, "- Skeletal Health")
    assert item.block == "list_item" and item.text.endswith("calcium and vitamin D.")
    wrapped = _starting(blocks, text, "- Regulation of Vasoactive Peptides")
    assert wrapped.text.endswith("including CGRP."), "indented wrapped lines continue the list item"


def test_glued_badge_and_heading_are_split() -> None:
    text = "Kidney disease\nConsult a physician.\nContraindicated in severe renal impairmentHeart block\nHigh doses may slow heart rate.\n"
    blocks = build_blocks(text)
    badge = _starting(blocks, text, "Contraindicated")
    heading = _starting(blocks, text, "Heart block")
    assert (badge.block, text[badge.start : badge.end]) == ("paragraph", "Contraindicated in severe renal impairment")
    assert (heading.block, text[heading.start : heading.end]) == ("heading", "Heart block")


def test_numbered_heading_followed_by_prose_is_a_heading_in_plain_text_only() -> None:
    text = "How It Helps\n1. Regulating the Sleep-Wake Cycle\nMagnesium supports the circadian rhythm.\n"
    assert _starting(build_blocks(text), text, "1. Regulating").block == "heading"
    assert _starting(build_blocks(text, markdown=True), text, "1. Regulating").block == "list_item"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Clinically Significant Drug Interactions", True),
        ("⚠️Common Side Effects", True),
        ("Who Might Benefit?", True),
        ("This is a sentence.", False),
        ("Key takeaway: most people are low", False),
        ("Strong Evidence:", False),
        ("Form\tChemical Partner", False),
        ("see https://example.org", False),
        ("lower case line", False),
    ],
)
def test_heading_like(line: str, expected: bool) -> None:
    assert heading_like(line) is expected


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("## Dosage ##", "Dosage"), ("**Key Points**", "Key Points"), ("🚫Contraindications", "Contraindications"),
     ("### Learning C#", "Learning C#"), ("Table 3:   Drug  Interactions:", "Table 3: Drug Interactions")],
)
def test_clean_heading(raw: str, clean: str) -> None:
    assert clean_heading(raw) == clean


def test_markdown_code_fence_front_matter_setext_and_rules() -> None:
    text = read(QUIRKS / "markdown_guide.md")
    blocks = build_blocks(text, markdown=True)
    assert blocks[0].block == "heading" and blocks[0].level == 1, "front matter is skipped"
    assert "Front matter" not in "".join(b.text for b in blocks)
    fence = _starting(blocks, text, "```")
    assert fence.literal and fence.block == "paragraph"
    assert "# not a heading" in fence.text and fence.text.rstrip().endswith("```")
    setext = _starting(blocks, text, "Timing and Food")
    assert (setext.block, setext.level) == ("heading", 2)
    assert text[setext.start : setext.end] == "Timing and Food", "the underline is not part of the heading span"
    levels = {clean_heading(b.text): b.level for b in blocks if b.block == "heading"}
    assert levels["Sleep"] == 2 and levels["Mechanisms"] == 3 and levels["Key Points"] == 0
    assert _starting(blocks, text, "2. Increase slowly").block == "list_item"


def test_markdown_hash_lines_are_not_headings_in_plain_text_mode_offsets_unchanged() -> None:
    text = "# Title\n\nBody sentence here.\n"
    md = build_blocks(text, markdown=True)
    plain = build_blocks(text)
    assert md[0].level == 1 and plain[0].level == 0
    assert [(b.start, b.end) for b in md] == [(b.start, b.end) for b in plain]
