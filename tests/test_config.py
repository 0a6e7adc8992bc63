"""The Prefect settings every entry point applies before importing Prefect."""

import os

from pipeline import config


def test_prefect_defaults_turn_telemetry_off_but_never_override_the_user(tmp_path,
                                                                          monkeypatch):
    for key in ("PREFECT_HOME", "PREFECT_RESULTS_LOCAL_STORAGE_PATH", "DO_NOT_TRACK",
                "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_LOGGING_LEVEL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    config.prefect_env(tmp_path)
    assert os.environ["PREFECT_HOME"] == str(tmp_path.resolve() / ".prefect")
    assert os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] == str(
        tmp_path.resolve() / ".prefect" / "storage")
    # Both Prefect's server analytics and its client's usage events are off.
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG"


def test_prefect_client_telemetry_is_off_after_prefect_env(tmp_path, monkeypatch):
    from prefect._internal.analytics.enabled import is_telemetry_enabled

    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    for key in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL"):
        monkeypatch.delenv(key, raising=False)
    config.prefect_env(tmp_path)
    assert not is_telemetry_enabled()
