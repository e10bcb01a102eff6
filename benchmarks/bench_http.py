"""HTTP latency and throughput of ``assistant serve`` on loopback at concurrency 1, 8 and 32, against the
in-process engine on the same cores; once per embedder (``ASSISTANT_EMBEDDER`` onnx, the default, and torch).
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import common
from benchmarks.httpload import free_port, run_load, running_server, wait_healthy

LEVELS = (1, 8, 32)
THROUGHPUT_GOAL = 0.80
EMBEDDERS = ("onnx", "torch")  # Settings.embedder values; the first is the default


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


def measure(embedder_name: str, index_dir: Path, work: Path, questions: list[str], requests: int,
            max_seconds: float, rounds: int) -> dict:
    """``rounds`` times: the in-process engine with this embedder, then ``assistant serve`` with it at each level.

    The machine's speed drifts by ±10 % over minutes (shared cores), so each HTTP level is compared with the
    in-process rate of the same round, measured moments before while the server sat idle; the verdict is the
    median of the rounds' ratios.
    """
    from assistant.config import Settings
    from assistant.engine import Assistant

    settings = Settings(index_dir=index_dir, reload_interval=0, embedder=embedder_name)  # type: ignore[arg-type]
    assistant = Assistant.load(settings)  # the embedder as the server makes it
    for q in questions:
        assistant.ask(q)  # warm-up
    port = free_port()
    log_path = work / f"server-{embedder_name}.log"
    rounds_out: list[dict] = []
    with running_server(index_dir, port, log_path, env={"ASSISTANT_EMBEDDER": embedder_name}) as proc:
        ready = wait_healthy(port, proc, timeout=300)
        if ready is None:
            raise RuntimeError("the server did not become healthy: " + log_path.read_text(errors="replace")[-2000:])
        run_load(port, questions, 1, 20, 30)  # warm-up
        for i in range(rounds):
            common.log(f"[{embedder_name}] round {i + 1}/{rounds}: in-process, then HTTP at {LEVELS} ...")
            in_process = [in_process_throughput(assistant, questions, min(requests, 200), t) for t in (1, 2, 4)]
            single, best = in_process[0]["rps"], max(r["rps"] for r in in_process)
            levels = []
            for c in LEVELS:
                r = run_load(port, questions, c, requests, max_seconds)
                levels.append({"concurrency": c, "ok": r.ok, "errors": r.errors, "seconds": r.seconds, "rps": r.rps,
                               "latencies_ms": r.latencies_ms, "vs_in_process": r.rps / (single if c == 1 else best)})
            rounds_out.append({"in_process": in_process, "levels": levels})
        rss = server_peak_rss_mb(proc.pid)
    del assistant
    return {"embedder": embedder_name, "rounds": len(rounds_out), "in_process": _median_in_process(rounds_out),
            "in_process_best_rps": statistics.median(max(r["rps"] for r in rd["in_process"]) for rd in rounds_out),
            "levels": [_level_summary(rounds_out, j) for j in range(len(LEVELS))], "server_peak_rss_mb": rss}


def _median_in_process(rounds: list[dict]) -> list[dict]:
    return [{"threads": rounds[0]["in_process"][k]["threads"],
             "rps": statistics.median(rd["in_process"][k]["rps"] for rd in rounds)}
            for k in range(len(rounds[0]["in_process"]))]


def _level_summary(rounds: list[dict], j: int) -> dict:
    """One level over all rounds: answers and errors summed, latencies pooled, rate and ratio the median."""
    lvs = [rd["levels"][j] for rd in rounds]
    errors: dict[str, int] = {}
    for lv in lvs:
        for k, v in lv["errors"].items():
            errors[k] = errors.get(k, 0) + v
    ratios = [lv["vs_in_process"] for lv in lvs]
    return {"concurrency": lvs[0]["concurrency"], "ok": sum(lv["ok"] for lv in lvs), "errors": errors,
            "seconds": sum(lv["seconds"] for lv in lvs), "rps": statistics.median(lv["rps"] for lv in lvs),
            "latency_ms": common.percentiles([x for lv in lvs for x in lv["latencies_ms"]]),
            "vs_in_process": statistics.median(ratios), "vs_in_process_rounds": ratios}


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import make_embedder
    from assistant.index import build_index

    requests, max_seconds, rounds = (100, 20.0, 1) if args.quick else (400, 60.0, 5)
    questions = common.dev_questions()
    info = common.machine_info()
    result: dict = {"machine": info, "requests_per_level": requests, "max_seconds_per_level": max_seconds,
                    "rounds": rounds, "ask_concurrency": Settings().ask_concurrency}

    with common.scratch("http") as work:
        settings = Settings(index_dir=work / "index", reload_interval=0)
        build_index(settings.documents_dir, settings.index_dir, lambda: make_embedder(settings), settings)
        result["runs"] = [measure(name, settings.index_dir, work, questions, requests, max_seconds, rounds)
                          for name in EMBEDDERS]
    # The product's default embedder, where the summary looks.
    result.update({k: result["runs"][0][k] for k in ("in_process", "in_process_best_rps", "levels",
                                                      "server_peak_rss_mb")})
    common.write_json("http", result)
    common.write_section("http", render(result))
    common.log("http done")


def render(r: dict) -> str:
    rows = []
    for run in r["runs"]:
        for lv in run["levels"]:
            lat = lv["latency_ms"]
            errors = sum(lv["errors"].values())
            ok = errors == 0 and lv["vs_in_process"] >= THROUGHPUT_GOAL
            rows.append([run["embedder"], lv["concurrency"], lv["ok"], f"{errors}" + (f" {lv['errors']}" if errors else ""),
                         common.fmt(lv["rps"], 1), common.fmt(lat.get("p50"), 1), common.fmt(lat.get("p95"), 1),
                         common.fmt(lat.get("p99"), 1),
                         f"{lv['vs_in_process']:.0%} ({common.goal(ok)}); rounds "
                         + " / ".join(f"{x:.0%}" for x in lv.get("vs_in_process_rounds", []))])
    inproc = "; ".join(
        f"{run['embedder']}: " + ", ".join(f"{x['threads']} thread{'s' if x['threads'] > 1 else ''} {x['rps']:.1f}/s"
                                           for x in run["in_process"]) for run in r["runs"])
    rss = ", ".join(f"{run['embedder']} {run['server_peak_rss_mb']:.0f} MB" for run in r["runs"])
    lines = [
        "## 3. Over HTTP: latency and throughput (`assistant serve`, loopback)", "",
        common.provenance(r["machine"]), "",
        f"`POST /api/ask` with `top_k` 3, the dev questions in turn; at most {r['requests_per_level']} requests or "
        f"{r['max_seconds_per_level']:.0f} s per level, keep-alive connections from a small asyncio client in "
        "another process on the same two cores. The server answers at most `ask_concurrency` "
        f"({r.get('ask_concurrency', 2)}) questions at once; the others wait in its queue. One server per embedder "
        "(`ASSISTANT_EMBEDDER`), same index. "
        f"{r.get('rounds', 1)} rounds: each measures the in-process engine alone (`Assistant.ask` from 1, 2 and 4 "
        "threads, the server idle), then the server at each level, and compares each level with that round's "
        "in-process rate, so that the machine's drift (±10 % over minutes on shared cores) cancels. Answers and "
        "errors are summed over the rounds, latencies pooled, rates and ratios the median of the rounds. "
        f"In-process answers/s (median): {inproc}. Server peak RSS: {rss}.", "",
        common.md_table(["embedder", "concurrency", "answered", "errors", "requests/s", "p50 ms", "p95 ms", "p99 ms",
                         f"vs in-process (1 thread for concurrency 1, else best), goal ≥ {THROUGHPUT_GOAL:.0%} "
                         "and no errors; each round"], rows), "",
        "![HTTP throughput and latency](plots/http.png)",
    ]
    plot(r)
    return "\n".join(lines)


def plot(r: dict) -> None:
    plt = common.pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    runs = r["runs"]
    cs = [str(lv["concurrency"]) for lv in runs[0]["levels"]]
    x = np.arange(len(cs))
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        xs = x + (i - (len(runs) - 1) / 2) * width
        bars = ax1.bar(xs, [lv["rps"] for lv in run["levels"]], width, label=f"HTTP, {run['embedder']}")
        ax1.hlines(run["in_process_best_rps"], xs[0] - width / 2, xs[-1] + width / 2, colors=bars[0].get_facecolor(),
                   linestyles="--", label=f"in-process best, {run['embedder']}")
        ax2.plot(cs, [lv["latency_ms"].get("p50", 0) for lv in run["levels"]], marker="o", label=f"p50 {run['embedder']}")
        ax2.plot(cs, [lv["latency_ms"].get("p99", 0) for lv in run["levels"]], marker="x", ls=":",
                 label=f"p99 {run['embedder']}")
    ax1.set_xticks(x, cs)
    ax1.set_xlabel("concurrent connections")
    ax1.set_ylabel("answers / s")
    ax1.legend(fontsize=7)
    ax2.set_xlabel("concurrent connections")
    ax2.set_ylabel("ms")
    ax2.set_yscale("log")
    ax2.legend(fontsize=7)
    common.save_plot(fig, "http")


if __name__ == "__main__":
    main()
