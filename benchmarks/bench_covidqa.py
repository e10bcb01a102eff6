"""COVID-QA: the "any folder" check. The same engine, unchanged, over 49 COVID-19 articles — first with no
question bank (the base model and the fixed hybrid ranking), then with a bank made from half of the
questions (by article-independent random split) and scored on the other half.

Scored in process with ``assistant.evaluate`` (the shared checker's rules). Nothing in ``assistant/``
knows this folder exists; the bank is written into a scratch copy of it.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

from benchmarks import common

SEED = 0


def _covid_dir() -> Path:
    return common.shared_dir() / "bench" / "covidqa"


def _run(docs: Path, index: Path, items: list[dict]) -> tuple[dict, dict, float]:
    from assistant.config import Settings
    from assistant.embed import make_embedder
    from assistant.engine import Assistant
    from assistant.evaluate import evaluate
    from assistant.index import build_index

    settings = Settings(documents_dir=docs, index_dir=index)
    embedder = make_embedder(settings)
    t0 = time.perf_counter()
    summary = build_index(docs, index, lambda: embedder, settings, step=lambda m: common.log(f"  {m}"))
    seconds = time.perf_counter() - t0
    report = evaluate(Assistant.load(settings, embedder), items)
    return report.figures, summary.learning, seconds


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    src = _covid_dir()
    items = [json.loads(line) for line in (src / "questions.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    if args.quick:
        items = items[:200]
    rng = random.Random(SEED)
    order = list(range(len(items)))
    rng.shuffle(order)
    train = [items[i] for i in sorted(order[: len(order) // 2])]
    held = [items[i] for i in sorted(order[len(order) // 2 :])]
    results: dict = {"questions": len(items), "train": len(train), "held_out": len(held)}
    with common.scratch("covidqa") as tmp:
        docs = tmp / "documents"
        shutil.copytree(src / "documents", docs)
        index = tmp / "index"
        common.log("no bank: building and scoring all questions")
        fig_all, _, secs = _run(docs, index, items)
        fig_held_base, _, _ = _run(docs, index, held)
        results["no_bank"] = {"all": fig_all, "held_out": fig_held_base, "build_seconds": round(secs, 1)}
        (docs / "questions").mkdir()
        (docs / "questions" / "train.jsonl").write_text("".join(json.dumps(i) + "\n" for i in train), "utf-8")
        (docs / "questions" / "blind.jsonl").write_text("".join(json.dumps(i) + "\n" for i in held), "utf-8")
        common.log(f"bank of {len(train)} questions: rebuilding (learning) and scoring the other {len(held)}")
        fig_held, learning, secs = _run(docs, index, held)
        results["with_bank"] = {"held_out": fig_held, "learning": learning, "build_seconds": round(secs, 1)}
    common.write_json("covidqa", results)
    common.write_section("covidqa", _section(results))
    print(json.dumps(results, indent=1, default=float))


def _section(r: dict) -> str:
    def row(name: str, f: dict) -> list[object]:
        return [name, common.fmt(f["hit@1"], 3), common.fmt(f["hit@3"], 3), common.fmt(f["false_abstain_rate"], 3),
                f["verbatim_violations"], common.fmt(f.get("latency_p50_ms"), 1)]

    table = common.md_table(
        ["configuration", "hit@1", "hit@3", "false abstention", "passages not exact", "p50 ms"],
        [row(f"no bank, all {r['questions']} questions", r["no_bank"]["all"]),
         row(f"no bank, the held-out {r['held_out']}", r["no_bank"]["held_out"]),
         row(f"bank of {r['train']} questions, the held-out {r['held_out']}", r["with_bank"]["held_out"])])
    learn = r["with_bank"]["learning"]
    return (f"## COVID-QA (any folder)\n\n{common.provenance(common.machine_info())}\n\n"
            f"49 COVID-19 articles and their expert questions (`shared/bench/covidqa`), indexed and answered by "
            f"the unchanged engine. The bank is a random half of the questions (seed {SEED}); the other half is "
            f"scored. Reference points from the folder's README: plain BM25 over ≈ 870-character passages 0.61 "
            f"hit@3, plain MiniLM dense 0.44.\n\n{table}\n\nLearning with the bank took "
            f"{learn.get('seconds', 0):.0f} s (build {r['with_bank']['build_seconds']:.0f} s); chunk-level "
            f"figures it printed: out of fold {learn.get('oof', {})}, blind {learn.get('blind', {})}.")


if __name__ == "__main__":
    main()
