"""``litx run``'s flow end to end on the seeds: outputs, provenance, determinism, failures."""

import filecmp
import shutil

import pandas as pd
import pytest

from conftest import RAW, ROOT, read_text_exact
from flows.build import build_dataset

COMPARED = ("documents.csv", "mentions.csv", "references.csv", "overlaps.csv", "findings.csv",
            "conflicts.csv", "datapackage.json")


def test_outputs_exist(seed_run):
    for name in COMPARED + ("documents.parquet", "mentions.parquet"):
        assert (seed_run / name).is_file()
    docs = pd.read_csv(seed_run / "documents.csv")
    assert len(docs) == 5 and set(docs["status"]) == {"ok"}


def test_every_mention_row_has_exact_provenance(seed_run):
    mentions = pd.read_csv(seed_run / "mentions.csv", dtype={"text": str, "sentence": str},
                           keep_default_na=False)
    assert len(mentions) > 40
    required = ["doc_id", "source", "label", "start", "end", "text", "sentence",
                "rules_version", "mention_id", "rule_id", "value", "low", "high", "unit"]
    assert set(required) <= set(mentions.columns)
    texts = {}
    for row in mentions.itertuples():
        if row.doc_id not in texts:
            texts[row.doc_id] = read_text_exact(seed_run / "text" / f"{row.doc_id}.txt")
        assert texts[row.doc_id][row.start:row.end] == row.text
        assert row.text in row.sentence


def test_parquet_twin_matches_csv(seed_run):
    csv = pd.read_csv(seed_run / "mentions.csv")
    parquet = pd.read_parquet(seed_run / "mentions.parquet")
    assert list(csv.columns) == list(parquet.columns)
    assert csv["mention_id"].tolist() == parquet["mention_id"].tolist()


def test_second_run_is_byte_identical(seed_run, tmp_path):
    out = tmp_path / "again"
    build_dataset(str(RAW), str(out))
    for name in COMPARED + ("mentions.parquet",):
        assert (out / name).read_bytes() == (seed_run / name).read_bytes(), name


def test_committed_outputs_match_a_fresh_run(seed_run):
    committed = ROOT / "extracted"
    for name in COMPARED:
        assert (committed / name).read_bytes() == (seed_run / name).read_bytes(), (
            f"extracted/{name} is stale: run `litx run` and commit extracted/")
    fresh = sorted(p.name for p in (seed_run / "text").iterdir())
    assert sorted(p.name for p in (committed / "text").iterdir()) == fresh
    _, mismatch, errors = filecmp.cmpfiles(seed_run / "text", committed / "text", fresh,
                                           shallow=False)
    assert not mismatch and not errors


def test_bad_file_is_an_error_row_and_others_survive(prefect_harness, tmp_path):
    corpus = tmp_path / "raw"
    shutil.copytree(RAW, corpus)
    (corpus / "random.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "empty.md").write_bytes(b"")
    out = tmp_path / "out"
    summary = build_dataset(str(corpus), str(out))
    docs = pd.read_csv(out / "documents.csv", keep_default_na=False).set_index("source")
    assert docs.loc["random.txt", "status"] == "error"
    assert "binary" in docs.loc["random.txt", "error"]
    assert docs.loc["empty.md", "status"] == "error"
    assert (docs.drop(index=["random.txt", "empty.md"])["status"] == "ok").all()
    assert summary.n_errors == 2
    mentions = pd.read_csv(out / "mentions.csv")
    assert mentions["source"].nunique() >= 4


def test_a_run_whose_last_table_fails_validation_changes_no_output(prefect_harness, seed_run,
                                                                    tmp_path, monkeypatch):
    import pandera.errors

    from pipeline import export

    out = tmp_path / "out"
    shutil.copytree(seed_run, out)
    before = {p.relative_to(out).as_posix(): p.read_bytes()
              for p in sorted(out.rglob("*")) if p.is_file()}
    corpus = tmp_path / "raw"
    shutil.copytree(RAW, corpus)
    (corpus / "new.txt").write_text("Fifty rats received 20 mg/kg ketamine (Smith et al., 2001).\n")
    real = export.validate

    def failing(name, df):
        if name == "conflicts":  # the last table: every other one is already staged
            return real(name, df.rename(columns={"kind": "sort"}))  # fails even when empty
        return real(name, df)

    monkeypatch.setattr(export, "validate", failing)
    with pytest.raises(pandera.errors.SchemaErrors):
        build_dataset(str(corpus), str(out))
    after = {p.relative_to(out).as_posix(): p.read_bytes()
             for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before  # no table, text or temp file changed or appeared
