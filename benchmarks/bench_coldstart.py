"""Cold start: seconds from launching ``assistant serve`` to ``/healthz`` answering and to the first answer,
with each embedder (``ASSISTANT_EMBEDDER`` onnx, the default, and torch).
"""

from __future__ import annotations

import json
import time

import numpy as np

from benchmarks import common
from benchmarks.httpload import free_port, post_json, running_server, wait_healthy

QUESTION = "How much magnesium glycinate should I take for sleep?"
EMBEDDERS = ("onnx", "torch")


def one_start(index_dir, work, label: str, embedder: str) -> dict:  # type: ignore[no-untyped-def]
    port = free_port()
    t0 = time.perf_counter()
    with running_server(index_dir, port, work / f"{label}.log", env={"ASSISTANT_EMBEDDER": embedder}) as proc:
        healthy = wait_healthy(port, proc, timeout=600)
        if healthy is None:
            raise RuntimeError(f"the server did not start: {(work / f'{label}.log').read_text()[-2000:]}")
        status, body = post_json(port, "/api/ask", {"question": QUESTION, "top_k": 3})
        first = time.perf_counter() - t0
        answered = status == 200 and bool(json.loads(body).get("passages"))
        t1 = time.perf_counter()
        post_json(port, "/api/ask", {"question": QUESTION, "top_k": 3})
        second = time.perf_counter() - t1
    log = (work / f"{label}.log").read_text(errors="replace")
    return {"embedder": embedder, "healthy_s": healthy, "first_answer_s": first, "first_request_s": first - healthy,
            "second_request_s": second, "status": status, "answered": answered,
            "built_index_first": "Building the index" in log}


def main() -> None:
    args = common.arg_parser(__doc__.splitlines()[0]).parse_args()
    common.offline_env()
    from assistant.config import Settings
    from assistant.embed import make_embedder
    from assistant.index import build_index

    runs = 2 if args.quick else 4
    info = common.machine_info()
    result: dict = {"machine": info, "by_embedder": {}}
    with common.scratch("coldstart") as work:
        settings = Settings(index_dir=work / "index", reload_interval=0)
        build_index(settings.documents_dir, settings.index_dir, lambda: make_embedder(settings), settings)
        for name in EMBEDDERS:
            common.log(f"[{name}] {runs} cold starts with the index built ...")
            entry = {"warm_index": [one_start(settings.index_dir, work, f"{name}-start{i}", name) for i in range(runs)]}
            if not args.quick:
                common.log(f"[{name}] one cold start without an index (serve builds it first) ...")
                entry["no_index"] = [one_start(work / f"empty-index-{name}", work, f"{name}-build-first", name)]
            result["by_embedder"][name] = entry
    # The product's default embedder, where the summary looks.
    result.update(result["by_embedder"][EMBEDDERS[0]])
    common.write_json("coldstart", result)
    common.write_section("coldstart", render(result))
    common.log("coldstart done")


def render(r: dict) -> str:
    def row(name: str, label: str, runs: list[dict]) -> list[str]:
        med = {k: float(np.median([x[k] for x in runs])) for k in ("healthy_s", "first_request_s",
                                                                      "first_answer_s", "second_request_s")}
        return [name, label, str(len(runs)), common.fmt(med["healthy_s"], 1),
                common.fmt(med["first_request_s"] * 1000, 0), common.fmt(med["first_answer_s"], 1),
                common.fmt(med["second_request_s"] * 1000, 0), "yes" if all(x["answered"] for x in runs) else "**no**",
                str(sum(x.get("built_index_first", False) for x in runs))]

    rows = []
    for name, entry in r["by_embedder"].items():
        warm = entry["warm_index"]
        rows += [row(name, "index built, first start on it", warm[:1]), row(name, "index built, later starts", warm[1:])]
        if "no_index" in entry:
            rows.append(row(name, "no index yet (serve builds it)", entry["no_index"]))
    return "\n".join([
        "## 6. Cold start (`assistant serve` → first answer)", "",
        common.provenance(r["machine"]), "",
        "A fresh process each time, `ASSISTANT_EMBEDDER` set per row (the ONNX model already exported, as `make "
        "install` leaves it); `/healthz` polled every 50 ms, then one `POST /api/ask`; medians. The first "
        "start on a new build can cost more than later ones (whatever the engine computes once per build and "
        "caches).", "",
        common.md_table(["embedder", "case", "runs", "to /healthz 200 (s)", "first request (ms)",
                         "to first answer (s)", "second request (ms)", "answered", "starts that (re)built the index"],
                        rows),
    ])


if __name__ == "__main__":
    main()
