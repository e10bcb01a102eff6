"""Follow-ups on the bundled documents with the fake embedder (no learned answerability model: the
frozen similarity decides), and the decision rule on its own."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import followup
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.followup import Reading, Rule, Score
from tests.fakes import FakeEmbedder


def _reading(i: int, similarity: float, log_odds: float | None = None) -> Reading:
    # the rule reads only the index and the score
    return Reading(i, None, None, Score(similarity, log_odds))  # type: ignore[arg-type]


SIMILARITY = Rule(similarity_margin=0.2, similarity_confident=0.6)
BOTH = Rule(similarity_margin=0.2, similarity_confident=0.6, margin=3.0, confident=6.0, answerable=-1.0)


def test_the_similarity_rule_takes_context_only_past_the_margin_and_below_confidence() -> None:
    assert followup.choose(Score(0.3), [_reading(0, 0.55)], SIMILARITY).history_index == 0  # type: ignore[union-attr]
    assert followup.choose(Score(0.3), [_reading(0, 0.45)], SIMILARITY) is None, "below the margin"
    assert followup.choose(Score(0.65), [_reading(0, 0.95)], SIMILARITY) is None, "close to the sources alone"
    assert followup.choose(Score(0.3), [], SIMILARITY) is None


def test_a_wide_rise_in_answerability_also_takes_context() -> None:
    assert followup.takes(Score(0.7, -2.0), Score(0.7, 1.5), BOTH), "similarity flat, log-odds +3.5"
    assert not followup.takes(Score(0.7, -2.0), Score(0.7, 0.5), BOTH), "log-odds +2.5 only"
    assert not followup.takes(Score(0.7, 6.5), Score(0.7, 12.0), BOTH), "confidently answerable alone"


def test_a_reading_the_answerability_model_would_refuse_is_never_taken() -> None:
    assert followup.takes(Score(0.1, -9.0), Score(0.8, -0.5), BOTH)
    assert not followup.takes(Score(0.1, -9.0), Score(0.8, -1.5), BOTH), "below the model's threshold"


def test_the_rule_prefers_the_most_answerable_reading_and_on_a_tie_the_most_recent() -> None:
    assert followup.choose(Score(0.1), [_reading(2, 0.5), _reading(1, 0.8)], SIMILARITY).history_index == 1  # type: ignore[union-attr]
    assert followup.choose(Score(0.1), [_reading(2, 0.5), _reading(1, 0.5)], SIMILARITY).history_index == 2  # type: ignore[union-attr]
    picked = followup.choose(Score(0.1, -9.0), [_reading(2, 0.9, 1.0), _reading(1, 0.5, 4.0)], BOTH)
    assert picked is not None and picked.history_index == 1, "the learned score ranks when there is one"


def test_the_rule_of_an_index_without_answerability_is_similarity_only(tiny_settings: Settings) -> None:
    rule = followup.rule_for(tiny_settings, None)
    assert rule.answerable is None and rule.margin == float("inf")
    learned = followup.rule_for(tiny_settings, 0.5)
    assert learned.answerable == 0.0 and learned.margin == tiny_settings.followup_margin


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
    assert step.data["history_index"] == 0
    assert step.data["in_context"][earlier]["similarity"] > step.data["alone"]["similarity"]


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
