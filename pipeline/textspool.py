"""Canonical texts kept on disk between the stages that read them, not in memory.

Dedup and extraction need every document's text at once; attribution and the write stage read
one document at a time. In between, the texts wait in a spool folder and the documents travel
without them (``text == ""`` on an ``ok`` document means "in the spool"), so a run does not
hold the whole corpus through its later stages. The spool lives under the Prefect home (a disk;
the system temp folder may be memory) and is removed when the run ends; a folder left by a
killed run is removed by the next one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pipeline import atomic
from pipeline.records import Document, replaced

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no sweep of abandoned spools
    fcntl = None

_PREFIX = "texts-"


class TextSpool(Mapping[str, str]):
    """doc_id -> canonical text, read from the spool folder on each access."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._ids: set[str] = set()

    def add(self, docs: Iterable[Document]) -> list[Document]:
        """Spool the texts of ``docs``; return the documents without their texts."""
        out = []
        for d in docs:
            if d.status == "ok" and d.text:
                if d.doc_id not in self._ids:
                    self._path(d.doc_id).write_bytes(d.text.encode("utf-8"))
                    self._ids.add(d.doc_id)
                d = replaced(d, text="")
            out.append(d)
        return out

    def documents(self, docs: Iterable[Document]) -> Iterator[Document]:
        """``docs`` with their texts back, read one document at a time."""
        for d in docs:
            yield replaced(d, text=self[d.doc_id]) if not d.text and d.doc_id in self else d

    def __getitem__(self, doc_id: str) -> str:
        if doc_id not in self._ids:
            raise KeyError(doc_id)
        return self._path(doc_id).read_bytes().decode("utf-8")

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    def _path(self, doc_id: str) -> Path:
        return self.folder / f"{doc_id}.txt"


@contextmanager
def temporary(base: Path) -> Iterator[TextSpool]:
    """An empty spool in a new folder under ``base``, removed on exit.

    The folder is locked while in use; spools under ``base`` that nobody locks belong to
    killed runs and are removed first. Creating and sweeping both hold ``base`` alone, so a
    sweep never sees a new folder before its owner has locked it.
    """
    base.mkdir(parents=True, exist_ok=True)
    with ExitStack() as held:
        with atomic.folder_lock(base, exclusive=True):
            _remove_abandoned(base)
            folder = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=base))
            held.enter_context(atomic.folder_lock(folder))
        try:
            yield TextSpool(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # before the lock goes: never seen unlocked


def _remove_abandoned(base: Path) -> None:
    for entry in base.iterdir():
        if entry.name.startswith(_PREFIX) and entry.is_dir() and _unused(entry):
            shutil.rmtree(entry, ignore_errors=True)


def _unused(folder: Path) -> bool:
    """Whether no live run holds ``folder`` (its lock can be taken without waiting)."""
    if fcntl is None:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
