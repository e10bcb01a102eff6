"""In-process query latency of ``Assistant.ask`` with its breakdown, and the query embedding on PyTorch vs ONNX.

The bundled documents are indexed into a temporary folder (the project's ``index/`` is never
written), once with the PyTorch embedder and once with the ONNX int8 one. The dev questions are
read from the shared eval set at run time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.embed import Embedder
from benchmarks import common

OVERHEAD_GOAL = 0.30  # everything but the query embedding adds < 30 % of the embedding's time

_COLD = """
import json, sys, time
t0 = time.perf_counter()
kind = sys.argv[1]
if kind == "torch":
    from assistant.embed import SentenceTransformerEmbedder as E
    e = E()
else:
    from assistant.embed_onnx import OnnxEmbedder
    e = OnnxEmbedder(quantize=(kind == "onnx-int8"))
e.embed_batch(["first query"])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": int(hwm) / 1024}))
"""


def _factory(e: Embedder) -> Callable[[], Embedder]:
    return lambda: e


def _one(e: Embedder) -> Callable[[str], object]:
    return lambda q: e.embed_batch([q])


def time_calls(fn: Callable[[str], object], questions: list[str], reps: int) -> list[float]:
    for q in questions[:5]:
        fn(q)  # warm-up
    samples = []
    for _ in range(reps):
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


class CountingEmbedder:
    """Wraps an embedder to count the model calls one ``ask`` makes and the time they take."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.model_id, self.dimension = inner, inner.model_id, inner.dimension
        self.calls, self.ms = 0, 0.0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self.inner.embed_batch(texts)
        finally:
            self.calls += 1
            self.ms += (time.perf_counter() - t0) * 1000


def ask_latency(make_assistant: Callable[[Embedder], object], embedder: Embedder, questions: list[str],
                reps: int) -> dict:
    counting = CountingEmbedder(embedder)
    assistant = make_assistant(counting)
    for q in questions:
        assistant.ask(q)  # type: ignore[attr-defined]  # warm-up: first-call costs and caches
    parts: dict[str, list[float]] = {}
    for _ in range(reps):
        for q in questions:
            counting.calls, counting.ms = 0, 0.0
            t = dict(assistant.ask(q).timings_ms)  # type: ignore[attr-defined]
            t["model_calls"], t["all_embedding"] = float(counting.calls), counting.ms
            for key, value in t.items():
                parts.setdefault(key, []).append(value)
    total, embed = np.asarray(parts["total"]), np.asarray(parts["embed"])
    out: dict = {key: common.percentiles(vals) for key, vals in parts.items()}
    rest = total - embed
    out["all_but_embed"] = common.percentiles(rest)
    out["overhead_ratio_p50"] = float(np.median(rest) / np.median(embed))
    out["overhead_ratio_per_query_p50"] = float(np.median(rest / embed))
    no_model = total - np.asarray(parts["all_embedding"])
    out["without_any_model_call"] = common.percentiles(no_model)
    out["non_model_ratio_p50"] = float(np.median(no_model) / np.median(embed))
    return out


def overlap(a: Sequence[Sequence[object]], b: Sequence[Sequence[object]], k: int) -> dict:
    """How alike two sets of rankings are: mean top-k overlap, share of identical top-k and top-3 lists."""
    return {"overlap@k": float(np.mean([len(set(x[:k]) & set(y[:k])) / k for x, y in zip(a, b, strict=True)])),
            "identical_top_k": float(np.mean([list(x[:k]) == list(y[:k]) for x, y in zip(a, b, strict=True)])),
            "identical_top_3": float(np.mean([list(x[:3]) == list(y[:3]) for x, y in zip(a, b, strict=True)])),
            "k": k}


def cold_load(kind: str, onnx_cache: Path) -> dict:
    """A fresh process: import, load and embed one query; seconds and peak RSS (ONNX already exported)."""
    out = subprocess.run([sys.executable, "-c", _COLD, kind], capture_output=True, text=True, cwd=common.ROOT,
                         check=True, env={**os.environ, "ASSISTANT_ONNX_CACHE": str(onnx_cache)}).stdout
    return dict(__import__("json").loads(out.strip().splitlines()[-1]))


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import SentenceTransformerEmbedder, query_threads
    from assistant.embed_onnx import OnnxEmbedder, ensure_model
    from assistant.engine import Assistant
    from assistant.index import build_index
    from assistant.retrieve import Retriever
    from assistant.store import load_index

    reps = 1 if args.quick else 5
    questions = common.dev_questions()
    info = common.machine_info()
    result: dict = {"machine": info, "questions": len(questions), "reps": reps}

    with common.scratch("latency") as work:
        common.log("exporting the ONNX model into a fresh cache (offline) ...")
        t0 = time.perf_counter()
        ensure_model(False, work / "onnx")
        t1 = time.perf_counter()
        ensure_model(True, work / "onnx")
        result["export_seconds"] = {"fp32": t1 - t0, "int8_quantize": time.perf_counter() - t1}
        torch_e = SentenceTransformerEmbedder()
        busy = query_threads(Settings())  # configured as the server's engine makes them (idle threads sleep)
        embedders: dict[str, Embedder] = {
            "torch": torch_e, "onnx-fp32": OnnxEmbedder(False, work / "onnx", busy_threads=busy),
            "onnx-int8": OnnxEmbedder(True, work / "onnx", busy_threads=busy)}

        settings: dict[str, Settings] = {}
        for name in ("torch", "onnx-int8"):
            e = embedders[name]
            settings[name] = Settings(index_dir=work / f"index-{name}", reload_interval=0)
            build_index(settings[name].documents_dir, settings[name].index_dir, _factory(e), settings[name],
                        model_id=e.model_id, dimension=e.dimension)

        common.log("timing the query embedding alone ...")
        result["embed_only"] = {name: common.percentiles(time_calls(_one(e), questions, reps))
                                for name, e in embedders.items()}
        qv = {name: e.embed_batch(questions) for name, e in embedders.items()}
        result["cosine_to_torch"] = {name: {"min": float((qv[name] * qv["torch"]).sum(1).min()),
                                            "mean": float((qv[name] * qv["torch"]).sum(1).mean())}
                                     for name in ("onnx-fp32", "onnx-int8")}

        common.log("Assistant.ask over the dev questions ...")
        ask = {}
        for name, index_name in (("torch", "torch"), ("onnx-fp32", "torch"), ("onnx-int8", "onnx-int8")):
            e = embedders[name]
            index = load_index(settings[index_name].index_dir, embedders[index_name].model_id, e.dimension)
            ask[name] = ask_latency(lambda c, i=index, s=settings[index_name]: Assistant(i, c, s),  # type: ignore[misc]
                                    e, questions, reps)
        result["ask"] = ask

        common.log("comparing rankings ...")
        torch_index = load_index(settings["torch"].index_dir, torch_e.model_id, torch_e.dimension)
        vectors = torch_index.vectors.reconstruct_n(0, torch_index.vectors.ntotal)

        def dense_top(q: np.ndarray) -> list[list[int]]:
            return [list(np.argsort(-(vectors @ v), kind="stable")[:10]) for v in q]

        def hybrid_top(e: Embedder, index_name: str) -> list[list[str]]:
            index = load_index(settings[index_name].index_dir, embedders[index_name].model_id, e.dimension)
            r = Retriever(index, e, settings[index_name])
            return [[h.chunk.id for h in r.search(r.analyse(q)).hits[:10]] for q in questions]

        ref_dense, ref_hybrid = dense_top(qv["torch"]), hybrid_top(torch_e, "torch")
        result["rankings"] = {
            "dense, torch index, onnx-fp32 query": overlap(ref_dense, dense_top(qv["onnx-fp32"]), 10),
            "dense, torch index, onnx-int8 query": overlap(ref_dense, dense_top(qv["onnx-int8"]), 10),
            "hybrid, torch index, onnx-fp32 query": overlap(ref_hybrid, hybrid_top(embedders["onnx-fp32"], "torch"),
                                                            10),
            "hybrid, torch index, onnx-int8 query": overlap(ref_hybrid, hybrid_top(embedders["onnx-int8"], "torch"),
                                                            10),
            "hybrid, int8 index, int8 query": overlap(ref_hybrid, hybrid_top(embedders["onnx-int8"], "onnx-int8"), 10),
        }
        common.log("cold loads in fresh processes ...")
        result["cold"] = {kind: cold_load(kind, work / "onnx") for kind in ("torch", "onnx-fp32", "onnx-int8")}
    common.write_json("latency", result)
    common.write_section("latency", render(result))
    common.log("latency done")


def render(r: dict) -> str:
    ask, emb = r["ask"], r["embed_only"]
    extra = ("total", "all_but_embed", "model_calls", "all_embedding", "without_any_model_call")
    keys = [k for k in ask["torch"] if isinstance(ask["torch"][k], dict) and k not in extra]
    rows = []
    for name, a in ask.items():
        ok = a["overhead_ratio_p50"] < OVERHEAD_GOAL
        rows.append([name, *(common.fmt(a[k]["p50"], 2) for k in keys), common.fmt(a["all_but_embed"]["p50"], 2),
                     " / ".join(common.fmt(a["total"][p], 1) for p in ("p50", "p95", "p99")),
                     f"{a['overhead_ratio_p50']:.0%} ({common.goal(ok)})", common.fmt(a["model_calls"]["mean"], 2),
                     f"{a['without_any_model_call']['p50']:.2f} ({a['non_model_ratio_p50']:.0%})"])
    emb_rows = [[name, *(common.fmt(e[p], 2) for p in ("p50", "p95", "p99")),
                 common.fmt(r["cold"].get(name, {}).get("seconds"), 1),
                 common.fmt(r["cold"].get(name, {}).get("rss_mb"), 0),
                 "1" if name == "torch" else f"{r['cosine_to_torch'][name]['mean']:.4f} "
                 f"(min {r['cosine_to_torch'][name]['min']:.4f})"] for name, e in emb.items()]
    rank_rows = [[k, f"{v['overlap@k']:.3f}", f"{v['identical_top_k']:.0%}", f"{v['identical_top_3']:.0%}"]
                 for k, v in r["rankings"].items()]
    lines = [
        "## 2. Query latency in-process (`Assistant.ask`)", "",
        common.provenance(r["machine"]), "",
        f"{r['questions']} dev questions × {r['reps']} rounds after a warm-up round; bundled documents indexed into "
        "a temporary folder. Milliseconds, p50 per stage (from `answer.timings_ms`).", "",
        common.md_table(["embedder", *keys, "all but embed", "total p50 / p95 / p99",
                         f"(total − embed) / embed, goal < {OVERHEAD_GOAL:.0%}", "model calls per ask",
                         "total − all model calls (÷ embed)"], rows), "",
        "`embed` is the question's embedding inside `Retriever.search`; *model calls per ask* counts every call "
        "into the embedder during one `ask` (a wrapper around it), and the last column is what is left once all "
        "of them are taken out.", "",
        "### Query embedding alone (one question per call)", "",
        common.md_table(["embedder", "p50 ms", "p95 ms", "p99 ms", "cold load + 1st query (s)", "peak RSS (MB)",
                         "cosine to torch (mean)"], emb_rows), "",
        f"One-time offline export: fp32 {r['export_seconds']['fp32']:.1f} s, int8 quantization "
        f"{r['export_seconds']['int8_quantize']:.1f} s (`assistant/embed_onnx.py`, cached outside the repository).",
        "", "### Do the rankings stay the same? (top-10 chunks over the dev questions, vs PyTorch)", "",
        common.md_table(["comparison", "mean overlap@10", "identical top-10", "identical top-3"], rank_rows), "",
        "![latency breakdown](plots/latency.png)",
    ]
    plot(r, keys)
    return "\n".join(lines)


def plot(r: dict, keys: list[str]) -> None:
    plt = common.pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    names = list(r["ask"])
    bottom = np.zeros(len(names))
    for key in keys:
        vals = np.array([r["ask"][n][key]["p50"] for n in names])
        ax1.bar(names, vals, bottom=bottom, label=key)
        bottom += vals
    ax1.set_ylabel("ms (p50 per stage)")
    ax1.set_title("Assistant.ask breakdown")
    ax1.legend(fontsize=8)
    emb = r["embed_only"]
    ax2.bar(list(emb), [emb[n]["p50"] for n in emb], color="#888")
    ax2.errorbar(list(emb), [emb[n]["p50"] for n in emb],
                 yerr=[[0] * len(emb), [emb[n]["p99"] - emb[n]["p50"] for n in emb]], fmt="none", c="k", capsize=4)
    ax2.set_title("query embedding alone (p50, bar to p99)")
    ax2.set_ylabel("ms")
    common.save_plot(fig, "latency")


if __name__ == "__main__":
    main()
