"""Stable batches of documents, so a cached batch survives the arrival of new documents.

A task is a batch (Prefect costs ~5 ms per task run), and a batch's cache key is its
members. Batches of the previous run whose documents are all still present are kept as
they were; only new or changed documents form new batches, so adding one paper re-extracts
only that paper.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pipeline.atomic import atomic_write


def plan(doc_ids: Sequence[str], previous: Sequence[Sequence[str]], size: int) -> list[list[str]]:
    """Batches covering ``doc_ids``: intact previous batches first, then new ones of ``size``."""
    present = set(doc_ids)
    kept = [list(b) for b in previous if b and all(d in present for d in b)]
    placed = {d for b in kept for d in b}
    fresh = sorted(present - placed)
    return kept + [fresh[i:i + size] for i in range(0, len(fresh), size)]


def load_plan(path: Path) -> list[list[str]]:
    """The batches a previous run used, or none when there is no readable record."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [list(map(str, b)) for b in data["batches"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save_plan(path: Path, batches: Sequence[Sequence[str]]) -> None:
    atomic_write(path, (json.dumps({"batches": [list(b) for b in batches]}) + "\n").encode())
