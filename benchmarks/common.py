"""What every benchmark shares: paths, machine facts, percentiles, JSON output and RESULTS.md sections.

Results go to ``benchmarks/out/<name>.json`` (git-ignored) and to one section of
``benchmarks/RESULTS.md`` (between ``<!-- BEGIN name -->`` and ``<!-- END name -->``), so each
benchmark can be re-run alone without disturbing the others' sections.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
OUT_DIR = BENCH_DIR / "out"
PLOTS_DIR = BENCH_DIR / "plots"
RESULTS = BENCH_DIR / "RESULTS.md"

# Order of the sections in RESULTS.md.
SECTIONS = ("summary", "machine", "scifact", "covidqa", "latency", "http", "rebuild", "scale", "coldstart")
# The answer-quality figures a tuning run prints (the names ``assistant.evaluate`` reports).
CV_FIGURES = ("hit@1", "hit@3", "abstain_accuracy_unanswerable", "false_abstain_rate", "safety_recall",
              "conflict_both_sides", "emergency_recall", "emergency_false", "passage_chars_median")
PACKAGES = ("torch", "sentence-transformers", "transformers", "faiss-cpu", "onnxruntime", "onnx", "tokenizers",
            "numpy", "fastapi", "uvicorn", "httpx")

HEADER = """# Benchmark results

What this assistant costs and how it grows. Re-run everything with `make bench`
(`python -m benchmarks.run_all`, `--quick` for smaller sizes) or one part with
`python -m benchmarks.bench_<name>`. Raw numbers: `benchmarks/out/*.json` (not committed).
Goals are benchmark targets, never timed unit tests.
"""


def offline_env() -> None:
    """Never reach a model hub; quiet progress bars of the libraries (not ours)."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                       ("TRANSFORMERS_VERBOSITY", "error"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(key, value)


def shared_dir() -> Path:
    return Path(os.environ.get("ASSISTANT_SHARED_DIR", ROOT.parent / "shared"))


def scifact_dir() -> Path:
    return Path(os.environ.get("BENCH_SCIFACT_DIR", shared_dir() / "bench" / "scifact"))


def dev_set_path() -> Path:
    return Path(os.environ.get("BENCH_DEV_SET", shared_dir() / "eval" / "dev.jsonl"))


def dev_questions() -> list[str]:
    """The dev questions, read at run time (never copied into the repository)."""
    with open(dev_set_path(), encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


def cache_dir() -> Path:
    """Outside the repository: exported ONNX models and reusable reference embeddings."""
    base = os.environ.get("BENCH_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
        "magnesium-assistant-bench"
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder outside the repository, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as tmp:
        yield Path(tmp)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        # The results of the run itself (RESULTS.md, plots) do not make the measured code uncommitted.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)benchmarks/RESULTS.md", ":(exclude)benchmarks/plots"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}+uncommitted-changes" if dirty else sha


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def load_average() -> float:
    with contextlib.suppress(OSError):
        return os.getloadavg()[0]
    return 0.0


def wait_for_quiet(max_wait: float = 120.0, threshold: float = 0.6) -> float:
    """Wait (bounded) until other work on this machine settles; returns the 1-minute load average then.

    Timings on 2 cores are only meaningful when nothing else runs; the load is recorded with the results.
    """
    deadline = time.monotonic() + max_wait
    load = load_average()
    if load > threshold:
        log(f"machine busy (load {load:.2f}); waiting up to {max_wait:.0f} s for it to settle ...")
    while load > threshold and time.monotonic() < deadline:
        time.sleep(5)
        load = load_average()
    return load


def machine_info() -> dict:
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": _memory_gib(), "load_1min": load_average(),
            "os": f"{platform.system()} {platform.release()}", "versions": versions(), "commit": git_commit(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def provenance(info: dict) -> str:
    """One line saying where and on what a section's numbers were measured."""
    v = info["versions"]
    libs = ", ".join(f"{k} {v[k]}" for k in ("torch", "sentence-transformers", "faiss-cpu", "onnxruntime") if k in v)
    return (f"*Measured {info['date']} on {info['cpu']} ({info['cores']} cores, {info['memory_gib']} GiB), "
            f"Python {v['python']}, {libs}; commit `{info['commit']}`; load average at start "
            f"{info.get('load_1min', 0):.2f}.*")


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(samples_ms, dtype=np.float64)
    if a.size == 0:
        return {"n": 0}
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"n": int(a.size), "p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(a.mean()),
            "max": float(a.max())}


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of the largest waited-for child), MB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def rss_mb() -> float:
    """Current resident memory of this process, MB."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """``fn()`` and its wall time in seconds."""
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def goal(ok: bool) -> str:
    return "met" if ok else "**missed**"


def text_hash(texts: Sequence[str], salt: str = "") -> str:
    h = hashlib.sha256(salt.encode())
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    return h.hexdigest()[:16]


def embed_sorted(embedder: object, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Embed in batches of similar length (less padding), rows in the original order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)  # type: ignore[attr-defined]
    for i in range(0, len(order), batch_size):
        rows = order[i:i + batch_size]
        out[rows] = embedder.embed_batch([texts[j] for j in rows])  # type: ignore[attr-defined]
    return out


def cached_only(name: str, texts: Sequence[str], model_id: str) -> np.ndarray | None:
    """Reference embeddings from an earlier run, or None."""
    path = cache_dir() / f"{name}-{text_hash(texts, model_id)}.npy"
    return np.load(path) if path.exists() else None


def cached_vectors(name: str, texts: Sequence[str], compute: Callable[[], np.ndarray], model_id: str,
                   use_cache: bool = True) -> tuple[np.ndarray, bool]:
    """Reference embeddings, kept in the cache folder by content hash; (vectors, came_from_cache)."""
    path = cache_dir() / f"{name}-{text_hash(texts, model_id)}.npy"
    if use_cache and path.exists():
        return np.load(path), True
    vectors = np.asarray(compute(), dtype=np.float32)
    tmp = path.with_suffix(f".tmp-{os.getpid()}.npy")
    np.save(tmp, vectors)
    os.replace(tmp, path)
    return vectors, False


def _scrub(text: str) -> str:
    """No paths of this machine in committed files."""
    for p in sorted({str(ROOT), str(ROOT.parent), tempfile.gettempdir(), str(Path.home())}, key=len, reverse=True):
        if len(p) > 1:
            text = text.replace(p, "…")
    return re.sub(r"/tmp/[\w.\-/]+", "…", text)


def write_json(name: str, data: dict) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, default=float), encoding="utf-8")
    return path


def read_json(name: str) -> dict | None:
    try:
        return json.loads((OUT_DIR / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_section(name: str, markdown: str) -> None:
    """Replace (or add, in SECTIONS order) one section of RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    block = f"<!-- BEGIN {name} -->\n{_scrub(markdown).strip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        later = [s for s in SECTIONS[SECTIONS.index(name) + 1:] if f"<!-- BEGIN {s} -->" in text] \
            if name in SECTIONS else []
        if later:
            at = text.index(f"<!-- BEGIN {later[0]} -->")
            text = text[:at] + block + "\n\n" + text[at:]
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def plot_path(name: str) -> Path:
    PLOTS_DIR.mkdir(parents=True, exist_ok=True)
    return PLOTS_DIR / f"{name}.png"


def save_plot(fig, name: str) -> None:  # type: ignore[no-untyped-def]
    """Lay out ``fig``, write it to ``benchmarks/plots/<name>.png`` and free it."""
    fig.tight_layout()
    fig.savefig(plot_path(name), dpi=110)
    pyplot().close(fig)


def pyplot():  # type: ignore[no-untyped-def]
    """matplotlib's pyplot on the file-only backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast check")
    return parser


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _hwm_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM: per process image, reset by exec), MB."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_measured(cmd: Sequence[str], stdout: Path, stderr: Path, env: dict[str, str] | None = None,
                 timeout: float = 3600) -> tuple[int, float, float]:
    """Run ``cmd`` to completion: (exit code, wall seconds, the child's own peak RSS in MB).

    The peak is read from /proc while the child runs (``ru_maxrss`` of a child would include the
    memory of this process at fork time).
    """
    t0 = time.perf_counter()
    peak = 0.0
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                env={**os.environ, **(env or {})})
        try:
            proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            while proc.poll() is None:
                peak = max(peak, _hwm_mb(proc.pid))
                if time.perf_counter() - t0 > timeout:
                    proc.kill()
                time.sleep(0.05)
    return int(proc.returncode), time.perf_counter() - t0, peak
