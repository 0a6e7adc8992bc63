"""Reference-list entries: numbered, bulleted, unlabelled after a heading, and written inline.

Entries are recognised by their shape (an author list, a year, a volume/pages tail or a DOI),
so a list is found with or without a ``References`` heading. Offsets index the text given
(the analysis view, same length as the canonical text for text files).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from pipeline.citation_rules import CitationRules, get_rules
from pipeline.refparse import first_author_pattern, parse_reference, read_authors

_LABELLED = re.compile(r"[ \t]*(?:(?P<num>\d{1,4})[.)]|\[(?P<num2>\d{1,4})\]|(?P<bullet>[-\u2022*]))[ \t]+(?=\S)")
_INLINE_YEAR = re.compile(r"\s*(?:,\s*|\(\s*|\s)(?:1[6-9]\d\d|20\d\d)[a-z]?\s*\)?[.,:]?\s")
_DOI_END = re.compile(r"\s*(?:https?://(?:dx\.)?doi\.\s?org/\s?|doi:?\s*)10\.\d{4,9}/[^\s]+")
# "37, 240-255." / "23(4):273-283": volume and pages close an inline reference.
_PAGES_END = re.compile(
    r"\b\d{1,5}(?:\s*\([^()]{1,20}\))?\s*[:,]\s*[A-Za-z]?\d{1,6}(?:\s*[-\u2013e]\s*[A-Za-z]?\d{1,6})?"
    r"(?=[.;:,]{0,2}(?:\s|$))"
)
_LIST_MAX_LINES = 4  # a wrapped PDF entry rarely needs more lines
_NAME_WRAP_CHARS = 40  # a shorter first line may end inside the first author's name


@dataclass(frozen=True, slots=True)
class ReferenceMatch:
    """One reference entry with its parsed fields."""

    start: int
    end: int
    label: str | None  # printed number, or the position in a bulleted list ("- Lydic R" -> "1")
    kind: str  # numbered, bulleted, unlabelled, inline
    rule_id: str
    authors: tuple[str, ...]
    year: str | None
    year_suffix: str | None
    title: str | None
    journal: str | None
    volume: str | None
    issue: str | None
    fpage: str | None
    lpage: str | None
    doi: str | None


def _looks_like_reference(fields: dict) -> bool:
    """An author list and a year, plus something only references have."""
    specific = fields["volume"] or fields["fpage"] or fields["doi"] or fields["journal"]
    return bool(fields["authors"] and fields["year"] and specific)


def _weak_reference(fields: dict) -> bool:
    """Inside a run of entries a looser shape will do ("Barney W. ... Examiner. 1977;.")."""
    return bool(fields["authors"] or fields["year"])


def _make(start: int, end: int, label: str | None, kind: str, fields: dict) -> ReferenceMatch:
    return ReferenceMatch(start, end, label, kind, f"reference.{kind}", **fields)


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


# The look-behind sits after the first two digits, so the engine skips to a "1" or "2"
# instead of trying it at every position.
_YEARISH = re.compile(r"(?:1[6-9]|20)(?<!\d..)\d\d(?!\d)")


def _is_heading(line: str) -> bool:
    name = line.strip().strip("#*: \t").strip()
    return name in get_rules().reference_headings


def _entry(
    text: str, lines: list[tuple[int, int]], i: int, body_start: int, in_run: bool
) -> tuple[dict | None, int, int]:
    """Parse the entry opening at line ``i``; join wrapped lines until it parses (PDF text)."""
    end = lines[i][1]
    last = lines[min(i + _LIST_MAX_LINES, len(lines)) - 1][1]
    if not in_run and not _YEARISH.search(text, body_start, last):
        # A list item with no year nearby cannot open a reference list: skip the parser,
        # which would otherwise run on every bullet of every document.
        return None, end, i
    if in_run:  # a neighbour of other entries: the line alone, looser shape
        fields = parse_reference(text[body_start:end])
        if _weak_reference(fields):
            return fields, len(text[body_start:end].rstrip()) + body_start, i
    for j in range(i, min(i + _LIST_MAX_LINES, len(lines))):
        if j > i:
            start_j, end_j = lines[j]
            if start_j == end_j or _LABELLED.match(text, start_j) or _is_heading(text[start_j:end_j]):
                break
            end = end_j
        fields = parse_reference(text[body_start:end])
        if _looks_like_reference(fields):
            return fields, len(text[body_start:end].rstrip()) + body_start, j
        if not fields["authors"] and end - body_start >= _NAME_WRAP_CHARS:
            # Authors are read from the start, so a line this long without one never gains
            # one from the lines after it.
            break
    return None, end, i


def _heading_lines(text: str, lines: list[tuple[int, int]]) -> set[int]:
    """Indexes of the lines ``_is_heading`` accepts; only lines holding a heading name can."""
    starts = [a for a, _ in lines]
    found = set()
    for name in get_rules().reference_headings:
        at = text.find(name)
        while at >= 0:
            k = bisect_right(starts, at) - 1
            if _is_heading(text[lines[k][0]:lines[k][1]]):
                found.add(k)
            at = text.find(name, at + 1)
    return found


def _list_entries(text: str) -> list[ReferenceMatch]:
    lines = _lines(text)
    headings = _heading_lines(text, lines)
    out: list[ReferenceMatch] = []
    in_refs = False
    last_number = 0
    last_line = -2  # line index of the last entry's end
    i = 0
    while i < len(lines):
        start, end = lines[i]
        line = text[start:end]
        if i in headings:
            in_refs, last_number = True, 0
            i += 1
            continue
        m = _LABELLED.match(text, start, end)
        if m or (in_refs and line.strip()):
            body = m.end() if m else start + len(line) - len(line.lstrip())
            in_run = bool(out) and last_line == i - 1
            fields, stop, last = _entry(text, lines, i, body, in_run)
            number = m and (m.group("num") or m.group("num2"))
            if m:  # every item of a list counts, so later bullets keep their printed position
                last_number = int(number) if number else last_number + 1
            if fields:
                kind = "numbered" if number else "bulleted" if m else "unlabelled"
                out.append(_make(body, stop, str(last_number) if m else None, kind, fields))
                i = last_line = last
                i += 1
                continue
        if line.strip() and not m and not in_refs:
            last_number = 0  # a bulleted list restarts its count after running text
        i += 1
    return out


def _inline_end(text: str, start: int, limit: int) -> int | None:
    pages = _PAGES_END.search(text, start, limit)
    doi = _DOI_END.search(text, start, limit)
    if doi and (pages is None or doi.start() <= pages.end() + 3):
        return doi.end() - (1 if text[doi.end() - 1] in ".,;" else 0)
    return pages.end() if pages else None


@lru_cache(maxsize=4)
def _inline_start(rules: CitationRules) -> re.Pattern[str]:
    """Where an inline reference may start (the match's end): a capital after ". " or a wide
    gap, where an author name opens. Consuming the punctuation instead of looking behind for
    it scans about twice as fast; checking the name in the scan keeps the sentences that
    open with an ordinary word out of Python."""
    return re.compile(r"(?:[.:;!?)]|\s\s)[ \t]*(?=[A-Z\u00C0-\u017F])"
                      rf"(?={first_author_pattern(rules)})")


def _inline_entries(text: str, taken: list[tuple[int, int]]) -> list[ReferenceMatch]:
    rules = get_rules()
    out: list[ReferenceMatch] = []
    pos = 0
    starts = [a for a, _ in taken]  # list entries come sorted and never overlap
    for m in _inline_start(rules).finditer(text):
        start = m.end()
        k = bisect_right(starts, start) - 1
        if start < pos or (k >= 0 and start < taken[k][1]):
            continue
        names, after = read_authors(text[start : start + 600], rules)
        if not names or not _INLINE_YEAR.match(text, start + after):
            continue
        line_end = text.find("\n", start)
        limit = min(len(text) if line_end < 0 else line_end, start + rules.max_reference)
        end = _inline_end(text, start + after, limit)
        if end is None:
            continue
        fields = parse_reference(text[start:end])
        if _looks_like_reference(fields):
            out.append(_make(start, end, None, "inline", fields))
            pos = end
    return out


def find_references(text: str) -> list[ReferenceMatch]:
    """Find reference entries in ``text``.

    Args:
        text: the analysis view of a document.

    Returns:
        Entries sorted by start: list entries (numbered, bulleted, unlabelled under a heading)
        and full references written inline in running text.
    """
    listed = _list_entries(text)
    inline = _inline_entries(text, [(r.start, r.end) for r in listed])
    return sorted([*listed, *inline], key=lambda r: r.start)
