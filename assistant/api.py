"""JSON endpoints: ``POST /api/ask``, ``GET /api/documents[/{id}]`` and ``GET /healthz``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from assistant.engine import Assistant
from assistant.schemas import (
    AnswerOut,
    AskRequest,
    DocumentOut,
    DocumentSummaryOut,
    ErrorOut,
    HealthOut,
    ValidationErrorOut,
    answer_out,
    document_out,
    document_summary_out,
)


def get_assistant(request: Request) -> Assistant:
    """The Assistant loaded at start-up (``app.state.assistant``); 503 while it is not available."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(status_code=503, detail="The index is not loaded yet; try again in a moment.")
    return assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]

router = APIRouter()

_ERRORS: dict[int | str, dict] = {
    422: {"model": ValidationErrorOut, "description": "The request is invalid; `detail` says what to change."},
    413: {"model": ErrorOut, "description": "The request body is larger than the server accepts."},
}


@router.post("/api/ask", response_model=AnswerOut, tags=["questions"], responses=_ERRORS,
             summary="Answer a question with quoted passages")
def ask(body: AskRequest, assistant: AssistantDep) -> AnswerOut:
    """Select passages from the sources that answer ``question``, with cautions and a quoted disclaimer.

    Every passage's ``text`` is exactly ``GET /api/documents/{document_id}``'s ``text[start:end]``.
    A plain ``def``: FastAPI runs it in its threadpool, so questions are answered concurrently.
    """
    return answer_out(assistant.ask(body.question, body.top_k))


@router.get("/api/documents", response_model=list[DocumentSummaryOut], tags=["documents"],
            summary="List the indexed documents")
def documents(assistant: AssistantDep) -> list[DocumentSummaryOut]:
    return [document_summary_out(d) for d in sorted(assistant.documents(), key=lambda d: d.title.lower())]


@router.get("/api/documents/{doc_id}", response_model=DocumentOut, tags=["documents"],
            responses={404: {"model": ErrorOut, "description": "No document has this id."}},
            summary="One document's full text")
def document(doc_id: str, assistant: AssistantDep) -> DocumentOut:
    doc = assistant.document(doc_id)
    if doc is None:
        known = ", ".join(sorted(d.id for d in assistant.documents()))
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}. Known ids: {known}.")
    return document_out(doc)


@router.get("/healthz", response_model=HealthOut, tags=["service"],
            responses={503: {"model": ErrorOut, "description": "The index is not loaded yet."}},
            summary="Liveness, and what the served index was built from")
def healthz(assistant: AssistantDep) -> HealthOut:
    return HealthOut(**assistant.status())
