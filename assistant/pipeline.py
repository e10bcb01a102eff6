"""Answering as a few steps over one state: analyse → retrieve → follow-up → emergency → answerability →
passages → cautions → answer. Each step adds to a trace of what it decided and why (``assistant ask --explain``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from assistant import conflicts, followup, safety
from assistant.answer import Candidate, choose_passages, show_disagreement
from assistant.bank import CautionTopic
from assistant.config import Settings
from assistant.learn.features import CANDIDATE_FEATURES
from assistant.learn.linear import LinearModel, hashed_ngrams
from assistant.passages import make_passage
from assistant.question import Question
from assistant.retrieve import Retriever, Search
from assistant.store import LoadedIndex
from assistant.types import Answer, FollowUp, Notice, Passage, TraceStep

TRACE_HITS = 5  # hits shown in the trace
_BASE = CANDIDATE_FEATURES.index("base")  # the frozen model's similarity among a candidate's features


@dataclass
class State:
    question: str
    top_k: int
    history: tuple[str, ...] = ()
    context: FollowUp | None = None
    alone: Search | None = None  # the question's own search when it is read after an earlier one
    analysed: Question | None = None
    search: Search | None = None
    notice: Notice | None = None
    sure_emergency: bool = False
    answerable: float | None = None
    reason: str | None = None
    passages: list[Passage] = field(default_factory=list)
    topics: list[CautionTopic] = field(default_factory=list)
    cautions: tuple[Passage, ...] = ()
    trace: list[TraceStep] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    _ngrams: dict[int, sparse.csr_matrix] = field(default_factory=dict)

    def ngrams(self, dims: int) -> sparse.csr_matrix:
        """The question's hashed character n-grams, computed once for all the classifiers that read them."""
        if dims not in self._ngrams:
            self._ngrams[dims] = hashed_ngrams([self.search.question.written if self.search else ""], dims)
        return self._ngrams[dims]

    def note(self, step: str, detail: str, **data: object) -> None:
        self.trace.append(TraceStep(step, detail, dict(data)))


def _ngrams_of(model: LinearModel, s: State) -> sparse.csr_matrix | None:
    return None if model.ngram_weights is None else s.ngrams(model.ngram_weights.shape[0])


def _rounded(score: followup.Score) -> dict[str, float | None]:
    return {"similarity": round(score.similarity, 3),
            "log_odds": None if score.log_odds is None else round(score.log_odds, 3)}


def _described(score: followup.Score) -> str:
    return f"similarity {score.similarity:.2f}" + ("" if score.log_odds is None else
                                                   f", answerability log-odds {score.log_odds:.1f}")


class Pipeline:
    def __init__(self, index: LoadedIndex, retriever: Retriever, settings: Settings) -> None:
        self.index = index
        self.retriever = retriever
        self.models = index.learned
        self.settings = settings
        rows = retriever.row_of
        self.emergency_rows = sorted(rows[c] for c in self.models.emergency_pool if c in rows)

    def run(self, question: str, top_k: int, history: Sequence[str] = ()) -> Answer:
        state = State(question, top_k, tuple(history))
        for step in (self.analyse, self.retrieve, self.follow_up, self.emergency, self.answerability,
                     self.select_passages, self.cautions):
            started = time.perf_counter()
            step(state)
            state.timings_ms[step.__name__] = (time.perf_counter() - started) * 1000
        return self.answer(state)

    def analyse(self, s: State) -> None:
        s.analysed = q = self.retriever.analyse(s.question)
        if not q.tokens:
            s.reason = "not_a_question"
            s.note("analyse", "no words to search for: not a question")
            return
        s.note("analyse", f"searching for: {q.text}", ages=list(q.ages), amounts_mg=list(q.amounts_mg),
               medicines=list(q.medicines), notes=list(q.notes))

    def retrieve(self, s: State) -> None:
        if s.analysed is None or s.reason:
            return
        s.search = r = self.retriever.search(s.analysed)
        s.timings_ms.update(r.timings_ms)
        s.note("retrieve", f"{len(r.candidates.rows)} candidates ranked by the "
               f"{'learned ranker' if self.models.ranker else 'fixed hybrid'}"
               f"{' with the learned query adapter' if not self.models.adapter.identity else ''}",
               hits=[{"chunk": h.chunk.id, "section": h.chunk.section, "score": round(h.score, 4),
                      "features": r.features_of(h)} for h in r.hits[:TRACE_HITS]])

    def _similarity(self, r: Search) -> float:
        """The frozen model's best similarity to a candidate (not the adapted one: see ``answerability``)."""
        return float(r.candidates.features[:, _BASE].max()) if len(r.candidates.rows) else 0.0

    def _probability(self, r: Search, model: LinearModel, ngrams: sparse.csr_matrix | None = None) -> float:
        """The answerability model's probability for ``r`` (``ngrams``: the question's, when already hashed)."""
        if ngrams is None and model.ngram_weights is not None:
            ngrams = hashed_ngrams([r.question.written], model.ngram_weights.shape[0])
        x = np.concatenate([self.retriever.question_features(r), r.base])
        return float(model.probabilities(x, ngrams=ngrams)[0, 0])

    def _follow_up_score(self, r: Search | None) -> followup.Score:
        model = self.models.answerable
        if r is None or not r.hits:  # nothing to search for ("Why?"), or nothing matched
            return followup.Score(0.0, None if model is None else followup.log_odds(0.0))
        return followup.Score(self._similarity(r),
                              None if model is None else followup.log_odds(self._probability(r, model)))

    def follow_up(self, s: State) -> None:
        if not s.history or s.analysed is None:
            return
        model = self.models.answerable
        rule = followup.rule_for(self.settings, None if model is None else float(model.thresholds[0]))
        alone = self._follow_up_score(s.search)
        options = followup.readings(self.retriever, s.question, s.history, self.settings.followup_turns,
                                    self._follow_up_score)
        chosen = followup.choose(alone, options, rule)
        data = {"alone": _rounded(alone), "in_context": {s.history[o.history_index]: _rounded(o.score)
                                                          for o in options}}
        if chosen is None:
            s.note("follow-up", f"read on its own ({_described(alone)}; after an earlier question: "
                   + ("; ".join(_described(o.score) for o in options) or "nothing to search for") + ")", **data)
            return
        s.context = FollowUp(s.history[chosen.history_index], chosen.history_index)
        s.alone, s.search, s.analysed = s.search, chosen.search, chosen.analysed
        s._ngrams.clear()
        if s.reason == "not_a_question":
            s.reason = None
        s.note("follow-up", f"read after {s.context.question!r}: {_described(chosen.score)}, against "
               f"{_described(alone)} alone", history_index=chosen.history_index, **data)

    def emergency(self, s: State) -> None:
        model = self.models.emergency
        if s.search is None or model is None:
            return
        p = float(model.probabilities(s.search.base, ngrams=_ngrams_of(model, s))[0, 0])
        if s.alone is not None:  # a follow-up: the question itself is checked too, never only its reading
            own = None if model.ngram_weights is None else hashed_ngrams([s.alone.question.written],
                                                                         model.ngram_weights.shape[0])
            p = max(p, float(model.probabilities(s.alone.base, ngrams=own)[0, 0]))
        th = float(model.thresholds[0])
        if p >= th:
            s.notice = safety.emergency_notice()
        # The notice's threshold is set for recall on the bank's emergencies; only a confident emergency
        # narrows the passages and cautions to toxicity and care.
        s.sure_emergency = p >= max(th, self.settings.emergency_sure)
        s.note("emergency", f"{'emergency' if s.notice else 'no emergency'}: p={p:.3f} (threshold {th:.3f}"
               f"{', confident' if s.sure_emergency else ''})", probability=round(p, 4), threshold=round(th, 4))

    def answerability(self, s: State) -> None:
        r = s.search
        if r is None:
            return
        model = self.models.answerable
        if not r.hits:
            s.reason = "not_covered"
            s.note("answerability", "no passage matched at all")
            return
        if model is None:
            # The floor is on the frozen model's similarity: an adapter trained on a small bank lowers the
            # similarities of questions unlike its own (COVID-QA, half its questions as the bank: 7 % refused).
            top = self._similarity(r)
            ok = top >= self.settings.min_similarity
            s.note("answerability", f"no learned model: best base similarity {top:.3f} "
                   f"{'≥' if ok else '<'} {self.settings.min_similarity}", similarity=round(top, 4))
        else:
            p = self._probability(r, model, _ngrams_of(model, s))
            th = float(model.thresholds[0])
            s.answerable, ok = round(p, 4), p >= th
            s.note("answerability", f"p(answerable)={p:.3f} {'≥' if ok else '<'} threshold {th:.3f}",
                   probability=round(p, 4), threshold=round(th, 4))
        if not ok and s.notice is not None:
            s.note("answerability", "answered anyway: an emergency always gets what the sources say about it")
            ok = True
        if not ok:
            s.reason = "not_covered"

    def _candidates(self, r: Search) -> list[Candidate]:
        hits = r.hits[: self.settings.passage_candidates]
        # The question's similarity to each sentence of these hits, by (document, sentence start).
        mask = np.isin(self.index.sentence_rows, [h.row for h in hits])
        doc_of = self.retriever.chunks
        dense = {(doc_of[row].doc_id, start): sim for row, start, sim in zip(
            self.index.sentence_rows[mask].tolist(), self.index.sentence_spans[mask, 0].tolist(),
            r.candidates.sentence_similarities[mask].tolist(), strict=True)}
        return [(h.score, h, make_passage(h.chunk, self.index, h.score, list(r.question.tokens),
                                          self.settings.max_passage_chars, dense)) for h in hits]

    def select_passages(self, s: State) -> None:
        r = s.search
        if r is None or s.reason:
            return
        if s.sure_emergency and self.emergency_rows:
            # An emergency is answered only from what the sources say about toxicity, overdose and care.
            r = self.retriever.search(r.question, only=self.emergency_rows, base=r.base)
            s.note("passages", f"emergency: chosen among the {len(self.emergency_rows)} passages the bank's "
                   "emergencies are answered from")
        cands = self._candidates(r)
        chosen = choose_passages(cands, s.top_k, self.settings.same_doc_penalty)
        s.passages = show_disagreement(chosen, cands, self.settings.conflict_min_share)
        s.note("passages", f"{len(s.passages)} passages", chosen=[
            {"document": p.document_id, "start": p.start, "end": p.end, "score": p.score} for p in s.passages])

    def cautions(self, s: State) -> None:
        # A refused question still gets the cautions its topics carry ("Does it interact with warfarin?" is
        # not covered, the sources' medication caution still applies), but no passage searched for it.
        r = s.search
        if r is None or s.reason == "not_a_question":
            return
        model = self.models.cautions
        by_name = {t.name: t for t in self.models.topics}
        if model is not None:
            p = model.probabilities(r.base, ngrams=_ngrams_of(model, s))[0]
            ranked = sorted(((float(pi), name) for pi, name, th in zip(p, model.labels, model.thresholds, strict=True)
                             if pi >= th and name in by_name), reverse=True)
            s.topics = [by_name[name] for _, name in ranked]
            s.note("cautions", "topics: " + (", ".join(f"{n} ({pi:.2f})" for pi, n in ranked) or "none"),
                   probabilities={n: round(float(pi), 3) for pi, n in zip(p, model.labels, strict=True)})
        if s.sure_emergency and "toxicity" in by_name and by_name["toxicity"] not in s.topics:
            s.topics.insert(0, by_name["toxicity"])
        hits = r.hits[: self.settings.caution_search_hits] if s.reason is None else []
        s.cautions = safety.select_cautions(s.topics, hits, self.index, s.passages, self.settings.max_cautions,
                                            self.settings.max_passage_chars)

    def answer(self, s: State) -> Answer:
        try:
            disclaimer = safety.select_disclaimer(self.index, [p.document_id for p in s.passages], s.cautions)
        except LookupError:
            doc = next(iter(self.index.documents.values()))
            disclaimer = Passage(text="", document_id=doc.id, document_title=doc.title, section="", start=0, end=0,
                                 score=0.0, kind="disclaimer")
        if s.reason:
            s.note("answer", f"refused: {s.reason}")
        return Answer(question=s.question, answered=s.reason is None, reason=s.reason, passages=tuple(s.passages),
                      safety=s.cautions, disclaimer=disclaimer, notice=s.notice,
                      conflicts=conflicts.find_conflicts(s.passages), timings_ms=s.timings_ms,
                      answerable_probability=s.answerable, trace=tuple(s.trace), context=s.context,
                      build_id=self.index.build_id or None)
