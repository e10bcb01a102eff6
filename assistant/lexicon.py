"""Small hand-made vocabularies that bridge how people ask and how the sources are written.

Each entry maps a way of asking to words the sources themselves use. Drug entries map a
medicine to the class name used in the sources' interaction table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Lay wording → the sources' terms (matched on whole words / phrases, lower case).
LAY_TERMS: dict[str, str] = {
    "bathroom": "diarrhea laxative loose stools",
    "toilet": "diarrhea laxative loose stools",
    "runs": "diarrhea loose stools",
    "poop": "stools diarrhea constipation",
    "loose stool": "diarrhea loose stools",
    "tummy": "stomach upset gastrointestinal",
    "stomach ache": "stomach upset abdominal cramping",
    "upset stomach": "stomach upset nausea",
    "gut": "gastrointestinal digestive",
    "sleepy": "drowsiness",
    "drowsy": "drowsiness",
    "groggy": "drowsiness",
    "can't sleep": "insomnia sleep",
    "cannot sleep": "insomnia sleep",
    "waking up": "early morning awakening nighttime awakenings",
    "wake up": "early morning awakening nighttime awakenings",
    "3am": "early morning awakening",
    "nursing": "breastfeeding lactation",
    "breast feeding": "breastfeeding lactation",
    "lactating": "breastfeeding lactation",
    "expecting": "pregnant pregnancy",
    "pregnant": "pregnancy",
    "kidneys": "kidney renal",
    "kidney": "renal",
    "heartbeat": "heart rate",
    "pulse": "heart rate",
    "elderly": "older adults",
    "senior": "older adults elderly",
    "old": "older adults elderly",
    "toddler": "children",
    "kid": "children",
    "kids": "children",
    "child": "children",
    "teen": "teens",
    "teenager": "teens 14 18 years",
    "teenage": "teens 14 18 years",
    "adolescent": "teens",
    "anxious": "anxiety",
    "nervous": "anxiety",
    "worried": "anxiety stress",
    "stressed": "stress",
    "charley horse": "muscle cramps",
    "headache": "migraine headache",
    "headaches": "migraine headaches",
    "bloodwork": "serum blood test",
    "blood work": "serum blood test",
    "blood test": "serum",
    "labs": "serum blood test",
    "night shift": "shift workers circadian rhythms",
    "night shifts": "shift workers circadian rhythms",
    "shift work": "shift workers circadian rhythms",
    "how much": "dose dosage",
    "how many": "dose dosage",
    "muscle relaxant": "muscle relaxants",
    "blood pressure meds": "blood pressure medications",
    "water pill": "diuretics",
    "water pills": "diuretics",
    "acid reflux": "proton pump inhibitors",
    "heartburn": "proton pump inhibitors",
    "antacid": "antacids",
    "overdose": "toxicity hypermagnesemia",
    "too much": "toxicity hypermagnesemia high doses",
    "passed out": "hypotension toxicity",
    "faint": "hypotension",
    "fainted": "hypotension",
    "floppy": "hyporeflexia muscle weakness",
    "reflexes": "hyporeflexia",
    "bisglycinate": "glycinate",
    "stack": "combining synergistically",
    "combine": "combining synergistically",
    "take with": "combining",
    "trust": "evidence",
    "proof": "evidence",
    "worth": "benefit",
    "tracker": "wearable oura",
    "sleep tracker": "wearable oura rings objective",
    "split": "split",
    "bed": "bedtime",
    "bedtime": "bed",
    "off-limits": "contraindications contraindicated avoid",
    "off limits": "contraindications contraindicated avoid",
    "not allowed": "contraindications contraindicated",
    "avoid": "contraindications caution",
    "kidney function": "gfr renal impairment",
    "low in": "deficiency deficient depleted",
    "low on": "deficiency deficient depleted",
    "so many people": "widespread common",
    "these days": "modern",
    "normal": "normal serum",
    "how soon": "weeks overnight",
    "kick in": "weeks overnight",
    "start working": "weeks overnight",
    "notice": "improvements",
    "girl": "female",
    "girls": "female",
    "daughter": "female",
    "boy": "male",
    "boys": "male",
    "son": "male",
    "woman": "women female",
    "man": "men male",
    "breastfeeding": "lactation",
    "dialysis": "kidney renal failure",
    "should not take": "contraindications contraindicated caution",
    "shouldn't take": "contraindications contraindicated caution",
    "should avoid": "contraindications contraindicated caution",
    "not safe": "contraindications caution",
    "nauseous": "nausea",
    "nauseated": "nausea",
    "queasy": "nausea",
    "throw up": "vomiting nausea",
    "dizzy": "dizziness",
    "together": "combining",
    "relaxant": "interact medications",
    "relaxants": "interact medications",
    "won't shut off": "racing thoughts excitability",
    "wont shut off": "racing thoughts excitability",
    "can't switch off": "racing thoughts excitability",
    "can't turn off": "racing thoughts excitability",
    "mind racing": "racing thoughts",
    "racing mind": "racing thoughts",
    "overthinking": "racing thoughts",
    "knock me out": "drowsy drowsiness",
    "knock you out": "drowsy drowsiness",
    "knocks you out": "drowsy drowsiness",
    "period cramps": "menstrual cramps pms",
    "period pain": "menstrual cramps pms",
    "period": "menstrual pms",
    "tired all the time": "fatigue",
    "exhausted": "fatigue",
    "no energy": "fatigue energy",
    "falling asleep": "sleep onset fall asleep",
    "twitching": "twitches",
    "eye twitch": "eye twitches",
    "heart racing": "heart rhythms",
    "palpitations": "heart rhythms",
    "depressed": "depression",
    "low mood": "depression mood",
    "nerves": "anxiety stress",
    "edge off": "anxiety stress",
    "on edge": "anxiety stress",
    "poisoning": "toxicity hypermagnesemia overdose",
    "poisoned": "toxicity hypermagnesemia overdose",
    "av block": "heart block",
    "mom": "women female",
    "mum": "women female",
    "mother": "women female",
    "won't switch off": "racing thoughts excitability",
    "wont switch off": "racing thoughts excitability",
    "won't turn off": "racing thoughts excitability",
    "can't shut off": "racing thoughts excitability",
    "low magnesium": "deficiency",
    "before i've eaten": "empty stomach",
    "before eating": "empty stomach",
    "before breakfast": "empty stomach",
    "without eating": "empty stomach",
    "take up": "absorption",
    "absorb": "absorption",
    "intestinal": "bowel gastrointestinal",
    "intestine": "bowel gastrointestinal",
    "start with": "lower dose titrate loading",
    "starting dose": "lower dose titrate loading",
    "first time": "start lower dose titrate",
    "never taken": "start lower dose titrate",
    "beginner": "start lower dose titrate",
    "first signs": "early symptoms",
    "early signs": "early symptoms",
    "warning signs": "symptoms signs",
    "officially": "clinically defined",
    "counts as low": "clinically defined hypomagnesemia",
    "considered low": "clinically defined hypomagnesemia",
    "going forward": "maintenance ongoing",
    "from now on": "maintenance ongoing",
    "after the plan": "maintenance ongoing",
    "for years": "long-term use",
    "short term": "long-term use",
    "short-term": "long-term use",
    "indefinitely": "long-term use",
    "forever": "long-term use",
    "recovery score": "heart rate variability hrv",
    "whoop": "heart rate variability hrv",
    "oura": "heart rate variability hrv",
    "fitness tracker": "heart rate variability hrv",
    "general wellness": "general health",
    "wellness": "general health",
    "easier on": "gentle tolerance gastrointestinal",
    "easy on": "gentle tolerance gastrointestinal",
    "feeling low": "depression mood",
    "feeling down": "depression mood",
    "feeling flat": "depression mood",
    "feel low": "depression mood",
    "feel down": "depression mood",
    "good for": "best benefits",
    "how often": "frequency",
    "cuts down": "reduce reduced",
    "cut down": "reduce reduced",
    "trial data": "rct trials",
    "stop my": "standalone treatment",
    "instead of my": "standalone treatment",
    "replace my": "standalone treatment",
    "get off my": "standalone treatment",
    "cheap": "bioavailability poorly absorbed",
    "cheaper": "bioavailability poorly absorbed",
    "build up": "accumulation toxicity hypermagnesemia",
    "builds up": "accumulation toxicity hypermagnesemia",
    "dangerous level": "toxicity hypermagnesemia",
    "upkeep": "general health maintenance",
    "mile a minute": "racing thoughts excitability",
    "shut off": "racing thoughts excitability",
    "switch off": "racing thoughts excitability",
}

# Health conditions the sources caution about: how a question names one → how a passage does.
CONDITIONS: dict[str, tuple[str, str]] = {
    "kidney": (r"\b(kidneys?|renal|dialysis|gfr|nephro\w*)\b", r"\b(kidneys?|renal)\b"),
    "heart block": (r"\b(heart block|av block|heart rhythm|arrhythmia|pacemaker)\b", r"\bheart block\b"),
    "myasthenia": (r"\bmyasthenia\b", r"\bmyasthenia\b"),
    "pregnancy": (r"\b(pregnan\w*|breast ?feed\w*|nursing|lactat\w*|expecting)\b",
                  r"\b(pregnan\w*|breastfeed\w*|lactation)\b"),
    "bowel obstruction": (r"\b(bowel|intestinal) (obstruction|blockage)\b", r"\bbowel obstruction\b"),
}

# Medicine names → the class words the interaction table uses.
DRUG_CLASSES: dict[str, str] = {
    "doxycycline": "tetracycline antibiotics tetracyclines",
    "minocycline": "tetracycline antibiotics tetracyclines",
    "tetracycline": "tetracycline antibiotics tetracyclines",
    "vibramycin": "tetracycline antibiotics doxycycline",
    "minocin": "tetracycline antibiotics minocycline",
    "ciprofloxacin": "fluoroquinolone antibiotics fluoroquinolones",
    "cipro": "fluoroquinolone antibiotics ciprofloxacin",
    "levofloxacin": "fluoroquinolone antibiotics fluoroquinolones",
    "levaquin": "fluoroquinolone antibiotics levofloxacin",
    "moxifloxacin": "fluoroquinolone antibiotics fluoroquinolones",
    "ofloxacin": "fluoroquinolone antibiotics fluoroquinolones",
    "alendronate": "bisphosphonates",
    "fosamax": "bisphosphonates alendronate",
    "ibandronate": "bisphosphonates",
    "boniva": "bisphosphonates ibandronate",
    "risedronate": "bisphosphonates",
    "actonel": "bisphosphonates",
    "omeprazole": "proton pump inhibitors ppis",
    "prilosec": "proton pump inhibitors ppis omeprazole",
    "esomeprazole": "proton pump inhibitors ppis",
    "nexium": "proton pump inhibitors ppis esomeprazole",
    "pantoprazole": "proton pump inhibitors ppis",
    "protonix": "proton pump inhibitors ppis",
    "lansoprazole": "proton pump inhibitors ppis",
    "prevacid": "proton pump inhibitors ppis",
    "ppi": "proton pump inhibitors ppis",
    "furosemide": "diuretics loop",
    "lasix": "diuretics loop furosemide",
    "bumetanide": "diuretics loop",
    "torsemide": "diuretics loop",
    "hydrochlorothiazide": "diuretics thiazide",
    "hctz": "diuretics thiazide hydrochlorothiazide",
    "chlorthalidone": "diuretics thiazide",
    "lisinopril": "blood pressure medications",
    "enalapril": "blood pressure medications",
    "ramipril": "blood pressure medications",
    "losartan": "blood pressure medications",
    "valsartan": "blood pressure medications",
    "amlodipine": "blood pressure medications",
    "nifedipine": "blood pressure medications",
    "metoprolol": "blood pressure medications",
    "atenolol": "blood pressure medications",
    "propranolol": "blood pressure medications",
    "beta blocker": "blood pressure medications",
    "beta blockers": "blood pressure medications",
    "ace inhibitor": "blood pressure medications",
    "gabapentin": "gabapentin neurontin",
    "neurontin": "gabapentin",
}

# A few words of other languages people write in (whole words, lower case, accents folded).
FOREIGN_TERMS: dict[str, str] = {
    "wie viel": "how much",
    "wieviel": "how much",
    "braucht": "need",
    "kind": "child children",
    "kinder": "children",
    "jahriges": "year old",
    "jahrige": "year old",
    "jahre": "years",
    "pro tag": "per day",
    "schwanger": "pregnant pregnancy",
    "schlaf": "sleep",
    "angst": "anxiety",
    "nebenwirkungen": "side effects",
    "cuanto": "how much",
    "dosis": "dose",
    "sueno": "sleep",
    "embarazada": "pregnant pregnancy",
    "combien": "how much",
    "sommeil": "sleep",
    "enceinte": "pregnant pregnancy",
}

# Supplements and substances people ask about instead of magnesium. When one of these is the
# subject of a question and the sources never mention it, the sources do not cover the question.
OTHER_SUBSTANCES: frozenset[str] = frozenset(
    """iron zinc copper selenium iodine potassium sodium chromium boron manganese calcium creatine coq10
    coenzyme ubiquinol statin statins ashwagandha rhodiola valerian kava cbd thc cannabis melatonin
    glutathione collagen biotin folate folic b12 niacin riboflavin thiamine omega fish krill turmeric
    curcumin ginseng ginkgo probiotic probiotics fiber psyllium caffeine nicotine alcohol protein whey
    d3 k2 vitamin vitamins multivitamin electrolytes berberine nac inositol tryptophan 5-htp gaba
    theanine taurine carnitine arginine citrulline beta-alanine elderberry echinacea quercetin resveratrol
    warfarin coumadin eliquis apixaban xarelto rivaroxaban metformin levothyroxine synthroid lithium digoxin
    prednisone""".split()
)

# Medicines among them: a question that only mentions one ("so I can stop my metformin") may still
# be answered; one that pairs it with magnesium ("with warfarin?") asks what the sources never say.
MEDICINES: frozenset[str] = frozenset(
    "warfarin coumadin eliquis apixaban xarelto rivaroxaban metformin levothyroxine synthroid lithium digoxin "
    "prednisone statin statins".split())
PAIRING = (r"\b(with|alongside|together|interact\w*|combin\w*|mix\w*|same time|while (on|taking)|on top of|"
           r"and (my |the |a )?(magnesium|glycinate|it|this)|(magnesium|glycinate|it|this) and)\b")

# How generic medicine names end: a word like this that the sources never use names a medicine they
# say nothing about ("warfarin", "sertraline").
DRUG_SUFFIX = (r"(pril|sartan|olol|dipine|farin|gliptin|gliflozin|statin|prazole|tidine|oxetine|traline|afil|"
               r"azepam|azolam|cillin|mycin|floxacin|cycline|dronate|thiazide|semide|conazole|triptan|profen|codone|"
               r"morphone|xaban|gatran|parin)$")


# "Heart rate variability (HRV)": the sources define their own abbreviations. Either form in a
# question then also searches for the other.
_DEFINED = re.compile(r"((?:[A-Za-z][\w'’]*[ -]){1,6}[A-Za-z][\w'’]*)\s*\(([A-Z][A-Za-z]{1,7}?)s?\)")
_LINKING = frozenset({"of", "and", "the", "for", "in", "on", "to"})


def learn_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation (lower case) → its long form (lower case), as the texts define them. An
    abbreviation defined two different ways ("PD": Parkinson's disease, peritoneal dialysis) is left out."""
    found: dict[str, str] = {}
    ambiguous: set[str] = set()
    for text in texts:
        for m in _DEFINED.finditer(text):
            abbr = m.group(2)
            letters = "".join(c for c in abbr.lower() if c.isalpha())
            parts = [p for p in re.split(r"[ -]", m.group(1)) if p]
            for n in range(1, len(parts) + 1):
                tail = parts[-n:]
                if tail[0].lower() in _LINKING:
                    continue
                initials = "".join(p[0] for p in tail).lower()
                content = "".join(p[0] for p in tail if p.lower() not in _LINKING).lower()
                if letters in (initials, content):
                    long_form = " ".join(tail).lower()
                    if found.setdefault(abbr.lower(), long_form) != long_form:
                        ambiguous.add(abbr.lower())
                    break
    return {a: f for a, f in found.items() if a not in ambiguous}
