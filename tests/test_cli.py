import json
import subprocess
import sys

from typer.testing import CliRunner

from conftest import RAW, ROOT
from pipeline.cli import app

runner = CliRunner()


def test_extract_prints_json_lines():
    seed = next(RAW.glob("000_*.txt"))
    result = runner.invoke(app, ["extract", str(seed)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(r["label"] == "DOSE" and r["text"] == "20 mg/kg" for r in rows)
    text = seed.read_bytes().decode("utf-8")
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)


def test_extract_csv_format():
    seed = next(RAW.glob("003_*.txt"))
    result = runner.invoke(app, ["extract", "--format", "csv", str(seed)])
    assert result.exit_code == 0
    assert result.stdout.startswith("mention_id,doc_id,source,label")


def test_extract_does_not_import_prefect():
    code = ("import sys; from pipeline.cli import app; "
            "sys.argv=['litx','extract','" + str(next(RAW.glob('004_*.txt'))) + "']; "
            "import pipeline.cli as c\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "assert 'prefect' not in sys.modules, 'extract must not start Prefect'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_run_rejects_bad_rules_before_touching_output(tmp_path, monkeypatch):
    import shutil

    from pipeline import config

    bad = tmp_path / "rules"
    shutil.copytree(config.RULES_DIR, bad)
    (bad / "patterns" / "dose.jsonl").write_text("{not json\n")
    monkeypatch.setattr(config, "RULES_DIR", bad)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--raw", str(RAW), "--out", str(out)])
    assert result.exit_code == 2
    assert "dose.jsonl:1" in result.output
    assert not out.exists()
