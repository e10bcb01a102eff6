"""Public HTTP models (the answer contract in API.md) and their conversion from the internal dataclasses."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.types import Answer, Conflict, Document, FollowUp, Notice, Passage, Reference, Span

MAX_QUESTION_CHARS = 1000
MIN_TOP_K, MAX_TOP_K, DEFAULT_TOP_K = 1, 10, 3
MAX_HISTORY = 5
MAX_NOTE_CHARS, MAX_BUILD_ID_CHARS, MAX_DOCUMENT_ID_CHARS, MAX_FEEDBACK_PASSAGES = 2000, 100, 200, 20

# C0 controls other than tab / newline / carriage return, DEL, and unpaired UTF-16 surrogates (which
# JSON allows as escapes but which cannot be encoded as UTF-8).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_question(value: str) -> str:
    """The question trimmed of surrounding white space; ``ValueError`` with a readable reason if unusable."""
    question = value.strip()
    if not question:
        raise ValueError("question must not be empty or only white space")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(f"question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS} "
                         f"(after trimming white space)")
    bad = _FORBIDDEN.search(question)
    if bad:
        raise ValueError(f"question contains a character that is not allowed (U+{ord(bad.group()):04X}); "
                         "remove it and ask again")
    return question


def top_k_value(value: object) -> int:
    """``top_k`` as a JSON number: a whole number from 1 to 10, written ``6`` or ``6.0``; ``ValueError`` else.

    JSON Schema's ``integer`` is any number whose fractional part is zero, so ``6.0`` is the integer 6.
    """
    whole = f"top_k must be a whole number from {MIN_TOP_K} to {MAX_TOP_K}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(whole)
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ValueError(whole)
        value = int(value)
    if value < MIN_TOP_K:
        raise ValueError(f"top_k must be at least {MIN_TOP_K}")
    if value > MAX_TOP_K:
        raise ValueError(f"top_k must be at most {MAX_TOP_K}")
    return value


def form_top_k(raw: object) -> int:
    """``top_k`` sent as text (the no-JavaScript form), read as the JSON path reads it: a JSON number (so not
    ``+3``, ``03``, ``1_0`` or other scripts' digits), then the same rule; blank is the default."""
    if raw is None or raw == "":
        return DEFAULT_TOP_K
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):  # not JSON, or a number with more digits than Python converts
        value = None
    return top_k_value(value)


# A question as every request carries it: a string, trimmed, 1–1000 characters, no control characters.
QuestionText = Annotated[str, Field(strict=True), AfterValidator(clean_question)]


class AskRequest(BaseModel):
    """A question for ``POST /api/ask``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "How much magnesium glycinate should I take for sleep?", "top_k": 3},
                     {"question": "How many hours apart should I take them?",
                      "history": ["Can I take magnesium with doxycycline?"]}]})

    question: QuestionText = Field(description=f"1–{MAX_QUESTION_CHARS} characters after trimming white space.")
    top_k: int = Field(DEFAULT_TOP_K, ge=MIN_TOP_K, le=MAX_TOP_K,
                       description="How many answer passages at most: a whole number, written 6 or 6.0 "
                                   "(not 6.5, not the string \"6\").")
    explain: bool = Field(False, strict=True, description="Also return the trace: why each passage was chosen "
                                                          "and why an answer was refused.")

    history: list[Annotated[str, Field(strict=True)]] = Field(
        default=[], max_length=MAX_HISTORY,  # a default the schema states (pydantic copies it per request)
        description=f"Up to {MAX_HISTORY} earlier questions of the conversation, oldest first, each like "
                    "`question`. A question that depends on one of them is answered in its context.")

    @field_validator("history")
    @classmethod
    def _history(cls, value: list[str]) -> list[str]:
        return clean_history(value)

    @field_validator("top_k", mode="before")
    @classmethod
    def _top_k(cls, value: object) -> int:
        return top_k_value(value)


def allowed_text(value: str, what: str) -> str:
    """``value`` unchanged; ``ValueError`` if it holds a control character or an unpaired surrogate."""
    bad = _FORBIDDEN.search(value)
    if bad:
        raise ValueError(f"{what} contains a character that is not allowed (U+{ord(bad.group()):04X})")
    return value


def clean_history(value: list[str]) -> list[str]:
    """Each earlier question cleaned like ``question``; ``ValueError`` naming the item that is unusable."""
    if len(value) > MAX_HISTORY:
        raise ValueError(f"history has {len(value)} questions; the limit is {MAX_HISTORY} (the most recent ones)")
    cleaned = []
    for i, item in enumerate(value):
        try:
            cleaned.append(clean_question(item))
        except ValueError as exc:
            raise ValueError(f"history item {i}: {exc}") from None
    return cleaned


class FeedbackPassageIn(BaseModel):
    """A passage the answer showed, by its span in the document."""

    model_config = ConfigDict(extra="forbid")

    document_id: str = Field(strict=True, min_length=1, max_length=MAX_DOCUMENT_ID_CHARS)
    start: int = Field(strict=True, ge=0)
    end: int = Field(strict=True, ge=0)

    @model_validator(mode="after")
    def _span(self) -> FeedbackPassageIn:
        if self.end < self.start:
            raise ValueError(f"a passage's end ({self.end}) must not be before its start ({self.start})")
        allowed_text(self.document_id, "document_id")
        return self


class FeedbackIn(BaseModel):
    """👍 / 👎 on one answer for ``POST /api/feedback``; only these fields are stored, with the time."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "question": "How much magnesium glycinate should I take for sleep?", "rating": "up", "note": "",
        "build_id": "20261201T220308570200Z",
        "passages": [{"document_id": "magnesium-glycinate-research", "start": 3712, "end": 3763}]}]})

    question: QuestionText = Field(description=f"The question answered, 1–{MAX_QUESTION_CHARS} characters.")
    rating: Literal["up", "down"] = Field(description="👍 up or 👎 down.")
    note: str = Field("", strict=True, max_length=MAX_NOTE_CHARS, description="Optional; may be empty.")
    build_id: str | None = Field(None, strict=True, max_length=MAX_BUILD_ID_CHARS,
                                 description="The answer's `build_id`.")
    passages: list[FeedbackPassageIn] = Field(default_factory=list, max_length=MAX_FEEDBACK_PASSAGES,
                                              description="The passages the answer showed.")

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        return allowed_text(value.strip(), "note")

    @field_validator("build_id")
    @classmethod
    def _build_id(cls, value: str | None) -> str | None:
        return None if value is None else allowed_text(value, "build_id")


class FeedbackCreatedOut(BaseModel):
    id: int = Field(description="The stored feedback's id.")


class SpanOut(BaseModel):
    start: int
    end: int


class ReferenceOut(BaseModel):
    """A works-cited entry of the source that a footnote marker in the passage points to."""

    number: int
    title: str
    url: str | None
    start: int = Field(description="Where the entry is in the source document's text.")
    end: int


class PassageOut(BaseModel):
    """A quoted span: ``text`` is exactly ``GET /api/documents/{document_id}``'s ``text[start:end]``."""

    text: str
    document_id: str
    document_title: str
    section: str
    start: int
    end: int
    score: float
    highlight: SpanOut | None = Field(description="The sentence inside [start, end) that answers best.")
    evidence: str | None = Field(description="The strength of evidence the source itself states, if any.")
    references: list[ReferenceOut]
    kind: str = Field(description="body, safety or disclaimer.")
    section_start: int | None = Field(None, description="Where the passage's section begins in the document.")


class NoticeOut(BaseModel):
    kind: str = Field(description='"emergency"')
    text: str


class ConflictOut(BaseModel):
    """Passages (indexes into ``passages``) whose sources disagree on one point."""

    topic: str
    passages: list[int]
    documents: list[str]


class TraceStepOut(BaseModel):
    step: str
    detail: str
    data: dict


class FollowUpOut(BaseModel):
    """The earlier question a follow-up was answered in the context of."""

    question: str
    history_index: int = Field(description="Its index in the request's `history` (oldest first).")


class AnswerOut(BaseModel):
    """Quoted passages, cautions and a quoted disclaimer; nothing is generated."""

    question: str
    answered: bool
    reason: str | None = Field(description='Why nothing was answered (e.g. "not_covered"), else null.')
    passages: list[PassageOut]
    safety: list[PassageOut]
    disclaimer: PassageOut
    notice: NoticeOut | None
    conflicts: list[ConflictOut] = []
    answerable_probability: float | None = Field(
        None, description="The learned answerability model's probability that the sources answer this, when "
                          "the index has one.")
    trace: list[TraceStepOut] | None = Field(None, description="With explain: the steps that led to this answer.")
    context: FollowUpOut | None = Field(None, description="When the question was read as a follow-up: the "
                                                          "earlier question whose context was used.")
    build_id: str | None = Field(None, description="The index build that answered.")


class DocumentSummaryOut(BaseModel):
    id: str
    title: str
    source_kind: str
    date: str | None
    publisher: str | None
    characters: int


class DocumentOut(DocumentSummaryOut):
    text: str
    references: list[ReferenceOut]


class HealthOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: str
    build_id: str | None = None
    built_at: str | None = None
    model: dict[str, Any] | None = None
    vector_index: str | None = None
    chunker_version: str | None = None
    documents: list[dict[str, Any]] = []
    counts: dict[str, Any] | None = None
    documents_dir: str | None = Field(None, description="The documents folder the served build was made from.")
    refused: dict[str, str] | None = Field(
        None, description="The newest build that was not served because it failed its checks: build_id, reason, at.")


class ErrorOut(BaseModel):
    detail: str


class ValidationErrorItem(BaseModel):
    field: str = Field(description='Where the problem is, e.g. "question" or "body".')
    message: str


class ValidationErrorOut(BaseModel):
    detail: str = Field(description="What is wrong, in one sentence per problem.")
    errors: list[ValidationErrorItem]


def span_out(span: Span | None) -> SpanOut | None:
    return None if span is None else SpanOut(start=span.start, end=span.end)


def reference_out(ref: Reference) -> ReferenceOut:
    return ReferenceOut(number=ref.number, title=ref.title, url=ref.url, start=ref.start, end=ref.end)


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(
        text=p.text, document_id=p.document_id, document_title=p.document_title, section=p.section,
        start=p.start, end=p.end, score=p.score, highlight=span_out(p.highlight), evidence=p.evidence,
        references=[reference_out(r) for r in p.references], kind=p.kind, section_start=p.section_start,
    )


def notice_out(n: Notice | None) -> NoticeOut | None:
    return None if n is None else NoticeOut(kind=n.kind, text=n.text)


def follow_up_out(f: FollowUp | None) -> FollowUpOut | None:
    return None if f is None else FollowUpOut(question=f.question, history_index=f.history_index)


def conflict_out(c: Conflict) -> ConflictOut:
    return ConflictOut(topic=c.topic, passages=list(c.passages), documents=list(c.documents))


def answer_out(answer: Answer, explain: bool = False) -> AnswerOut:
    return AnswerOut(
        question=answer.question, answered=answer.answered, reason=answer.reason,
        passages=[passage_out(p) for p in answer.passages], safety=[passage_out(p) for p in answer.safety],
        disclaimer=passage_out(answer.disclaimer), notice=notice_out(answer.notice),
        conflicts=[conflict_out(c) for c in answer.conflicts], answerable_probability=answer.answerable_probability,
        trace=[TraceStepOut(step=t.step, detail=t.detail, data=t.data) for t in answer.trace] if explain else None,
        context=follow_up_out(answer.context), build_id=answer.build_id,
    )


def document_summary_out(doc: Document) -> DocumentSummaryOut:
    return DocumentSummaryOut(id=doc.id, title=doc.title, source_kind=doc.source_kind, date=doc.date,
                              publisher=doc.publisher, characters=len(doc.text))


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(id=doc.id, title=doc.title, source_kind=doc.source_kind, date=doc.date,
                       publisher=doc.publisher, characters=len(doc.text), text=doc.text,
                       references=[reference_out(r) for r in doc.references])
