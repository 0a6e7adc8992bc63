"""The flow behind ``litx run``: ingest -> dedup and extract -> link -> reconcile -> write.

Tasks are coarse (a batch of documents), because Prefect costs ~5 ms per task run here
(shared/SETUP-NOTES.md §4). Each task body is one call into pipeline/. Extraction batches
(``flows/extraction.py``) are cached by Prefect, keyed on their documents' content hashes plus
the rules and code versions.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import extraction
from pipeline import (batching, config, dataset, dedupe, extract, heap, ingest, manifest,
                      progress, reconcile, rules, textspool, versioning)
from pipeline.runner import local_task_runner
from pipeline.records import Document
from pipeline.summary import Summary

BATCH_DOCS = 64
# On Dask a task run costs ~0.3 s of orchestration against ~0.08 s locally (measured with
# tasks that do no work, README "Running on a Dask cluster"), so its batches are larger.
DASK_BATCH_DOCS = 256


@task(cache_policy=NO_CACHE)
def read_batch(paths: list[str], root: str) -> list[Document]:
    docs = [ingest.read(Path(p), Path(root)) for p in paths]
    progress.get().advance("ingest", len(docs))
    return docs


# One task returning a tuple: Prefect records every item of a list a task returns (an entry
# per mention in a flow-long table), but only the top level of a tuple.
@task(cache_policy=NO_CACHE)
def link_records(extractions: list[extract.Extraction], overlaps: dedupe.DedupResult,
                 docs: list[Document]) -> tuple[list, list]:
    return dataset.link(extractions, overlaps, docs)


@task(cache_policy=NO_CACHE)
def sentence_spans(extractions: list[extract.Extraction]) -> dict:
    return dataset.segments(extractions)


@task(cache_policy=NO_CACHE)
def find_overlaps(docs: list[Document]) -> dedupe.DedupResult:
    # Signatures are cached by content hash next to Prefect's own results.
    return dedupe.find_overlaps(docs, Path(os.environ["PREFECT_HOME"]) / "litx-dedup")


@task(cache_policy=NO_CACHE)
def spool_texts(docs: list[Document], spool: textspool.TextSpool) -> list[Document]:
    return spool.add(docs)


@task(cache_policy=NO_CACHE)
def reconcile_mentions(docs: list[Document], spool: textspool.TextSpool, mentions: list,
                       references: list, segments: dict) -> tuple:
    return reconcile.run(spool.documents(docs), mentions, references,
                         config.RULES_DIR / "decisions.jsonl", segments)


@task(cache_policy=NO_CACHE)
def write_outputs(out_dir: str, docs: list[Document], spool: textspool.TextSpool,
                  mentions: list, references: list, dedup: dedupe.DedupResult, findings: list,
                  conflicts: list, rules_version: str, excel_safe: bool = False
                  ) -> Summary:
    return dataset.write(Path(out_dir), docs, mentions, references, dedup.overlaps,
                         dedup.links, rules_version, findings, conflicts, excel_safe=excel_safe,
                         texts=spool)


@contextmanager
def _timed(timings: dict[str, float], stage: str, bar: bool = True):
    """Time ``stage``; corpus-wide stages also get a one-step bar so a long run shows them.

    What the stage let go of is handed back to the OS at its end, so the next stage's peak
    does not stack on the heap this one left behind.
    """
    if bar:
        progress.get().start(stage, 1)
    start = time.perf_counter()
    yield
    heap.release()
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
    if bar:
        progress.get().advance(stage, 1)


def _ingest(raw_dir: str) -> list[Document]:
    paths = [str(p) for p in ingest.list_inputs(Path(raw_dir))]
    progress.get().start("ingest", len(paths))
    chunks = [paths[i:i + BATCH_DOCS] for i in range(0, len(paths), BATCH_DOCS)]
    return [d for chunk in chunks for d in read_batch(chunk, raw_dir)]


def _submit_extraction(docs: list[Document], version: str, batch_docs: int) -> _Pending:
    """Submit every extraction batch; the bar advances as each one finishes."""
    by_id = {d.doc_id: d for d in docs if d.status == "ok"}
    plan_path = Path(os.environ["PREFECT_HOME"]) / f"litx-batches-{version}.json"
    batches = batching.plan(sorted(by_id), batching.load_plan(plan_path), batch_docs)
    progress.get().start("extract", len(by_id))
    # A batch is small enough for Prefect to inspect, and a quote() does not survive the trip
    # to a Dask worker (it arrives as a bare tuple).
    extract_task = extraction.keyed()
    futures = [extract_task.submit([by_id[i] for i in b], version) for b in batches]
    for batch, future in zip(batches, futures):
        future.add_done_callback(lambda _, n=len(batch): progress.get().advance("extract", n))
    return _Pending(batches, futures, plan_path, time.perf_counter())


class _Pending(NamedTuple):
    batches: list[list[str]]
    futures: list
    plan_path: Path
    submitted: float  # perf_counter at submission


def _gather(pending: _Pending) -> list[extract.Extraction]:
    out = [x for future in pending.futures for x in future.result()]
    batching.save_plan(pending.plan_path, pending.batches)
    return out


def _extracts_elsewhere() -> bool:
    """Whether extraction tasks run outside this process (worker processes, a Dask cluster),
    leaving this one free to find the overlaps meanwhile."""
    runner = FlowRunContext.get().task_runner
    return not isinstance(runner, ThreadPoolTaskRunner)


# Callers that do not choose a runner (tests, `litx bench`) get the one `litx run` uses.
@flow(name="litx-build", log_prints=False, validate_parameters=False,
      task_runner=local_task_runner())
def build_dataset(raw_dir: str = "raw", out_dir: str = "extracted",
                  excel_safe: bool = False, batch_docs: int = BATCH_DOCS) -> Summary:
    """Build the dataset in ``out_dir`` from the corpus in ``raw_dir``; new documents are
    extracted in batches of ``batch_docs`` (the outputs do not depend on it)."""
    timings: dict[str, float] = {}
    rules_version = rules.load().version  # a bad rule file fails here, before any output
    version = versioning.cache_version()
    with _timed(timings, "ingest", bar=False):
        docs = _ingest(raw_dir)
    fp = manifest.of_documents(docs, excel_safe)
    stored = manifest.unchanged(Path(out_dir), fp)
    if stored is not None:
        return Summary.from_json(stored)
    # Worker processes or a cluster extract while this process finds the overlaps; extraction
    # in this process's own worker thread would only fight dedup for the GIL.
    pending = _submit_extraction(docs, version, batch_docs) if _extracts_elsewhere() else None
    # quote(): corpus-sized arguments are passed as they are; Prefect would otherwise walk
    # every record looking for futures, which cost more than the stages themselves.
    with _timed(timings, "dedup"):
        overlaps = find_overlaps(quote(docs))
    home = Path(os.environ["PREFECT_HOME"])
    with textspool.temporary(home / "litx-spool") as spool:
        pending = pending or _submit_extraction(docs, version, batch_docs)
        extractions = _gather(pending)
        # Later stages read one text at a time: the texts wait on disk from here on.
        docs = spool_texts(quote(docs), quote(spool))
        heap.release()
        # Timed from submission, so with extraction running elsewhere it overlaps dedup's time.
        timings["extract"] = time.perf_counter() - pending.submitted
        del pending
        with _timed(timings, "link"):
            mentions, references = link_records(quote(extractions), quote(overlaps),
                                                quote(docs))
            segments = sentence_spans(quote(extractions))
            # Only the extractions' sentences and paragraphs are used from here on; letting
            # go of the rest frees the mention and reference records that linking replaced.
            del extractions
        with _timed(timings, "reconcile"):
            mentions, findings, conflicts = reconcile_mentions(
                quote(docs), quote(spool), quote(mentions), quote(references), quote(segments))
            del segments  # attribution was their last use; the write stage needs the memory
        with _timed(timings, "write"):
            summary = write_outputs(out_dir, quote(docs), quote(spool), quote(mentions),
                                    quote(references), quote(overlaps), quote(findings),
                                    quote(conflicts), rules_version, excel_safe)
    manifest.record(Path(out_dir), fp, summary.to_json())
    return replace(summary, timings=timings)
