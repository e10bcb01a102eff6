"""Follow-up questions: how often the context of an earlier question is taken rightly and wrongly, and
whether the top passage is then right, with the real model and the project's index.

The pairs (``benchmarks/data/followups.jsonl``, tuning; ``followups-heldout.jsonl``, written afterwards and
only scored) come from the bundled documents, not from the question bank: a dependent follow-up ("How many
hours apart should I take them?" after a doxycycline question) names the earlier question it needs
(``depends_on``); an independent second question must be read on its own. Each pair is asked once with
its history; the scores in the trace (the question alone, and read after each earlier question) are then
replayed through ``followup.takes`` for a grid of settings, and the answers of both readings tell whether
the top passage is right either way.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant import followup
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.followup import Rule, Score
from assistant.learn.models import LearnedModels
from assistant.types import Answer
from benchmarks import common

DATA = Path(__file__).resolve().parent / "data"
SETS = {"tuning": DATA / "followups.jsonl", "held-out": DATA / "followups-heldout.jsonl"}
SIMILARITY_MARGINS = (0.05, 0.1, 0.15, 0.2, 0.3)
SIMILARITY_CONFIDENT = (0.5, 0.55, 0.6, 0.65, 0.7)
MARGINS = (2.0, 3.0, 4.0, 6.0, math.inf)  # answerability log-odds


@dataclass
class Pair:
    id: str
    history: list[str]
    question: str
    depends_on: int | None
    gold: list[dict]
    alone: Score = Score(0.0)
    in_context: dict[int, Score] = field(default_factory=dict)
    right_alone: bool = False
    right_in_context: dict[int, bool] = field(default_factory=dict)  # the top passage, read after history[i]


def load(path: Path) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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


def _score(data: dict) -> Score:
    return Score(float(data["similarity"]), None if data["log_odds"] is None else float(data["log_odds"]))


def measure(assistant: Assistant, pairs: list[Pair]) -> list[float]:
    texts = {d.id: d.text for d in assistant.documents()}
    timings = []
    for p in pairs:
        started = time.perf_counter()
        answer = assistant.ask(p.question, history=p.history)
        timings.append((time.perf_counter() - started) * 1000)
        step = next(t for t in answer.trace if t.step == "follow-up")
        p.alone = _score(step.data["alone"])
        by_text = step.data["in_context"]
        p.in_context = {i: _score(by_text[p.history[i]]) for i in followup.recent(p.history, len(p.history))
                        if p.history[i] in by_text}
        p.right_alone = top_is_right(assistant.ask(p.question), p.gold, texts)
        p.right_in_context = {i: top_is_right(assistant.ask(followup.in_context(p.history[i], p.question)), p.gold,
                                              texts) for i in p.in_context}
    return timings


def taken(p: Pair, rule: Rule) -> int | None:
    """The history index the rule reads ``p`` after, exactly as ``followup.choose`` picks it."""
    options = [followup.Reading(i, None, None, s) for i, s in p.in_context.items()]  # type: ignore[arg-type]
    chosen = followup.choose(p.alone, options, rule)
    return None if chosen is None else chosen.history_index


def replay(pairs: list[Pair], rule: Rule) -> dict[str, float]:
    dep = [p for p in pairs if p.depends_on is not None]
    ind = [p for p in pairs if p.depends_on is None]

    def right(p: Pair) -> bool:
        i = taken(p, rule)
        return p.right_alone if i is None else p.right_in_context[i]

    return {"dependent_taken_right": sum(taken(p, rule) == p.depends_on for p in dep) / len(dep),
            "independent_taken_wrongly": sum(taken(p, rule) is not None for p in ind) / len(ind),
            "top_right_dependent": sum(map(right, dep)) / len(dep),
            "top_right_independent": sum(map(right, ind)) / len(ind),
            "top_right_all": sum(map(right, pairs)) / len(pairs)}


def rule_of(settings: Settings, assistant: Assistant, **override: float) -> Rule:
    model = assistant.index.learned.answerable
    return followup.rule_for(settings.model_copy(update=override),
                             None if model is None else float(model.thresholds[0]))


def _row(name: str, r: dict[str, float]) -> list[str]:
    return [name, *(common.fmt(r[k], 2) for k in ("dependent_taken_right", "independent_taken_wrongly",
                                                 "top_right_dependent", "top_right_independent"))]


HEAD = ["rule", "dependent: context taken (right turn)", "independent: context taken (wrong)",
        "top passage right, dependent", "top passage right, independent"]


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--without-bank", action="store_true",
                        help="as an index without a question bank: nothing learned, similarity decides")
    args = parser.parse_args()
    common.offline_env()
    settings = Settings()
    assistant = Assistant.load(settings)
    if args.without_bank:  # the same index served as if it had been built without the bank
        assistant.index.learned = LearnedModels(medicines=assistant.index.learned.medicines)
        assistant = Assistant(assistant.index, assistant._embedder, settings)
    sets = {name: load(path)[: 12 if args.quick else None] for name, path in SETS.items()}
    timings = [t for pairs in sets.values() for t in measure(assistant, pairs)]
    never = Rule(math.inf, -math.inf)
    rules = {"never": never, "settings": rule_of(settings, assistant)}
    if not args.without_bank:
        rules["answerability alone (log-odds +2, p < 0.999)"] = rule_of(
            settings, assistant, followup_similarity_margin=math.inf, followup_margin=2.0)
        rules["similarity alone"] = rule_of(settings, assistant, followup_margin=math.inf)
    ms = common.percentiles(timings)
    results = {name: {r: replay(pairs, rule) for r, rule in rules.items()} for name, pairs in sets.items()}
    grid = [{"similarity_margin": sm, "similarity_confident": sc, "margin": m,
             **replay(sets["tuning"], rule_of(settings, assistant, followup_similarity_margin=sm,
                                              followup_similarity_confident=sc, followup_margin=m))}
            for sm in SIMILARITY_MARGINS for sc in SIMILARITY_CONFIDENT for m in MARGINS]
    common.write_json("followup_without_bank" if args.without_bank else "followup",
                      {"results": results, "grid": grid, "ask_with_history_ms": ms,
                       "items": {name: [asdict(p) for p in pairs] for name, pairs in sets.items()}})
    counts = {name: (sum(p.depends_on is not None for p in pairs), sum(p.depends_on is None for p in pairs))
              for name, pairs in sets.items()}
    md = ("## Follow-up questions\n\nPairs written from the documents (`benchmarks/data/followups*.jsonl`): "
          + ", ".join(f"{name} {d} dependent + {i} independent" for name, (d, i) in counts.items())
          + f"; real model and index{' served as if built without the bank' if args.without_bank else ''}. "
          f"`ask` with a history of 1–2: median {common.fmt(ms['p50'])} ms, p95 {common.fmt(ms['p95'])} ms.\n\n"
          + "\n\n".join(f"{name}:\n\n" + common.md_table(HEAD, [_row(r, v) for r, v in res.items()])
                        for name, res in results.items())
          + "\n\n`settings`: `followup_similarity_margin` / `_confident` and `followup_margin` / `_confident` "
            "in `assistant/config.py` (the rule is in `assistant/followup.py`).")
    print(md)
    print("\ntuning grid (similarity margin, below, log-odds margin: dep right, ind wrong, top right dep/ind/all):")
    for g in grid:
        print(f"  {g['similarity_margin']:>5} {g['similarity_confident']:>5} {g['margin']:>4}: "
              f"{g['dependent_taken_right']:.2f} {g['independent_taken_wrongly']:.2f}  {g['top_right_dependent']:.2f} "
              f"{g['top_right_independent']:.2f} {g['top_right_all']:.2f}")
    rule = rules["settings"]
    print("\nper pair (alone → best in context; taken at the settings):")
    for pairs in sets.values():
        for p in pairs:
            best = max(p.in_context.values(), key=lambda s: s.similarity, default=Score(0.0))
            print(f"  {p.id}: sim {p.alone.similarity:.2f}→{best.similarity:.2f} lo {p.alone.log_odds}→"
                  f"{best.log_odds} taken={taken(p, rule)} right alone={p.right_alone} "
                  f"in context={p.right_in_context}  {p.question}")
    if not args.no_write and not args.quick and not args.without_bank:
        common.write_section("followup", md)


if __name__ == "__main__":
    main()
