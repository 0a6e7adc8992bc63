"""Choosing among rule matches: trim, reject traps, resolve overlaps, split lists into items.

The span ruler keeps every match (``?`` operators yield several lengths, labels overlap), so
the choice is made here with explicit, testable rules instead of inside spaCy. Offsets are
relative to the sentence text the matches came from.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from pipeline import values


class Candidate(NamedTuple):
    """One rule match inside a sentence."""

    label: str
    rule_id: str
    start: int
    end: int


# Rules whose span holds several numbers; a leading number there may belong to something else.
_MULTI = ("range", "list", "pair", "from_to")
# Rules whose numbers are separate values reported side by side: one mention per number.
LIST_RULES = frozenset({"dose.list", "dose.pair", "percentage.list"})
# A number glued to another by "-", "/", ":" or ";" is a piece of a phone number, page range
# ("2024;25(2):206-211") or date, never a value of its own.
_CHAIN_BEFORE = re.compile(r"\d[-/:;.]\s?$")
_CHAIN_AFTER = re.compile(r"^[-/:;]\d")
_ASSIGNED = re.compile(r"[=<>]\s*$")
_TRAILING = re.compile(r"(?:\s+of|[\s,;:.])+$")
# Priority when two candidates cover the same characters: a dose or percentage explains
# a number better than a bare count does.
_PRIORITY = {"DOSE": 0, "PERCENTAGE": 1, "SAMPLE_SIZE": 2}


def trim(sentence: str, c: Candidate) -> Candidate:
    """Drop trailing function words and punctuation ("a quarter of" -> "a quarter")."""
    text = sentence[c.start:c.end]
    m = _TRAILING.search(text)
    end = c.start + m.start() if m and m.start() > 0 else c.end
    return c._replace(end=end)


def acceptable(sentence: str, c: Candidate) -> bool:
    """False for matches that are pieces of number chains or start with an assigned number."""
    before, after = sentence[:c.start], sentence[c.end:]
    if _CHAIN_BEFORE.search(before[-3:]):
        return False
    if sentence[c.end - 1:c.end].isdigit() and _CHAIN_AFTER.match(after):
        return False  # a unit or "%" closes a value: "46%/62%" is two values, not a chain
    if c.rule_id.rsplit(".", 1)[-1].startswith(_MULTI) and _ASSIGNED.search(before[-3:]):
        return False  # "n=12 and 0.41 mg/kg": the 12 is a sample size, not a dose
    return True


def resolve(cands: list[Candidate]) -> list[Candidate]:
    """Longest candidates first; a candidate overlapping a kept one is dropped."""
    order = sorted(set(cands), key=lambda c: (c.start - c.end, c.start,
                                              _PRIORITY.get(c.label, 9), c.rule_id))
    kept: list[Candidate] = []
    for c in order:
        if all(c.end <= k.start or k.end <= c.start for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: (c.start, c.end))


def with_qualifier(sentence: str, c: Candidate, qualifiers: tuple[str, ...]) -> Candidate:
    """Extend a percentage left over a qualifier: "~47%", "up to 33%", "more than 10%".

    Done here rather than in token patterns: a pattern starting with a word list is tested
    at every token, and this is one regex test per percentage.
    """
    if c.label != "PERCENTAGE" or not sentence[c.start:c.start + 1].isdigit():
        return c  # word fractions ("two-thirds") are approximate already and keep their span
    m = _qualifier_regex(qualifiers).search(sentence, max(0, c.start - 24), c.start)
    return c._replace(start=m.start(1)) if m else c


@lru_cache(maxsize=8)
def _qualifier_regex(qualifiers: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(re.escape(q) for q in sorted(qualifiers, key=len, reverse=True))
    # A word qualifier starts at a word boundary; a symbol may touch the number ("~47%").
    return re.compile(rf"(?<![\w])({body})\s*$", re.I)


def choose(sentence: str, cands: list[Candidate],
           qualifiers: tuple[str, ...] = ()) -> list[Candidate]:
    """Trimmed, acceptable, qualified, non-overlapping candidates of one sentence.

    Args:
        sentence: the sentence the candidates index.
        cands: the rule matches.
        qualifiers: words and symbols that may precede a percentage (pct_qualifiers.tsv).
    """
    trimmed = (trim(sentence, c) for c in cands)
    kept = [c for c in trimmed if c.end > c.start and acceptable(sentence, c)]
    return resolve([with_qualifier(sentence, c, qualifiers) for c in kept])


def items(sentence: str, c: Candidate) -> list[tuple[int, int]]:
    """Item spans of a list match: each number alone, the last with the shared unit.

    "5 and 10 mg/kg" -> spans of "5" and "10 mg/kg". Other matches are one item.
    """
    if c.rule_id not in LIST_RULES:
        return [(c.start, c.end)]
    text = sentence[c.start:c.end]
    starts = [m.span() for m in values.NUMBER.finditer(text)]
    if len(starts) < 2:
        return [(c.start, c.end)]
    out = [(c.start + s, c.start + e) for s, e in starts[:-1]]
    out.append((c.start + starts[-1][0], c.end))
    return out
