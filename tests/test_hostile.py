"""Hostile input: a corpus of bad files, generated at run time, through the real flow.

Each file yields either correct output or an error row with a one-line reason; the run
completes and every good document keeps its results (DESIGN.md §10). Nothing here is a
committed binary: every odd file is made by the fixtures below.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import RAW, ROOT, read_text_exact
from pipeline import config, ingest

BIG_BYTES = 50_000_000
LONG_LINE_BYTES = 5_000_000
FILLER = "the patients were followed up carefully by the study team during the long trial "
DOSE_SENTENCE = "Patients received 20 mg/kg ketamine and 33% relapsed (Smith et al., 2013) "
FRENCH = "Les patients trait\u00e9s \u00e0 la k\u00e9tamine ont re\u00e7u 20 mg/kg. " * 20
SMART = "\u201cResponders\u201d \u2013 40\u201380% \u2013 got 2 mg lorazepam \u20ac. " * 20
RTL = ("\u05de\u05d8\u05d5\u05e4\u05dc\u05d9\u05dd 20 mg/kg \u0627\u0644\u0645\u0631\u0636\u0649 "
       "(n = 35) e\u0301te\u0301 ke\u0301tamine 0.5 mg/kg \u202eevil\u202c \u0663\u0664% "
       "n\u0303 = 12\u0301.\n") * 30
SUP = ("Ketamine<sup>1,2</sup> at 20 mg/kg<sup>3-5</sup> cut relapse by 40%<sup>6</sup> "
       "in 120 patients<sup>7\u20139</sup>.\n") * 300


@pytest.fixture(scope="session")
def big_text_file(tmp_path_factory) -> Path:
    """A 50 MB text file, written once per session in 1 MB pieces."""
    path = tmp_path_factory.mktemp("big") / "big.txt"
    piece = (FILLER * (1_000_000 // len(FILLER) + 1))[:1_000_000].encode("ascii")
    with path.open("wb") as fh:
        for _ in range(BIG_BYTES // len(piece)):
            fh.write(piece)
    return path


def _pdfs(folder: Path) -> None:
    """A truncated, an encrypted and a text-less PDF, drawn with reportlab."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    def draw(path: Path, text: bool, **kw) -> None:
        c = canvas.Canvas(str(path), **kw)
        if text:
            c.drawString(72, 720, "Patients received 20 mg/kg ketamine (n = 35).")
        else:  # a "scan": shapes only, no text layer
            c.rect(72, 600, 300, 100, fill=1)
        c.showPage()
        c.save()

    draw(folder / "whole.tmp-pdf", True)
    data = (folder / "whole.tmp-pdf").read_bytes()
    (folder / "whole.tmp-pdf").unlink()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    draw(folder / "encrypted.pdf", True,
         encrypt=StandardEncryption("user-secret", "owner-secret", canPrint=0))
    draw(folder / "scanned.pdf", False)


def _write_hostile(corpus: Path, outside: Path, big: Path) -> None:
    rng = random.Random(10)
    files = {
        "random.txt": rng.randbytes(8192),
        "empty.txt": b"",
        "latin1.txt": FRENCH.encode("latin-1"),
        "cp1252.txt": SMART.encode("cp1252"),
        "utf16.md": "# Titre\n\nLes patients ont re\u00e7u 20 mg/kg i.p.\n".encode("utf-16"),
        "nul_ctrl.txt": b"20 mg/kg\x00\x01\x02\x1b[31m" * 200,
        "rtl_combining.txt": RTL.encode("utf-8"),
        "sup_tags.md": SUP.encode("utf-8"),
        "name with spaces \u00e9\u00fc \u540d.txt": b"Patients received 20 mg/kg ketamine.\n",
        "odd\rname.txt": b"Rats got 5 mg/kg i.p. (n = 8).\n",
        "=SUM(1+1).txt": b"Four subjects got 2 mg lorazepam.\n",
        "notes.docx": b"PK\x03\x04" + rng.randbytes(64),
    }
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    block = FILLER * 600 + DOSE_SENTENCE
    line = (block * (LONG_LINE_BYTES // len(block) + 1))[:LONG_LINE_BYTES]
    (corpus / "one_long_line.txt").write_text(line, encoding="ascii")
    _pdfs(corpus)
    try:  # the 50 MB file itself, not a symlink: it must be refused for its size
        os.link(big, corpus / "big.txt")
    except OSError:
        shutil.copyfile(big, corpus / "big.txt")
    (outside / "secret.txt").write_text("secret 99 mg/kg\n")
    (outside / "folder").mkdir()
    (outside / "folder" / "also_secret.txt").write_text("secret 98 mg/kg\n")
    os.symlink(outside / "secret.txt", corpus / "link_out.txt")
    os.symlink(outside / "folder", corpus / "linked_folder")
    os.mkfifo(corpus / "pipe.txt")  # opening it for reading must not hang the run


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory, big_text_file) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    corpus, outside = base / "raw", base / "outside"
    shutil.copytree(RAW, corpus)
    outside.mkdir()
    _write_hostile(corpus, outside, big_text_file)
    return corpus


@pytest.fixture(scope="module")
def hostile_run(prefect_harness, hostile_corpus, tmp_path_factory):
    from flows.build import build_dataset

    out = tmp_path_factory.mktemp("hostile-out")
    summary = build_dataset(str(hostile_corpus), str(out))
    docs = pd.read_csv(out / "documents.csv", dtype=str, keep_default_na=False)
    return out, summary, docs.set_index("source")


# source -> (status, a phrase the reason must hold); None: only "one line, not empty".
EXPECTED = {
    "random.txt": ("error", "binary file"),
    "empty.txt": ("error", "empty file"),
    "latin1.txt": ("ok", None),
    "cp1252.txt": ("ok", None),
    "utf16.md": ("ok", None),
    "nul_ctrl.txt": ("error", "binary file"),
    "rtl_combining.txt": ("ok", None),
    "sup_tags.md": ("ok", None),
    "name with spaces \u00e9\u00fc \u540d.txt": ("ok", None),
    "odd\rname.txt": ("ok", None),
    "=SUM(1+1).txt": ("ok", None),
    "notes.docx": ("error", "unsupported file type"),
    "one_long_line.txt": ("ok", None),
    "truncated.pdf": ("error", None),
    "encrypted.pdf": ("error", None),
    "scanned.pdf": ("error", None),
    "big.txt": ("error", "file too large"),
    "link_out.txt": ("error", "outside the corpus root"),
    "linked_folder": ("error", "outside the corpus root"),
    "pipe.txt": ("error", "not a regular file"),
}


def test_every_hostile_file_is_a_row_with_the_expected_status(hostile_run):
    _, summary, docs = hostile_run
    for source, (status, phrase) in EXPECTED.items():
        row = docs.loc[source]
        assert row["status"] == status, (source, row["error"])
        if status == "error":
            assert row["error"].strip(), source
            assert "\n" not in row["error"] and "\r" not in row["error"], source
            assert phrase is None or phrase in row["error"], (source, row["error"])
        else:
            assert row["error"] == "", source
    assert summary.n_errors == (docs["status"] == "error").sum()
    assert "also_secret.txt" not in " ".join(docs.index)  # the linked folder was not followed


def test_good_documents_keep_their_results(hostile_run, seed_run):
    out, _, docs = hostile_run
    cols = ["mention_id", "label", "start", "end", "text", "value", "low", "high", "unit"]
    seeds = pd.read_csv(seed_run / "mentions.csv", dtype=str, keep_default_na=False)
    mentions = pd.read_csv(out / "mentions.csv", dtype=str, keep_default_na=False)
    here = mentions[mentions["doc_id"].isin(set(seeds["doc_id"]))]
    assert here[cols].values.tolist() == seeds[cols].values.tolist()
    for source in ("latin1.txt", "cp1252.txt", "name with spaces \u00e9\u00fc \u540d.txt",
                   "odd\rname.txt", "one_long_line.txt", "sup_tags.md", "rtl_combining.txt"):
        found = mentions[mentions["source"] == source]
        assert len(found), f"no mentions from {source!r}"


def test_decoded_texts_are_the_written_texts(hostile_run):
    out, _, docs = hostile_run
    assert read_text_exact(out / "text" / f"{docs.loc['latin1.txt', 'doc_id']}.txt") == FRENCH
    assert read_text_exact(out / "text" / f"{docs.loc['cp1252.txt', 'doc_id']}.txt") == SMART
    assert docs.loc["utf16.md", "encoding"] == "utf-16"
    assert int(docs.loc["one_long_line.txt", "n_chars"]) == LONG_LINE_BYTES


def test_every_offset_points_at_its_text(hostile_run):
    out, _, _ = hostile_run
    mentions = pd.read_csv(out / "mentions.csv", dtype=str, keep_default_na=False)
    texts: dict[str, str] = {}
    for row in mentions.itertuples():
        if row.doc_id not in texts:
            texts[row.doc_id] = read_text_exact(out / "text" / f"{row.doc_id}.txt")
        assert texts[row.doc_id][int(row.start):int(row.end)] == row.text
        assert row.text in row.sentence
        # Sentences are bounded even inside a 5 MB line (segment.MAX_SENTENCE_CHARS).
        assert len(row.sentence) <= 4000


_MEASURE = """
import json, sys, tracemalloc
from pathlib import Path
from pipeline import ingest
path = Path(sys.argv[1])
tracemalloc.start()
doc = ingest.read(path, path.parent)
print(json.dumps({"peak": tracemalloc.get_traced_memory()[1], "status": doc.status,
                  "error": doc.error}))
"""


def test_oversized_file_is_never_read(big_text_file):
    """Measured in a fresh process: ingesting the 50 MB file allocates well under 1 MB."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(big_text_file)], env=env,
                          capture_output=True, text=True, check=True, timeout=300)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "error" and "too large" in result["error"]
    assert result["peak"] < 1_000_000, result


def test_a_file_at_the_limit_is_read_and_one_byte_over_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "MAX_TEXT_BYTES", 1000)
    (tmp_path / "at.txt").write_bytes(b"20 mg/kg " * 111 + b"x")
    (tmp_path / "over.txt").write_bytes(b"20 mg/kg " * 111 + b"xy")
    assert ingest.read(tmp_path / "at.txt", tmp_path).status == "ok"
    over = ingest.read(tmp_path / "over.txt", tmp_path)
    assert over.status == "error"
    assert over.error == "file too large: 1001 bytes exceeds the 1000 bytes limit (not read)"


def test_paths_outside_the_root_are_refused(tmp_path):
    corpus, outside = tmp_path / "raw", tmp_path / "outside"
    (corpus / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "x.txt").write_text("secret 20 mg/kg")
    (corpus / "sub" / "up").symlink_to(outside, target_is_directory=True)
    (corpus / "inner").symlink_to(corpus / "sub", target_is_directory=True)  # not followed
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)  # no endless walk
    listed = [p.relative_to(corpus).as_posix() for p in ingest.list_inputs(corpus)]
    assert listed == ["sub/up"]
    assert "outside the corpus root" in ingest.read(corpus / "sub" / "up", corpus).error
    escaped = ingest.read(corpus / ".." / "outside" / "x.txt", corpus)
    assert escaped.status == "error" and "outside the corpus root" in escaped.error


def test_hostile_outputs_read_the_same_in_both_readers(hostile_run):
    """Odd file names (a carriage return, a leading '=') and texts survive every CSV reader."""
    import csv

    out, _, docs = hostile_run
    assert "odd\rname.txt" in docs.index and "=SUM(1+1).txt" in docs.index
    for path in sorted(out.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert rows[0] == list(frame.columns), path.name
        assert rows[1:] == frame.values.tolist(), path.name


def test_probing_a_file_keys_it_as_reading_it_does(hostile_corpus):
    # litx run decides "up to date" from probe() before anything is decoded; the flow records
    # input_key() of what it read. They must agree for every kind of file, or an unchanged
    # corpus would always rebuild (or a changed one be skipped).
    for path in ingest.list_inputs(hostile_corpus):
        doc = ingest.read(path, hostile_corpus)
        assert ingest.probe(path, hostile_corpus) == (doc.source, ingest.input_key(doc)), doc.source


def test_the_hostile_run_is_recognised_as_up_to_date(hostile_run, hostile_corpus):
    from pipeline import manifest

    out, summary, _ = hostile_run
    stored = manifest.up_to_date(hostile_corpus, out, excel_safe=False)
    assert stored is not None and stored == summary.to_json()
