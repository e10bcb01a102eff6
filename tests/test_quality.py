"""Answer quality with the real model over the bundled documents and their question bank: the shared dev
set (which the bank trains on) and the bank's blind split (which it never trains on)."""

from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.evaluate import evaluate, format_report, load_set

pytestmark = pytest.mark.integration
DATA = Path(__file__).parent / "data"
BANK = Path(__file__).resolve().parent.parent / "documents" / "questions"


def test_dev_set_quality_bar(real_assistant: Assistant) -> None:
    report = evaluate(real_assistant, load_set(DATA / "dev.jsonl"))
    f = report.figures
    print(format_report(report, show_misses=True))
    assert f["hit@1"] is not None and f["hit@1"] >= 0.85
    assert f["hit@3"] is not None and f["hit@3"] >= 0.95
    assert f["abstain_accuracy_unanswerable"] is not None and f["abstain_accuracy_unanswerable"] >= 0.75
    assert f["false_abstain_rate"] is not None and f["false_abstain_rate"] <= 0.05
    assert f["safety_recall"] is not None and f["safety_recall"] >= 0.9
    assert f["emergency_recall"] == 1.0
    assert f["verbatim_violations"] == 0 and f["disclaimer_missing"] == 0
    assert f["passage_chars_median"] is not None and f["passage_chars_median"] < 400


def test_blind_split_floors(real_assistant: Assistant) -> None:
    """Questions the models never trained on: floors well under the first runs, against regressions."""
    items = [item for path in sorted(BANK.glob("blind*.jsonl")) for item in load_set(path)]
    if not items:
        pytest.skip("the bank has no blind split")
    report = evaluate(real_assistant, items)
    f = report.figures
    print(format_report(report, show_misses=True))
    assert f["hit@3"] is not None and f["hit@3"] >= 0.7
    assert f["false_abstain_rate"] is not None and f["false_abstain_rate"] <= 0.08
    assert f["emergency_recall"] is None or f["emergency_recall"] >= 0.75
    assert f["verbatim_violations"] == 0 and f["disclaimer_missing"] == 0
