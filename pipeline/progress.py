"""Progress reporting that the CLI renders and the flow feeds (no-op by default)."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, stage: str, n: int = 1) -> None: ...


class _Silent:
    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, stage: str, n: int = 1) -> None:
        pass


_reporter: Reporter = _Silent()


def set_reporter(reporter: Reporter | None) -> None:
    """Install ``reporter`` for this process (None restores the silent one)."""
    global _reporter
    _reporter = reporter or _Silent()


def get() -> Reporter:
    return _reporter
