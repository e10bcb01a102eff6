"""Learning inside the offline rebuild: from the question bank, the query adapter, the candidate ranker,
the answerability, emergency and caution-topic classifiers, with thresholds chosen on out-of-fold
predictions, and the blind split's figures. Deterministic for a seed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.bank import Bank, BankQuestion
from assistant.config import Settings
from assistant.learn.adapter import AdapterConfig, QueryAdapter, train_adapter
from assistant.learn.features import Candidates, Scorer
from assistant.learn.labels import Targets, targets
from assistant.learn.linear import Fit, Inputs, LinearModel, auc, fit_logistic, folds, out_of_fold, stack
from assistant.learn.models import LearnedModels, rank
from assistant.question import Question, prepare
from assistant.spelling import Speller

Step = Callable[[str], None]


@dataclass
class TrainingResult:
    models: LearnedModels
    metrics: dict = field(default_factory=dict)


def _ranker(cands: Sequence[Candidates], positives: Sequence[Sequence[int]], seed: int) -> LinearModel | None:
    """Logistic regression over candidates: is this chunk one holding a gold quote?"""
    xs, ys = [], []
    for c, pos in zip(cands, positives, strict=True):
        if pos and len(c.rows):
            xs.append(c.features)
            ys.append(np.isin(c.rows, pos).astype(np.int8))
    if not xs:
        return None
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(set(y.tolist())) < 2:
        return None
    return fit_logistic(Inputs(x), y, Fit(c=1.0, balanced=False, seed=seed), "gold")


def _threshold_for_recall(p: np.ndarray, positive: np.ndarray, max_miss: float) -> float:
    """The highest threshold that lets at most ``max_miss`` of the positives fall below it."""
    pos = np.sort(p[positive])
    if not len(pos):
        return 0.5
    k = int(np.floor(max_miss * len(pos)))
    return float(pos[k]) * 0.999 if k < len(pos) else 0.0


def _best_f(p: np.ndarray, y: np.ndarray, beta: float) -> float:
    best, th = -1.0, 0.5
    for t in np.unique(np.round(p, 3)):
        pred = p >= t
        tp = float((pred & (y == 1)).sum())
        prec = tp / max(pred.sum(), 1)
        rec = tp / max((y == 1).sum(), 1)
        f = (1 + beta**2) * prec * rec / max(beta**2 * prec + rec, 1e-9)
        if f > best:
            best, th = f, float(t)
    return th


class Trainer:
    def __init__(self, scorer: Scorer, bank: Bank, settings: Settings, step: Step | None = None,
                 speller: Speller | None = None) -> None:
        self.scorer = scorer
        self.speller = speller
        self.bank = bank
        self.settings = settings
        self.step = step or (lambda _msg: None)
        self.topics = list(bank.topics.values())

    def _candidates(self, adapter: QueryAdapter, base: np.ndarray, qs: Sequence[Question]) -> list[Candidates]:
        adapted = adapter.adapt(base)
        return [self.scorer.candidates(adapted[i], base[i], q.tokens, q.ages) for i, q in enumerate(qs)]

    def _scores(self, ranker: LinearModel | None, cands: Sequence[Candidates]) -> list[np.ndarray]:
        return [rank(ranker, c.features) for c in cands]

    def _fit(self, c: float, tol: float | None = None) -> Fit:
        s = self.settings
        return Fit(c=c, ngram_scale=s.ngram_scale, tol=tol or s.classifier_tol, seed=s.learn_seed, jobs=s.learn_jobs)

    def _inputs(self, dense: np.ndarray, texts: Sequence[str]) -> Inputs:
        return Inputs.of(dense, texts, self.settings.ngram_dims)

    def _question_x(self, cands: Sequence[Candidates], scores: Sequence[np.ndarray], qs: Sequence[Question],
                    base: np.ndarray) -> Inputs:
        feats = np.stack([self.scorer.question_features(c, s, q.tokens) for c, s, q in zip(cands, scores, qs,
                                                                                           strict=True)])
        return self._inputs(np.hstack([feats, base]).astype(np.float32), [q.written for q in qs])

    def run(self, questions: Sequence[BankQuestion], vectors: np.ndarray) -> TrainingResult:
        started = time.perf_counter()
        s = self.settings
        cfg = AdapterConfig(s.adapter_temperature, s.adapter_l2, s.adapter_steps, s.adapter_learning_rate,
                            s.adapter_batch_size, s.learn_seed)
        qs = [prepare(q.question, self.bank.medicines, self.speller) for q in questions]
        tg: Targets = targets(questions, self.scorer.chunks, self.scorer.sentence_rows, self.scorer.sentence_spans,
                              self.topics)
        train = np.array([i for i, q in enumerate(questions) if q.split == "train"], dtype=np.int64)
        blind = np.array([i for i, q in enumerate(questions) if q.split == "blind"], dtype=np.int64)
        answerable = np.array([q.answerable for q in questions])
        metrics: dict = {"questions": {"train": int(len(train)), "blind": int(len(blind)),
                                       "answerable_train": int(answerable[train].sum()),
                                       "emergencies_train": int(sum(questions[i].emergency for i in train))}}
        chunk_vectors = self.scorer.vectors.reconstruct_n(0, self.scorer.n)

        def adapter_on(rows: np.ndarray) -> QueryAdapter:
            rows = rows[answerable[rows]]
            return train_adapter(vectors[rows], [tg.chunk_rows[i] for i in rows], chunk_vectors,
                                 [tg.sentences[i] for i in rows], self.scorer.sentence_vectors, cfg)

        # Out-of-fold candidates: every training question scored by an adapter that never saw it.
        k = max(2, min(s.learn_folds, len(train)))
        oof: dict[int, Candidates] = {}
        for f, held in enumerate(folds(len(train), k, s.learn_seed)):
            self.step(f"adapter fold {f + 1}/{k}")
            held_rows = train[held]
            adapter = adapter_on(np.setdiff1d(train, held_rows))
            for i, c in zip(held_rows, self._candidates(adapter, vectors[held_rows], [qs[i] for i in held_rows]),
                            strict=True):
                oof[int(i)] = c
        self.step("adapter on all training questions")
        adapter = adapter_on(train)
        tr_cands = [oof[int(i)] for i in train]
        ranker = _ranker(tr_cands, [tg.chunk_rows[i] for i in train], s.learn_seed)
        tr_scores = self._scores(ranker, tr_cands)
        metrics["oof"] = self._retrieval_figures(tr_cands, tr_scores, [tg.chunk_rows[i] for i in train])

        self.step("answerability, emergency and caution classifiers")
        x_ans = self._question_x(tr_cands, tr_scores, [qs[i] for i in train], vectors[train])
        y_ans = answerable[train].astype(np.int8)
        answerable_model = None
        if len(set(y_ans.tolist())) == 2:
            p = out_of_fold(x_ans, y_ans, k, self._fit(s.answerable_c))
            th = _threshold_for_recall(p, y_ans == 1, s.max_false_abstention)
            answerable_model = fit_logistic(x_ans, y_ans, self._fit(s.answerable_c), "answerable", th)
            metrics["oof"].update(answerable_auc=auc(y_ans, p), answerable_threshold=round(th, 4),
                                  false_abstention=float((p[y_ans == 1] < th).mean()),
                                  correct_abstention=float((p[y_ans == 0] < th).mean()) if (y_ans == 0).any() else None)

        y_em = np.array([questions[i].emergency for i in train], dtype=np.int8)
        emergency_model = None
        x_q = self._inputs(vectors[train], [qs[i].written for i in train])
        if y_em.sum() >= 3 and (y_em == 0).any():
            # The threshold sits in the tail of the emergencies' probabilities: averaging several fold layouts
            # keeps one unlucky split from moving it.
            fit = self._fit(s.emergency_c)
            p = np.mean([out_of_fold(x_q, y_em, k, replace(fit, seed=fit.seed + r))
                         for r in range(s.emergency_oof_repeats)], axis=0)
            th = _threshold_for_recall(p, y_em == 1, s.emergency_max_miss)
            emergency_model = fit_logistic(x_q, y_em, self._fit(s.emergency_c), "emergency", th)
            metrics["oof"].update(emergency_auc=auc(y_em, p), emergency_threshold=round(th, 4),
                                  emergency_recall=float((p[y_em == 1] >= th).mean()),
                                  emergency_false_alarms=int(((p >= th) & (y_em == 0)).sum()),
                                  emergency_false_alarms_at_full_recall=int(
                                      ((p >= _threshold_for_recall(p, y_em == 1, 0.0)) & (y_em == 0)).sum()))

        cautions_model = self._cautions(tg, train, vectors, [q.written for q in qs], k, metrics)
        pool = sorted({self.scorer.chunks[r].id for i in train if questions[i].emergency for r in tg.chunk_rows[i]})
        models = LearnedModels(adapter=adapter, ranker=ranker, answerable=answerable_model,
                               emergency=emergency_model, cautions=cautions_model, emergency_pool=tuple(pool),
                               medicines=dict(self.bank.medicines), topics=self.topics)
        if len(blind):
            self.step("scoring the blind split")
            metrics["blind"] = self._blind(models, blind, questions, qs, vectors, tg)
        metrics["seconds"] = round(time.perf_counter() - started, 1)
        return TrainingResult(models, metrics)

    def _cautions(self, tg: Targets, train: np.ndarray, vectors: np.ndarray, texts: list[str], k: int,
                  metrics: dict) -> LinearModel | None:
        rows = train[tg.caution_known[train]]
        x = self._inputs(vectors[rows], [texts[i] for i in rows])
        fitted, ths = [], []
        for j, topic in enumerate(self.topics):
            y = tg.cautions[rows, j]
            if y.sum() < 3 or (y == 0).sum() < 3:
                continue
            p = out_of_fold(x, y, k, self._fit(self.settings.caution_c, self.settings.caution_tol))
            th = _best_f(p, y, beta=self.settings.caution_f_beta)
            fitted.append(fit_logistic(x, y, self._fit(self.settings.caution_c, self.settings.caution_tol), topic.name, th))
            ths.append(th)
            metrics.setdefault("oof_cautions", {})[topic.name] = {
                "positives": int(y.sum()), "recall": round(float((p[y == 1] >= th).mean()), 3),
                "precision": round(float((y[p >= th] == 1).mean()) if (p >= th).any() else 0.0, 3)}
        return stack(fitted, ths) if fitted else None

    def _retrieval_figures(self, cands: Sequence[Candidates], scores: Sequence[np.ndarray],
                           positives: Sequence[Sequence[int]]) -> dict:
        h1 = h3 = n = 0
        for c, sc, pos in zip(cands, scores, positives, strict=True):
            if not pos:
                continue
            n += 1
            top = c.rows[np.argsort(-sc)[:3]].tolist() if len(sc) else []
            h1 += bool(top[:1] and top[0] in pos)
            h3 += bool(set(top) & set(pos))
        return {"chunk_hit@1": round(h1 / n, 3) if n else None, "chunk_hit@3": round(h3 / n, 3) if n else None,
                "answerable": n}

    def _blind(self, models: LearnedModels, blind: np.ndarray, questions: Sequence[BankQuestion],
               qs: Sequence[Question], vectors: np.ndarray, tg: Targets) -> dict:
        cands = self._candidates(models.adapter, vectors[blind], [qs[i] for i in blind])
        scores = self._scores(models.ranker, cands)
        out = self._retrieval_figures(cands, scores, [tg.chunk_rows[i] for i in blind])
        ans = np.array([questions[i].answerable for i in blind])
        if models.answerable is not None:
            x = self._question_x(cands, scores, [qs[i] for i in blind], vectors[blind])
            p = models.answerable.probabilities(x.dense, ngrams=x.ngrams)[:, 0]
            th = float(models.answerable.thresholds[0])
            out.update(answerable_auc=auc(ans.astype(np.int8), p),
                       false_abstention=round(float((p[ans] < th).mean()), 3) if ans.any() else None,
                       correct_abstention=round(float((p[~ans] < th).mean()), 3) if (~ans).any() else None)
        em = np.array([questions[i].emergency for i in blind])
        texts = [qs[i].written for i in blind]
        if models.emergency is not None:
            fired = models.emergency.probabilities(vectors[blind], texts)[:, 0] >= models.emergency.thresholds[0]
            out.update(emergency_recall=round(float(fired[em].mean()), 3) if em.any() else None,
                       emergency_false_alarms=int((fired & ~em).sum()))
        if models.cautions is not None:
            p = models.cautions.probabilities(vectors[blind], texts) >= models.cautions.thresholds
            names = [t.name for t in self.topics]
            y = np.stack([tg.cautions[blind, names.index(n)] for n in models.cautions.labels], axis=1)
            known = tg.caution_known[blind]
            if (y[known] == 1).any():
                out["caution_recall"] = round(float(p[known][y[known] == 1].mean()), 3)
        return out

