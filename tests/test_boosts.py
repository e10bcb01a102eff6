"""Question-type boosts: which chunks a kind of question brings forward."""

import pytest

from assistant.boosts import ChunkFacts, exact_boosts
from assistant.query import QueryAnalyzer
from assistant.types import Chunk

TEXTS = [
    "Magnesium is a cofactor in more than 600 enzymatic reactions.",
    "Magnesium is a cofactor in a vast network of enzymatic reactions.",
    "Toxicity typically occurs from a massive overdose of laxatives or antacids.",
    "Toxicity is a serious condition that needs care.",
    "A trial found that magnesium improved sleep efficiency compared with placebo.",
]


def chunk(i: int, text: str) -> Chunk:
    return Chunk(id=f"c{i}", doc_id="doc", start=0, end=len(text), text=text, kind="body", block="paragraph",
                 section="S", section_path=("S",), section_start=0, sentences=((0, len(text)),))


@pytest.fixture(scope="module")
def facts() -> list[ChunkFacts]:
    return [ChunkFacts.of(chunk(i, t)) for i, t in enumerate(TEXTS)]


def boosted(question: str, facts: list[ChunkFacts]) -> set[int]:
    query = QueryAnalyzer(TEXTS).analyze(question)
    return set(exact_boosts(query, facts, range(len(facts))))


def test_how_many_prefers_a_stated_number(facts: list[ChunkFacts]) -> None:
    rows = boosted("How many enzyme reactions need magnesium?", facts)
    assert 0 in rows and 1 not in rows
    assert 0 not in boosted("Which reactions need magnesium?", facts)


@pytest.mark.parametrize("question", ["How do people usually end up with magnesium toxicity?",
                                      "What causes magnesium toxicity?"])
def test_asking_for_a_cause_prefers_a_stated_cause(facts: list[ChunkFacts], question: str) -> None:
    rows = boosted(question, facts)
    assert 2 in rows and 3 not in rows


def test_a_question_that_asks_for_no_cause_boosts_none(facts: list[ChunkFacts]) -> None:
    assert 2 not in boosted("Is magnesium toxicity serious?", facts)


def test_has_it_been_shown_asks_for_studies(facts: list[ChunkFacts]) -> None:
    assert 4 in boosted("Has magnesium been shown to improve sleep?", facts)


def test_asking_for_a_value_prefers_a_stated_number(facts: list[ChunkFacts]) -> None:
    assert 0 in boosted("At what blood-test value are reactions considered low?", facts)
