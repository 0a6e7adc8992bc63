"""Texts wait on disk between stages: exact round trips, folder lifetime, and the real flow."""

from __future__ import annotations

import gc
import os
import time

import pytest

from conftest import RAW
from pipeline import textspool
from pipeline.records import Document

TEXTS = {"a": "20 mg/kg ketamine\r\n(n ¼ 111) – 33.3 %\u00a0\u2028end", "b": "plain\n"}


def _docs() -> list[Document]:
    return [Document(f"{k:0>16}", f"{k}.txt", t, n_bytes=len(t)) for k, t in TEXTS.items()] + [
        Document("e" * 16, "bad.bin", "", status="error", error="binary file"),
        Document(f"{'a':0>16}", "copy-of-a.txt", TEXTS["a"])]  # same bytes, same id


def test_spooled_documents_come_back_unchanged(tmp_path):
    docs = _docs()
    spool = textspool.TextSpool(tmp_path)
    light = spool.add(docs)
    assert [d.text for d in light] == ["", "", "", ""]
    assert [(d.doc_id, d.source, d.status) for d in light] == [
        (d.doc_id, d.source, d.status) for d in docs]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{'a':0>16}.txt", f"{'b':0>16}.txt"]
    assert dict(spool) == {f"{'a':0>16}": TEXTS["a"], f"{'b':0>16}": TEXTS["b"]}
    assert list(spool.documents(light)) == docs
    with pytest.raises(KeyError):
        spool["e" * 16]


def test_the_folder_goes_when_the_run_ends_and_abandoned_ones_are_swept(tmp_path):
    abandoned = tmp_path / "texts-killedrun"
    abandoned.mkdir()
    (abandoned / "x.txt").write_text("left by a killed run")
    with textspool.temporary(tmp_path) as spool:
        assert not abandoned.exists()
        spool.add(_docs())
        with textspool.temporary(tmp_path) as other:  # a concurrent run keeps its own
            assert spool.folder.is_dir() and other.folder != spool.folder
        assert spool[f"{'b':0>16}"] == TEXTS["b"]
    assert list(tmp_path.iterdir()) == []


def test_the_flow_holds_no_texts_or_extractions_while_writing(prefect_harness, tmp_path,
                                                              monkeypatch):
    from flows.build import build_dataset
    from pipeline import dataset
    from pipeline.extract import Extraction

    corpus = tmp_path / "raw"
    corpus.mkdir()
    for path in RAW.iterdir():  # names and bytes no other test uses: only this run's records
        (corpus / f"spooled-{path.name}").write_bytes(path.read_bytes() + b"\nSpool test.\n")
    seen = {}
    real = dataset.write

    def survivors(ids):
        live = [o for o in gc.get_objects() if isinstance(o, (Document, Extraction))]
        return ([o.source for o in live if isinstance(o, Document) and o.text
                 and o.source.startswith("spooled-")],
                sum(isinstance(o, Extraction) and o.doc_id in ids for o in live))

    def write(out_dir, docs, *args, **kw):
        # Prefect's task futures sit in reference cycles (a future and its done-callback), so
        # what they held goes only when the cycle collector runs. A gc.collect() here has
        # returned 0 with a freed batch still listed and no referrer to it, most likely
        # while another thread's collection was under way: collect, look, retry briefly.
        ids = {d.doc_id for d in docs}
        for _ in range(100):
            gc.collect()
            seen["texts"], seen["extractions"] = survivors(ids)
            if not seen["texts"] and not seen["extractions"]:
                break
            time.sleep(0.02)
        seen["spooled"] = sorted(os.listdir(kw["texts"].folder))
        return real(out_dir, docs, *args, **kw)

    monkeypatch.setattr(dataset, "write", write)
    build_dataset(str(corpus), str(tmp_path / "out"))
    assert seen["texts"] == [] and seen["extractions"] == 0
    assert seen["spooled"] == sorted(p.name for p in (tmp_path / "out" / "text").iterdir())
