"""Run every benchmark, each in its own process (clean memory figures), and write benchmarks/RESULTS.md.

    python -m benchmarks.run_all            # everything, about 25–30 minutes on 2 cores
    python -m benchmarks.run_all --quick    # smaller sizes, a few minutes
    python -m benchmarks.run_all --only scale latency
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks import common

# bench_scifact first: bench_scale reuses the SciFact embeddings it leaves in the cache folder.
ORDER = ("scifact", "covidqa", "latency", "http", "rebuild", "scale", "coldstart")
TIMEOUT_S = {"scifact": 1800, "covidqa": 3600, "latency": 900, "http": 900, "rebuild": 900, "scale": 1800, "coldstart": 600}


def machine_section(info: dict) -> str:
    v = info["versions"]
    rows = [["CPU", f"{info['cpu']} ({info['cores']} cores)"], ["memory", f"{info['memory_gib']} GiB"],
            ["OS", info["os"]], ["git commit", f"`{info['commit']}`"], ["run", info["date"]]]
    rows += [[name, version] for name, version in v.items()]
    return "\n".join(["## Machine and versions", "", common.md_table(["", ""], rows), "",
                      "No GPU. Timings on two shared cores move by ±10–20 % between runs; each section records the "
                      "load average when it started (other work on the machine slows everything)."])


def summary_section() -> str:
    """One table of every goal, from the JSON each benchmark left in benchmarks/out/."""
    rows: list[list[str]] = []
    sf = common.read_json("scifact")
    if sf:
        s = sf["systems"]
        bm, de = s["BM25 — whole abstracts (reference)"]["ndcg@10"], s["dense — whole abstracts (reference)"]["ndcg@10"]
        quick = "n/a (quick run: a subset)" if sf["quick"] else None
        rows.append(["SciFact BM25 reproduces 0.665–0.680 (±0.01)", f"{bm:.3f}",
                     quick or common.goal(0.655 <= bm <= 0.69)])
        rows.append(["SciFact dense reproduces 0.645 (±0.01)", f"{de:.3f}", quick or common.goal(abs(de - 0.645) <= 0.01)])
        single = max(s["BM25 — chunks, max per document"]["ndcg@10"], s["dense — chunks, max per document"]["ndcg@10"])
        prod = [v["ndcg@10"] for k, v in s.items() if k.startswith("hybrid — product")]
        if prod:
            rows.append(["product hybrid beats BM25 and dense (nDCG@10)", f"{prod[0]:.3f} vs {single:.3f}",
                         common.goal(prod[0] > single)])
    lat = common.read_json("latency")
    if lat:
        for name in ("torch", "onnx-fp32", "onnx-int8"):
            ratio = lat["ask"][name]["overhead_ratio_p50"]
            rows.append([f"`ask` minus embedding < 30 % of embedding ({name})", f"{ratio:.0%}",
                         common.goal(ratio < 0.3)])
    http = common.read_json("http")
    if http:
        for run in http.get("runs") or [{"embedder": "torch", "levels": http["levels"]}]:
            for lv in run["levels"]:
                errors = sum(lv["errors"].values())
                rows.append([f"HTTP at concurrency {lv['concurrency']} ({run['embedder']}): no errors, ≥ 80 % of "
                             f"in-process ({'1 thread' if lv['concurrency'] == 1 else 'best'})",
                             f"{errors} errors, {lv['vs_in_process']:.0%}",
                             common.goal(errors == 0 and lv["vs_in_process"] >= 0.8)])
    rb = common.read_json("rebuild")
    if rb:
        for name, t in (rb.get("throughput_by_embedder") or {"torch": rb["throughput"]}).items():
            rows.append([f"`build_index` texts/s ≥ 0.9 × the raw embedder on the same texts ({name})",
                         f"{t['ratio']:.2f}×", common.goal(t["ratio"] >= 0.9)])
        rows.append(["rebuild with nothing changed takes seconds (CLI, SciFact subset)",
                     f"{rb['cli_unchanged_s']['scifact']:.1f} s", common.goal(rb["cli_unchanged_s"]["scifact"] < 10)])
    sc = common.read_json("scale")
    if sc:
        big = [x for x in sc["runs"] if x["name"].startswith("realistic")][-1]
        a = big["approx"]
        rows.append([f"ANN at {big['n']:,}: recall@10 ≥ 0.95, p50 ≤ 5 ms", f"{a['recall@10']:.3f}, {a['p50_ms']:.2f} ms",
                     common.goal(a["recall@10"] >= 0.95 and a["p50_ms"] <= 5)])
    cs = common.read_json("coldstart")
    if cs:
        first = cs["warm_index"][0]["first_answer_s"]
        per = {k: v["warm_index"][0]["first_answer_s"] for k, v in cs.get("by_embedder", {}).items()}
        measured = ", ".join(f"{k} {v:.1f} s" for k, v in per.items()) if per else f"{first:.1f} s"
        rows.append(["cold start: `assistant serve` → first answer (index built)", measured, "reported"])
    return "\n".join(["## Summary of goals", "", common.md_table(["goal", "measured", "verdict"], rows), "",
                      "Details and plots in the sections below; the last run of each benchmark wrote its section."])


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ORDER, help="run only these benchmarks")
    args = parser.parse_args()
    info = common.machine_info()
    common.write_section("machine", machine_section(info))
    failed = []
    started = time.perf_counter()
    for name in args.only or ORDER:
        common.wait_for_quiet()
        common.log(f"=== bench_{name} ===")
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", f"benchmarks.bench_{name}", *(["--quick"] if args.quick else [])]
        try:
            code = subprocess.run(cmd, cwd=common.ROOT, timeout=TIMEOUT_S[name]).returncode
        except subprocess.TimeoutExpired:
            code = -1
        common.log(f"=== bench_{name}: {'ok' if code == 0 else f'FAILED ({code})'} in {time.perf_counter() - t0:.0f} s")
        if code != 0:
            failed.append(name)
    common.write_section("summary", summary_section())
    common.log(f"all done in {(time.perf_counter() - started) / 60:.1f} min; results in benchmarks/RESULTS.md")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
