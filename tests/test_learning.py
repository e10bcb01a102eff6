"""Learning in the rebuild, end to end over a small corpus and bank with the fake embedder: the adapter
and classifiers are trained, saved, named in the manifest and used when answering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.engine import Assistant
from assistant.index import build_index, staleness
from assistant.store import load_index
from tests.fakes import FAKE_MODEL_ID, FakeEmbedder

DATA = Path(__file__).parent / "data" / "learning"


def _corpus(tmp_path: Path, with_bank: bool = True) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(parents=True)
    shutil.copy(DATA / "guide.md", docs)
    if with_bank:
        (docs / "questions").mkdir()
        shutil.copy(DATA / "bank.jsonl", docs / "questions")
        shutil.copy(DATA / "cautions.json", docs / "questions")
    return docs


def _build(docs: Path, index: Path, **settings: object) -> tuple[Assistant, dict]:
    embedder = FakeEmbedder()
    s = Settings(documents_dir=docs, index_dir=index, learn_folds=3, adapter_steps=200, **settings)  # type: ignore[arg-type]
    summary = build_index(docs, index, lambda: embedder, s, model_id=FAKE_MODEL_ID, dimension=embedder.dimension)
    loaded = load_index(index, FAKE_MODEL_ID, embedder.dimension)
    return Assistant(loaded, embedder, s), summary.learning


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assistant, dict]:
    tmp = tmp_path_factory.mktemp("learned")
    return _build(_corpus(tmp), tmp / "index")


def test_the_build_learns_and_names_what_it_learned(learned: tuple[Assistant, dict]) -> None:
    assistant, metrics = learned
    manifest = assistant.index.manifest
    assert {"adapter.npy", "ranker.npz", "answerable.npz", "emergency.npz", "cautions.npz"} <= set(manifest["learned"])
    for name in manifest["learned"]:
        assert (assistant.index.path / name).is_file()
    assert manifest["learning"] == json.loads(json.dumps(metrics))
    assert metrics["questions"]["train"] == 52 and metrics["oof"]["chunk_hit@3"] is not None
    assert not assistant.index.learned.adapter.identity


def test_the_adapter_finds_passages_for_words_the_sources_never_use(learned: tuple[Assistant, dict],
                                                                      tmp_path: Path) -> None:
    assistant, _ = learned
    base, _ = _build(_corpus(tmp_path, with_bank=False), tmp_path / "plain")
    question = "insomnia and restless nights, can it help me doze off"
    assert "sleep quality" in assistant.ask(question).passages[0].text
    plain = base.ask(question)
    assert not plain.passages or "sleep quality" not in plain.passages[0].text


def test_emergencies_get_the_notice_and_only_toxicity_passages(learned: tuple[Assistant, dict]) -> None:
    assistant, _ = learned
    answer = assistant.ask("my child swallowed the bottle and can barely breathe, lips blue")
    assert answer.notice is not None and answer.notice.kind == "emergency"
    assert answer.answered and all("overdose" in p.text for p in answer.passages)
    assert any("overdose" in p.text for p in answer.safety) or answer.passages
    assert assistant.ask("will it give me the runs").notice is None


def test_off_topic_questions_are_refused_with_a_probability(learned: tuple[Assistant, dict]) -> None:
    assistant, _ = learned
    answer = assistant.ask("what is the capital city of japan and its football team")
    assert not answer.answered and answer.reason == "not_covered" and answer.passages == ()
    assert answer.answerable_probability is not None and answer.answerable_probability < 0.5
    assert any(t.step == "answerability" for t in answer.trace)
    kept = assistant.ask("my nephrologist is worried about my filtering organs")
    assert kept.answered and kept.answerable_probability is not None


def test_a_caution_topic_brings_its_stated_caution(learned: tuple[Assistant, dict]) -> None:
    assistant, _ = learned
    answer = assistant.ask("nephrologist says my filtering organs are weak, is it ok")
    texts = [p.text for p in (*answer.passages, *answer.safety)]
    assert any("renal failure" in t for t in texts)


def test_training_is_deterministic(tmp_path: Path) -> None:
    quick = {"ngram_dims": 4096, "emergency_oof_repeats": 1}
    a, _ = _build(_corpus(tmp_path / "a"), tmp_path / "a" / "index", **quick)
    b, _ = _build(_corpus(tmp_path / "b"), tmp_path / "b" / "index", **quick)
    wa, wb = a.index.learned.adapter.matrix, b.index.learned.adapter.matrix
    assert wa is not None and wb is not None and np.array_equal(wa, wb)


def test_a_folder_without_a_bank_gets_the_base_model_and_still_answers(tmp_path: Path) -> None:
    assistant, metrics = _build(_corpus(tmp_path, with_bank=False), tmp_path / "index")
    assert assistant.index.learned.adapter.identity and assistant.index.learned.answerable is None
    assert metrics["questions"] == {"train": 0, "blind": 0}
    answer = assistant.ask("Does magnesium before bed improve sleep quality?")
    assert answer.answered and "sleep quality" in answer.passages[0].text


def test_a_changed_bank_makes_the_index_stale_and_a_bad_line_is_named(tmp_path: Path) -> None:
    docs = _corpus(tmp_path)
    s = Settings(documents_dir=docs, index_dir=tmp_path / "index", learn_folds=2, adapter_steps=20)
    embedder = FakeEmbedder()
    build_index(docs, s.index_dir, lambda: embedder, s, model_id=FAKE_MODEL_ID, dimension=embedder.dimension)
    assert staleness(docs, s.index_dir, s, FAKE_MODEL_ID) is None
    with open(docs / "questions" / "bank.jsonl", "a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    assert staleness(docs, s.index_dir, s, FAKE_MODEL_ID) == "the question bank changed since the last build"
    summary = build_index(docs, s.index_dir, lambda: embedder, s, model_id=FAKE_MODEL_ID,
                          dimension=embedder.dimension)
    assert any(p.startswith("questions/bank.jsonl:53: skipped") for p in summary.problems)
    assert summary.learning["questions"]["train"] == 52


def test_a_refused_question_still_gets_the_cautions_of_its_topics(learned: tuple[Assistant, dict]) -> None:
    assistant, _ = learned
    answer = assistant.ask("nephrologist visit prices, what do they charge")
    assert not answer.answered and answer.passages == ()
    assert any("renal failure" in p.text for p in answer.safety)


def test_changed_learning_settings_make_the_index_stale(tmp_path: Path) -> None:
    docs = _corpus(tmp_path)
    s = Settings(documents_dir=docs, index_dir=tmp_path / "index", learn_folds=2, adapter_steps=20)
    embedder = FakeEmbedder()
    build_index(docs, s.index_dir, lambda: embedder, s, model_id=FAKE_MODEL_ID, dimension=embedder.dimension)
    changed = Settings(documents_dir=docs, index_dir=tmp_path / "index", learn_folds=2, adapter_steps=30)
    assert staleness(docs, s.index_dir, changed, FAKE_MODEL_ID) == "learning settings changed"
