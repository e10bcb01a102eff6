"""An exact passage slice → a clean view for the page: presentation only, the quoted text is never changed.

The API keeps ``text`` as the exact slice of the source. Extraction leaves marks in such slices that a reader
should not have to decode: a tab- or pipe-separated table row, Markdown emphasis (``*only*``), a bullet
(``- •``), footnote digits (``⁴⁶``, a trailing ``8``), a label line glued above a sentence. This module turns
a slice into blocks of styled runs (paragraphs, list items, labels, a small table under the document's own
column headers) and back into Markdown for copying. It knows nothing about any particular document: table
headers come from the document's own header row (``blocks.build_blocks``), footnotes from its works cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from assistant import annotate
from assistant.blocks import build_blocks, clean_heading
from assistant.sentences import split_sentences

LABEL_MAX_CHARS = 40
LABEL_MAX_WORDS = 5
SHORT_SENTENCE = 4  # a "sentence" shorter than this (a list number) is shown with the one after it
CONTEXT_WINDOW = 600  # characters searched either side of a passage for its neighbouring sentences

_BULLET = re.compile(r"^[ \t]*(?:(?:[-*+][ \t]+)?[•◦▪‣·][ \t]*|[-*+][ \t]+)")
_STRONG = re.compile(r"\*\*(?=[^\s*])([^\n]+?)(?<=[^\s*])\*\*")
_EM = re.compile(r"(?<![*\w])\*(?=[^\s*])([^\n*]+?)(?<=[^\s*])\*(?![*\w])")
_TERMINAL = ".!?:;,"


@dataclass(frozen=True)
class Run:
    """A piece of shown text with its styles; ``refs`` makes it a footnote marker naming those references."""

    text: str
    em: bool = False
    strong: bool = False
    mark: bool = False
    refs: tuple[int, ...] = ()


@dataclass
class Line:
    kind: Literal["paragraph", "item", "label"]
    runs: list[Run] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[tuple[Run, ...], ...], ...]


Block = Line | Table


@dataclass(frozen=True)
class QuoteView:
    blocks: tuple[Block, ...]

    @property
    def marked(self) -> str:
        """The highlighted text as shown (empty when nothing is marked)."""
        return "".join(r.text for b in self.blocks if isinstance(b, Line) for r in b.runs if r.mark)

    def plain(self) -> str:
        """The shown text, one line per block (table cells joined by " | ")."""
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Table):
                out.extend(" | ".join("".join(r.text for r in cell) for cell in row) for row in b.rows)
            else:
                out.append("".join(r.text for r in b.runs))
        return "\n".join(out)


@dataclass(frozen=True)
class TableRow:
    start: int
    end: int
    headers: tuple[str, ...]
    cells: tuple[str, ...]


@lru_cache(maxsize=32)
def table_rows(text: str, markdown: bool) -> tuple[TableRow, ...]:
    """The document's table rows with the column headers of their table (cached per document text)."""
    rows = []
    for b in build_blocks(text, markdown=markdown):
        if b.block == "table_row" and b.headers:
            rows.append(TableRow(b.start, b.end, tuple(clean_heading(h) for h in b.headers), tuple(b.cells)))
    return tuple(rows)


def rows_for(rows: tuple[TableRow, ...], text: str, start: int, end: int) -> list[TableRow]:
    """The table rows a passage ``[start, end)`` consists of, or ``[]`` when it is (also) something else."""
    inside = [r for r in rows if r.start < end and start < r.end]
    if not inside or len({r.headers for r in inside}) != 1:
        return []
    covered = [(max(r.start, start), min(r.end, end)) for r in inside]
    pos = start
    for a, b in covered:
        if text[pos:a].strip():
            return []
        pos = b
    return inside if not text[pos:end].strip() else []


def _styles(text: str) -> tuple[list[bool], list[bool], list[bool]]:
    """Per character: hidden (an emphasis asterisk), emphasis, strong."""
    n = len(text)
    hidden, em, strong = [False] * n, [False] * n, [False] * n
    for pattern, flags, width in ((_STRONG, strong, 2), (_EM, em, 1)):
        for m in pattern.finditer(text):
            if any(hidden[m.start():m.end()]):
                continue
            for i in (*range(m.start(), m.start() + width), *range(m.end() - width, m.end())):
                hidden[i] = True
            for i in range(m.start(1), m.end(1)):
                flags[i] = True
    return hidden, em, strong


def inline_runs(text: str, max_ref: int, mark: tuple[int, int] | None = None,
                lo: int = 0, hi: int | None = None) -> list[Run]:
    """``text[lo:hi]`` as styled runs: emphasis without its asterisks, markers as reference runs, and the
    characters in ``mark`` (offsets into ``text``) marked."""
    hi = len(text) if hi is None else hi
    hidden, em, strong = _styles(text)

    def marked(k: int) -> bool:
        return mark is not None and mark[0] <= k < mark[1]

    markers = {a: (b, refs) for a, b, refs in annotate.marker_spans(text, max_ref) if lo <= a and b <= hi}
    for a in markers:
        if a > lo and text[a - 1] in " \t":
            hidden[a - 1] = True  # "failure. 8", "supplement. ⁴⁷": the space before a marker
    runs: list[Run] = []
    i = lo
    while i < hi:
        if i in markers:
            b, refs = markers[i]
            runs.append(Run(",".join(str(r) for r in refs), refs=refs))
            i = b
            continue
        if hidden[i]:
            i += 1
            continue
        style = (em[i], strong[i], marked(i))
        j = i + 1
        while j < hi and j not in markers and not hidden[j] and (em[j], strong[j], marked(j)) == style:
            j += 1
        piece = text[i:j].replace("\t", " ")
        if runs and not runs[-1].refs and (runs[-1].em, runs[-1].strong, runs[-1].mark) == style:
            runs[-1] = Run(runs[-1].text + piece, *style)
        else:
            runs.append(Run(piece, *style))
        i = j
    return runs


def _trim(runs: list[Run]) -> list[Run]:
    while runs and not runs[0].refs and not runs[0].text.strip():
        runs.pop(0)
    while runs and not runs[-1].refs and not runs[-1].text.strip():
        runs.pop()
    if runs and not runs[0].refs:
        runs[0] = Run(runs[0].text.lstrip(), runs[0].em, runs[0].strong, runs[0].mark)
    if runs and not runs[-1].refs:
        runs[-1] = Run(runs[-1].text.rstrip(), runs[-1].em, runs[-1].strong, runs[-1].mark)
    return runs


def _ends_open(line: str) -> bool:
    s = line.rstrip().rstrip(annotate.SUPERSCRIPTS + "0123456789 ")
    return bool(s) and s[-1] not in _TERMINAL + ")\"”’'"


def _is_label(line: str, following: str | None) -> bool:
    """A short unpunctuated first line above a sentence that does not continue it ("timing", "Dosage")."""
    s = line.strip()
    return (bool(s) and following is not None and bool(following.strip()) and len(s) <= LABEL_MAX_CHARS
            and len(s.split()) <= LABEL_MAX_WORDS and s[-1] not in _TERMINAL and "\t" not in s
            and not following.lstrip()[:1].islower() and not _BULLET.match(line))


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for raw in text.split("\n"):
        spans.append((pos, pos + len(raw)))
        pos += len(raw) + 1
    return spans


def text_view(text: str, max_ref: int, mark: tuple[int, int] | None) -> list[Line]:
    """A slice that is not a table: lines become paragraphs, list items and labels."""
    out: list[Line] = []
    spans = _lines(text)
    prefix = annotate.EVIDENCE_PREFIX.match(text)
    if prefix and "\n" not in prefix.group(0) and text[prefix.end():].strip():
        out.append(Line("label", inline_runs(text, max_ref, None, 0, prefix.end())))
        spans[0] = (prefix.end(), spans[0][1])
    previous_open = False
    for n, (a, b) in enumerate(spans):
        line = text[a:b]
        if not line.strip():
            continue
        bullet = _BULLET.match(line)
        body_start = a + (bullet.end() if bullet else 0)
        if n == 0 and not out and _is_label(line, next((text[x:y] for x, y in spans[1:] if text[x:y].strip()), None)):
            out.append(Line("label", _trim(inline_runs(text, max_ref, mark, a, b))))
            previous_open = False
            continue
        runs = _trim(inline_runs(text, max_ref, mark, body_start, b))
        if not runs:
            continue
        continues = previous_open and out and out[-1].kind != "label" and text[body_start:b].lstrip()[:1].islower()
        if continues:
            out[-1].runs.extend([Run(" "), *runs])  # a sentence cut by a page break ("magnesium⏎⏎- oxide")
        else:
            out.append(Line("item" if bullet else "paragraph", runs))
        previous_open = _ends_open(line)
    return out


def quote_view(text: str, start: int, highlight: tuple[int, int] | None, *, max_ref: int,
               rows: list[TableRow] | None = None) -> QuoteView:
    """The clean view of the passage ``text`` (= document text ``[start, start + len(text))``).

    ``highlight`` (absolute offsets) is marked once, clamped to the passage; ``None`` marks nothing. ``rows``:
    the table rows the passage is (see ``rows_for``), shown as a table under their headers.
    """
    if rows:
        width = max(len(rows[0].headers), *(len(r.cells) for r in rows))
        headers = tuple(rows[0].headers) + ("",) * (width - len(rows[0].headers))
        body = tuple(tuple(tuple(_trim(inline_runs(c, max_ref))) for c in r.cells + ("",) * (width - len(r.cells)))
                     for r in rows)
        return QuoteView((Table(headers, body),))
    local = None
    if highlight is not None:
        a = min(max(highlight[0] - start, 0), len(text))
        b = min(max(highlight[1] - start, a), len(text))
        local = (a, b) if b > a else None
    return QuoteView(tuple(text_view(text, max_ref, local)))


def worth_marking(text: str, start: int, highlight: tuple[int, int] | None) -> bool:
    """A highlight means something only when it picks out part of the passage, not all of it."""
    if highlight is None:
        return False
    inner = text[max(highlight[0] - start, 0):max(highlight[1] - start, 0)].strip()
    return bool(inner) and len(inner) < len(text.strip())


def context_around(text: str, start: int, end: int) -> tuple[str, str]:
    """The sentence before ``[start, end)`` and the one after it in ``text`` (white space collapsed)."""
    lo = max(0, start - CONTEXT_WINDOW)
    before = [s for s in split_sentences(text, lo, start) if s[1] <= start]
    after = [s for s in split_sentences(text, end, min(len(text), end + CONTEXT_WINDOW)) if s[0] >= end]
    first_before = before[-1] if before and (before[-1][0] > lo or lo == 0) else None
    while len(after) > 1 and after[0][1] - after[0][0] < SHORT_SENTENCE:  # "2." of a numbered heading
        after = [(after[0][0], after[1][1]), *after[2:]]
    return (_plain(text[first_before[0]:first_before[1]]) if first_before else "",
            _plain(text[after[0][0]:after[0][1]]) if after else "")


def _plain(text: str) -> str:
    """A piece of text on one line without bullets or emphasis marks."""
    lines = (line[m.end():] if (m := _BULLET.match(line)) else line for line in text.split("\n"))
    return " ".join("".join(r.text for r in inline_runs(" ".join(lines), 0)).split())


def runs_markdown(runs: list[Run] | tuple[Run, ...]) -> str:
    out = []
    for r in runs:
        if r.refs:
            out.append("".join(f"[^{n}]" for n in r.refs))
        elif r.strong and r.text.strip():
            out.append(f"**{r.text.strip()}**")
        elif r.em and r.text.strip():
            out.append(f"*{r.text.strip()}*")
        else:
            out.append(r.text)
    return "".join(out)


def quote_markdown(view: QuoteView) -> str:
    """The clean view as a Markdown block quote (tables as Markdown tables)."""
    lines: list[str] = []
    for b in view.blocks:
        if isinstance(b, Table):
            cell = lambda s: s.replace("|", "\\|")  # noqa: E731
            lines.append("| " + " | ".join(cell(h) for h in b.headers) + " |")
            lines.append("|" + "---|" * len(b.headers))
            lines.extend("| " + " | ".join(cell(runs_markdown(c)) for c in row) + " |" for row in b.rows)
        elif b.kind == "item":
            lines.append("- " + runs_markdown(b.runs))
        elif b.kind == "label":
            lines.append("**" + runs_markdown(b.runs).strip("*") + "**")
        else:
            lines.append(runs_markdown(b.runs))
    return "\n".join("> " + line if line else ">" for line in lines)
