"""Sentence boundaries as character spans, tuned for web and PDF-extracted health articles."""

from __future__ import annotations

import re

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

_ABBREVIATIONS = frozenset(
    ["e.g", "i.e", "al", "etc", "vs", "approx", "dr", "mr", "mrs", "ms", "prof", "fig", "no", "u.s", "u.k", "st", "jr", "sr", "cf", "ca", "resp"]
)

# A sentence ends at . ! or ? (optionally followed by quotes, brackets and footnote markers, which
# PDF extraction sometimes separates by a space: "stress. ⁴⁰ Other"), then white space, then
# something that can start a sentence.
_END = re.compile(
    r"[.!?][\"'”’)\]]*(?:\s?[" + SUPERSCRIPTS + r"]+|\s\d{1,2}(?=\s))?(?=\s+[\"'“‘(\[]?[A-Z0-9•\-–*])"
)
# A run of line breaks (blank lines included) not followed by indentation ends a sentence, unless
# the text before it is left open and what follows starts in lower case: a wrapped line, or a PDF
# page break (blank lines, sometimes a repeated bullet) in the middle of a sentence.
_LINE_BREAKS = re.compile(r"\n(?:[ \t]*\n)*(?![ \t])")
_TERMINAL = ".!?:;)\"”’'"
_LOWER = re.compile(r"[a-z]")
_LOWER_AFTER_PAGE_BREAK = re.compile(r"(?:[-•*]\s+)?[a-z]")


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    m = re.search(r"([A-Za-z.]+)$", text[max(0, dot - 12) : dot])
    if not m:
        return False
    word = m.group(1).lower().strip(".")
    # Single capital letters ("J. Smith") and known abbreviations do not end sentences.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _continues(text: str, brk: int, after: int, end: int, page_break: bool) -> bool:
    """True when the line break(s) ``text[brk:after]`` only wrap a sentence."""
    before = text[max(0, brk - 80) : brk].rstrip(SUPERSCRIPTS + "0123456789 \t\r")
    nxt = (_LOWER_AFTER_PAGE_BREAK if page_break else _LOWER).match(text, after, end)
    return bool(before) and before[-1] not in _TERMINAL and nxt is not None


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) inside ``text[start:end]``.

    Line breaks not followed by indentation also end a sentence: in these sources a line is a
    paragraph, list item or table row, while an indented line continues the previous one, and a
    line left open whose continuation starts in lower case is one sentence cut by a page break.
    """
    end = len(text) if end is None else end
    cuts: list[int] = []
    for m in _END.finditer(text, start, end):
        if not _is_abbreviation(text, m.start()):
            cuts.append(m.end())
    for m in _LINE_BREAKS.finditer(text, start, end):
        if not _continues(text, m.start(), m.end(), end, m.group().count("\n") > 1):
            cuts.append(m.start())
    spans: list[tuple[int, int]] = []
    prev = start
    for cut in sorted(set(cuts)):
        if prev < cut <= end:
            span = _trim(text, prev, cut)
            if span:
                spans.append(span)
            prev = cut
    span = _trim(text, prev, end)
    if span:
        spans.append(span)
    return spans
