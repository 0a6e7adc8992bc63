"""What the review page reads: conflicts, their mentions and the canonical texts.

Everything is looked up by id in tables the pipeline wrote; a request never names a file.
Tables are re-read when their file changes, so a ``litx run`` while the page is open shows up
on the next request.
"""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.review.store import read_decisions

DOC_ID = re.compile(r"^[0-9a-f]{16}$")
CONFLICT_COLUMNS = ("conflict_id", "kind", "study_key", "label", "value_a", "value_b",
                    "mention_a", "mention_b", "sentence_a", "sentence_b", "evidence_hash",
                    "status", "decision", "decided_by", "decided_at", "comment")
MENTION_COLUMNS = ("mention_id", "doc_id", "source", "label", "start", "end", "text",
                   "sentence", "page", "bbox")
PARAGRAPH_CAP = 1500  # characters shown on each side of a span when a paragraph is long


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of text split around a highlighted span, so the page never parses markup."""

    before: str
    span: str
    after: str
    exact: bool  # False when the span could not be placed by its offsets

    def as_dict(self) -> dict[str, Any]:
        """The snippet as a JSON-ready dict."""
        return {"before": self.before, "span": self.span, "after": self.after,
                "exact": self.exact}


class _FileCache:
    """One parsed file, re-parsed when it changes (thread-safe).

    The key includes the inode because runs replace files atomically (temp + rename).
    """

    def __init__(self, path: Path, parse: Callable[[Path], Any], empty: Any) -> None:
        self.path, self._parse, self._empty = path, parse, empty
        self._key: tuple[int, int, int] | None = None
        self._value = empty
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The parsed content, re-read first when the file changed; ``empty`` when absent."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return self._empty
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if key != self._key:
                self._value, self._key = self._parse(self.path), key
            return self._value


def _read_rows(path: Path, columns: tuple[str, ...], key: str) -> dict[str, dict[str, str]]:
    """Rows of a CSV by ``key``; columns read by name, extras ignored, missing ones empty."""
    with open(path, encoding="utf-8", newline="") as f:
        return {row[key]: {c: row.get(c) or "" for c in columns}
                for row in csv.DictReader(f) if row.get(key)}


class ReviewData:
    """Read-only access to one output folder plus the decisions file."""

    def __init__(self, out_dir: Path, raw_dir: Path, decisions_path: Path) -> None:
        self.out_dir, self.raw_dir, self.decisions_path = out_dir, raw_dir, decisions_path
        self._conflicts = _FileCache(
            out_dir / "conflicts.csv",
            lambda p: _read_rows(p, CONFLICT_COLUMNS, "conflict_id"), {})
        self._mentions = _FileCache(
            out_dir / "mentions.csv", lambda p: _read_rows(p, MENTION_COLUMNS, "mention_id"), {})
        self._decisions = _FileCache(decisions_path, read_decisions, {})

    def conflicts(self) -> list[dict[str, str]]:
        """Every conflict with its status as of now.

        That is the run's status, updated by decisions appended since; a decision counts only
        while its evidence hash still matches.
        """
        decided = self._decisions.get()
        return [_with_decision(c, decided.get(cid)) for cid, c in self._conflicts.get().items()]

    def conflict(self, conflict_id: str) -> dict[str, str] | None:
        """One conflict with its current status, or None when the id is unknown."""
        row = self._conflicts.get().get(conflict_id)
        if row is None:
            return None
        return _with_decision(row, self._decisions.get().get(conflict_id))

    def mention(self, mention_id: str) -> dict[str, str] | None:
        """A row of mentions.csv by id, or None."""
        return self._mentions.get().get(mention_id)

    def text(self, doc_id: str) -> str | None:
        """The canonical text of a document, looked up by a validated doc id only."""
        if not DOC_ID.match(doc_id):
            return None
        path = self.out_dir / "text" / f"{doc_id}.txt"
        try:
            return path.read_bytes().decode("utf-8")  # bytes: no newline translation
        except (FileNotFoundError, UnicodeDecodeError):
            return None

    def pdf_path(self, mention: dict[str, str]) -> Path | None:
        """The original PDF of a mention, only when it lies inside the corpus folder."""
        source = mention.get("source", "")
        if not source.lower().endswith(".pdf") or not DOC_ID.match(mention.get("doc_id", "")):
            return None
        root = self.raw_dir.resolve()
        path = (root / source).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path


def _with_decision(row: dict[str, str], decision: dict[str, Any] | None) -> dict[str, str]:
    if decision is None:
        return dict(row)
    merged = dict(row)
    if decision.get("evidence_hash") != row.get("evidence_hash"):
        # Decided on evidence that has since changed: the curator must look again.
        merged["status"] = "reopened"
        return merged
    merged.update(status="resolved", decision=str(decision.get("decision") or ""),
                  decided_by=str(decision.get("curator") or ""),
                  decided_at=str(decision.get("decided_at") or ""),
                  comment=str(decision.get("comment") or ""),
                  value=str(decision.get("value") or ""))
    return merged


def sentence_snippet(text: str | None, start: int, end: int, sentence: str) -> Snippet:
    """The mention's sentence split around its span.

    The sentence is placed in the canonical text so the highlight comes from the offsets, not
    from searching the span's words (which may occur twice in a sentence).

    Args:
        text: The document's canonical text, or None when it is missing.
        start: Span start offset into ``text``.
        end: Span end offset (exclusive).
        sentence: The sentence as recorded in mentions.csv.

    Returns:
        The split sentence; ``exact`` is False when it had to fall back to a text search.
    """
    if text is not None and 0 <= start <= end <= len(text):
        if sentence:
            at = text.find(sentence, max(0, end - len(sentence)), start + len(sentence))
            if 0 <= at <= start:
                stop = at + len(sentence)
                return Snippet(text[at:start], text[start:end], text[end:stop], True)
        return _window(text, start, end, 200)
    return Snippet(sentence, "", "", False)


def paragraph_snippet(text: str | None, start: int, end: int) -> Snippet | None:
    """The paragraph around a span (blank-line bounded), capped on each side.

    Args:
        text: The document's canonical text, or None when it is missing.
        start: Span start offset.
        end: Span end offset (exclusive).

    Returns:
        The split paragraph, or None when the text or offsets are unusable.
    """
    if text is None or not 0 <= start <= end <= len(text):
        return None
    left = text.rfind("\n\n", 0, start)
    right = text.find("\n\n", end)
    left = 0 if left < 0 else left + 2
    right = len(text) if right < 0 else right
    left = max(left, start - PARAGRAPH_CAP)
    right = min(right, end + PARAGRAPH_CAP)
    return Snippet(text[left:start], text[start:end], text[end:right], True)


def _window(text: str, start: int, end: int, width: int) -> Snippet:
    """A fixed window around the span, used when the sentence is not found in the text."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    return Snippet(text[left:start], text[start:end], text[end:right], True)


def as_int(value: str) -> int | None:
    """A CSV cell as an int (pandas may have written ``12.0``), or None."""
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        return None


def parse_bbox(value: str) -> tuple[float, float, float, float] | None:
    """``"x0,top,x1,bottom"`` in PDF points, or None when absent or malformed."""
    parts = value.split(",") if value else []
    if len(parts) != 4:
        return None
    try:
        x0, top, x1, bottom = (float(p) for p in parts)
    except ValueError:
        return None
    if x1 < x0 or bottom < top:
        return None
    return x0, top, x1, bottom
