"""The review page's view of the curator decisions file (one writer: ``pipeline.decisions``)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline import decisions

DECISIONS = decisions.DECISIONS
append_decision = decisions.append


def read_decisions(path: Path) -> dict[str, dict[str, Any]]:
    """The latest decision per conflict id as plain dicts; bad lines never break the page.

    Args:
        path: The decisions file; a missing file means no decisions.
    """
    return {cid: asdict(d) for cid, d in decisions.load(path, strict=False).items()}
