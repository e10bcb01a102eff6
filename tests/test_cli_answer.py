"""`assistant ask` and `assistant eval` through click, over the fake assistant."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import cli_answer
from assistant.cli import main
from assistant.engine import Assistant


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, fake_assistant: Assistant) -> CliRunner:
    monkeypatch.setattr(cli_answer, "_load_assistant", lambda index_dir: fake_assistant)
    return CliRunner()


def test_ask_prints_quotes_citations_cautions_and_disclaimer(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "Can I take magnesium with doxycycline?"])
    assert result.exit_code == 0, result.output
    assert "From the sources:" in result.output
    assert "Table 3" in result.output and "Disclaimer (quoted):" in result.output


def test_ask_json_is_the_api_object(runner: CliRunner, fake_assistant: Assistant) -> None:
    result = runner.invoke(main, ["ask", "--json", "--top-k", "2", "How much magnesium for sleep?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"question", "answered", "reason", "passages", "safety", "disclaimer", "notice"} <= set(data)
    assert len(data["passages"]) <= 2
    for p in data["passages"]:
        doc = fake_assistant.document(p["document_id"])
        assert doc is not None and doc.text[p["start"] : p["end"]] == p["text"]


def test_ask_rejects_an_empty_question_with_a_reason(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "   "])
    assert result.exit_code != 0 and "empty" in result.output


def test_ask_says_when_the_sources_do_not_cover_it(runner: CliRunner) -> None:
    # Nothing but symbols: no word to search for.
    result = runner.invoke(main, ["ask", "🙂 🙂 ???"])
    assert result.exit_code == 0 and "don't cover" in result.output


def test_ask_explain_shows_why(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "--explain", "How much magnesium for sleep?"])
    assert result.exit_code == 0, result.output
    assert "Why:" in result.output and "[retrieve]" in result.output and "[answerability]" in result.output


def test_eval_prints_figures_and_categories(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    data = Path(__file__).parent / "data" / "dev.jsonl"
    result = runner.invoke(main, ["eval", "--set", str(data), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "hit@1" in result.output and "category" in result.output
    assert json.loads(out.read_text())["figures"]["questions"] == 46


def test_ask_reads_a_follow_up_with_the_earlier_questions(runner: CliRunner, fake_assistant: Assistant,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from assistant.types import FollowUp

    seen: list[tuple[str, ...]] = []
    ask = fake_assistant.ask

    def recording_ask(question: str, top_k: int | None = None, history: tuple[str, ...] | list[str] = ()) -> object:
        seen.append(tuple(history))
        return replace(ask(question, top_k), context=FollowUp(question=history[-1], history_index=len(history) - 1))

    monkeypatch.setattr(fake_assistant, "ask", recording_ask)
    result = runner.invoke(main, ["ask", "--history", "Is zinc useful?", "--history", "  Which antibiotics clash?  ",
                                  "How far apart?"])
    assert result.exit_code == 0, result.output
    assert seen == [("Is zinc useful?", "Which antibiotics clash?")], "oldest first, trimmed"
    assert "Read as a follow-up to: “Which antibiotics clash?”" in result.output
    too_many = runner.invoke(main, ["ask", *[a for i in range(6) for a in ("--history", f"q{i}?")], "And then?"])
    assert too_many.exit_code == 2 and "history" in too_many.output
