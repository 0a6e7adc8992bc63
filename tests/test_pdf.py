"""PDF ingestion: reading order, furniture, superscripts, provenance boxes and bad files."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pdf_fixtures as fx
from pipeline.citations import find_citations
from pipeline.errors import IngestError
from pipeline.normalize import analysis_view
from pipeline.pdf import bench_pdf, read_pdf, read_pdf_with_stats, span_box

SHARED = Path(os.environ.get("LITX_SHARED", Path(__file__).resolve().parents[2] / "shared"))
BENCH = SHARED / "bench" / "pdfs"


def flat(s: str) -> str:
    """Whitespace runs to single spaces."""
    return " ".join(s.split())


def reads_contiguously(text: str, sentence: str) -> bool:
    """``sentence`` occurs in ``text`` with whitespace normalized; a hyphen at a line end is
    either a real hyphen (kept) or a soft one (dropped between lowercase letters)."""
    keep = flat(re.sub(r"-\n", "-", text))
    drop = flat(re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", text))
    return sentence in keep or sentence in drop


# --- synthetic PDFs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_col() -> tuple[str, object]:
    """The two-page one-column fixture, read once."""
    return read_pdf(fx.one_column_pdf())


def test_text_and_boxes_align(one_col):
    text, layout = one_col
    assert len(layout.boxes) == len(text)
    assert len(layout.page_starts) == 2
    assert layout.page_starts[0] == 0
    assert layout.boxes[layout.page_starts[1]][0] == 2
    assert text[layout.page_starts[1]:].startswith("continues on the next page")


def test_header_and_page_numbers_dropped(one_col):
    text, _ = one_col
    assert "Synthetic Tests" not in text
    assert not re.search(r"(?m)^\s*[12]\s*$", text)


def test_paragraphs_and_page_break(one_col):
    text, _ = one_col
    paragraphs = [flat(p) for p in text.split("\n\n")]
    assert paragraphs[0].startswith("Rats received ketamine")
    assert paragraphs[0].endswith("on the next day.")
    assert paragraphs[1].startswith("A second paragraph")
    # the sentence runs over the page break inside one paragraph
    assert reads_contiguously(text, "goes on until the very end of the page where the sentence "
                                    "does not stop but it continues on the next page with 35% "
                                    "of the animals.")


def test_superscript_citation_tagged(one_col):
    text, layout = one_col
    i = text.index("before<sup>12,13</sup> in several labs.")
    tag = i + len("before")
    assert all(layout.boxes[k] is None for k in range(tag, tag + 5))  # inserted "<sup>"
    digits = [layout.boxes[k] for k in range(tag + 5, tag + 10)]
    assert all(b is not None for b in digits)
    body = layout.boxes[i]  # the raised digits sit higher than the body text
    assert max(b[4] for b in digits) < body[4] - 1


def test_powers_tagged_with_their_sign_and_not_cited():
    text, layout = read_pdf(fx.powers_pdf())
    assert flat(text) == ("Cells were plated at 10<sup>5</sup> per 2 m<sup>2</sup> dish. Rats got 10 mg "
                          "kg<sup>-1</sup> day<sup>\u20131</sup> at 10<sup>-3</sup> M as before<sup>4-6</sup>.")
    i = text.index("kg<sup>-1</sup>") + len("kg<sup>")
    assert layout.boxes[i] is not None  # the sign is the page's own character, with its box
    # Raised numbers look alike on the page; only the citation finder tells a power from a mark.
    assert [text[m.start : m.end] for m in find_citations(text)] == ["<sup>4-6</sup>"]


def test_hyphenated_word_joined_in_view_only(one_col):
    text, _ = one_col
    assert "ketamine-in-\nduced" in text
    view = analysis_view(text, dehyphenate=True)
    j = view.text.index("ketamine-induced changes")
    start = view.to_canonical(j)
    end = view.to_canonical_end(j + len("ketamine-induced"))
    assert text[start:end] == "ketamine-in-\nduced"


def test_span_box_of_a_dose(one_col):
    text, layout = one_col
    i = text.index("10 mg/kg")
    page, (x0, top, x1, bottom) = span_box(layout, i, i + len("10 mg/kg"))
    assert page == 1
    start = 72 + fx.stringWidth("Rats received ketamine at ", fx.FONT, fx.SIZE)
    assert x0 == pytest.approx(start, abs=0.5)
    assert x1 == pytest.approx(start + fx.stringWidth("10 mg/kg", fx.FONT, fx.SIZE), abs=0.5)
    assert 95 < top < bottom < 115


def test_span_box_crossing_a_page_uses_first_page(one_col):
    text, layout = one_col
    i = text.index("stop but it")
    page, box = span_box(layout, i, layout.page_starts[1] + 9)
    assert page == 1 and box[3] < fx.HEIGHT / 2
    assert span_box(layout, i - 0, i) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), st.integers(0, 60))
def test_span_box_is_the_union_on_the_first_page(one_col, start, length):
    text, layout = one_col
    end = min(len(text), start + length)
    got = span_box(layout, start, end)
    boxes = [b for b in layout.boxes[start:end] if b is not None]
    if not boxes:
        assert got is None
        return
    page, (x0, top, x1, bottom) = got
    assert page == boxes[0][0]
    for b in boxes:
        if b[0] == page:
            assert x0 <= b[1] and top <= b[2] and b[3] <= x1 and b[4] <= bottom


def test_two_columns_read_left_then_right():
    text, layout, stats = read_pdf_with_stats(fx.two_column_pdf())
    assert stats.two_column_pages == (1,)
    assert text.index("Two Column Test Page") < text.index("full-width abstract line")
    assert text.index("full-width abstract line") < text.index("Left filler line 0")
    assert text.index("Left filler line 11") < text.index("Right filler line 0")
    assert "Left filler line 0 of the first column\nLeft filler line 1" in text
    running = flat(" ".join(fx.LEFT + fx.RIGHT[:2]))
    assert reads_contiguously(text, running)
    assert "\n\nThe right column then has another short" in text
    # the footnote waits for the paragraph to end instead of splitting it
    note = text.index("A footnote that must not split")
    assert text.index("12 h of sleep.") < note < text.index("The right column then has")


def test_one_column_page_is_not_split(one_col):
    _, _, stats = read_pdf_with_stats(fx.one_column_pdf())
    assert stats.two_column_pages == ()


BAD_FILES = [
    (fx.encrypted_pdf, "encrypted PDF (password required)"),
    (lambda: fx.one_column_pdf()[: len(fx.one_column_pdf()) // 2], "corrupt or truncated PDF"),
    (lambda: fx.one_column_pdf()[:-20], "corrupt or truncated PDF"),
    (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "corrupt or truncated PDF"),
    (fx.image_only_pdf, "no text layer (scanned PDF?)"),
    (fx.blank_pdf, "no text on any page (blank or damaged PDF?)"),
    (lambda: b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages"
             b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
     "corrupt or truncated PDF: no pages"),
    (lambda: b"just some text, not a PDF at all\n", "not a PDF"),
    (lambda: b"", "not a PDF"),
]


@pytest.mark.parametrize(("make", "reason"), BAD_FILES,
                         ids=["encrypted", "truncated", "cut-tail", "corrupt", "scanned",
                              "blank", "no-pages", "not-pdf", "empty"])
def test_bad_pdfs_raise_ingest_error_with_reason(make, reason):
    with pytest.raises(IngestError) as err:
        read_pdf(make())
    msg = str(err.value)
    assert msg.startswith(reason)
    assert "\n" not in msg and len(msg) < 200


def test_owner_password_only_still_reads():
    text, _ = read_pdf(fx.owner_only_encrypted_pdf())
    assert "Rats received ketamine" in text


# --- the bench PDFs (shared/bench/pdfs) -----------------------------------------------------

SENTENCES = {
    "acl_2020_specter.pdf": [
        "Unlike many prior works, at inference time, our model does not require any citation "
        "information.",  # right column, page 1
        "Each layer consists of a self-attention sublayer followed by a feedforward sublayer.",
        "Then, we require the embedding model to rank the co-viewed papers higher than the "
        "random papers by comparing the L2 distances of raw embeddings.",  # pages 4 -> 5
    ],
    "bmc_health_serv_res_2014_14_1.pdf": [
        "The department has four main sub units, namely the highly dependent unit (HDU), the "
        "male and female wards and the medical short stay (MSS) ward.",  # right column
        "In order to validate the questions before posing them to the study interviewees, the "
        "questionnaires for this study were first administered to some staff of the KCH.",
        "This challenge emanated as a common theme from the stakeholder interviews.",  # 7 -> 8
    ],
    "clin_sci_2014_126_305.pdf": [
        "More recent work has emphasized a potent anti-inflammatory and anti-fibrotic role in "
        "heart, liver, kidney and lung tissues [13–25].",  # right column, page 1
        "Enzyme-inhibitor solutions were then divided into aliquotes in triplicate 20 μl "
        "volumes followed by the addition of 280 μl of fluorogenic substrate (Abz)-FRK(Dnp)P-OH "
        "(in assay buffer) to yield a final substrate concentration of 4 or 8 μM.",  # 2 -> 3
        "These inhibitors inhibit both domains with similar affinity in the low nanomolar "
        "range [28].",
    ],
    "j_trauma_manag_outcomes_2010_4_1.pdf": [
        "This systematic review describes the potential complications associated with LMWHs, "
        "mechanical compression devices, and IVC filters.",
        "There were no reported filter migration or IVC occlusion events in the short-term.",
        "Although a failed retrieval is not a direct complication, it results in permanent IVC "
        "filtration and places the patient at risk for future complications.",
    ],
    "naacl_2018_literature_graph.pdf": [
        "The literature graph is a directed property graph which summarizes key information in "
        "the literature and can be used to answer the queries mentioned earlier as well as "
        "more complex queries.",
        "Each node of this type represents a unique scientific concept discussed in the "
        "literature, with attributes such as ‘canonical name’, ‘aliases’ and "
        "‘description’.",
        "A span and its surrounding words are collectively referred to as a mention.",  # 5 -> 6
    ],
    "peerj_cs_2017_118.pdf": [
        "Codeml is part of the PAML package for the analyses of selective pressure variation in "
        "nucleotide sequence data in a maximum likelihood framework (Yang, 2007).",  # 1 -> 2
        "Using the VESPA ‘‘clean_ensembl’’ command we: (1) restricted the protein coding "
        "sequences per genome to the longest transcript for each gene, and (2) logged and "
        "discarded sequences containing internal stop codons or incomplete codons.",  # 11 -> 12
        "VESPA is written in python and Perl and is designed to run within a UNIX environment.",
    ],
    "rehabil_res_pract_2010_157939.pdf": [
        "A significant part of this cost is due to high hospital readmission rates.",
        "Changes in lifestyle and symptom monitoring are important complementary strategies to "
        "pharmacological treatment.",
        "Symptom monitoring is essential to detect deterioration in the patient’s condition, for "
        "example increased shortness of breath, weight gain, and oedema (fluid retention).",
    ],
}

_CACHE: dict[str, tuple] = {}


def bench_doc(name: str):
    """Read one bench PDF once per session: our text and layout, plus pdfplumber's own chars
    and text lines per page for the independent checks."""
    if name not in _CACHE:
        path = BENCH / name
        if not path.exists():
            pytest.fail(f"bench PDFs not found under {BENCH}: the issue's acceptance needs them "
                        "(CI clones the repo with shared/ beside it; set LITX_SHARED elsewhere)")
        text, layout = read_pdf(path.read_bytes())
        with pdfplumber.open(path) as pdf:
            pages = [(float(p.height), p.chars, p.extract_text_lines()) for p in pdf.pages]
        _CACHE[name] = (text, layout, pages)
    return _CACHE[name]


@pytest.mark.parametrize("name", sorted(SENTENCES))
def test_bench_sentences_read_contiguously(name):
    text, _, _ = bench_doc(name)
    for sentence in SENTENCES[name]:
        assert reads_contiguously(text, sentence), sentence


def _fold(s: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", s)).lower()


def _furniture_boxes(pages) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Header/footer lines found independently: in the outer tenth of the page and repeated at
    the same height on another page (digits folded), or a lone page number there."""
    where: dict[str, list[tuple[int, float]]] = {}
    for number, (_, _, lines) in enumerate(pages, start=1):
        for ln in lines:
            where.setdefault(_fold(ln["text"]), []).append((number, ln["top"]))
    found = []
    for number, (height, _, lines) in enumerate(pages, start=1):
        outer = [ln for ln in lines if ln["top"] in (min(x["top"] for x in lines),
                                                       max(x["top"] for x in lines))]
        for ln in lines:
            key = _fold(ln["text"])
            edge = ln["bottom"] < 0.1 * height or ln["top"] > 0.9 * height
            repeated = len(key) >= 8 and any(
                n != number and abs(top - ln["top"]) < 6 for n, top in where[key])
            lone_number = ln in outer and re.fullmatch(r"\d{1,4}", ln["text"].strip())
            if edge and (repeated or lone_number):
                found.append((number, (ln["x0"], ln["top"], ln["x1"], ln["bottom"])))
    return found


@pytest.mark.parametrize("name", sorted(SENTENCES))
def test_bench_headers_and_footers_left_out(name):
    text, layout, pages = bench_doc(name)
    furniture = _furniture_boxes(pages)
    assert furniture  # every bench PDF has running headers or footers
    for page, (x0, top, x1, bottom) in furniture:
        inside = [i for i, b in enumerate(layout.boxes) if b is not None and b[0] == page
                  and x0 <= (b[1] + b[3]) / 2 <= x1 and top <= (b[2] + b[4]) / 2 <= bottom]
        assert not inside, f"page {page}: {text[inside[0]:inside[0] + 60]!r}"


_QUANTITY = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)?[ \u00a0]?(?:%|mg|µg|μg|μl|µl|μM|µM|nM|mM|ml|kg|nm|min|ms|"
    r"years?|days?|weeks?|months?|patients|pages|h)(?![A-Za-z])")

# Every number token too (sampled): numbers are what the extractors report.
_NUMBER = re.compile(r"(?<![\w.:])\d+(?:[.,]\d+)*(?!\w)")


def _chars_in(chars, box) -> str:
    x0, top, x1, bottom = box
    inside = [c for c in chars if x0 <= (c["x0"] + c["x1"]) / 2 <= x1
              and top <= (c["top"] + c["bottom"]) / 2 <= bottom and c["text"].strip()]
    seen, kept = set(), []
    for c in sorted(inside, key=lambda c: c["x0"]):
        key = (c["text"], round(c["x0"]), round(c["top"]))  # a char printed twice (fake bold)
        if key not in seen:
            seen.add(key)
            kept.append(c["text"])
    return "".join(kept)


def _squash(s: str) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"</?sup>|\s+", "", s))


@pytest.mark.parametrize("name", sorted(SENTENCES))
def test_bench_span_boxes_hold_the_span_text(name):
    text, layout, pages = bench_doc(name)
    quantities = [m.span() for m in _QUANTITY.finditer(text)]
    numbers = [m.span() for m in _NUMBER.finditer(text)]
    spans = sorted(set(quantities + numbers[:: max(1, len(numbers) // 150)]))
    assert len(spans) >= 50
    for start, end in spans:
        page, box = span_box(layout, start, end)
        assert _squash(_chars_in(pages[page - 1][1], box)) == _squash(text[start:end]), (
            page, box, text[start:end])


def test_bench_pdf_reports_pages_per_second(tmp_path):
    path = tmp_path / "two_pages.pdf"
    path.write_bytes(fx.one_column_pdf())
    result = bench_pdf([path, path], repeat=2)
    assert result["files"] == 2 and result["errors"] == 0
    assert result["pages"] == 4 and result["two_column_pages"] == 0
    assert result["pages_per_s"] > 0
