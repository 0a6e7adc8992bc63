"""A curator's decision survives a re-run: resolved while the evidence holds, reopened after."""

import shutil

import pandas as pd

from conftest import RAW
from flows.build import build_dataset
from pipeline import config, decisions


def _conflicts(out):
    return pd.read_csv(out / "conflicts.csv", dtype=str, keep_default_na=False).set_index("kind")


def test_decision_resolves_and_reopens_when_evidence_changes(prefect_harness, seed_run,
                                                              tmp_path, monkeypatch):
    rules_dir = tmp_path / "rules"
    shutil.copytree(config.RULES_DIR, rules_dir)
    monkeypatch.setattr(config, "RULES_DIR", rules_dir)
    rounding = _conflicts(seed_run).loc["rounding"]
    decisions.append(rules_dir / "decisions.jsonl",
                     decisions.record_for(rounding.to_dict(),
                                          "accept_a", "curator-1", comment="33.3 is the paper's"))
    corpus = tmp_path / "raw"
    shutil.copytree(RAW, corpus)
    out = tmp_path / "out"
    build_dataset(str(corpus), str(out))
    row = _conflicts(out).loc["rounding"]
    assert (row["status"], row["decision"], row["decided_by"]) == ("resolved", "accept_a",
                                                                   "curator-1")
    assert (_conflicts(out).drop(index="rounding")["status"] == "open").all()

    # The 002 side's sentence is reworded: the same conflict with new evidence reopens.
    [seed] = corpus.glob("002_*.txt")
    text = seed.read_text(encoding="utf-8")
    assert "compared to control group rats" in text
    seed.write_text(text.replace("compared to control group rats", "compared with control rats"),
                    encoding="utf-8")
    build_dataset(str(corpus), str(out))
    row = _conflicts(out).loc["rounding"]
    assert row["conflict_id"] == rounding["conflict_id"]
    assert (row["status"], row["decision"]) == ("reopened", "accept_a")
