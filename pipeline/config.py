"""Paths, limits and the offline Prefect settings every entry point applies first."""

from __future__ import annotations

import os
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"

# Files above these sizes are recorded as errors instead of being read whole (DESIGN.md §10).
MAX_TEXT_BYTES = 20_000_000
MAX_PDF_BYTES = 100_000_000

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")

# Prefect runs ephemeral (no server to start), quiet and without telemetry: measured in
# shared/SETUP-NOTES.md §4. Defaults only: a user's own settings win.
_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # The server's setting above does not cover Prefect's client, which on its first import
    # in an interactive terminal sends a usage event unless DO_NOT_TRACK is set.
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def prefect_env(project_dir: Path) -> None:
    """Point Prefect at a project-local home and quiet it; call before importing prefect."""
    home = Path(os.environ.setdefault("PREFECT_HOME", str(project_dir.resolve() / ".prefect")))
    os.environ.setdefault("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(home / "storage"))
    for key, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
