"""The answering commands of the CLI: ``assistant ask`` and ``assistant eval``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from assistant.config import Settings
from assistant.types import Answer, Passage


def _load_assistant(index_dir: Path | None):  # type: ignore[no-untyped-def]
    from assistant.engine import Assistant
    from assistant.store import IndexUnavailable

    settings = Settings(index_dir=index_dir) if index_dir else Settings()
    try:
        return Assistant.load(settings)
    except IndexUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _quote(p: Passage, width: int) -> str:
    body = " ".join(p.text.split())
    lines = textwrap.wrap(f"“{body}”", width=width - 5) or ["“”"]
    cite = f"— {p.document_title} · {p.section}  [{p.document_id} {p.start}–{p.end}]"
    extra = [f"evidence stated by the source: {p.evidence}"] if p.evidence else []
    extra += [f"[{r.number}] {r.title}" + (f" <{r.url}>" if r.url else "") for r in p.references]
    return "\n".join(["   " + line for line in lines] + ["     " + cite] + ["     " + e for e in extra])


def format_answer(answer: Answer, examples: list[str], width: int = 100) -> str:
    out: list[str] = []
    if answer.notice:
        out += [click.style("!! " + answer.notice.text, fg="red", bold=True), ""]
    if answer.context is not None:
        out += [click.style(f"(Read as a follow-up to: “{answer.context.question}”)", dim=True)]
    if answer.answered:
        out.append(click.style("From the sources:", bold=True))
        for i, p in enumerate(answer.passages, 1):
            out += [f"{i}.", _quote(p, width)]
        for c in answer.conflicts:
            docs = " and ".join(c.documents)
            out.append(click.style(f"Note: the sources disagree ({c.topic}): {docs}.", fg="yellow"))
    else:
        out.append(click.style(f"The sources don't cover this ({answer.reason}).", bold=True))
        out.append("They do cover questions like:")
        out += [f"  - {q}" for q in examples]
    if answer.safety:
        out += ["", click.style("Cautions from the sources:", fg="yellow", bold=True)]
        for p in answer.safety:
            out.append(_quote(p, width))
    if answer.disclaimer.text:
        out += ["", click.style("Disclaimer (quoted):", dim=True), _quote(answer.disclaimer, width)]
    return "\n".join(out)


@click.command("ask", help="""Answer a question by quoting the sources.

\b
Examples:
  assistant ask "How much magnesium glycinate should I take for sleep?"
  assistant ask --json --top-k 5 "Can I take it with doxycycline?"
  assistant ask --explain "Is it safe in pregnancy?"   # why each passage was chosen or the answer refused
  assistant ask --history "Can I take magnesium with doxycycline?" "How many hours apart?"   # a follow-up""")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the API answer object.")
@click.option("--top-k", default=3, show_default=True, type=click.IntRange(1, 10), help="Passages at most.")
@click.option("--explain", is_flag=True, help="Show the trace: why each passage was chosen, or the answer refused.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX_DIR",
              help="Index folder [default: index/].")
@click.option("--history", multiple=True, help="An earlier question of the conversation (repeat, oldest first; "
                                               "at most 5): a follow-up is read in its context.")
def ask_command(question: str, as_json: bool, top_k: int, explain: bool, index_dir: Path | None,
                history: tuple[str, ...]) -> None:
    from assistant.schemas import answer_out, clean_history, clean_question

    try:
        question = clean_question(question)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="QUESTION") from exc
    try:
        earlier = clean_history(list(history))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--history") from exc
    assistant = _load_assistant(index_dir)
    answer = assistant.ask(question, top_k, earlier)
    if as_json:
        click.echo(answer_out(answer, explain).model_dump_json(indent=2))
        return
    click.echo(format_answer(answer, assistant.example_questions()))
    if explain:
        click.echo("\n" + click.style("Why:", bold=True))
        for t in answer.trace:
            click.echo(f"  [{t.step}] {t.detail}")
            for key, value in t.data.items():
                click.echo(f"      {key}: {json.dumps(value, ensure_ascii=False)}")


@click.command("eval", help="""Answer-quality figures for a question set (JSON lines with gold quotes).

\b
Example:
  assistant eval --set tests/data/dev.jsonl --show-misses""")
@click.option("--set", "set_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top-k", default=3, show_default=True, type=click.IntRange(1, 10))
@click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX_DIR")
@click.option("--show-misses", is_flag=True, help="List every question that missed, and why.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write JSON here.")
def eval_command(set_path: Path, top_k: int, index_dir: Path | None, show_misses: bool, json_path: Path | None) -> None:
    from assistant.evaluate import evaluate, format_report, load_set

    try:
        items = load_set(set_path)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{set_path}: not a JSON-lines question set ({exc})") from exc
    report = evaluate(_load_assistant(index_dir), items, top_k)
    click.echo(format_report(report, show_misses))
    if json_path:
        json_path.write_text(json.dumps({"figures": report.figures, "per_category": report.per_category,
                                         "misses": report.misses}, indent=1), encoding="utf-8")
