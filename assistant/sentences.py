"""Sentence boundaries as character spans, tuned for web and PDF-extracted health articles."""

from __future__ import annotations

import re

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

_ABBREVIATIONS = frozenset(
    ["e.g", "i.e", "al", "etc", "vs", "approx", "dr", "mr", "mrs", "ms", "prof", "fig", "no", "u.s", "u.k", "st", "jr", "sr", "cf", "ca", "resp"]
)

# A sentence ends at . ! or ? (optionally followed by quotes, brackets and footnote markers),
# then white space, then something that can start a sentence.
_END = re.compile(
    r"[.!?][\"'”’)\]]*(?:[" + SUPERSCRIPTS + r"]+|\s\d{1,2}(?=\s))?(?=\s+[\"'“‘(\[]?[A-Z0-9•\-–*])"
)


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    m = re.search(r"([A-Za-z.]+)$", text[max(0, dot - 12) : dot])
    if not m:
        return False
    word = m.group(1).lower().strip(".")
    # Single capital letters ("J. Smith") and known abbreviations do not end sentences.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) inside ``text[start:end]``.

    Line breaks not followed by indentation also end a sentence: in these sources a line is a
    paragraph, list item or table row, while an indented line continues the previous one.
    """
    end = len(text) if end is None else end
    cuts: list[int] = []
    for m in _END.finditer(text, start, end):
        if not _is_abbreviation(text, m.start()):
            cuts.append(m.end())
    for m in re.finditer(r"\n(?![ \t])", text[start:end]):
        cuts.append(start + m.start())
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
