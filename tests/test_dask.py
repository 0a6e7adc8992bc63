"""``litx run --runner dask`` on a real local cluster (scheduler + 2 workers) with one shared
Prefect API gives the same dataset as the local runner."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import RAW, ROOT

BIN = Path(sys.executable).parent
OUTPUTS = ("documents.csv", "mentions.csv", "references.csv", "overlaps.csv", "findings.csv",
           "conflicts.csv")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not come up in {timeout:.0f} s")


@pytest.fixture()
def cluster(tmp_path):
    api_port, sched_port = _free_port(), _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PYTHONPATH": str(ROOT), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    api = f"http://127.0.0.1:{api_port}/api"
    procs = [subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(api_port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait(lambda: urllib.request.urlopen(api + "/health", timeout=2).status == 200,
              "prefect server")
        env["PREFECT_API_URL"] = api
        address = f"tcp://127.0.0.1:{sched_port}"
        procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                       "--port", str(sched_port), "--no-dashboard"], env=env,
                                      cwd=tmp_path, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        _wait(lambda: socket.create_connection(("127.0.0.1", sched_port), 1).close() is None,
              "dask scheduler")
        for _ in range(2):
            # A result folder in the workers' own settings, which the flow's settings override.
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"],
                env={**env, "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(tmp_path / "worker-own")},
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield address, env
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _dask_run(address: str, env: dict, out: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--raw", str(RAW),
                             "--out", str(out), "--runner", "dask", "--address", address],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file()}


def test_dask_runner_matches_local_run(cluster, seed_run, tmp_path):
    address, env = cluster
    results = tmp_path / "results"
    env = {**env, "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(results)}
    out = tmp_path / "dask-out"
    _dask_run(address, env, out)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (seed_run / name).read_bytes(), name
    # Task runs get the flow's settings: the workers store each batch and its cache key (in a
    # file of its own, so a cache check does not unpickle the batch) in the run's result folder.
    keys = sorted((results / "litx-cache-keys").iterdir())
    assert keys and all(k.name.startswith("litx-batch-") for k in keys)
    assert sorted(p.name for p in results.glob("litx-batch-*")) == [k.name for k in keys]
    assert not (tmp_path / "worker-own").exists()
    # A rebuild takes every batch from the workers' cache: no result is written again.
    stored = _files(results)
    (out / "mentions.csv").write_text("tampered\n")
    _dask_run(address, env, out)
    assert _files(results) == stored
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (seed_run / name).read_bytes(), name


def test_dask_runner_without_shared_api_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--raw", str(RAW),
                             "--out", str(tmp_path / "o"), "--runner", "dask", "--address",
                             "tcp://127.0.0.1:1"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "PREFECT_API_URL" in result.stderr
