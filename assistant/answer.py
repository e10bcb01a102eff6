"""Hits → an Answer: pick and trim passages, collapse duplicates, show disagreement, abstain when
the sources do not cover the question, and attach cautions, a disclaimer and any emergency notice."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from assistant import conflicts, safety
from assistant.config import Settings
from assistant.index import LoadedIndex
from assistant.lexical import token_set, tokenize
from assistant.lexicon import DRUG_CLASSES, DRUG_SUFFIX, MEDICINES, OTHER_SUBSTANCES, PAIRING
from assistant.passages import make_passage
from assistant.query import GENERIC_FOR_DOSE, Query, QueryAnalyzer, light_stem, light_terms
from assistant.retrieve import Retriever, SearchResult
from assistant.types import Answer, Hit, Passage

SAME_DOC_PENALTY = 0.93
CANDIDATES = 12
CONFLICT_MIN_SHARE = 0.8
TOXICITY_PROBE = ("magnesium toxicity hypermagnesemia symptoms progress flushing hypotension hyporeflexia "
                  "respiratory depression cardiac arrest")
DOSE_BOOST = 0.1
NO_AMOUNT_PENALTY = 0.05
FOCUS_HITS = 5
FOCUS_MIN = 0.2
# Weak closeness is enough only when the top passages also share some of the question's topic words.
FOCUS_WEAK = 0.27
COVERAGE_MIN = 0.15
DUPLICATE_JACCARD = 0.6


@dataclass(frozen=True)
class Coverage:
    """Evidence that the sources answer the question."""

    top_dense: float
    top_score: float
    focus_coverage: float  # IDF-weighted share of the question's topic words found in the top passages
    unknown_focus: tuple[str, ...]  # topic words the corpus never uses


def coverage(result: SearchResult, index: LoadedIndex) -> Coverage:
    q = result.query
    focus = [t for t in dict.fromkeys(q.focus_terms)]
    stems = {t: (tokenize(t) or [t])[0] for t in focus}
    unknown = tuple(t for t in focus if stems[t] not in index.lexical.vocab)
    top = result.hits[:3]
    top_tokens: set[str] = set()
    for h in top:
        top_tokens |= token_set(h.chunk.embedding_text())
    weights = {t: max(index.lexical.idf(stems[t]), 1.0 if t in unknown else 0.0) for t in focus}
    total = sum(weights.values())
    # A topic word counts as found when it, a longer form of it, or the sources' word for it
    # (from the lexicon: 'pregnant' → 'pregnancy') is in the top passages.
    alternatives = {t: {stems[t], *(s for w in q.expansion_of.get(t, []) for s in tokenize(w))} for t in focus}
    found = sum(w for t, w in weights.items() if _matches(alternatives[t], top_tokens))
    return Coverage(
        top_dense=max((h.dense_score for h in top), default=0.0),
        top_score=top[0].score if top else 0.0,
        focus_coverage=found / total if total else 1.0,
        unknown_focus=unknown,
    )


_AMOUNT = re.compile(r"\d\s*(mg|g|grams?|mcg|µg|milligrams?)\b", re.I)
_EXPLICIT_DOSE = re.compile(
    r"\b(how much|how many (mg|milligrams?|grams?|capsules?|pills?|tablets?)|"
    r"what (is the |'s the )?(dose|dosage|amount)|which dose|(dose|dosage|dosing) (of|for|is))\b", re.I)


def unknown_substance(query: Query, analyzer: QueryAnalyzer) -> str | None:
    """A supplement or drug the question is about that the sources never mention."""
    paired = re.search(PAIRING, query.text, re.I) is not None
    for t in query.terms:
        unseen = not analyzer.uses(t)
        medicine = t in MEDICINES or (re.search(DRUG_SUFFIX, t) is not None and t not in DRUG_CLASSES)
        if unseen and ((t in OTHER_SUBSTANCES and not medicine) or (medicine and paired)):
            return t
    return None


def unknown_topic(query: Query, cov: Coverage, analyzer: QueryAnalyzer) -> str | None:
    """A specialised word the sources never use ('ADHD'), in a question with at most one other
    topic word: it is what the question is about, and the sources cannot answer it."""
    focus = set(query.focus_terms)
    if query.foreign or len(focus) > 2:
        return None
    unknown = [t for t in cov.unknown_focus if not query.expansion_of.get(t) and analyzer.is_specialised(t)]
    # With a specialised word the sources do use ('doxycycline for acne'), that word is the topic.
    if not unknown or any(analyzer.is_specialised(t) for t in focus - set(cov.unknown_focus)):
        return None
    return unknown[0]


# Things people ask about a supplement that sources like these rarely state: which brand, its price,
# where to buy it, its half-life. Only refused when the sources never use the word. ("Is it worth the
# cost?" is a comparison the sources may answer, so "cost" is not among them.)
_UNSTATED = re.compile(r"\b((which|what|best|recommend\w*|good|top|favou?rite|trusted|reliable|cheapest)\b[^.?!]{0,25}?"
                       r"\b(?P<brand>brands?)\b|(?P<w>prices?|priced|pricing|half-?li(?:fe|ves)|buy))\b", re.I)
_WHERE_TO_BUY = re.compile(r"\b(where|which (store|shop|site|website)|what (store|shop|site|website))\b.{0,30}\bbuy\b",
                           re.I)


def unstated_ask(query: Query, analyzer: QueryAnalyzer) -> str | None:
    """A brand, price, place to buy or half-life asked for, in words the sources never use."""
    for m in _UNSTATED.finditer(query.text):
        word = (m.group("brand") or m.group("w")).lower().replace("-", "")
        if word == "buy" and not _WHERE_TO_BUY.search(query.text):
            continue  # "why not just buy oxide?" asks about oxide
        if not analyzer.uses(word):
            return word
    return None


def dose_shares(query: Query, hits: list[Hit], analyzer: QueryAnalyzer,
                specialised_only: bool = False) -> list[float] | None:
    """For 'how much / what dose' questions: per hit, the share of the question's specific words
    that the hit contains if it states an amount (0.0 when it states none); None for other questions.
    Specialised words the sources never use count as the most specific of all, unless a lexicon maps
    them to words they do use. With ``specialised_only``, everyday words ('son', 'start', 'general
    health') are left out: they say who asks, not what the dose is of ('valerian', 'spinach')."""
    if not _EXPLICIT_DOSE.search(query.text):
        return None
    generic = {light_stem(g) for g in GENERIC_FOR_DOSE}
    groups: dict[str, set[str]] = {}
    for t in query.focus_terms:
        stem = light_stem(t)
        if specialised_only and not analyzer.is_specialised(t):
            continue
        if stem not in generic:
            groups[stem] = {stem} | {light_stem(w) for w in query.expansion_of.get(t, [])}
    top_idf = math.log(analyzer.n_texts) + 1.0
    weights = {}
    for stem, alts in groups.items():
        known = [analyzer.idf(a) for a in alts if analyzer.df.get(a)]
        if known:
            weights[stem] = max(known)
        else:
            # An everyday word the sources do not use ('bottle', 'girl') is how someone asks; a
            # specialised one ('creatine', 'eclampsia') is what they ask about.
            weights[stem] = 1.0 if analyzer.is_everyday(stem) else top_idf
    total = sum(weights.values())
    shares = []
    for h in hits:
        if not _AMOUNT.search(h.chunk.text):
            shares.append(0.0)
        elif total <= 0:
            shares.append(1.0)
        else:
            terms = light_terms(h.chunk.embedding_text())
            shares.append(sum(w for stem, w in weights.items() if _matches(groups[stem], terms)) / total)
    return shares


def _matches(alternatives: set[str], terms: AbstractSet[str]) -> bool:
    """A word or a longer form of it ('prevent' → 'prevention'; 'glycine' never meets 'glycinate')."""
    return bool(alternatives & terms) or any(
        t.startswith(a) for a in alternatives if len(a) >= 5 for t in terms)


def dose_support(query: Query, hits: list[Hit], analyzer: QueryAnalyzer) -> float:
    """The best dose share among the top hits (1.0 when the question asks no dose)."""
    shares = dose_shares(query, hits[:10], analyzer, specialised_only=True)
    return 1.0 if shares is None else max(shares, default=0.0)


def focus_support(result: SearchResult, retriever: Retriever) -> float:
    """How close the question's own topic words (without the generic subject, e.g. 'price' in
    'What is the price of magnesium glycinate?') come to any sentence of the top hits."""
    if result.topic_vector is None or not result.hits or result.query.foreign:
        return 1.0
    return retriever.best_sentence_similarity(result.topic_vector, [h.chunk for h in result.hits[:FOCUS_HITS]])


def abstain_reason(cov: Coverage, result: SearchResult, analyzer: QueryAnalyzer,
                   focus: float = 1.0) -> str | None:
    query = result.query
    if not query.text.strip() or not query.terms:
        return "not_a_question"
    if not result.hits or cov.top_dense < 0.30:
        return "not_covered"
    if unknown_substance(query, analyzer) or unknown_topic(query, cov, analyzer) or unstated_ask(query, analyzer):
        return "not_covered"
    # "How many mg with my kidney disease?": the sources' caution for the condition is the answer.
    if not query.conditions and dose_support(query, result.hits, analyzer) < 0.6:
        return "dose_not_stated"
    if focus < FOCUS_MIN or (focus < FOCUS_WEAK and cov.focus_coverage < COVERAGE_MIN):
        return "not_covered"
    return None


def _jaccard(a: str, b: str) -> float:
    x, y = token_set(a, stem=False), token_set(b, stem=False)
    return len(x & y) / len(x | y) if x and y else 0.0


def candidates_for(hits: list[Hit], result: SearchResult, index: LoadedIndex, analyzer: QueryAnalyzer,
                   max_chars: int) -> list[tuple[float, Hit, Passage]]:
    """The best hits as passages; a dose question prefers passages stating an amount for what it asks."""
    tokens = result.query_tokens
    head = hits[:CANDIDATES]
    shares = dose_shares(result.query, head, analyzer)
    if shares is None:
        adjust = [0.0] * len(head)
    else:
        # An amount is what a dose question asks for: a passage that states none cannot answer it.
        adjust = [DOSE_BOOST * share - (0.0 if _AMOUNT.search(h.chunk.text) else NO_AMOUNT_PENALTY)
                  for h, share in zip(head, shares, strict=True)]
    return [(h.score + a, h, make_passage(h.chunk, index, h.score, tokens, max_chars))
            for h, a in zip(head, adjust, strict=True)]


def show_disagreement(chosen: list[Passage], candidates: list[tuple[float, Hit, Passage]]) -> list[Passage]:
    """If a close candidate from another document disagrees with the best passage, show it too."""
    if len(chosen) < 2 or conflicts.find_conflicts(chosen):
        return chosen
    best = chosen[0]
    for score, _, p in sorted(candidates, key=lambda x: -x[0]):
        if score < CONFLICT_MIN_SHARE * best.score:
            break
        if any((c.document_id, c.start) == (p.document_id, p.start) for c in chosen):
            continue
        partner = next((i for i, c in enumerate(chosen) if conflicts.disagree(c, p)), None)
        if partner is not None:
            # Replace the weakest passage that is neither the best nor the one it disagrees with.
            droppable = [i for i in range(1, len(chosen)) if i != partner]
            if not droppable:
                continue
            kept = [c for i, c in enumerate(chosen) if i != droppable[-1]]
            return [*kept, replace(p, score=round(score, 4))]
    return chosen


def _quotes_best_of(chosen: Passage, other: Passage) -> bool:
    """``chosen`` already quotes ``other``'s best sentence (passages reach across chunk cuts)."""
    hl = other.highlight
    return (chosen.document_id == other.document_id and hl is not None
            and chosen.start <= hl.start and hl.end <= chosen.end)


def _without_overlap(p: Passage, chosen: Passage) -> Passage:
    """``p`` less the sentences ``chosen`` already quotes (they overlap where a passage reached
    across a chunk cut); the rest is still an exact slice of the source."""
    if p.document_id != chosen.document_id or not (p.start < chosen.end and chosen.start < p.end):
        return p
    if chosen.start <= p.start < chosen.end < p.end:
        cut = chosen.end - p.start
        text = p.text[cut:].lstrip()
        return replace(p, text=text, start=p.end - len(text))
    if p.start < chosen.start < p.end <= chosen.end:
        text = p.text[: chosen.start - p.start].rstrip()
        return replace(p, text=text, end=p.start + len(text))
    return p


def choose_passages(candidates: list[tuple[float, Hit, Passage]], top_k: int) -> list[Passage]:
    """Greedy selection: best first, other documents preferred, near-duplicates collapsed."""
    pool = list(candidates)
    chosen: list[Passage] = []
    while pool and len(chosen) < top_k:
        pool.sort(key=lambda x: -x[0])
        score, hit, p = pool.pop(0)
        p = replace(p, score=round(score, 4))
        dup = next((c for c in chosen if _jaccard(c.text, p.text) >= DUPLICATE_JACCARD), None)
        if dup is not None and not conflicts.disagree(dup, p):
            continue
        if any(_quotes_best_of(c, p) for c in chosen):
            continue
        for c in chosen:
            p = _without_overlap(p, c)
        chosen.append(p)
        pool = [(s * (SAME_DOC_PENALTY if h.chunk.doc_id == p.document_id else 1.0), h, q) for s, h, q in pool]
    return chosen


def compose_answer(question: str, top_k: int, index: LoadedIndex, retriever: Retriever,
                   settings: Settings) -> Answer:
    result = retriever.search(question)
    t0 = time.perf_counter()
    query = result.query
    notice = safety.emergency_notice(query.text or question)
    cov = coverage(result, index)
    reason = abstain_reason(cov, result, retriever.analyzer)
    if reason is None:
        reason = abstain_reason(cov, result, retriever.analyzer, focus_support(result, retriever))
    if notice is not None and reason is not None and query.terms:
        reason = None  # an emergency always gets the toxicity passages
    passages: list[Passage] = []
    if reason is None:
        hits = result.hits
        candidates = candidates_for(hits, result, index, retriever.analyzer, settings.max_passage_chars)
        passages = show_disagreement(choose_passages(candidates, top_k), candidates)
        if notice is not None:
            # An emergency leads with what the sources say about toxicity, then the question's own hits.
            tox = retriever.probe(TOXICITY_PROBE)[:1]
            for h in tox:
                lead = make_passage(h.chunk, index, h.score, tokenize(TOXICITY_PROBE), settings.max_passage_chars)
                others = [p for p in passages if (p.document_id, p.start) != (lead.document_id, lead.start)]
                passages = [lead, *others][:top_k]
    found_conflicts = conflicts.find_conflicts(passages)
    cautions = safety.select_cautions(query, passages, index, [h.chunk for h in result.hits],
                                      emergency=notice is not None) if reason is None else ()
    try:
        disclaimer = safety.select_disclaimer(index, [p.document_id for p in passages], cautions)
    except LookupError:
        doc = next(iter(index.documents.values()))
        disclaimer = Passage(text="", document_id=doc.id, document_title=doc.title, section="", start=0, end=0,
                             score=0.0, kind="disclaimer")
    timings = dict(result.timings_ms)
    timings["compose"] = (time.perf_counter() - t0) * 1000
    return Answer(
        question=question, answered=reason is None, reason=reason, passages=tuple(passages),
        safety=cautions, disclaimer=disclaimer, notice=notice, conflicts=found_conflicts, timings_ms=timings,
    )
