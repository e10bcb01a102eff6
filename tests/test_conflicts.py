"""Disagreement detection between quoted passages (pure functions)."""


from assistant.conflicts import disagree, figures, find_conflicts
from assistant.types import Passage


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
