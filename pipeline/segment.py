"""Cheap paragraph and sentence boundaries over the analysis view (no spaCy).

Sentences give every mention its ``sentence`` column and decide which text the spaCy rules
see; paragraphs bound attribution. Both are (start, end) offsets into the view.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from itertools import chain

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# A candidate end: terminal punctuation, optional closers, whitespace (group 1: the next
# sentence starts after it), then something that can open a sentence.
_CANDIDATE = re.compile(r"[.!?][\"')\]]*(?=(\s+)[\"'(\[<A-Z0-9])")
_LIST_NUMBER = re.compile(r"(?:[-*+] )?\d{1,3}")  # "37." numbering a reference entry
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.")
# Longest sentence handed on. Text without sentence breaks (a 5 MB line) is cut into pieces of
# at most this size, so per-sentence work (spaCy, context scans, the ``sentence`` column) stays
# bounded instead of growing with the square of the line length.
MAX_SENTENCE_CHARS = 4000


def pack(spans: Iterable[tuple[int, int]]) -> bytes:
    """(start, end) spans as one bytes object: a typecode byte, then 8 bytes a span (16 for
    offsets past 4 GiB).

    A corpus's sentence spans wait from extraction until attribution; as tuples of ints they
    took ~37 MB per 1,000 documents in small Python objects, packed ~2.5 MB.
    """
    flat = list(chain.from_iterable(spans))
    try:
        packed = array("I", flat)
    except OverflowError:
        packed = array("q", flat)
    return packed.typecode.encode("ascii") + packed.tobytes()


def unpack(data: bytes) -> tuple[tuple[int, int], ...]:
    """The spans ``pack`` stored, in order."""
    if not data:
        return ()
    flat = iter(memoryview(data)[1:].cast(chr(data[0])).tolist())
    return tuple(zip(flat, flat))


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: text between blank lines, stripped of surrounding whitespace."""
    spans = []
    pos = 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        spans.extend(_stripped(text, pos, m.start()))
        pos = m.end()
    spans.extend(_stripped(text, pos, len(text)))
    return spans


def sentences(text: str, abbreviations: frozenset[str]) -> list[tuple[int, int]]:
    """Sentence spans inside paragraphs; headings and list items stand alone.

    Args:
        text: the analysis view.
        abbreviations: lower-cased words that end with a period without ending a sentence
            ("et al", "i.p", "fig"), from rules/lexicons/abbreviations.txt.
    """
    out: list[tuple[int, int]] = []
    for p_start, p_end in paragraphs(text):
        for b_start, b_end in _blocks(text, p_start, p_end):
            for s_start, s_end in _split_block(text, b_start, b_end, abbreviations):
                if s_end - s_start > MAX_SENTENCE_CHARS:
                    out.extend(_capped(text, s_start, s_end))
                else:  # already stripped: what _capped would yield
                    out.append((s_start, s_end))
    return out


def _capped(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_CHARS at whitespace (hard cut if there is none)."""
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = max(text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, limit),
                  text.rfind("\n", start + MAX_SENTENCE_CHARS // 2, limit))
        cut = limit if cut < 0 else cut
        yield from _stripped(text, start, cut)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    yield from _stripped(text, start, end)


_BLOCK_START = re.compile(r"(?m)^(?:(#{1,6} )|[-*+] |\d{1,3}\. )")
# The same after a line break: the literal lets the regex engine skip to line starts, where the
# anchored pattern is tried at every position (~7x slower over the 1k corpus).
_BLOCK_AFTER_BREAK = re.compile(r"\n(?:(#{1,6} )|[-*+] |\d{1,3}\. )")


def _block_starts(text: str, start: int, end: int) -> Iterator[tuple[int, bool]]:
    """What ``_BLOCK_START.finditer(text, start, end)`` finds: (offset, is a heading)."""
    if start == 0 or text[start - 1] == "\n":
        m = _BLOCK_START.match(text, start, end)
        if m:
            yield start, m.group(1) is not None
    for m in _BLOCK_AFTER_BREAK.finditer(text, start, end):
        yield m.start() + 1, m.group(1) is not None


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split a paragraph at list items and heading lines, which never join a sentence."""
    pos = start
    for at, heading in _block_starts(text, start, end):
        if at > pos:
            yield from _stripped(text, pos, at)
        pos = at
        if heading:  # a heading ends at its line end
            line_end = text.find("\n", pos, end)
            line_end = end if line_end < 0 else line_end
            yield from _stripped(text, pos, line_end)
            pos = line_end
    if pos < end:
        yield from _stripped(text, pos, end)


def _split_block(text: str, start: int, end: int,
                 abbreviations: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Sentences of a block; every span is stripped and non-empty, as ``_stripped`` gives.

    The block itself is stripped, a cut ends on punctuation or a closer and the next sentence
    starts after the whitespace the candidate looked ahead to, at the opener it saw.
    """
    pos = start
    block = text[start:end]
    for m in _CANDIDATE.finditer(block):
        if block[m.start()] == "." and (_is_abbreviation(block, m.start() + 1, abbreviations)
                                        or _LIST_NUMBER.fullmatch(block, 0, m.start())):
            continue
        yield pos, start + m.end()
        pos = start + m.end(1)
    yield pos, end


def _is_abbreviation(block: str, dot_end: int, abbreviations: frozenset[str]) -> bool:
    if dot_end < 2 or block[dot_end - 2] not in _WORD_CHARS:
        return False  # _WORD_BEFORE needs a letter or a period before the dot
    m = _WORD_BEFORE.search(block, max(0, dot_end - 12), dot_end)
    if not m:
        return False
    word = m.group(1).lower()
    # Single initials ("J. Smith") and listed abbreviations do not end a sentence.
    return len(word) == 1 or word in abbreviations or word.rstrip(".") in abbreviations


def _stripped(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if end > start else []


def containing(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The span of ``spans`` (sorted) that contains [start, end), else the smallest cover."""
    from bisect import bisect_right

    k = bisect_right(spans, (start, float("inf"))) - 1
    if k >= 0 and spans[k][0] <= start and end <= spans[k][1]:
        return spans[k]
    lo = spans[k][0] if k >= 0 else start
    j = k
    while j + 1 < len(spans) and spans[j + 1][0] < end:
        j += 1
    hi = max(end, spans[j][1]) if j >= 0 else end
    return (min(lo, start), hi)
