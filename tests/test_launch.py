"""``assistant serve`` serves what an index holds: it rebuilds only from the folder the index was built from
(or ``--documents``), refuses builds whose files disagree, and fails in one clear line."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.embed
import assistant.engine
from assistant import launch
from assistant.cli import main
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.index import build_index
from assistant.store import IndexUnavailable, current_path, read_manifest
from tests.helpers_index import PROJECT_DOCUMENTS, QUIRKS, RealSizedFake, copy_corpus


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every embedder the commands make is the fake with the real model's id and size."""
    monkeypatch.setattr(assistant.embed, "make_embedder", lambda settings=None, **_: RealSizedFake())
    monkeypatch.setattr(assistant.engine, "make_embedder", lambda settings=None, **_: RealSizedFake())


def _build(docs: Path, index_dir: Path) -> str:
    build_index(docs, index_dir, RealSizedFake, Settings(documents_dir=docs, index_dir=index_dir))
    manifest = read_manifest(index_dir)
    assert manifest is not None
    return str(manifest["build_id"])


def _served_paths(index_dir: Path) -> set[str]:
    manifest = read_manifest(index_dir)
    assert manifest is not None
    return {d["path"] for d in manifest["documents"]}


@pytest.fixture
def my_index(tmp_path: Path) -> tuple[Path, Path, str]:
    docs = copy_corpus(QUIRKS, tmp_path / "my-docs")
    index_dir = tmp_path / "my-index"
    return docs, index_dir, _build(docs, index_dir)


def test_serve_keeps_an_index_built_from_another_folder(my_index: tuple[Path, Path, str]) -> None:
    docs, index_dir, build_id = my_index
    settings = Settings(index_dir=index_dir)  # documents_dir is the bundled folder, as `serve --index DIR` has it
    assert launch.source_folder(settings, None) == docs.resolve()
    launch.ensure_index(settings)
    assert read_manifest(index_dir)["build_id"] == build_id, "nothing rebuilt"  # type: ignore[index]
    assert _served_paths(index_dir) == {p.name for p in QUIRKS.iterdir()}


def test_a_stale_index_is_rebuilt_from_its_own_folder(my_index: tuple[Path, Path, str]) -> None:
    docs, index_dir, build_id = my_index
    (docs / "extra.txt").write_text("Zinc\n\nZinc supports the immune system.\n", encoding="utf-8")
    launch.ensure_index(Settings(index_dir=index_dir))
    assert read_manifest(index_dir)["build_id"] != build_id  # type: ignore[index]
    assert "extra.txt" in _served_paths(index_dir)
    assert not _served_paths(index_dir) & {p.name for p in PROJECT_DOCUMENTS.glob("*.txt")}


def test_documents_option_rebuilds_from_that_folder(my_index: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, index_dir, _ = my_index
    other = tmp_path / "other"
    other.mkdir()
    (other / "iron.txt").write_text("Iron\n\nIron carries oxygen in the blood.\n", encoding="utf-8")
    launch.ensure_index(Settings(index_dir=index_dir), other)
    assert _served_paths(index_dir) == {"iron.txt"}
    assert read_manifest(index_dir)["documents_dir"] == str(other.resolve())  # type: ignore[index]


@pytest.mark.parametrize("damage", ["no manifest", "garbage manifest", "list manifest", "dangling current"])
def test_an_index_that_does_not_say_its_folder_is_never_rebuilt_from_the_bundled_one(
        my_index: tuple[Path, Path, str], damage: str) -> None:
    _, index_dir, build_id = my_index
    build = current_path(index_dir).resolve()
    if damage == "no manifest":
        (build / "manifest.json").unlink()
    elif damage == "garbage manifest":
        (build / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "list manifest":
        (build / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    else:
        shutil.rmtree(build)
    with pytest.raises(launch.LaunchError, match=r"No usable index in .*Build it with: assistant index --documents "
                                                 r"FOLDER --index .*--documents FOLDER"):
        launch.ensure_index(Settings(index_dir=index_dir))
    builds = [p.name for p in (index_dir / "builds").iterdir()]
    assert builds == ([build_id] if damage != "dangling current" else []), "nothing was built"


def test_the_bundled_index_is_built_from_the_bundled_documents(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    docs = copy_corpus(QUIRKS, tmp_path / "docs")
    monkeypatch.setattr(launch, "DEFAULT_INDEX", tmp_path / "bundled-index")
    settings = Settings(documents_dir=docs, index_dir=tmp_path / "bundled-index")
    assert launch.source_folder(settings, None) == docs
    launch.ensure_index(settings)
    assert read_manifest(settings.index_dir)["documents_dir"] == str(docs.resolve())  # type: ignore[index]


# --- builds whose files disagree are refused ----------------------------------------------------------------

def _copy_build(index_dir: Path, build_id: str) -> Path:
    """A copy of the served build under a new id, made current (as a finished rebuild would be)."""
    src = current_path(index_dir).resolve()
    dest = src.parent / build_id
    shutil.copytree(src, dest)
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_id"] = build_id
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    current_path(index_dir).unlink()
    current_path(index_dir).symlink_to(f"builds/{build_id}")
    return dest


def _unhash(build: Path) -> None:
    """Drop the manifest's file hashes, as a build from before they were written has none."""
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _break(build: Path, how: str, other: Path) -> None:
    if how == "vectors from another build":
        shutil.copy(current_path(other).resolve() / "vectors.faiss", build / "vectors.faiss")
    elif how == "no documents":
        (build / "documents.json").write_text("[]", encoding="utf-8")
    elif how == "sentence rows out of range":
        import numpy as np
        rows = np.load(build / "sentence_rows.npy")
        np.save(build / "sentence_rows.npy", rows + 10_000)


BREAKS = ["vectors from another build", "no documents", "sentence rows out of range"]


@pytest.fixture
def other_index(tmp_path: Path) -> Path:
    docs = tmp_path / "other-docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"d{i}.txt").write_text(f"Title {i}\n\nSentence about iron number {i}. Another one.\n", encoding="utf-8")
    _build(docs, tmp_path / "other-index")
    return tmp_path / "other-index"


@pytest.mark.parametrize("hashed", [True, False])
@pytest.mark.parametrize("how", BREAKS)
def test_a_broken_build_is_refused_at_start_up(my_index: tuple[Path, Path, str], other_index: Path, how: str,
                                               hashed: bool) -> None:
    _, index_dir, _ = my_index
    build = current_path(index_dir).resolve()
    if not hashed:
        _unhash(build)
    _break(build, how, other_index)
    with pytest.raises(IndexUnavailable, match="refused|damaged") as caught:
        Assistant.load(Settings(index_dir=index_dir))
    assert "Rebuild it with: assistant index --documents" in str(caught.value)


@pytest.mark.parametrize("how", BREAKS)
def test_a_broken_build_is_not_swapped_in_on_reload(my_index: tuple[Path, Path, str], other_index: Path,
                                                    how: str) -> None:
    _, index_dir, build_id = my_index
    served = Assistant.load(Settings(index_dir=index_dir))
    question = "What does the guide say about magnesium?"
    before = served.ask(question)
    broken = _copy_build(index_dir, "29990101T000000000000Z")
    _unhash(broken)
    _break(broken, how, other_index)
    with pytest.raises(IndexUnavailable):
        served.reload_if_changed()
    assert served.index.build_id == build_id
    assert served.ask(question).passages == before.passages, "still answering from the served build"
    status = served.status()
    assert status["build_id"] == build_id and status["refused"]["build_id"] == "29990101T000000000000Z"
    assert served.reload_if_changed() is False, "a refused build is tried once, not every interval"


def test_a_failing_self_test_refuses_the_build(my_index: tuple[Path, Path, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, index_dir, _ = my_index

    def broken_run(self: object, question: str, top_k: int) -> None:
        raise IndexError("row 9999 out of range")

    monkeypatch.setattr("assistant.pipeline.Pipeline.run", broken_run)
    with pytest.raises(IndexUnavailable, match="self-test question failed.*IndexError"):
        Assistant.load(Settings(index_dir=index_dir))


# --- one clear line on the command line ---------------------------------------------------------------------

def _one_line(text: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    assert "Traceback" not in text and len(lines) == 1, text


@pytest.mark.parametrize("manifest", ["[1, 2]", "{broken", '{"model": [], "documents": "x"}',
                                      '{"model": {"id": "x"}, "documents": [1]}'])
def test_ask_and_serve_with_a_damaged_manifest_say_so_in_one_line(my_index: tuple[Path, Path, str],
                                                                   manifest: str) -> None:
    docs, index_dir, _ = my_index
    (current_path(index_dir).resolve() / "manifest.json").write_text(manifest, encoding="utf-8")
    for command in (["ask", "--index", str(index_dir), "What is magnesium?"],
                    ["serve", "--index", str(index_dir), "--port", "0"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        _one_line(result.stderr)
        assert "assistant index" in result.stderr


def test_index_if_stale_rebuilds_over_a_damaged_manifest(my_index: tuple[Path, Path, str]) -> None:
    docs, index_dir, _ = my_index
    (current_path(index_dir).resolve() / "manifest.json").write_text('{"documents": [1, 2]}', encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--if-stale", "--quiet", "--documents", str(docs),
                                       "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "manifest is damaged" in result.stdout


def test_serve_on_a_busy_port_says_which_and_what_to_do(my_index: tuple[Path, Path, str]) -> None:
    _, index_dir, _ = my_index
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--port", str(port)])
    assert result.exit_code == 1
    _one_line(result.stderr)
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr and "--port" in result.stderr


def test_ctrl_c_stops_serve_cleanly(my_index: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    _, index_dir, _ = my_index

    def interrupted(self: uvicorn.Server, sockets: object = None) -> None:
        self.started = True
        raise KeyboardInterrupt  # as uvicorn re-raises the SIGINT it handled, after shutting down

    monkeypatch.setattr(uvicorn.Server, "run", interrupted)
    result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "Aborted" not in result.output and result.stderr.strip().endswith("Stopped.")


def test_ctrl_c_during_a_build_leaves_the_index_and_says_so(my_index: tuple[Path, Path, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    docs, index_dir, build_id = my_index

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("assistant.index.build_index", interrupted)
    result = CliRunner().invoke(main, ["index", "--quiet", "--documents", str(docs), "--index", str(index_dir)])
    assert result.exit_code == 130 and "Aborted" not in result.output
    _one_line(result.stderr)
    assert read_manifest(index_dir)["build_id"] == build_id  # type: ignore[index]


def test_healthz_names_the_served_build_and_the_last_refused(my_index: tuple[Path, Path, str],
                                                             other_index: Path) -> None:
    from fastapi.testclient import TestClient

    from assistant.server import create_app

    docs, index_dir, build_id = my_index
    served = Assistant.load(Settings(index_dir=index_dir, reload_interval=0))
    broken = _copy_build(index_dir, "29990101T000000000000Z")
    _break(broken, "vectors from another build", other_index)
    with pytest.raises(IndexUnavailable):
        served.reload_if_changed()
    with TestClient(create_app(served)) as client:
        health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["build_id"] == build_id
    assert health["documents_dir"] == str(docs.resolve())
    assert health["refused"]["build_id"] == "29990101T000000000000Z"
    assert "files changed since the build wrote them: vectors.faiss" in health["refused"]["reason"]


def test_ctrl_c_while_serve_builds_the_index_is_a_clean_stop(my_index: tuple[Path, Path, str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    docs, index_dir, build_id = my_index
    (docs / "new.txt").write_text("Iron\n\nIron carries oxygen.\n", encoding="utf-8")  # stale: serve rebuilds

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("assistant.index.build_index", interrupted)
    result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--port", "0"])
    assert result.exit_code == 0 and "Aborted" not in result.output
    assert result.stderr.strip().splitlines()[-1] == "Stopped before the server started; the index is unchanged."
    assert read_manifest(index_dir)["build_id"] == build_id  # type: ignore[index]


def test_a_server_that_fails_to_start_exits_1(my_index: tuple[Path, Path, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    _, index_dir, _ = my_index
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)  # returns without starting
    result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--port", "0"])
    assert result.exit_code == 1 and "did not start" in result.stderr
