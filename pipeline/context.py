"""Fields a span takes from its sentence: a dose's route and drug, what a percentage measures."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.rules import Rules

# How far after a dose a route may stand ("2.0 mg/kg, i.m." or "(60 mg/kg, intraperitoneally)").
ROUTE_WINDOW = 40


@lru_cache(maxsize=8)
def _alternation(words: frozenset[str] | tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(words, key=len, reverse=True)
    body = "|".join(re.escape(w) for w in ordered)
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])", re.I)


def route(sentence: str, start: int, end: int, rules: Rules) -> str | None:
    """Route written inside or just after the dose span, else just before it, canonicalized.

    After first: "(60 mg/kg, intraperitoneally)"; before: "an intravenous infusion of 0.5 mg/kg".
    """
    table = rules.table("routes")
    pattern = _alternation(tuple(table))
    m = pattern.search(sentence, start, min(len(sentence), end + ROUTE_WINDOW))
    if not m:
        before = list(pattern.finditer(sentence, max(0, start - ROUTE_WINDOW), start))
        m = before[-1] if before else None
    return table[m.group().lower()] if m else None


def is_dose(sentence: str, end: int, rules: Rules) -> bool:
    """False when the word after a mass makes it a yield or flux ("484 g m-2")."""
    return _next_word(sentence, end) not in rules.lexicon("not_dose_after")


def is_percentage(sentence: str, end: int, rules: Rules) -> bool:
    """False for a confidence level ("95% CI") rather than a reported percentage."""
    return _next_word(sentence, end) not in rules.lexicon("not_percentage_after")


def _next_word(sentence: str, end: int) -> str:
    after = sentence[end:end + 16].split()[:1]
    return after[0].lower().strip(".,;:)") if after else ""


def drug(sentence: str, start: int, end: int, rules: Rules,
         extra: dict[str, str] | None = None) -> str | None:
    """Nearest drug name in the sentence (abbreviations mapped through ``extra``)."""
    found = [(m, m.group().lower()) for m in
             _alternation(frozenset(rules.lexicon("drugs"))).finditer(sentence)]
    if extra:  # short forms are case-sensitive: "KET" is ketamine, "ket" is nothing
        found += [(m, extra[m.group()]) for m in _exact(tuple(sorted(extra))).finditer(sentence)]
    best: tuple[int, str] | None = None
    for m, name in found:
        # Distance 0 inside the span, so "0.2 mg/kg mc ketamine" keeps its own drug.
        dist = max(0, start - m.end() if m.end() <= start else m.start() - end)
        gap = sentence[m.end():start] if m.end() <= start else sentence[end:m.start()]
        if _CLOSED.search(gap):
            # "ketamine (5 and 10 mg/kg) and NBQX (...)": a bracket closed in between
            # separates the dose from that name, so any unseparated name wins.
            dist += len(sentence)
        if best is None or dist < best[0]:
            best = (dist, name)
    return best[1] if best else None


_CLOSED = re.compile(r"[)\];]")
# How far before a dose's sentence a drug named earlier in the paragraph is looked for.
DRUG_LOOKBACK = 300


def last_drug(text: str, rules: Rules, extra: dict[str, str] | None = None) -> str | None:
    """The drug named last in ``text`` (the paragraph just before a dose's sentence)."""
    return drug(text, len(text), len(text), rules, extra)


@lru_cache(maxsize=64)
def _exact(words: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")


def measure(sentence: str, start: int, end: int, rules: Rules) -> str | None:
    """What a percentage measures, from the nearest keyword in its sentence."""
    table = rules.table("measures")
    best: tuple[int, str] | None = None
    # Keys are word prefixes ("abstinen" for abstinence/abstinent), so no trailing boundary.
    for m in _prefixes(tuple(table)).finditer(sentence):
        dist = max(0, start - m.end() if m.end() <= start else m.start() - end)
        if best is None or dist < best[0]:
            best = (dist, table[m.group().lower()])
    return best[1] if best else None


@lru_cache(maxsize=8)
def _prefixes(keys: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{body})", re.I)


_N_EQUALS = re.compile(r"\b[nN]\s*[=¼]\s*\d")
_WORDS = re.compile(r"[A-Za-z][A-Za-z-]*")
_ARM_STOP = frozenset({"to", "or", "and", "with", "versus", "vs", "of", "the", "a", "an", "in",
                       "into", "for", "receive", "received", "either", "assigned", "allocated",
                       "other", "another", "given", "treated"})


def sample_size(sentence: str, start: int, end: int, rule_id: str,
                rules: Rules) -> dict[str, str | None] | None:
    """Population and arm of a sample size, or None when the count reports an outcome.

    "adverse events occurred in 13 patients" and "another nine patients" are outcome or
    subset counts, not sample sizes. An arm size gets ``group``: sizes given per arm
    ("amoxicillin (n = 177) or penicillin V (n = 176)", "n = 45 each", "5 patients (Group A)").
    """
    before, after = sentence[max(0, start - 80):start], sentence[end:end + 60]
    if _reports_outcome(before, after, rules):
        return None
    population = None
    if rule_id.endswith("n_equals"):
        population = _population_before(before, rules)
    return {"group": _arm(sentence, before, after, rule_id, rules), "population": population}


def _reports_outcome(before: str, after: str, rules: Rules) -> bool:
    words_before = [w.lower() for w in _WORDS.findall(before)[-2:]]
    verbs, cues = rules.lexicon("outcome_verbs"), rules.lexicon("subset_cues")
    m = _VERB_AFTER.match(after)
    verb_after = m.group(1).lower() if m else ""
    if verb_after in rules.lexicon("enrolment_words"):
        return False  # "the remaining 53 patients were randomly divided": still the sample
    if _SHARE_AFTER.match(after) or _PART_OF.search(before):
        return True  # "13 patients (8%) ...", "19 of the 21 patients": parts of a sample
    if words_before and words_before[-1] in cues:
        return True
    # "occurred in 13 patients", "refused by nine patients": verb + preposition + count.
    if (len(words_before) == 2 and words_before[0] in verbs
            and words_before[1] in {"in", "by", "among", "for"}):
        return True
    return verb_after in rules.lexicon("outcome_after")


# A count with its share in brackets, and the second count of "k of (the) n".
_SHARE_AFTER = re.compile(r"\s*\(\s*\d+(?:\.\d+)?\s*%")
_PART_OF = re.compile(r"\d\s*(?:\(\s*\d+(?:\.\d+)?\s*%\s*\)\s*)?of\s+(?:the\s+)?$")


# The verb right after a count, past an optional bracket and auxiliary:
# "2 patients lost", "one patient (FEC) experienced", "53 patients were randomly divided".
_VERB_AFTER = re.compile(r"\s*(?:\((?:[^()]|\([^()]*\))*\)\s*)?(?:(?:were|was|had|have|then)\s+)?"
                         r"([A-Za-z]+)")


def _arm(sentence: str, before: str, after: str, rule_id: str, rules: Rules) -> str | None:
    groups, each = rules.lexicon("group_words"), rules.lexicon("each_words")
    words_after = [w.lower() for w in _WORDS.findall(after)[:4]]
    if words_after and words_after[0] in each:
        return words_after[0]  # "n = 45 each", "10 per group"
    if rule_id.endswith("n_equals"):
        # Two or more "n =" in one sentence give the size of each arm, not of the sample.
        return _arm_name(before) if len(_N_EQUALS.findall(sentence)) > 1 else None
    tail = [w.lower() for w in _WORDS.findall(before)[-2:]]
    if tail and (tail[-1] in groups or (tail[-1] == "of" and tail[:1] and tail[0] in groups)):
        return "group"  # "(A group, 106 cases", "Both groups of 50 patients"
    m = re.match(r"\s*(?:\(|\b(?:in|from)\b)\s*(?:the\s+|each\s+)?((?:[\w().-]+\s+){0,2}?)"
                 r"((?:group|arm)s?\b(?:\s+(?-i:[A-Z0-9]{1,3})\b)?)", after, re.I)
    if m and words_after and words_after[0] not in {"were", "was"}:
        return (m.group(1) + m.group(2)).strip()  # "5 patients (Group A)", "from the placebo group"
    return None


_DOSE_TAIL = re.compile(r"(\d[\d.]*\s*[a-zµ]{1,3}(?:\s*/\s*[a-z]{1,3})*)\s*$")


def _arm_name(before: str) -> str:
    """The words naming the arm just before "(n = ...)": "selamectin (n=298)" -> "selamectin"."""
    words: list[str] = []
    # Only the phrase after the last bracket or comma: "(dogs: fenthion, n=81" -> "fenthion".
    phrase = re.split(r"[(),;:]", before.rstrip(" (,;:"))[-1]
    dose = _DOSE_TAIL.search(phrase)
    if dose:
        return dose.group(1)  # "0.5 mg/kg (n = 10) or saline (n = 10)": the arm is the dose
    for w in reversed(_WORDS.findall(phrase[-40:])):
        if w.lower() in _ARM_STOP:
            break
        words.insert(0, w)
        if len(words) == 3:
            break
    return " ".join(words) or "arm"


def _population_before(before: str, rules: Rules) -> str | None:
    """The population noun just before "(n = 12)": "rats (n = 12)" -> "rats"."""
    m = re.search(r"([A-Za-z][A-Za-z-]*)\s*\(\s*$", before)
    if m and m.group(1).lower() in rules.lexicon("population"):
        return m.group(1)
    return None
