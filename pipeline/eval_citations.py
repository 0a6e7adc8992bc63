"""Score citations and reference parsing against the bench sets (shared/bench/README.md).

``eval_dataset`` tells the two sets apart: a folder with ``gold_groups.jsonl`` is the
citation set, one with ``gold_fields.jsonl`` the reference-parsing set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from pipeline.citations import CitationMatch, find_citations
from pipeline.eval_references import eval_references
from pipeline.normalize import analysis_view
from pipeline.scoring import Span, match, score

__all__ = ["eval_citations", "eval_dataset", "eval_references"]


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _label_number(xref: dict) -> int | None:
    """The printed label of the cited entry; lists printed without labels (BMC) number their
    entries in order, which their ids ("B26") record, so that ordinal stands in for the label."""
    m = re.match(r"\s*\[?(\d+)", str(xref.get("bib_label") or ""))
    if m is None and xref.get("bib_label") is None:
        m = re.fullmatch(r"[A-Za-z]*(\d+)", str(xref.get("ref_id") or ""))
    return int(m.group(1)) if m else None


def _gold_numbers(xrefs: list[dict], text: str) -> set[int]:
    """Reference numbers a group cites: its xrefs' labels, with ranges filled in.

    A range is printed either inside one xref ("1-3", labelled 1) or as two xrefs joined by a
    dash ("[1]-[3]", "3-5" marked at its endpoints); both mean every number in between.
    """
    out: set[int] = set()
    prev: tuple[int, int] | None = None  # (number, end offset) of the previous xref
    for x in sorted(xrefs, key=lambda g: g["start"]):
        n = _label_number(x)
        if n is None:
            continue
        inside = re.fullmatch(r"\[?\s*(\d+)\s*[-\u2013]\s*(\d+)\s*\]?", x["text"])
        if inside and int(inside.group(1)) == n:
            out.update(range(n, int(inside.group(2)) + 1))
        out.add(n)
        if prev and re.fullmatch(r"\]?\s*[-\u2013]\s*\[?", text[prev[1] : x["start"]]) and prev[0] < n:
            out.update(range(prev[0], n + 1))
        prev = (n, x["end"])
    return out


def _years(match_: CitationMatch) -> set[str]:
    return {i.year for i in match_.items if i.year}


def _link_scores(pairs: Iterable[tuple[Span, Span]], xrefs: dict[str, list[dict]], texts: dict[str, str]) -> dict:
    numeric_ok = numeric_n = year_ok = year_n = 0
    for pred, gold in pairs:
        inside = [x for x in xrefs.get(gold.doc, []) if x["start"] < gold.end and x["end"] > gold.start]
        found: CitationMatch = pred.value  # type: ignore[assignment]
        if found.style == "numeric":
            numeric_n += 1
            numeric_ok += set(found.ref_numbers) == _gold_numbers(inside, texts[gold.doc])
        elif inside:
            year_n += 1
            year_ok += _years(found) == {x["bib_year"] for x in inside if x.get("bib_year")}
    return {
        "numeric_groups": numeric_n,
        "numeric_numbers_equal": numeric_ok / numeric_n if numeric_n else None,
        "author_year_groups": year_n,
        "author_year_years_equal": year_ok / year_n if year_n else None,
    }


def eval_citations(dataset_dir: Path, docs: list[str] | None = None) -> dict:
    """Overlap P/R/F1 of ``find_citations`` against ``gold_groups.jsonl``, plus linking shares.

    Args:
        dataset_dir: a folder laid out as ``shared/bench/citations_jats``.
        docs: restrict to these doc ids (default: every ``docs/*.txt``).

    Returns:
        ``{"tp", "fp", "fn", "precision", "recall", "f1", "exact_f1", "numeric_groups",
        "numeric_numbers_equal", "author_year_groups", "author_year_years_equal"}``.
    """
    dataset_dir = Path(dataset_dir)
    ids = docs or sorted(p.stem for p in (dataset_dir / "docs").glob("*.txt"))
    texts = {d: (dataset_dir / "docs" / f"{d}.txt").read_text(encoding="utf-8") for d in ids}
    groups = _read_jsonl(dataset_dir / "gold_groups.jsonl")
    gold = [Span(g["doc"], g["start"], g["end"], "CITATION") for g in groups if g["doc"] in texts]
    xrefs: dict[str, list[dict]] = {}
    gold_path = dataset_dir / "gold.jsonl"
    for x in _read_jsonl(gold_path) if gold_path.exists() else []:
        xrefs.setdefault(x["doc"], []).append(x)
    pred = [
        Span(d, c.start, c.end, "CITATION", c) for d, t in texts.items() for c in find_citations(analysis_view(t).text)
    ]
    counts, exact = score(pred, gold, "overlap"), score(pred, gold, "exact")
    result = {
        "set": "citations",
        "docs": len(ids),
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
        "exact_f1": exact.f1,
    }
    result.update(_link_scores(match(pred, gold, "overlap"), xrefs, texts))
    return result


def eval_dataset(dataset_dir: Path) -> dict:
    """Score whichever citation-related set ``dataset_dir`` is.

    Raises:
        ValueError: the folder holds neither ``gold_groups.jsonl`` nor ``gold_fields.jsonl``.
    """
    dataset_dir = Path(dataset_dir)
    if (dataset_dir / "gold_groups.jsonl").exists():
        return eval_citations(dataset_dir)
    if (dataset_dir / "gold_fields.jsonl").exists():
        return eval_references(dataset_dir)
    raise ValueError(f"{dataset_dir}: not a citation or reference set (no gold_groups.jsonl / gold_fields.jsonl)")


def format_table(result: dict) -> str:
    """A plain-text table of an ``eval_dataset`` result (what ``litx eval`` prints)."""
    rows = [("all", result)] + sorted(result.get("per_field", {}).items())
    lines = [f"{result['set']}: {'field':<8} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'fp':>5} {'fn':>5}"]
    for name, r in rows:
        scores = f"{r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} {r['tp']:6d} {r['fp']:5d} {r['fn']:5d}"
        lines.append(f"{'':<{len(result['set']) + 2}}{name:<8} {scores}")
    skip = {"set", "per_field", "precision", "recall", "f1", "tp", "fp", "fn"}
    extras = {k: v for k, v in result.items() if k not in skip}
    lines += [f"  {k}: {v:.4f}" if isinstance(v, float) else f"  {k}: {v}" for k, v in extras.items()]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m pipeline.eval_citations DATASET_DIR
    import sys

    print(format_table(eval_dataset(Path(sys.argv[1]))))
