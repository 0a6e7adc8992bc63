"""The summary of a run, printed by ``litx run`` and kept in the manifest.

Kept apart from ``pipeline.dataset`` (which imports pandas and the whole pipeline) so that
``litx run`` can report an up-to-date dataset without loading any of that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Summary:
    """What a run did, for the terminal and for tests."""

    n_documents: int
    n_errors: int
    errors: tuple[tuple[str, str], ...]  # (source, reason)
    mentions_by_label: Mapping[str, int]
    n_references: int
    n_overlaps: int
    extra: Mapping[str, object] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)
    skipped: bool = field(default=False, compare=False)

    def to_json(self) -> dict:
        return {"n_documents": self.n_documents, "n_errors": self.n_errors,
                "errors": [list(e) for e in self.errors],
                "mentions_by_label": dict(self.mentions_by_label),
                "n_references": self.n_references, "n_overlaps": self.n_overlaps,
                "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, data: Mapping) -> Summary:
        return cls(data["n_documents"], data["n_errors"],
                   tuple(tuple(e) for e in data["errors"]), data["mentions_by_label"],
                   data["n_references"], data["n_overlaps"], data.get("extra", {}),
                   skipped=True)
