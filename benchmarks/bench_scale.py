"""Vector search at scale: exact vs approximate FAISS for 10k, 100k and 1M vectors of 384 dimensions.

Random unit vectors come in three kinds. *isotropic*: uniform on the sphere — in 384 dimensions
every point is almost equally far from every other, so no ANN index finds "the" 10 nearest
cheaply and recall there says nothing about text. *gaussian*: the mean and covariance of real
all-MiniLM-L6-v2 SciFact chunk embeddings, still without clusters. *realistic*: each vector a real
chunk embedding plus Gaussian noise of that covariance, its size calibrated so a synthetic vector
is as close to its source as a real chunk is to its nearest real neighbour (neighbourhoods as
tight as real text). Queries are real SciFact query embeddings. The recall goal is judged on the
realistic vectors and checked on the real chunk embeddings themselves.
"""

from __future__ import annotations

import gc
import time

import faiss
import numpy as np

from assistant import vectors as V
from benchmarks import common

DIM = 384
QUERIES = 200
RECALL_GOAL, P50_GOAL_MS = 0.95, 5.0
EF_SWEEP = (16, 32, 64, 128, 256)
CURVE_SIZES = (1_000, 5_000, 10_000, 25_000, 50_000, 100_000)
EXACT_BUDGET_MS = 2.0  # exact search this cheap stays a small share of the query embedding


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def real_embeddings() -> tuple[np.ndarray, np.ndarray]:
    """SciFact chunk and query embeddings saved by bench_scifact, or embedded here from a sample."""
    cache = common.cache_dir()
    chunks, queries = cache / "scifact-chunk-vectors.npy", cache / "scifact-query-vectors.npy"
    if chunks.exists() and queries.exists():
        return np.load(chunks), np.load(queries)
    common.log("no cached SciFact embeddings: embedding a sample (run bench_scifact first for all of them) ...")
    from assistant.embed import SentenceTransformerEmbedder, embed_all
    from benchmarks.bench_scifact import read_corpus, read_queries

    e = SentenceTransformerEmbedder()
    docs = list(read_corpus().values())[:1500]
    texts = [f"{d['title']}\n{d['text']}"[:600] for d in docs]
    return embed_all(e, texts, 32), embed_all(e, list(read_queries().values())[:300], 32)


def calibrate_noise(chunks: np.ndarray, chol: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """Noise scale whose synthetic-to-source cosine matches the real nearest-neighbour cosine."""
    sample = chunks[rng.choice(len(chunks), min(2000, len(chunks)), replace=False)]
    sims = sample @ chunks.T
    sims[sims > 0.9999] = -1  # not itself
    target = float(sims.max(axis=1).mean())
    z = rng.standard_normal((len(sample), DIM), dtype=np.float32) @ chol.T
    scales = np.linspace(0.2, 2.0, 37)
    cos = [float((unit(sample + s * z) * sample).sum(axis=1).mean()) for s in scales]
    return float(scales[int(np.argmin(np.abs(np.asarray(cos) - target)))]), target


def synthetic(kind: str, n: int, rng: np.random.Generator, chunks: np.ndarray, chol: np.ndarray,
              noise: float) -> np.ndarray:
    """``n`` unit vectors, generated in blocks so memory stays at the result's size."""
    out = np.empty((n, DIM), dtype=np.float32)
    mean = chunks.mean(axis=0)
    for i in range(0, n, 100_000):
        z = rng.standard_normal((min(100_000, n - i), DIM), dtype=np.float32)
        if kind == "isotropic":
            block = z
        elif kind == "gaussian":
            block = mean + z @ chol.T
        else:
            block = chunks[rng.integers(0, len(chunks), len(z))] + noise * (z @ chol.T)
        out[i:i + len(z)] = unit(block)
    return out


def latency_ms(index: faiss.Index, queries: np.ndarray, k: int = 10) -> tuple[float, np.ndarray]:
    """p50 of one-query searches through the product's ``vectors.search``, and the ids found."""
    ids, samples = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, row = V.search(index, q, k)
        samples.append((time.perf_counter() - t0) * 1000)
        ids.append(row)
    return float(np.median(samples)), np.asarray(ids)


def index_mb(index: faiss.Index) -> float:
    """Size of the index (≈ its memory): the serialised bytes."""
    return float(faiss.serialize_index(index).nbytes) / 2**20


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def measure(name: str, x: np.ndarray, queries: np.ndarray) -> dict:
    n = len(x)
    common.log(f"{name}: {n:,} vectors ...")
    t0 = time.perf_counter()
    flat, flat_kind = V.build_vector_index(x, ann_threshold=n + 1)
    flat_build = time.perf_counter() - t0
    flat_mb = index_mb(flat)
    faiss.omp_set_num_threads(V.build_threads())
    _, truth = flat.search(queries, 10)  # ground truth, batched
    exact_p50, _ = latency_ms(flat, queries[:50])
    del flat
    gc.collect()
    t0 = time.perf_counter()
    ann, kind = V.build_vector_index(x, ann_threshold=0)
    ann_build = time.perf_counter() - t0
    ann_mb = index_mb(ann)
    ann_p50, found = latency_ms(ann, queries)
    sweep = []
    for ef in EF_SWEEP:
        V.set_ef_search(ann, ef)
        p50, got = latency_ms(ann, queries)
        sweep.append({"ef_search": ef, "p50_ms": p50, "recall@10": recall(got, truth)})
    del ann
    gc.collect()
    return {"name": name, "n": n, "exact": {"kind": flat_kind, "build_s": flat_build, "mb": flat_mb,
                                             "p50_ms": exact_p50},
            "approx": {"kind": kind, "build_s": ann_build, "mb": ann_mb, "p50_ms": ann_p50,
                       "recall@10": recall(found, truth)}, "sweep": sweep,
            "automatic_choice": flat_kind if n < V.DEFAULT_ANN_THRESHOLD else kind}


def exact_curve(x: np.ndarray, queries: np.ndarray) -> list[dict]:
    """Exact search p50 against corpus size: where the exact index stops being cheap."""
    out = []
    for n in CURVE_SIZES:
        flat, _ = V.build_vector_index(x[:n], ann_threshold=n + 1)
        out.append({"n": n, "p50_ms": latency_ms(flat, queries[:100])[0]})
    return out


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    plan = [("realistic", n) for n in ((10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000))]
    plan += [("gaussian", 100_000), ("isotropic", 10_000)] + ([] if args.quick else [("isotropic", 100_000)])
    info = common.machine_info()
    chunks, real_q = real_embeddings()
    chunks = np.ascontiguousarray(chunks, dtype=np.float32)
    rng = np.random.default_rng(0)
    chol = np.linalg.cholesky(np.cov(chunks, rowvar=False) + 1e-6 * np.eye(DIM)).astype(np.float32)
    noise, nn_cos = calibrate_noise(chunks, chol, rng)
    queries = np.ascontiguousarray(unit(real_q[:QUERIES].astype(np.float32)))
    runs = [measure(f"real SciFact chunks {len(chunks):,}", chunks, queries)]
    curve = exact_curve(synthetic("realistic", 100_000, rng, chunks, chol, noise), queries)
    for kind, n in plan:
        x = synthetic(kind, n, rng, chunks, chol, noise)
        q = queries if kind != "isotropic" else unit(rng.standard_normal((QUERIES, DIM), dtype=np.float32))
        runs.append(measure(f"{kind} {n:,}", x, q))
        del x
        gc.collect()
    result = {"machine": info, "quick": args.quick, "runs": runs, "peak_rss_mb": common.peak_rss_mb(),
              "params": V.describe(), "noise_scale": noise, "real_nn_cosine": nn_cos, "exact_curve": curve}
    common.write_json("scale", result)
    common.write_section("scale", render(result))
    common.log("scale done")


def render(r: dict) -> str:
    rows = []
    for x in r["runs"]:
        e, a = x["exact"], x["approx"]
        rows.append([x["name"], common.fmt(e["build_s"], 2), common.fmt(e["mb"], 0), common.fmt(e["p50_ms"], 2),
                     a["kind"], common.fmt(a["build_s"], 1), common.fmt(a["mb"], 0), common.fmt(a["p50_ms"], 2),
                     f"{a['recall@10']:.3f}"])
    big = [x for x in r["runs"] if x["name"].startswith("realistic")][-1]
    ok = big["approx"]["recall@10"] >= RECALL_GOAL and big["approx"]["p50_ms"] <= P50_GOAL_MS
    plot(r)
    return "\n".join([
        "## 5. Scale: exact vs approximate vector search", "",
        common.provenance(r["machine"]), "",
        "384-dim unit vectors; 200 one-at-a-time queries (k=10) through `assistant.vectors.search` (real SciFact "
        "query embeddings; random ones for *isotropic*); recall@10 against exact search. *realistic*: a real "
        "SciFact chunk embedding plus Gaussian noise with the chunks' covariance, scaled "
        f"×{r['noise_scale']:.2f} so a vector keeps cosine ≈ {r['real_nn_cosine']:.2f} to its source (what a real "
        "chunk has to its nearest real neighbour); *gaussian*: the chunks' mean and covariance, no clusters; "
        "*isotropic*: uniform on the sphere, no neighbourhood structure at all (worst case). MB = size of the index "
        "(serialised, ≈ its memory). The exact index is what `build_vector_index` picks below the threshold.", "",
        f"Parameters (`assistant/vectors.py`): {r['params']}.", "",
        common.md_table(["corpus", "exact build s", "exact MB", "exact p50 ms", "approx index", "approx build s",
                         "approx MB", "approx p50 ms", "recall@10"], rows), "",
        f"- Goal at {big['n']:,} vectors: recall@10 ≥ {RECALL_GOAL} and p50 ≤ {P50_GOAL_MS} ms → {common.goal(ok)} "
        f"({big['approx']['recall@10']:.3f}, {big['approx']['p50_ms']:.2f} ms).",
        f"- Peak RSS of the whole run: {r['peak_rss_mb']:,.0f} MB.",
        "- Exact search p50 by corpus size (one thread): " + ", ".join(
            f"{c['n']:,}: {c['p50_ms']:.2f} ms" for c in r["exact_curve"]) + f". Largest size within "
        f"{EXACT_BUDGET_MS} ms: {max([c['n'] for c in r['exact_curve'] if c['p50_ms'] <= EXACT_BUDGET_MS], default=0):,}"
        f" → suggested `ann_threshold`; the default in `vectors.py` is {V.DEFAULT_ANN_THRESHOLD:,}.", "",
        "![recall vs latency](plots/scale.png)",
    ])


def plot(r: dict) -> None:
    plt = common.pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    for x in r["runs"]:
        ax1.plot([s["p50_ms"] for s in x["sweep"]], [s["recall@10"] for s in x["sweep"]], marker="o", label=x["name"])
    ax1.axhline(RECALL_GOAL, ls=":", c="r")
    ax1.axvline(P50_GOAL_MS, ls=":", c="r")
    ax1.set_xscale("log")
    ax1.set_xlabel("query p50 (ms), efSearch " + "/".join(map(str, EF_SWEEP)))
    ax1.set_ylabel("recall@10 vs exact")
    ax1.legend(fontsize=7)
    matched = [x for x in r["runs"] if x["name"].startswith("realistic")]
    ns = [x["n"] for x in matched]
    ax2.plot(ns, [x["exact"]["p50_ms"] for x in matched], marker="o", label="exact (flat IP)")
    ax2.plot(ns, [x["approx"]["p50_ms"] for x in matched], marker="o", label="approximate")
    ax2.axhline(P50_GOAL_MS, ls=":", c="r")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("vectors")
    ax2.set_ylabel("query p50 (ms)")
    ax2.legend(fontsize=8)
    common.save_plot(fig, "scale")


if __name__ == "__main__":
    main()
