"""Normalized values of matched spans: numbers, units, ranges, qualifiers (pure functions).

Input is the span's text in the analysis view; output is a dict of Mention fields. Word
lists come from rules/ through ``Rules`` so nothing here is a hidden lexicon.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pipeline.rules import Rules

# A number as written: thousands commas ("1,000"), decimals, or a bare leading dot (".5").
NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\w])\d*\.?\d+")
_WORD = re.compile(r"[A-Za-z]+")
# Two numbers joined as a range: "40-80%", "0.5 to 1", "from 12% to just 2%", "between 5 and 9".
# The first bound may carry its own unit: "0.5 mg/kg to 1 mg/kg".
_RANGE_SEP = re.compile(r"\d\s*(?:%|[A-Za-zµ·]+(?:\s*/\s*[A-Za-z]+)*)?\s*(?:-|to|and)\s*"
                        r"(?:[a-z]+\s+){0,3}[~∼]?\d")
_UNIT_TAIL = re.compile(r".*\d\s*([A-Za-zµ].*)$", re.S)


def numbers(text: str) -> list[float]:
    """Digit numbers in ``text`` in order; thousands commas folded ("1,000" -> 1000)."""
    return [float(m.group().replace(",", "")) for m in NUMBER.finditer(text)]


def word_number(words: list[str], table: Any) -> int | None:
    """Value of number words ("Fifty nine", "Two hundred and eighty-four"), else None."""
    total = current = 0
    seen = False
    for word in words:
        w = word.lower()
        if w == "and":
            continue
        if w not in table:
            break
        n = int(table[w])
        seen = True
        if n == 100:
            current = max(current, 1) * 100
        elif n == 1000:
            total += max(current, 1) * 1000
            current = 0
        else:
            current += n
    return total + current if seen else None


def leading_count(text: str, rules: Rules) -> tuple[int | None, int]:
    """The count a span starts with (digits or words) and where the rest of the span begins."""
    m = re.match(r"\s*(\d{1,3}(?:,\d{3})+|\d+)\b(?!\.\d)", text)  # "12.5" is no count
    if m:
        return int(m.group(1).replace(",", "")), m.end()
    words = re.match(r"\s*((?:[A-Za-z]+(?:\s+and\s+|[\s-]+)?)+)", text)
    if not words:
        return None, 0
    tokens = re.findall(r"[A-Za-z]+|\S", words.group(1))
    table = rules.table("number_words")
    value = word_number([t for t in tokens if t != "-"], table)
    if value is None:
        return None, 0
    end = 0
    for wm in _WORD.finditer(text):
        if wm.group().lower() in table or wm.group().lower() == "and":
            end = wm.end()
        else:
            break
    return value, end


def unit_of(text: str, rules: Rules) -> str | None:
    """Canonical unit of a dose span ("mg/ kg" -> "mg/kg", "mcg" -> "µg", "mg kg-1" -> "mg/kg")."""
    # The unit is what follows the last number that is followed by a letter.
    m = _UNIT_TAIL.search(text)
    if not m:
        return None
    surface = re.sub(r"\s+", "", m.group(1)).lower().rstrip(".,;")
    units = rules.table("units")
    for candidate in (surface, surface.replace("bodyweight", "").replace("of", ""),
                      surface.replace("per", "/")):
        if candidate in units:
            return units[candidate]
    # Longest known unit that prefixes the surface ("mg/kg,i.m." -> "mg/kg").
    best = max((u for u in units if surface.startswith(u)), key=len, default=None)
    return units[best] if best else None


def bounds(text: str, values: list[float]) -> dict[str, float | None]:
    """value for a single number, low/high for a range or list."""
    if len(values) == 1:
        return {"value": values[0], "low": None, "high": None}
    if len(values) == 2 and _RANGE_SEP.search(text):
        return {"value": None, "low": min(values), "high": max(values)}
    return {"value": values[0] if values else None, "low": None, "high": None}


def dose_fields(text: str, rules: Rules) -> dict[str, Any]:
    """Value(s) and canonical unit of a DOSE span."""
    return {**bounds(text, numbers(text)), "unit": unit_of(text, rules)}


def sample_size_fields(text: str, rules: Rules) -> dict[str, Any]:
    """Count and population phrase of a SAMPLE_SIZE span."""
    m = re.match(r"\s*[nN]\s*[=¼]\s*(\d[\d,]*)(\.\d*)?", text)
    if m:
        if (m.group(2) or "").strip(".0"):
            return {"value": None, "population": None}  # "n = 12.5" is a mean, not a count
        return {"value": float(m.group(1).replace(",", "")), "population": None}
    value, rest = leading_count(text, rules)
    population = text[rest:].strip(" -") or None
    return {"value": float(value) if value is not None else None, "population": population}


def percentage_fields(text: str, rules: Rules) -> dict[str, Any]:
    """Value or bounds of a PERCENTAGE span, with an approximate/bound qualifier."""
    lower = text.lower().strip()
    qualifier, skip = _qualifier(lower, rules)
    fractions = rules.table("fractions")
    body = lower[skip:].lstrip()
    # Only a fraction that opens the span: "first half of the year" is no percentage.
    opening = None if _DIGIT.search(body) else _fraction_opening(tuple(fractions)).match(body)
    if opening:
        return {"value": float(fractions[opening.group()]), "low": None, "high": None,
                "unit": "%", "qualifier": qualifier or "approx"}
    one_in = re.fullmatch(r"(\S+)\s+in\s+(\d+)", body)
    if one_in:  # "one in 20" = 5%; other "k in n" spans are not read as percentages
        ok = one_in.group(1) in {"one", "1"} and float(one_in.group(2)) > 0
        return {"value": round(100 / float(one_in.group(2)), 1) if ok else None, "low": None,
                "high": None, "unit": "%", "qualifier": qualifier}
    found = numbers(text)
    if not found:  # "Eighty-five percent": a number written in words
        count, _ = leading_count(body, rules)
        found = [float(count)] if count is not None else []
    return {**bounds(text, found), "unit": "%", "qualifier": qualifier}


@lru_cache(maxsize=8)
def _fraction_opening(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, as an alternation takes the first alternative that fits.
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile("|".join(rf"{re.escape(p)}\b" for p in ordered))


_DIGIT = re.compile(r"\d")


def _qualifier(lower: str, rules: Rules) -> tuple[str | None, int]:
    """The qualifier a span opens with and its length ("up to 33%" -> upper_bound, 5)."""
    table = rules.table("pct_qualifiers")
    for phrase in sorted(table, key=len, reverse=True):
        # Symbols ("~", ">") need no word boundary; words do ("over" but not "overall").
        if lower.startswith(phrase) and (not phrase[-1].isalpha()
                                         or re.match(rf"{re.escape(phrase)}\b", lower)):
            return table[phrase], len(phrase)
    # "from 40% to as high as 80%" starts with "from": a range, not a bound.
    return None, 0


PARSERS = {"DOSE": dose_fields, "SAMPLE_SIZE": sample_size_fields, "PERCENTAGE": percentage_fields}
