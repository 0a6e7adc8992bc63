"""PDF mentions through the real extraction path carry a page and a box that hold their text."""

import pdfplumber

from pipeline import extract, ingest
from pdf_fixtures import one_column_pdf, two_column_pdf


def _chars_in(pdf_bytes: bytes, page: int, bbox) -> str:
    import io

    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        p = pdf.pages[page - 1]
        x0, top, x1, bottom = bbox
        inside = [c["text"] for c in p.chars
                  if c["x0"] >= x0 - 0.5 and c["x1"] <= x1 + 0.5
                  and c["top"] >= top - 0.5 and c["bottom"] <= bottom + 0.5]
    return "".join(inside)


def test_pdf_mentions_have_page_and_exact_box(tmp_path):
    for name, data in (("one.pdf", one_column_pdf()), ("two.pdf", two_column_pdf())):
        (tmp_path / name).write_bytes(data)
        doc = ingest.read(tmp_path / name, tmp_path)
        assert doc.status == "ok" and doc.media_type == "application/pdf"
        mentions = extract.document(doc).mentions
        numeric = [m for m in mentions if m.label != "CITATION"]
        assert numeric, name
        for m in mentions:
            assert doc.text[m.start:m.end] == m.text
            assert m.page is not None and m.bbox is not None
            want = "".join(m.text.replace("<sup>", "").replace("</sup>", "").split())
            assert _chars_in(data, m.page, m.bbox).replace(" ", "") == want, m.text
    texts = {m.text for m in mentions}
    assert "2.5 mg" in texts and "40 patients" in texts
