"""The SQLite feedback store and ``assistant feedback``, on real database files in tmp_path."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from threading import Thread

from click.testing import CliRunner

from assistant.cli import main
from assistant.feedback import Feedback, FeedbackStore, PassageRef

UP = Feedback("How much magnesium for sleep?", "up", "clear, thanks", "build-1",
              (PassageRef("magnesium-glycinate-research", 10, 60),))
DOWN = Feedback("Is it safe with kidney disease?", "down", "", None, ())


def test_the_first_write_creates_the_folder_the_file_and_the_table(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert store.list() == [] and not path.exists(), "reading creates nothing"
    first = store.add(UP, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    second = store.add(DOWN)
    assert path.is_file() and second > first
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%'")] == ["feedback"]


def test_what_is_stored_is_what_was_sent_plus_the_time(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add(UP, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    store.add(DOWN)
    newest, oldest = store.list()
    assert newest.feedback == DOWN and oldest.feedback == UP, "newest first, round-tripped exactly"
    assert oldest.created_at == "2026-01-02T03:04:05+00:00"
    assert set(oldest.as_dict()) == {"id", "created_at", "question", "rating", "note", "build_id", "passages"}
    assert [r.id for r in store.list(limit=1)] == [newest.id]


def test_concurrent_writers_each_get_their_own_row(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    ids: list[int] = []
    threads = [Thread(target=lambda: ids.extend(store.add(UP) for _ in range(10))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(set(ids)) == 40 and len(store.list()) == 40


def test_a_failed_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add(UP)
    bad = Feedback("q", "sideways", "", None, ())  # type: ignore[arg-type]  # the table's CHECK refuses it
    try:
        store.add(bad)
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("the CHECK constraint should refuse an unknown rating")
    assert [r.feedback for r in store.list()] == [UP]


# --- the command line ---------------------------------------------------------------------------------------

def _filled(tmp_path: Path) -> Path:
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path)
    store.add(UP)
    store.add(DOWN)
    return path


def test_the_table_lists_newest_first(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["feedback", "--db", str(_filled(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["id", "when", "(UTC)"]
    assert "kidney" in lines[2] and "down" in lines[2], "the newest is first"
    assert "sleep" in lines[3] and "clear, thanks" in lines[3] and "build-1" in lines[3]


def test_a_missing_database_is_no_feedback_yet_not_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["feedback", "--db", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 0
    assert "No feedback yet" in result.output and not (tmp_path / "none.sqlite3").exists()


def test_the_database_path_comes_from_the_environment(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["feedback", "--format", "jsonl"],
                                env={"ASSISTANT_FEEDBACK_DB": str(_filled(tmp_path))})
    assert result.exit_code == 0 and len(result.output.splitlines()) == 2


def test_exports_hold_every_field(tmp_path: Path) -> None:
    db = str(_filled(tmp_path))
    as_json = json.loads(CliRunner().invoke(main, ["feedback", "--db", db, "--format", "json"]).output)
    assert [i["rating"] for i in as_json] == ["down", "up"]
    assert as_json[1]["passages"] == [{"document_id": "magnesium-glycinate-research", "start": 10, "end": 60}]
    lines = CliRunner().invoke(main, ["feedback", "--db", db, "--format", "jsonl"]).output.splitlines()
    assert [json.loads(line) for line in lines] == as_json
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, ["feedback", "--db", db, "--format", "csv"])
                                           .output)))
    assert [r["question"] for r in rows] == [i["question"] for i in as_json]
    assert json.loads(rows[1]["passages"]) == as_json[1]["passages"] and rows[0]["build_id"] == ""


def test_output_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(main, ["feedback", "--db", str(_filled(tmp_path)), "--format", "csv",
                                       "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 2" in result.output
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("id,created_at,question")


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(main, ["feedback", "--db", str(junk)])
    assert result.exit_code != 0 and "cannot read the feedback database" in result.output
