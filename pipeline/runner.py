"""Start the Prefect flow with a progress bar on a terminal (used by ``litx run``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline import config, decisions, manifest, prefect_api, progress, rules
from pipeline.summary import Summary


class _RichReporter:
    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, int] = {}

    def start(self, stage: str, total: int) -> None:
        self.tasks[stage] = self.bar.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self.tasks:
            self.bar.advance(self.tasks[stage], n)


class RunnerError(Exception):
    """The requested task runner cannot be used as configured."""


def local_task_runner():
    """One worker thread. Prefect's default pool runs several batches at once; they fight
    over the GIL and each thread builds its own spaCy pipeline (extraction measured 1.6x
    slower in `litx bench`, which used the default)."""
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=1)


def check_runner(runner: str, address: str | None, workers: int = 1) -> None:
    """Raise RunnerError unless ``--runner``/``--address``/``--workers`` can be used as given."""
    if runner not in ("local", "dask"):
        raise RunnerError(f"unknown runner {runner!r} (use local or dask)")
    if workers < 1:
        raise RunnerError(f"--workers must be at least 1, not {workers}")
    if runner == "local":
        return
    if workers != 1:
        raise RunnerError("--workers is for --runner local; a Dask cluster's workers are "
                          "the ones started with `dask worker`")
    if not address:
        raise RunnerError("--runner dask needs --address tcp://HOST:PORT of a Dask scheduler")
    if not os.environ.get("PREFECT_API_URL"):
        raise RunnerError("--runner dask needs a shared Prefect API: start `prefect server "
                          "start` and set PREFECT_API_URL for this command and every worker")


def task_runner(runner: str, address: str | None, workers: int = 1):
    """Prefect task runner for the options: one worker thread, ``workers`` local processes,
    or an existing Dask cluster.

    One thread is best for one worker: spaCy holds the GIL, and a pool of threads fights over
    it. Worker processes pay ~4 s each to start (imports, the spaCy pipeline) and use their
    own core. On Dask every worker needs the same Prefect API, or each would boot its own
    temporary server (shared/SETUP-NOTES.md §5).
    """
    check_runner(runner, address, workers)
    if runner == "local" and workers == 1:
        return local_task_runner()
    if runner == "local":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=address)


@contextmanager
def shared_api(workers: int) -> Iterator[None]:
    """Hand this process's Prefect API down to its worker processes (``PREFECT_API_URL``).

    A worker process that finds no PREFECT_API_URL boots a temporary server of its own: on
    the 1k corpus its first task started 11 s after submission instead of 4 s, and every
    worker's server took CPU from the extraction. Without a configured API, the temporary
    server this process would start anyway is started first.
    """
    if workers == 1 or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        # The class Prefect's own client starts when there is no API URL: one per process,
        # stopped when the process exits.
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()
        server.start()
        url = server.api_url
    os.environ["PREFECT_API_URL"] = url
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def run_flow(raw: Path, out_dir: Path, runner: str = "local", address: str | None = None,
             console: Console | None = None, excel_safe: bool = False, workers: int = 1):
    """Run ``flows.build.build_dataset`` and return its Summary.

    An up-to-date ``out_dir`` is recognised first, without Prefect or the pipeline's
    libraries, and its stored summary returned (``skipped``): its rule files and decisions
    are byte for byte those of a run that passed their checks. Otherwise a bad rule or
    decision file raises ``RuleError`` here, before the flow starts or any output is touched.
    """
    check_runner(runner, address, workers)
    stored = manifest.up_to_date(raw, out_dir, excel_safe)
    if stored is not None:
        return Summary.from_json(stored)
    # Launched before the rule check (which imports spaCy) and the pipeline's imports, which
    # it overlaps (pipeline/prefect_api.py).
    server = prefect_api.TemporaryServer() if prefect_api.wanted() else None
    try:
        return _checked_run(raw, out_dir, runner, address, console, excel_safe, workers, server)
    finally:
        if server is not None:
            server.stop()


def _checked_run(raw: Path, out_dir: Path, runner: str, address: str | None,
                 console: Console | None, excel_safe: bool, workers: int,
                 server: prefect_api.TemporaryServer | None):
    rules.load()
    decisions.load(config.RULES_DIR / "decisions.jsonl")
    console = console or Console(stderr=True)
    # Prefect's own loggers stay quiet: the user sees a bar and a summary, not server logs.
    for name in ("prefect", "httpx", "uvicorn", "docket"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from flows.build import BATCH_DOCS, DASK_BATCH_DOCS, build_dataset

    flow_fn = build_dataset.with_options(task_runner=task_runner(runner, address, workers))
    if server is not None and not prefect_api.wanted():  # a profile names an API after all
        server.stop()
        server = None
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False,
                  disable=not console.is_terminal) as bar:
        reporter = _RichReporter(bar)
        progress.set_reporter(reporter)
        try:
            with _own_api(server, reporter), shared_api(workers):
                return flow_fn(str(raw), str(out_dir), excel_safe,
                               DASK_BATCH_DOCS if runner == "dask" else BATCH_DOCS)
        finally:
            progress.set_reporter(None)


@contextmanager
def _own_api(server: prefect_api.TemporaryServer | None,
             reporter: _RichReporter) -> Iterator[None]:
    """Point Prefect, and the worker processes it starts, at ``server``'s API, once it
    answers (a line of the progress display until then)."""
    if server is None:
        yield
        return
    from prefect.settings import (PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
                                  temporary_settings)

    reporter.start("prefect", 1)
    try:
        url = server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    except prefect_api.ServerError as e:
        raise RunnerError(str(e)) from None
    reporter.advance("prefect")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
