"""Which span rules could match a sentence, decided from its characters before spaCy runs.

Every token pattern in rules/patterns has a required token drawn from a finite list ("%",
a mass unit, a population noun ...): its *anchor*. A rule cannot match a sentence in which no
anchor of it is written, so the Matcher for a sentence needs only the rules whose anchors
appear. The Matcher's cost grows with the number of rules, and most sentences hold the
anchors of one or two groups (shared/PERF-NOTES.md §2).

The test is deliberately loose (case-insensitive; a word anchor is any whole run of ASCII
letters, other anchors any substring), so it can say "maybe" where spaCy finds nothing but
never "no" where a rule matches; tests compare both paths on the seeds and benchmark texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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

    def could_match(self, words: frozenset[str] | set[str], lowered: str) -> bool:
        if not (self.words or self.signs):
            return True
        return not self.words.isdisjoint(words) or any(s in lowered for s in self.signs)


def groups(patterns: Sequence[Mapping[str, Any]]) -> tuple[Group, ...]:
    """Group ``patterns`` (rules.Rules.patterns, lexicons expanded) by their anchor list."""
    by_anchor: dict[tuple[str, ...], list[int]] = {}
    for i, entry in enumerate(patterns):
        by_anchor.setdefault(anchor_words(entry["pattern"]) or (), []).append(i)
    out = []
    for words, idx in sorted(by_anchor.items(), key=lambda kv: kv[1][0]):
        plain = frozenset(w for w in words if _ASCII_WORD.fullmatch(w))
        out.append(Group(plain, tuple(w for w in words if w not in plain), tuple(idx)))
    return tuple(out)


def words_of(lowered: str) -> set[str]:
    """Maximal runs of ASCII letters in a lower-cased sentence: a token whose lower case is
    an ASCII word is one of them."""
    return set(_NOT_LETTERS.sub(" ", lowered).split())


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
_NOT_LETTERS = re.compile(r"[^a-z]+")
