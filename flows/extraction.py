"""The extraction task, in a module of its own: worker processes and Dask workers import the
module a task is defined in, and this one needs only Prefect and ``pipeline.extract`` (not the
pandas, pyarrow and pandera the rest of the flow loads; ~1 s less per worker to start)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from prefect import Task, task
from prefect.cache_policies import CachePolicy
from prefect.settings import get_current_settings

from pipeline import extract
from pipeline.records import Document


def _batch_key(context, parameters) -> str:
    ids = ",".join(d.doc_id for d in parameters["docs"])
    return "litx-batch-" + hashlib.sha256(f"{ids}|{parameters['version']}".encode()).hexdigest()


# Persisted for later runs; not also kept in Prefect's in-memory result cache, which would
# hold every batch's records until the process ends.
@task(cache_policy=CachePolicy.from_cache_key_fn(_batch_key), persist_result=True,
      cache_result_in_memory=False)
def extract_batch(docs: list[Document], version: str) -> list[extract.Extraction]:
    return extract.documents(docs)


def keys_folder() -> Path:
    """``litx-cache-keys/`` inside this run's result folder."""
    return get_current_settings().results.local_storage_path / "litx-cache-keys"


def keyed() -> Task:
    """``extract_batch`` with its cache keys in files of their own, next to the results.

    Prefect checks that a cached result exists by reading its record; with the key stored in
    the result file, that record is the whole batch, which it unpickled once to check and again
    to use (1.6 s of a 3 s cached extract stage on 1,000 documents). A key file is small.
    Task runs on Dask workers get the flow's settings from Prefect, so they write keys and
    results under the same folder, on their own machine; sharing it shares both.
    """
    return extract_batch.with_options(cache_policy=extract_batch.cache_policy.configure(
        key_storage=keys_folder()))
