"""``litx run --workers N``: extraction in N local worker processes (Prefect's
ProcessPoolTaskRunner), reporting to one Prefect API, gives the same dataset."""

import os
import subprocess
import sys

import pytest
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from typer.testing import CliRunner

from conftest import RAW, ROOT
from pipeline import runner
from pipeline.cli import app

OUTPUTS = ("documents.csv", "mentions.csv", "references.csv", "overlaps.csv", "findings.csv",
           "conflicts.csv")


def test_two_worker_processes_give_the_seed_run(seed_run, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PYTHONPATH=str(ROOT))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--raw", str(RAW),
                             "--out", str(out), "--workers", "2"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (seed_run / name).read_bytes(), name


def test_workers_choose_the_task_runner():
    assert isinstance(runner.task_runner("local", None), ThreadPoolTaskRunner)
    pool = runner.task_runner("local", None, workers=3)
    assert isinstance(pool, ProcessPoolTaskRunner)
    assert pool._max_workers == 3


@pytest.mark.parametrize("args, message", [
    (["--workers", "0"], "at least 1"),
    (["--workers", "2", "--runner", "dask", "--address", "tcp://127.0.0.1:1"], "dask worker"),
])
def test_bad_worker_counts_are_refused_before_any_output(tmp_path, args, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "--raw", str(RAW), "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_worker_processes_get_the_api_of_this_process(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        with runner.shared_api(1):
            assert "PREFECT_API_URL" not in os.environ  # one worker thread: nothing to share
        with runner.shared_api(2):
            assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:9/api"
        assert "PREFECT_API_URL" not in os.environ
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:8/api")
    with runner.shared_api(2):
        assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:8/api"
    assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:8/api"  # the user's, left alone
