"""The extraction task, in a module of its own: worker processes and Dask workers import the
module a task is defined in, and this one needs only Prefect and ``pipeline.extract`` (not the
pandas, pyarrow and pandera the rest of the flow loads; ~1 s less per worker to start)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from prefect import Task, task
from prefect.cache_policies import CachePolicy

from pipeline import extract
from pipeline.records import Document


def _extract_key(context, parameters) -> str:
    return "litx-extract-" + _batch_hash(parameters)


def _split_key(context, parameters) -> str:
    # Results stored apart from their keys (keyed_in) are a different file format: a key of
    # their own keeps a run that stores both in one record from reading one of them.
    return "litx-batch-" + _batch_hash(parameters)


def _batch_hash(parameters) -> str:
    ids = ",".join(d.doc_id for d in parameters["docs"])
    return hashlib.sha256(f"{ids}|{parameters['version']}".encode()).hexdigest()


_BY_KEY = CachePolicy.from_cache_key_fn(_extract_key)
_SPLIT = CachePolicy.from_cache_key_fn(_split_key)


# Persisted for later runs; not also kept in Prefect's in-memory result cache, which would
# hold every batch's records until the process ends.
@task(cache_policy=_BY_KEY, persist_result=True, cache_result_in_memory=False)
def extract_batch(docs: list[Document], version: str) -> list[extract.Extraction]:
    return [extract.document(d) for d in docs]


def keyed_in(folder: Path) -> Task:
    """``extract_batch`` with its cache keys in ``folder``, apart from the results.

    Prefect checks that a cached result exists by reading its record; with the key stored
    alongside the result, that record is the whole batch, which it unpickled once to check
    and again to use (1.6 s of a 3 s cached extract stage on 1,000 documents). A key of its
    own is a small file. The folder must be on the machine that runs the task.
    """
    return extract_batch.with_options(cache_policy=_SPLIT.configure(key_storage=folder))
