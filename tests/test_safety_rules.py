"""Emergency notice and disagreement detection (pure functions)."""

import pytest

from assistant.conflicts import disagree, figures, find_conflicts
from assistant.safety import emergency_notice
from assistant.types import Passage


@pytest.mark.parametrize("question", [
    "My toddler got into my magnesium capsules and ate a handful. Now she's really floppy.",
    "I passed out after taking like 15 magnesium pills and my heart feels like it's barely beating.",
    "I took too much magnesium and I have chest pain",
    "After my magnesium I have trouble breathing",
    "I'm on dialysis and I took magnesium and now I'm very drowsy",
    "My dad has been taking a lot of magnesium laxatives. His face is flushed and his breathing is getting shallow.",
    "My grandmother started magnesium last week. Today she can barely lift her arms and is struggling to breathe.",
    "I took 20 magnesium pills and my blood pressure is really low",
    "I drank most of a bottle of milk of magnesia and took my magnesium on top. I'm dizzy, BP cuff says 78/45.",
    "I swallowed a whole bottle of magnesium glycinate about an hour ago on purpose.",
    "My son ate the entire bottle of magnesium gummies.",
    "I took 30 magnesium pills on purpose.",
])
def test_emergencies_get_the_notice(question: str) -> None:
    notice = emergency_notice(question)
    assert notice is not None and notice.kind == "emergency" and "emergency" in notice.text.lower()


@pytest.mark.parametrize("question", [
    "Can high doses of magnesium affect my heart rate?",
    "Can magnesium glycinate make me drowsy?",
    "Is it safe to take magnesium while pregnant?",
    "What is the upper limit for magnesium from supplements?",
    "Does magnesium help with chest muscle cramps?",
    "Does magnesium lower blood pressure?",
    "I'm taking a lot of stress at work, will magnesium help?",
    "Can magnesium cause muscle weakness in people with myasthenia gravis?",
    "Is it 50/50 whether magnesium helps sleep?",
    "My blood pressure is 120/80, does magnesium lower it?",
    "I finished a bottle of magnesium last month, should I buy another?",
    "I finished the whole bottle over two months, should I keep going?",
    "Is a whole bottle a month a normal amount?",
    "I take magnesium on purpose at night, not in the morning.",
])
def test_ordinary_questions_get_no_notice(question: str) -> None:
    assert emergency_notice(question) is None


def _p(text: str, doc: str, evidence: str | None = None) -> Passage:
    return Passage(text=text, document_id=doc, document_title=doc, section="", start=0, end=len(text), score=1.0,
                   evidence=evidence)


def test_different_figures_for_the_same_thing_disagree() -> None:
    a = _p("Magnesium is involved in over 300 enzymatic reactions.", "a")
    b = _p("It is a cofactor in more than 600 enzymatic reactions that sustain life.", "b")
    assert figures(a.text)["reaction"] == "300"
    assert disagree(a, b) is not None
    assert find_conflicts([a, b])[0].documents == ("a", "b")


def test_different_strength_of_evidence_disagrees() -> None:
    a = _p("Supplementation reduces muscle cramps and improves exercise recovery.", "a", "✓✓ Moderate Evidence")
    b = _p("The review concluded that magnesium is unlikely to be effective for muscle cramps and recovery.", "b")
    assert disagree(a, b) == "strength of evidence"


def test_agreeing_passages_and_one_document_do_not_disagree() -> None:
    a = _p("Take 300 mg before bed for sleep.", "a")
    assert disagree(a, _p("Take 300 mg before bed for better sleep.", "b")) is None
    assert disagree(a, _p("Over 600 enzymatic reactions need it.", "a")) is None


@pytest.mark.parametrize("question", [
    "I pop antacids all day. Can the magnesium build up to a dangerous level?",
    "Does magnesium accumulate if I take it every day?",
])
def test_build_up_questions_bring_the_toxicity_caution(question: str) -> None:
    from assistant.query import QueryAnalyzer
    from assistant.safety import topics_of

    assert "toxicity" in topics_of(QueryAnalyzer(["Magnesium toxicity is rare."]).analyze(question), [])
