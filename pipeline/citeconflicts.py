"""Citation conflicts: a cited year or author spelling that disagrees with the references.

* ``year_mismatch``: a citation's key (``dakwar_2016``) is *unbacked*, i.e. no reference entry
  anywhere in the corpus, and no citation resolved to one, has it, while the same first-author
  surname is backed with another year. The candidate year must be at most
  ``MAX_YEAR_GAP`` away, and either at most one year away or supported by a shared finding
  (same label, unit and value under both keys). The best candidate has the most shared
  findings, then the smallest gap, then the earliest year. One conflict per
  (cited key, reference key); side A holds every citation of the cited key.
* ``name_variant``: citations whose ``name_variant`` is set (by the citation stage, or by
  ``pipeline.authoryear`` from the text, e.g. seed 004's ``Dr. Ezquerra-Romano ... 2018``)
  against the reference entries of their study key (seed 002's ``Ezquerro-Romano ...
  Neuropharmacology. 2018``). One conflict per (spelling, study key).

Findings stay under the key the text gives; the curator decides which is right.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.authoryear import fold
from pipeline.conflicts import Side, make, side
from pipeline.findings import Evidence
from pipeline.records import Conflict, Mention, Reference

MAX_YEAR_GAP = 2  # "2016" for a 2017 paper is a typo; "1997" for 2007 is another study


def _ref_side(key: str, refs: Sequence[Reference], value: str) -> Side:
    refs = sorted(refs, key=lambda r: (r.source, r.start))
    return Side(f"ref:{key}", value, tuple(r.ref_id for r in refs),
                tuple(sorted({r.source for r in refs})), tuple(dict.fromkeys(r.text for r in refs)))


def _surnames(r: Reference) -> set[str]:
    return {fold(r.authors[0]), fold(r.authors[0].split()[-1])} if r.authors else set()


def year_mismatches(mentions: Sequence[Mention], references: Sequence[Reference],
                    evidence: Sequence[Evidence]) -> list[Conflict]:
    """``year_mismatch`` conflicts (see the module docstring).

    Args:
        mentions: all mentions; CITATION ones with authors, year and study key are checked.
        references: reference entries of all documents.
        evidence: findings, used to prefer the candidate year that shares a value.
    """
    cites = [m for m in mentions if m.label == "CITATION" and m.study_key and m.authors
             and m.year]
    backed = {r.study_key for r in references if r.study_key}
    backed |= {m.study_key for m in cites if m.ref_ids}
    years: dict[str, set[tuple[int, str]]] = {}  # folded surname -> {(year, key)}
    for r in references:
        if r.study_key and r.year:
            for name in _surnames(r):
                years.setdefault(name, set()).add((int(r.year[:4]), r.study_key))
    for m in cites:
        if m.ref_ids:
            years.setdefault(fold(m.authors[0]), set()).add((int(m.year[:4]), m.study_key))
    unbacked: dict[str, list[Mention]] = {}
    for m in cites:
        if m.study_key not in backed:
            unbacked.setdefault(m.study_key, []).append(m)
    values = _values_by_key(evidence)
    # Indexed once: looking through every reference per conflict grew with the square of
    # the corpus.
    refs_of = _refs_by_key(references)
    backing_of: dict[str, list[Mention]] = {}
    for m in mentions:
        if m.label == "CITATION" and m.study_key and m.ref_ids:
            backing_of.setdefault(m.study_key, []).append(m)
    out = []
    for key in sorted(unbacked):
        group = sorted(unbacked[key], key=lambda m: (m.source, m.start))
        year = int(group[0].year[:4])
        found = _best_year(year, years.get(fold(group[0].authors[0]), set()),
                           values.get(key, set()), values)
        if found:
            out.append(_year_conflict(key, found, group, refs_of.get(found[1], []),
                                      backing_of.get(found[1], [])))
    return out


def _values_by_key(evidence: Sequence[Evidence]) -> dict[str, set[tuple]]:
    out: dict[str, set[tuple]] = {}
    for e in evidence:
        f = e.finding
        out.setdefault(f.study_key, set()).add((f.label, f.unit, f.value, f.low, f.high))
    return out


def _best_year(year: int, candidates: set[tuple[int, str]], own: set[tuple],
               values: dict[str, set[tuple]]) -> tuple[int, str] | None:
    ranked = []
    for y, key in candidates:
        gap = abs(y - year)
        shared = len(own & values.get(key, set()))
        if 0 < gap <= MAX_YEAR_GAP and (gap <= 1 or shared):
            ranked.append((-shared, gap, y, key))
    if not ranked:
        return None
    _, _, y, key = min(ranked)
    return y, key


def _year_conflict(cited: str, found: tuple[int, str], group: list[Mention],
                   refs: Sequence[Reference], backing: Sequence[Mention]) -> Conflict:
    """``refs``: the references of the found key; ``backing``: its citations that resolved
    to a reference in their own document."""
    year, key = found
    a = side(f"cited:{cited}", f"{group[0].authors[0]} {group[0].year}", group)
    if refs:
        refs = sorted(refs, key=lambda r: (r.source, r.start))
        b = _ref_side(key, refs, f"{refs[0].authors[0]} {year}")
    else:  # backed only by citations that resolved in their own document
        backing = sorted(backing, key=lambda m: (m.source, m.start))
        b = side(f"ref:{key}", f"{backing[0].authors[0]} {year}", backing)
    return make("year_mismatch", key, "CITATION", a, b, {"cited_key": cited})


def _refs_by_key(references: Sequence[Reference]) -> dict[str, list[Reference]]:
    """References by study key, in the given order; those without a key are left out."""
    out: dict[str, list[Reference]] = {}
    for r in references:
        if r.study_key:
            out.setdefault(r.study_key, []).append(r)
    return out


def name_variants(mentions: Sequence[Mention], references: Sequence[Reference]) -> list[Conflict]:
    """``name_variant`` conflicts (see the module docstring)."""
    refs_by_key = _refs_by_key(references)
    groups: dict[tuple[str, str], list[Mention]] = {}
    plain_by_key: dict[str, list[Mention]] = {}  # citations spelt as the key's own name
    for m in mentions:
        if m.label != "CITATION" or not m.study_key:
            continue
        if not m.name_variant:
            if m.authors:
                plain_by_key.setdefault(m.study_key, []).append(m)
            continue
        refs = refs_by_key.get(m.study_key, [])
        if any(fold(m.name_variant) in _surnames(r) for r in refs):
            continue  # the reference itself prints this spelling: no variant
        groups.setdefault((fold(m.name_variant), m.study_key), []).append(m)
    out = []
    for (spelling, key), group in sorted(groups.items()):
        group.sort(key=lambda m: (m.source, m.start))
        year = f" {group[0].year}" if group[0].year else ""
        a = side(f"name:{spelling}", f"{group[0].name_variant}{year}", group)
        b = _variant_other_side(key, refs_by_key.get(key, []), plain_by_key.get(key, []), year)
        if b is not None:
            out.append(make("name_variant", key, "CITATION", a, b))
    return out


def _variant_other_side(key: str, refs: list[Reference], plain: list[Mention],
                        year: str) -> Side | None:
    if refs:
        first = sorted(refs, key=lambda r: (r.source, r.start))[0]
        return _ref_side(key, refs, first.authors[0].split()[-1] + year)
    plain = sorted(plain, key=lambda m: (m.source, m.start))
    return side(f"ref:{key}", plain[0].authors[0] + year, plain) if plain else None
