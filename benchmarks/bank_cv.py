"""Tuning without the blind split: hold out a random part of the bank's TRAINING questions, learn from the
rest, and score the held-out part end to end (the shared checker's rules), for several answering settings.

    python -m benchmarks.bank_cv [--share 0.2] [--seed 1] [--set name=value ...]

Each ``--set`` is one variant of the answering settings (``max_passage_chars=360``, several separated by
commas), scored on the same learned models. The blind split is left out entirely.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

from benchmarks import common


def _split_bank(src: Path, dest: Path, share: float, seed: int) -> int:
    """Copy the documents; move ``share`` of the training questions into ``questions/blind-cv.jsonl`` and
    drop the real blind split. Returns how many were held out."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("blind*.jsonl"))
    rng = random.Random(seed)
    held: list[str] = []
    for path in sorted((dest / "questions").glob("*.jsonl")):
        keep = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                (held if rng.random() < share else keep).append(line)
        path.write_text("".join(x + "\n" for x in keep), encoding="utf-8")
    (dest / "questions" / "blind-cv.jsonl").write_text("".join(x + "\n" for x in held), encoding="utf-8")
    return len(held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", dest="variants", action="append", default=[])
    args = parser.parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import make_embedder
    from assistant.engine import Assistant
    from assistant.evaluate import evaluate, load_set
    from assistant.index import build_index
    from assistant.store import load_index

    with common.scratch("bank-cv") as tmp:
        docs = tmp / "documents"
        n = _split_bank(common.ROOT / "documents", docs, args.share, args.seed)
        common.log(f"held out {n} training questions; learning from the rest")
        settings = Settings(documents_dir=docs, index_dir=tmp / "index")
        embedder = make_embedder(settings)
        summary = build_index(docs, settings.index_dir, lambda: embedder, settings)
        items = load_set(docs / "questions" / "blind-cv.jsonl")
        index = load_index(settings.index_dir, embedder.model_id, embedder.dimension)
        out = {"held_out": n, "learning": summary.learning, "variants": {}}
        for variant in ["", *args.variants]:
            overrides = dict(kv.split("=", 1) for kv in variant.split(",") if kv)
            s = Settings(documents_dir=docs, index_dir=settings.index_dir, **overrides)  # type: ignore[arg-type]
            f = evaluate(Assistant(index, embedder, s), items).figures
            out["variants"][variant or "default"] = f
            print(variant or "default", json.dumps({k: round(v, 3) if isinstance(v, float) else v
                                                     for k, v in f.items() if k in common.CV_FIGURES}), flush=True)
    common.write_json("bank_cv", out)


if __name__ == "__main__":
    main()
