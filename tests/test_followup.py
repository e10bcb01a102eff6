"""Follow-ups on the bundled documents with the fake embedder (no learned answerability model: the
frozen similarity decides), and the decision rule on its own."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import followup
from assistant.engine import Assistant
from assistant.followup import Reading, Rule
from tests.fakes import FakeEmbedder


def _reading(i: int, score: float) -> Reading:
    return Reading(i, None, None, score)  # type: ignore[arg-type]  # the rule reads only the index and score


def test_the_rule_takes_context_only_past_the_margin_and_below_confidence() -> None:
    rule = Rule(margin=0.2, confident=0.9)
    assert followup.choose(0.1, [_reading(0, 0.35)], rule).history_index == 0  # type: ignore[union-attr]
    assert followup.choose(0.1, [_reading(0, 0.25)], rule) is None, "below the margin"
    assert followup.choose(0.95, [_reading(0, 3.0)], rule) is None, "confident on its own"
    assert followup.choose(0.1, [], rule) is None


def test_the_rule_prefers_the_best_reading_and_on_a_tie_the_most_recent() -> None:
    rule = Rule(margin=0.1, confident=1.0)
    assert followup.choose(0.0, [_reading(2, 0.5), _reading(1, 0.8)], rule).history_index == 1  # type: ignore[union-attr]
    assert followup.choose(0.0, [_reading(2, 0.5), _reading(1, 0.5)], rule).history_index == 2  # type: ignore[union-attr]


def test_recent_turns_are_the_last_ones_most_recent_first() -> None:
    assert followup.recent(["a", "b", "c", "d", "e"], 2) == [4, 3]
    assert followup.recent(["a"], 3) == [0]
    assert followup.recent([], 2) == []


def test_log_odds_is_finite_and_monotone() -> None:
    values = [followup.log_odds(p) for p in (0.0, 0.1, 0.5, 0.9, 1.0)]
    assert all(np.isfinite(values)) and values == sorted(values) and values[2] == 0.0


def test_a_dependent_question_is_answered_in_the_context_of_the_earlier_one(fake_assistant: Assistant) -> None:
    earlier = "Is magnesium glycinate safe with kidney disease?"
    alone = fake_assistant.ask("Why?")
    assert not alone.answered and alone.context is None

    answer = fake_assistant.ask("Why?", 3, [earlier])
    assert answer.question == "Why?", "the answer keeps the user's question"
    assert answer.answered and answer.passages
    assert answer.context is not None and answer.context.question == earlier and answer.context.history_index == 0
    step = next(t for t in answer.trace if t.step == "follow-up")
    assert step.data["history_index"] == 0 and step.data["in_context"][earlier] > step.data["alone"]


def test_the_context_named_is_the_history_item_used(fake_assistant: Assistant) -> None:
    history = ["Does magnesium interact with gabapentin?", "How much magnesium glycinate helps sleep?",
               "Is magnesium glycinate safe with kidney disease?"]
    answer = fake_assistant.ask("And them?", 3, history)
    assert answer.context is not None
    assert history[answer.context.history_index] == answer.context.question
    assert answer.context.history_index >= len(history) - fake_assistant.settings.followup_turns


def test_a_question_that_stands_alone_ignores_the_history(fake_assistant: Assistant) -> None:
    question = "Which form of magnesium crosses the blood-brain barrier?"
    alone = fake_assistant.ask(question)
    answer = fake_assistant.ask(question, 3, ["Can I take magnesium with doxycycline?"])
    assert answer.context is None
    assert [(p.document_id, p.start, p.end) for p in answer.passages] == \
        [(p.document_id, p.start, p.end) for p in alone.passages]


def test_a_confident_question_is_read_alone_whatever_the_margin(fake_assistant: Assistant,
                                                               fake_embedder: FakeEmbedder) -> None:
    """With the confidence bar at 0 every question counts as confidently answerable on its own."""
    settings = fake_assistant.settings.model_copy(update={"followup_similarity_confident": 0.0})
    assistant = Assistant(fake_assistant.index, fake_embedder, settings)
    assert assistant.ask("Why?", 3, ["Is magnesium glycinate safe with kidney disease?"]).context is None


def test_without_history_nothing_extra_is_embedded(fake_assistant: Assistant,
                                                   fake_embedder: FakeEmbedder) -> None:
    fake_embedder.calls = 0
    fake_assistant.ask("Can I take magnesium with doxycycline?")
    assert fake_embedder.calls == 1
    fake_embedder.calls = 0
    fake_assistant.ask("And them?", 3, ["a", "b", "c", "Does magnesium interact with gabapentin?",
                                        "Is magnesium glycinate safe with kidney disease?"])
    assert fake_embedder.calls <= 2, "the question, then every reading in context in one batch"


def test_every_answer_names_its_build(fake_assistant: Assistant) -> None:
    answer = fake_assistant.ask("Can I take magnesium with doxycycline?")
    assert answer.build_id == fake_assistant.index.build_id and answer.build_id


@pytest.mark.parametrize("history", [[], ["Is magnesium glycinate safe with kidney disease?"]])
def test_a_follow_up_keeps_the_exact_slice_contract(fake_assistant: Assistant, history: list[str]) -> None:
    for p in fake_assistant.ask("What about the dose?", 3, history).passages:
        assert fake_assistant.document(p.document_id).text[p.start:p.end] == p.text  # type: ignore[union-attr]
