"""Field-level scoring of ``parse_reference`` on the references_jats set (its README's rule)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.refparse import parse_reference

FIELDS = ("authors", "year", "title", "source", "volume", "issue", "fpage", "lpage", "doi")


def _norm(field: str, value: object) -> object:
    """Whitespace-collapsed value (DOI case-folded); empty values count as absent."""
    if value is None or value == [] or value == ():
        return None
    if field == "authors":
        return tuple(" ".join(str(v).split()) for v in value)  # type: ignore[union-attr]
    text = " ".join(str(value).split())
    return text.lower() if field == "doi" else text or None


def _predict(line: str) -> dict[str, object]:
    parsed = parse_reference(line)
    parsed["source"] = parsed.pop("journal")
    return {f: _norm(f, parsed.get(f)) for f in FIELDS}


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def _score_row(row: dict, pred: dict[str, object], counts: dict[str, list[int]]) -> bool:
    """Add one reference's field outcomes to ``counts``; True when every gold field is right."""
    all_right = True
    for f in FIELDS:
        gold, got = _norm(f, row.get(f)), pred[f]
        c = counts[f]
        if got is not None and got == gold:
            c[0] += 1
            continue
        c[1] += got is not None
        c[2] += gold is not None
        all_right &= gold is None
    return all_right


def eval_references(dataset_dir: Path, docs: list[str] | None = None) -> dict:
    """Micro P/R/F1 per field and overall, and whole-reference accuracy.

    Each ``score_fields`` reference's line (label included: the parser must skip it) is parsed;
    a field is a TP when equal to gold after whitespace normalisation, an FP when predicted and
    different (gold absent included), an FN when gold is present and not predicted exactly.

    Args:
        dataset_dir: a folder laid out as ``shared/bench/references_jats``.
        docs: restrict to these doc ids.

    Returns:
        ``{"set", "references", "precision", "recall", "f1", "accuracy", "per_field": {...}}``.
    """
    dataset_dir = Path(dataset_dir)
    counts = {f: [0, 0, 0] for f in FIELDS}
    lines: dict[str, list[str]] = {}
    n_refs = n_right = 0
    with (dataset_dir / "gold.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(x) for x in fh if x.strip()]
    for row in rows:
        if not row.get("score_fields") or (docs and row["doc"] not in docs):
            continue
        if row["doc"] not in lines:
            lines[row["doc"]] = (dataset_dir / "docs" / f"{row['doc']}.txt").read_text(encoding="utf-8").split("\n")
        all_right = _score_row(row, _predict(lines[row["doc"]][row["line"]]), counts)
        n_refs += 1
        n_right += all_right
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {
        "set": "references",
        "references": n_refs,
        **_prf(*total),
        "accuracy": n_right / n_refs if n_refs else 0.0,
        "per_field": {f: _prf(*c) for f, c in counts.items()},
    }
