"""Conflicts: what a curator must look at (DESIGN.md §7), as records with stable ids.

Numeric kinds compare two findings of one study with the same label and unit, compatible drugs
(equal, or one unknown) and compatible measures (equal, or one unknown); sample sizes also need
the same stated population. Two such findings are *the same measure* only when their values
are close: one is the other rounded (``33.3`` / ``33``: they differ by less than one unit in
the last printed place of the coarser value), or they differ by at most the label's
tolerance below. Anything further apart is taken for different arms of the study
(``0.2`` / ``2.0 mg/kg``, ``n = 111`` / ``n = 100``) and is not a conflict.

* ``internal``: one original document states both values (``0.41 mg/ kg`` and ``0.4 mg/kg``
  of the same arm in seed 000); one conflict per such document.
* ``rounding``: different documents, one value is the other rounded.
* ``value_mismatch``: different documents, close values that are not a rounding.

Copies do not disagree with their original: documents are compared by the original document
of each mention (``copy_of``). Citation kinds are in ``pipeline.citeconflicts``.

A ``conflict_id`` hashes the kind, the study and each side's *identity* (a finding id, with the
document's source path for ``internal``; a cited key; a reference key), never row positions or
content hashes, so ids survive re-runs, new documents and edits elsewhere in a document.
``evidence_hash`` hashes both sides' values and sentences: when it changes, a curator's
decision on the conflict reopens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from pipeline.findings import Evidence
from pipeline.records import Conflict, Finding, Mention, stable_id

DOSE_RELATIVE_TOLERANCE = 0.10  # 0.41 vs 0.40 mg/kg is the same dose; 0.2 vs 2.0 are arms
PERCENT_POINT_TOLERANCE = 1.0  # 66% vs 67% may be one figure; 24% vs 66% are two groups
COUNT_RELATIVE_TOLERANCE = 0.10
SENTENCE_SEPARATOR = " | "


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a conflict: what it says and where."""

    identity: str  # what the side *is* (finding id, cited key ...), hashed into conflict_id
    value: str
    ids: tuple[str, ...]  # mention ids (or ref ids for a reference side)
    sources: tuple[str, ...]
    sentences: tuple[str, ...]


def side(identity: str, value: str, items: Iterable[Mention]) -> Side:
    """A side made of mentions (their ids, sources and distinct sentences, in order)."""
    items = list(items)
    sentences = tuple(dict.fromkeys(m.sentence for m in items))
    return Side(identity, value, tuple(m.mention_id for m in items),
                tuple(sorted({m.source for m in items})), sentences)


def make(kind: str, study_key: str, label: str, a: Side, b: Side,
         extra: dict[str, str] | None = None) -> Conflict:
    """Build a conflict record with its stable id and evidence hash."""
    return Conflict(
        conflict_id=stable_id("conflict", kind, study_key, a.identity, b.identity),
        kind=kind, study_key=study_key, label=label, value_a=a.value, value_b=b.value,
        mention_a=";".join(a.ids), mention_b=";".join(b.ids),
        sentence_a=SENTENCE_SEPARATOR.join(a.sentences),
        sentence_b=SENTENCE_SEPARATOR.join(b.sentences),
        evidence_hash=stable_id("evidence", a.value, *a.sentences, "\x1e", b.value,
                                *b.sentences),
        source_a=";".join(a.sources), source_b=";".join(b.sources), extra=extra or {})


def fmt(v: float) -> str:
    """A value as printed in conflicts: no trailing zeros (``2.0`` -> ``2``)."""
    return f"{v:.10g}"


def describe(f: Finding) -> str:
    """``0.41 mg/kg ketamine``, ``40-80 %``: a finding's value for a curator."""
    value = fmt(f.value) if f.value is not None else f"{fmt(f.low or 0)}-{fmt(f.high or 0)}"
    return " ".join(x for x in (value, f.unit, f.drug) if x)


def decimals(v: float) -> int:
    """Decimal places of ``v`` as printed without trailing zeros."""
    text = fmt(v)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def is_rounding(a: float, b: float) -> bool:
    """True when one value is the other rounded or truncated to fewer decimals."""
    return _rounds(a, decimals(a), b, decimals(b))


def _rounds(a: float, da: int, b: float, db: int) -> bool:
    # is_rounding with the decimals of both values known.
    if a == b or da == db:
        return False
    return abs(a - b) < 10 ** -min(da, db) - 1e-12


def _close(a: float, da: int, b: float, db: int, label: str) -> bool:
    if _rounds(a, da, b, db) or a == b:
        return True
    if label == "PERCENTAGE":
        return abs(a - b) <= PERCENT_POINT_TOLERANCE + 1e-12
    tol = DOSE_RELATIVE_TOLERANCE if label == "DOSE" else COUNT_RELATIVE_TOLERANCE
    return abs(a - b) <= tol * max(abs(a), abs(b)) + 1e-12


def _points(f: Finding) -> tuple[float, ...]:
    return (f.value,) if f.value is not None else (f.low or 0.0, f.high or 0.0)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What comparing and ordering read of one finding. A study's findings of one label and
    unit are compared pairwise, so this is worked out once per finding, not once per pair."""

    evidence: Evidence
    label: str
    drug: str | None
    measures: frozenset[str]
    populations: frozenset[str]
    points: tuple[float, ...]
    places: tuple[int, ...]  # decimals of each point
    rank: tuple  # side A is the lower: more decimals, then the smaller value, then the id

    @classmethod
    def of(cls, e: Evidence) -> _Facts:
        f = e.finding
        points = _points(f)
        places = tuple(decimals(p) for p in points)
        populations = frozenset(" ".join((m.population or "").lower().split())
                                for m in e.mentions) - {""}
        return cls(e, f.label, f.drug, frozenset(m.measure for m in e.mentions if m.measure),
                   populations, points, places, (-max(places), points, f.finding_id))

    def comparable(self, other: _Facts) -> bool:
        """``comparable`` for two findings already known to share study, label and unit."""
        if self.drug and other.drug and self.drug != other.drug:
            return False
        if self.measures and other.measures and not self.measures & other.measures:
            return False
        if self.label == "SAMPLE_SIZE" and not self.populations & other.populations:
            return False  # counts of unnamed groups are arms until a population says otherwise
        return len(self.points) == len(other.points) and all(
            _close(a, da, b, db, self.label)
            for a, da, b, db in zip(self.points, self.places, other.points, other.places))


def comparable(e1: Evidence, e2: Evidence) -> bool:
    """Same study and measure, values close enough to be one figure (see module docstring)."""
    f1, f2 = e1.finding, e2.finding
    if (f1.study_key, f1.label, f1.unit) != (f2.study_key, f2.label, f2.unit):
        return False
    return _Facts.of(e1).comparable(_Facts.of(e2))


def numeric(evidence: Sequence[Evidence]) -> list[Conflict]:
    """``internal``, ``rounding`` and ``value_mismatch`` conflicts between findings."""
    by_group: dict[tuple, list[Evidence]] = {}
    for e in evidence:
        f = e.finding
        by_group.setdefault((f.study_key, f.label, f.unit), []).append(e)
    out: list[Conflict] = []
    for group in by_group.values():
        if len(group) < 2:
            continue
        facts = [_Facts.of(e) for e in group]
        for i, j in _near_pairs(facts):
            x, y = facts[i], facts[j]
            if x.comparable(y):
                a, b = (x, y) if x.rank <= y.rank else (y, x)
                out.extend(_pair(a.evidence, b.evidence))
    return out


def _near_pairs(facts: Sequence[_Facts]) -> list[tuple[int, int]]:
    """Index pairs (i < j, in order) whose first values are close enough that the findings
    may be comparable: every other pair fails ``_close`` on that value.

    A popular study has a finding in many documents; comparing all pairs grew with the
    square of the corpus. Sorted by value, each finding meets only its neighbours.
    """
    firsts = [f.points[0] for f in facts]
    if min(firsts) < 0:
        return list(combinations(range(len(facts)), 2))  # the bound below assumes >= 0
    # _close holds only if the gap is under 1 (rounding), within the percent points, or
    # within the relative tolerance of the larger value: b - a <= slack + rel * b.
    slack = max(1.0, PERCENT_POINT_TOLERANCE) + 1e-9
    rel = max(DOSE_RELATIVE_TOLERANCE, COUNT_RELATIVE_TOLERANCE)
    order = sorted(range(len(facts)), key=firsts.__getitem__)
    pairs = []
    for k, i in enumerate(order):
        limit = (firsts[i] + slack) / (1 - rel)
        for j in order[k + 1:]:
            if firsts[j] > limit:
                break
            pairs.append((i, j) if i < j else (j, i))
    return sorted(pairs)


def _pair(a: Evidence, b: Evidence) -> list[Conflict]:
    fa, fb = a.finding, b.finding
    extra = {"finding_a": fa.finding_id, "finding_b": fb.finding_id}
    oa, ob = set(a.origins), set(b.origins)
    out = []
    for doc in sorted(oa & ob):
        out.append(make("internal", fa.study_key, fa.label,
                        side(f"{fa.finding_id}@{doc}", describe(fa), a.by_origin(doc)),
                        side(f"{fb.finding_id}@{doc}", describe(fb), b.by_origin(doc)), extra))
    only_a, only_b = oa - ob, ob - oa
    if only_a and only_b:
        pa, pb = _points(fa), _points(fb)
        kind = ("rounding" if all(x == y or is_rounding(x, y) for x, y in zip(pa, pb))
                else "value_mismatch")
        ma = [m for m, o in zip(a.mentions, a.origins) if o in only_a]
        mb = [m for m, o in zip(b.mentions, b.origins) if o in only_b]
        out.append(make(kind, fa.study_key, fa.label, side(fa.finding_id, describe(fa), ma),
                        side(fb.finding_id, describe(fb), mb), extra))
    return out
