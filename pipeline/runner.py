"""Start the Prefect flow with a progress bar on a terminal (used by ``litx run``)."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline import progress


class _RichReporter:
    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, int] = {}

    def start(self, stage: str, total: int) -> None:
        self.tasks[stage] = self.bar.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self.tasks:
            self.bar.advance(self.tasks[stage], n)


def run_flow(raw: Path, out_dir: Path, runner: str = "local", address: str | None = None,
             console: Console | None = None):
    """Run ``flows.build.build_dataset`` and return its Summary."""
    console = console or Console(stderr=True)
    # Prefect's own loggers stay quiet: the user sees a bar and a summary, not server logs.
    for name in ("prefect", "httpx", "uvicorn", "docket"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from flows.build import build_dataset

    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False,
                  disable=not console.is_terminal) as bar:
        progress.set_reporter(_RichReporter(bar))
        try:
            return build_dataset(str(raw), str(out_dir))
        finally:
            progress.set_reporter(None)
