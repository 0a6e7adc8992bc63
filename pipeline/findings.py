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
    return _origins(mentions, [m.mention_id for m in mentions])


def _origins(mentions: Sequence[Mention], ids: Sequence[str]) -> dict[str, str]:
    # ``origins`` with the mention ids known: each is a sha256, worth computing once.
    doc_of = {mid: m.source for mid, m in zip(ids, mentions)}
    copy = {mid: m.copy_of for mid, m in zip(ids, mentions) if m.copy_of}
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
    ids = [m.mention_id for m in mentions]
    origin = _origins(mentions, ids)
    attributed = [(m, mid) for m, mid in zip(mentions, ids)
                  if m.label in NUMERIC_LABELS and m.study_key]
    keys = [_key(m, None) for m, _ in attributed]
    drugs: dict[tuple, set[str]] = {}
    for (m, _), key in zip(attributed, keys):
        if m.drug:
            drugs.setdefault(key, set()).add(m.drug)
    groups: dict[tuple, list[tuple[Mention, str]]] = {}
    for (m, mid), key in zip(attributed, keys):
        if m.drug:
            drug = m.drug
        else:
            known = drugs.get(key, ())
            drug = next(iter(known)) if len(known) == 1 else None
        groups.setdefault(key[:-1] + (drug,), []).append((m, mid))
    out = [_evidence(key, ms, origin) for key, ms in groups.items()]
    return sorted(out, key=lambda e: _sort_key(e.finding))


def _sort_key(f: Finding) -> tuple:
    def num(v: float | None) -> float:
        return float("-inf") if v is None else v

    return (f.study_key, f.label, num(f.value), num(f.low), num(f.high), f.unit or "",
            f.drug or "")


def _evidence(key: tuple, pairs: list[tuple[Mention, str]], origin: dict[str, str]) -> Evidence:
    study, label, value, low, high, unit, drug = key
    pairs = sorted(pairs, key=lambda p: (p[0].source, p[0].start, p[0].end))
    ms = tuple(m for m, _ in pairs)
    ids = tuple(mid for _, mid in pairs)
    origin_docs = tuple(origin[mid] for mid in ids)
    measures = sorted({m.measure for m in ms if m.measure})
    finding = Finding(
        finding_id=stable_id("finding", *key), study_key=study, label=label, value=value,
        low=low, high=high, unit=unit, drug=drug, measure=";".join(measures) or None,
        mention_ids=ids, n_documents=len({m.doc_id for m in ms}),
        n_independent=len(set(origin_docs)), sources=tuple(sorted({m.source for m in ms})))
    return Evidence(finding, ms, origin_docs)
