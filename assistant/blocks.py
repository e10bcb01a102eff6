"""Lines → blocks: paragraphs, list items, headings and table rows, repairing web/PDF artefacts.

A block is a span of the original text; nothing is rewritten. Repairs only decide where a
block starts and ends (a list item broken across a PDF page is one block, a heading glued to
the previous badge is split off).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LIST = re.compile(r"^(\s*)(?:[-*+](?=\s)|[•◦▪·]|\d{1,3}[.)](?=\s))")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:[|\t]\s*:?-{2,}:?\s*)*\|?\s*$")
_CAPTION = re.compile(r"^\s*Table\s+\d+\s*[:.]")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_MD_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-{2,})\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_NUMBERED_HEADING = re.compile(r"^\d{1,2}\.\s+[A-Z]")
_LABEL_PREFIX = re.compile(
    r"^(sources?|note|key (takeaway|finding)s?|tips?|study (insight|results?)|research finding|"
    r"clinical evidence|warning|caution|important|last updated)\s*:",
    re.IGNORECASE,
)
_LEADING_SYMBOLS = re.compile(r"^[^\w\"“(]+")
_TERMINAL = ".!?:;)\"”’'"
_GLUE = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


@dataclass
class Line:
    start: int
    end: int
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass
class Block:
    start: int
    end: int
    block: str  # paragraph | list_item | heading | table_row | table_header | caption
    text: str
    level: int = 0  # markdown heading level; 0 when inferred
    headers: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    caption: str = ""
    followed_by_blank: bool = False
    literal: bool = False  # a Markdown code block: never a heading, never merged


def split_lines(text: str) -> list[Line]:
    lines, pos = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lines.append(Line(pos, pos + len(body), body))
        pos += len(raw)
    return lines


def clean_heading(text: str) -> str:
    s = _LEADING_SYMBOLS.sub("", text.strip())
    s = re.sub(r"^#{1,6}\s+", "", s)
    s = re.sub(r"\s+#+$", "", s)  # closing hashes of a Markdown heading ("## Dosage ##")
    s = s.rstrip("*_ ")  # Markdown emphasis around a heading line ("**Key Points**")
    return re.sub(r"\s+", " ", s).strip().rstrip(":").strip()


def heading_like(text: str) -> bool:
    """Short, capitalised, unpunctuated lines read as headings in these web/PDF texts."""
    if "\t" in text or "http" in text:
        return False
    s = clean_heading(text)
    if not s or len(s) > 100 or len(s.split()) > 14:
        return False
    if s[-1] in ".,;!…" or s[-1].isdigit() or text.rstrip().endswith(":"):
        return False
    if _LABEL_PREFIX.match(s):
        return False
    return s[0].isupper() or bool(_NUMBERED_HEADING.match(s))


def _ends_open(text: str) -> bool:
    s = text.rstrip().rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹0123456789 ")
    return bool(s) and s[-1] not in _TERMINAL


def _starts_lower(text: str) -> bool:
    if re.match(r"^\s*[-•*]?\s*\d{1,3}[.)]\s", text):
        return False  # a numbered item starts something new even when its text is lower case
    s = _LIST.sub("", text, count=1).lstrip(" •-*")
    return bool(s) and s[0].islower()


def _cells(text: str, sep: str) -> list[str]:
    if sep == "|":
        text = text.strip().strip("|")
    return [c.strip() for c in text.split(sep)]


def _is_tab_row(line: Line) -> bool:
    return "\t" in line.text and (line.text.startswith("\t") or sum(1 for c in _cells(line.text, "\t") if c) >= 2)


def _next_nonblank(lines: list[Line], i: int) -> int:
    while i < len(lines) and lines[i].blank:
        i += 1
    return i


def _table(lines: list[Line], i: int, sep: str, out: list[Block]) -> int:
    """Parse a pipe or tab table starting at line ``i``; one block per row; returns the next line."""
    caption = ""
    if _CAPTION.match(lines[i].text):
        caption = re.sub(r"\s+", " ", lines[i].text).strip()
        out.append(Block(lines[i].start, lines[i].end, "caption", lines[i].text))
        i += 1
    headers: list[str] | None = None
    header_start: int | None = None
    is_row = _PIPE_ROW.match if sep == "|" else None
    while i < len(lines):
        line = lines[i]
        if line.blank:
            j = _next_nonblank(lines, i)
            if j < len(lines) and (_TABLE_SEP.match(lines[j].text) or sep in lines[j].text):
                i = j
                continue
            break
        if _TABLE_SEP.match(line.text):
            i += 1
            continue
        if (is_row and not is_row(line.text)) or (not is_row and "\t" not in line.text):
            break
        cells = _cells(line.text, sep)
        filled = [c for c in cells if c]
        if headers is None:
            header_start = line.start if header_start is None else header_start
            if len(filled) >= 2:
                headers = cells
                out.append(Block(header_start, line.end, "table_header", line.text, headers=headers))
            i += 1
            continue
        row = out[-1] if out and out[-1].block == "table_row" else None
        if sep == "\t" and not cells[0] and row is not None:
            # A PDF cell broken across lines: the fragment belongs to the last columns of the row.
            cols = len(row.cells)
            for offset, value in enumerate(filled):
                col = cols - len(filled) + offset
                if 0 <= col < cols:
                    row.cells[col] = f"{row.cells[col]} {value}".strip()
            row.end = line.end
        else:
            width = max(len(headers), len(cells))
            out.append(
                Block(line.start, line.end, "table_row", line.text, headers=headers,
                      cells=cells + [""] * (width - len(cells)), caption=caption)
            )
        i += 1
    return i


def _fenced(lines: list[Line], i: int, out: list[Block]) -> int:
    """A Markdown fenced code block, fences included, as one literal block; returns the next line."""
    fence = _MD_FENCE.match(lines[i].text)
    assert fence is not None
    marker = fence.group(1)
    j = i + 1
    while j < len(lines) and not lines[j].text.strip().startswith(marker):
        j += 1
    last = min(j, len(lines) - 1)
    out.append(Block(lines[i].start, lines[last].end, "paragraph", "", literal=True))
    return last + 1


def _raw_blocks(lines: list[Line], markdown: bool) -> list[Block]:
    out: list[Block] = []
    i = 0
    if markdown and lines and lines[0].text.strip() == "---":
        # YAML front matter is metadata, not text to quote.
        end = next((j for j in range(1, len(lines)) if lines[j].text.strip() in ("---", "...")), None)
        i = end + 1 if end is not None else 0
    while i < len(lines):
        line = lines[i]
        text = line.text
        if line.blank:
            if out:
                out[-1].followed_by_blank = True
            i += 1
            continue
        md = _MD_HEADING.match(text) if markdown else None
        if md:
            out.append(Block(line.start, line.end, "heading", text, level=len(md.group(1))))
            i += 1
        elif markdown and _MD_FENCE.match(text):
            i = _fenced(lines, i, out)
        elif markdown and _MD_RULE.match(text):
            i += 1
        elif (markdown and i + 1 < len(lines) and _MD_SETEXT.match(lines[i + 1].text)
              and not _LIST.match(text) and "|" not in text and "\t" not in text):
            level = 1 if lines[i + 1].text.strip().startswith("=") else 2
            out.append(Block(line.start, line.end, "heading", text, level=level))
            i += 2
        elif _CAPTION.match(text) or _is_tab_row(line):
            i = max(_table(lines, i, "\t", out), i + 1)
        elif _PIPE_ROW.match(text) and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1].text):
            i = max(_table(lines, i, "|", out), i + 1)
        elif _TABLE_SEP.match(text):
            i += 1
        else:
            block = "list_item" if _LIST.match(text) else "paragraph"
            end = line.end
            i += 1
            # Indented lines that are not bullets continue the block (wrapped PDF lines).
            while i < len(lines) and re.match(r"^[ \t]+\S", lines[i].text) and not _LIST.match(lines[i].text):
                end = lines[i].end
                i += 1
            out.append(Block(line.start, end, block, "", level=0))
    return out


def build_blocks(text: str, markdown: bool = False) -> list[Block]:
    """Split a document into blocks with exact spans and a structural type."""
    lines = split_lines(text)
    blocks = _raw_blocks(lines, markdown)
    for b in blocks:
        b.text = text[b.start : b.end]
    blocks = _merge_continuations(text, blocks)
    _promote_headings(blocks, markdown)
    return _split_glued_headings(text, blocks)


def _merge_continuations(text: str, blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
    for b in blocks:
        prev = merged[-1] if merged else None
        if (prev is not None and prev.block in ("paragraph", "list_item") and b.block in ("paragraph", "list_item")
                and not prev.literal and not b.literal):
            gap = text[prev.end : b.start]
            pair = (prev.block == "paragraph" and len(prev.text.strip()) <= 40 and _starts_lower(prev.text)
                    and _ends_open(prev.text) and gap.count("\n") == 1)
            # A PDF page break cuts a sentence: the next block starts in lower case.
            page_break = (len(prev.text) > 60 and gap.count("\n") >= 2 and _ends_open(prev.text)
                          and _starts_lower(b.text))
            if pair or page_break:
                prev.end = b.end
                prev.text = text[prev.start : prev.end]
                prev.followed_by_blank = b.followed_by_blank
                continue
        merged.append(b)
    return merged


def _promote_headings(blocks: list[Block], markdown: bool = False) -> None:
    for i, b in enumerate(blocks):
        if b.block not in ("paragraph", "list_item") or i + 1 >= len(blocks) or b.literal:
            continue
        if not heading_like(b.text):
            continue
        if b.block == "list_item":
            if markdown:
                continue  # Markdown marks its headings; a numbered item stays a list item
            # "1. Regulating the Sleep-Wake Cycle" followed by prose is a numbered heading.
            nxt = blocks[i + 1]
            if not (_NUMBERED_HEADING.match(b.text.strip()) and nxt.block == "paragraph"):
                continue
        b.block = "heading"


def _split_glued_headings(text: str, blocks: list[Block]) -> list[Block]:
    """'Contraindicated in severe renal impairmentHeart block' → a badge line and a heading."""
    out: list[Block] = []
    for b in blocks:
        if b.block == "heading" and not b.level:
            for m in _GLUE.finditer(b.text):
                left, right = b.text[: m.start()], b.text[m.start() :]
                if len(left.split()) >= 3 and heading_like(right):
                    out.append(Block(b.start, b.start + m.start(), "paragraph", left))
                    b = Block(b.start + m.start(), b.end, "heading", right)
                    break
        out.append(b)
    return out
