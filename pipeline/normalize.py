"""The analysis view: a normalized copy of the canonical text that maps back to it.

Extraction rules see the view (mojibake repaired, dashes and spaces unified, words split across
lines joined); reported offsets always point into the canonical text (DESIGN.md §5).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

# One character in, one character out: the view keeps the canonical length, so offsets only
# need mapping where de-hyphenation removes characters.
_SAME_LENGTH_PAIRS = {
    "\u00bc": "=",  # PDF mojibake: "n ¼ 111" is "n = 111"
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u03bc": "\u00b5",  # Greek mu to micro sign: one spelling for units
}
SAME_LENGTH = str.maketrans(_SAME_LENGTH_PAIRS)

# "ketamine-in-\nduced" -> "ketamine-induced": a hyphen at a line end between lowercase letters.
HYPHEN_BREAK = re.compile(r"(?<=[a-z])-\n(?=[a-z])")


@dataclass(frozen=True, slots=True)
class View:
    """Normalized text plus the map from view offsets to canonical offsets."""

    text: str
    # Sorted view offsets at which characters were removed, and the cumulative shift after each.
    _cuts: tuple[int, ...] = ()
    _shifts: tuple[int, ...] = ()

    @property
    def same_offsets(self) -> bool:
        """True when view and canonical offsets agree (nothing was de-hyphenated)."""
        return not self._cuts

    def to_canonical(self, i: int) -> int:
        """Map a view start offset to the canonical text."""
        k = bisect_right(self._cuts, i)
        return i + (self._shifts[k - 1] if k else 0)

    def to_canonical_end(self, i: int) -> int:
        """Map a view end offset: an end at a cut stays before the removed characters."""
        k = bisect_left(self._cuts, i)
        return i + (self._shifts[k - 1] if k else 0)

    def spans_to_canonical(self, spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
        """Map (start, end) view spans to the canonical text."""
        if self.same_offsets:
            return tuple(spans)
        return tuple((self.to_canonical(s), self.to_canonical_end(e)) for s, e in spans)


def same_length(text: str) -> str:
    """``text.translate(SAME_LENGTH)``, faster: str.translate looks every character up in a
    dict (~11 MB/s); the mapped characters are rare, and a replace per character present runs
    at memory speed. No target is also a source, so the order does not matter."""
    for src, dst in _SAME_LENGTH_PAIRS.items():
        if src in text:
            text = text.replace(src, dst)
    return text


def analysis_view(text: str, dehyphenate: bool = False) -> View:
    """Build the view of ``text``; ``dehyphenate`` joins words split across lines (PDFs)."""
    same = same_length(text)
    if not dehyphenate:
        return View(same)
    parts: list[str] = []
    cuts: list[int] = []
    shifts: list[int] = []
    pos = removed = 0
    for m in HYPHEN_BREAK.finditer(same):
        parts.append(same[pos : m.start()])
        removed += m.end() - m.start()
        cuts.append(m.start() - (removed - (m.end() - m.start())))
        shifts.append(removed)
        pos = m.end()
    parts.append(same[pos:])
    return View("".join(parts), tuple(cuts), tuple(shifts))
