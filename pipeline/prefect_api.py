"""A temporary Prefect server for one ``litx run``, launched before the pipeline is imported.

With no ``PREFECT_API_URL`` Prefect's client starts a temporary server itself, at the flow's
first API call: after this process has imported the pipeline's libraries (~4.5 s here) and
Prefect's API modules (~3 s, needed only to launch the server), and the server's own process
then takes ~7 s to answer. ``prefect server start`` launched first, in its own process, is
ready about when the imports are done. Same database (the Prefect home), no UI, no services:
what Prefect's temporary server runs too.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

_STARTS = 2  # a second port if the first was taken between choosing it and binding it
_PR_SET_PDEATHSIG = 1


class ServerError(RuntimeError):
    """The temporary server exited or did not answer in time."""


def wanted() -> bool:
    """True unless an API is configured or Prefect's temporary server is turned off.

    Cheap when Prefect is not imported yet (``litx run``): only the environment is read then,
    so the caller asks again once Prefect's settings are loaded (a profile may name an API).
    """
    if "prefect.settings" not in sys.modules:
        return not os.environ.get("PREFECT_API_URL")
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


class TemporaryServer:
    """``prefect server start`` on a free local port, stopped with this process."""

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()
        self._starts = 0
        self._launch()
        atexit.register(self.stop)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _launch(self) -> None:
        self._starts += 1
        self.port = _free_port()
        self._log.seek(0)
        self._log.truncate()
        self._process = subprocess.Popen(
            command(self.port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._log, preexec_fn=_die_with_parent if _prctl is not None else None)

    def wait(self, timeout: float) -> str:
        """The API's URL once the server answers; ServerError when it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                if self._starts < _STARTS:
                    self._launch()
                    continue
                raise ServerError(f"the temporary Prefect server exited with code {code}: "
                                  f"{self._last_line()}")
            if _answers(f"{self.api_url}/health"):
                return self.api_url
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"the temporary Prefect server did not answer within {timeout:g} s "
                          "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _last_line(self) -> str:
        self._log.seek(0)
        lines = [ln for ln in self._log.read().decode("utf-8", "replace").splitlines()
                 if ln.strip()]
        return lines[-1].strip()[:300] if lines else "no output"


def command(port: int) -> list[str]:
    """Prefect's own server command, in this interpreter (so this environment's Prefect)."""
    return [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
            "--port", str(port), "--no-services", "--no-ui"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


# Looked up here, not in the forked child, which must not load anything before exec.
_prctl = ctypes.CDLL(None).prctl if sys.platform == "linux" else None


def _die_with_parent() -> None:
    # A litx run killed outright (SIGKILL, a closed terminal) must not leave a server behind:
    # the kernel sends it SIGTERM when the thread that launched it is gone.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
