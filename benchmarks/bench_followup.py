"""Follow-up questions: how often the context of an earlier question is taken rightly and wrongly, and
whether the top passage is then right, with the real model and the project's index.

The pairs (``benchmarks/data/followups.jsonl``) were written from the bundled documents for this
benchmark, not taken from the question bank: a dependent follow-up ("How many hours apart should I take
them?" after a doxycycline question) names the earlier question it needs (``depends_on``); an independent
second question must be read on its own. Each pair is asked once with its history; the scores in the
trace (the question alone, and read after each earlier question) are then replayed for a grid of margins
and confidence levels, and the answers of both readings tell whether the top passage is right either way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from assistant import followup
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.learn.models import LearnedModels
from assistant.types import Answer
from benchmarks import common

DATA = Path(__file__).resolve().parent / "data" / "followups.jsonl"
# With a question bank the score is the answerability probability's log-odds; the confidence a probability.
MARGINS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
CONFIDENT = (0.9, 0.99, 0.999, 0.9999, 1.0)
# Without a question bank the score is the frozen model's best similarity (another scale).
SIMILARITY_MARGINS = (0.0, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2)
SIMILARITY_CONFIDENT = (0.4, 0.5, 0.6, 0.7, 0.8, 1.01)


@dataclass
class Pair:
    id: str
    history: list[str]
    question: str
    depends_on: int | None
    gold: list[dict]
    alone: float = 0.0
    in_context: dict[int, float] | None = None
    right_alone: bool = False
    right_context: bool = False  # the top passage when read after the best-scoring earlier question
    best: int | None = None


def load() -> list[Pair]:
    return [Pair(**json.loads(line)) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def top_is_right(answer: Answer, gold: list[dict], texts: dict[str, str]) -> bool:
    """The first passage overlaps a gold quote (an off-topic question is right when it is refused)."""
    if not gold:
        return not answer.answered
    if not answer.passages:
        return False
    p = answer.passages[0]
    for g in gold:
        text = texts[g["doc"]]
        at = text.find(g["quote"])
        while at >= 0:
            if g["doc"] == p.document_id and at < p.end and p.start < at + len(g["quote"]):
                return True
            at = text.find(g["quote"], at + 1)
    return False


def measure(assistant: Assistant, pairs: list[Pair]) -> list[float]:
    texts = {d.id: d.text for d in assistant.documents()}
    turns = assistant.settings.followup_turns
    timings = []
    for p in pairs:
        started = time.perf_counter()
        answer = assistant.ask(p.question, history=p.history)
        timings.append((time.perf_counter() - started) * 1000)
        step = next(t for t in answer.trace if t.step == "follow-up")
        p.alone = float(step.data["alone"])
        scores = step.data["in_context"]
        p.in_context = {i: float(scores[p.history[i]]) for i in followup.recent(p.history, turns)
                        if p.history[i] in scores}
        p.best = max(p.in_context, key=lambda i: p.in_context[i]) if p.in_context else None  # type: ignore[index]
        p.right_alone = top_is_right(assistant.ask(p.question), p.gold, texts)
        p.right_context = p.best is not None and top_is_right(
            assistant.ask(followup.in_context(p.history[p.best], p.question)), p.gold, texts)
    return timings


def replay(pairs: list[Pair], margin: float, confident: float) -> dict[str, float]:
    """What the rule decides for every pair at this margin and confidence, and how good the answers are."""
    dep = [p for p in pairs if p.depends_on is not None]
    ind = [p for p in pairs if p.depends_on is None]

    def takes(p: Pair) -> int | None:
        if p.alone >= confident or not p.in_context:
            return None
        return p.best if p.in_context[p.best] - p.alone >= margin else None  # type: ignore[index]

    def right(p: Pair) -> bool:
        return p.right_context if takes(p) is not None else p.right_alone

    return {"margin": margin, "confident": confident,
            "dependent_taken_right": sum(takes(p) == p.depends_on for p in dep) / len(dep),
            "independent_taken_wrongly": sum(takes(p) is not None for p in ind) / len(ind),
            "top_right_dependent": sum(right(p) for p in dep) / len(dep),
            "top_right_independent": sum(right(p) for p in ind) / len(ind),
            "top_right_all": sum(right(p) for p in pairs) / len(pairs)}


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--without-bank", action="store_true",
                        help="as an index without a question bank: nothing learned, similarity decides")
    args = parser.parse_args()
    common.offline_env()
    settings = Settings()
    assistant = Assistant.load(settings)
    margins, confident = MARGINS, CONFIDENT
    rule = (settings.followup_margin, followup.log_odds(settings.followup_confident))
    if args.without_bank:  # the same index served as if it had been built without the bank
        assistant = Assistant(assistant.index, assistant._embedder, settings)
        assistant.index.learned = LearnedModels(medicines=assistant.index.learned.medicines)
        assistant = Assistant(assistant.index, assistant._embedder, settings)
        margins, confident = SIMILARITY_MARGINS, SIMILARITY_CONFIDENT
        rule = (settings.followup_similarity_margin, settings.followup_similarity_confident)
    pairs = load()[:16] if args.quick else load()
    timings = measure(assistant, pairs)
    scale = (lambda c: c) if args.without_bank else followup.log_odds
    grid = [{**replay(pairs, m, scale(c)), "confident": c} for m in margins for c in confident]
    current = replay(pairs, *rule)
    baseline = replay(pairs, margin=float("inf"), confident=0.0)  # never takes context
    dep = [p for p in pairs if p.depends_on is not None]
    ind = [p for p in pairs if p.depends_on is None]
    ms = common.percentiles(timings)
    common.write_json("followup", {"pairs": len(pairs), "current": current, "never": baseline, "grid": grid,
                                   "ask_with_history_ms": ms,
                                   "items": [p.__dict__ for p in pairs]})
    current["confident"] = settings.followup_similarity_confident if args.without_bank \
        else settings.followup_confident
    rows = [[f"{r['margin']}", f"{r['confident']}", common.fmt(r["dependent_taken_right"], 2),
             common.fmt(r["independent_taken_wrongly"], 2), common.fmt(r["top_right_dependent"], 2),
             common.fmt(r["top_right_independent"], 2)] for r in [baseline, current]]
    md = (f"## Follow-up questions\n\n{len(dep)} dependent follow-ups and {len(ind)} independent second "
          "questions written from the documents (`benchmarks/data/followups.jsonl`), real model and index. "
          f"`ask` with a history: median {common.fmt(ms['p50'])} ms, p95 {common.fmt(ms['p95'])} ms.\n\n"
          + common.md_table(["margin", "confident below", "dependent: context taken (right turn)",
                             "independent: context taken (wrong)", "top passage right, dependent",
                             "top passage right, independent"], rows)
          + "\n\nFirst row: never taking context; second: the settings (`followup_margin`, `followup_confident`).")
    print(md)
    print("\ngrid (margin, confident, dep taken right, ind taken wrongly, top right dep, top right ind, all):")
    for r in grid:
        print(f"  {r['margin']:>5} {r['confident']:>5}  {r['dependent_taken_right']:.2f} "
              f"{r['independent_taken_wrongly']:.2f}  {r['top_right_dependent']:.2f} "
              f"{r['top_right_independent']:.2f} {r['top_right_all']:.2f}")
    print("\nper pair (alone, best in context, taken at the settings):")
    for p in pairs:
        best = p.in_context.get(p.best, float("nan")) if p.in_context and p.best is not None else float("nan")
        print(f"  {p.id}: {p.alone:.3f} {best:.3f} right alone={p.right_alone} ctx={p.right_context}  "
              f"{p.question}")
    if not args.no_write and not args.quick and not args.without_bank:
        common.write_section("followup", md)


if __name__ == "__main__":
    main()
