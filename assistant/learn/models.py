"""What a build learned, as small files beside the index (named in the manifest), loaded and checked
together. A build without a question bank has the identity adapter, the fixed hybrid ranking and no
classifiers: it still answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.bank import CautionTopic, Quote
from assistant.learn.adapter import QueryAdapter
from assistant.learn.features import DEFAULT_WEIGHTS
from assistant.learn.linear import LinearModel

ADAPTER = "adapter.npy"
RANKER = "ranker.npz"
ANSWERABLE = "answerable.npz"
EMERGENCY = "emergency.npz"
CAUTIONS = "cautions.npz"
FACTS = "learned.json"  # caution topics, medicines, the emergency passage pool


def rank(ranker: LinearModel | None, features: np.ndarray) -> np.ndarray:
    """A score per candidate: the ranker's probability of holding the answer, or the fixed hybrid."""
    if not len(features):
        return np.zeros(0, np.float32)
    if ranker is None:
        return (features @ DEFAULT_WEIGHTS).astype(np.float32)
    return ranker.probabilities(features)[:, 0]


@dataclass
class LearnedModels:
    adapter: QueryAdapter = field(default_factory=QueryAdapter)
    ranker: LinearModel | None = None
    answerable: LinearModel | None = None
    emergency: LinearModel | None = None
    cautions: LinearModel | None = None
    emergency_pool: tuple[str, ...] = ()  # chunk ids the bank's emergencies are answered from
    medicines: dict[str, str] = field(default_factory=dict)
    topics: list[CautionTopic] = field(default_factory=list)

    def rank(self, features: np.ndarray) -> np.ndarray:
        return rank(self.ranker, features)

    def save(self, folder: Path) -> list[str]:
        """Write every learned file into ``folder``; returns their names (for the manifest)."""
        self.adapter.save(folder / ADAPTER)
        names = [ADAPTER]
        for name, model in ((RANKER, self.ranker), (ANSWERABLE, self.answerable), (EMERGENCY, self.emergency),
                            (CAUTIONS, self.cautions)):
            if model is not None:
                model.save(folder / name)
                names.append(name)
        facts = {"emergency_pool": list(self.emergency_pool), "medicines": self.medicines,
                 "topics": [{"name": t.name, "label": t.label, "search": t.search, "pick": t.pick,
                             "quotes": [[q.doc_id, q.start, q.end] for q in t.quotes]} for t in self.topics]}
        (folder / FACTS).write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
        return [*names, FACTS]

    @classmethod
    def load(cls, folder: Path, names: list[str] | None) -> LearnedModels:
        """The models a build names; a build from before learning existed gets the defaults."""
        if not names:
            return cls()
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise ValueError(f"learned files missing: {', '.join(missing)}")
        facts = json.loads((folder / FACTS).read_text(encoding="utf-8")) if FACTS in names else {}

        def model(name: str) -> LinearModel | None:
            return LinearModel.load(folder / name) if name in names else None

        topics = [CautionTopic(t["name"], t["label"], tuple(Quote(*q) for q in t["quotes"]), t.get("search"),
                               t.get("pick"))
                  for t in facts.get("topics", [])]
        return cls(adapter=QueryAdapter.load(folder / ADAPTER) if ADAPTER in names else QueryAdapter(),
                   ranker=model(RANKER), answerable=model(ANSWERABLE), emergency=model(EMERGENCY),
                   cautions=model(CAUTIONS), emergency_pool=tuple(facts.get("emergency_pool", [])),
                   medicines=dict(facts.get("medicines", {})), topics=topics)
