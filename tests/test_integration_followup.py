"""Follow-ups with the real model and the project's index (its learned answerability model decides)."""

import pytest

from assistant.engine import Assistant

pytestmark = pytest.mark.integration


def test_the_issue_s_follow_up_is_answered_from_the_interaction_table(real_assistant: Assistant) -> None:
    earlier = "Can I take magnesium with doxycycline?"
    answer = real_assistant.ask("How many hours apart should I take them?", 3, [earlier])
    assert answer.context is not None and answer.context.question == earlier
    assert "Doxycycline" in answer.passages[0].text


def test_an_emergency_follow_up_keeps_its_notice(real_assistant: Assistant) -> None:
    question = "my son just swallowed the whole bottle of them and is hardly breathing"
    assert real_assistant.ask(question).notice is not None
    answer = real_assistant.ask(question, 3, ["What is the best magnesium glycinate dose for sleep?"])
    assert answer.notice is not None and answer.notice.kind == "emergency"


def test_a_second_question_that_stands_alone_is_read_alone(real_assistant: Assistant) -> None:
    answer = real_assistant.ask("Does magnesium glycinate help prevent migraine attacks?", 3,
                                ["Can I take magnesium with gabapentin?"])
    assert answer.context is None
