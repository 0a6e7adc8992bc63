"""The extraction task, in a module of its own: worker processes and Dask workers import the
module a task is defined in, and this one needs only Prefect and ``pipeline.extract`` (not the
pandas, pyarrow and pandera the rest of the flow loads; ~1 s less per worker to start)."""

from __future__ import annotations

import hashlib

from prefect import task

from pipeline import extract
from pipeline.records import Document


def _extract_key(context, parameters) -> str:
    ids = ",".join(d.doc_id for d in parameters["docs"])
    return "litx-extract-" + hashlib.sha256(f"{ids}|{parameters['version']}".encode()).hexdigest()


# Persisted for later runs; not also kept in Prefect's in-memory result cache, which would
# hold every batch's records until the process ends.
@task(cache_key_fn=_extract_key, persist_result=True, cache_result_in_memory=False)
def extract_batch(docs: list[Document], version: str) -> list[extract.Extraction]:
    return [extract.document(d) for d in docs]
