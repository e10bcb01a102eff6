"""``assistant serve`` as a user runs it: a real process, the real model, Ctrl+C ends it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.engine import Assistant

pytestmark = pytest.mark.integration


def test_serve_answers_and_ctrl_c_ends_it_in_one_line(real_assistant: Assistant, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build = real_assistant.index.path
    (index_dir / "builds").mkdir(parents=True)
    shutil.copytree(build, index_dir / "builds" / build.name)
    (index_dir / "current").symlink_to(f"builds/{build.name}")
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASSISTANT_RELOAD_INTERVAL": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(index_dir),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert health["build_id"] == real_assistant.index.build_id, "served what the folder holds, no rebuild"
        answer = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "Is it safe with kidney disease?"},
                            timeout=30).json()
        assert answer["disclaimer"]["text"]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Aborted" not in err
    assert err.rstrip().endswith("Stopped.")
