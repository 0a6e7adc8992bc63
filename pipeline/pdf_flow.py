"""Reading flow of PDF blocks: which blocks wait for a paragraph break, and how lines join.

Footnotes, captions, tables and one-off page furniture are *deferred*: held back until the
running text reaches a paragraph break, so a paragraph that continues into the next column or
page is never cut by them. Everything else is written in reading order, with ``\n`` between
lines of a paragraph and ``\n\n`` between paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.pdf_text import Extent, Line, line_pitch, starts_paragraph
from pipeline.records import CharBox

_CAPTION = re.compile(r"(?:Table|Fig\.?|Figure)\s*[A-Z]?\d+[a-z]?\s*[:.|]")


@dataclass(frozen=True, slots=True)
class Block:
    """Lines read together; a deferred block waits for the next paragraph break."""

    lines: tuple[Line, ...]
    deferred: bool = False  # footnotes, captions and one-off page furniture


def small_print(lines: list[Line], size: float) -> bool:
    """Whether most of a block is set smaller than ``size`` (the document's body text)."""
    total = sum(len(ln.pieces) for ln in lines)
    small = sum(len(ln.pieces) for ln in lines if ln.size < 0.9 * size)
    return total > 0 and small >= 0.6 * total


def _aside(line: Line, size: float) -> bool:
    """A line that is not running prose: small print, a table row, or symbols only."""
    return (line.size < 0.9 * size or line.tabular
            or not any(ch.isalnum() for ch, _ in line.pieces))


def _floats_end(lines: list[Line], size: float) -> int:
    """How many lines at the top of a region are a float (table, caption) or stray symbols.

    Left in place they would end the paragraph running on from the previous column. A
    caption set in body size ("Table 1: ...") belongs to the float up to the gap after it.
    """
    j = 0
    while j < len(lines) - 1 and _aside(lines[j], size):
        j += 1
    if j < len(lines) - 1 and _CAPTION.match(lines[j].text):
        pitch = line_pitch(lines) or 1.2 * size
        j += 1
        while j < len(lines) - 1 and lines[j].bottom - lines[j - 1].bottom <= 1.4 * pitch:
            j += 1
    return j


def _notes_start(lines: list[Line], size: float, height: float) -> int:
    """Index where footnotes (or a table) at the foot of a region begin; ``len(lines)`` if none.

    Footnotes and captions set smaller than the body at the bottom of a column would
    otherwise split the paragraph running on into the next column or page.
    """
    k = len(lines)
    while k > 1 and _aside(lines[k - 1], size) and lines[k - 1].bottom > 0.6 * height:
        k -= 1
    return k if k < len(lines) and not _aside(lines[k - 1], size) else len(lines)


class TextBuilder:
    """Accumulates canonical characters and their boxes, deciding breaks between lines."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.boxes: list[CharBox | None] = []
        self._last: tuple[Line, Extent] | None = None
        self._deferred: list[tuple[Line, ...]] = []

    def add_block(self, block: Block) -> None:
        """Append a block, or hold it until the next paragraph break if it is deferred."""
        if block.deferred:
            self._deferred.append(block.lines)
            if not self.chars:  # nothing to interrupt yet (a title in the top margin)
                self.flush()
            return
        lines = list(block.lines)
        ext, pitch = Extent.of(lines), line_pitch(lines)
        for i, line in enumerate(lines):
            if self._last is not None:
                prev, prev_ext = self._last
                new_par = starts_paragraph(prev, line, prev_ext, ext, pitch if i else 0.0)
                if new_par:
                    self.flush()
                self._insert("\n\n" if new_par else "\n")
            self._emit(line, ext)

    def flush(self) -> None:
        """Write the held blocks, each as its own paragraph(s)."""
        held, self._deferred = self._deferred, []
        for lines in held:
            ext, pitch = Extent.of(list(lines)), line_pitch(list(lines))
            for i, line in enumerate(lines):
                if i:
                    brk = starts_paragraph(lines[i - 1], line, ext, ext, pitch)
                    self._insert("\n\n" if brk else "\n")
                elif self.chars:
                    self._insert("\n\n")
                self._emit(line, ext)

    def _emit(self, line: Line, ext: Extent) -> None:
        for ch, box in line.pieces:
            self.chars.append(ch)
            self.boxes.append(box)
        self._last = (line, ext)

    def _insert(self, s: str) -> None:
        self.chars.extend(s)
        self.boxes.extend([None] * len(s))

    def page_starts(self, n_pages: int) -> tuple[int, ...]:
        """Offset where each page's reading flow starts, sorted.

        That is the page's first character, or the next page's start for a page without
        text. Deferred material (footnotes, tables) can sit after the next page's start;
        the boxes, not these offsets, say exactly which page a character is on.
        """
        first: dict[int, int] = {}
        for i, box in enumerate(self.boxes):
            if box is not None and box[0] not in first:
                first[box[0]] = i
        starts, nxt = [0] * n_pages, len(self.chars)
        for page in range(n_pages, 0, -1):
            # A page whose text was all deferred past the next page's start (a full-page
            # table) starts where the next page does: offsets stay sorted for bisecting.
            nxt = min(first.get(page, nxt), nxt)
            starts[page - 1] = nxt
        return tuple(starts)




def split_region(lines: list[Line], size: float, height: float) -> list[Block]:
    """Cut a region's lines into a leading float, running text and trailing notes."""
    j = _floats_end(lines, size)
    k = max(j, _notes_start(lines, size, height))
    parts = ((lines[:j], True), (lines[j:k], False), (lines[k:], True))
    return [Block(tuple(part), deferred) for part, deferred in parts if part]
