"""``assistant feedback``: the stored 👍 / 👎 as a table (newest first), or exported as JSON, JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import click

from assistant.config import Settings
from assistant.feedback import COLUMNS, FeedbackStore, StoredFeedback

NOTE_WIDTH, QUESTION_WIDTH = 40, 50


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def as_table(rows: list[StoredFeedback]) -> str:
    head = ["id", "when (UTC)", "rating", "question", "note", "passages", "build"]
    body = [[str(r.id), r.created_at.replace("T", " ").removesuffix("+00:00"),
             "👍 up" if r.feedback.rating == "up" else "👎 down", _short(r.feedback.question, QUESTION_WIDTH),
             _short(r.feedback.note, NOTE_WIDTH), str(len(r.feedback.passages)), r.feedback.build_id or "-"]
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def export(rows: list[StoredFeedback], fmt: str) -> str:
    items = [r.as_dict() for r in rows]
    if fmt == "json":
        return json.dumps(items, ensure_ascii=False, indent=2)
    if fmt == "jsonl":
        return "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items).rstrip("\n")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for i in items:
        writer.writerow({**i, "passages": json.dumps(i["passages"], ensure_ascii=False)})
    return out.getvalue().rstrip("\n")


@click.command("feedback", help="""List the feedback people gave on answers (newest first), or export it.

\b
Examples:
  assistant feedback
  assistant feedback --limit 20
  assistant feedback --format csv --output feedback.csv
  assistant feedback --format jsonl --db var/feedback.sqlite3""")
@click.option("--db", "db", type=click.Path(path_type=Path, dir_okay=False), envvar="ASSISTANT_FEEDBACK_DB",
              help="The feedback database [default: var/feedback.sqlite3].")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table",
              show_default=True, help="A readable table, or an export format.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file, not stdout.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N.")
def feedback_command(db: Path | None, fmt: str, output: Path | None, limit: int | None) -> None:
    path = db or Settings().feedback_db
    try:
        rows = FeedbackStore(path).list(limit)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot read the feedback database {path}: {exc}") from exc
    if not rows and fmt == "table":
        click.echo(f"No feedback yet ({path} {'has none' if path.exists() else 'does not exist yet'}).", err=True)
        return
    text = as_table(rows) if fmt == "table" else export(rows, fmt)
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text + "\n" if text else "", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc}") from exc
    click.echo(f"Wrote {len(rows)} feedback entries to {output}.", err=True)
