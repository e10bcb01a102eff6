"""Recognisers: safety / disclaimer text, evidence labels, footnote markers, works-cited entries."""

from __future__ import annotations

import pytest

from assistant import annotate
from assistant.blocks import split_lines


@pytest.mark.parametrize(
    "text",
    [
        "Excessive intake can lead to side effects such as diarrhea.",
        "Individuals with kidney disease should not take magnesium supplements.",
        "The Tolerable Upper Intake Level (UL) of 350 mg/day applies to supplements.",
        "Magnesium can interact with antibiotics.",
        "Consult a healthcare provider if you are pregnant.",
        "Caution is advised for patients with myasthenia gravis.",
    ],
)
def test_safety_text(text: str) -> None:
    assert annotate.is_safety(text)


def test_plain_benefit_text_is_not_safety() -> None:
    assert not annotate.is_safety("Magnesium glycinate may improve sleep quality and reduce stress.")


@pytest.mark.parametrize(
    "text",
    [
        "This information is for educational purposes only and is not intended as medical advice.",
        "Important Note: The information contained in this article is for general informational purposes only.",
        "Medical Disclaimer: consult your doctor.",
        "These statements have not been evaluated by the Food and Drug Administration.",
    ],
)
def test_disclaimer_text(text: str) -> None:
    assert annotate.is_disclaimer(text)


def test_ordinary_text_is_not_a_disclaimer() -> None:
    assert not annotate.is_disclaimer("Magnesium is important for muscle relaxation.")


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("Strong Evidence:", "Strong Evidence"),
        ("• Moderate/Promising Evidence:", "Moderate/Promising Evidence"),
        ("• Suggestive but Weak/Poor Quality Evidence:", "Suggestive but Weak/Poor Quality Evidence"),
        ("Conflicting/Negative Evidence:", "Conflicting/Negative Evidence"),
        ("✓✓✓ Strong Evidence", "✓✓✓ Strong Evidence"),
        ("Strong evidence indicates that magnesium helps.", None),
        ("Migraine Prophylaxis: evidence is strong.", None),
    ],
)
def test_evidence_line(line: str, label: str | None) -> None:
    assert annotate.evidence_line(line) == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("✓✓✓ Strong EvidenceClinical trials show benefits.", "✓✓✓ Strong Evidence"),
        ("✓✓ Moderate EvidenceMultiple studies demonstrate it.", "✓✓ Moderate Evidence"),
        ("Moderate EvidenceMultiple studies demonstrate it.", "Moderate Evidence"),
        ("Limited Evidence: only two small trials exist.", "Limited Evidence"),
        ("Strong evidence supports its use in migraine.", None),
        ("Magnesium has strong evidence for migraine.", None),
    ],
)
def test_evidence_prefix_glued_to_its_paragraph(text: str, label: str | None) -> None:
    assert annotate.evidence_prefix(text) == label


@pytest.mark.parametrize(
    ("text", "max_ref", "markers"),
    [
        ("serum level below 1.8 mg/dL.⁶ Early symptoms include fatigue.¹⁴", 48, (6, 14)),
        ("Magnesium binds to tetracyclines. ⁴⁷", 48, (47,)),
        ("disturb heart rhythm.³⁹⁴⁰", 48, (39, 40)),  # run together: 39 and 40, not 3, 9 and 40
        ("reduce their effectiveness. 8\tSeparate doses.", 48, (8,)),
        ("National Institutes of Health 46", 48, (46,)),
        ("National Institutes of Health 46\n\nIt is crucial", 48, (46,)),
        ("Take gabapentin at least 2\n\n\tabsorption of gabapentin", 48, ()),  # a number, not a marker
        ("Timeline\tWeek 2\tSplit doses", 48, ()),  # a table value before a tab is not a marker
        ("rhythm.⁹⁹", 48, (9,)),  # out of range as one number: read as markers that exist
        ("stores.¹⁴", 0, ()),  # no works cited: nothing to point to
        ("stores.¹⁴", 10, (1, 4)),  # 14 does not exist: two adjacent markers
    ],
)
def test_footnote_markers(text: str, max_ref: int, markers: tuple[int, ...]) -> None:
    assert annotate.footnote_markers(text, max_ref) == markers


def _spans(text: str) -> list[tuple[int, int]]:
    return [(line.start, line.end) for line in split_lines(text) if not line.blank]


def test_numbered_works_cited_with_urls_on_their_own_lines() -> None:
    text = (
        "- 1. Magnesium in Man: Implications for Health and Disease | Physiological Reviews, accessed June 26, 2025,\n"
        " - https://journals.example.org/doi/abs/10.1152/physrev.00012.2014\n"
        "- 2. What Are the Health Benefits of Magnesium? Healthline, accessed June 26, 2025, https://h.example/mg\n"
        "- The Effects of Magnesium on Anxiety—A Systematic Review, accessed June 26, 2025, https://p.example/5452\n"
    )
    refs = annotate.parse_references(_spans(text), text)
    assert [r.number for r in refs] == [1, 2, 3], "an unnumbered entry takes the next number"
    assert refs[0].title == "Magnesium in Man: Implications for Health and Disease | Physiological Reviews"
    assert refs[0].url == "https://journals.example.org/doi/abs/10.1152/physrev.00012.2014"
    assert refs[2].title == "The Effects of Magnesium on Anxiety—A Systematic Review"
    for r in refs:
        assert text[r.start : r.end].strip(), "every reference is a span of the text"


def test_url_broken_by_a_page_break_is_rejoined() -> None:
    text = "- 13. Magnesium Citrate vs. Glycinate, accessed June 26, 2025, https://n.example/citrate-vs-glycin\n\nate\n"
    # The page-break continuation is part of the entry's block, as blocks.py merges it.
    refs = annotate.parse_references([(0, len(text) - 1)], text)
    assert refs[0].url == "https://n.example/citrate-vs-glycinate"


def test_entry_left_open_continues_on_the_next_line() -> None:
    text = (
        "- 29. Magnesium Glycinate: The Natural Solution for Anxiety, Chronic Stress Sois Life\n"
        "- Sciences, accessed June 26, 2025,\n"
        "- https://s.example/blogs/magnesium-glycinate\n"
        "- 30. Effectiveness of Magnesium Supplementation on Sleep, accessed June 26, 2025, https://r.example/30\n"
    )
    refs = annotate.parse_references(_spans(text), text)
    assert [r.number for r in refs] == [29, 30]
    assert refs[0].url == "https://s.example/blogs/magnesium-glycinate"
    assert "Sois Life" in refs[0].title


def test_unnumbered_references_without_urls_stay_separate() -> None:
    text = (
        "- Abbasi B, et al. The effect of magnesium supplementation on primary insomnia. J Res Med Sci. 2012.\n"
        "- Boyle NB, et al. The effects of magnesium supplementation on subjective anxiety. Nutrients. 2017.\n"
    )
    refs = annotate.parse_references(_spans(text), text)
    assert [r.number for r in refs] == [1, 2]
    assert refs[1].title.startswith("Boyle NB") and refs[1].url is None


def test_retrieved_from_style_references() -> None:
    text = (
        "- Magnesium in Aging, Health and Diseases. Retrieved from: https://pubmed.example/33573164/\n"
        "- Magnesium intake and depression in adults. Retrieve from: https://pubmed.example/25748766/\n"
    )
    refs = annotate.parse_references(_spans(text), text)
    assert [(r.number, r.title, r.url) for r in refs] == [
        (1, "Magnesium in Aging, Health and Diseases", "https://pubmed.example/33573164/"),
        (2, "Magnesium intake and depression in adults", "https://pubmed.example/25748766/"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The results are not intended to be prescriptive, predictive, or to provide guidance.",
        "Capsule endoscopy may facilitate triage but should not be considered a substitute for EGD.",
        "Although not intended to be a comprehensive overview of cancer prevention, this review covers it.",
    ],
)
def test_study_abstract_wording_is_not_a_disclaimer(text: str) -> None:
    assert not annotate.is_disclaimer(text)


@pytest.mark.parametrize(
    "text",
    [
        "The validity of the scale was assessed in a sample of subscribers to a large health plan.",
        "DESIGN Updated meta-analysis of randomised trials.",
    ],
)
def test_call_to_action_words_only_as_whole_words(text: str) -> None:
    assert not annotate.CTA.search(text)


def test_call_to_action_phrases() -> None:
    for text in ("Subscribe to our newsletter", "Sign up today", "Ask Mother Nature AI →", "Start a conversation"):
        assert annotate.CTA.search(text), text
