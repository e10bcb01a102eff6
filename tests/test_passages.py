"""Passages: focused, exact slices that may reach across a chunk cut but never out of the paragraph."""

from dataclasses import replace

from assistant.answer import _without_overlap, choose_passages
from assistant.engine import Assistant
from assistant.lexical import tokenize
from assistant.passages import make_passage, paragraph_of
from assistant.types import Hit, Span

QUESTION = "Which symptoms appear once a lack of magnesium turns severe?"


def test_a_passage_reaches_across_a_chunk_cut_for_a_sentence_that_answers(fake_assistant: Assistant) -> None:
    index = fake_assistant.index
    chunk = next(c for c in index.chunks if c.text.startswith("Severe deficiency can lead"))
    first, sents = paragraph_of(chunk, index)
    assert len(sents) > len(chunk.sentences)  # the paragraph was cut into more than one chunk
    p = make_passage(chunk, index, 1.0, tokenize(QUESTION), 420)
    doc = index.documents[chunk.doc_id].text
    assert p.text == doc[p.start : p.end] and len(p.text) <= 420
    assert "As the deficiency becomes more severe" in p.text and p.text.endswith(chunk.text)
    assert p.highlight is not None and chunk.start <= p.highlight.start < chunk.end  # still led by its own best


def test_paragraphs_never_join_across_a_line_break(fake_assistant: Assistant) -> None:
    index = fake_assistant.index
    joined = 0
    for chunk in index.chunks:
        if not chunk.sentences:
            continue
        first, sents = paragraph_of(chunk, index)
        assert sents[first] == chunk.sentences[0]
        if first > 0:  # joined to the chunk before it: same paragraph, no line break between them
            doc = index.documents[chunk.doc_id].text
            assert "\n" not in doc[sents[first - 1][1] : chunk.start]
            joined += 1
    assert joined > 0


def test_no_answer_quotes_the_same_sentence_twice(fake_assistant: Assistant) -> None:
    for question in (QUESTION, "Why would glycine bound to magnesium settle the nerves?"):
        passages = fake_assistant.ask(question, 5).passages
        for i, a in enumerate(passages):
            for b in passages[i + 1 :]:
                assert a.document_id != b.document_id or a.end <= b.start or b.end <= a.start


def test_an_overlapping_passage_keeps_only_what_is_new(fake_assistant: Assistant) -> None:
    index = fake_assistant.index
    chunk = next(c for c in index.chunks if c.text.startswith("Severe deficiency can lead"))
    wide = make_passage(chunk, index, 1.0, tokenize(QUESTION), 420)
    doc = index.documents[chunk.doc_id].text
    cut = wide.start + wide.text.index("Severe deficiency")
    earlier = replace(wide, start=wide.start - 50, end=cut - 1, text=doc[wide.start - 50 : cut - 1],
                      highlight=Span(wide.start, cut - 1))
    trimmed = _without_overlap(wide, earlier)
    assert trimmed.text == doc[trimmed.start : trimmed.end] and trimmed.text.startswith("Severe deficiency")
    hit = next(h for h in _hits(fake_assistant, QUESTION) if h.chunk.id == chunk.id)
    both = choose_passages([(2.0, hit, earlier), (1.0, hit, wide)], 3, same_doc_penalty=0.93)
    assert [p.text[:17] for p in both] == [earlier.text[:17], "Severe deficiency"]


def _hits(assistant: Assistant, question: str) -> list[Hit]:
    retriever = assistant._state[1].retriever
    return retriever.search(retriever.analyse(question)).hits
