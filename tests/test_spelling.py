"""Misspellings corrected against the sources' words; real words (the sources' or English) left alone."""

from assistant.spelling import Speller, edit_distance

SOURCES = ["Magnesium glycinate and kidney disease.", "Anxiety, migraines and diarrhea; take it before bed."]


def test_misspelt_words_become_the_sources_words() -> None:
    text, fixes = Speller(SOURCES).fix("does magneisum glycinat help anxeity with kidny desease")
    assert text == "does magnesium glycinate help anxiety with kidney disease"
    assert fixes == {"magneisum": "magnesium", "glycinat": "glycinate", "anxeity": "anxiety", "kidny": "kidney",
                     "desease": "disease"}


def test_real_words_and_short_words_are_left_alone() -> None:
    speller = Speller(SOURCES)
    for text in ("is acne worse when overdoing it", "bed", "my migraines"):
        assert speller.fix(text) == (text, {})


def test_edit_distance_counts_a_transposition_once() -> None:
    assert edit_distance("anxeity", "anxiety") == 1 and edit_distance("kidny", "kidney") == 1
    assert edit_distance("abc", "xyz") == 3
