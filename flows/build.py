"""The flow behind ``litx run``: ingest -> extract -> dedup -> write.

Tasks are coarse (a batch of documents), because Prefect costs ~5 ms per task run here
(shared/SETUP-NOTES.md §4). Each task body is one call into pipeline/.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipeline import dataset, extract, ingest, progress, rules
from pipeline.records import Document

BATCH_DOCS = 64


@task(cache_policy=NO_CACHE)
def read_batch(paths: list[str], root: str) -> list[Document]:
    docs = [ingest.read(Path(p), Path(root)) for p in paths]
    progress.get().advance("ingest", len(docs))
    return docs


@task(cache_policy=NO_CACHE)
def extract_batch(docs: list[Document], rules_version: str) -> list[extract.Extraction]:
    out = [extract.document(d, rules_version) for d in docs]
    progress.get().advance("extract", len(docs))
    return out


@task(cache_policy=NO_CACHE)
def write_outputs(out_dir: str, docs: list[Document], extractions: list[extract.Extraction],
                  rules_version: str) -> dataset.Summary:
    return dataset.write(Path(out_dir), docs, extractions, rules_version=rules_version)


def _batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@flow(name="litx-build", log_prints=False, validate_parameters=False)
def build_dataset(raw_dir: str = "raw", out_dir: str = "extracted") -> dataset.Summary:
    """Build the dataset in ``out_dir`` from the corpus in ``raw_dir``."""
    version = rules.load().version  # a bad rule file fails here, before any output
    paths = [str(p) for p in ingest.list_inputs(Path(raw_dir))]
    progress.get().start("ingest", len(paths))
    docs = [d for batch in _batches(paths, BATCH_DOCS) for d in read_batch(batch, raw_dir)]
    progress.get().start("extract", len(docs))
    extractions = [x for batch in _batches(docs, BATCH_DOCS)
                   for x in extract_batch(batch, version)]
    return write_outputs(out_dir, docs, extractions, version)
