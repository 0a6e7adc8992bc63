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
        names = [_surname(k) for k in group]
        for i, key in enumerate(group):
            if key in out:
                continue
            out[key] = key
            rest = [j for j in range(i + 1, len(group)) if group[j] not in out]
            for k in same_authors(names[i], [names[j] for j in rest]):
                out[group[rest[k]]] = key
    return out


def same_authors(name: str, others: list[str]) -> set[int]:
    """Indexes of ``others`` that ``same_author(name, other)`` accepts, for many at once: the
    fuzzy ratio of single-word surnames is computed by rapidfuzz in one call (a year's keys
    compare all against all)."""
    rules = get_rules()
    folded = fold(name)
    hits = {k for k, o in enumerate(others) if fold(o) == folded}
    if len(folded) < rules.surname_min_fuzzy_len:
        return hits
    single = len(name.split()) == 1
    plain = [k for k, o in enumerate(others) if single and len(o.split()) == 1
             and len(fold(o)) >= rules.surname_min_fuzzy_len]
    found = process.extract(folded, [fold(others[k]) for k in plain], scorer=fuzz.ratio,
                            score_cutoff=rules.surname_similarity, limit=None)
    hits.update(plain[idx] for _, _, idx in found)
    done = set(plain)
    hits.update(k for k, o in enumerate(others) if k not in done and k not in hits
                and same_author(name, o))
    return hits


def _surname(key: str) -> str:
    m = _KEY.match(key)
    return m.group("surname") if m else key
