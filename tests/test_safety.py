"""Cautions quoted for caution topics: exact slices, the cited document's wording first, nothing twice."""

from __future__ import annotations

from assistant.bank import CautionTopic, Quote
from assistant.engine import Assistant
from assistant.safety import quote_passage, select_cautions


def _quote(assistant: Assistant, doc_id: str, text: str) -> Quote:
    start = assistant.index.documents[doc_id].text.index(text)
    return Quote(doc_id, start, start + len(text))


def test_a_topic_that_picks_quotes_keeps_its_first_then_prefers_the_cited_document(fake_assistant: Assistant) -> None:
    a = _quote(fake_assistant, "magnesium-glycinate-research", "Always consult your doctor before starting any new")
    b = _quote(fake_assistant, "gentle-supplement-for-sleep-and-stress", "However, it’s always best to speak with")
    c = _quote(fake_assistant, "magnesium-glycinate-clinical-review", "It is paramount to consult with a qualified")
    topic = CautionTopic("consult", "Consult", (a, b, c), pick=2)
    cited = quote_passage(fake_assistant.index, _quote(fake_assistant, "magnesium-glycinate-clinical-review",
                                                      "Magnesium toxicity is rare"))
    chosen = select_cautions([topic], [], fake_assistant.index, [cited], max_items=5, max_chars=420)
    assert [p.document_id for p in chosen] == ["magnesium-glycinate-research", "magnesium-glycinate-clinical-review"]
    assert [p.document_id for p in select_cautions([topic], [], fake_assistant.index, [], 5, 420)] == \
        ["magnesium-glycinate-research", "gentle-supplement-for-sleep-and-stress"]


def test_cautions_are_exact_slices_and_never_repeat_an_answer_passage(fake_assistant: Assistant) -> None:
    index = fake_assistant.index
    q = _quote(fake_assistant, "magnesium-glycinate-clinical-review", "Magnesium toxicity is rare")
    topic = CautionTopic("toxicity", "Toxicity", (q,))
    [p] = select_cautions([topic, topic], [], index, [], 5, 420)
    assert index.documents[p.document_id].text[p.start:p.end] == p.text and p.kind == "safety"
    assert select_cautions([topic], [], index, [p], 5, 420) == ()
