"""Frozen records that cross every boundary between stages (tasks, caches, CSV rows).

A spaCy ``Doc`` never leaves ``pipeline.extract``; everything else speaks in these records.
Optional fields default to ``None`` so each stage fills only what it knows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from functools import cache, lru_cache
from operator import attrgetter
from typing import Literal, TypeVar

_R = TypeVar("_R")

Label = Literal["DOSE", "SAMPLE_SIZE", "PERCENTAGE", "CITATION", "REFERENCE"]
NUMERIC_LABELS: tuple[str, ...] = ("DOSE", "SAMPLE_SIZE", "PERCENTAGE")
LABELS: tuple[str, ...] = ("DOSE", "SAMPLE_SIZE", "PERCENTAGE", "CITATION")

# A PDF character box: (page 1-based, x0, top, x1, bottom) in PDF points.
CharBox = tuple[int, float, float, float, float]


def stable_id(*parts: object, length: int = 16) -> str:
    """Return a short hex digest of ``parts``; ids built this way survive re-runs."""
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:length]


@lru_cache(maxsize=1 << 16)
def _span_id(doc_id: str, label: str, start: int, end: int) -> str:
    # Stages ask for the same record's id again and again (130k times on 1,000 documents);
    # a bounded memo keeps the hashing to about once per record without growing with a corpus.
    # The text stable_id hashes, written out: half the time of its join (a larger corpus
    # has more ids than the memo holds, and hashes on every call).
    text = f"{doc_id}\x1f{label}\x1f{start}\x1f{end}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def replaced(record: _R, **changes: object) -> _R:
    """``dataclasses.replace(record, **changes)`` in about two thirds of the time.

    ``replace`` walks the fields in Python and calls the constructor by keyword; a run
    replaces each of tens of thousands of mentions and findings once or more.
    """
    kind = type(record)
    names, known = _init_order(kind)
    if not (names and known.issuperset(changes)):
        return replace(record, **changes)  # its checks and its errors
    # Every field read in C, then only the changed ones set: most records have ~30 fields
    # and a change touches one or two.
    getter, position = _field_access(kind)
    values = list(getter(record)) if len(names) > 1 else [getter(record)]
    for name, value in changes.items():
        values[position[name]] = value
    return kind(*values)


@cache
def _init_order(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """The constructor's parameters in order (with their set), when they are the fields."""
    own = fields(cls)
    if len(own) != len(cls.__dataclass_fields__) or not all(f.init for f in own):
        return (), frozenset()  # InitVar, ClassVar or init=False: dataclasses.replace it is
    names = tuple(f.name for f in own)
    return names, frozenset(names)


@cache
def _field_access(cls: type) -> tuple[attrgetter, dict[str, int]]:
    """A getter of every constructor field at once, and each field's position."""
    names, _ = _init_order(cls)
    return attrgetter(*names), {n: i for i, n in enumerate(names)}


def pickled_by_fields(cls: type[_R]) -> type[_R]:
    """Pickle ``cls`` as its constructor and field values, read in C.

    A frozen slotted dataclass otherwise pickles through the per-field Python loops
    ``dataclasses`` writes for it, both ways; extraction batches are pickled into Prefect's
    result cache and across Dask, and this halves the time (22 MB for 1,000 documents:
    1.2 -> 0.6 s to dump, 1.4 -> 0.8 s to load).
    """
    names, _ = _init_order(cls)
    if not names:
        return cls
    values = attrgetter(*names)
    if len(names) == 1:
        cls.__reduce__ = lambda self: (cls, (values(self),))
    else:
        cls.__reduce__ = lambda self: (cls, values(self))
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Layout:
    """Where each canonical character of a PDF sits on its page.

    ``boxes[i]`` is the box of ``text[i]`` or ``None`` for characters the ingester inserted
    (line breaks, spaces between words).
    """

    page_starts: tuple[int, ...]
    boxes: tuple[CharBox | None, ...]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Document:
    """One input file and its canonical text (DESIGN.md §5)."""

    doc_id: str  # sha256(file bytes)[:16]
    source: str  # path relative to the corpus root, POSIX separators
    text: str  # canonical text: offsets of every mention index into this
    media_type: str = "text/plain"
    encoding: str = ""
    n_bytes: int = 0
    status: Literal["ok", "error"] = "ok"
    error: str = ""  # one line, set when status == "error"
    layout: Layout | None = None  # PDFs only

    @property
    def n_pages(self) -> int:
        return len(self.layout.page_starts) if self.layout else 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Mention:
    """One extracted span with its normalized value and provenance."""

    doc_id: str
    source: str
    label: str
    start: int
    end: int
    text: str
    sentence: str
    rule_id: str
    rules_version: str = ""
    # numeric values: ``value`` for a point, ``low``/``high`` for a range or list bounds
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    qualifier: str | None = None  # approx, upper_bound, lower_bound
    route: str | None = None
    drug: str | None = None
    population: str | None = None
    group: str | None = None
    measure: str | None = None  # what a percentage measures (abstinence, response ...)
    # citations
    style: str | None = None  # parenthetical, narrative, numeric
    authors: tuple[str, ...] = ()
    year: str | None = None  # four digits
    year_suffix: str | None = None
    ref_numbers: tuple[int, ...] = ()
    ref_ids: tuple[str, ...] = ()
    study_key: str | None = None
    name_variant: str | None = None  # surname as written when it differs from the reference
    # filled by later stages
    attribution: str | None = None  # which rule gave study_key to a numeric mention
    copy_of: str | None = None  # mention_id of the same span in the original document
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def mention_id(self) -> str:
        return _span_id(self.doc_id, self.label, self.start, self.end)

    def with_(self, **changes: object) -> Mention:
        return replaced(self, **changes)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of a reference list (numbered, bulleted or written inline)."""

    doc_id: str
    source: str
    start: int
    end: int
    text: str
    label: str | None = None  # the printed number, "37" for "37. Krupitsky E, ..."
    authors: tuple[str, ...] = ()
    year: str | None = None
    year_suffix: str | None = None
    title: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    fpage: str | None = None
    lpage: str | None = None
    doi: str | None = None
    study_key: str | None = None
    rules_version: str = ""
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def ref_id(self) -> str:
        return _span_id(self.doc_id, "REFERENCE", self.start, self.end)

    def with_(self, **changes: object) -> Reference:
        return replaced(self, **changes)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Overlap:
    """An aligned passage pair between two documents (DESIGN.md §6)."""

    doc_a: str  # the original (earlier / containing) document
    start_a: int
    end_a: int
    doc_b: str  # the copy
    start_b: int
    end_b: int
    similarity: float  # 0..100 (rapidfuzz scale)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class DocLinks:
    """Per-document dedup result, merged into documents.csv."""

    doc_id: str
    duplicate_of: str | None = None
    contained_in: str | None = None
    overlap_fraction: float = 0.0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """One reconciled fact: a study's value for a label, with its evidence."""

    finding_id: str
    study_key: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    unit: str | None
    drug: str | None
    measure: str | None
    mention_ids: tuple[str, ...]
    n_documents: int
    n_independent: int
    sources: tuple[str, ...] = ()  # source paths of the supporting documents
    conflict_ids: tuple[str, ...] = ()  # conflicts this finding is a side of


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Conflict:
    """Something a curator must decide (DESIGN.md §7)."""

    conflict_id: str
    kind: str  # value_mismatch, rounding, internal, year_mismatch, name_variant
    study_key: str
    label: str
    value_a: str
    value_b: str
    mention_a: str
    mention_b: str
    sentence_a: str
    sentence_b: str
    evidence_hash: str  # changes when either side's evidence changes; reopens a decision
    status: str = "open"
    decision: str = ""
    decided_by: str = ""
    decided_at: str = ""
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    source_a: str = ""  # source paths of side A's documents, ';'-separated
    source_b: str = ""
    decision_value: str = ""  # corrected value of a "neither" decision
