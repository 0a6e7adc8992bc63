"""Compiled in-text citation patterns, built once from the rule fragments.

Every pattern is a bounded composition of the fragments in ``rules/citations.yaml``: no
repeated group can match an unbounded amount of text, so scanning stays linear on long lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.citation_rules import CitationRules, get_rules

_SUPERSCRIPT_DIGITS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-")


@dataclass(frozen=True, slots=True)
class CitationPatterns:
    """The compiled regexes used by ``pipeline.citations``."""

    rules: CitationRules
    paren: re.Pattern[str]  # one bracket group "( ... )" without nested brackets
    item: re.Pattern[str]  # author(s) + year(s) inside a bracket
    narrative: re.Pattern[str]  # "Smith et al. (2001)"
    narrative_bare: re.Pattern[str]  # "Smith and Jones, 1997" / "Kurvers et al. 2013"
    sup: re.Pattern[str]  # "<sup>23-28</sup>"
    unicode_sup: re.Pattern[str]  # "¹²"
    unicode_sup_starts: str | None  # characters one of which opens every unicode_sup match
    brackets: re.Pattern[str]  # "[1]", "[2],[3]", "[1]-[3]", "[5,10-13]"
    bracket_one: re.Pattern[str]
    split_authors: re.Pattern[str]


def _build(rules: CitationRules) -> CitationPatterns:
    f = rules.fragments
    s, y, etal, and_ = f["surname"], f["year"], f["etal"], f["and"]
    # Up to 7 surnames: "A", "A and B", "A, B, and C", each optionally followed by "et al.".
    authors = (
        rf"{s}(?:\s{{0,3}}+,\s{{0,3}}+{s}){{0,6}}"
        rf"(?:(?:\s{{0,3}}+,\s{{1,3}}+|\s{{1,3}}+){and_}\s{{1,3}}+{s})?(?:\s{{1,3}}+{etal})?"
    )
    strong = rf"{s}(?:\s{{1,3}}+{etal}|\s{{1,3}}+{and_}\s{{1,3}}+{s}(?:\s{{1,3}}+{etal})?)"
    years = rf"(?:{y}|in\s+press)(?:\s{{0,2}}+,\s{{0,2}}+(?:{y}|[a-z](?![a-z])))" + "{0,8}"
    numbers = f["number_list"].replace(r"[,\-]", r"[,\-\u2013]")
    bracket = rf"\[\s{{0,2}}+{numbers}\s{{0,2}}+\]"
    return CitationPatterns(
        rules=rules,
        paren=re.compile(rf"\(([^()]{{1,{rules.max_paren}}})\)"),
        item=re.compile(rf"(?P<authors>{authors})\s{{0,3}}+,?\s{{0,3}}+(?P<years>{years})(?![\d/])"),
        narrative=re.compile(rf"(?P<authors>{authors})\s{{0,3}}+\(\s{{0,2}}+(?P<years>{years})\s{{0,2}}+\)"),
        narrative_bare=re.compile(rf"(?P<authors>{strong}),?\s{{1,3}}+(?P<years>{y})(?![\d/])"),
        sup=re.compile(rf"<sup>\s{{0,2}}+(?P<nums>{numbers})\s{{0,2}}+</sup>"),
        unicode_sup=re.compile(f["unicode_sup"]),
        unicode_sup_starts=leading_chars(f["unicode_sup"]),
        brackets=re.compile(rf"{bracket}(?:\s{{0,2}}+[,;\-\u2013]\s{{0,2}}+{bracket}){{0,200}}"),
        bracket_one=re.compile(rf"\[\s{{0,2}}+(?P<nums>{numbers})\s{{0,2}}+\]"),
        split_authors=re.compile(rf"\s*(?:,|\b{and_}\b|&|{etal})\s*"),
    )


def leading_chars(pattern: str) -> str | None:
    """The characters one of which opens every match of ``pattern``, read from its first item
    when that is a character class or a character (repeated at least once); None when the
    pattern does not start so plainly (or ignores case), or the class is large.

    A text holding none of them cannot match, which a few substring tests tell far faster than
    the regex engine trying every position.
    """
    from re import _constants as c, _parser  # the parser re.compile itself uses

    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE or not parsed.data:
        return None
    op, arg = parsed.data[0]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _, body = arg
        if low < 1 or len(body.data) != 1:
            return None
        op, arg = body.data[0]
    if op is c.LITERAL:
        items = [(op, arg)]
    elif op is c.IN:
        items = arg
    else:
        return None
    chars: list[str] = []
    for kind, value in items:
        if kind is c.LITERAL:
            chars.append(chr(value))
        elif kind is c.RANGE and value[1] - value[0] < 64:
            chars.extend(map(chr, range(value[0], value[1] + 1)))
        else:
            return None  # a negated class, a category such as \d, a wide range
    return "".join(chars)


def get_patterns(path: str | None = None) -> CitationPatterns:
    """Compiled patterns for the rule file at ``path`` (once per process and file)."""
    return _compiled(get_rules(path).path)


@lru_cache(maxsize=4)
def _compiled(path: str) -> CitationPatterns:
    return _build(get_rules(path))


def expand_numbers(spec: str, max_range: int) -> tuple[int, ...]:
    """Expand a citation number list: ``"5,10-13"`` -> (5, 10, 11, 12, 13).

    Args:
        spec: digits separated by commas and hyphens/en dashes (superscript digits allowed).
        max_range: ranges wider than this keep only their endpoints (a typo must not explode).

    Returns:
        The numbers in order of appearance, duplicates removed (``"42,42"`` -> (42,)).
    """
    spec = spec.translate(_SUPERSCRIPT_DIGITS).replace("\u2013", "-")
    out: list[int] = []
    for part in spec.split(","):
        bounds = [int(b) for b in re.findall(r"\d+", part)]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] <= max_range:
            out.extend(range(bounds[0], bounds[1] + 1))
        else:
            out.extend(bounds)
    return tuple(dict.fromkeys(out))
