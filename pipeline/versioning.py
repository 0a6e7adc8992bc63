"""Versions that key caches: the code (pipeline/ and flows/ sources) and the rules."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from pipeline import rules

_PACKAGES = ("pipeline", "flows")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of every Python source of litx: any code change invalidates cached results."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for package in _PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def cache_version() -> str:
    """Rules + code: the part of every cache key that is not the input's content hash."""
    # The rule files' hash, not rules.load(): that also checks the rules with spaCy (~2 s
    # of imports), which litx run must not pay to find that nothing changed.
    return f"{rules.rules_version()}-{code_version()}"
