"""Recognisers for what a piece of text is: safety, disclaimer, boilerplate, evidence labels,
footnote markers and works-cited entries. Pure functions over strings."""

from __future__ import annotations

import re

from assistant.sentences import SUPERSCRIPTS
from assistant.types import Reference

REFERENCES_HEADING = re.compile(r"^(works cited|references|bibliography|sources|citations|literature cited)$", re.I)
DISCLAIMER_HEADING = re.compile(r"disclaimer|terms of use", re.I)
SAFETY_HEADING = re.compile(
    r"safety|side effects?|adverse|contraindicat|precaution|cautio|warning|interaction|toxicit|overdose", re.I
)
SAFETY_TEXT = re.compile(
    r"side effects?|contraindicat|toxicity|hypermagnesemia|overdose|upper (intake )?level|\bUL\b|"
    r"\binteract(s|ions?)?\b|consult (a|your|with)|healthcare (provider|professional)|should not take|"
    r"kidney disease|renal (impairment|failure|function)|heart block|myasthenia|pregnan|breastfeed|"
    r"\bcaution|medical supervision|life-threatening|diarrh|laxative effect|slow heart rate",
    re.I,
)
DISCLAIMER_TEXT = re.compile(
    r"for (general )?(educational|informational) purposes only|"
    r"substitute for professional medical advice|not been evaluated by the (u\.s\. )?food and drug|"
    r"^\s*(medical )?disclaimer\s*:|^\s*important note\s*:",
    re.I,
)
# Wording that is a disclaimer only when it is about advice ("...should not be construed as medical
# advice"), not in a study abstract ("the results are not intended to be prescriptive").
_DISCLAIMER_WEAK = re.compile(
    r"not intended (as|to (be|diagnose))|(should not|not to) be (construed|considered) as|"
    r"not (be )?considered a substitute for|not a substitute for", re.I
)
_ADVICE = re.compile(r"\b(medical|health|healthcare|professional) advice\b|\bdiagnose, (treat|prevent)", re.I)
NAV_LINE = re.compile(
    r"^(previous|next|previous (post|article)|next (post|article)|back to top|share( this)?|home|menu)$", re.I
)
RELATED_LINE = re.compile(
    r"^(you may also like|related (posts|articles|reading|stories)|recommended (for you|reading)|"
    r"more from|read (more|next))\b", re.I
)
CTA = re.compile(
    r"\b(start a conversation|sign up|subscribe|newsletter|our ai assistant|have questions about this|"
    r"click here|free, private|download (the|our) app)\b|→\s*$|\bask [A-Z][\w ]*\bAI\b",
    re.I,
)
# A call to action is short; a long paragraph that mentions "subscribe" is prose.
CTA_MAX_CHARS = 400

_EVIDENCE_WORDS = r"(?:strong|moderate|limited|weak|preliminary|emerging|suggestive|conflicting|insufficient|mixed|negative|promising)"
EVIDENCE_LINE = re.compile(
    r"^[\s•\-*]*((?:✓+\s*)?" + _EVIDENCE_WORDS + r"[\w/ ]{0,40}?evidence)\s*:?\s*$", re.I
)
# A label at the start of the paragraph it governs: after check marks, run straight into a capital
# letter, or followed by a colon ("✓✓ Moderate EvidenceMultiple...", "Strong EvidenceClinical...",
# "Moderate Evidence: Several trials...").
EVIDENCE_PREFIX = re.compile(
    r"^\s*(✓+\s*" + _EVIDENCE_WORDS + r"[\w/ ]{0,30}?Evidence|" + _EVIDENCE_WORDS
    + r"[\w/ ]{0,30}?Evidence(?=(?-i:[A-Z])|\s*:))", re.I
)

_SUPER_MAP = {c: str(i) for i, c in enumerate(SUPERSCRIPTS)}
_SUPER_RUN = re.compile(f"[{SUPERSCRIPTS}]+")
# A plain footnote number: after a full stop and before a tab (the end of a PDF table cell), or after
# a word or full stop at a line end or the text end, but not before a line that continues the
# sentence in lower case ("at least 2⏎⏎hours after").
_PLAIN_MARKER = re.compile(
    r"(?<=[.)])\s(\d{1,2})(?=[ ]?\t)|(?<=[.)a-z%])\s(\d{1,2})(?=[ ]?(?:$|\n(?!\s*(?:[-•*]\s+)?[a-z])))"
)
_REF_NUMBER = re.compile(r"^[\s\-•*]*(\d{1,3})[.)]\s+")
_URL = re.compile(r"https?://\S+")


def is_safety(text: str) -> bool:
    return bool(SAFETY_TEXT.search(text))


def is_disclaimer(text: str) -> bool:
    return bool(DISCLAIMER_TEXT.search(text)) or bool(_DISCLAIMER_WEAK.search(text) and _ADVICE.search(text))


def evidence_line(text: str) -> str | None:
    """The label when the whole line is an evidence label ("• Moderate/Promising Evidence:")."""
    m = EVIDENCE_LINE.match(text.strip())
    return re.sub(r"\s+", " ", m.group(1)).strip() if m else None


def evidence_prefix(text: str) -> str | None:
    """The label glued to the start of a paragraph ("✓✓✓ Strong EvidenceClinical trials...")."""
    m = EVIDENCE_PREFIX.match(text)
    return re.sub(r"\s+", " ", m.group(1)).strip() if m else None


def _split_run(digits: str, max_ref: int) -> list[int]:
    value = int(digits)
    if 0 < value <= max_ref:
        return [value]
    # Adjacent markers run together ("³⁹⁴⁰" is 39 and 40): split into valid numbers, longest first.
    for cut in range(len(digits) - 1, 0, -1):
        left, right = digits[:cut], digits[cut:]
        if right[0] != "0" and 0 < int(left) <= max_ref:
            rest = _split_run(right, max_ref)
            if rest:
                return [int(left), *rest]
    return []


def marker_spans(text: str, max_ref: int) -> list[tuple[int, int, tuple[int, ...]]]:
    """Where the footnote markers are: ``(start, end, reference numbers)`` for each superscript run and
    plain trailing number that names references 1..``max_ref``, in text order."""
    if max_ref <= 0:
        return []
    found: list[tuple[int, int, tuple[int, ...]]] = []
    for m in _SUPER_RUN.finditer(text):
        numbers = _split_run("".join(_SUPER_MAP[c] for c in m.group()), max_ref)
        if numbers:
            found.append((m.start(), m.end(), tuple(numbers)))
    for m in _PLAIN_MARKER.finditer(text):
        group = 1 if m.group(1) else 2
        value = int(m.group(group))
        if 0 < value <= max_ref:
            found.append((m.start(group), m.end(group), (value,)))
    return sorted(found)


def footnote_markers(text: str, max_ref: int) -> tuple[int, ...]:
    """Reference numbers a span points to: superscript digits and plain trailing numbers."""
    spans = marker_spans(text, max_ref)
    supers = [n for a, _, ns in spans if text[a] in SUPERSCRIPTS for n in ns]
    plain = [n for a, _, ns in spans if text[a] not in SUPERSCRIPTS for n in ns]
    return tuple(dict.fromkeys(supers + plain))


def _is_continuation(entry: str, previous: str) -> bool:
    """An unnumbered line continues the previous entry: a URL or a fragment of one, a lower-case
    remainder, or anything after an entry left open (no URL yet and no closing full stop)."""
    s = entry.strip().lstrip("-•* ").strip()
    first = s.split(" ", 1)[0] if s else ""
    if s.startswith(("http", "<")) or len(first) >= 20 or (s[:1].islower()):
        return True
    tail = previous.rstrip()
    return not _URL.search(previous) and bool(tail) and tail[-1] not in ".!?"


def _url(body: str) -> str | None:
    m = _URL.search(body)
    if not m:
        return None
    url = m.group()
    # A URL cut by a PDF page break: the rest of the entry is one word on its own line ("glycin⏎⏎ate").
    rest = re.fullmatch(r"[ \t]*\n\s*([^\s<>]+)\s*", body[m.end() :])
    if rest and not rest.group(1).startswith("http"):
        url += rest.group(1)
    return url.rstrip(".,")


def parse_references(spans: list[tuple[int, int]], text: str) -> list[Reference]:
    """Works-cited entries from the blocks of a references section (numbered or not)."""
    entries: list[list[int]] = []  # [number, start, end]
    for start, end in spans:
        chunk = text[start:end]
        m = _REF_NUMBER.match(chunk)
        if m:
            entries.append([int(m.group(1)), start, end])
        elif entries and _is_continuation(chunk, text[entries[-1][1] : entries[-1][2]]):
            entries[-1][2] = end
        else:
            entries.append([entries[-1][0] + 1 if entries else 1, start, end])
    refs = []
    for number, start, end in entries:
        body = text[start:end]
        title = _REF_NUMBER.sub("", body, count=1)
        title = re.split(r",\s*accessed\b|\.?\s*Retrieved? from:?|https?://", title)[0]
        title = re.sub(r"\s+", " ", title.strip(" -•*\n\t")).strip().rstrip(",")
        refs.append(Reference(number, title, _url(body), start, end))
    return refs
