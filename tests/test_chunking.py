"""Units → chunks: exact spans, never across a section, on sentence boundaries, configurable sizes;
and the sentence splitter they rely on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.chunking import chunk_units
from assistant.sentences import split_sentences
from assistant.types import Unit
from tests.helpers_index import BUNDLED, CLINICAL, QUIRKS, TETRACYCLINE_ROW, chunk_containing, chunks_of

ALL = [*BUNDLED, *sorted(QUIRKS.iterdir())]
CHUNKED_BLOCKS = ("paragraph", "list_item", "table_row", "reference")


def _sections(units: tuple[Unit, ...]) -> list[tuple[int, int]]:
    """Each section as [heading start, next section's start)."""
    starts = sorted({u.section_start for u in units})
    return [(s, starts[i + 1] if i + 1 < len(starts) else 10**9) for i, s in enumerate(starts)]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
@pytest.mark.parametrize("max_chars", [600, 250])
def test_every_chunk_is_an_exact_span_within_one_section(path: Path, max_chars: int) -> None:
    text, parsed, chunks = chunks_of(path, max_chars=max_chars)
    assert chunks
    previous_end = 0
    for c in sorted(chunks, key=lambda c: c.start):
        assert text[c.start : c.end] == c.text
        assert c.start >= previous_end, "chunks never overlap"
        previous_end = c.end
        lo, hi = next((s, e) for s, e in _sections(parsed.units) if s == c.section_start)
        assert lo <= c.start and c.end <= hi, f"chunk {c.id} crosses out of its section"
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end and text[s:e].strip() == text[s:e]
        assert c.id == f"{path.stem}:{c.start}-{c.end}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_rejoined_chunks_cover_every_passage_unit(path: Path) -> None:
    """Nothing is lost: every character of every paragraph, list item, table row and reference is in a chunk."""
    text, parsed, chunks = chunks_of(path)
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    for u in parsed.units:
        if u.block in CHUNKED_BLOCKS:
            missing = [i for i in range(u.start, u.end) if not covered[i] and not text[i].isspace()]
            assert not missing, f"{path.name}: {text[u.start:u.end][:60]!r} not fully chunked"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_chunks_start_and_end_on_sentence_boundaries(path: Path) -> None:
    text, parsed, chunks = chunks_of(path, max_chars=250)
    for c in chunks:
        if c.block == "table_row":
            continue
        owners = [u for u in parsed.units if u.start <= c.start < u.end]
        assert owners
        unit = owners[0]
        sentence_starts = {unit.start} | {s for s, _ in split_sentences(text, unit.start, unit.end)}
        last = max((u for u in parsed.units if u.start < c.end <= u.end), key=lambda u: u.start)
        sentence_ends = {last.end} | {e for _, e in split_sentences(text, last.start, last.end)}
        assert c.start in sentence_starts, f"{c.id} starts mid-sentence: {c.text[:40]!r}"
        assert c.end in sentence_ends or text[c.end : last.end].strip() == "", f"{c.id} ends mid-sentence"


def test_no_bundled_chunk_starts_with_a_page_break_continuation() -> None:
    for path in BUNDLED:
        _, parsed, chunks = chunks_of(path, max_chars=250)
        unit_starts = {u.start for u in parsed.units}
        for c in chunks:
            if c.searchable and c.start not in unit_starts:  # a piece cut out of a longer unit
                first = re.sub(r"^[\s\-•*]+", "", c.text)
                assert not first[:1].islower(), f"{c.id} starts mid-sentence: {c.text[:50]!r}"


def test_page_break_paragraph_is_split_at_a_real_sentence_end() -> None:
    text, _, chunks = chunks_of(CLINICAL)
    piece = chunk_containing(text, chunks, "and by enhancing GABAergic activity")
    assert piece.text.startswith("Magnesium is a necessary cofactor for the production of GABA,")
    assert piece.text.endswith("helps initiate sleep.¹⁹")


def test_tetracycline_row_is_one_whole_safety_chunk_with_its_section() -> None:
    text, _, chunks = chunks_of(CLINICAL, max_chars=100)  # rows stay whole even above the size bound
    row = chunk_containing(text, chunks, TETRACYCLINE_ROW)
    assert row.text.startswith(TETRACYCLINE_ROW) and row.text.endswith("magnesium supplement. ⁴⁷")
    assert (row.kind, row.block, row.searchable) == ("safety", "table_row", True)
    assert row.section == "Table 3: Clinically Significant Drug Interactions with Magnesium Supplements"
    assert "Clinically Significant Drug Interactions" in row.section_path
    assert row.markers == (47, 8)
    assert "Example Drugs: Doxycycline" in row.embedding_text()
    assert row.embedding_text().startswith("Practical Guidance: Dosage, Safety, and Drug Interactions > ")


@pytest.mark.parametrize("max_chars", [120, 250, 600, 1200])
def test_max_chars_bounds_every_multi_sentence_chunk(max_chars: int) -> None:
    for path in ALL:
        text, _, chunks = chunks_of(path, max_chars=max_chars)
        for c in chunks:
            if len(c.text) > max_chars and c.block != "table_row":
                assert len(c.sentences) == 1 or c.block == "list_item" and c.text.count("\n") >= 1, (
                    f"{c.id}: {len(c.text)} > {max_chars} though it could be split")


def test_smaller_max_chars_gives_more_chunks_over_the_same_text() -> None:
    counts = [len(chunks_of(CLINICAL, max_chars=m)[2]) for m in (1500, 600, 200)]
    assert counts[0] < counts[1] < counts[2]


def test_min_chars_merges_small_paragraphs_within_a_section_only() -> None:
    text = ("Intro\n\nShort one.\n\nShort two.\n\nA longer paragraph that is comfortably above the minimum size.\n\n"
            "Other Section\n\nTiny.\n")
    from assistant.structure import parse_document

    parsed = parse_document("d", text)
    plain = chunk_units("d", text, parsed.units, max_chars=600, min_chars=0)
    merged = chunk_units("d", text, parsed.units, max_chars=600, min_chars=40)
    assert [c.text for c in plain] == ["Short one.", "Short two.",
                                       "A longer paragraph that is comfortably above the minimum size.", "Tiny."]
    assert len(merged) == 2
    assert merged[0].text.startswith("Short one.") and merged[0].text.endswith("minimum size.")
    assert merged[1].text == "Tiny.", "a small chunk is never merged across a section boundary"
    for c in merged:
        assert text[c.start : c.end] == c.text


def test_lead_in_paragraph_and_its_list_are_one_chunk() -> None:
    text = "Tips\n\nMagnesium glycinate works with other nutrients:\n- Vitamin B6: helps uptake.\n- L-theanine: calms.\n"
    from assistant.structure import parse_document

    chunks = chunk_units("d", text, parse_document("d", text).units)
    assert len(chunks) == 1 and chunks[0].text.endswith("L-theanine: calms.")


def test_non_answer_kinds_are_not_searchable_and_never_grouped_with_body() -> None:
    for path in ALL:
        _, parsed, chunks = chunks_of(path)
        for c in chunks:
            assert c.searchable == (c.kind in ("body", "safety"))
            kinds = {u.kind for u in parsed.units if c.start <= u.start < c.end}
            if c.kind in ("boilerplate", "references", "disclaimer"):
                assert kinds == {c.kind}
            else:
                assert kinds <= {"body", "safety"}


def test_content_hash_follows_the_embedding_text() -> None:
    text = "Sleep\n\nMagnesium helps.\n\nSafety\n\nMagnesium helps.\n"
    from assistant.structure import parse_document

    a, b = chunk_units("d", text, parse_document("d", text).units)
    assert a.text == b.text and a.content_hash != b.content_hash, "same words, different section → re-embedded"
    again = chunk_units("d", text, parse_document("d", text).units)
    assert [c.content_hash for c in again] == [a.content_hash, b.content_hash]


# --- sentences ----------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It works. It is safe.", ["It works.", "It is safe."]),
        ("See Boyle et al. for details. Next one.", ["See Boyle et al. for details.", "Next one."]),
        ("Use e.g. glycinate. Done.", ["Use e.g. glycinate.", "Done."]),
        ("Low levels.¹⁴ More text.", ["Low levels.¹⁴", "More text."]),
        ("Baseline stress. ⁴⁰ Other studies agree.", ["Baseline stress. ⁴⁰", "Other studies agree."]),
        ("Treatment failure. 8\tSeparate doses.", ["Treatment failure. 8", "Separate doses."]),
        ("the production of GABA,\n\nand by enhancing it, sleep.", ["the production of GABA,\n\nand by enhancing it, sleep."]),
        ("magnesium is also\n\n- essential for bones.", ["magnesium is also\n\n- essential for bones."]),
        ("within 15-45\n\nminutes of administration.", ["within 15-45\n\nminutes of administration."]),
        ("Ends here.\n\nand a new line.", ["Ends here.", "and a new line."]),
        ("- take with food\n- avoid calcium", ["- take with food", "- avoid calcium"]),
        ("A heading\nA paragraph.", ["A heading", "A paragraph."]),
        ("Wrapped line\n continues here.", ["Wrapped line\n continues here."]),
        ("One.\r\nTwo.\r\n", ["One.", "Two."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def test_split_sentences_respects_the_window() -> None:
    text = "Before. Inside one. Inside two. After."
    start, end = text.index("Inside one"), text.index(" After")
    assert [text[s:e] for s, e in split_sentences(text, start, end)] == ["Inside one.", "Inside two."]
