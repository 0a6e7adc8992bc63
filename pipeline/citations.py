"""In-text citations: author-year (parenthetical, narrative) and numeric (superscript, brackets).

``find_citations`` works on the analysis view (same length as the canonical text for text
files), so the offsets it returns are valid in both. One match per bracket group: the
benchmark's gold groups merge "[2],[3]" and "(A 2001; B 2004)" into one citation.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.citation_patterns import CitationPatterns, expand_numbers, get_patterns

_YEAR_PARTS = re.compile(r"(?P<year>\d{4})(?P<suffix>[a-z]?)|in\s+press|\b(?P<letter>[a-z])\b")
# The look-behind sits after the first two digits, so the engine can skip to a "1" or "2"
# (a leading look-behind is tried at every position: 3.7x slower).
_YEAR_HIT = re.compile(r"(?:1[89]|20)(?<![\d/]..)\d\d(?![\d/])")
_WINDOW_BEFORE = 260  # longest author list a narrative citation prints before its year
_DASH_BETWEEN = re.compile(r"\]\s{0,2}[\-\u2013]\s{0,2}\[")


@dataclass(frozen=True, slots=True)
class CiteItem:
    """One cited work inside an author-year group: "Dakwar et al., 2014b"."""

    start: int
    end: int
    authors: tuple[str, ...]
    year: str | None
    year_suffix: str | None


@dataclass(frozen=True, slots=True)
class CitationMatch:
    """One in-text citation group with its parsed fields."""

    start: int
    end: int
    style: str  # parenthetical, narrative, numeric
    authors: tuple[str, ...]  # surnames of the first item
    year: str | None
    year_suffix: str | None
    ref_numbers: tuple[int, ...]
    rule_id: str
    items: tuple[CiteItem, ...] = ()  # every author-year item of the group


def find_citations(text: str, entries: Sequence[tuple[int, int]] = ()) -> list[CitationMatch]:
    """Find in-text citations in ``text``.

    Args:
        text: the analysis view of a document (offsets are reported into it).
        entries: sorted (start, end) spans of reference entries, whose own years are not
            looked at for narrative citations. The caller drops citations starting in an
            entry, and a narrative citation ending in one starts in it too (an entry opens
            its line with a label or its first author); half of the text the narrative
            patterns would scan is in reference lists.

    Returns:
        Non-overlapping citation groups sorted by start offset.
    """
    pats = get_patterns()
    found = [*_parenthetical(text, pats), *_narrative(text, pats, entries), *_numeric(text, pats)]
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[CitationMatch] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def _surnames(authors: str, pats: CitationPatterns) -> tuple[str, ...]:
    parts = [p.strip() for p in pats.split_authors.split(authors)]
    # "Smith's (2001) model": the possessive is not part of the name.
    return tuple(re.sub(r"'s$", "", " ".join(p.split())) for p in parts if p)


def _items(authors: tuple[str, ...], years: str, start: int, end: int) -> list[CiteItem]:
    """Split "2001a,b" or "2001, 2003" into one item per cited year."""
    items: list[CiteItem] = []
    last_year: str | None = None
    for m in _YEAR_PARTS.finditer(years):
        if m.group("year"):
            last_year = m.group("year")
            items.append(CiteItem(start, end, authors, last_year, m.group("suffix") or None))
        elif m.group("letter") and last_year:
            items.append(CiteItem(start, end, authors, last_year, m.group("letter")))
        elif not m.group("letter"):
            items.append(CiteItem(start, end, authors, None, None))  # "in press"
    return items


def _clean_authors(authors: tuple[str, ...], pats: CitationPatterns) -> tuple[str, ...]:
    """Drop leading words that are capitalised but are not names ("However, Smith (2001)")."""
    stop = pats.rules.not_surnames
    while authors and (authors[0] in stop or authors[0].split()[0] in stop):
        authors = authors[1:]
    return authors


def _make(kind: str, rule: str, start: int, end: int, items: list[CiteItem]) -> CitationMatch:
    first = items[0]
    return CitationMatch(start, end, kind, first.authors, first.year, first.year_suffix, (), rule, tuple(items))


def _parenthetical(text: str, pats: CitationPatterns) -> list[CitationMatch]:
    out: list[CitationMatch] = []
    for paren in pats.paren.finditer(text):
        base = paren.start(1)
        items: list[CiteItem] = []
        for m in pats.item.finditer(paren.group(1)):
            authors = _clean_authors(_surnames(m.group("authors"), pats), pats)
            if authors:
                items += _items(authors, m.group("years"), base + m.start(), base + m.end())
        if not items:
            continue
        # The group covers the whole bracket when it opens with the first item (after a short
        # "see"/"e.g." prefix); otherwise only the cited part of a longer remark.
        whole = items[0].start - base <= 25
        start, end = (paren.start(), paren.end()) if whole else (items[0].start, items[-1].end)
        out.append(_make("parenthetical", "citation.parenthetical", start, end, items))
    return out


def _year_windows(text: str, entries: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Stretches of text that end just after a year: a narrative citation can only live there.

    Scanning only these keeps the name patterns off the bulk of the text (most has no year).
    Years inside ``entries`` (sorted spans) open no stretch.
    """
    starts = [a for a, _ in entries]
    windows: list[tuple[int, int]] = []
    for m in _YEAR_HIT.finditer(text):
        k = bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < entries[k][1]:
            continue
        lo, hi = max(0, m.start() - _WINDOW_BEFORE), min(len(text), m.end() + 8)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def _narrative(text: str, pats: CitationPatterns,
               entries: Sequence[tuple[int, int]] = ()) -> list[CitationMatch]:
    out: list[CitationMatch] = []
    windows = _year_windows(text, entries)
    for pattern, rule in ((pats.narrative, "citation.narrative"), (pats.narrative_bare, "citation.narrative_bare")):
        for m in (m for lo, hi in windows for m in pattern.finditer(text, lo, hi)):
            authors = _surnames(m.group("authors"), pats)
            has_list = "," in m.group("authors") and not re.search(r"\band\b|&", m.group("authors"))
            if has_list:  # "Recently, Smith (2001)": a comma list without "and" is not one citation
                authors = authors[-1:]
            authors = _clean_authors(authors, pats)
            if not authors or _not_a_narrative(text, m, authors, pats):
                continue
            start = m.start() + m.group(0).find(authors[0].split()[0])
            items = _items(authors, m.group("years"), start, m.end())
            if items:
                out.append(_make("narrative", rule, start, m.end(), items))
    return out


def _not_a_narrative(text: str, m: re.Match[str], authors: tuple[str, ...], pats: CitationPatterns) -> bool:
    """A lone capitalised word before "(2009)" is often a place or an acronym ("in England
    (2009)", "BMI (1975)"); only a name with "et al."/"and", or one not after a blocker, counts."""
    if len(authors) > 1 or re.search(pats.rules.fragments["etal"], m.group("authors")):
        return False
    name = authors[0]
    if name.isupper():
        return True
    before = text[max(0, m.start() - 20) : m.start()].split()
    return bool(before) and before[-1].lower() in pats.rules.narrative_blockers


def _numeric_match(start: int, end: int, numbers: tuple[int, ...], rule: str) -> CitationMatch:
    return CitationMatch(start, end, "numeric", (), None, None, numbers, rule)


def _numeric(text: str, pats: CitationPatterns) -> list[CitationMatch]:
    rules = pats.rules
    out: list[CitationMatch] = []
    for m in pats.sup.finditer(text):
        if _is_exponent(text, m.start()) or _is_author_mark(text, m.start(), m.end()):
            continue
        numbers = expand_numbers(m.group("nums"), rules.max_range)
        out.append(_numeric_match(m.start(), m.end(), numbers, "citation.superscript"))
    # Most texts hold no superscript digit, and a substring test per digit rules that out
    # ~6x faster than the pattern's scan of every character.
    starts = pats.unicode_sup_starts
    sups = (pats.unicode_sup.finditer(text) if starts is None or any(c in text for c in starts)
            else ())
    for m in sups:
        if not _is_exponent(text, m.start()) and not _is_author_mark(text, m.start(), m.end()):
            numbers = expand_numbers(m.group(0), rules.max_range)
            out.append(_numeric_match(m.start(), m.end(), numbers, "citation.unicode_superscript"))
    for m in pats.brackets.finditer(text):
        numbers = _bracket_numbers(m.group(0), pats)
        if _is_formula(text, m.start(), m.end()):
            continue
        if numbers and 0 not in numbers and max(numbers) <= rules.max_ref_number:
            out.append(_numeric_match(m.start(), m.end(), numbers, "citation.bracket"))
    return out


def _bracket_numbers(chain: str, pats: CitationPatterns) -> tuple[int, ...]:
    """Numbers of "[1]-[3], [7]": a dash between two brackets is a range."""
    joined = _DASH_BETWEEN.sub("-", chain)  # "[1]-[3]" -> "[1-3]"
    spec = ",".join(m.group("nums") for m in pats.bracket_one.finditer(joined))
    if re.search(r"(\d+)\s*-\s*(\d+)", spec) and any(
        int(b) <= int(a) for a, b in re.findall(r"(\d+)\s*-\s*(\d+)", spec)
    ):
        return ()  # "[10-5]" is an interval or a typo, not a citation range
    return expand_numbers(spec, pats.rules.max_range)


def _is_formula(text: str, start: int, end: int) -> bool:
    """"F[1,12] = 4.2", "x[2] < 3": an index or degrees of freedom, not a citation."""
    after = text[end : end + 3].lstrip()
    return bool(after) and after[0] in "=<>\u2264\u2265"


def _is_exponent(text: str, start: int) -> bool:
    """"m<sup>2</sup>", "10<sup>5</sup>", "kg/m²", "mg kg⁻¹": a power, not a citation."""
    if start == 0:
        return False
    if text[start - 1] in "\u207b\u207a":  # a superscript sign only ever opens an exponent
        return True
    if text[start - 1].isdigit():
        # "in 2019<sup>5</sup>": a year takes a citation, other numbers take a power.
        return not re.search(r"(?<![\d.,])(?:19|20)\d\d$", text[max(0, start - 6) : start])
    word = re.search(r"[\w/]{1,12}$", text[max(0, start - 12) : start])
    return bool(word) and word.group(0) != "al" and (len(word.group(0)) <= 2 or "/" in word.group(0))


def _is_author_mark(text: str, start: int, end: int) -> bool:
    """Affiliation marks open a line; author marks sit in a line of names only."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start:start]
    if not before.strip():
        return True
    if line_end - line_start > 400:
        return False
    words = re.sub(r"<sup>.*?</sup>|[,*\u2020\u2021]", " ", text[line_start:line_end]).split()
    return all(w[:1].isupper() or w in {"and", "&"} for w in words)
