"""Mentions -> attribution, findings, conflicts and applied curator decisions (pure Python).

The one entry point for the flow is ``run``; ``tables`` turns its records into the validated
``findings`` and ``conflicts`` tables and ``open_by_kind`` gives the run summary line.
The rules themselves live in ``attribute``, ``authoryear``, ``findings``, ``conflicts``,
``citeconflicts`` and ``decisions``; docs/reconcile.md describes every output column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from functools import cache
from pathlib import Path

import pandas as pd

from pipeline import attribute, citeconflicts, conflicts, decisions, export, findings
from pipeline.records import Conflict, Document, Finding, Mention, Reference, replaced

OPEN_STATUSES = ("open", "reopened")
KIND_ORDER = ("value_mismatch", "rounding", "internal", "year_mismatch", "name_variant")


def run(docs: Iterable[Document], mentions: Sequence[Mention], references: Sequence[Reference],
        decisions_path: Path | None = None,
        segments: Mapping[str, attribute.Segments | attribute.Packed] | None = None
        ) -> tuple[list[Mention], list[Finding], list[Conflict]]:
    """Attribute, reconcile and apply curator decisions.

    Args:
        docs: every document of the run (canonical text for sentences and paragraphs), read
            once in order: a generator may load each text only when its turn comes.
        mentions: every mention, after citation linking and dedup (``copy_of``).
        references: every reference entry, with ``study_key``.
        decisions_path: ``rules/decisions.jsonl``; ``None`` or a missing file means none.
        segments: doc_id -> sentences and paragraphs already split (by extraction), passed
            on to ``attribute.attribute``; documents not in it are split again.

    Returns:
        ``(mentions, findings, conflicts)``: the mentions with ``study_key``/``attribution`` on
        numeric ones plus narrative CITATION mentions found in the text (write these to
        mentions.csv instead of the input), findings and conflicts, each sorted.

    Raises:
        decisions.DecisionError: a bad decisions line (file and line in the message); raised
            before anything is computed so a run stops before writing output.
    """
    decided = decisions.load(decisions_path) if decisions_path else {}
    attributed = attribute.attribute(docs, mentions, references, segments)
    evidence = findings.build(attributed)
    found = detect(attributed, references, evidence)
    found = decisions.apply(found, decided)
    return attributed, link(evidence, found), found


def detect(mentions: Sequence[Mention], references: Sequence[Reference],
           evidence: Sequence[findings.Evidence]) -> list[Conflict]:
    """Every conflict kind, one record per conflict id, sorted by (kind, study, id)."""
    found = (conflicts.numeric(evidence)
             + citeconflicts.year_mismatches(mentions, references, evidence)
             + citeconflicts.name_variants(mentions, references))
    unique = {c.conflict_id: c for c in found}
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(unique.values(),
                  key=lambda c: (rank.get(c.kind, len(rank)), c.study_key, c.conflict_id))


def link(evidence: Sequence[findings.Evidence], found: Sequence[Conflict]) -> list[Finding]:
    """Findings with the ids of the numeric conflicts they are a side of."""
    ids: dict[str, set[str]] = {}
    for c in found:
        for side in ("finding_a", "finding_b"):
            if side in c.extra:
                ids.setdefault(c.extra[side], set()).add(c.conflict_id)
    # Findings are built without conflict ids, so most are kept as they are.
    return [replaced(e.finding, conflict_ids=tuple(sorted(ids[e.finding.finding_id])))
            if e.finding.finding_id in ids else e.finding for e in evidence]


def tables(found_findings: Sequence[Finding],
           found_conflicts: Sequence[Conflict]) -> dict[str, pd.DataFrame]:
    """The ``findings`` and ``conflicts`` tables, typed by their Table Schemas.

    Merge into the dict ``export.write_tables`` receives; it validates them with the others.
    """
    return {"findings": export.frame("findings", [_cells(f) for f in found_findings]),
            "conflicts": export.frame("conflicts", [_cells(c) for c in found_conflicts])}


def _cells(record: Finding | Conflict) -> dict[str, object]:
    # Empty strings mean "not set" in the records; the tables show them as empty cells.
    return {name: (None if (value := getattr(record, name)) == "" else value)
            for name in _field_names(type(record))}


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def open_by_kind(found_conflicts: Sequence[Conflict]) -> dict[str, int]:
    """Open (``open`` or ``reopened``) conflicts per kind, every known kind listed."""
    counts = Counter(c.kind for c in found_conflicts if c.status in OPEN_STATUSES)
    out = {k: counts.get(k, 0) for k in KIND_ORDER}
    out.update({k: n for k, n in sorted(counts.items()) if k not in out})
    return out


def summary_extra(found_findings: Sequence[Finding],
                  found_conflicts: Sequence[Conflict]) -> dict[str, object]:
    """Rows for ``summary.Summary.extra`` (printed by ``litx run``): findings, open conflicts."""
    out: dict[str, object] = {"findings": len(found_findings)}
    by_kind = open_by_kind(found_conflicts)
    out["open conflicts"] = sum(by_kind.values())
    out.update({f"open {kind}": n for kind, n in by_kind.items()})
    return out
