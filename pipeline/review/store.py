"""The curator decisions file: append-only JSON lines, last line per conflict wins (DESIGN.md §8).

``append_decision`` is a stand-in for ``pipeline.decisions.append`` from the reconciliation
work, with the same contract; when that module exists it is used instead, so there is one
writer of the file. Fold the two into one at merge.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DECISIONS = ("accept_a", "accept_b", "both_valid", "neither")
FIELDS = ("conflict_id", "decision", "value", "comment", "curator", "decided_at", "evidence_hash")


def append_decision_local(path: Path, record: Mapping[str, Any]) -> None:
    """Append one decision as one JSON line; never rewrites what is already there.

    The line is written with a single ``write`` on an ``O_APPEND`` descriptor while holding an
    exclusive ``flock``, then fsynced: two writers (threads, tabs, processes) never interleave,
    and a crash leaves at worst a last line without its newline, which readers skip.

    Args:
        path: The decisions file (created with its folder when missing).
        record: The decision; only the contract's keys are written, in a fixed order.
    """
    line = json.dumps({k: record.get(k) for k in FIELDS}, ensure_ascii=False) + "\n"
    data = line.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            _start_on_new_line(fd, path)
            if os.write(fd, data) != len(data):  # a short write would split the line
                raise OSError(f"short write to {path}")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _start_on_new_line(fd: int, path: Path) -> None:
    """After a crash mid-line, start the next record on its own line instead of gluing to it."""
    size = os.fstat(fd).st_size
    if size == 0:
        return
    with open(path, "rb") as f:
        f.seek(size - 1)
        if f.read(1) != b"\n":
            os.write(fd, b"\n")


try:  # one writer of the file once reconciliation's module lands
    from pipeline.decisions import append as append_decision  # type: ignore[import-not-found]
except ImportError:
    append_decision = append_decision_local


def read_decisions(path: Path) -> dict[str, dict[str, Any]]:
    """The latest decision per conflict id; unreadable lines (a torn last line) are skipped.

    Args:
        path: The decisions file; a missing file means no decisions.

    Returns:
        ``{conflict_id: record}`` where record is the last valid line for that id.
    """
    latest: dict[str, dict[str, Any]] = {}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return latest
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("conflict_id"), str):
            latest[rec["conflict_id"]] = rec
    return latest
