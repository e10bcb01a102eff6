"""The source pages: the list of sources and the viewer of one source with the cited span marked."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.api import AssistantDep
from assistant.engine import Assistant
from assistant.web_templates import render_error, templates

router = APIRouter(include_in_schema=False)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, assistant: AssistantDep) -> HTMLResponse:
    docs = sorted(assistant.documents(), key=lambda d: d.title.lower())
    return templates.TemplateResponse(request, "documents.html", {"documents": docs})


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None and raw.strip() else None
    except ValueError:
        return None


def section_at(assistant: Assistant, doc_id: str, start: int) -> str | None:
    """The section of the chunk holding ``start`` (the nearest chunk starting before it, failing that)."""
    chunks = getattr(getattr(assistant, "index", None), "chunks", None) or []
    best = None
    for c in chunks:
        if getattr(c, "doc_id", None) != doc_id or c.start > start:
            continue
        if c.start <= start < c.end:
            return str(c.section) or None
        if best is None or c.start > best.start:
            best = c
    return (str(best.section) or None) if best is not None else None


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: str, assistant: AssistantDep,
                  start: str | None = None, end: str | None = None) -> HTMLResponse:
    """The whole source text with the cited span ``[start, end)`` marked; invalid ranges are ignored."""
    doc = assistant.document(doc_id)
    if doc is None:
        return render_error(request, 404, "Source not found",
                            "There is no source document with this id. The list of sources shows every one.")
    text = doc.text
    a, b = _int_or_none(start), _int_or_none(end)
    cited = a is not None and b is not None and 0 <= a < b <= len(text)
    range_note = None
    if (start or end) and not cited:
        range_note = "The cited range is not part of this document, so the whole text is shown without a mark."
    context = {
        "doc": doc, "cited": cited, "range_note": range_note, "start": a, "end": b,
        "before": text[:a] if cited else text, "marked": text[a:b] if cited else "",
        "after": text[b:] if cited else "",
        "section": section_at(assistant, doc_id, a) if cited and a is not None else None,
    }
    return templates.TemplateResponse(request, "document.html", context)
