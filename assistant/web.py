"""HTML pages: the chat (``/``, no-JavaScript ``POST /ask``), the exchange fragment the script shows, and the
source pages (``web_documents``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from assistant import web_documents
from assistant.api import AssistantDep, run_limited
from assistant.engine import Assistant
from assistant.schemas import (
    DEFAULT_TOP_K,
    MAX_HISTORY,
    MAX_QUESTION_CHARS,
    AnswerOut,
    answer_out,
    clean_history,
    clean_question,
    form_top_k,
)
from assistant.web_templates import STATIC_DIR, TEMPLATES_DIR, render_error, static_url, templates
from assistant.web_views import ExchangeView, StaleAnswer, answer_view

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "render_error", "router", "static_url"]

MAX_STORED_EXCHANGES = 20  # exchanges the browser keeps across reloads
MAX_EXCHANGE_INDEX = 1000

log = logging.getLogger("assistant.web")

router = APIRouter(include_in_schema=False)
router.include_router(web_documents.router)


class ExchangeIn(BaseModel):
    """An answer from ``POST /api/ask`` to show as the ``index``-th exchange of the conversation."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=MAX_EXCHANGE_INDEX)
    answer: AnswerOut


def _chat(request: Request, assistant: Assistant | None, exchanges: list[ExchangeView], *,
          history: Sequence[str] = (), error: str | None = None, value: str = "",
          status_code: int = 200) -> HTMLResponse:
    examples = assistant.example_questions() if assistant is not None else []
    return templates.TemplateResponse(request, "chat.html", {
        "exchanges": exchanges, "examples": examples, "error": error, "value": value, "history": list(history),
        "max_chars": MAX_QUESTION_CHARS, "default_top_k": DEFAULT_TOP_K, "max_history": MAX_HISTORY,
        "max_stored": MAX_STORED_EXCHANGES,
    }, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def chat(request: Request, assistant: AssistantDep) -> HTMLResponse:
    return _chat(request, assistant, [])


@router.get("/ask")
def ask_get() -> Response:
    return RedirectResponse("/", status_code=303)


def _exchange(assistant: Assistant, request: Request, answer: AnswerOut, index: int) -> ExchangeView:
    return ExchangeView(index, answer.question, answer_view(assistant, answer, index, str(request.base_url)))


@router.post("/ask", response_class=HTMLResponse)
async def ask_form(request: Request, assistant: AssistantDep) -> HTMLResponse:
    """The chat without JavaScript: a plain form post, answered and rendered on the server.

    The earlier questions come back as repeated ``history`` fields; they are asked again (each with the ones
    before it) so the whole conversation, at most ``MAX_HISTORY`` + 1 exchanges, is shown again.
    """
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
        history = clean_history([h if isinstance(h, str) else "" for h in form.getlist("history")])
    except ValueError as exc:
        message = str(exc)
        return _chat(request, assistant, [], error=message[:1].upper() + message[1:] + ".",
                     value=value[:MAX_QUESTION_CHARS], status_code=422)
    asked = [*history, question]

    def work() -> list[AnswerOut]:
        return [answer_out(assistant.ask(q, top_k, asked[max(0, i - MAX_HISTORY):i])) for i, q in enumerate(asked)]

    answers = await run_limited(request, work)
    exchanges = [_exchange(assistant, request, a, i) for i, a in enumerate(answers)]
    return _chat(request, assistant, exchanges, history=asked[-MAX_HISTORY:])


@router.post("/fragments/exchange", response_class=HTMLResponse)
def exchange_fragment(body: ExchangeIn, request: Request, assistant: AssistantDep) -> Response:
    """One exchange as HTML, for the script: the same template the no-JavaScript page uses.

    The answer is the JSON ``POST /api/ask`` returned (kept in the browser across reloads); a passage that is
    not an exact slice of the served documents (the sources changed since) is refused with 422.
    """
    try:
        exchange = _exchange(assistant, request, body.answer, body.index)
    except StaleAnswer as exc:
        return JSONResponse({"detail": f"This answer cannot be shown: {exc}; ask again."}, status_code=422)
    return templates.TemplateResponse(request, "_exchange.html", {
        "exchange": exchange, "examples": assistant.example_questions(), "history": []})
