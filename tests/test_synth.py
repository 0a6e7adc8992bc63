"""The synthetic corpus generator shared by the dedup and throughput benchmarks."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pipeline import synth
from pipeline.passages import fold

RAW = Path(__file__).parents[1] / "raw"


@pytest.fixture(scope="module")
def corpus() -> synth.Manifest:
    return synth.generate_corpus(RAW, 200, seed=5)


def test_same_seed_same_corpus_other_seed_other_corpus(corpus):
    assert synth.generate_corpus(RAW, 200, seed=5) == corpus
    assert synth.generate_corpus(RAW, 200, seed=6).texts != corpus.texts


def test_a_tenth_of_documents_are_derived_from_earlier_base_documents(corpus):
    derived = [r for r in corpus.rows if r.source]
    kinds = {r.name: r.kind for r in corpus.rows}
    assert len(derived) == 20
    assert {r.kind for r in derived} <= {"exact", "near_dup", "contains"}
    for r in derived:
        assert kinds[r.source] == "base" and r.source < r.name
    assert corpus.planted_pairs() == {(r.source, r.name) for r in derived}


def test_derived_documents_keep_most_of_their_source(corpus):
    for r in corpus.rows:
        if r.kind == "exact":
            src, copy = corpus.texts[r.source], corpus.texts[r.name]
            assert copy != src and fold(copy) == fold(src)  # only nbsp noise
        elif r.kind == "contains":
            assert len(corpus.texts[r.name]) > len(corpus.texts[r.source]) * 0.9


def test_base_documents_are_edited_but_keep_doses_and_citations(corpus):
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in RAW.glob("*.txt"))
    base = [corpus.texts[r.name] for r in corpus.rows if r.kind == "base"]
    sizes = sorted(len(t) for t in base)
    assert synth.MIN_DOC_CHARS <= sizes[0] and sizes[-1] <= synth.MAX_DOC_CHARS + 20_000
    assert 15_000 < sizes[len(sizes) // 2] < 45_000
    paragraphs = [p for t in base[:20] for p in t.split("\n\n") if len(p) > 300]
    assert sum(p not in seeds for p in paragraphs) > 0.9 * len(paragraphs)  # edited
    joined = "\n".join(base)
    assert re.search(r"\d+(?:\.\d+)? mg/kg", joined) and "et al." in joined


def test_generate_writes_documents_and_manifest(tmp_path):
    manifest = synth.generate(RAW, tmp_path, 30, seed=1)
    files = sorted(p.stem for p in (tmp_path / "docs").glob("*.txt"))
    assert files == [r.name for r in manifest.rows]
    with open(tmp_path / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected = [(r.name, r.kind, r.source) for r in manifest.rows]
    assert [(r["doc"], r["kind"], r["source"]) for r in rows] == expected
    assert (tmp_path / "docs" / "d000000.txt").read_text(encoding="utf-8") == manifest.texts["d000000"]
