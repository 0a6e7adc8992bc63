"""Passage-level dedup on the seed documents and small constructed corpora (DESIGN.md §6)."""

from __future__ import annotations

import hashlib
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from datasketch import MinHash

from pipeline import dedupe, passages, synth
from pipeline.dedup_bench import _documents, score
from pipeline.records import Document, Mention

RAW = Path(__file__).parents[1] / "raw"
ROOT = Path(__file__).parents[1]
# doses and percentages, enough to stand in for extracted numeric mentions
NUMERIC = re.compile(r"\d+(?:\.\d+)?(?:\s?-\s?\d+(?:\.\d+)?)?(?:\s|\u00a0)?(?:%|mg/kg)")


def _doc(name: str, text: str) -> Document:
    return Document(hashlib.sha256(text.encode()).hexdigest()[:16], name, text)


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    """The five seed documents keyed by their number ("000" ... "004")."""
    out = {}
    for path in sorted(RAW.glob("*.txt")):
        data = path.read_bytes()
        doc_id = hashlib.sha256(data).hexdigest()[:16]
        out[path.name[:3]] = Document(doc_id, path.name, data.decode("utf-8"))
    return out


@pytest.fixture(scope="module")
def result(seeds) -> dedupe.DedupResult:
    return dedupe.find_overlaps(list(seeds.values()))


def _mentions(doc: Document) -> list[Mention]:
    out = []
    for m in NUMERIC.finditer(doc.text):
        label = "DOSE" if "mg" in m.group() else "PERCENTAGE"
        out.append(Mention(doc.doc_id, doc.source, label, m.start(), m.end(), m.group(), "", "t"))
    return out


def test_001_is_contained_in_000(seeds, result):
    links = result.links[seeds["001"].doc_id]
    assert links.contained_in == seeds["000"].doc_id
    assert links.duplicate_of is None  # 001 is only half of 000
    assert links.overlap_fraction >= 0.9
    assert 0.4 < result.links[seeds["000"].doc_id].overlap_fraction < 0.7


@pytest.mark.parametrize("name", ["000", "002", "003", "004"])
def test_other_seeds_are_neither_duplicates_nor_contained(seeds, result, name):
    links = result.links[seeds[name].doc_id]
    assert links.duplicate_of is None
    assert links.contained_in is None


def test_one_link_per_ok_document_and_errors_skipped(seeds):
    broken = Document("deadbeefdeadbeef", "broken.pdf", "", status="error", error="encrypted")
    res = dedupe.find_overlaps([*seeds.values(), broken])
    assert set(res.links) == {d.doc_id for d in seeds.values()}


def test_overlap_spans_are_exact_offsets_into_canonical_text(seeds, result):
    by_id = {d.doc_id: d for d in seeds.values()}
    assert result.overlaps, "000/001 must align"
    for o in result.overlaps:
        assert (o.doc_a, o.doc_b) == (seeds["000"].doc_id, seeds["001"].doc_id)  # original first
        a, b = by_id[o.doc_a].text[o.start_a : o.end_a], by_id[o.doc_b].text[o.start_b : o.end_b]
        assert a and b and not a[0].isspace() and not b[-1].isspace()
        assert passages.fold(a) == passages.fold(b)  # 001 differs only by nbsp noise
        assert 0 <= o.similarity <= 100
    covered = sum(o.end_b - o.start_b for o in result.overlaps)
    assert covered >= 0.95 * len(seeds["001"].text.strip())


def test_mentions_in_copied_passage_link_to_original(seeds, result):
    m000, m001 = _mentions(seeds["000"]), _mentions(seeds["001"])
    linked = dedupe.link_copies(m000 + m001, result, {d.doc_id: d for d in seeds.values()})
    by_id = {m.mention_id: m for m in linked}
    spans = [(o.start_b, o.end_b) for o in result.overlaps]
    inside = [m for m in linked[len(m000) :] if any(s <= m.start and m.end <= e for s, e in spans)]
    assert len(inside) >= 5
    for m in inside:
        original = by_id[m.copy_of]
        assert original.doc_id == seeds["000"].doc_id and original.copy_of is None
        assert passages.fold(original.text) == passages.fold(m.text) and original.label == m.label
    assert all(m.copy_of is None for m in linked[: len(m000)])  # originals stay unlinked
    assert [m.with_(copy_of=None) for m in linked] == m000 + m001  # nothing else changes


def test_copy_of_needs_the_same_text_at_the_corresponding_place(seeds, result):
    d1 = seeds["001"]
    o = result.overlaps[0]
    m = NUMERIC.search(d1.text, o.start_b)
    changed = Mention(d1.doc_id, d1.source, "PERCENTAGE", m.start(), m.end(), "99.9%", "", "t")
    other = Mention(d1.doc_id, d1.source, "CITATION", m.start(), m.end(), m.group(), "", "t")
    docs = {d.doc_id: d for d in seeds.values()}
    out = dedupe.link_copies([*_mentions(seeds["000"]), changed, other], result, docs)
    assert out[-1].copy_of is None and out[-2].copy_of is None


def test_short_shared_runs_do_not_link_documents(seeds):
    heading = "## Ketamine in Substance Use Disorder Treatment: A Narrative Review\n\n"
    ref = "- Krupitsky E, Grinenko A. Ketamine psychedelic therapy (KPT): a review. 1997;29(2):165-183.\n\n"
    body_x = "\n\n".join(seeds["002"].text.split("\n\n")[20:26])
    body_y = "\n\n".join(seeds["003"].text.split("\n\n")[5:12])
    res = dedupe.find_overlaps([_doc("x.txt", heading + ref + body_x), _doc("y.txt", heading + ref + body_y)])
    assert res.overlaps == ()
    assert all(v.overlap_fraction == 0 for v in res.links.values())


def test_boilerplate_in_many_documents_is_not_a_copy_but_real_copies_are_found():
    rng = random.Random(7)
    words = "ketamine craving relapse dose infusion cohort trial memory reward cocaine alcohol".split()
    notice = (
        "This article is distributed under the terms of the Creative Commons Attribution License, "
        "which permits unrestricted use, distribution and reproduction in any medium, provided the "
        "original work is properly cited. The authors declare that the research was conducted in "
        "the absence of any commercial or financial relationships that could be construed as a "
        "potential conflict of interest."
    )
    bodies = [" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(dedupe.BOILERPLATE_DOCS + 3)]
    docs = [_doc(f"d{i:02d}.txt", f"{body}\n\n{notice}\n") for i, body in enumerate(bodies)]
    docs.append(_doc("z.txt", docs[0].text.replace(" ", "\u00a0", 3)))  # a real copy of d00
    assert passages.content_len(notice) >= passages.MIN_PASSAGE_CHARS  # long enough to match
    res = dedupe.find_overlaps(docs)
    pairs = {(o.doc_a, o.doc_b) for o in res.overlaps}
    assert pairs == {(docs[0].doc_id, docs[-1].doc_id)}
    assert res.links[docs[-1].doc_id].duplicate_of == docs[0].doc_id
    assert res.links[docs[-1].doc_id].overlap_fraction == 1.0  # the notice aligns next to the copy


def test_incremental_run_computes_only_the_new_document(seeds, tmp_path, monkeypatch):
    calls = []
    real = passages.compute_signatures
    monkeypatch.setattr(passages, "compute_signatures", lambda text: calls.append(1) or real(text))
    docs = list(seeds.values())
    first = dedupe.find_overlaps(docs[:1] + docs[2:], cache_dir=tmp_path)
    assert len(calls) == 4 and first.stats["signatures_computed"] == 4
    calls.clear()
    second = dedupe.find_overlaps(docs, cache_dir=tmp_path)
    assert len(calls) == 1 and second.stats["signatures_cached"] == 4
    fresh = dedupe.find_overlaps(docs)
    assert (second.links, second.overlaps) == (fresh.links, fresh.overlaps)
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temp files


def test_damaged_cache_file_is_recomputed(seeds, tmp_path):
    doc = seeds["004"]
    dedupe.find_overlaps([doc], cache_dir=tmp_path)
    (path,) = tmp_path.rglob(f"{doc.doc_id}.sig")
    path.write_bytes(path.read_bytes()[:-5])
    again = dedupe.find_overlaps([doc], cache_dir=tmp_path)
    assert again.stats["signatures_computed"] == 1


def test_same_input_same_output_in_any_order(seeds, result):
    docs = list(seeds.values())
    again = dedupe.find_overlaps(docs[::-1])
    assert (again.links, again.overlaps) == (result.links, result.overlaps)


def test_signatures_match_datasketch_and_do_not_depend_on_hash_seed(seeds):
    text = seeds["000"].text
    sig = passages.compute_signatures(text)
    start, end = (int(x) for x in sig.spans[2])
    hashes, _ = passages._shingle_hashes(passages._passage_words(text, [(start, end)]))
    mh = MinHash(passages.NUM_PERM, seed=passages.MINHASH_SEED, hashfunc=int)
    mh.update_batch(hashes.tolist())
    assert np.array_equal(mh.hashvalues, sig.minhashes[2])
    code = (
        "import hashlib,sys; from pipeline import passages;"
        "t=open(sys.argv[1],encoding='utf-8').read();"
        "print(hashlib.sha256(passages.compute_signatures(t).minhashes.tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code, str(RAW / seeds["000"].source)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        ).stdout
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(sig.minhashes.tobytes()).hexdigest() + "\n"}


def test_planted_pairs_found_in_a_small_synthetic_corpus():
    manifest = synth.generate_corpus(RAW, 80, seed=3)
    docs, names = _documents(manifest)
    res = dedupe.find_overlaps(docs)
    scores = score(res, docs, names, manifest)
    assert scores["planted_pairs"] == 8
    assert scores["recall"] == 1.0 and scores["precision"] == 1.0
    exact = [r for r in manifest.rows if r.kind == "exact"]
    ids = {v: k for k, v in names.items()}
    for row in exact:
        assert res.links[ids[row.name]].duplicate_of == ids[row.source]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Ketamine", " ", "  ", "\n", "-\n", "ö", "ı", "ç", "é", "\u00a0",
                                 "\u2019", "\u2013", "\u25ba", "\u2026", "\u00a9", "\u00bc", "_",
                                 "0.5", "mg/kg", "İ", ",", "x2"]), max_size=30).map("".join))
def test_passage_words_are_the_folded_words_whichever_way_they_are_split(text):
    words = passages._passage_words(text, [(0, len(text))])[0]
    as_text = [w.decode("utf-8") if isinstance(w, bytes) else w for w in words]
    assert as_text == re.findall(r"\w+", passages.fold(text))
    hashes = [passages._word_hash(w) for w in words]
    assert hashes == [passages._word_hash(w) for w in as_text]
