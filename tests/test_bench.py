"""litx bench's helpers that need no flow run (the benchmark itself is run by hand)."""

from pipeline import bench


def test_one_more_document_goes_into_a_copy_of_the_corpus(tmp_path):
    docs = tmp_path / "corpus-3-42" / "docs"
    docs.mkdir(parents=True)
    for i in range(3):
        (docs / f"d{i}.txt").write_text(f"paper {i}\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in docs.iterdir()}
    plus = bench.with_one_more(docs, tmp_path)
    assert {p.name: p.read_bytes() for p in docs.iterdir()} == before  # reused by later runs
    copied = {p.name: p.read_bytes() for p in plus.iterdir()}
    added = set(copied) - set(before)
    assert len(added) == 1 and len(copied) == 4
    assert copied[added.pop()].decode("utf-8") == bench.ADDED_DOC
    assert {n: copied[n] for n in before} == before
    (plus / "stale.txt").write_text("left by an earlier benchmark\n", encoding="utf-8")
    assert sorted(p.name for p in bench.with_one_more(docs, tmp_path).iterdir()) == sorted(copied)
    again = bench.with_one_more(docs, tmp_path, bench.ADDED_DOC_AGAIN)
    assert (again / "zz-added-paper.txt").read_text(encoding="utf-8") == bench.ADDED_DOC_AGAIN
    assert bench.ADDED_DOC_AGAIN != bench.ADDED_DOC  # a changed paper: extracted again
