"""Answer-quality figures for a question set (the same scoring as the shared QA checker)."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.types import Answer, Document


class Asker(Protocol):
    def ask(self, question: str, top_k: int | None = None) -> Answer: ...

    def document(self, doc_id: str) -> Document | None: ...


def _norm(s: str) -> str:
    for a, b in (("\u00a0", " "), ("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        s = s.replace(a, b)
    return re.sub(r"\s+", " ", s).strip().lower()


def _tokens(s: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _norm(s))


def quote_hit(passage: str, quote: str) -> bool:
    """A passage shows a quote when one contains the other, or it has ≥80% of the quote's words (≥5)."""
    p, q = _norm(passage), _norm(quote)
    if not p or not q:
        return False
    if q in p or (len(p) >= 25 and p in q):
        return True
    qt = _tokens(quote)
    pt = set(_tokens(passage))
    return bool(qt) and len(qt) >= 5 and sum(t in pt for t in qt) / len(qt) >= 0.8


@dataclass
class Report:
    figures: dict[str, float | int | None]
    per_category: dict[str, tuple[int, int]]
    misses: list[str] = field(default_factory=list)


def load_set(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(asker: Asker, items: Iterable[dict], top_k: int = 3) -> Report:
    n = ans = hit1 = hit3 = false_abs = unans = correct_abs = 0
    safety_n = safety_hit = notice_n = notice_hit = notice_false = no_disclaimer = bad_slices = 0
    conflict_n = conflict_both = 0
    lat: list[float] = []
    lengths: list[int] = []
    cats: dict[str, list[int]] = {}
    misses: list[str] = []
    for it in items:
        n += 1
        t0 = time.perf_counter()
        a = asker.ask(it["question"], top_k)
        lat.append(time.perf_counter() - t0)
        cat = cats.setdefault(it["category"], [0, 0])
        cat[1] += 1
        if not a.disclaimer.text:
            no_disclaimer += 1
        for p in (*a.passages, *a.safety, a.disclaimer):
            doc = asker.document(p.document_id)
            if doc is None or doc.text[p.start : p.end] != p.text:
                bad_slices += 1
        texts = [p.text for p in a.passages] if a.answered else []
        ok = False
        if it["answerable"]:
            ans += 1
            false_abs += not a.answered
            lengths.extend(len(t) for t in texts[:3])
            h1 = any(quote_hit(t, g["quote"]) for t in texts[:1] for g in it["gold"])
            h3 = any(quote_hit(t, g["quote"]) for t in texts[:3] for g in it["gold"])
            hit1 += h1
            hit3 += h3
            ok = h3
            if it.get("sides"):
                conflict_n += 1
                shown = sum(any(quote_hit(t, it["gold"][i]["quote"]) for t in texts for i in side)
                            for side in it["sides"])
                conflict_both += shown >= 2
            if not h3:
                misses.append(f"{it['id']} MISS {it['question'][:60]!r} → " + " | ".join(t[:70] for t in texts[:3]))
            elif not h1:
                misses.append(f"{it['id']} not@1 {it['question'][:60]!r} → {texts[0][:80]!r}")
        else:
            unans += 1
            correct_abs += not a.answered
            ok = not a.answered
            if a.answered:
                misses.append(f"{it['id']} SHOULD ABSTAIN {it['question'][:60]!r} → {texts[0][:80] if texts else ''!r}")
        if it.get("safety_gold"):
            safety_n += 1
            shown_texts = [p.text for p in (*a.safety, *a.passages)]
            s_ok = any(quote_hit(t, g["quote"]) for t in shown_texts for g in it["safety_gold"])
            safety_hit += s_ok
            if not s_ok:
                misses.append(f"{it['id']} NO SAFETY {it['question'][:60]!r} → " + " | ".join(t[:50] for t in shown_texts[:4]))
        is_emergency = a.notice is not None and a.notice.kind == "emergency"
        if it.get("expect_notice") == "emergency":
            notice_n += 1
            notice_hit += is_emergency
            if not is_emergency:
                misses.append(f"{it['id']} NO NOTICE {it['question'][:60]!r}")
        elif is_emergency:
            notice_false += 1
            misses.append(f"{it['id']} FALSE NOTICE {it['question'][:60]!r}")
        cat[0] += ok

    def ratio(x: int, y: int) -> float | None:
        return round(x / y, 3) if y else None

    figures: dict[str, float | int | None] = {
        "questions": n, "hit@1": ratio(hit1, ans), "hit@3": ratio(hit3, ans),
        "false_abstain_rate": ratio(false_abs, ans), "abstain_accuracy_unanswerable": ratio(correct_abs, unans),
        "safety_recall": ratio(safety_hit, safety_n), "conflict_both_sides": ratio(conflict_both, conflict_n),
        "emergency_recall": ratio(notice_hit, notice_n), "emergency_false": notice_false,
        "disclaimer_missing": no_disclaimer, "verbatim_violations": bad_slices,
        "passage_chars_median": statistics.median(lengths) if lengths else None,
        "latency_p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
    }
    return Report(figures, {k: (v[0], v[1]) for k, v in sorted(cats.items())}, misses)


def format_report(report: Report, show_misses: bool = False) -> str:
    lines = [f"{k:32} {v}" for k, v in report.figures.items()]
    lines.append("")
    lines.append(f"{'category':20} {'ok':>4} {'n':>4}")
    lines += [f"{cat:20} {ok:4d} {n:4d}" for cat, (ok, n) in report.per_category.items()]
    if show_misses and report.misses:
        lines.append("")
        lines += ["  - " + m for m in report.misses]
    return "\n".join(lines)
