"""The answer-quality bar on the shared dev set, the issue's own examples and three blind held-out sets
(real model)."""

from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.evaluate import evaluate, format_report, load_set

pytestmark = pytest.mark.integration
DATA = Path(__file__).parent / "data"


def test_dev_set_quality_bar(real_assistant: Assistant) -> None:
    report = evaluate(real_assistant, load_set(DATA / "dev.jsonl"))
    f = report.figures
    print(format_report(report, show_misses=True))
    assert f["hit@1"] is not None and f["hit@1"] >= 0.85
    assert f["hit@3"] is not None and f["hit@3"] >= 0.95
    assert f["abstain_accuracy_unanswerable"] is not None and f["abstain_accuracy_unanswerable"] >= 0.9
    assert f["false_abstain_rate"] is not None and f["false_abstain_rate"] <= 0.05
    assert f["safety_recall"] is not None and f["safety_recall"] >= 0.9
    assert f["emergency_recall"] == 1.0 and f["emergency_false"] == 0
    assert f["verbatim_violations"] == 0 and f["disclaimer_missing"] == 0
    assert f["passage_chars_median"] is not None and f["passage_chars_median"] < 400


def test_issue_examples(real_assistant: Assistant) -> None:
    report = evaluate(real_assistant, load_set(DATA / "issue_checks.jsonl"))
    f = report.figures
    print(format_report(report, show_misses=True))
    assert f["abstain_accuracy_unanswerable"] == 1.0
    assert f["false_abstain_rate"] == 0.0
    assert f["hit@3"] is not None and f["hit@3"] >= 0.95
    assert f["hit@1"] is not None and f["hit@1"] >= 0.85
    assert f["emergency_recall"] == 1.0 and f["emergency_false"] == 0
    assert f["verbatim_violations"] == 0


def test_blind_held_out_sets(real_assistant: Assistant) -> None:
    """Five sets written from the documents alone, without seeing the system (391 questions): the
    closest stand-in for the larger hidden set. Floors guard what is reached today."""
    items = [item for name in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5") for item in load_set(DATA / f"{name}.jsonl")]
    report = evaluate(real_assistant, items)
    f = report.figures
    print(format_report(report, show_misses=True))
    assert f["hit@1"] is not None and f["hit@1"] >= 0.78
    assert f["hit@3"] is not None and f["hit@3"] >= 0.93
    assert f["false_abstain_rate"] is not None and f["false_abstain_rate"] <= 0.05
    assert f["abstain_accuracy_unanswerable"] is not None and f["abstain_accuracy_unanswerable"] >= 0.75
    assert f["safety_recall"] is not None and f["safety_recall"] >= 0.9
    assert f["emergency_recall"] == 1.0 and f["emergency_false"] == 0
    assert f["verbatim_violations"] == 0 and f["disclaimer_missing"] == 0
