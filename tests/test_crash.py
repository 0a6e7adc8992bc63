"""Crash safety: ``litx run`` SIGKILLed during extraction and during writing.

After every kill each output file is absent, the complete old version or the complete new
version; temp files are hidden and never named like an output; the curator decisions file
is untouched. A normal run afterwards sweeps the temp files and equals a clean run.

The run under test is ``python -m pipeline.cli run`` in a subprocess, started from a copy of
the project (so its ``rules/`` holds a decisions file this test owns) and pointed at the
session's Prefect test server (so no process pays for booting its own server).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import RAW, ROOT

TEMP = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
N_SMALL = 200  # many small documents: a long, observable stretch of text writes


def _corpus(path: Path) -> Path:
    shutil.copytree(RAW, path)
    for i in range(N_SMALL):
        (path / f"small_{i:04d}.txt").write_text(
            f"Patients {i} received {i % 40 + 1} mg/kg ketamine i.p. (n = {i + 3}); "
            f"{i % 90 + 5}% relapsed.\n", encoding="utf-8")
    return path


def _project_copy(dest: Path) -> Path:
    for part in ("pipeline", "flows", "rules"):
        shutil.copytree(ROOT / part, dest / part,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Owned by this test; a run must never write it. Empty: its format is another stage's.
    (dest / "rules" / "decisions.jsonl").write_bytes(b"")
    return dest


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def _start(project: Path, corpus: Path, out: Path, home: Path) -> subprocess.Popen:
    from prefect.settings import PREFECT_API_URL

    # The session's own results folder is in os.environ: each run here gets its own, so
    # cached batches from the in-process clean run cannot hide extraction.
    env = dict(os.environ, PYTHONPATH=str(project), PREFECT_HOME=str(home),
               PREFECT_RESULTS_LOCAL_STORAGE_PATH=str(home / "storage"),
               PREFECT_API_URL=PREFECT_API_URL.value())
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--raw", str(corpus),
                             "--out", str(out)], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _temps(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if TEMP.fullmatch(p.name)]


def _kill_when(proc: subprocess.Popen, ready, limit: float = 600) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()`` holds; False when it finished first."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            return True
        time.sleep(0.002)
    proc.wait(timeout=60)
    return False


def _check_state(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Every visible file is the old or the new version; every CSV and JSON parses."""
    for name, data in _snapshot(out).items():
        assert data in (old.get(name), new.get(name)), f"{name} is neither old nor new"
        path = out / name
        if name.endswith(".csv"):
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            assert rows[1:] == frame.values.tolist() and rows[0] == list(frame.columns)
        elif name.endswith(".json"):
            json.loads(data)
    for hidden in out.rglob(".*"):
        assert TEMP.fullmatch(hidden.name) or hidden.name == ".litx-manifest.json", hidden
    manifest = out / ".litx-manifest.json"
    if manifest.exists():
        json.loads(manifest.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def crash_setup(prefect_harness, seed_run, tmp_path_factory):
    from flows.build import build_dataset

    base = tmp_path_factory.mktemp("crash")
    corpus = _corpus(base / "raw")
    project = _project_copy(base / "project")
    clean = base / "clean"
    build_dataset(str(corpus), str(clean))
    return base, corpus, project, _snapshot(seed_run), _snapshot(clean), seed_run


def test_kills_leave_only_complete_files_and_the_next_run_recovers(crash_setup):
    base, corpus, project, old, new, seed_run = crash_setup
    out, home = base / "out", base / "prefect-home"
    shutil.copytree(seed_run, out)  # the previous dataset a killed run must not damage
    decisions = project / "rules" / "decisions.jsonl"
    before = decisions.stat()
    rng = random.Random(1)
    # 1. Killed the moment a temp file shows: inside the write phase.
    proc = _start(project, corpus, out, home)
    killed_writing = _kill_when(proc, lambda: bool(_temps(out)))
    _check_state(out, old, new)
    # 2. Killed during extraction: a fresh Prefect home has no cached batches, and the first
    #    batch result it stores shows extraction is under way (more batches to go).
    proc = _start(project, corpus, out, base / "prefect-home-2")
    storage = base / "prefect-home-2" / "storage"
    extra = rng.uniform(0.0, 0.3)
    seen: list[float] = []
    _kill_when(proc, lambda: _after_first(storage, seen, extra))
    assert seen, "extraction finished before a cached batch could be seen"
    _check_state(out, old, new)
    # 3. Killed once the first table has been replaced: tables half old, half new.
    inode = (out / "documents.csv").stat().st_ino
    proc = _start(project, corpus, out, home)
    _kill_when(proc, lambda: _replaced(out / "documents.csv", inode))
    _check_state(out, old, new)
    assert killed_writing, "the run finished before a temp file could be seen"
    # 4. A normal run completes, sweeps what the killed runs left and equals a clean run. It
    #    uses the Prefect home of run 2, whose batch cache a kill interrupted.
    proc = _start(project, corpus, out, base / "prefect-home-2")
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr.decode(errors="replace")[-2000:]
    assert _snapshot(out) == new
    assert not _temps(out)
    after = decisions.stat()
    assert decisions.read_bytes() == b""
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def _after_first(folder: Path, seen: list[float], extra: float) -> bool:
    """True ``extra`` seconds after the first file appeared in ``folder``."""
    if not seen and folder.is_dir() and any(folder.iterdir()):
        seen.append(time.monotonic())
    return bool(seen) and time.monotonic() - seen[0] >= extra


def _replaced(path: Path, inode: int) -> bool:
    try:
        return path.stat().st_ino != inode
    except OSError:
        return False


def test_stale_temps_are_swept_but_foreign_files_stay(tmp_path):
    from pipeline import atomic

    (tmp_path / "text").mkdir()
    stale = [tmp_path / ".mentions.csv.abcd1234.tmp", tmp_path / "text" / ".x.txt.zz_9zz9z.tmp"]
    keep = [tmp_path / "notes.tmp", tmp_path / ".mine.tmp", tmp_path / "mentions.csv"]
    for path in stale + keep:
        path.write_bytes(b"partial")
    assert atomic.remove_stale_temps(tmp_path) == [".mentions.csv.abcd1234.tmp"]
    assert atomic.remove_stale_temps(tmp_path / "text") == [".x.txt.zz_9zz9z.tmp"]
    assert all(p.exists() for p in keep) and not any(p.exists() for p in stale)


def test_concurrent_writers_and_sweeps_never_collide(tmp_path):
    """A sweep waits for writers in flight, so it never deletes a temp file being written."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline import atomic

    def write(i: int) -> None:
        atomic.atomic_write(tmp_path / f"t{i % 3}.csv", f"a,b\n{i},{i}\n".encode())

    with ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(write, i) for i in range(200)]
        jobs += [pool.submit(atomic.remove_stale_temps, tmp_path) for _ in range(50)]
        for job in jobs:
            job.result()  # a swept temp file would make os.replace raise here
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t0.csv", "t1.csv", "t2.csv"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "t0.csv").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
