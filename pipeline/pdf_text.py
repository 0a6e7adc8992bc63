"""Lines, superscripts and paragraph breaks of PDF regions, built on pdfplumber's text map.

Every character produced here is either a text-map character (it carries its pdfplumber
char object, hence its page and box) or one we inserted (``None``): spaces between words,
line and paragraph breaks, and the ``<sup>``/``</sup>`` tags around citation marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from pdfplumber.utils import chars_to_textmap

from pipeline.pdf_layout import Char, body_size
from pipeline.records import CharBox

Piece = tuple[str, Char | None]  # one text-map character and its char object (None: inserted)
Boxed = tuple[str, CharBox | None]  # the same, reduced to what the Layout keeps

# Word gaps relative to the font size: pdfplumber's fixed 3 pt glues words in tightly set
# 9-10 pt text ("Agyeman-Duahetal.BMC"); 0.12 em keeps kerned words whole and splits words.
_X_TOLERANCE_RATIO = 0.12
_SIGNS = "-\u2212\u2013"  # hyphen, minus and en dash all set negative exponents in PDFs
_SUP_TEXT = re.compile(rf"[{_SIGNS}]?\d+(?:\s*[,\u2013\u2012\-]\s*\d+)*")
_SUP_CHARS = set("0123456789,-\u2013\u2012\u2212 ")
_SENTENCE_END = re.compile(r"[.:?!][\"'\u2019\u201d)\]]*$")


@dataclass(frozen=True, slots=True)
class Line:
    """One text line: its pieces and the geometry of its body-size characters."""

    pieces: tuple[Boxed, ...]
    x0: float
    x1: float
    bottom: float  # bottom of body-size chars: a stand-in for the baseline
    size: float
    tabular: bool = False  # two or more gaps wider than 0.9 em: a table row, not prose

    @property
    def text(self) -> str:
        """The line's characters, inserted ones included."""
        return "".join(ch for ch, _ in self.pieces)


def _is_sup(c: Char, size: float, base: float) -> bool:
    """Smaller than the line's text and raised above its baseline."""
    return (len(c["text"]) == 1 and c["size"] <= 0.85 * size
            and c["bottom"] <= base - 0.2 * size)


def _sup_end(pieces: list[Piece], i: int, size: float, base: float) -> int:
    """End of the run of superscript-like pieces starting at ``i`` (inserted spaces allowed)."""
    j = i
    while j < len(pieces):
        ch, c = pieces[j]
        if c is None and ch != " ":
            break
        if c is not None and not (ch in _SUP_CHARS and _is_sup(c, size, base)):
            break
        j += 1
    while j > i and pieces[j - 1][1] is None:  # trailing inserted spaces stay outside the tag
        j -= 1
    return j


def _opens_sup(pieces: list[Piece], i: int, size: float, base: float) -> bool:
    """A raised digit, or a raised sign right before one: the sign of "10⁻³" or "kg⁻¹" must
    be inside the tag, else the digits after it read as a citation mark."""
    ch, c = pieces[i]
    if c is None or not _is_sup(c, size, base):
        return False
    if ch.isdigit():
        return True
    nxt, nc = pieces[i + 1] if i + 1 < len(pieces) else ("", None)
    return ch in _SIGNS and nc is not None and nxt.isdigit() and _is_sup(nc, size, base)


def mark_superscripts(pieces: list[Piece], size: float | None = None) -> list[Piece]:
    """Wrap raised, smaller numeric runs in ``<sup>``/``</sup>`` tags: citation marks, and also
    exponents and numeric footnote marks, which look the same on the page (the citation finder
    tells them apart by what precedes the tag).

    The tags are inserted characters (box ``None``); a space the text map put between the
    word and its mark is dropped so the result reads ``word<sup>12</sup>`` as in Markdown.

    Args:
        pieces: one text-map line, ``(character, char object or None)`` each.
        size: the line's text size when the caller knows it.

    Returns:
        The pieces with tag characters inserted around each superscript number run.
    """
    chars = [c for _, c in pieces if c is not None]
    if not chars:
        return pieces
    size = size or body_size(chars)  # the line's own text size
    base = median(c["bottom"] for c in chars if abs(round(c["size"], 1) - size) < 0.3)
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        if not _opens_sup(pieces, i, size, base):
            out.append(pieces[i])
            i += 1
            continue
        j = _sup_end(pieces, i, size, base)
        run = "".join(p for p, _ in pieces[i:j])
        if not _SUP_TEXT.fullmatch(run):
            out.extend(pieces[i:j])
        else:
            if out and out[-1] == (" ", None):
                out.pop()
            out += [(t, None) for t in "<sup>"] + pieces[i:j] + [(t, None) for t in "</sup>"]
        i = j
    return out


def char_box(c: Char) -> CharBox:
    """The Layout box of a pdfplumber char: (page, x0, top, x1, bottom), 0.01 pt precision."""
    return (c["page_number"], round(c["x0"], 2), round(c["top"], 2), round(c["x1"], 2),
            round(c["bottom"], 2))


def _line(pieces: list[Piece]) -> Line:
    chars = [c for _, c in pieces if c is not None]
    size = body_size(chars)
    core = [c for c in chars if c["size"] >= 0.85 * size] or chars
    marked = mark_superscripts(pieces, size)
    boxed = tuple((ch, None if c is None else char_box(c)) for ch, c in marked)
    wide = sum(1 for a, b in zip(chars, chars[1:]) if b["x0"] - a["x1"] > 0.9 * size)
    return Line(boxed, min(c["x0"] for c in core), max(c["x1"] for c in core),
                median(c["bottom"] for c in core), size, wide >= 2)


def region_lines(chars: tuple[Char, ...] | list[Char], size: float) -> list[Line]:
    """Read a region through pdfplumber's text map and cut it into lines.

    ``size`` is the page's body font size; the line tolerance scales with it so that raised
    citation marks stay on their line instead of forming one of their own.
    """
    if not chars:
        return []
    tm = chars_to_textmap(list(chars), x_tolerance_ratio=_X_TOLERANCE_RATIO,
                          y_tolerance=max(3.0, 0.4 * size))
    raw: list[list[Piece]] = [[]]
    for ch, c in tm.tuples:
        if ch == "\n" and c is None:
            raw.append([])
        else:
            raw[-1].append((ch, c))
    raw = [ln for ln in raw if any(c is not None for _, c in ln)]
    return [_line(ln) for ln in merge_satellites(raw, size)]


def _extent(pieces: list[Piece], size: float) -> tuple[float, float]:
    chars = [c for _, c in pieces if c is not None]
    core = [c for c in chars if c["size"] > 0.85 * size] or chars
    return min(c["top"] for c in core), max(c["bottom"] for c in core)


def _is_satellite(pieces: list[Piece], size: float) -> bool:
    chars = [c for _, c in pieces if c is not None]
    return len(chars) <= 12 and all(c["size"] <= 0.85 * size for c in chars)


def merge_satellites(lines: list[list[Piece]], size: float) -> list[list[Piece]]:
    """Fold lines made of a few small chars (sub- and superscripts split off by the line
    clustering) into the neighbouring line they overlap vertically."""
    hosts: dict[int, list[int]] = {}
    for i, ln in enumerate(lines):
        if not _is_satellite(ln, size):
            continue
        top, bottom = _extent(ln, size)
        best, best_ov = None, 0.0
        for j in (i - 1, i + 1):
            if 0 <= j < len(lines) and not _is_satellite(lines[j], size):
                h_top, h_bottom = _extent(lines[j], size)
                ov = min(bottom, h_bottom) - max(top, h_top)
                if ov > best_ov:
                    best, best_ov = j, ov
        if best is not None:
            hosts.setdefault(best, []).append(i)
    moved = {i for sats in hosts.values() for i in sats}
    return [_insert_by_x(ln, [lines[k] for k in hosts.get(i, [])])
            for i, ln in enumerate(lines) if i not in moved]


def _insert_by_x(host: list[Piece], satellites: list[list[Piece]]) -> list[Piece]:
    """Put each run of satellite chars after the last host char that starts left of it."""
    out = list(host)
    for sat in satellites:
        for run in _runs(sat):
            x = run[0][1]["x0"]
            k = 0
            for idx, (_, c) in enumerate(out):
                if c is not None and c["x0"] < x:
                    k = idx + 1
            out[k:k] = run
    return out


def _runs(pieces: list[Piece]) -> list[list[Piece]]:
    """Split a line at the spaces the text map inserted: runs of real characters."""
    runs: list[list[Piece]] = [[]]
    for ch, c in pieces:
        if c is None:
            runs.append([])
        else:
            runs[-1].append((ch, c))
    return [r for r in runs if r]


def line_pitch(lines: list[Line]) -> float:
    """Typical baseline-to-baseline distance between consecutive lines of a region."""
    steps = [b.bottom - a.bottom for a, b in zip(lines, lines[1:])
             if 0 < b.bottom - a.bottom < 2.5 * a.size]
    return median(steps) if steps else 0.0


@dataclass(frozen=True, slots=True)
class Extent:
    """Text edges of a region, to judge indents and short lines, and its indent style."""

    x0: float
    x1: float
    # Font sizes whose lines are mostly indented: a list (references) whose entries start
    # outdented. Counted per size because a column often holds text and then references.
    hanging: frozenset[float] = frozenset()

    @classmethod
    def of(cls, lines: list[Line]) -> Extent:
        """Measure a region from its lines."""
        x0 = min(ln.x0 for ln in lines)
        counts: dict[float, list[int]] = {}
        for ln in lines:
            n = counts.setdefault(ln.size, [0, 0])
            n[0] += 1
            n[1] += ln.x0 - x0 > 0.6 * ln.size
        hanging = frozenset(size for size, (total, ind) in counts.items()
                            if total >= 4 and ind > total / 2)
        return cls(x0, max(ln.x1 for ln in lines), hanging)


def starts_paragraph(prev: Line, cur: Line, prev_ext: Extent, cur_ext: Extent,
                     pitch: float = 0.0) -> bool:
    """Whether ``cur`` begins a new paragraph after ``prev``.

    Args:
        prev: the line before, possibly in another region (column or page).
        cur: the line in question.
        prev_ext: text edges of ``prev``'s region.
        cur_ext: text edges of ``cur``'s region.
        pitch: the region's line pitch when both lines are in one region, else 0.

    Returns:
        True for a paragraph break. Cues, in the order typesetters use them: extra vertical
        space, a change of font size (headings, captions), then indentation (a first-line
        indent; in a hanging-indent list, an outdented line), and last a previous line that
        stops well short of the right edge after ending a sentence.
    """
    size = max(prev.size, cur.size)
    if pitch and cur.bottom - prev.bottom > max(1.4 * pitch, 1.6 * size):
        return True
    if abs(prev.size - cur.size) > 0.4:
        return True
    indent = cur.x0 - cur_ext.x0
    if cur.size in cur_ext.hanging:
        return indent < 0.3 * size
    if 0.6 * size < indent < 4 * size and prev.x0 - prev_ext.x0 < 0.3 * size:
        return True
    short = prev_ext.x1 - prev.x1
    ended = bool(_SENTENCE_END.search(prev.text.rstrip()))
    return (short > 2 * size and ended) or (short > 8 * size and cur.text[:1].isupper())
