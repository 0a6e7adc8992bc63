"""Which span rules could match a sentence, decided from its characters before spaCy runs.

Every token pattern in rules/patterns has a required token drawn from a finite list ("%",
a mass unit, a population noun ...): its *anchor*. A rule cannot match a sentence in which no
anchor of it is written, so the Matcher for a sentence needs only the rules whose anchors
appear. The Matcher's cost grows with the number of rules, and most sentences hold the
anchors of one or two groups (shared/PERF-NOTES.md §2).

The test is deliberately loose (case-insensitive; a word anchor is any whole run of ASCII
letters, other anchors any substring), so it can say "maybe" where spaCy finds nothing but
never "no" where a rule matches; tests compare both paths on the seeds and benchmark texts.

A match also lies close to its anchor: no more tokens before the anchor token than the specs
before it allow (its *reach*), and likewise after. spaCy tokenizes each whitespace-separated
chunk on its own and every chunk gives at least one token, so the chunks from ``before``
chunks left of an anchor's chunk to ``after`` chunks right of it hold every match built on
that anchor, tokenized exactly as in the whole sentence. ``windows`` gives those stretches:
about half of the candidate sentences' characters, so half the tokenizing and matching.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Words and signs in most sentences: an anchor made of these is chosen only as a last resort.
_COMMON = frozenset({"a", "an", "the", "of", "in", "and", "or", "to", "from", "between", "per",
                     "-", "/", ",", ".", "(", ")"})
_REQUIRED_OPS = (None, "+")


@dataclass(frozen=True)
class Group:
    """Rules sharing one anchor list; a rule without an anchor gets an empty one (always run)."""

    words: frozenset[str]  # ASCII-letter anchors, compared with whole lower-case words
    signs: tuple[str, ...]  # other anchors ("%", "kg-1", "µg"), looked for as substrings
    rules: tuple[int, ...]  # indexes into the pattern list
    # Most tokens a match may have before and after its anchor token; None when unbounded.
    reach: tuple[int, int] | None = None

    def could_match(self, words: frozenset[str] | set[str], lowered: str) -> bool:
        if not (self.words or self.signs):
            return True
        return not self.words.isdisjoint(words) or any(s in lowered for s in self.signs)

    def positions(self, lowered: str, words: frozenset[str] | set[str]) -> list[int]:
        """Where an anchor of this group may stand in lower-cased text (loose, like
        could_match); ``words`` are the text's ``words_of``."""
        found = [i for sign in self.signs for i in _all_at(lowered, sign)]
        for word in self.words & words:  # usually one or two: str.find beats a regex here
            end = len(word)
            found += [i for i in _all_at(lowered, word)
                      if not (i and "a" <= lowered[i - 1] <= "z")
                      and not "a" <= lowered[i + end:i + end + 1] <= "z"]
        return found


def _all_at(text: str, part: str) -> list[int]:
    out, i = [], text.find(part)
    while i >= 0:
        out.append(i)
        i = text.find(part, i + 1)
    return out


def groups(patterns: Sequence[Mapping[str, Any]]) -> tuple[Group, ...]:
    """Group ``patterns`` (rules.Rules.patterns, lexicons expanded) by their anchor list."""
    by_anchor: dict[tuple[str, ...], list[int]] = {}
    for i, entry in enumerate(patterns):
        by_anchor.setdefault(anchor_words(entry["pattern"]) or (), []).append(i)
    out = []
    for words, idx in sorted(by_anchor.items(), key=lambda kv: kv[1][0]):
        plain = frozenset(w for w in words if _ASCII_WORD.fullmatch(w))
        reaches = [_reach(patterns[i]["pattern"], words) for i in idx] if words else [None]
        reach = None if None in reaches else (max(r[0] for r in reaches if r),
                                              max(r[1] for r in reaches if r))
        out.append(Group(plain, tuple(w for w in words if w not in plain), tuple(idx), reach))
    return tuple(out)


def windows(text: str, lowered: str, words: frozenset[str] | set[str],
            groups: Sequence[Group]) -> list[tuple[int, int]]:
    """Character spans of ``text`` holding every match of the rules of ``groups``.

    ``lowered`` is ``text.lower()`` and ``words`` its ``words_of``. Spans start and end at
    chunk edges and are merged where they overlap or touch (only whitespace between them).
    """
    if len(lowered) != len(text) or any(g.reach is None for g in groups):
        return [(0, len(text))]  # lower() moved offsets ("İ"), or a rule of unbounded length
    # An anchor lies inside a chunk. Its window runs from ``before`` chunks left of that
    # chunk to ``after`` chunks right of it: two bounded regex matches (the left one on the
    # reversed text) instead of cutting the whole sentence into chunks.
    backwards = text[::-1]
    n = len(text)
    ranges = []
    for group in groups:
        before, after = group.reach  # type: ignore[misc]
        for i in group.positions(lowered, words):
            start = n - _chunks_after(before).match(backwards, n - i).end()
            ranges.append((start, _chunks_after(after).match(text, i).end()))
    ranges.sort()
    merged: list[list[int]] = []
    for lo, hi in ranges:
        if merged and (lo <= merged[-1][1] or text[merged[-1][1]:lo].isspace()):
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


@lru_cache(maxsize=64)
def _chunks_after(count: int) -> re.Pattern[str]:
    """The rest of the chunk a match starts in, then up to ``count`` more chunks."""
    return re.compile(rf"\S*(?:\s+\S+){{0,{count}}}")


def _reach(pattern: Sequence[Mapping[str, Any]], anchor: tuple[str, ...]
           ) -> tuple[int, int] | None:
    """Most tokens ``pattern`` matches before and after the spec that ``anchor`` comes from."""
    at = next(i for i, spec in enumerate(pattern) if _finite(spec) == frozenset(anchor))
    sizes = [_most_tokens(spec) for spec in pattern]
    if None in sizes:
        return None
    return sum(sizes[:at]), sum(sizes[at + 1:])  # type: ignore[arg-type]


def _most_tokens(spec: Mapping[str, Any]) -> int | None:
    op = spec.get("OP")
    if op in (None, "?", "!"):
        return 1
    bounds = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", op)
    if bounds is None:
        return None  # "+", "*": no bound
    low, comma, high = bounds.groups()
    if not comma:
        return int(low)
    return int(high) if high else None


def words_of(lowered: str) -> set[str]:
    """Maximal runs of ASCII letters in a lower-cased sentence: a token whose lower case is
    an ASCII word is one of them."""
    return set(letters_only(lowered).split())


def letters_only(text: str) -> str:
    """``text`` with its ASCII letters lower-cased and every other character a space, at the
    same offsets; bytes.translate is ~3x faster than a regex here."""
    return text.encode("ascii", "replace").translate(_LETTERS_ONLY).decode("ascii")


def anchor_words(pattern: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
    """The rarest finite word list one required token of ``pattern`` must come from."""
    options = [words for spec in pattern if (words := _finite(spec))]
    if not options:
        return None
    best = min(options, key=lambda w: (bool(_COMMON & set(w)), len(w), sorted(w)))
    return tuple(sorted(best))


def _finite(spec: Mapping[str, Any]) -> frozenset[str] | None:
    """The strings a required token must equal (lower-cased), when the spec lists them."""
    if spec.get("OP") not in _REQUIRED_OPS:
        return None
    attrs = set(spec) - {"OP"}
    if len(attrs) != 1 or not attrs <= {"LOWER", "ORTH", "TEXT"}:
        return None
    value = spec[attrs.pop()]
    if isinstance(value, str):
        return frozenset({value.lower()})
    if isinstance(value, Mapping) and set(value) == {"IN"}:
        return frozenset(str(v).lower() for v in value["IN"])
    return None


_ASCII_WORD = re.compile(r"[a-z]+")
# ASCII letters stay (folded to lower case), every other byte becomes a space. Encoding with
# errors="replace" gives one byte per character, so offsets do not move; bytes.translate is fast.
_LETTERS_ONLY = bytes(c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 else 32
                      for c in range(256))
