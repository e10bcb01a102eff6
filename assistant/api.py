"""JSON endpoints: ``POST /api/ask``, ``POST /api/feedback``, ``GET /api/documents[/{id}]`` and ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from starlette.types import Receive

from assistant.askpool import AskPool, QueueFull
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.feedback import Feedback, FeedbackStore, PassageRef
from assistant.schemas import (
    AnswerOut,
    AskRequest,
    DocumentOut,
    DocumentSummaryOut,
    ErrorOut,
    FeedbackCreatedOut,
    FeedbackIn,
    HealthOut,
    ValidationErrorOut,
    answer_out,
    document_out,
    document_summary_out,
)


async def get_assistant(request: Request) -> Assistant:
    """The Assistant loaded at start-up (``app.state.assistant``); 503 while it is not available.

    ``async``: a plain function would cost every request a hop through the threadpool for a lookup.
    """
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(status_code=503, detail="The index is not loaded yet; try again in a moment.")
    return assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]

log = logging.getLogger("assistant.api")


def get_feedback_store(request: Request) -> FeedbackStore:
    """The store at ``Settings.feedback_db`` (made on first use; the file itself on the first write)."""
    store = getattr(request.app.state, "feedback_store", None)
    if store is None:
        settings = getattr(request.app.state, "settings", None)
        path = (settings if isinstance(settings, Settings) else Settings()).feedback_db
        store = request.app.state.feedback_store = FeedbackStore(path)
    return store


FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback_store)]

T = TypeVar("T")


def ask_pool(app: FastAPI) -> AskPool:
    """The app's ``ask`` threads, ``Settings.ask_concurrency`` of them (made by the lifespan, or on first use)."""
    pool = getattr(app.state, "ask_pool", None)
    if pool is None:
        settings = getattr(app.state, "settings", None)
        pool = app.state.ask_pool = make_ask_pool(settings if isinstance(settings, Settings) else Settings())
    return pool


def make_ask_pool(settings: Settings) -> AskPool:
    return AskPool(max(1, settings.ask_concurrency), "ask", limit=settings.ask_queue_limit)


class ClientGone(Exception):
    """The client hung up while its question waited: it was dropped (or its answer is), and nothing is sent."""


def _busy(app: FastAPI) -> HTTPException:
    settings = getattr(app.state, "settings", None)
    retry_after = settings.ask_retry_after if isinstance(settings, Settings) else Settings().ask_retry_after
    return HTTPException(status_code=503, headers={"Retry-After": str(retry_after)},
                         detail=f"Too many questions are waiting to be answered; ask again in {retry_after} s.")


async def _disconnected(receive: Receive) -> None:
    """Returns when the client has gone. The body was read already, so ``receive`` has nothing else to say."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def run_limited(request: Request, work: Callable[[], T]) -> T:
    """Run CPU-bound ``work`` (an ``ask``) on one of ``ask_concurrency`` threads; more wait in the pool's queue.

    No more threads than cores compete for the CPU (32 ``ask`` calls at once on 2 cores thrash); see ``askpool``
    for why this pool and not a capacity limiter in front of anyio's threads or a ``ThreadPoolExecutor``. At most
    ``ask_queue_limit`` wait (beyond: 503 with ``Retry-After``), and one whose client hangs up while it waits
    leaves the queue without running (``ClientGone``).
    """
    try:
        future = ask_pool(request.app).submit(work)
    except QueueFull:
        raise _busy(request.app) from None
    answer = asyncio.wrap_future(future)
    gone = asyncio.ensure_future(_disconnected(request.receive))
    try:
        await asyncio.wait((answer, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not answer.done():  # the client went away (or this request was cancelled): a waiting call never runs
            answer.cancel()
    if answer.cancelled():
        raise ClientGone
    return answer.result()


router = APIRouter()

# Every status an operation can answer is documented (the fuzz test checks): any request can be too large, and
# nothing is served before the index is loaded.
_COMMON: dict[int | str, dict] = {
    413: {"model": ErrorOut, "description": "The request body is larger than the server accepts."},
    503: {"model": ErrorOut, "description": "The index is not loaded yet."},
}
_ERRORS: dict[int | str, dict] = {
    **_COMMON,
    422: {"model": ValidationErrorOut, "description": "The request is invalid; `detail` says what to change."},
    503: {"model": ErrorOut, "description": "Too many questions are waiting (`ASSISTANT_ASK_QUEUE_LIMIT`), or the "
                                            "index is not loaded yet: ask again after `Retry-After` seconds.",
          "headers": {"Retry-After": {"description": "Seconds to wait before asking again (with a full queue).",
                                      "schema": {"type": "integer"}}}},
}


@router.post("/api/ask", response_model=AnswerOut, tags=["questions"], responses=_ERRORS,
             summary="Answer a question with quoted passages")
async def ask(body: AskRequest, request: Request, assistant: AssistantDep) -> Response:
    """Select passages from the sources that answer ``question``, with cautions and a quoted disclaimer.

    Every passage's ``text`` is exactly ``GET /api/documents/{document_id}``'s ``text[start:end]``.
    Answered in a worker thread, a few questions at once (``ASSISTANT_ASK_CONCURRENCY``); more wait their turn.
    """
    def work() -> bytes:
        # Built as the typed AnswerOut and serialised in the worker thread, once (not re-validated on the loop).
        answer = assistant.ask(body.question, body.top_k, body.history)
        return answer_out(answer, body.explain).model_dump_json(by_alias=True).encode()

    return Response(await run_limited(request, work), media_type="application/json")


@router.post("/api/feedback", status_code=201, response_model=FeedbackCreatedOut, tags=["feedback"],
             responses={**_ERRORS, 503: {"model": ErrorOut, "description": "The feedback could not be stored."}},
             summary="Rate an answer: 👍 or 👎 and an optional note")
def feedback(body: FeedbackIn, store: FeedbackDep) -> FeedbackCreatedOut:
    """Store the rating of one answer with what the user chose to send (the question, the note, the
    answer's `build_id` and the passages it showed) and the time it arrived; nothing else."""
    entry = Feedback(question=body.question, rating=body.rating, note=body.note, build_id=body.build_id,
                     passages=tuple(PassageRef(p.document_id, p.start, p.end) for p in body.passages))
    try:
        return FeedbackCreatedOut(id=store.add(entry))
    except (sqlite3.Error, OSError) as exc:
        log.warning("feedback not stored in %s: %s", store.path, exc)
        raise HTTPException(status_code=503, detail="The feedback could not be stored right now; "
                                                    "please try again later.") from exc


@router.get("/api/documents", response_model=list[DocumentSummaryOut], tags=["documents"], responses=_COMMON,
            summary="List the indexed documents")
def documents(assistant: AssistantDep) -> list[DocumentSummaryOut]:
    return [document_summary_out(d) for d in sorted(assistant.documents(), key=lambda d: d.title.lower())]


@router.get("/api/documents/{doc_id}", response_model=DocumentOut, tags=["documents"],
            responses={**_COMMON, 404: {"model": ErrorOut, "description": "No document has this id."}},
            summary="One document's full text")
def document(doc_id: str, assistant: AssistantDep) -> DocumentOut:
    doc = assistant.document(doc_id)
    if doc is None:
        known = ", ".join(sorted(d.id for d in assistant.documents()))
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}. Known ids: {known}.")
    return document_out(doc)


@router.get("/healthz", response_model=HealthOut, tags=["service"],
            responses=_COMMON,
            summary="Liveness, and what the served index was built from")
def healthz(assistant: AssistantDep) -> HealthOut:
    return HealthOut(**assistant.status())
