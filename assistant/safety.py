"""Cautions quoted from the sources for a question, the disclaimer slot, and the emergency notice."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.index import LoadedIndex
from assistant.lexical import BM25Index, token_set, tokenize
from assistant.passages import make_passage
from assistant.query import Query
from assistant.types import Chunk, Notice, Passage

EMERGENCY_TEXT = (
    "This may be a medical emergency. Call your local emergency number (911 in the US) or a poison control "
    "centre now, or go to the nearest emergency department. Do not wait for symptoms to get worse. "
    "This assistant only quotes written sources and cannot help in an emergency."
)

# Topics a question can touch: the words that reveal them, and one probe per caution to quote
# (each probe is written in the sources' own words and picks the single best-matching caution).
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "toxicity": (r"\b(overdose|too much|toxic\w*|poison\w*|handful|swallowed|passed out|faint\w*|"
                 r"build(s|ing)? up|buildup|accumulat\w*|dangerous (level|levels|amounts?))\b",
                 ("magnesium toxicity hypermagnesemia life-threatening overdose laxatives antacids renal failure",)),
    "dose": (r"\b(dose|doses|dosage|dosing|how much|how many|mg|milligrams?|grams?|intake|split|upper limit|"
             r"a day|per day|daily|protocol|plan|schedule|regimen|\d{3,4}\s*mg)\b",
             ("tolerable upper intake level UL 350 mg day adults applies dietary supplements medications",
              "exceeding 800 mg elemental magnesium daily medical supervision diarrhea cardiac effects",
              "therapeutic dosages exceed UL guidance healthcare professional benefits risks")),
    "kidney": (r"\b(kidney|kidneys|renal|dialysis|gfr)\b",
               ("kidney disease should not take magnesium supplements unless directed closely monitored physician",
                "severe kidney disease excrete excess magnesium hypermagnesemia consult physician")),
    "heart": (r"\b(heart|cardiac|heartbeat|heart rate|pulse|arrhythmia|heart block|av block)\b",
              ("high doses magnesium slow heart rate heart block heart medications consult physician",)),
    "myasthenia": (r"\bmyasthenia\b", ("myasthenia gravis acetylcholine neuromuscular worsen muscle weakness",)),
    "pregnancy": (r"\b(pregnan\w*|breastfeed\w*|breast feeding|nursing|lactat\w*|expecting)\b",
                  ("consult healthcare professional pregnant breastfeeding taking medications chronic conditions",
                   "pregnant breastfeeding anyone taking medications interact consult qualified healthcare provider")),
    "medication": (r"\b(medication|medications|medicine|drug|drugs|prescribed|antibiotic\w*|relaxant\w*|"
                   r"statin)\b",
                   ("magnesium interact antibiotics tetracyclines fluoroquinolones blood pressure medications "
                    "muscle relaxants",)),
    "side_effect": (r"\b(side effects?|diarrh\w*|nausea|stomach|bathroom|drows\w*|laxative|loose)\b",
                    # Side effects are dose-dependent: the upper limit bears on them too.
                    ("common side effects diarrhea nausea abdominal cramping dose-dependent",
                     "tolerable upper intake level UL 350 mg day adults applies dietary supplements medications")),
}
PERSONAL = re.compile(r"\b(i|i'm|im|me|my|should|worth|start|starting|safe|okay|ok)\b", re.I)
GENERAL_CAUTION = "consult doctor before starting supplement regimen existing health conditions take medications"
GENERAL_CAUTION_CHARS = 200

_CONTAINER = r"(bottle|pack|packet|box|jar|tub|container)"
_OVERDOSE = re.compile(
    r"\b(overdos\w*|(took|taken|taking|been taking) (too many|too much|a lot|like \d+|\d+)|taking like \d+|ate (a handful|a bunch|\d+|"
    rf"some|the)|swallowed|got into (my|the|his|her)|handful|\d+\s+(pills|capsules|tablets)|(drank|drunk|took|taken|ate|finished|had) (most of |half |all of |the rest of )?(a |an |the |my |her |his )?(whole |entire |full )?{_CONTAINER}|on top of (it|that|them))\b", re.I)
_SEVERE = re.compile(
    r"\b(passed out|pass(ing)? out|faint\w*|unconscious|unresponsive|won'?t wake|barely (beating|breathing)|"
    r"(very |really )?slow (heart ?beat|heart rate|pulse)|heart (is |feels )?(barely|very slow)|"
    r"(trouble|difficulty|hard|can'?t|cannot|struggling|struggles|struggle) (breathing|breathe|to breathe)|"
    r"short(ness)? of breath|breathing (is )?(getting |very |really |so )?(shallow|slow|weak)|shallow breath\w*|"
    r"(can'?t|cannot|barely|hardly) (lift|move|stand|walk|hold (up )?(his|her|my) head)|"
    r"(blood pressure|bp) (is |has )?(gotten |dropped |really |very |so |dangerously )*(low|dropped)|"
    r"chest pain|seizur\w*|collaps\w*|floppy|limp|not breathing|blue lips)\b|"
    # a blood pressure reading in shock range ("my BP cuff says 78/45")
    r"\b(bp|blood pressure|pressure|cuff)\b[^.?!]{0,30}?\b[4-8]\d\s*/\s*[2-5]\d\b", re.I)
_MILD = re.compile(r"\b(very drowsy|extremely drowsy|confus\w*|weak reflexes|reflexes seem weak|dizzy|"
                   r"vomiting|dialysis|flushed|very weak|muscle weakness|irregular heart\w*)\b", re.I)


# A whole bottle taken is an emergency before any symptom; so is an overdose taken on purpose.
_MASSIVE = re.compile(r"\b(swallowed|took|taken|ate|eaten|drank|drunk|downed)\b[^.?!]{0,30}?\b(the |a |my )?"
                      rf"(whole|entire|full) {_CONTAINER}\b", re.I)
_ON_PURPOSE = re.compile(r"\b(on purpose|intentionally|deliberately|to (hurt|harm|kill) myself|"
                         r"end (it all|my life)|suicid\w*)\b", re.I)


def emergency_notice(question: str) -> Notice | None:
    """A fixed seek-care notice when the question describes a possible emergency happening now."""
    severe = bool(_SEVERE.search(question))
    overdose = bool(_OVERDOSE.search(question))
    mild = bool(_MILD.search(question))
    if severe or (overdose and mild) or ("dialysis" in question.lower() and "drows" in question.lower()):
        return Notice("emergency", EMERGENCY_TEXT)
    if _MASSIVE.search(question) or (overdose and _ON_PURPOSE.search(question)):
        return Notice("emergency", EMERGENCY_TEXT)
    return None


def topics_of(query: Query, passages: Sequence[Passage]) -> list[str]:
    probe = " ".join([query.text, *query.expansion])
    found = [name for name, (pattern, _) in TOPICS.items() if re.search(pattern, probe, re.I)]
    if "dose" not in found and any(re.search(r"\d\s*mg\b", p.text) for p in passages[:1]):
        found.append("dose")
    if query.drugs and "medication" not in found:
        found.append("medication")
    return found


def _best(lexical: BM25Index, pool: list[Chunk], text: str) -> list[tuple[float, Chunk]]:
    q = set(tokenize(text))
    total = sum(lexical.idf(t) for t in q) or 1.0
    scored = []
    for c in pool:
        toks = token_set(c.text)
        scored.append((sum(lexical.idf(t) for t in q & toks) / total, c))
    scored.sort(key=lambda x: -x[0])
    return scored


class _Pools:
    """The chunks cautions and disclaimers are quoted from, and the best of them for each fixed probe:
    a question never changes them, so they are worked out once per index."""

    def __init__(self, index: LoadedIndex) -> None:
        self.lexical = index.lexical
        self.safety = [c for c in index.chunks if c.kind == "safety"]
        self.general = [c for c in index.chunks if c.kind in ("safety", "disclaimer")]
        self.disclaimers = [c for c in index.chunks if c.kind == "disclaimer"]
        self.medical = {c.id: bool(re.search(r"medical|health", c.text, re.I)) for c in self.disclaimers}
        self._best: dict[tuple[str, str], tuple[float, Chunk] | None] = {}

    @classmethod
    def of(cls, index: LoadedIndex) -> _Pools:
        pools = index.derived.get("safety_pools")
        if not isinstance(pools, cls):
            pools = index.derived["safety_pools"] = cls(index)
        return pools

    def best(self, pool: str, probe: str) -> list[tuple[float, Chunk]]:
        """``_best(index, <pool>, probe)[:1]`` for a fixed probe (one of this module's constants)."""
        key = (pool, probe)
        if key not in self._best:
            ranked = _best(self.lexical, self.general if pool == "general" else self.safety, probe)
            self._best[key] = ranked[0] if ranked else None
        top = self._best[key]
        return [top] if top is not None else []


def select_cautions(query: Query, passages: Sequence[Passage], index: LoadedIndex, hit_chunks: Sequence[Chunk],
                    max_items: int = 5, max_chars: int = 420, emergency: bool | None = None) -> tuple[Passage, ...]:
    """Cautions that bear on the question: topic cautions, named-drug rows, and a general caution.
    ``emergency``: whether ``emergency_notice`` found one for the question, if the caller already knows."""
    shown = {(p.document_id, p.start, p.end) for p in passages}
    pools = _Pools.of(index)
    safety_pool = pools.safety
    picked: list[tuple[Chunk, str]] = []

    def add(chunk: Chunk, probe: str) -> None:
        if all(chunk.id != c.id for c, _ in picked) and len(picked) < max_items:
            picked.append((chunk, probe))

    if emergency is None:
        emergency = emergency_notice(query.text or query.original) is not None
    if emergency:
        for _score, c in pools.best("safety", TOPICS["toxicity"][1][0]):
            add(c, TOPICS["toxicity"][1][0])
    # A named medicine: its interaction row(s).
    for drug in query.drugs:
        for c in safety_pool:
            if c.block == "table_row" and re.search(rf"\b{drug}\b", c.text, re.I):
                add(c, drug)
    # Safety chunks the retrieval itself found relevant.
    for c in hit_chunks[:6]:
        if c.kind == "safety" and (query.drugs or query.side_effect):
            add(c, query.text)
            break
    for topic in topics_of(query, passages):
        for probe in TOPICS[topic][1]:
            for score, c in pools.best("safety", probe):
                if score >= 0.3:
                    add(c, probe)
    if PERSONAL.search(query.original) or query.interaction:
        for score, c in pools.best("general", GENERAL_CAUTION):
            if score >= 0.3:
                add(c, GENERAL_CAUTION)
    out = []
    for chunk, probe in picked:
        # The general caution is one sentence of a longer disclaimer: quote just that sentence.
        limit = GENERAL_CAUTION_CHARS if probe == GENERAL_CAUTION else max_chars
        p = make_passage(chunk, index, 0.0, tokenize(probe), limit)
        if (p.document_id, p.start, p.end) not in shown:
            out.append(p)
    return tuple(out)


def select_disclaimer(index: LoadedIndex, preferred_docs: Sequence[str],
                      avoid: Sequence[Passage] = ()) -> Passage:
    """A disclaimer quoted from the sources: the cited document's own if it has one, and not a
    span already quoted as a caution."""
    used = {(p.document_id, p.start) for p in avoid}
    pools = _Pools.of(index)
    pool = pools.disclaimers
    pool = [c for c in pool if not any(d == c.doc_id and c.start <= s < c.end for d, s in used)] or list(pool)
    if not pool:
        raise LookupError("no disclaimer in the indexed sources")
    rank = {d: i for i, d in enumerate(preferred_docs)}
    # Prefer medical-advice disclaimers over generic ones, then the cited document's.
    pool.sort(key=lambda c: (rank.get(c.doc_id, len(rank)), not pools.medical[c.id], c.start))
    return make_passage(pool[0], index, 0.0, tokenize("medical advice consult healthcare"), 10_000)
