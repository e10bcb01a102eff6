"""Command line: ``assistant index | serve | ask | eval``."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.config import Settings


def _settings(**overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)  # type: ignore[arg-type]


@click.group(help="A retrieval-grounded, extractive assistant for questions about magnesium glycinate.")
def main() -> None:
    pass


@main.command("index", help="""Rebuild the search index from a folder of .txt / .md documents.

\b
Examples:
  assistant index
  assistant index --documents my-docs --index my-index
  assistant index --if-stale        # only when documents or code changed""")
@click.option("--documents", "documents_dir", type=click.Path(path_type=Path), envvar="ASSISTANT_DOCUMENTS_DIR",
              help="Folder of source documents [default: documents/].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX_DIR",
              help="Where the index is written [default: index/].")
@click.option("--if-stale", is_flag=True, help="Do nothing when the index already matches the documents.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index_command(documents_dir: Path | None, index_dir: Path | None, if_stale: bool, quiet: bool) -> None:
    from assistant.embed import make_embedder
    from assistant.index import build_index, staleness
    from assistant.ingest import CorpusError
    from assistant.progress import embedding_progress
    from assistant.store import IndexUnavailable

    settings = _settings(documents_dir=documents_dir, index_dir=index_dir)
    try:
        if if_stale:
            reason = staleness(settings.documents_dir, settings.index_dir, settings)
            if reason is None:
                click.echo(f"Index in {settings.index_dir} is up to date.")
                return
            click.echo(f"Rebuilding: {reason}.")
        if not quiet:
            click.echo(f"Reading and chunking the documents in {settings.documents_dir} ...", err=True)
        summary = build_index(settings.documents_dir, settings.index_dir, lambda: make_embedder(settings),
                              settings, progress=embedding_progress(quiet),
                              step=None if quiet else lambda msg: click.echo(f"Learning: {msg} ...", err=True))
    except CorpusError as exc:
        for skipped in exc.problems:
            click.echo(f"warning: {skipped}", err=True)
        raise click.ClickException(str(exc)) from exc
    except IndexUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # e.g. the index folder is not writable; the previous index is untouched
        raise click.ClickException(f"cannot write the index in {settings.index_dir}: {exc}") from exc
    except KeyboardInterrupt:
        click.echo(f"Interrupted: nothing was changed; the previous index in {settings.index_dir} is still the one "
                   "served.", err=True)
        raise SystemExit(130) from None
    except Exception as exc:  # e.g. the embedding model failed part-way; nothing was swapped in
        raise click.ClickException(f"the build failed ({type(exc).__name__}: {exc}); "
                                   f"the previous index in {settings.index_dir} is unchanged") from exc
    for problem in summary.problems:
        click.echo(f"warning: {problem}", err=True)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.units_by_kind.items()))
    click.echo(f"Indexed {summary.documents} documents in {summary.seconds:.1f} s → {settings.index_dir}")
    click.echo(f"  units by kind: {kinds}")
    click.echo(f"  chunks: {summary.chunks} ({summary.searchable_chunks} searchable); "
               f"embedded {summary.embedded}, reused {summary.reused}")
    click.echo(f"  sentences: {summary.sentences} (embedded {summary.sentences_embedded}, "
               f"reused {summary.sentences - summary.sentences_embedded})")
    changes = [f"{label}: {', '.join(items)}" for label, items in
               (("added", summary.added), ("changed", summary.changed), ("removed", summary.removed)) if items]
    if summary.first_build:
        click.echo("  since last build: first build")
    else:
        click.echo("  since last build: " + ("; ".join(changes) if changes else "no document changes"))
    if summary.problems:
        click.echo(f"  skipped files or bank lines: {len(summary.problems)}")
    for line in learning_lines(summary.learning):
        click.echo("  " + line)


def _figures(figures: dict) -> str:
    return ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
                     if v is not None and not isinstance(v, dict))


def learning_lines(learning: dict) -> list[str]:
    """What the build learned from the question bank, in a few lines (the manifest has the same)."""
    q = learning.get("questions", {})
    if not q.get("train"):
        return ["learned: nothing (no question bank beside the documents): base model, fixed ranking"]
    lines = [f"learned from {q['train']} bank questions in {learning.get('seconds', 0):.1f} s "
             f"({q.get('answerable_train', 0)} answerable, {q.get('emergencies_train', 0)} emergencies)"]
    if learning.get("oof"):
        lines.append("  out of fold: " + _figures(learning["oof"]))
    if learning.get("blind"):
        lines.append(f"  blind split ({q.get('blind', 0)} questions): " + _figures(learning["blind"]))
    return lines


@main.command("serve", help="""Serve the web chat and the HTTP API (builds the index first if it is missing).


Examples:
  assistant serve
  assistant serve --port 8080 --index my-index""")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="ASSISTANT_HOST")
@click.option("--port", default=8000, show_default=True, type=int, envvar="ASSISTANT_PORT")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX_DIR",
              help="Index folder [default: index/].")
@click.option("--documents", "documents_dir", type=click.Path(path_type=Path), envvar="ASSISTANT_DOCUMENTS_DIR",
              help="Rebuild the index from this folder when it is stale [default: the folder it was built from].")
def serve_command(host: str, port: int, index_dir: Path | None, documents_dir: Path | None) -> None:
    from assistant.launch import serve

    code = serve(_settings(host=host, port=port, index_dir=index_dir, documents_dir=documents_dir), documents_dir)
    if code:
        raise SystemExit(code)


def _register_answer_commands() -> None:
    from assistant.cli_answer import ask_command, eval_command
    from assistant.cli_feedback import feedback_command

    main.add_command(ask_command)
    main.add_command(eval_command)
    main.add_command(feedback_command)


_register_answer_commands()

if __name__ == "__main__":
    main()
