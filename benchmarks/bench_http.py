"""HTTP latency and throughput of ``assistant serve`` on loopback at concurrency 1, 8 and 32, against the
in-process engine on the same cores.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import common
from benchmarks.httpload import free_port, run_load, running_server, wait_healthy

LEVELS = (1, 8, 32)
THROUGHPUT_GOAL = 0.80


def in_process_throughput(assistant, questions: list[str], requests: int, threads: int) -> dict:  # type: ignore[no-untyped-def]
    """Answers per second of ``Assistant.ask`` alone, ``threads`` callers at a time."""
    work = [questions[i % len(questions)] for i in range(requests)]
    t0 = time.perf_counter()
    if threads == 1:
        for q in work:
            assistant.ask(q)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(assistant.ask, work))
    seconds = time.perf_counter() - t0
    return {"threads": threads, "requests": requests, "seconds": seconds, "rps": requests / seconds}


def server_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import SentenceTransformerEmbedder
    from assistant.engine import Assistant
    from assistant.index import build_index

    requests, max_seconds = (100, 20.0) if args.quick else (400, 60.0)
    questions = common.dev_questions()
    info = common.machine_info()
    result: dict = {"machine": info, "requests_per_level": requests, "max_seconds_per_level": max_seconds}

    with common.scratch("http") as work:
        settings = Settings(index_dir=work / "index", reload_interval=0)
        embedder = SentenceTransformerEmbedder()
        build_index(settings.documents_dir, settings.index_dir, lambda: embedder, settings)
        assistant = Assistant.load(settings, embedder)
        for q in questions:
            assistant.ask(q)  # warm-up
        common.log("in-process throughput ...")
        result["in_process"] = [in_process_throughput(assistant, questions, min(requests, 200), t) for t in (1, 2, 4)]
        del assistant
        best = max(r["rps"] for r in result["in_process"])
        single = result["in_process"][0]["rps"]  # one request at a time can only be compared with one thread

        port = free_port()
        with running_server(settings.index_dir, port, work / "server.log") as proc:
            ready = wait_healthy(port, proc, timeout=300)
            if ready is None:
                raise RuntimeError("the server did not become healthy: "
                                   + (work / "server.log").read_text(errors="replace")[-2000:])
            run_load(port, questions, 1, 20, 30)  # warm-up
            levels = []
            for c in LEVELS:
                common.log(f"HTTP load at concurrency {c} ...")
                r = run_load(port, questions, c, requests, max_seconds)
                levels.append({"concurrency": c, "ok": r.ok, "errors": r.errors, "seconds": r.seconds,
                               "rps": r.rps, "latency_ms": common.percentiles(r.latencies_ms),
                               "vs_in_process": r.rps / (single if c == 1 else best)})
            result["server_peak_rss_mb"] = server_peak_rss_mb(proc.pid)
        result["levels"] = levels
        result["in_process_best_rps"] = best
    common.write_json("http", result)
    common.write_section("http", render(result))
    common.log("http done")


def render(r: dict) -> str:
    rows = []
    for lv in r["levels"]:
        lat = lv["latency_ms"]
        errors = sum(lv["errors"].values())
        ok = errors == 0 and lv["vs_in_process"] >= THROUGHPUT_GOAL
        rows.append([lv["concurrency"], lv["ok"], f"{errors}" + (f" {lv['errors']}" if errors else ""),
                     common.fmt(lv["rps"], 1), common.fmt(lat.get("p50"), 1), common.fmt(lat.get("p95"), 1),
                     common.fmt(lat.get("p99"), 1), f"{lv['vs_in_process']:.0%} ({common.goal(ok)})"])
    inproc = ", ".join(f"{x['threads']} thread{'s' if x['threads'] > 1 else ''}: {x['rps']:.1f}/s"
                       for x in r["in_process"])
    lines = [
        "## 3. Over HTTP: latency and throughput (`assistant serve`, loopback)", "",
        common.provenance(r["machine"]), "",
        f"`POST /api/ask` with `top_k` 3, the dev questions in turn; at most {r['requests_per_level']} requests or "
        f"{r['max_seconds_per_level']:.0f} s per level, keep-alive connections from a small asyncio client in "
        "another process on the same two cores. In-process engine alone (`Assistant.ask` in a loop): "
        f"{inproc}. Server peak RSS {r['server_peak_rss_mb']:.0f} MB.", "",
        common.md_table(["concurrency", "answered", "errors", "requests/s", "p50 ms", "p95 ms", "p99 ms",
                         f"vs in-process (1 thread for concurrency 1, else best), goal ≥ {THROUGHPUT_GOAL:.0%} "
                         "and no errors"], rows), "",
        "![HTTP throughput and latency](plots/http.png)",
    ]
    plot(r)
    return "\n".join(lines)


def plot(r: dict) -> None:
    plt = common.pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    cs = [str(lv["concurrency"]) for lv in r["levels"]]
    ax1.bar(cs, [lv["rps"] for lv in r["levels"]], color="#55a868", label="HTTP")
    ax1.axhline(r["in_process_best_rps"], ls="--", c="k", label="in-process best")
    ax1.axhline(r["in_process"][0]["rps"], ls="-.", c="grey", label="in-process, 1 thread")
    ax1.axhline(r["in_process_best_rps"] * THROUGHPUT_GOAL, ls=":", c="r", label="80 % of best")
    ax1.set_xlabel("concurrent connections")
    ax1.set_ylabel("answers / s")
    ax1.legend(fontsize=8)
    width = 0.25
    x = np.arange(len(cs))
    for i, p in enumerate(("p50", "p95", "p99")):
        ax2.bar(x + (i - 1) * width, [lv["latency_ms"].get(p, 0) for lv in r["levels"]], width, label=p)
    ax2.set_xticks(x, cs)
    ax2.set_xlabel("concurrent connections")
    ax2.set_ylabel("ms")
    ax2.set_yscale("log")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(common.plot_path("http"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
