"""A small, bounded HTTP/1.1 load generator for loopback, and helpers to run ``assistant serve``.

The client is plain asyncio streams with keep-alive connections: on two shared cores a heavier
client (httpx, threads) would take CPU from the server it is measuring.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # loopback only


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(index_dir: Path, port: int, log_path: Path, env: dict[str, str] | None = None
                   ) -> Iterator[subprocess.Popen]:
    """``assistant serve`` on loopback in its own process group; stopped (by its pid) on exit."""
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", HOST, "--port", str(port), "--index", str(index_dir)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as r:  # noqa: S310
            return int(r.status), r.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""


def post_json(port: int, path: str, payload: dict, timeout: float = 60.0) -> tuple[int, bytes]:
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=json.dumps(payload).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            return int(r.status), r.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float, interval: float = 0.05) -> float | None:
    """Seconds until ``/healthz`` answers 200 (None if the server died or the time ran out)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            return None
        with contextlib.suppress(OSError):
            if get(port, "/healthz", timeout=1.0)[0] == 200:
                return time.perf_counter() - t0
        time.sleep(interval)
    return None


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


async def _worker(port: int, bodies: Sequence[bytes], counter: Iterator[int], deadline: float,
                  result: LoadResult, timeout: float) -> None:
    reader = writer = None
    for i in counter:
        if time.perf_counter() > deadline:
            return
        body = bodies[i % len(bodies)]
        request = (f"POST /api/ask HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode() + body
        t0 = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            assert reader is not None
            writer.write(request)
            status, payload = await asyncio.wait_for(_read_response(reader), timeout)
            if status == 200 and b'"passages"' in payload:
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            else:
                result.errors[f"HTTP {status}"] = result.errors.get(f"HTTP {status}", 0) + 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _load(port: int, questions: Sequence[str], concurrency: int, requests: int, max_seconds: float,
                top_k: int, timeout: float) -> LoadResult:
    bodies = [json.dumps({"question": q, "top_k": top_k}).encode() for q in questions]
    counter = iter(range(requests))  # shared: the workers together send exactly ``requests``
    result = LoadResult(concurrency, 0.0)
    t0 = time.perf_counter()
    await asyncio.gather(*(_worker(port, bodies, counter, t0 + max_seconds, result, timeout)
                           for _ in range(concurrency)))
    result.seconds = time.perf_counter() - t0
    return result


def run_load(port: int, questions: Sequence[str], concurrency: int, requests: int, max_seconds: float,
             top_k: int = 3, timeout: float = 60.0) -> LoadResult:
    """Send at most ``requests`` POST /api/ask over ``concurrency`` connections, stopping after ``max_seconds``."""
    return asyncio.run(_load(port, questions, concurrency, requests, max_seconds, top_k, timeout))
