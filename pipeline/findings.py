"""Findings: attributed numeric mentions grouped into one row per reported fact (DESIGN.md §7).

A finding is one (study key, label, normalized value or range, unit, drug). Its mentions come
from any number of documents; a mention inside a passage that dedup found copied from another
document (``copy_of``) counts towards ``n_documents`` but not towards ``n_independent``, which
counts distinct *original* documents.

A mention whose drug is unknown joins the finding of the same study, label, value and unit
when exactly one drug is known for it (``2.0 mg/kg`` after ``ketamine ... 2.0 mg/kg``);
otherwise it stays its own finding with an empty drug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.records import NUMERIC_LABELS, Finding, Mention, stable_id

# Values are compared and keyed after rounding away float noise (0.1 + 0.2).
VALUE_DIGITS = 9
_MAX_COPY_CHAIN = 16


@dataclass(frozen=True, slots=True)
class Evidence:
    """A finding with its mentions and the original document of each mention."""

    finding: Finding
    mentions: tuple[Mention, ...]
    origins: tuple[str, ...]  # source path of each mention's original document

    def by_origin(self, origin: str) -> tuple[Mention, ...]:
        return tuple(m for m, o in zip(self.mentions, self.origins) if o == origin)


def origins(mentions: Sequence[Mention]) -> dict[str, str]:
    """Original document of every mention: its own, or the end of its ``copy_of`` chain.

    Documents are named by source path, not doc_id, so that a conflict inside an edited
    document keeps its id (and reopens) instead of becoming a new one. A ``copy_of`` pointing
    at a mention not in ``mentions`` stands for an original of its own (``copy:<mention_id>``),
    so two copies of one unknown original still count once.
    """
    doc_of = {m.mention_id: m.source for m in mentions}
    copy = {m.mention_id: m.copy_of for m in mentions if m.copy_of}
    out = {}
    for mid, doc in doc_of.items():
        target, steps = mid, 0
        while target in copy and steps < _MAX_COPY_CHAIN:
            target, steps = copy[target], steps + 1
        out[mid] = doc if target == mid else doc_of.get(target, f"copy:{target}")
    return out


def value_key(v: float | None) -> float | None:
    return None if v is None else round(float(v), VALUE_DIGITS)


def _key(m: Mention, drug: str | None) -> tuple:
    return (m.study_key, m.label, value_key(m.value), value_key(m.low), value_key(m.high),
            m.unit or None, drug)


def build(mentions: Sequence[Mention]) -> list[Evidence]:
    """Group attributed numeric mentions into findings.

    Args:
        mentions: all mentions (any label, any document); only numeric mentions with a study
            key become findings, the others still serve to resolve ``copy_of``.

    Returns:
        Findings with their evidence, sorted by (study_key, label, value, unit, drug).
    """
    origin = origins(mentions)
    attributed = [m for m in mentions if m.label in NUMERIC_LABELS and m.study_key]
    drugs: dict[tuple, set[str]] = {}
    for m in attributed:
        if m.drug:
            drugs.setdefault(_key(m, None), set()).add(m.drug)
    groups: dict[tuple, list[Mention]] = {}
    for m in attributed:
        known = drugs.get(_key(m, None), set())
        drug = m.drug or (next(iter(known)) if len(known) == 1 else None)
        groups.setdefault(_key(m, drug), []).append(m)
    out = [_evidence(key, ms, origin) for key, ms in groups.items()]
    return sorted(out, key=lambda e: _sort_key(e.finding))


def _sort_key(f: Finding) -> tuple:
    def num(v: float | None) -> float:
        return float("-inf") if v is None else v

    return (f.study_key, f.label, num(f.value), num(f.low), num(f.high), f.unit or "",
            f.drug or "")


def _evidence(key: tuple, ms: list[Mention], origin: dict[str, str]) -> Evidence:
    study, label, value, low, high, unit, drug = key
    ms = sorted(ms, key=lambda m: (m.source, m.start, m.end))
    measures = sorted({m.measure for m in ms if m.measure})
    finding = Finding(
        finding_id=stable_id("finding", *key), study_key=study, label=label, value=value,
        low=low, high=high, unit=unit, drug=drug, measure=";".join(measures) or None,
        mention_ids=tuple(m.mention_id for m in ms),
        n_documents=len({m.doc_id for m in ms}),
        n_independent=len({origin[m.mention_id] for m in ms}),
        sources=tuple(sorted({m.source for m in ms})))
    return Evidence(finding, tuple(ms), tuple(origin[m.mention_id] for m in ms))
