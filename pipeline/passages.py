"""Passages of a document and their MinHash signatures (the blocking half of dedup).

A passage is a paragraph of the canonical text, or a window of a few sentences of a long paragraph;
its ``(start, end)`` are exact offsets into the canonical text. Only passages with at least
``MIN_PASSAGE_CHARS`` content characters are matched, so headings, reference titles and other short
shared runs never link two documents.

Signatures follow datasketch's ``affine32`` MinHash scheme (permutation parameters are taken from
``datasketch.MinHash``), but are computed for all passages of a document at once with numpy:
datasketch hashes shingles one Python call at a time, which PERF-NOTES §4 shows is the cost floor of
dedup. Word hashes come from ``hashlib.blake2b``, so signatures are the same in every process
(Python's ``hash()`` is salted per process).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from itertools import chain

import numpy as np
from datasketch import MinHash

from pipeline.normalize import HYPHEN_BREAK, same_length
from pipeline.records import stable_id

# --- tunables (any change here changes PARAMS_VERSION and so invalidates cached signatures) ----
MIN_PASSAGE_CHARS = 200  # content (non-space) characters; shorter passages are never matched
MAX_PARAGRAPH_CHARS = 1500  # longer paragraphs are cut into sentence windows
SENTENCES_PER_WINDOW = 4  # a count, not a size: light edits never move a window boundary
MAX_PASSAGE_CHARS = 4000  # text without sentence ends (tables, lists) is cut at spaces past this
SHINGLE_WORDS = 5
NUM_PERM = 128
MINHASH_SEED = 1
FOLD_VERSION = 1  # bump when fold() changes
CHUNK_SHINGLES = 1 << 16  # shingles permuted at once: bounds memory at 32 MB for a 50 MB file

PARAMS_VERSION = stable_id(
    "passages",
    MIN_PASSAGE_CHARS,
    MAX_PARAGRAPH_CHARS,
    SENTENCES_PER_WINDOW,
    MAX_PASSAGE_CHARS,
    SHINGLE_WORDS,
    NUM_PERM,
    MINHASH_SEED,
    FOLD_VERSION,
    length=12,
)

# Starts with the newline so the regex engine can skip ahead to candidates; spaces before it are
# trimmed from the paragraph by _strip.
_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*\n(?:[ \t\u00a0]*\n)*")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+(?=[A-Z0-9\"'\u201c\u2018(\[])")
_WORD = re.compile(r"\w+")
_MASK32 = np.uint64(0xFFFFFFFF)
# Odd 64-bit multipliers that combine the word hashes of a shingle (position matters).
_SHINGLE_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)[:SHINGLE_WORDS]
_PERM_A, _PERM_B = (p.astype(np.uint32) for p in MinHash(NUM_PERM, seed=MINHASH_SEED).permutations)


@dataclass(frozen=True, slots=True)
class Signatures:
    """Matchable passages of one document: spans (n, 2) int64 and MinHashes (n, NUM_PERM) uint32."""

    spans: np.ndarray
    minhashes: np.ndarray

    def __len__(self) -> int:
        return len(self.spans)


def content_len(text: str) -> int:
    """Return the number of characters other than spaces, tabs, line breaks and nbsp."""
    # str.count is a C loop; split() + join() copies the text and is ~5x slower.
    blanks = text.count(" ") + text.count("\n") + text.count("\t") + text.count("\r")
    return len(text) - blanks - text.count("\u00a0")


def fold(text: str) -> str:
    """Normalize a passage for comparison: quotes, dashes, nbsp, line-end hyphenation, case, spaces."""
    return " ".join(HYPHEN_BREAK.sub("", same_length(text).lower()).split())


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each paragraph: text between blank lines, trimmed."""
    spans, pos = [], 0
    for m in _BLANK_LINES.finditer(text):
        spans.append(_strip(text, pos, m.start()))
        pos = m.end()
    spans.append(_strip(text, pos, len(text)))
    return [(s, e) for s, e in spans if e > s]


def passage_spans(text: str) -> list[tuple[int, int]]:
    """Return the spans of the matchable passages of ``text``, in text order.

    Args:
        text: canonical document text.

    Returns:
        Paragraphs, with long paragraphs cut into windows of ``SENTENCES_PER_WINDOW`` sentences,
        keeping only those with at least ``MIN_PASSAGE_CHARS`` content characters.
    """
    spans = []
    for start, end in paragraph_spans(text):
        if end - start > MAX_PARAGRAPH_CHARS:
            spans.extend(_sentence_windows(text, start, end))
        else:
            spans.append((start, end))
    return [(s, e) for s, e in spans if content_len(text[s:e]) >= MIN_PASSAGE_CHARS]


def _sentence_windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [m.end() for m in _SENTENCE_END.finditer(text, start, end)]
    starts = [start] + cuts[SENTENCES_PER_WINDOW - 1 :: SENTENCES_PER_WINDOW]
    if len(starts) > 1 and len(cuts) % SENTENCES_PER_WINDOW < 2:
        starts.pop()  # a last window of 0-1 sentences joins the one before
    bounds = starts[1:] + [end]
    return [piece for s, e in zip(starts, bounds) for piece in _hard_cut(text, s, _rstrip(text, s, e))]


def _hard_cut(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a window longer than MAX_PASSAGE_CHARS at the first space after each limit."""
    pieces = []
    while end - start > MAX_PASSAGE_CHARS:
        cut = text.find(" ", start + MAX_PASSAGE_CHARS, end)
        if cut < 0:
            break
        pieces.append((start, _rstrip(text, start, cut)))
        start = cut + 1
    return pieces + [(start, end)]


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    return start, _rstrip(text, start, end)


def _word_hash(word: str | bytes) -> int:
    data = word if isinstance(word, bytes) else word.encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


# Memo of word hashes shared by all documents: the vocabulary repeats, and a set difference finds
# the new words without a Python call per word. Cleared when it grows past _MEMO_MAX words.
_WORD_HASHES: dict[str | bytes, int] = {}
_MEMO_MAX = 1 << 20


def _hashes_of(words: list[list[str]] | list[list[bytes]], total: int) -> np.ndarray:
    flat = chain.from_iterable(words)
    distinct = set(chain.from_iterable(words))
    if len(_WORD_HASHES) > _MEMO_MAX:
        _WORD_HASHES.clear()
    for w in distinct.difference(_WORD_HASHES):
        _WORD_HASHES[w] = _word_hash(w)
    return np.fromiter(map(_WORD_HASHES.__getitem__, flat), dtype=np.uint64, count=total)


def _passage_words(text: str, spans: list[tuple[int, int]]) -> list[list[str] | list[bytes]]:
    """Return the folded words of each passage (the words of ``fold``, without building it).

    A word is a str, or its UTF-8 bytes (which hash the same): when every non-ASCII character
    of a passage is a word character (98 % of passages of the 1k corpus), its words are the
    runs of word bytes, split in C about 3x faster than the regex finds them.
    """
    low = same_length(text).lower()
    if len(low) != len(text):  # a rare lower() that changes length: fold passage by passage
        return [_WORD.findall(fold(text[s:e])) for s, e in spans]
    out: list[list[str] | list[bytes]] = []
    for s, e in spans:
        part = _dehyphenate(low[s:e])
        if part.isascii() or not _NON_WORD_NON_ASCII.search(part):
            out.append(part.encode("utf-8").translate(_WORD_BYTES).split())
        else:
            out.append(_WORD.findall(part))
    return out


# Bytes of word characters stay: ASCII letters, digits and "_" (what \w matches in ASCII) and
# every byte of a multi-byte UTF-8 character; the rest become spaces.
_WORD_BYTES = bytes(c if chr(c).isalnum() and c < 128 or c == 95 or c >= 128 else 32
                    for c in range(256))
_NON_WORD_NON_ASCII = re.compile(r"[^\w\x00-\x7f]")


def _dehyphenate(text: str) -> str:
    return HYPHEN_BREAK.sub("", text) if "-\n" in text else text


def _shingle_hashes(words: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Return uint32 hashes of every passage's word shingles and each passage's first index."""
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    total = int(lengths.sum())
    h = _hashes_of(words, total)
    h = np.concatenate([h, np.zeros(SHINGLE_WORDS, dtype=np.uint64)])  # pad the last shingles
    acc = np.zeros(total + 1, dtype=np.uint64)
    for j in range(SHINGLE_WORDS):  # wrapping uint64 arithmetic is the intended mod 2^64
        acc += h[j : j + total + 1] * _SHINGLE_MULT[j]
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    # shingles that start in a passage and end inside it; a passage shorter than one shingle
    # keeps its first (padded or crossing) shingle so that it is never empty
    count = np.maximum(lengths - SHINGLE_WORDS + 1, 1)
    keep = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    offsets = np.concatenate([[0], np.cumsum(count)[:-1]])
    return (acc[keep] >> np.uint64(32)).astype(np.uint32), offsets


def _fmix32(h: np.ndarray) -> np.ndarray:
    # MurmurHash3's 32-bit finalizer, the pre-mix datasketch's affine32 scheme applies.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def compute_signatures(text: str) -> Signatures:
    """Return the matchable passages of ``text`` and one MinHash signature per passage.

    Args:
        text: canonical document text.

    Returns:
        Spans and signatures; a row equals ``datasketch.MinHash(NUM_PERM, seed=MINHASH_SEED)``
        updated with the same shingle hashes (scheme ``affine32``).
    """
    spans = passage_spans(text)
    if not spans:
        return Signatures(np.zeros((0, 2), np.int64), np.zeros((0, NUM_PERM), np.uint32))
    words = _passage_words(text, spans)
    minhashes = np.concatenate([_minhashes(words[i:j]) for i, j in _chunks(words)])
    return Signatures(np.asarray(spans, dtype=np.int64), minhashes)


def _chunks(words: list[list[str]]) -> list[tuple[int, int]]:
    """Cut the passage list into runs of at most ~CHUNK_SHINGLES shingles (at least one passage)."""
    bounds, start, size = [], 0, 0
    for i, w in enumerate(words):
        if size and size + len(w) > CHUNK_SHINGLES:
            bounds.append((start, i))
            start, size = i, 0
        size += len(w)
    bounds.append((start, len(words)))
    return bounds


def _minhashes(words: list[list[str]]) -> np.ndarray:
    """Return the (len(words), NUM_PERM) MinHash signatures of some passages."""
    hashes, offsets = _shingle_hashes(words)
    with np.errstate(over="ignore"):  # (perm, shingle) layout: reduceat runs over contiguous rows
        permuted = _PERM_A[:, None] * _fmix32(hashes)[None, :] + _PERM_B[:, None]
    return np.ascontiguousarray(np.minimum.reduceat(permuted, offsets, axis=1).T)
