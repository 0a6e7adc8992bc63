"""``litx eval``: score extraction against a gold folder (shared/bench/README.md format).

Predictions come from ``extract.document``, the same code path as ``litx run``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline import extract, ingest, scoring
from pipeline.records import Document

PREDICTED_LABELS = ("DOSE", "SAMPLE_SIZE", "PERCENTAGE", "CITATION")


@dataclass(frozen=True, slots=True)
class Row:
    dataset: str
    label: str
    rule: str
    counts: scoring.Counts


def load_docs(dataset_dir: Path) -> list[Document]:
    """The set's texts as Documents (UTF-8, exact: gold offsets index these strings)."""
    docs = []
    for path in sorted((dataset_dir / "docs").glob("*.txt")):
        data = path.read_bytes()
        text, encoding = ingest.decode_text(data)
        docs.append(Document(path.stem, path.name, text, encoding=encoding, n_bytes=len(data)))
    return docs


def gold_spans(dataset_dir: Path) -> dict[str, list[scoring.Span]]:
    """Gold spans by label from every gold*.jsonl (subset files add their own label)."""
    by_label: dict[str, dict[tuple, scoring.Span]] = {}
    for path in sorted(dataset_dir.glob("gold*.jsonl")):
        if path.name == "gold_groups.jsonl":
            continue  # citation groups are scored by the citation evaluator
        for row in _jsonl(path):
            if row["label"] not in PREDICTED_LABELS:
                continue
            values = row.get("values") or [None]
            span = scoring.Span(row["doc"], row["start"], row["end"], row["label"], values[0])
            by_label.setdefault(row["label"], {})[(span.doc, span.start, span.end)] = span
    return {label: list(spans.values()) for label, spans in by_label.items()}


def predictions(docs: list[Document], arms: bool = False) -> Iterator[scoring.Span]:
    """Predicted spans of every document, through ``extract.document`` (as ``litx run``).

    Args:
        docs: the set's documents.
        arms: also yield sample sizes of single arms (mentions with a ``group``). Gold sample
            sizes (EBM-NLP) mark the enrolled total, so arm sizes are left out by default.
    """
    for span, is_arm in _predicted(docs):
        if arms or not is_arm:
            yield span


def _predicted(docs: list[Document]) -> Iterator[tuple[scoring.Span, bool]]:
    for doc in docs:
        for m in extract.document(doc).mentions:
            value = int(m.value) if m.label == "SAMPLE_SIZE" and m.value is not None else m.value
            is_arm = m.label == "SAMPLE_SIZE" and m.group is not None
            yield scoring.Span(doc.doc_id, m.start, m.end, m.label, value), is_arm


def evaluate(dataset_dir: Path, label: str | None = None) -> list[Row]:
    """Rows of P/R/F1 per label and matching rule for one gold folder.

    Sample sizes are scored without arm sizes (the gold marks totals); one more row,
    "core, arms too", scores every predicted sample size so nothing is hidden.
    """
    name = dataset_dir.resolve().name
    gold = gold_spans(dataset_dir)
    labels = [label] if label else sorted(gold)
    pred = list(_predicted(load_docs(dataset_dir))) if labels else []
    rows = []
    for lab in labels:
        g = gold.get(lab, [])
        p = [s for s, is_arm in pred if s.label == lab and not is_arm]
        rules = ("overlap", "core", "exact") if lab == "SAMPLE_SIZE" else ("overlap", "exact")
        rows.extend(Row(name, lab, rule, scoring.score(p, g, rule)) for rule in rules)
        if lab == "SAMPLE_SIZE":
            every = [s for s, _ in pred if s.label == lab]
            rows.append(Row(name, lab, "core, arms too", scoring.score(every, g, "core")))
    return rows


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
