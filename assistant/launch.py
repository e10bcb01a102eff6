"""``assistant serve``: decide what to serve, rebuild only from the folder an index was built from, verify the
build, bind the port, then run uvicorn. Every failure is one line and an exit code, never a traceback."""

from __future__ import annotations

import errno
import logging
import socket
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.store import IndexUnavailable, built_from, read_manifest

log = logging.getLogger("assistant.launch")

DEFAULT_INDEX = Settings.model_fields["index_dir"].default


class LaunchError(Exception):
    """``serve`` cannot start; the message says why and what to do."""


def is_bundled_index(index_dir: Path) -> bool:
    return index_dir.resolve() == Path(DEFAULT_INDEX).resolve()


def source_folder(settings: Settings, documents: Path | None) -> Path | None:
    """The documents folder ``serve`` may rebuild ``settings.index_dir`` from, or None to serve it as it is.

    ``--documents`` wins; else the folder the served build records; else, for the bundled index only, the
    bundled documents. A user's index is never rebuilt from a folder it was not built from.
    """
    index_dir = settings.index_dir
    manifest = read_manifest(index_dir)
    recorded = built_from(manifest)
    if documents is not None:
        return documents
    if recorded is not None:
        if not recorded.is_dir():
            print(f"note: {recorded}, the folder {index_dir} was built from, is not there; serving the index as "
                  "it is.", file=sys.stderr)
            return None
        return recorded
    if is_bundled_index(index_dir):
        return settings.documents_dir
    if manifest is None:
        state = "it has no build" if not (index_dir / "current").exists() else "its manifest is missing or damaged"
        raise LaunchError(f"No usable index in {index_dir} ({state}). Build it with: assistant index --documents "
                          f"FOLDER --index {index_dir}, or give serve the folder: --documents FOLDER")
    return None  # an older build that does not record its folder: served as it is, never rebuilt from a guess


def ensure_index(settings: Settings, documents: Path | None = None) -> None:
    """Build the index first when it is missing or stale, from the folder ``source_folder`` chose."""
    from assistant.embed import make_embedder
    from assistant.index import build_index, staleness
    from assistant.ingest import CorpusError
    from assistant.progress import embedding_progress

    folder = source_folder(settings, documents)
    if folder is None:
        return
    try:
        reason = staleness(folder, settings.index_dir, settings)
        if reason is None:
            return
        print(f"Building the index in {settings.index_dir} from {folder} first: {reason}.", file=sys.stderr)
        summary = build_index(folder, settings.index_dir, lambda: make_embedder(settings), settings,
                              progress=embedding_progress())
    except (CorpusError, IndexUnavailable) as exc:
        raise LaunchError(f"Cannot build the index: {exc}") from exc
    except OSError as exc:
        raise LaunchError(f"Cannot write the index in {settings.index_dir}: {exc}") from exc
    for problem in summary.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"Indexed {summary.documents} documents ({summary.chunks} chunks) in {summary.seconds:.1f} s.",
          file=sys.stderr)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a ``LaunchError`` saying what to change (a busy port, a bad address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise LaunchError(f"Cannot listen on {host}: not a known address ({exc.strerror}). "
                          "Use e.g. --host 127.0.0.1") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise LaunchError(f"Port {port} on {host} is already in use (another server is running there?). "
                              "Stop it, or choose another port: --port N") from exc
        if exc.errno == errno.EACCES:
            raise LaunchError(f"Not allowed to listen on port {port}; ports below 1024 need privileges. "
                              "Choose another: --port 8000") from exc
        raise LaunchError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, documents: Path | None = None) -> int:
    """``assistant serve``: returns the exit code (0 also when stopped with Ctrl+C)."""
    import uvicorn

    from assistant.engine import Assistant
    from assistant.httpguard import uvicorn_options
    from assistant.server import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    try:
        ensure_index(settings, documents)
        assistant = Assistant.load(settings)
        sock = bind(settings.host, settings.port)
    except KeyboardInterrupt:  # stopping serve is its normal end, also while it builds (`make run` stays quiet)
        print("Stopped before the server started; the index is unchanged.", file=sys.stderr)
        return 0
    except IndexUnavailable as exc:
        print(f"Cannot start the server: {exc}", file=sys.stderr)
        return 1
    except LaunchError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    app = create_app(assistant, settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", **uvicorn_options(settings)))
    print(f"Serving the chat on http://{settings.host}:{settings.port}/ (API docs at /docs); "
          f"index build {assistant.index.build_id} from {settings.index_dir}. Stop with Ctrl+C.", file=sys.stderr)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    if not server.started:
        print("The server did not start (see the log above).", file=sys.stderr)
        return 1
    print("Stopped.", file=sys.stderr)
    return 0
