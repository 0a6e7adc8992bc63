"""Shared fixtures: an isolated Prefect home, the seed corpus and one seed run."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
SHARED = Path(os.environ.get("LITX_SHARED", ROOT.parent / "shared"))

# Prefect must never write to ~/.prefect or the project's .prefect during tests.
_PREFECT_HOME = tempfile.mkdtemp(prefix="litx-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
from pipeline import config  # noqa: E402

config.prefect_env(ROOT)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


def read_text_exact(path: Path) -> str:
    """Canonical texts are compared byte for byte: no newline translation."""
    return path.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_run(prefect_harness, tmp_path_factory) -> Path:
    """The flow run once on raw/, into a temporary output folder."""
    from flows.build import build_dataset

    out = tmp_path_factory.mktemp("seed-run")
    build_dataset(str(RAW), str(out))
    return out
