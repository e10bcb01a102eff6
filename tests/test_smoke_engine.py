from assistant.engine import Assistant


def test_fake_assistant_answers_with_exact_slices(fake_assistant: Assistant) -> None:
    answer = fake_assistant.ask("Can I take magnesium with doxycycline?", 3)
    assert answer.passages, "expected at least one passage"
    for p in answer.passages:
        doc = fake_assistant.document(p.document_id)
        assert doc is not None and doc.text[p.start : p.end] == p.text
    assert answer.disclaimer.text
