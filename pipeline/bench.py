"""``litx bench``: throughput of the real flow on a synthetic corpus, against a regex floor.

The corpus comes from ``pipeline.synth`` (seeded, with planted overlaps). Every stage is also
reported as a ratio to one compiled-regex pass over the same texts: the floor any extractor
pays (shared/PERF-NOTES.md §1). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# One pass for a number followed by a unit, a percent sign or a count noun: the cheapest
# scan that finds the same kind of spans the rules find.
_FLOOR = re.compile(
    r"\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*"
    r"(?:%|mg/kg|mg|µg|g/kg|ml|patients|subjects|participants|rats|mice)\b")


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    mb: float
    docs: int

    @property
    def mb_s(self) -> float:
        return self.mb / self.seconds if self.seconds else float("inf")

    @property
    def docs_s(self) -> float:
        return self.docs / self.seconds if self.seconds else float("inf")


def corpus(n_docs: int, work: Path, seed: int = 42) -> Path:
    """The synthetic corpus of ``n_docs`` under ``work`` (generated once per size and seed)."""
    from pipeline import synth

    target = work / f"corpus-{n_docs}-{seed}"
    if not (target / "manifest.csv").exists():
        seeds = Path(__file__).resolve().parent.parent / "raw"
        synth.generate(seeds, target, n_docs, seed=seed)
    return target / "docs"


def regex_floor(docs_dir: Path, repeats: int = 3) -> Stage:
    """Read + decode + one regex pass, median of ``repeats``."""
    paths = sorted(docs_dir.glob("*.txt"))
    times = []
    size = 0
    for _ in range(repeats):
        start = time.perf_counter()
        size = 0
        for p in paths:
            text = p.read_bytes().decode("utf-8")
            size += len(text.encode("utf-8"))
            sum(1 for _ in _FLOOR.finditer(text))
        times.append(time.perf_counter() - start)
    return Stage("regex floor", statistics.median(times), size / 1e6, len(paths))


def run_flow(docs_dir: Path, out_dir: Path, workers: int = 1) -> tuple[float, object]:
    from flows.build import build_dataset
    from pipeline.runner import shared_api, task_runner

    flow_fn = build_dataset.with_options(task_runner=task_runner("local", None, workers))
    start = time.perf_counter()
    with shared_api(workers):
        summary = flow_fn(str(docs_dir), str(out_dir))
    return time.perf_counter() - start, summary


def cli_run(docs_dir: Path, out_dir: Path, workers: int = 1) -> float:
    """Seconds ``litx run`` takes in a new process: what a user waits for, interpreter start,
    imports, the up-to-date check and (when there is work) the Prefect server start included."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from pipeline.cli import app; app()", "run",
                    "--raw", str(docs_dir), "--out", str(out_dir), "--workers", str(workers)],
                   check=True, capture_output=True, cwd=out_dir.parent)
    return time.perf_counter() - start


# What a maintainer adds between two runs: one short paper with a dose, a sample size, a
# percentage and a citation. The second stands in its place for a run timed stage by stage.
ADDED_DOC = ("Ketamine 0.5 mg/kg was given to 20 patients (n = 20); 45% remained abstinent "
             "at 12 months (Krupitsky et al., 2002).\n")
ADDED_DOC_AGAIN = ADDED_DOC.replace("45%", "46%")


def with_one_more(docs_dir: Path, work: Path, text: str = ADDED_DOC) -> Path:
    """A copy of the corpus with ``text`` as one more file; the corpus itself, which later
    benchmarks reuse, is left as it is."""
    target = work / f"{docs_dir.parent.name}-plus-one"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(docs_dir, target)
    (target / "zz-added-paper.txt").write_text(text, encoding="utf-8")
    return target


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n_docs: int = 1000, work: Path | None = None, workers: int = 1) -> dict:
    """Generate, run the flow cold, again unchanged, and with one document added; return the
    measured figures.

    With ``workers`` > 1 extraction runs in that many processes, alongside dedup: stage
    times then overlap, and the per-core throughput is the end-to-end MB/s over the cores
    kept busy.
    """
    work = work or Path(tempfile.mkdtemp(prefix="litx-bench-"))
    docs_dir = corpus(n_docs, work)
    floor = regex_floor(docs_dir)
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

    warm_start = time.perf_counter()
    _warm_up()
    server_s = time.perf_counter() - warm_start
    out = work / f"out-{n_docs}"
    # The first run must not reuse a cache. (Prefect reads the environment once, so this is
    # a settings context, not PREFECT_TASKS_REFRESH_CACHE set and unset around the run.)
    with temporary_settings(updates={PREFECT_TASKS_REFRESH_CACHE: True}):
        first_s, summary = run_flow(docs_dir, out, workers)
    # The worker processes have been joined by now; the largest of them, when there were any.
    workers_rss = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                   if workers > 1 else None)
    second_s, again = run_flow(docs_dir, out, workers)
    cli_s = cli_run(docs_dir, out, workers)
    # Into the same outputs, so the runs find the other batches in the cache: first as a
    # maintainer runs it, then in this process, with the paper changed, to time each stage.
    cli_added_s = cli_run(with_one_more(docs_dir, work), out, workers)
    added_s, added = run_flow(with_one_more(docs_dir, work, ADDED_DOC_AGAIN), out, workers)
    stages = [Stage(name, secs, floor.mb, floor.docs) for name, secs in summary.timings.items()]
    stages.append(Stage("end to end", first_s, floor.mb, floor.docs))
    return {"floor": floor, "stages": stages, "rerun_s": second_s, "rerun_skipped": again.skipped,
            "cli_rerun_s": cli_s, "cli_added_s": cli_added_s, "added_s": added_s,
            "added_timings": added.timings,
            "first_s": first_s, "server_s": server_s, "peak_rss_mb": peak_rss_mb(),
            "n_docs": floor.docs, "mb": floor.mb, "pdf": _pdf_pages(), "workers": workers,
            "worker_peak_rss_mb": workers_rss}


def _pdf_pages() -> dict | None:
    """Pages/s of PDF ingest on the shared bench PDFs, when they are next to the project."""
    folder = Path(os.environ.get("LITX_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    paths = sorted((folder / "bench" / "pdfs").glob("*.pdf"))
    if not paths:
        return None
    from pipeline import pdf

    return pdf.bench_pdf(paths, repeat=1)


def _warm_up() -> None:
    """Start Prefect's temporary server before timing (a fixed ~7 s, reported apart)."""
    from prefect import flow

    @flow(name="litx-bench-warm-up")
    def nothing() -> None:
        return None

    nothing()
