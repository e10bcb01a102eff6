import pytest

from assistant.engine import Assistant

pytestmark = pytest.mark.integration


def test_real_index_answers_interaction_question(real_assistant: Assistant) -> None:
    answer = real_assistant.ask("Can I take magnesium with doxycycline?", 3)
    assert answer.answered
    assert any("Doxycycline" in p.text for p in answer.passages)
