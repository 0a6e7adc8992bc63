"""Cached re-runs: unchanged, one document added, a rule edited — always equal to a clean run."""

import shutil

import pytest

from conftest import RAW
from flows.build import build_dataset
from pipeline import batching, config, extract, rules, versioning

OUTPUTS = ("documents.csv", "mentions.csv", "references.csv", "overlaps.csv", "findings.csv",
           "conflicts.csv")


class Counter:
    def __init__(self, monkeypatch):
        self.ids: list[str] = []
        real = extract.document

        def counting(doc, *args, **kwargs):
            self.ids.append(doc.doc_id)
            return real(doc, *args, **kwargs)

        monkeypatch.setattr(extract, "document", counting)


def _same(a, b):
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_plan_keeps_intact_batches_and_adds_new_ones():
    previous = [["a", "b"], ["c", "d"]]
    assert batching.plan(["a", "b", "c", "d", "e"], previous, 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert batching.plan(["a", "b", "c"], previous, 2) == [["a", "b"], ["c"]]


@pytest.fixture()
def corpus(tmp_path):
    target = tmp_path / "raw"
    shutil.copytree(RAW, target)
    return target


def test_adding_a_document_extracts_only_that_document(prefect_harness, corpus, tmp_path,
                                                        monkeypatch):
    build_dataset(str(corpus), str(tmp_path / "out"))
    (corpus / "new.md").write_text("Rats received 30 mg/kg ketamine (n = 12).\n")
    counter = Counter(monkeypatch)
    build_dataset(str(corpus), str(tmp_path / "out"))
    assert len(counter.ids) == 1
    clean = tmp_path / "clean"
    monkeypatch.setenv("PREFECT_TASKS_REFRESH_CACHE", "true")
    build_dataset(str(corpus), str(clean))
    _same(tmp_path / "out", clean)


def test_unchanged_rerun_does_no_extraction(prefect_harness, corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build_dataset(str(corpus), str(out))
    before = {n: (out / n).read_bytes() for n in OUTPUTS}
    counter = Counter(monkeypatch)
    summary = build_dataset(str(corpus), str(out))
    assert counter.ids == [] and summary.skipped
    assert {n: (out / n).read_bytes() for n in OUTPUTS} == before


def test_edited_output_is_rebuilt(prefect_harness, corpus, tmp_path):
    out = tmp_path / "out"
    build_dataset(str(corpus), str(out))
    good = (out / "mentions.csv").read_bytes()
    (out / "mentions.csv").write_text("tampered\n")
    summary = build_dataset(str(corpus), str(out))
    assert not summary.skipped
    assert (out / "mentions.csv").read_bytes() == good


def test_editing_a_rule_file_reextracts_everything(prefect_harness, corpus, tmp_path,
                                                    monkeypatch):
    out = tmp_path / "out"
    build_dataset(str(corpus), str(out))
    edited = tmp_path / "rules"
    shutil.copytree(config.RULES_DIR, edited)
    with (edited / "lexicons" / "drugs.txt").open("a") as fh:
        fh.write("zolpidem\n")
    monkeypatch.setattr(config, "RULES_DIR", edited)
    counter = Counter(monkeypatch)
    build_dataset(str(corpus), str(out))
    assert sorted(counter.ids) == sorted({d for d in counter.ids}) and len(counter.ids) == 5
    assert versioning.cache_version().startswith(rules.load().version)


def test_batch_size_does_not_change_the_outputs(prefect_harness, corpus, tmp_path, monkeypatch):
    # Dask runs use larger batches than local ones; a plan of 2-document batches must write
    # the same bytes as the default plan.
    monkeypatch.setenv("PREFECT_TASKS_REFRESH_CACHE", "true")
    build_dataset(str(corpus), str(tmp_path / "small"), batch_docs=2)
    build_dataset(str(corpus), str(tmp_path / "default"))
    _same(tmp_path / "small", tmp_path / "default")
