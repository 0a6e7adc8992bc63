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
    """Route written inside the dose span or just after it, canonicalized."""
    table = rules.table("routes")
    window = sentence[start:min(len(sentence), end + ROUTE_WINDOW)]
    m = _alternation(tuple(table)).search(window)
    return table[m.group().lower()] if m else None


def drug(sentence: str, start: int, end: int, rules: Rules,
         extra: dict[str, str] | None = None) -> str | None:
    """Nearest drug name in the sentence (abbreviations mapped through ``extra``)."""
    names = set(rules.lexicon("drugs")) | set(extra or {})
    best: tuple[int, str] | None = None
    for m in _alternation(frozenset(names)).finditer(sentence):
        # Distance 0 inside the span, so "0.2 mg/kg mc ketamine" keeps its own drug.
        dist = max(0, start - m.end() if m.end() <= start else m.start() - end)
        name = (extra or {}).get(m.group(), m.group())
        if best is None or dist < best[0]:
            best = (dist, name.lower())
    return best[1] if best else None


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
