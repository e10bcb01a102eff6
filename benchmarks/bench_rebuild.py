"""Rebuild cost: texts/s of ``build_index`` vs the raw embedder on the same texts, and rebuilds when
nothing (or one document) changed.

Throughput is measured for the product's default embedder (ONNX fp32, ``make_embedder``) and for
sentence-transformers on PyTorch; each build is compared with its own embedder's raw speed.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.embed import Embedder, batching_lengths, embed_all
from benchmarks import common
from benchmarks.bench_scifact import read_corpus, write_files

if TYPE_CHECKING:
    from assistant.config import Settings

RATIO_GOAL = 0.9


class Recorder:
    """The embedder build_index gets, noting every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.texts: list[str] = []

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return batching_lengths(self.inner, texts)  # so that build_index batches as it does unwrapped

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


def throughput(embedder: Embedder, raw: Callable[[list[str]], object], docs: Path, work: Path,
               settings: Settings, names: tuple[str, str]) -> dict:
    """``build_index`` vs ``raw(texts)`` (the embedder alone on the texts the build embedded) and vs the
    embedder on the build's own batches of 32, twice each, interleaved; best of two."""
    from assistant.index import build_index
    from assistant.store import load_index

    builds, raws, batched = [], [], []
    texts: list[str] = []
    for name in names:
        recorder = Recorder(embedder)
        t0 = time.perf_counter()
        build_index(docs, work / name, lambda r=recorder: r, settings)  # type: ignore[misc]
        builds.append(time.perf_counter() - t0)
        texts = recorder.texts  # exactly what build_index embedded (chunks, and whatever else it embeds)
        t0 = time.perf_counter()
        raw(texts)
        raws.append(time.perf_counter() - t0)
        t0 = time.perf_counter()  # the same batches of 32, in the order build_index sent them
        for i in range(0, len(texts), 32):
            embedder.embed_batch(texts[i:i + 32])
        batched.append(time.perf_counter() - t0)
    n = len(texts)
    build_rate, raw_rate = n / min(builds), n / min(raws)
    loaded = load_index(work / names[0], embedder.model_id, embedder.dimension)
    return {"texts": n, "chunks": loaded.vectors.ntotal, "build_index_texts_per_s": build_rate,
            "encode_texts_per_s": raw_rate, "encode_in_build_batches_texts_per_s": n / min(batched),
            "ratio": build_rate / raw_rate}


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import SentenceTransformerEmbedder, make_embedder
    from assistant.index import build_index, staleness
    from assistant.store import load_index

    n_docs = 60 if args.quick else 150
    info = common.machine_info()
    result: dict = {"machine": info, "scifact_documents": n_docs}
    embedder = make_embedder(Settings())  # the product's default (ONNX fp32), as ``assistant index`` uses
    torch_e = SentenceTransformerEmbedder()
    model = torch_e._model  # the very SentenceTransformer the PyTorch build uses
    with common.scratch("rebuild") as work:
        corpus = dict(sorted(read_corpus().items())[:n_docs])
        docs = work / "scifact"
        write_files(corpus, docs)
        settings = Settings(documents_dir=docs, index_dir=work / "index-a", reload_interval=0)
        model.encode(["warm up"] * 64, batch_size=32)
        embedder.embed_batch(["warm up"] * 32)

        def onnx_raw(texts: list[str]) -> object:
            # The embedder alone at its best: all texts sorted by token count, batches of 32.
            lengths = batching_lengths(embedder, texts)
            return embed_all(embedder, [texts[k] for k in sorted(range(len(texts)), key=lengths.__getitem__)], 32)

        def torch_raw(texts: list[str]) -> object:
            return model.encode(texts, batch_size=32, normalize_embeddings=True)  # sorts all texts by length

        common.log("build_index vs the raw embedder, twice each, interleaved (ONNX, then PyTorch) ...")
        # The ONNX build in index-a is the one the rebuilds below start from.
        by_embedder = {"onnx-fp32": throughput(embedder, onnx_raw, docs, work, settings, ("index-a", "index-b")),
                       "torch": throughput(torch_e, torch_raw, docs, work, settings, ("index-t1", "index-t2"))}
        result["throughput_by_embedder"] = by_embedder
        result["throughput"] = by_embedder["onnx-fp32"]  # the goal is about the default embedder

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
    raw_note = {"onnx-fp32": ("`embed_batch`, all texts sorted by token count, batches of 32", "embed_batch"),
                "torch": ("`model.encode(same texts, batch_size=32)`: sentence-transformers sorts them by characters",
                          "model.encode")}
    rows = []
    for name, x in r.get("throughput_by_embedder", {"torch": t}).items():
        raw, call = raw_note[name]
        rows += [
            [f"{name}: `build_index` (fresh, model already loaded)", common.fmt(x["build_index_texts_per_s"]),
             "parse, chunk, embed, FAISS + BM25, write"],
            [f"{name}: raw embedder on the same texts", common.fmt(x["encode_texts_per_s"]), raw],
            [f"{name}: `{call}` on build_index's own batches of 32", common.fmt(x["encode_in_build_batches_texts_per_s"]),
             "in the order `build_index` sent them"],
            [f"{name}: `build_index` ÷ raw", f"{x['ratio']:.2f}×", ""],
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
        f"- `build_index` ÷ the raw default (ONNX) embedder: **{t['ratio']:.2f}×** (goal ≥ {RATIO_GOAL}) → "
        f"{common.goal(ok)}. `build_index` batches texts by token count (`batching_lengths`).",
        "", common.md_table(["rebuild", "seconds", "note"], reb),
    ])


if __name__ == "__main__":
    main()
