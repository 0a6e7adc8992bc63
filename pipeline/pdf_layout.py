"""Page geometry for PDF ingestion: running furniture, columns and reading-order regions.

Works on pdfplumber char objects (dicts with ``x0, top, x1, bottom, size, text``). Nothing
here reads text for meaning; :mod:`pipeline.pdf_text` turns the regions into lines and
paragraphs through pdfplumber's text map.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median
from typing import Any

from pdfplumber.utils import cluster_objects

Char = dict[str, Any]

# Running headers and footers live in these outer fractions of the page height.
_MARGIN_ZONE = 0.1
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class MarginLine:
    """A line at the top or bottom edge of a page, set apart from the body by a gap."""

    zone: str  # "top" or "bottom"
    key: str  # text without spaces, digit runs folded to "#": equal on every page it repeats
    is_page_number: bool
    chars: tuple[Char, ...]


@dataclass(frozen=True, slots=True)
class Region:
    """Chars read as one block, in reading order with the other regions of the page."""

    chars: tuple[Char, ...]
    column: str  # "full", "left" or "right"


def body_size(chars: list[Char]) -> float:
    """Most common font size (by character count), the size of running text."""
    counts: dict[float, int] = {}
    for size, n in Counter(c["size"] for c in chars).items():  # few distinct sizes: round those
        key = round(size, 1)
        counts[key] = counts.get(key, 0) + n
    return max(counts, key=lambda s: (counts[s], -s)) if counts else 10.0


def dedupe_overprint(chars: list[Char]) -> list[Char]:
    """Drop the copies of characters drawn twice at (nearly) one spot (fake bold).

    pdfplumber's own ``dedupe_chars`` is quadratic in the number of chars, too slow per page.
    """
    seen: set[tuple[str, int, int]] = set()
    kept = []
    for c in chars:
        key = (c["text"], round(c["x0"]), round(c["top"]))
        if key not in seen:
            seen.add(key)
            kept.append(c)
    return kept


def _line_text(line: list[Char]) -> str:
    return "".join(c["text"] for c in sorted(line, key=lambda c: c["x0"])).strip()


def _margin_line(zone: str, line: list[Char]) -> MarginLine:
    text = _line_text(line)
    key = _DIGITS.sub("#", re.sub(r"\s+", "", text)).lower()
    number = bool(_PAGE_NUMBER.match(re.sub(r"\s+", " ", text)))
    return MarginLine(zone, key, number, tuple(line))


def _take_edge(lines: list[list[Char]], inside, gap_min: float) -> int:
    """How many lines from the start of ``lines`` sit in the zone, apart from the body.

    ``inside(line)`` tells whether a line is in the margin zone; the run of zone lines is cut
    back until a gap of at least ``gap_min`` separates it from the next line, so that body
    lines which merely reach into the zone stay in the body.
    """
    n = 0
    while n < len(lines) and inside(lines[n]):
        n += 1
    while n and n < len(lines) and _gap(lines[n - 1], lines[n]) < gap_min:
        n -= 1
    return n


def _gap(a: list[Char], b: list[Char]) -> float:
    """Vertical distance between two lines, whichever is higher on the page."""
    a_top, a_bot = min(c["top"] for c in a), max(c["bottom"] for c in a)
    b_top, b_bot = min(c["top"] for c in b), max(c["bottom"] for c in b)
    return max(b_top - a_bot, a_top - b_bot)


def split_margins(chars: list[Char], height: float) -> tuple[list[MarginLine], list[Char]]:
    """Separate the lines at the page's top and bottom edges from the body chars.

    Returns the margin lines (top ones first, then bottom ones, each in page order) and the
    remaining body chars in their original order.
    """
    if not chars:
        return [], []
    lines = cluster_objects(chars, "top", max(2.0, 0.3 * body_size(chars)))
    gap_min = 0.6 * body_size(chars)
    n_top = _take_edge(lines, lambda ln: max(c["bottom"] for c in ln) < _MARGIN_ZONE * height,
                       gap_min)
    rev = lines[n_top:][::-1]
    zone_bottom = (1 - _MARGIN_ZONE) * height
    n_bot = _take_edge(rev, lambda ln: min(c["top"] for c in ln) > zone_bottom, gap_min)
    top = [_margin_line("top", ln) for ln in lines[:n_top]]
    bottom = [_margin_line("bottom", ln) for ln in rev[:n_bot][::-1]]
    taken = {id(c) for m in top + bottom for c in m.chars}
    return top + bottom, [c for c in chars if id(c) not in taken]


def running_keys(pages: list[list[MarginLine]]) -> set[tuple[str, str]]:
    """(zone, key) of margin lines found on at least two pages: running headers/footers."""
    seen: dict[tuple[str, str], int] = {}
    for lines in pages:
        for zk in {(m.zone, m.key) for m in lines}:
            seen[zk] = seen.get(zk, 0) + 1
    return {zk for zk, n in seen.items() if n >= 2}


@dataclass(frozen=True, slots=True)
class _Seg:
    """A run of chars on one line with no gap wider than about an em: a column's line piece."""

    x0: float
    x1: float
    top: float
    bottom: float
    chars: tuple[Char, ...]


_LABEL = re.compile(r"[\[(]?\d{1,3}[.)\]]?")


def _segments(chars: list[Char], size: float) -> list[_Seg]:
    """Cut each line at gaps wider than ~0.9 em: the pieces a column gutter never crosses."""
    segs = []
    # Glyphs from another font (ligatures, symbols) can sit 2 pt off the line: tolerate it.
    for line in cluster_objects(chars, "top", max(2.0, 0.3 * size)):
        line.sort(key=lambda c: c["x0"])
        runs, start = [], 0
        for i in range(1, len(line) + 1):
            if i == len(line) or line[i]["x0"] - line[i - 1]["x1"] > 0.9 * size:
                run = line[start:i]
                # A list label ("37", "[4]") stays with its entry: the gap after it is no gutter.
                if runs and _LABEL.fullmatch("".join(c["text"] for c in runs[-1])) \
                        and run[0]["x0"] - runs[-1][-1]["x1"] < 1.5 * size:
                    runs[-1] = runs[-1] + run
                else:
                    runs.append(run)
                start = i
        segs += [_Seg(r[0]["x0"], max(c["x1"] for c in r), min(c["top"] for c in r),
                      max(c["bottom"] for c in r), tuple(r)) for r in runs]
    return segs


def _coverage(segs: list[_Seg], lo: int, hi: int) -> list[float]:
    """Total height of segments covering each integer x in [lo, hi)."""
    diff = [0.0] * (hi - lo + 1)
    for s in segs:
        a, b = max(lo, int(s.x0) + 1), min(hi, int(s.x1))
        if a < b:
            h = s.bottom - s.top
            diff[a - lo] += h
            diff[b - lo] -= h
    cover, run = [], 0.0
    for d in diff[:-1]:
        run += d
        cover.append(run)
    return cover


def _widest_low_run(cover: list[float], slack: float) -> tuple[int, int]:
    """Start and end index of the widest run of x whose coverage is within slack of the min."""
    floor = min(cover) + slack
    best, start = (0, 0), None
    for i, v in enumerate(cover + [float("inf")]):
        if v <= floor and start is None:
            start = i
        elif v > floor and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def _side_by_side(one: list[_Seg], other: list[_Seg]) -> float:
    """Fraction of ``other``'s height that has text of ``one`` on the same rows."""
    rows = {y for s in one for y in range(int(s.top), int(s.bottom) + 1)}
    total = sum(s.bottom - s.top for s in other)
    paired = sum(s.bottom - s.top for s in other if int((s.top + s.bottom) / 2) in rows)
    return paired / total if total else 0.0


def find_gutter(segs: list[_Seg], size: float) -> float | None:
    """The x of the gap between two columns, or None for a one-column page.

    A gutter is the widest vertical strip near the middle of the text that (almost) no line
    piece crosses, with substantial text on both sides sharing the same rows. Full-width
    material (title, abstract, wide tables) may cross it; it becomes its own band.
    """
    if len(segs) < 6:
        return None
    xmin, xmax = min(s.x0 for s in segs), max(s.x1 for s in segs)
    lo, hi = int(xmin + 0.2 * (xmax - xmin)), int(xmax - 0.2 * (xmax - xmin))
    if hi - lo < 10:
        return None
    a, b = _widest_low_run(_coverage(segs, lo, hi), slack=0.5 * size)
    if b - a < 0.8 * size:
        return None
    g = lo + (a + b) / 2
    left = [s for s in segs if s.x1 <= g]
    right = [s for s in segs if s.x0 >= g]
    total = sum(s.bottom - s.top for s in segs)
    left_h = sum(s.bottom - s.top for s in left)
    right_h = sum(s.bottom - s.top for s in right)
    if min(left_h, right_h) < 0.15 * total or total - left_h - right_h > 0.5 * total:
        return None
    # The smaller side must sit beside the other (a sidebar, or columns under a wide band).
    small, big = (left, right) if left_h <= right_h else (right, left)
    return g if _side_by_side(big, small) >= 0.3 else None


def _bands(segs: list[_Seg], g: float, size: float) -> list[tuple[str, list[_Seg]]]:
    """Cut the page top to bottom into full-width bands and two-column blocks."""
    blocks: list[tuple[str, list[_Seg]]] = []
    for s in sorted(segs, key=lambda s: (s.top, s.x0)):
        kind = "full" if s.x0 < g < s.x1 else "cols"
        # A lone sub- or superscript split off its line must not cut a band in two.
        small = len(s.chars) <= 12 and all(c["size"] <= 0.85 * size for c in s.chars)
        if blocks and (blocks[-1][0] == kind or small):
            blocks[-1][1].append(s)
        else:
            blocks.append((kind, [s]))
    for band, cols in zip(blocks, blocks[1:]):
        if band[0] == "full" and _is_tail(band[1], cols[1], size):
            band[1].append(cols[1].pop(0))
    return [b for b in blocks if b[1]]


def _is_tail(band: list[_Seg], cols: list[_Seg], size: float) -> bool:
    """Whether the first piece under a full band is the short last line of its paragraph.

    Such a line does not reach the gutter, so it looks like column text; it is the only piece
    on its row, hangs right under the band and is followed by a vertical break.
    """
    first = cols[0]
    if len(cols) > 1 and cols[1].top < first.bottom + size:
        return False  # another piece on the same row or the next line follows closely
    return (first.top - max(s.bottom for s in band) < 0.8 * size
            and abs(first.x0 - min(s.x0 for s in band)) < 2 * size)


def _region(chars: list[Char], segs: list[_Seg], column: str) -> Region:
    """A region of ``segs``' chars, kept in the page's drawing order (deterministic)."""
    ids = {id(c) for s in segs for c in s.chars}
    return Region(tuple(c for c in chars if id(c) in ids), column)


def page_regions(chars: list[Char], size: float) -> tuple[list[Region], bool]:
    """Split a page's body chars into regions in reading order.

    Returns the regions and whether the page was detected as two-column. Within a two-column
    block the left column is read before the right one; full-width bands are read where they
    sit between blocks.
    """
    segs = _segments(chars, size)
    g = find_gutter(segs, size)
    if g is None:
        return [Region(tuple(chars), "full")], False
    regions = []
    for kind, block in _bands(segs, g, size):
        if kind == "full":
            regions.append(_region(chars, block, "full"))
            continue
        for column, part in (("left", [s for s in block if s.x1 <= g]),
                             ("right", [s for s in block if s.x0 >= g])):
            if part:
                regions.append(_region(chars, part, column))
    return regions, True
