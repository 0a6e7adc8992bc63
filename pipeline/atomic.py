"""Output files that are only ever seen whole: hidden temp files beside the target, renamed.

A reader, or a run killed at any instant, sees the complete old file or the complete new one.
Temp files are named ``.<name>.<random>.tmp`` and exist only while their writer holds a shared
lock on the folder, so ``remove_stale_temps`` can tell a killed run's leftovers from files in
flight. ``Staging`` keeps a set of files hidden until every one of them is written, then
renames them all.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
# What a killed writer leaves behind: ".<name>." + mkstemp's 8 random chars + ".tmp".
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(path.parent):
        replace_with(path, data)
    fsync_folder(path.parent)


class Staging:
    """Files written as hidden temps and made visible together by ``commit``.

    Leaving the ``with`` block without a commit (an error, a failed validation) deletes the
    temps, so the targets keep their previous content. Each folder written to stays under a
    shared lock until then: a concurrent run's sweep cannot take a temp still to be renamed.
    """

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._locked: set[Path] = set()
        self._made: list[Path] = []  # folders that did not exist, removed again on abort
        self._pending: list[tuple[Path, Path]] = []  # (temp, target)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for temp, _ in self._pending:
                temp.unlink(missing_ok=True)
            self._pending.clear()
            for folder in reversed(self._made):
                _remove_if_empty(folder)
        finally:
            self._stack.close()

    @contextmanager
    def open(self, target: Path) -> Iterator[BinaryIO]:
        """A binary handle on a new temp file for ``target``; flushed to disk on close."""
        folder = target.parent
        if folder not in self._locked:
            if not folder.exists():
                folder.mkdir(parents=True)
                self._made.append(folder)
            self._stack.enter_context(folder_lock(folder))
            self._locked.add(folder)
        with _temp_file(target) as (temp, fh):
            yield fh
        self._pending.append((temp, target))

    def commit(self) -> None:
        """Rename every temp over its target, in the order they were written."""
        for temp, target in self._pending:
            os.replace(temp, target)
        self._pending.clear()
        self._made.clear()
        for folder in self._locked:
            fsync_folder(folder)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (another writer's files), or already gone


@contextmanager
def _temp_file(target: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A new hidden temp file beside ``target``, on disk when the block ends, gone on error."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            # mkstemp makes the file private (0600); outputs are meant to be shared.
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            yield temp, fh
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def replace_with(path: Path, data: bytes) -> None:
    """The temp file and rename of one file; the caller holds ``folder_lock`` and makes the
    rename durable (``fsync_folder``) afterwards."""
    with _temp_file(path) as (temp, fh):
        fh.write(data)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextmanager
def folder_lock(folder: Path, exclusive: bool = False) -> Iterator[None]:
    """flock on the folder itself: writers share it, the stale-temp sweep takes it alone."""
    if fcntl is None:  # no flock (Windows): writes stay atomic, the sweep is unguarded
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk (power loss, not SIGKILL).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename itself is still atomic
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> list[str]:
    """Delete temp files that killed writers left in ``folder``; return their names.

    Only names this module makes are touched, and only while no writer is active in the
    folder (exclusive lock), so a concurrent run's temp file in flight is never removed.
    Never call it inside a ``Staging`` that writes to ``folder``: the lock would wait on itself.
    """
    if not folder.is_dir():
        return []
    removed = []
    with folder_lock(folder, exclusive=True):
        for entry in os.scandir(folder):
            if _TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)
                removed.append(entry.name)
    return sorted(removed)
