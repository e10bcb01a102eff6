"""What the chat templates show for an answer: clean quotes, citation previews, the notice, Markdown for copying.

Built from the API's ``AnswerOut`` (the same object the JavaScript chat receives), so the page with and
without JavaScript renders one thing. Every passage is checked against its document first: only exact
slices of the sources are ever shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from assistant import ingest, render
from assistant.engine import Assistant
from assistant.schemas import AnswerOut, PassageOut
from assistant.sentences import split_sentences

# A telephone number in the notice's own text: a run of digits (spaces, dashes or a leading + allowed).
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\d -]{0,14}\d)?(?!\w)")
MIN_PHONE_DIGITS = 3
MAX_FEEDBACK_PASSAGES = 20  # what POST /api/feedback accepts


class StaleAnswer(ValueError):
    """An answer whose passages are not (any more) exact slices of the served documents."""


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


@dataclass(frozen=True)
class PassageView:
    p: PassageOut
    quote: render.QuoteView
    uid: str  # unique in the page: ids of its footnote targets and preview
    cite: str
    before: str  # a sentence of context either side, for the citation preview
    after: str

    @property
    def linked(self) -> set[int]:
        return {r.number for r in self.p.references}


@dataclass(frozen=True)
class NoticeView:
    kind: str
    title: str
    parts: tuple[tuple[str, str | None], ...]  # (text, tel: number or None)


@dataclass(frozen=True)
class AnswerView:
    answer: AnswerOut
    passages: tuple[PassageView, ...]
    cautions: tuple[PassageView, ...]
    disclaimer: PassageView
    notice: NoticeView | None
    context: str | None  # the earlier question this answer was read with
    markdown: str
    feedback: dict


@dataclass(frozen=True)
class ExchangeView:
    index: int
    question: str
    answer: AnswerView


def notice_view(kind: str, text: str) -> NoticeView:
    """The notice's first sentence as its heading (said once), the rest as its body with numbers as links."""
    spans = split_sentences(text)
    title = text[spans[0][0]:spans[0][1]] if spans else text
    body = text[spans[1][0]:].strip() if len(spans) > 1 else ""
    parts: list[tuple[str, str | None]] = []
    pos = 0
    for m in _PHONE.finditer(body):
        digits = re.sub(r"[^\d+]", "", m.group())
        if sum(c.isdigit() for c in digits) < MIN_PHONE_DIGITS:
            continue
        parts += [(body[pos:m.start()], None), (m.group(), digits)]
        pos = m.end()
    parts.append((body[pos:], None))
    return NoticeView(kind, title, tuple((t, tel) for t, tel in parts if t))


def _passage(assistant: Assistant, p: PassageOut, uid: str, mark: bool) -> PassageView:
    doc = assistant.document(p.document_id)
    if doc is None or doc.text[p.start:p.end] != p.text:
        raise StaleAnswer(f"the passage {p.document_id}[{p.start}:{p.end}] is not in the served sources")
    max_ref = max((r.number for r in doc.references), default=0)
    rows = render.rows_for(render.table_rows(doc.text, ingest.is_markdown(doc)), doc.text, p.start, p.end)
    highlight = (p.highlight.start, p.highlight.end) if p.highlight else None
    if not (mark and render.worth_marking(p.text, p.start, highlight)):
        highlight = None
    view = render.quote_view(p.text, p.start, highlight, max_ref=max_ref, rows=rows)
    before, after = render.context_around(doc.text, p.start, p.end)
    return PassageView(p, view, uid, cite_url(p), before, after)


def passage_markdown(v: PassageView, base_url: str) -> str:
    lines = [render.quote_markdown(v.quote), f"> — {v.p.document_title}, {v.p.section} "
                                               f"([source]({base_url.rstrip('/')}{v.cite}))"]
    lines += [f"[^{r.number}]: {r.title}" + (f" <{r.url}>" if safe_url(r.url) else "") for r in v.p.references]
    return "\n".join(lines)


def answer_markdown(question: str, view: AnswerView, base_url: str) -> str:
    out = [f"## {question}"]
    if view.context:
        out.append(f"*Answered in the context of: {view.context}*")
    if view.notice:
        out.append(f"**{view.notice.title}** " + "".join(t for t, _ in view.notice.parts))
    if not view.answer.answered:
        out.append("The sources don’t cover this.")
    out += [passage_markdown(v, base_url) for v in view.passages]
    if view.cautions:
        out.append("### Cautions from the sources")
        out += [passage_markdown(v, base_url) for v in view.cautions]
    out.append("### Disclaimer, quoted from the sources")
    out.append(passage_markdown(view.disclaimer, base_url))
    return "\n\n".join(out)


def visible_safety(answer: AnswerOut) -> list[PassageOut]:
    """Cautions not already quoted as answer passages (those carry a caution badge instead)."""
    shown = {(p.document_id, p.start, p.end) for p in answer.passages}
    return [s for s in answer.safety if (s.document_id, s.start, s.end) not in shown]


def _earlier_question(answer: AnswerOut) -> str | None:
    context = getattr(answer, "context", None)
    if context is None:
        return None
    question = context.get("question") if isinstance(context, dict) else getattr(context, "question", None)
    return question if isinstance(question, str) and question else None


def answer_view(assistant: Assistant, answer: AnswerOut, index: int, base_url: str) -> AnswerView:
    """Raises ``StaleAnswer`` when a passage is not an exact slice of the served documents."""
    prefix = f"x{index}"
    passages = tuple(_passage(assistant, p, f"{prefix}-a{i}", True) for i, p in enumerate(answer.passages))
    cautions = tuple(_passage(assistant, p, f"{prefix}-c{i}", False) for i, p in enumerate(visible_safety(answer)))
    disclaimer = _passage(assistant, answer.disclaimer, f"{prefix}-d", False)
    notice = notice_view(answer.notice.kind, answer.notice.text) if answer.notice else None
    shown = [*answer.passages, *answer.safety][:MAX_FEEDBACK_PASSAGES]
    feedback = {"question": answer.question, "build_id": getattr(answer, "build_id", None),
                "passages": [{"document_id": p.document_id, "start": p.start, "end": p.end} for p in shown]}
    view = AnswerView(answer, passages, cautions, disclaimer, notice, _earlier_question(answer), "", feedback)
    return AnswerView(**{**view.__dict__, "markdown": answer_markdown(answer.question, view, base_url)})
