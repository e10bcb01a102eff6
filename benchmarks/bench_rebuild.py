"""Rebuild cost: chunks/s of ``build_index`` vs raw ``model.encode`` on the same texts, and rebuilds when
nothing (or one document) changed.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.embed import Embedder
from benchmarks import common
from benchmarks.bench_scifact import read_corpus, write_files

RATIO_GOAL = 0.9


class Recorder:
    """The embedder build_index gets, noting every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.texts: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed_batch(texts)


def embedded(summary: object) -> int:
    """Texts a build sent to the embedder: chunks, plus sentences where the index keeps those too."""
    return int(getattr(summary, "embedded", 0)) + int(getattr(summary, "sentences_embedded", 0))


def cli_index(docs: Path, index: Path, work: Path, label: str, *extra: str) -> float:
    cmd = [sys.executable, "-m", "assistant", "index", "--quiet", "--documents", str(docs), "--index", str(index),
           *extra]
    code, seconds, _ = common.run_measured(cmd, work / f"{label}.out", work / f"{label}.err")
    if code != 0:
        raise RuntimeError((work / f"{label}.err").read_text()[-2000:])
    return seconds


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import SentenceTransformerEmbedder
    from assistant.index import build_index, load_index, staleness

    n_docs = 60 if args.quick else 150
    info = common.machine_info()
    result: dict = {"machine": info, "scifact_documents": n_docs}
    embedder = SentenceTransformerEmbedder()
    model = embedder._model  # the very SentenceTransformer the build uses
    with common.scratch("rebuild") as work:
        corpus = dict(sorted(read_corpus().items())[:n_docs])
        docs = work / "scifact"
        write_files(corpus, docs)
        settings = Settings(documents_dir=docs, index_dir=work / "index-a", reload_interval=0)
        model.encode(["warm up"] * 64, batch_size=32)

        common.log("build_index vs model.encode, twice each, interleaved ...")
        builds, encodes, encodes_batched = [], [], []
        texts: list[str] = []
        for name in ("index-a", "index-b"):
            recorder = Recorder(embedder)
            t0 = time.perf_counter()
            build_index(docs, work / name, lambda r=recorder: r, settings)  # type: ignore[misc]
            builds.append(time.perf_counter() - t0)
            texts = recorder.texts  # exactly what build_index embedded (chunks, and whatever else it embeds)
            t0 = time.perf_counter()
            model.encode(texts, batch_size=32, normalize_embeddings=True)
            encodes.append(time.perf_counter() - t0)
            t0 = time.perf_counter()  # the same batches of 32, in the order build_index sent them
            for i in range(0, len(texts), 32):
                model.encode(texts[i:i + 32], batch_size=32, normalize_embeddings=True)
            encodes_batched.append(time.perf_counter() - t0)
        n = len(texts)
        build_rate, encode_rate = n / min(builds), n / min(encodes)
        loaded = load_index(work / "index-a", embedder.model_id, embedder.dimension)
        result["throughput"] = {
            "texts": n, "chunks": loaded.vectors.ntotal, "build_index_texts_per_s": build_rate,
            "encode_texts_per_s": encode_rate, "encode_in_build_batches_texts_per_s": n / min(encodes_batched),
            "ratio": build_rate / encode_rate}

        common.log("rebuilds with nothing changed ...")
        t0 = time.perf_counter()
        again = build_index(docs, work / "index-a", lambda: embedder, settings)
        result["unchanged_in_process"] = {"seconds": time.perf_counter() - t0, "embedded": embedded(again),
                                          "reused": again.reused}
        t0 = time.perf_counter()
        reason = staleness(docs, work / "index-a", settings)
        result["staleness_check_s"] = {"scifact": time.perf_counter() - t0, "reason": reason}
        result["cli_unchanged_s"] = {"scifact": cli_index(docs, work / "index-a", work, "sf-unchanged")}
        result["cli_if_stale_s"] = {"scifact": cli_index(docs, work / "index-a", work, "sf-stale", "--if-stale")}

        first = sorted(docs.iterdir())[0]
        first.write_text(first.read_text() + "\nOne more sentence, so this abstract changed.", encoding="utf-8")
        t0 = time.perf_counter()
        one = build_index(docs, work / "index-a", lambda: embedder, settings)
        result["one_changed"] = {"seconds": time.perf_counter() - t0, "embedded": embedded(one),
                                 "reused": one.reused}

        bundled = work / "bundled"
        shutil.copytree(Settings().documents_dir, bundled)
        result["bundled"] = {"first_build_cli_s": cli_index(bundled, work / "index-c", work, "b-first"),
                             "unchanged_cli_s": cli_index(bundled, work / "index-c", work, "b-unchanged"),
                             "if_stale_cli_s": cli_index(bundled, work / "index-c", work, "b-stale", "--if-stale"),
                             "chunks": load_index(work / "index-c").vectors.ntotal}
    common.write_json("rebuild", result)
    common.write_section("rebuild", render(result))
    common.log("rebuild done")


def render(r: dict) -> str:
    t = r["throughput"]
    ok = t["ratio"] >= RATIO_GOAL
    u, one, b = r["unchanged_in_process"], r["one_changed"], r["bundled"]
    rows = [
        ["`build_index` (fresh, model already loaded)", common.fmt(t["build_index_texts_per_s"]),
         "parse, chunk, embed, FAISS + BM25, write"],
        ["`model.encode(same texts, batch_size=32)`", common.fmt(t["encode_texts_per_s"]),
         "sentence-transformers sorts all texts by length"],
        ["`model.encode` on build_index's own batches of 32", common.fmt(t["encode_in_build_batches_texts_per_s"]),
         "in the order `build_index` sent them"],
    ]
    reb = [
        ["SciFact subset, `build_index`, nothing changed", common.fmt(u["seconds"], 2), f"embedded {u['embedded']}"],
        ["SciFact subset, `build_index`, one abstract changed", common.fmt(one["seconds"], 2),
         f"embedded {one['embedded']}, reused {one['reused']}"],
        ["SciFact subset, `assistant index` (CLI), nothing changed", common.fmt(r["cli_unchanged_s"]["scifact"], 2),
         "process start + full rebuild, no embedding"],
        ["SciFact subset, `assistant index --if-stale`", common.fmt(r["cli_if_stale_s"]["scifact"], 2),
         "process start + hash check"],
        ["SciFact subset, `staleness()` in-process", common.fmt(r["staleness_check_s"]["scifact"], 3), ""],
        [f"bundled documents ({b['chunks']} chunks), `assistant index` first build", common.fmt(b["first_build_cli_s"], 2),
         "includes loading the model"],
        ["bundled documents, `assistant index`, nothing changed", common.fmt(b["unchanged_cli_s"], 2), ""],
        ["bundled documents, `assistant index --if-stale`", common.fmt(b["if_stale_cli_s"], 2), ""],
    ]
    return "\n".join([
        "## 4. Rebuild cost", "",
        common.provenance(r["machine"]), "",
        f"First {r['scifact_documents']} SciFact abstracts: {t['chunks']:,} chunks; `build_index` embedded "
        f"{t['texts']:,} texts (everything it sends to the embedder). Best of two interleaved runs each.",
        "", common.md_table(["what", "texts/s", "note"], rows), "",
        f"- `build_index` ÷ raw `model.encode`: **{t['ratio']:.2f}×** (goal ≥ {RATIO_GOAL}) → {common.goal(ok)}.",
        "", common.md_table(["rebuild", "seconds", "note"], reb),
    ])


if __name__ == "__main__":
    main()
