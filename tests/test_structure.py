"""Blocks → units: section paths, kinds, evidence, footnote markers, table context — tiny corpora and the
bundled documents (structure only, no model)."""

from __future__ import annotations

import pytest

from assistant.structure import parse_document
from tests.helpers_index import BUNDLED, CLINICAL, PROJECT_DOCUMENTS, QUIRKS, TETRACYCLINE_ROW, parse, unit_containing


@pytest.mark.parametrize("path", [*BUNDLED, *sorted(QUIRKS.iterdir())], ids=lambda p: p.name)
def test_units_are_exact_ordered_spans_with_a_kind(path) -> None:  # type: ignore[no-untyped-def]
    text, parsed = parse(path)
    previous_end = 0
    for u in parsed.units:
        assert 0 <= u.start < u.end <= len(text) and u.start >= previous_end
        assert u.kind in ("body", "safety", "disclaimer", "references", "boilerplate")
        assert u.section_start <= u.start
        if u.section_path:
            assert u.section in (u.section_path[-1], " › ".join(u.section_path[-2:]))
        if u.kind not in ("body", "safety"):
            assert u.markers == ()
        previous_end = u.end


# --- tiny corpora -------------------------------------------------------------------------------


def test_evidence_labels_govern_the_units_after_them() -> None:
    text, parsed = parse(QUIRKS / "evidence_labels.txt")
    units = parsed.units
    assert unit_containing(text, units, "Clinical trials show").evidence == "✓✓✓ Strong Evidence"
    assert unit_containing(text, units, "Several studies link").evidence == "✓✓ Moderate Evidence"
    assert unit_containing(text, units, "Migraine Prophylaxis:").evidence == "Strong Evidence"
    assert unit_containing(text, units, "Sleep Quality:").evidence == "Moderate/Promising Evidence"
    assert unit_containing(text, units, "Fibromyalgia:").evidence == "Moderate/Promising Evidence"
    assert unit_containing(text, units, "Anxiety: The human").evidence == "Suggestive but Weak/Poor Quality Evidence"
    assert unit_containing(text, units, "Muscle Cramps:").evidence == "Conflicting/Negative Evidence"
    # A label line is not a passage itself, and a new heading ends its reach.
    assert unit_containing(text, units, "Conflicting/Negative Evidence:").block == "caption"
    assert unit_containing(text, units, "More trials are needed").evidence is None
    assert unit_containing(text, units, "Magnesium glycinate is a chelated").evidence is None


def test_mangled_table_rows_carry_caption_headers_and_whole_cells() -> None:
    text, parsed = parse(QUIRKS / "mangled_table.txt")
    rows = [u for u in parsed.units if u.block == "table_row"]
    assert len(rows) == 3
    tet = unit_containing(text, parsed.units, TETRACYCLINE_ROW)
    assert tet.block == "table_row" and tet.kind == "safety"
    assert tet.section_path[-2:] == ("Clinically Significant Drug Interactions",
                                     "Table 3: Clinically Significant Drug Interactions with Magnesium Supplements")
    assert tet.context.startswith("Table 3: Clinically Significant Drug Interactions with Magnesium Supplements\n")
    assert "Interacting Drug Class/Medication: Tetracycline Antibiotics" in tet.context
    assert "Example Drugs: Doxycycline, Minocycline, Tetracycline" in tet.context
    bis = unit_containing(text, parsed.units, "Bisphosphonates\t")
    assert "Mechanism of Interaction: Magnesium forms insoluble chelates with bisphosphonates, reducing" in bis.context
    assert text[bis.start : bis.end].endswith("magnesium product. ⁴⁷")
    assert bis.markers == (8, 47) and tet.markers == (47, 8)
    gaba = unit_containing(text, parsed.units, "Gabapentin\t")
    assert gaba.markers == (47,), "'at least 2' before a broken cell is not footnote 2"
    after = unit_containing(text, parsed.units, "Most people can take")
    assert after.section_path == ("After the Table",) and after.context == ""


def test_works_cited_parsed_and_markers_recorded_on_body_units() -> None:
    text, parsed = parse(QUIRKS / "works_cited.txt")
    refs = {r.number: r for r in parsed.references}
    assert sorted(refs) == list(range(1, 48))
    assert refs[1].url == "https://journals.example.org/doi/physrev.00012.2014"
    assert refs[3].title == "The Effects of Magnesium on Anxiety: A Systematic Review"
    assert refs[4].url == "https://www.example.com/articles/magnesium-citrate-vs-glycinate"
    assert refs[5].url == "https://www.example.com/blogs/magnesium-glycinate-natural-solution"
    units = parsed.units
    assert unit_containing(text, units, "Hypomagnesemia is defined").markers == (6, 14, 39, 40)
    assert unit_containing(text, units, "One small trial").markers == (47,)
    assert unit_containing(text, units, "Source: Office").markers == (46,)
    assert unit_containing(text, units, "participants took the supplement").markers == ()
    listed = [u for u in units if u.kind == "references"]
    assert listed and all(u.markers == () for u in listed)
    assert {u.block for u in listed} == {"heading", "reference"}


def test_boilerplate_related_links_and_call_to_action_tail() -> None:
    text, parsed = parse(QUIRKS / "boilerplate_tail.txt")
    units = parsed.units
    for needle in ("You May Also Like:", "Can Magnesium Glycinate Replace", "The Interaction Between",
                   "Want personalized guidance", "Mother Nature AI\n", "Have questions", "Ask Mother Nature AI →"):
        assert unit_containing(text, units, needle).kind == "boilerplate", needle
    assert unit_containing(text, units, "Many adults sleep poorly").kind == "body"
    assert unit_containing(text, units, "Sleep deprivation is a consistent").kind == "body"
    assert unit_containing(text, units, "Excessive intake can cause").kind == "safety"
    assert unit_containing(text, units, "Magnesium glycinate is a well-tolerated").kind == "body"
    # The related-links list did not swallow the next real section.
    assert unit_containing(text, units, "Understanding Sleep").section == "Understanding Sleep"


def test_disclaimers_are_kept_and_navigation_after_them_is_boilerplate() -> None:
    text, parsed = parse(QUIRKS / "disclaimer_nav.txt")
    units = parsed.units
    assert unit_containing(text, units, "Important Note:").kind == "disclaimer"
    assert unit_containing(text, units, "This information was generated").kind == "disclaimer"
    assert unit_containing(text, units, "Content Disclaimer").kind == "disclaimer"
    assert unit_containing(text, units, "Magnesium glycinate is generally well-tolerated").kind == "safety"
    for needle in ("Previous", "Creatine:", "Next", "The Power Couple"):
        assert unit_containing(text, units, needle).kind == "boilerplate", needle


def test_markdown_headings_give_section_paths() -> None:
    text, parsed = parse(QUIRKS / "markdown_guide.md")
    units = parsed.units
    assert parsed.title == "Magnesium Glycinate Guide"

    def path(needle: str) -> tuple[str, ...]:
        return unit_containing(text, units, needle).section_path

    assert path("Magnesium glycinate is magnesium bound") == ()
    assert path("Magnesium may improve sleep") == ("Sleep",)
    assert path("Glycine lowers core") == ("Sleep", "Mechanisms")
    assert path("Take it in the evening") == ("Sleep", "Mechanisms", "Key Points")
    assert path("1. Start low") == ("Dosage",)
    assert path("# not a heading") == ("Dosage",), "a '#' line in a code block is not a heading"
    assert path("It can be taken with or without food") == ("Timing and Food",)
    assert path("- Diarrhea") == ("Safety", "Side Effects")
    assert path("Separate magnesium from tetracycline") == ("Safety", "Interactions")
    assert unit_containing(text, units, "Separate magnesium from tetracycline").kind == "safety"
    signup = unit_containing(text, units, "Readers can sign up")
    assert signup.kind == "body", "a sentence mentioning 'sign up' before the references is not a CTA tail"
    refs = [u for u in units if u.block == "reference"]
    assert len(refs) == 2 and all(u.kind == "references" for u in refs)
    assert refs[0].section_path == ("References", "Journals")
    assert [r.url for r in parsed.references] == ["https://example.org/insomnia", "https://example.org/glycine"]


def test_same_text_as_plain_text_and_markdown() -> None:
    text = "# Guide\n\n## Safety\n\nDiarrhea can occur at high doses.\n\n## Sleep\n\nIt may help sleep.\n"
    md = parse_document("d", text, markdown=True)
    plain = parse_document("d", text)
    assert md.title == plain.title == "Guide"
    assert [u.kind for u in md.units] == [u.kind for u in plain.units]
    assert [u.section_path for u in md.units if u.block == "paragraph"] == [("Safety",), ("Sleep",)]


# --- the bundled documents ----------------------------------------------------------------------


def test_clinical_review_tetracycline_row_is_one_safety_unit_with_its_table_context() -> None:
    text, parsed = parse(CLINICAL)
    row = unit_containing(text, parsed.units, TETRACYCLINE_ROW)
    assert row.block == "table_row" and row.kind == "safety"
    assert row.start == text.index(TETRACYCLINE_ROW)
    assert text[row.start : row.end].endswith("after the magnesium supplement. ⁴⁷")
    assert row.section_path == ("Practical Guidance: Dosage, Safety, and Drug Interactions",
                                "Clinically Significant Drug Interactions",
                                "Table 3: Clinically Significant Drug Interactions with Magnesium Supplements")
    assert "Example Drugs: Doxycycline, Minocycline, Tetracycline" in row.context
    assert "Clinical Management/Reco mmendation: Separate doses." in row.context
    assert row.markers == (47, 8)


def test_clinical_review_tables_have_one_unit_per_row() -> None:
    text, parsed = parse(CLINICAL)
    by_caption: dict[str, int] = {}
    for u in parsed.units:
        if u.block == "table_row":
            by_caption[u.section_path[-1].split(":")[0]] = by_caption.get(u.section_path[-1].split(":")[0], 0) + 1
    assert by_caption == {"Table 1": 6, "Table 2": 11, "Table 3": 6}
    bis = unit_containing(text, parsed.units, "Bisphosphonates\t")
    assert "Magnesium forms insoluble chelates with bisphosphonates, significantly reducing" in bis.context
    gaba = unit_containing(text, parsed.units, "Gabapentin\tNeurontin")
    assert "Magnesium can decrease the absorption of gabapentin by up to 20-40%" in gaba.context
    assert gaba.markers == (47,)
    teens = unit_containing(text, parsed.units, "Teens 14–18 years\tFemale")
    assert "UL for Supplements (mg/day): 350 mg" in teens.context


def test_clinical_review_evidence_summary_and_references() -> None:
    text, parsed = parse(CLINICAL)
    units = parsed.units
    assert unit_containing(text, units, "Migraine Prophylaxis: A robust body").evidence == "Strong Evidence"
    assert unit_containing(text, units, "- Type 2 Diabetes: Strong evidence").evidence == "Moderate/Promising Evidence"
    assert unit_containing(text, units, "Idiopathic Muscle Cramps:").evidence == "Conflicting/Negative Evidence"
    refs = {r.number: r for r in parsed.references}
    assert sorted(refs) == list(range(1, 49))
    assert refs[9].title.startswith("The Effects of Magnesium Supplementation on Subjective Anxiety")
    assert refs[13].url == "https://www.naturemade.com/blogs/health-articles/magnesium-citrate-vs-glycinate"
    assert refs[47].url == "https://www.goodrx.com/well-being/supplements-herbs/magnesium-interactions"
    assert unit_containing(text, units, "stores, by pulling the mineral").markers == (10, 7, 11)


def test_research_summary_glued_labels_safety_lists_and_disclaimer() -> None:
    text, parsed = parse(PROJECT_DOCUMENTS / "magnesium-glycinate-research.txt")
    units = parsed.units
    assert unit_containing(text, units, "✓✓✓ Strong EvidenceClinical").evidence == "✓✓✓ Strong Evidence"
    assert unit_containing(text, units, "✓✓ Moderate EvidenceMagnesium plays").evidence == "✓✓ Moderate Evidence"
    item = unit_containing(text, units, "- •Heart block")
    assert item.kind == "safety" and item.section == "Contraindications"
    heading = unit_containing(text, units, "Heart block\nHigh doses")
    assert heading.block == "heading", "'...renal impairmentHeart block' is split into a badge and a heading"
    assert unit_containing(text, units, "This information is for educational purposes").kind == "disclaimer"


@pytest.mark.parametrize(
    ("name", "needle", "kind"),
    [
        ("gentle-supplement-for-sleep-and-stress.txt", "This information was generated", "disclaimer"),
        ("gentle-supplement-for-sleep-and-stress.txt", "Previous\nPrevious", "boilerplate"),
        ("gentle-supplement-for-sleep-and-stress.txt", "The Power Couple of Vitamins", "boilerplate"),
        ("gentle-supplement-for-sleep-and-stress.txt", "  1. What Are the Health Benefits", "references"),
        ("gentle-supplement-for-sleep-and-stress.txt", "Magnesium glycinate is generally well-tolerated", "safety"),
        ("magnesium-glycinate-for-sleep-deprivation.txt", "You May Also Like:", "boilerplate"),
        ("magnesium-glycinate-for-sleep-deprivation.txt", "Can Magnesium Glycinate Replace", "boilerplate"),
        ("magnesium-glycinate-for-sleep-deprivation.txt", "Important Note:", "disclaimer"),
        ("magnesium-glycinate-for-sleep-deprivation.txt", "Regarding Nutritional Supplements", "disclaimer"),
        ("magnesium-glycinate-for-sleep-deprivation.txt", "- Diarrhea", "safety"),
        ("magnesium-glycinate-for-sleep-deprivation.txt", "Sleep deprivation is defined", "body"),
        ("sleep-mineral-science-2025.txt", "Want personalized guidance", "boilerplate"),
        ("sleep-mineral-science-2025.txt", "Ask Mother Nature AI →", "boilerplate"),
        ("sleep-mineral-science-2025.txt", "- Kidney disease —", "safety"),
        ("sleep-mineral-science-2025.txt", "| Glycinate | High |", "body"),
    ],
)
def test_bundled_document_kinds(name: str, needle: str, kind: str) -> None:
    text, parsed = parse(PROJECT_DOCUMENTS / name)
    assert unit_containing(text, parsed.units, needle).kind == kind


def test_bundled_reference_lists() -> None:
    counts = {p.name: len(parse(p)[1].references) for p in BUNDLED}
    assert counts == {
        "gentle-supplement-for-sleep-and-stress.txt": 48,
        "magnesium-glycinate-clinical-review.txt": 48,
        "magnesium-glycinate-for-sleep-deprivation.txt": 6,
        "magnesium-glycinate-research.txt": 0,
        "sleep-mineral-science-2025.txt": 0,
    }


def test_plain_text_section_paths_nest_and_numbered_sub_sections_end() -> None:
    text, parsed = parse(PROJECT_DOCUMENTS / "magnesium-glycinate-for-sleep-deprivation.txt")

    def path(needle: str) -> tuple[str, ...]:
        return unit_containing(text, parsed.units, needle).section_path

    assert path("Magnesium plays a critical role in maintaining") == (
        "How Magnesium Glycinate Aids Sleep Recovery", "1. Regulating the Sleep-Wake Cycle")
    assert path("- Men: 400–420 mg/day") == ("Practical Guidelines for Using Magnesium Glycinate", "1. Recommended Dosage")
    # After the numbered sub-sections, an unnumbered heading is a section of its own again.
    assert path("Magnesium glycinate is well-tolerated by most") == ("Potential Side Effects and Precautions",)
    assert path("- The Effects of Magnesium Supplementation") == ("References",)
    clinical_text, clinical = parse(CLINICAL)
    assert unit_containing(clinical_text, clinical.units, "The vicious circle concept posits").section_path == (
        "Clinical Applications and Evidence: Neurological and Psychological Health", "Anxiety and Stress Management",
        "Mechanisms")
    assert unit_containing(clinical_text, clinical.units, "The vicious circle concept posits").section == (
        "Anxiety and Stress Management › Mechanisms")


def test_a_long_last_paragraph_mentioning_sign_up_is_not_a_call_to_action() -> None:
    para = ("Participants could sign up through their clinic. " * 12).strip()
    text = f"Study Report\n\nMethods\n\n{para}\n"
    units = parse_document("d", text).units
    assert unit_containing(text, units, "Participants could").kind == "body"
    short = "Study Report\n\nMethods\n\nMagnesium helped.\n\nSign up for our newsletter →\n"
    units = parse_document("d", short).units
    assert unit_containing(short, units, "Sign up").kind == "boilerplate"
    assert unit_containing(short, units, "Magnesium helped.").kind == "body"
