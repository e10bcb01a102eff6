"""Blocks → units: section paths, kinds (body / safety / disclaimer / references / boilerplate),
evidence labels, footnote markers and table-row context."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant import annotate
from assistant.blocks import Block, build_blocks, clean_heading
from assistant.types import Kind, Reference, Unit

_LONG = 200
_DISCLAIMER_LABEL = re.compile(r"^\s*((?:important|medical|content) (?:note|disclaimer)|disclaimer)\s*:", re.I)
_NUMBERED = re.compile(r"^\d{1,2}\.\s")


@dataclass(frozen=True)
class ParsedDocument:
    title: str | None
    units: tuple[Unit, ...]
    references: tuple[Reference, ...]


def _boilerplate_flags(blocks: list[Block]) -> list[bool]:
    """Navigation, 'You may also like' lists and trailing calls to action."""
    flags = [False] * len(blocks)
    n = len(blocks)

    def short(i: int) -> bool:
        return len(blocks[i].text.strip()) < 160

    for i, b in enumerate(blocks):
        t = b.text.strip()
        if annotate.NAV_LINE.match(t):
            flags[i] = True
            j = i + 1
            while j < n and short(j) and not annotate.is_disclaimer(blocks[j].text):
                flags[j] = True
                j += 1
        elif annotate.RELATED_LINE.match(t):
            flags[i] = True
            j = i + 1
            # Linked titles follow until a heading that introduces real prose.
            while j < n and short(j) and not (
                j + 1 < n and blocks[j].block == "heading" and len(blocks[j + 1].text) > _LONG
            ):
                flags[j] = True
                j += 1
    for i, b in enumerate(blocks):
        rest = range(i + 1, n)
        # A call to action ends the page: only short blocks or more calls to action follow it, and
        # no works-cited list (a paragraph asking readers to "sign up" for a trial is not a CTA tail).
        if len(b.text) <= annotate.CTA_MAX_CHARS and annotate.CTA.search(b.text) and all(
            (len(blocks[j].text) < _LONG or annotate.CTA.search(blocks[j].text))
            and not (blocks[j].block == "heading" and annotate.REFERENCES_HEADING.match(clean_heading(blocks[j].text)))
            for j in rest
        ):
            for j in range(i, n):
                flags[j] = flags[j] or not annotate.is_disclaimer(blocks[j].text)
            break
    return flags


def _table_context(b: Block) -> str:
    pairs = [f"{clean_heading(h)}: {' '.join(v.split())}" for h, v in zip(b.headers, b.cells, strict=False) if v]
    head = clean_heading(b.caption) if b.caption else ""
    body = "; ".join(pairs)
    return f"{head}\n{body}" if head else body


def parse_document(doc_id: str, text: str, markdown: bool = False) -> ParsedDocument:
    """Find the structure of one document. Every unit is an exact span of ``text``."""
    blocks = build_blocks(text, markdown=markdown)
    boiler = _boilerplate_flags(blocks)

    title: str | None = None
    start_index = 0
    if (blocks and blocks[0].block == "heading" and (blocks[0].start == 0 or markdown) and not boiler[0]
            and (not markdown or blocks[0].level <= 1)):
        title = clean_heading(blocks[0].text)
        start_index = 1

    heading_counts = Counter(
        clean_heading(b.text).lower() for i, b in enumerate(blocks) if b.block == "heading" and not boiler[i]
    )

    # Section state. Plain text has no heading levels: a heading directly followed by another
    # heading is a parent; a heading whose title repeats in the document ("Mechanisms") is a
    # sub-section of the previous leaf.
    parent = leaf = sub = ""
    numbered_children = False  # the current parent's sub-sections are numbered ("1. Recommended Dosage")
    # Markdown: (level, title, inferred). An inferred heading (a short line promoted by the plain-text
    # rules, e.g. "**Key Points**") sits below the current Markdown heading until the next heading.
    md_stack: list[tuple[int, str, bool]] = []
    section_start = 0
    zone: str | None = None  # "references" | "disclaimer"
    evidence_state: str | None = None
    caption_text = ""
    units: list[Unit] = []
    note: tuple[str, tuple[str, ...], int] | None = None  # a labelled disclaimer's own section
    ref_spans: list[tuple[int, int]] = []

    for i, b in enumerate(blocks):
        if i < start_index:
            units.append(Unit(doc_id, b.start, b.end, "heading", "body", title or "", (), 0))
            continue
        if b.block == "heading" and not boiler[i]:
            name = clean_heading(b.text)
            if markdown and b.level:
                md_stack = [e for e in md_stack if not e[2] and e[0] < b.level] + [(b.level, name, False)]
            elif markdown and md_stack:
                md_stack = [e for e in md_stack if not e[2]] + [(0, name, True)]
            else:
                next_is_heading = i + 1 < len(blocks) and blocks[i + 1].block == "heading"
                if heading_counts[name.lower()] > 1 and leaf:
                    sub = name
                elif next_is_heading:
                    parent, leaf, sub = name, "", ""
                    numbered_children = False
                else:
                    numbered = bool(_NUMBERED.match(name))
                    if parent and numbered_children and not numbered:
                        parent = ""  # "1. ...", "2. ..." were the parent's sections; this one is not
                    numbered_children = numbered_children or numbered
                    leaf, sub = name, ""
            section_start = b.start
            note = None
            evidence_state = None
            caption_text = ""
            # In Markdown a sub-heading of "## References" is still inside the references.
            names = [h for _, h, _ in md_stack] if markdown and md_stack else [name]
            if any(annotate.REFERENCES_HEADING.match(h) for h in names):
                zone = "references"
            elif any(annotate.DISCLAIMER_HEADING.search(h) for h in names):
                zone = "disclaimer"
            else:
                zone = None
        path: tuple[str, ...]
        if markdown and md_stack:
            path = tuple(h for _, h, _ in md_stack)
        else:
            path = tuple(p for p in (parent, leaf, sub) if p)
        if b.block == "caption":
            caption_text = clean_heading(b.text)
        elif b.block not in ("table_row", "table_header"):
            caption_text = ""
        if caption_text:
            path = (*path, caption_text)
        section = path[-1] if path else ""
        if len(path) >= 2 and heading_counts[path[-1].lower()] > 1:
            section = f"{path[-2]} › {path[-1]}"

        label_line = annotate.evidence_line(b.text) if b.block in ("paragraph", "list_item") else None
        if label_line:
            evidence_state = label_line
        evidence = label_line or annotate.evidence_prefix(b.text) or (
            evidence_state if b.block in ("paragraph", "list_item") else None
        )

        kind: Kind
        if boiler[i]:
            kind = "boilerplate"
        elif zone == "disclaimer" or (b.block in ("paragraph", "list_item") and annotate.is_disclaimer(b.text)):
            kind = "disclaimer"
            zone = "disclaimer"
            label = _DISCLAIMER_LABEL.match(b.text)
            if label:  # "Important Note: ..." under a References heading is its own section
                note = (label.group(1), (*path[:-1], label.group(1)), b.start)
            if note is not None:
                section, path, section_start = note
        elif zone == "references":
            kind = "references"
        elif b.block != "heading" and (
            annotate.SAFETY_HEADING.search(section) or annotate.is_safety(b.text)
        ):
            kind = "safety"
        else:
            kind = "body"

        block = b.block
        if kind == "references" and block in ("paragraph", "list_item"):
            block = "reference"
            ref_spans.append((b.start, b.end))
        if label_line:
            block = "caption"  # a label line governs what follows; it is not a passage itself
        units.append(
            Unit(
                doc_id=doc_id, start=b.start, end=b.end, block=block,  # type: ignore[arg-type]
                kind=kind, section=section, section_path=path, section_start=section_start,
                evidence=evidence,
                context=_table_context(b) if b.block == "table_row" else "",
            )
        )

    references = annotate.parse_references(ref_spans, text)
    max_ref = max((r.number for r in references), default=0)
    units = [
        Unit(**{**u.__dict__, "markers": annotate.footnote_markers(text[u.start : u.end], max_ref)})
        if u.kind in ("body", "safety") else u
        for u in units
    ]
    return ParsedDocument(title, tuple(units), tuple(references))
