"""The embedding progress bar shared by the index command and the server's first build."""

from __future__ import annotations

import sys
from collections.abc import Callable


def embedding_progress(quiet: bool = False) -> Callable[[int, int], Callable[[int], None]]:
    """A ``progress(total, already_done)`` factory for ``build_index``: a tqdm bar on stderr."""
    from tqdm import tqdm

    def make(total: int, done: int) -> Callable[[int], None]:
        bar = tqdm(total=total, initial=done, unit="text", desc="Embedding", disable=quiet or total == 0,
                   file=sys.stderr, dynamic_ncols=True)

        def advance(n: int) -> None:
            bar.update(n)
            if bar.n >= bar.total:
                bar.close()

        return advance

    return make
