"""Reading a folder of documents: exact text, catalog metadata, one clear problem line per bad file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assistant.ingest import CorpusError, Problem, is_markdown, load_documents, slugify
from tests.helpers_index import PROJECT_DOCUMENTS, QUIRKS, copy_corpus


def _problems(problems: list[Problem]) -> dict[str, str]:
    return {p.path: p.message for p in problems}


def test_bundled_documents_load_exactly_with_catalog_metadata() -> None:
    docs, problems = load_documents(PROJECT_DOCUMENTS)
    assert problems == []
    assert [d.path for d in docs] == sorted(p.name for p in PROJECT_DOCUMENTS.glob("*.txt"))
    catalog = json.loads((PROJECT_DOCUMENTS / "catalog.json").read_text(encoding="utf-8"))
    for d in docs:
        raw = (PROJECT_DOCUMENTS / d.path).read_bytes()
        assert d.text == raw.decode("utf-8"), "the text is kept byte for byte"
        assert d.sha256 == hashlib.sha256(raw).hexdigest()
        assert d.title == catalog[d.path]["title"] and d.source_kind == catalog[d.path]["kind"]
        assert d.origin == catalog[d.path]["origin"]
        assert d.id == d.path.removesuffix(".txt")


def test_quirk_corpus_loads_txt_and_md(tmp_path: Path) -> None:
    docs, problems = load_documents(QUIRKS)
    assert problems == []
    by_path = {d.path: d for d in docs}
    assert "markdown_guide.md" in by_path and is_markdown(by_path["markdown_guide.md"])
    assert not is_markdown(by_path["mangled_table.txt"])
    assert by_path["mangled_table.txt"].title == "", "no catalog: the title comes from the parser later"


def test_each_bad_file_gets_one_line_and_good_files_still_load(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Magnesium\n\nMagnesium helps sleep.\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Magnesium caf\xe9 notes".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n\t\n", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "README").write_text("no extension", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    docs, problems = load_documents(tmp_path)
    assert [d.path for d in docs] == ["good.txt"]
    found = _problems(problems)
    assert set(found) == {"latin1.txt", "empty.txt", "blank.md", "image.txt", "paper.pdf", "README"}
    assert found["latin1.txt"] == "skipped: not UTF-8 text (invalid byte at offset 13)"
    assert found["empty.txt"] == "skipped: the file is empty"
    assert found["blank.md"] == "skipped: the file is empty"
    assert found["image.txt"] == "skipped: binary file (contains NUL bytes)"
    assert found["paper.pdf"].startswith("skipped: unsupported file type '.pdf'")
    assert found["README"].startswith("skipped: unsupported file type '(none)'")
    assert all(str(p) == f"{p.path}: {p.message}" and "\n" not in str(p) for p in problems)


def test_bom_is_dropped_and_crlf_kept(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeffTitle\r\n\r\nBody line.\r\n".encode())
    (doc,), _ = load_documents(tmp_path)
    assert doc.text == "Title\r\n\r\nBody line.\r\n"
    assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()


def test_nested_folders_and_unique_ids(tmp_path: Path) -> None:
    for rel in ("a.txt", "a.md", "a-txt.md", "sub/a.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"Doc {rel}\n\nText of {rel}.\n", encoding="utf-8")
    docs, problems = load_documents(tmp_path)
    assert problems == []
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids)) == 4, ids
    assert {d.path: d.id for d in docs}["sub/a.txt"] == "sub-a"


def test_bad_catalog_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text("Doc\n\nText.\n", encoding="utf-8")
    (tmp_path / "catalog.json").write_text("{not json", encoding="utf-8")
    docs, problems = load_documents(tmp_path)
    assert len(docs) == 1 and docs[0].title == ""
    assert [p.path for p in problems] == ["catalog.json"] and problems[0].message.startswith("catalog ignored")


def test_catalog_fields_are_used_for_any_folder(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text("# Doc\n\nText.\n", encoding="utf-8")
    (tmp_path / "catalog.json").write_text(json.dumps({"doc.md": {"title": "T", "kind": "blog article",
                                                                  "date": "2024", "publisher": "P"}}))
    (doc,), _ = load_documents(tmp_path)
    assert (doc.title, doc.source_kind, doc.date, doc.publisher) == ("T", "blog article", "2024", "P")


def test_missing_folder_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="documents folder not found; nothing was indexed"):
        load_documents(tmp_path / "nope")


def test_a_file_instead_of_a_folder_is_fatal(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match="not a folder"):
        load_documents(tmp_path / "f.txt")


def test_nothing_indexable_is_fatal_and_names_every_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "doc.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(CorpusError, match=r"no indexable documents \(2 file\(s\) skipped\)") as err:
        load_documents(tmp_path)
    assert sorted(p.path for p in err.value.problems) == ["doc.docx", "empty.txt"]


def test_empty_folder_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"no \.txt or \.md files"):
        load_documents(tmp_path)


def test_copy_of_bundled_corpus_matches_original(tmp_path: Path) -> None:
    copy = copy_corpus(PROJECT_DOCUMENTS, tmp_path / "docs")
    a, _ = load_documents(PROJECT_DOCUMENTS)
    b, _ = load_documents(copy)
    assert [(d.id, d.sha256, d.title) for d in a] == [(d.id, d.sha256, d.title) for d in b]


@pytest.mark.parametrize(("name", "slug"), [("Magnesium Review (2025)", "magnesium-review-2025"), ("___", "document")])
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
