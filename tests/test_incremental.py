"""Cached re-runs: unchanged, one document added, a rule edited — always equal to a clean run."""

import os
import shutil
import subprocess
import sys

import pytest
from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

from conftest import RAW, ROOT
from flows.build import build_dataset
from pipeline import batching, config, extract, manifest, rules, versioning

OUTPUTS = ("documents.csv", "mentions.csv", "references.csv", "overlaps.csv", "findings.csv",
           "conflicts.csv")


class Counter:
    def __init__(self, monkeypatch):
        self.ids: list[str] = []
        real = extract.documents

        def counting(docs, *args, **kwargs):
            self.ids.extend(d.doc_id for d in docs)
            return real(docs, *args, **kwargs)

        monkeypatch.setattr(extract, "documents", counting)


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
    with fresh_cache():
        build_dataset(str(corpus), str(clean))
    assert len(counter.ids) == 1 + 6  # the clean run extracted every document again
    _same(tmp_path / "out", clean)


def fresh_cache():
    """Cached batches are not read inside this block. Prefect reads its settings once, so
    setting PREFECT_TASKS_REFRESH_CACHE in the environment mid-session does nothing."""
    return temporary_settings(updates={PREFECT_TASKS_REFRESH_CACHE: True})


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


def test_a_cached_batch_is_unpickled_once(prefect_harness, corpus, tmp_path, monkeypatch):
    # Prefect checks that a cached result exists before reading it; with the cache key kept
    # next to the result, that check unpickled the whole batch a first time.
    out = tmp_path / "out"
    build_dataset(str(corpus), str(out))
    (out / "mentions.csv").write_text("tampered\n")  # a rebuild, every batch from the cache
    counter = Counter(monkeypatch)
    loaded = []
    real = extract.Extraction

    def counting(*fields):  # what unpickling an Extraction calls (records.pickled_by_fields)
        loaded.append(fields[0])
        return real(*fields)

    monkeypatch.setattr(extract, "Extraction", counting)
    build_dataset(str(corpus), str(out))
    assert counter.ids == []
    assert len(loaded) == len(set(loaded)) == 5  # each seed document's extraction, once


def test_cache_keys_sit_beside_the_results_of_the_run(prefect_harness, corpus, tmp_path,
                                                        monkeypatch):
    # Keys sit beside the results, in the result folder the run's settings name (on Dask,
    # workers get those settings too), not at a fixed place under PREFECT_HOME.
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH

    for name in ("one", "two"):
        with temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: tmp_path / name}):
            counter = Counter(monkeypatch)
            build_dataset(str(corpus), str(tmp_path / f"out-{name}"))
        # A result folder of its own has no keys yet: every document is extracted again.
        assert len(counter.ids) == len(set(counter.ids)) == len(list(corpus.iterdir()))
        keys = sorted(p.name for p in (tmp_path / name / "litx-cache-keys").iterdir())
        assert keys and all(k.startswith("litx-batch-") for k in keys)
        assert sorted(p.name for p in (tmp_path / name).glob("litx-batch-*")) == keys
    _same(tmp_path / "out-one", tmp_path / "out-two")


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
    with fresh_cache():
        build_dataset(str(corpus), str(tmp_path / "small"), batch_docs=2)
        build_dataset(str(corpus), str(tmp_path / "default"))
    _same(tmp_path / "small", tmp_path / "default")


def test_up_to_date_sees_every_change_that_needs_a_rebuild(prefect_harness, corpus, tmp_path,
                                                           monkeypatch):
    out = tmp_path / "out"
    summary = build_dataset(str(corpus), str(out))
    assert manifest.up_to_date(corpus, out, excel_safe=False) == summary.to_json()
    seed = sorted(corpus.iterdir())[0]
    original = seed.read_bytes()

    def changed() -> bool:
        return manifest.up_to_date(corpus, out, excel_safe=False) is None

    seed.write_bytes(original.replace(b"ketamine", b"ketamina", 1))
    assert changed()
    seed.write_bytes(original)
    seed.rename(corpus / ("renamed" + seed.suffix))
    assert changed()
    (corpus / ("renamed" + seed.suffix)).rename(seed)
    assert not changed()
    (corpus / "new.md").write_text("Rats received 30 mg/kg ketamine (n = 12).\n")
    assert changed()
    (corpus / "new.md").unlink()
    (corpus / "unreadable.docx").write_bytes(b"PK")  # an error row is an input too
    assert changed()
    (corpus / "unreadable.docx").unlink()
    assert manifest.up_to_date(corpus, out, excel_safe=True) is None
    rules_copy = tmp_path / "rules"
    shutil.copytree(config.RULES_DIR, rules_copy)
    monkeypatch.setattr(config, "RULES_DIR", rules_copy)
    assert not changed()
    with (rules_copy / "decisions.jsonl").open("a") as fh:
        fh.write("\n")
    assert changed()
    shutil.copyfile(ROOT / "rules" / "decisions.jsonl", rules_copy / "decisions.jsonl")
    (rules_copy / "lexicons" / "drugs.txt").write_text("zolpidem\n")
    assert changed()
    monkeypatch.undo()
    assert not changed()
    (out / "mentions.csv").write_text("tampered\n")
    assert changed()


def test_up_to_date_reads_no_input_when_there_is_no_manifest(corpus, tmp_path, monkeypatch):
    def refuse(*_):
        raise AssertionError("a first run must not read the corpus before the flow does")

    monkeypatch.setattr(manifest.ingest, "probe", refuse)
    assert manifest.up_to_date(corpus, tmp_path / "out", excel_safe=False) is None
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / manifest.NAME).write_text("{}")
    with pytest.raises(AssertionError, match="first run"):
        manifest.up_to_date(corpus, tmp_path / "out", excel_safe=False)


def test_an_unchanged_litx_run_starts_neither_prefect_nor_spacy(prefect_harness, corpus,
                                                                tmp_path):
    out = tmp_path / "out"
    build_dataset(str(corpus), str(out))
    code = ("import sys\nfrom pipeline.cli import app\n"
            "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "heavy = sorted(m for m in ('prefect', 'spacy', 'pandas') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}
    done = subprocess.run([sys.executable, "-c", code, "run", "--raw", str(corpus), "--out",
                           str(out)], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())  # the table's title wraps at the table's width
    assert "(up to date:" in said and "mentions DOSE" in said
