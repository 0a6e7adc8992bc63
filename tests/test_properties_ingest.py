"""Property-based tests: ingestion on arbitrary bytes, extraction on arbitrary text.

Extraction properties are stated on ``extract.document`` output (the public behaviour), so
they hold whatever the number, unit, range and citation parsers look like inside.
"""

from __future__ import annotations

import math
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline import extract, ingest
from pipeline.errors import IngestError
from pipeline.records import Document

SETTINGS = settings(max_examples=120, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _one_line(reason: str) -> bool:
    return bool(reason.strip()) and reason == reason.splitlines()[0] and len(reason) <= 300


@SETTINGS
@given(st.binary(max_size=3000))
@example(b"\xff\xfe\x00\xd8")  # UTF-16 BOM then a lone surrogate
@example(b"\xef\xbb\xbf")  # a BOM and nothing else
@example(b"\x00\x00\xfe\xff\x00\x00\x00")  # truncated UTF-32
def test_decode_text_returns_text_or_a_one_line_reason(data):
    try:
        text, encoding = ingest.decode_text(data)
    except IngestError as err:
        assert _one_line(str(err))
        return
    assert text.strip() and "\x00" not in text and encoding


@SETTINGS
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300)
       .filter(lambda t: t.strip() and not t.startswith("\ufeff")))  # a BOM is dropped
def test_utf8_text_is_kept_exactly(text):
    assert ingest.decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert ingest.decode_text(text.encode("utf-16"))[0] == text


@SETTINGS
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".pdf", ".bin"]))
def test_read_never_raises(tmp_path_factory, data, suffix):
    folder = tmp_path_factory.mktemp("prop")
    path = folder / f"f{suffix}"
    path.write_bytes(data)
    doc = ingest.read(path, folder)
    assert doc.status in ("ok", "error")
    if doc.status == "error":
        assert _one_line(doc.error) and doc.text == ""
    else:
        assert doc.text and doc.error == "" and len(doc.doc_id) == 16


FRAGMENTS = [
    "20 mg/kg", "0.41 mg/ kg", "2 mg lorazepam", "(dose: 2.0 mg/kg, i.m.)", "5 and 10 mg/kg",
    "n = 35", "(n \u00bc 111)", "70 detoxified heroin-dependent patients", "Fifty nine ",
    "Four subjects", "33.3%", "40-80%", "from 40% to as high as 80%", "~47%", "65\u201370%",
    "two-thirds", "a quarter", "one in 20", "Half of the patients", "(Sabino et al.,\n2013)",
    "Krupitsky and Grinenko (1997)", "<sup>23-28</sup>", "<sup>1,2</sup>", "1,000", ".5",
    "\u00b5g/kg", "mcg", " ", "\n", "\r\n", "\n\n", ". ", "i.p.", "ketamine", "et al.",
    "p < .01", "18-65 years", "480-626\u20132727", "2024;25(2):206-211", "\u00a0", "-\n",
    "\u0663\u0664", "e\u0301", "\u05de\u05d8", "%", "mg", "/", "(", ")", "References\n",
    "37. Krupitsky E, Smith J. Title. J Med. 2002;25(6):615-620.\n",
]
TEXTS = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=30).map("".join)
_NUMBER = re.compile(r"\d*\.?\d+")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _numbers_in(span: str) -> list[float]:
    """Every way a number can be read off the span: plain runs and thousands groups."""
    found = [float(m.group()) for m in _NUMBER.finditer(span)]
    return found + [float(m.group().replace(",", "")) for m in _GROUPED.finditer(span)]


def _backed_by_span(value: float, span: str) -> bool:
    # A unit change (g -> mg) may scale a value by powers of 1000; nothing else may.
    return any(math.isclose(value, n * f, rel_tol=1e-6, abs_tol=1e-9)
               for n in _numbers_in(span) for f in (1, 1e3, 1e-3, 1e6, 1e-6))


def _read_from_digits(label: str, span: str) -> bool:
    """Spans whose value must come from the digits they show (not "two-thirds", "one in 20",
    or a count written in words)."""
    if label == "DOSE":
        return bool(_numbers_in(span))
    if label == "PERCENTAGE":
        return bool(re.search(r"\d\s*%", span)) and not re.search(r"\bin\b", span, re.I)
    if label == "SAMPLE_SIZE":
        return bool(re.match(r"\W*(?:[nN]\W*)?\d", span))
    return False


@SETTINGS
@given(TEXTS)
@example("Rats got 20 mg/kg ketamine (n = 35); 40-80% relapsed (Sabino et al.,\n2013).")
@example("n = 3533.3%")
def test_extraction_never_raises_and_offsets_hold(text):
    doc = Document("0123456789abcdef", "p.txt", text)
    out = extract.document(doc)
    if text.startswith("Rats got"):
        assert {m.label for m in out.mentions} >= {"DOSE", "SAMPLE_SIZE", "PERCENTAGE"}
    for m in out.mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start:m.end] == m.text
        assert m.text in m.sentence
        numbers = [v for v in (m.value, m.low, m.high) if v is not None]
        assert all(math.isfinite(v) for v in numbers)
        if m.low is not None and m.high is not None:
            assert m.low <= m.high
        if _read_from_digits(m.label, m.text):
            assert all(_backed_by_span(v, m.text) for v in numbers), (m.text, numbers)
    for r in out.references:
        assert text[r.start:r.end] == r.text
