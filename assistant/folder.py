"""Walk a documents folder without ever reading outside it: every entry is a regular file inside, or a named problem.

A symbolic link is followed only when its target resolves inside the folder; links that dangle, loop or leave
the folder, FIFOs, sockets and devices are never opened (opening a FIFO would block the build).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One entry under the folder: ``rel`` is its path inside it (POSIX); ``problem`` why it is skipped."""

    rel: str
    path: Path
    problem: str | None = None
    is_dir: bool = False


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"))


def _resolve_inside(root: Path, path: Path) -> tuple[Path | None, str | None]:
    """Where a symbolic link leads, if inside ``root``; else why it is refused."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return None, ("skipped: a broken symbolic link (its target does not exist)" if path.is_symlink()
                      else "skipped: it no longer exists")
    except RuntimeError:
        return None, "skipped: a symbolic link loop"
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return None, "skipped: a symbolic link loop"
        return None, f"skipped: cannot follow the symbolic link ({exc.strerror or exc})"
    if target != root and root not in target.parents:
        return None, "skipped: it leads outside the documents folder (never read)"
    return target, None


def check_inside(root: Path, path: Path) -> str | None:
    """Why ``path`` must not be read, or None for a regular file whose real path is inside ``root``."""
    real, problem = _resolve_inside(root.resolve(), path)
    if problem or real is None:
        return problem
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        return f"skipped: cannot read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "skipped: a folder, not a file"
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        return f"skipped: {kind}, not a regular file"
    return None


def walk(folder: Path) -> Iterator[Entry]:
    """Every entry under ``folder`` in sorted order (recursive), hidden names (``.x``) left out silently.

    Folders are entered, but a symbolic link to a folder is not followed (it could loop or repeat files).
    """
    root = folder.resolve()

    def visit(directory: Path, prefix: str) -> Iterator[Entry]:
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            yield Entry(prefix.rstrip("/") or ".", directory, f"skipped: cannot list the folder ({exc.strerror})")
            return
        for name in names:
            if name.startswith("."):
                continue
            path, rel = directory / name, prefix + name
            try:
                mode = os.lstat(path).st_mode
            except OSError as exc:
                yield Entry(rel, path, f"skipped: cannot read ({exc.strerror or exc})")
                continue
            if stat.S_ISLNK(mode):
                target, problem = _resolve_inside(root, path)
                if problem or target is None:
                    yield Entry(rel, path, problem)
                elif target.is_dir():
                    yield Entry(rel, path, "skipped: a symbolic link to a folder (not followed)", is_dir=True)
                else:
                    yield Entry(rel, path, check_inside(root, path))
            elif stat.S_ISDIR(mode):
                yield Entry(rel, path, None, is_dir=True)
                yield from visit(path, rel + "/")
            elif stat.S_ISREG(mode):
                yield Entry(rel, path)
            else:
                kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
                yield Entry(rel, path, f"skipped: {kind}, not a regular file")

    yield from visit(root, "")
