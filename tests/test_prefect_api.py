"""The temporary Prefect server ``litx run`` launches before importing the pipeline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT
from pipeline import prefect_api


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited but is not yet reaped by its (dead) parent's reaper.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_the_server_answers_from_the_project_home_and_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = prefect_api.TemporaryServer()
    try:
        url = server.wait(120)
        assert url == f"http://127.0.0.1:{server.port}/api"
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            assert json.loads(response.read()) is True
        # The run's state lives in the project's Prefect home, as with Prefect's own server.
        assert (tmp_path / "home" / "prefect.db").is_file()
    finally:
        server.stop()
    assert server._process.poll() is not None
    assert not prefect_api._answers(f"{url}/health")


def test_a_server_that_exits_is_retried_once_then_reported(monkeypatch):
    ports = []

    def failing(port: int) -> list[str]:
        ports.append(port)
        return [sys.executable, "-c",
                f"import sys; print('starting'); sys.exit('port {port} is taken')"]

    monkeypatch.setattr(prefect_api, "command", failing)
    server = prefect_api.TemporaryServer()
    with pytest.raises(prefect_api.ServerError) as err:
        server.wait(60)
    assert len(ports) == 2
    assert str(err.value) == (f"the temporary Prefect server exited with code 1: "
                              f"port {ports[1]} is taken")


def test_a_server_that_never_answers_times_out_and_is_stopped(monkeypatch):
    monkeypatch.setattr(prefect_api, "command",
                        lambda port: [sys.executable, "-c", "import time; time.sleep(60)"])
    server = prefect_api.TemporaryServer()
    with pytest.raises(prefect_api.ServerError, match="did not answer within 0.5 s"):
        server.wait(0.5)
    assert server._process.poll() is not None


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's prctl")
def test_a_killed_run_leaves_no_server_behind(tmp_path):
    code = ("import sys, time\nfrom pipeline import prefect_api\n"
            "prefect_api.command = lambda port: [sys.executable, '-c', "
            "'import time; time.sleep(120)']\n"
            "server = prefect_api.TemporaryServer()\n"
            "print(server._process.pid, flush=True)\ntime.sleep(120)\n")
    run = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    child = int(run.stdout.readline())
    assert _pid_alive(child)
    run.send_signal(signal.SIGKILL)  # no atexit handler runs
    run.wait()
    deadline = time.monotonic() + 10
    while _pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(child)


def test_no_server_is_wanted_when_an_api_is_configured_or_ephemeral_mode_is_off(monkeypatch):
    from prefect.settings import (PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED,
                                  temporary_settings)

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert prefect_api.wanted()
        with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
            assert not prefect_api.wanted()
        with temporary_settings({PREFECT_SERVER_EPHEMERAL_ENABLED: False}):
            assert not prefect_api.wanted()


def test_a_bad_rule_file_stops_the_server_the_run_launched(tmp_path, monkeypatch):
    from conftest import RAW
    from pipeline import runner
    from pipeline.errors import RuleError

    launched = []
    launch = prefect_api.TemporaryServer.__init__

    def recorded(self):
        launch(self)
        launched.append(self)

    def bad_rules(*args, **kwargs):
        raise RuleError("rules/patterns/dose.jsonl:3: unknown key 'patern'")

    monkeypatch.setattr(prefect_api, "command",
                        lambda port: [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(prefect_api, "wanted", lambda: True)
    monkeypatch.setattr(prefect_api.TemporaryServer, "__init__", recorded)
    monkeypatch.setattr(runner.rules, "load", bad_rules)
    with pytest.raises(RuleError):
        runner.run_flow(RAW, tmp_path / "out")
    assert len(launched) == 1
    assert launched[0]._process.poll() is not None
    assert not (tmp_path / "out").exists()


_HEALTHY = ("import http.server, sys\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        self.send_response(200 if self.path == '/api/health' else 404)\n"
            "        self.end_headers()\n"
            "        self.wfile.write(b'true')\n"
            "    def log_message(self, *args):\n"
            "        pass\n"
            "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n")


def test_the_run_points_prefect_and_its_workers_at_the_server_once_it_answers(monkeypatch):
    from prefect.settings import PREFECT_API_URL

    from pipeline import runner

    class Reporter:
        def __init__(self):
            self.calls = []

        def start(self, stage, total):
            self.calls.append(("start", stage, total))

        def advance(self, stage, n=1):
            self.calls.append(("advance", stage, n))

    monkeypatch.setattr(prefect_api, "command",
                        lambda port: [sys.executable, "-c", _HEALTHY, str(port)])
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = prefect_api.TemporaryServer()
    reporter = Reporter()
    try:
        with runner._own_api(server, reporter):
            # Worker processes read the environment; this process reads Prefect's settings.
            assert os.environ["PREFECT_API_URL"] == server.api_url
            assert PREFECT_API_URL.value() == server.api_url
            assert reporter.calls == [("start", "prefect", 1), ("advance", "prefect", 1)]
    finally:
        server.stop()
    assert "PREFECT_API_URL" not in os.environ
    assert PREFECT_API_URL.value() != server.api_url
