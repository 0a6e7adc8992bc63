"""Staging: a set of files stays hidden until all are written, and vanishes on failure."""

from __future__ import annotations

import pytest

from pipeline import atomic


def _visible(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if not p.name.startswith("."))


def test_staged_files_appear_only_on_commit(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"old a")
    with atomic.Staging() as staged:
        with staged.open(tmp_path / "a.csv") as fh:
            fh.write(b"new ")
            fh.write(b"a")
        with staged.open(tmp_path / "sub" / "b.csv") as fh:
            fh.write(b"new b")
        assert (tmp_path / "a.csv").read_bytes() == b"old a"
        assert not (tmp_path / "sub" / "b.csv").exists()
        staged.commit()
    assert (tmp_path / "a.csv").read_bytes() == b"new a"
    assert (tmp_path / "sub" / "b.csv").read_bytes() == b"new b"
    assert [p.name for p in tmp_path.rglob(".*")] == []


def test_leaving_without_commit_keeps_old_files_and_removes_temps(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"old a")
    with pytest.raises(ValueError, match="invalid table"):
        with atomic.Staging() as staged:
            with staged.open(tmp_path / "a.csv") as fh:
                fh.write(b"new a")
            with staged.open(tmp_path / "excel" / "a.csv") as fh:
                fh.write(b"copy")
            raise ValueError("invalid table")
    assert (tmp_path / "a.csv").read_bytes() == b"old a"
    # No temp file and no folder made for the staged files is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_a_failed_write_removes_its_temp_file(tmp_path):
    with atomic.Staging() as staged:
        with pytest.raises(OSError, match="disk full"):
            with staged.open(tmp_path / "a.csv") as fh:
                fh.write(b"partial")
                raise OSError("disk full")
        assert list(tmp_path.iterdir()) == []
        with staged.open(tmp_path / "b.csv") as fh:
            fh.write(b"b")
        staged.commit()
    assert _visible(tmp_path) == ["b.csv"]


def test_a_sweep_waits_until_staged_files_are_committed(tmp_path):
    """A concurrent run's sweep must not delete temps that are still to be renamed."""
    import threading

    swept = []
    with atomic.Staging() as staged:
        with staged.open(tmp_path / "a.csv") as fh:
            fh.write(b"a")
        sweeper = threading.Thread(target=lambda: swept.append(
            atomic.remove_stale_temps(tmp_path)))
        sweeper.start()
        sweeper.join(0.3)
        assert sweeper.is_alive()  # blocked by the staging's shared lock
        staged.commit()
    sweeper.join(10)
    assert swept == [[]] and (tmp_path / "a.csv").read_bytes() == b"a"
