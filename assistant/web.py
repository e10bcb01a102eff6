"""HTML pages: the chat (``/``, no-JavaScript ``POST /ask``), the source viewer and the list of sources."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from assistant.api import AssistantDep, run_limited
from assistant.config import PROJECT_ROOT
from assistant.engine import Assistant
from assistant.schemas import (
    DEFAULT_TOP_K,
    MAX_QUESTION_CHARS,
    AnswerOut,
    PassageOut,
    answer_out,
    clean_question,
    form_top_k,
)

WEB_DIR = PROJECT_ROOT / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

log = logging.getLogger("assistant.web")


@lru_cache(maxsize=64)
def _static_version(name: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>`` so browsers never keep a stale script or stylesheet."""
    return f"/static/{name}?v={_static_version(name)}"


def cite_url(p: PassageOut) -> str:
    """The source viewer with the passage's span marked and scrolled to."""
    return f"/documents/{quote(p.document_id, safe='')}?{urlencode({'start': p.start, 'end': p.end})}#cite"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered as links; anything else (javascript:, data:...) stays text."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def quote_parts(p: PassageOut) -> list[tuple[str, bool]]:
    """The passage text as (piece, highlighted) pieces; the highlight is clamped to the passage."""
    text = p.text
    if p.highlight is None:
        return [(text, False)]
    a = min(max(p.highlight.start - p.start, 0), len(text))
    b = min(max(p.highlight.end - p.start, a), len(text))
    if a == b:
        return [(text, False)]
    return [(piece, marked) for piece, marked in ((text[:a], False), (text[a:b], True), (text[b:], False)) if piece]


def visible_safety(answer: AnswerOut) -> list[PassageOut]:
    """Cautions not already quoted as answer passages (those carry a caution badge instead)."""
    shown = {(p.document_id, p.start, p.end) for p in answer.passages}
    return [s for s in answer.safety if (s.document_id, s.start, s.end) not in shown]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(static_url=static_url, cite_url=cite_url, safe_url=safe_url, quote_parts=quote_parts,
                       visible_safety=visible_safety)
    return env


templates = Jinja2Templates(env=_environment())
router = APIRouter(include_in_schema=False)


@dataclass
class Exchange:
    question: str
    answer: AnswerOut


def _chat(request: Request, assistant: Assistant | None, exchanges: list[Exchange], *, error: str | None = None,
          value: str = "", status_code: int = 200) -> HTMLResponse:
    examples = assistant.example_questions() if assistant is not None else []
    return templates.TemplateResponse(request, "chat.html", {
        "exchanges": exchanges, "examples": examples, "error": error, "value": value,
        "max_chars": MAX_QUESTION_CHARS, "default_top_k": DEFAULT_TOP_K,
    }, status_code=status_code)


def render_error(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "error.html", {"title": title, "message": message},
                                      status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def chat(request: Request, assistant: AssistantDep) -> HTMLResponse:
    return _chat(request, assistant, [])


@router.get("/ask")
def ask_get() -> Response:
    return RedirectResponse("/", status_code=303)


@router.post("/ask", response_class=HTMLResponse)
async def ask_form(request: Request, assistant: AssistantDep) -> HTMLResponse:
    """The chat without JavaScript: a plain form post, answered and rendered on the server."""
    try:
        form = await request.form()
    except Exception as exc:  # malformed multipart / urlencoded bodies are the client's problem
        log.info("unreadable form: %s", exc)
        return _chat(request, assistant, [], error="The form could not be read; please ask again.",
                     status_code=422)
    raw = form.get("question")
    value = raw if isinstance(raw, str) else ""
    try:
        question = clean_question(value)
        top_k = form_top_k(form.get("top_k"))
    except ValueError as exc:
        message = str(exc)
        return _chat(request, assistant, [], error=message[:1].upper() + message[1:] + ".",
                     value=value[:MAX_QUESTION_CHARS], status_code=422)
    answer = await run_limited(request, lambda: assistant.ask(question, top_k))
    return _chat(request, assistant, [Exchange(question, answer_out(answer))])


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
