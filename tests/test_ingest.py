from pathlib import Path

import pytest

from pipeline import config, ingest


def _read(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return ingest.read(path, tmp_path)


def test_utf8_text_is_kept_unchanged(tmp_path):
    text = "Ketamine\u00a00.41 mg/ kg\r\n(n \u00bc 111) caf\u00e9\n"
    doc = _read(tmp_path, "a.txt", text.encode("utf-8"))
    assert doc.status == "ok"
    assert doc.text == text
    assert doc.encoding == "utf-8"
    assert len(doc.doc_id) == 16


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_legacy_encodings_fall_back_to_detection(tmp_path, codec):
    text = "Les patients trait\u00e9s \u00e0 la k\u00e9tamine ont re\u00e7u 0,5 mg/kg. " * 20
    doc = _read(tmp_path, "b.txt", text.encode(codec))
    assert doc.status == "ok"
    assert doc.text == text


def test_utf16_with_bom(tmp_path):
    doc = _read(tmp_path, "c.md", "# Title\n20 mg/kg i.p.\n".encode("utf-16"))
    assert doc.status == "ok" and doc.text == "# Title\n20 mg/kg i.p.\n"
    assert doc.media_type == "text/markdown"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("r.txt", bytes(range(256)) * 8, "binary file"),
    ("e.txt", b"", "empty file"),
    ("s.txt", b"   \n\t ", "empty file"),
    ("x.docx", b"PK\x03\x04", "unsupported file type"),
])
def test_bad_inputs_become_error_rows(tmp_path, name, data, reason):
    doc = _read(tmp_path, name, data)
    assert doc.status == "error"
    assert reason in doc.error and "\n" not in doc.error


def test_oversized_file_is_refused_without_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "MAX_TEXT_BYTES", 100)
    doc = _read(tmp_path, "big.txt", b"a" * 101)
    assert doc.status == "error" and "too large" in doc.error


def test_symlink_outside_the_corpus_is_refused(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret 20 mg/kg")
    corpus = tmp_path / "raw"
    corpus.mkdir()
    (corpus / "link.txt").symlink_to(outside)
    [path] = ingest.list_inputs(corpus)
    doc = ingest.read(path, corpus)
    assert doc.status == "error" and "outside the corpus root" in doc.error


def test_listing_is_sorted_and_skips_hidden(tmp_path):
    for name in ("b.txt", "a.md", ".hidden.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("x")
    names = [p.relative_to(tmp_path).as_posix() for p in ingest.list_inputs(tmp_path)]
    assert names == ["a.md", "b.txt", "sub/c.txt"]


def test_text_with_many_control_characters_is_binary_but_layout_controls_are_text():
    body = "word " * 100
    assert ingest.decode_text((body + "\t\n\f\r" * 100).encode())[1] == "utf-8"
    with pytest.raises(ingest.IngestError, match="control characters"):
        ingest.decode_text((body + "\x01\x0b\x1f" * 20).encode())
