"""Curator decisions: an append-only JSON-lines file under rules/ (DESIGN.md §8).

One decision per line::

    {"conflict_id": "3f2a...", "decision": "accept_a", "value": null, "comment": "typo in 000",
     "curator": "ana", "decided_at": "2026-11-21T07:00:00+00:00", "evidence_hash": "9c1e..."}

The last line for a ``conflict_id`` wins, so a decision is changed by appending, never by
editing. A run applies them: a conflict whose current ``evidence_hash`` equals the decision's
becomes ``resolved``; one whose evidence changed since becomes ``reopened`` (the old decision
stays visible); decisions for conflicts that no longer exist are kept in the file and ignored.
A bad line stops the run before any output is written, naming the file and line.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.errors import RuleError
from pipeline.records import Conflict, replaced

DECISIONS = ("accept_a", "accept_b", "both_valid", "neither")
REQUIRED = ("conflict_id", "decision", "decided_at", "evidence_hash")
OPTIONAL = ("value", "comment", "curator")


class DecisionError(RuleError):
    """A decisions line is invalid; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Decision:
    """One validated decisions line."""

    conflict_id: str
    decision: str
    curator: str
    decided_at: str
    evidence_hash: str
    value: str = ""
    comment: str = ""
    line: int = 0


def parse(record: Any) -> Decision:
    """Validate one decision record (a parsed JSON object).

    Raises:
        ValueError: with a one-line reason naming the offending key.
    """
    if not isinstance(record, Mapping):
        raise ValueError("a decision must be a JSON object")
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; allowed: {list(REQUIRED + OPTIONAL)}")
    for key in REQUIRED:
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ValueError(f"{key!r} must be a non-empty string")
    if record["decision"] not in DECISIONS:
        raise ValueError(f"decision {record['decision']!r} is not one of {list(DECISIONS)}")
    try:
        datetime.fromisoformat(record["decided_at"])
    except ValueError:
        raise ValueError(f"decided_at {record['decided_at']!r} is not an ISO timestamp") from None
    value = record.get("value")
    if value not in (None, "") and record["decision"] != "neither":
        raise ValueError("'value' (a corrected value) is only for decision 'neither'")
    if not isinstance(value, (str, int, float, type(None))) or isinstance(value, bool):
        raise ValueError("'value' must be a string or a number")
    for key in ("comment", "curator"):
        if not isinstance(record.get(key), (str, type(None))):
            raise ValueError(f"{key!r} must be a string")
    comment = record.get("comment")
    return Decision(record["conflict_id"], record["decision"], record.get("curator") or "",
                    record["decided_at"], record["evidence_hash"],
                    "" if value is None else str(value), comment or "")


def load(path: str | Path, strict: bool = True) -> dict[str, Decision]:
    """Decisions in ``path`` by conflict id, the last line winning; ``{}`` if there is no file.

    A line cut short by a crash mid-append (not JSON, not ending in ``}``) is skipped: the
    writer lost only that decision. ``strict=False`` (the review page) skips every bad line.

    Raises:
        DecisionError: ``<path>:<line>: <reason>`` for the first bad line, when strict.
    """
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, Decision] = {}
    text = path.read_bytes().decode("utf-8", errors="replace")
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            decision = parse(json.loads(line))
        except ValueError as err:  # JSONDecodeError is a ValueError
            torn = isinstance(err, json.JSONDecodeError) and not line.rstrip().endswith("}")
            if strict and not torn:
                raise DecisionError(f"{path}:{lineno}: {err}") from None
            continue
        out[decision.conflict_id] = replace(decision, line=lineno)
    return out


def apply(conflicts: Iterable[Conflict], decided: Mapping[str, Decision]) -> list[Conflict]:
    """Conflicts with their status: ``open``, ``resolved`` or ``reopened`` (evidence changed)."""
    out = []
    for c in conflicts:
        d = decided.get(c.conflict_id)
        if d is None:
            out.append(c if c.status == "open" else replaced(c, status="open"))
            continue
        status = "resolved" if d.evidence_hash == c.evidence_hash else "reopened"
        out.append(replaced(c, status=status, decision=d.decision, decision_value=d.value,
                            decided_by=d.curator, decided_at=d.decided_at, comment=d.comment))
    return out


def record_for(conflict: Conflict | Mapping[str, Any], decision: str, curator: str,
               comment: str = "", value: str | float | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """A decision record for ``conflict`` with its current evidence hash (for ``append``).

    Args:
        conflict: a ``Conflict`` or a conflicts.csv row (needs ``conflict_id``, ``evidence_hash``).
        decision: ``accept_a``, ``accept_b``, ``both_valid`` or ``neither``.
        curator: who decides.
        comment: free text.
        value: corrected value, only with ``neither``.
        now: the decision time (default: now, UTC).
    """
    row = conflict if isinstance(conflict, Mapping) else {
        "conflict_id": conflict.conflict_id, "evidence_hash": conflict.evidence_hash}
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return {"conflict_id": row["conflict_id"], "decision": decision, "value": value,
            "comment": comment, "curator": curator, "decided_at": stamp,
            "evidence_hash": row["evidence_hash"]}


def append(path: str | Path, record: Mapping[str, Any]) -> Decision:
    """Validate ``record`` and append it to ``path`` as one JSON line, safely.

    The line is written with a single ``write`` on an ``O_APPEND`` descriptor while holding an
    exclusive ``flock`` (two writers never interleave, even from two processes), then fsynced,
    so a crash loses at most the decision being written and never an earlier one.

    Args:
        path: the decisions file (created if missing), e.g. ``rules/decisions.jsonl``.
        record: ``conflict_id``, ``decision``, ``curator``, ``decided_at``, ``evidence_hash``
            and optionally ``value`` and ``comment`` (see ``record_for``).

    Returns:
        The validated decision.

    Raises:
        ValueError: the record is invalid (nothing is written).
    """
    decision = parse(record)
    keys = [k for k in REQUIRED + OPTIONAL if k in record]
    line = json.dumps({k: record[k] for k in keys}, ensure_ascii=False) + "\n"
    path = Path(path)
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = line.encode("utf-8")
        size = os.fstat(fd).st_size
        if size and _last_byte(path, size) != b"\n":  # a hand edit left no final newline
            data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):  # regular files write whole; refuse to leave half a line
            raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    if created:
        _fsync_dir(path.parent)
    return decision


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def orphans(conflicts: Sequence[Conflict], decided: Mapping[str, Decision]) -> list[str]:
    """Decided conflict ids that this run did not produce (kept in the file, not applied)."""
    present = {c.conflict_id for c in conflicts}
    return sorted(cid for cid in decided if cid not in present)
