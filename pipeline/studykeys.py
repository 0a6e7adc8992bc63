"""Study keys (``<first-author-surname>_<year>``) and fuzzy surname matching (DESIGN.md §7).

Keys are ASCII-folded and lower case so spellings with and without diacritics meet
("Sönmez" -> ``sonmez_2016``). Surnames that differ by a typo or transliteration
("Ezquerra-Romano" / "Ezquerro-Romano") are matched with rapidfuzz; the caller records the
variant instead of silently merging it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from rapidfuzz import fuzz, process

from pipeline.citation_rules import get_rules

# Letters NFKD does not decompose into ASCII.
_EXTRA_FOLD = MappingProxyType(str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th"}
))
_KEY = re.compile(r"^(?P<surname>.+)_(?P<year>\d{4}|nd)$")


@lru_cache(maxsize=65536)  # surnames repeat across a corpus; translate is the costly part
def fold(text: str) -> str:
    """ASCII-fold and lower-case a name; spaces and apostrophes go, hyphens stay.

    Example: ``fold("O'Brien")`` -> ``"obrien"``, ``fold("Köse Çınar")`` -> ``"kosecinar"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9-]+", "", ascii_only).strip("-")


def study_key(surname: str, year: str | None) -> str:
    """Key of a study: ``study_key("Krupitsky", "1997")`` -> ``"krupitsky_1997"``.

    Args:
        surname: first author's surname as printed.
        year: the year; a letter suffix is dropped (``"2014b"`` -> 2014); ``None`` gives ``nd``
            (no date), the bibliographic convention.

    Returns:
        ``<folded surname>_<year>``.
    """
    digits = re.match(r"\d{4}", year or "")
    return f"{fold(surname)}_{digits.group(0) if digits else 'nd'}"


def surname_similarity(a: str, b: str) -> float:
    """rapidfuzz ratio (0..100) of two folded surnames; a multi-word surname also compares
    by its last word ("Ivan Ezquerro-Romano" is "Ezquerro-Romano" with a stray given name)."""
    fa, fb = fold(a), fold(b)
    best = fuzz.ratio(fa, fb)
    for x, y in ((a, b), (b, a)):
        words = x.split()
        if len(words) > 1:
            best = max(best, fuzz.ratio(fold(words[-1]), fold(y)))
    return best


def same_author(a: str, b: str) -> bool:
    """True when two surnames name the same person (exact after folding, or fuzzily close)."""
    rules = get_rules()
    if fold(a) == fold(b):
        return True
    if min(len(fold(a)), len(fold(b))) < rules.surname_min_fuzzy_len:
        return False
    return surname_similarity(a, b) >= rules.surname_similarity


def match_surname(name: str, candidates: Iterable[str]) -> tuple[str, float] | None:
    """Best candidate surname that ``same_author`` accepts, with its similarity; else ``None``."""
    best: tuple[str, float] | None = None
    for cand in candidates:
        if same_author(name, cand):
            score = 100.0 if fold(cand) == fold(name) else surname_similarity(name, cand)
            if best is None or score > best[1]:
                best = (cand, score)
    return best


def unify_keys(keys: Iterable[str], preferred: Iterable[str] = ()) -> dict[str, str]:
    """Map each key to one canonical spelling shared by fuzzily equal surnames of the same year.

    Args:
        keys: study keys, with repeats (frequency breaks ties).
        preferred: keys to prefer as canonical (e.g. those printed in reference lists).

    Returns:
        ``{key: canonical key}`` for every distinct key (identity for keys with no variant).
    """
    counts = Counter(keys)
    pref = set(preferred)
    by_year: dict[str, list[str]] = {}
    for key in counts:
        m = _KEY.match(key)
        by_year.setdefault(m.group("year") if m else "", []).append(key)
    out: dict[str, str] = {}
    for group in by_year.values():
        # Reference-list spellings first, then the most frequent, then alphabetical: stable.
        group.sort(key=lambda k: (k not in pref, -counts[k], k))
        canonical = _canonical([_surname(k) for k in group])
        out.update((key, group[c]) for key, c in zip(group, canonical))
    return out


_BLOCK = 256  # rows of the similarity matrix computed at once


def _canonical(names: list[str]) -> list[int]:
    """For each name, the index of the name it is merged into: walking the names in order,
    each one not yet merged takes every later unmerged name that ``same_author`` accepts.

    All pairs of a year's surnames are compared; the single-word ones (nearly all) by
    rapidfuzz in blocks of rows, so a corpus with thousands of keys a year does no Python
    loop per pair. Pairs with a multi-word surname go through ``same_author``.
    """
    rules = get_rules()
    folded = [fold(n) for n in names]
    long_enough = [len(f) >= rules.surname_min_fuzzy_len for f in folded]
    single = [len(n.split()) == 1 for n in names]
    plain = [k for k in range(len(names)) if single[k] and long_enough[k]]
    close: dict[int, list[int]] = {}
    same: dict[str, list[int]] = {}
    for k, f in enumerate(folded):
        same.setdefault(f, []).append(k)
    for k, f in enumerate(folded):
        close[k] = [j for j in same[f] if j > k]
    texts = [folded[k] for k in plain]
    for start in range(0, len(plain), _BLOCK):
        scores = process.cdist(texts[start:start + _BLOCK], texts, scorer=fuzz.ratio,
                               score_cutoff=rules.surname_similarity, dtype=np.float32)
        for r, c in zip(*np.nonzero(scores)):
            if c > start + r:
                close[plain[start + r]].append(plain[c])
    multi = [k for k in range(len(names)) if not single[k]]
    canonical = [-1] * len(names)
    for i, name in enumerate(names):
        if canonical[i] >= 0:
            continue
        canonical[i] = i
        merged = close[i]
        if long_enough[i]:
            # What rapidfuzz did not compare: pairs with a multi-word surname.
            others = range(i + 1, len(names)) if not single[i] else (j for j in multi if j > i)
            merged = merged + [j for j in others if canonical[j] < 0 and folded[j] != folded[i]
                               and same_author(name, names[j])]
        for j in merged:
            if canonical[j] < 0:
                canonical[j] = i
    return canonical


def _surname(key: str) -> str:
    m = _KEY.match(key)
    return m.group("surname") if m else key
