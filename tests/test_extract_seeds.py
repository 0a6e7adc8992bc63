"""The first extraction version on the seed corpus: plain cases found, provenance exact."""

from collections import Counter
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RAW
from pipeline import extract, ingest


@lru_cache(maxsize=None)
def _seed(prefix: str):
    [path] = [p for p in ingest.list_inputs(RAW) if p.name.startswith(prefix)]
    doc = ingest.read(path, RAW)
    return doc, extract.document(doc).mentions


def _find(prefix: str, label: str, text: str):
    doc, mentions = _seed(prefix)
    hits = [m for m in mentions if m.label == label and m.text == text]
    assert hits, f"{label} {text!r} not found in seed {prefix}"
    return doc, hits[0]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_span_indexes_the_canonical_text(prefix):
    doc, mentions = _seed(prefix)
    for m in mentions:
        assert doc.text[m.start:m.end] == m.text
        assert m.text in m.sentence
        assert m.mention_id and m.rules_version


def test_dose_value_unit_drug():
    _, m = _find("000", "DOSE", "20 mg/kg")
    assert (m.value, m.unit, m.drug) == (20.0, "mg/kg", "ketamine")


def test_spaced_unit_is_normalized():
    _, m = _find("000", "DOSE", "0.41 mg/ kg")
    assert (m.value, m.unit) == (0.41, "mg/kg")


def test_mojibake_sample_size():
    _, m = _find("000", "SAMPLE_SIZE", "n ¼ 111")
    assert m.value == 111


def test_population_count():
    _, m = _find("000", "SAMPLE_SIZE", "70 detoxified heroin-dependent patients")
    assert m.value == 70 and m.population == "detoxified heroin-dependent patients"


def test_percentage_range():
    _, m = _find("000", "PERCENTAGE", "40-80%")
    assert (m.low, m.high, m.value) == (40.0, 80.0, None)


def test_word_fraction():
    _, m = _find("003", "PERCENTAGE", "two-thirds")
    assert m.value == pytest.approx(66.7)


@pytest.mark.parametrize("label", ["DOSE", "SAMPLE_SIZE", "PERCENTAGE", "CITATION"])
def test_each_label_has_ten_normalized_mentions(label):
    counts = Counter()
    for prefix in ("000", "001", "002", "003", "004"):
        _, mentions = _seed(prefix)
        counts.update(m.label for m in mentions
                      if m.value is not None or m.low is not None or m.study_key)
    assert counts[label] >= 10


def test_citation_across_a_line_break():
    _, m = _find("000", "CITATION", "(Sabino et al.,\n2013)")
    assert (m.authors, m.year, m.style, m.study_key) == (("Sabino",), "2013", "parenthetical",
                                                         "sabino_2013")


def test_phone_number_is_not_extracted():
    doc, mentions = _seed("004")
    phone = doc.text.index("480-626")
    assert not [m for m in mentions if m.start <= phone < m.end]


def _segments_match(doc):
    from pipeline import attribute

    x = extract.document(doc)
    seg = attribute.segments(doc)
    handed = attribute.Packed(x.sentences, x.paragraphs).unpack()
    assert (handed.sentences, handed.paragraphs) == (seg.sentences, seg.paragraphs)
    return handed, x


@pytest.mark.parametrize("prefix", ["000", "002"])
def test_extraction_hands_over_the_segments_attribution_would_compute(prefix):
    doc, _ = _seed(prefix)
    assert len(_segments_match(doc)[0].sentences) > 10


def test_handed_over_segments_map_dehyphenated_text_back():
    from pipeline.records import Document, Layout

    text = ("Patients received keta-\nmine at 0.5 mg/kg. The re-\nsponse rate was 40%.\n\n"
            "A second para-\ngraph follows here.")
    doc = Document("d" * 16, "x.pdf", text, media_type="application/pdf",
                   layout=Layout((0,), (None,) * len(text)))
    seg, x = _segments_match(doc)
    assert [text[s:e] for s, e in seg.paragraphs][-1] == "A second para-\ngraph follows here."
    assert any(m.text == "0.5 mg/kg" for m in x.mentions)


def test_mentions_of_one_sentence_share_its_string():
    # One string per sentence keeps memory and the pickles shipped to Dask workers small.
    _, mentions = _seed("000")
    first: dict[str, str] = {}
    for m in mentions:
        assert first.setdefault(m.sentence, m.sentence) is m.sentence
    assert len(first) < len(mentions)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["n", "N", "O", "o", "ne in ", " ", "\t", "\x1c", "=", "¼", "5",
                                  "%", "x", "One in 2"]), max_size=12).map("".join))
def test_mark_starts_are_the_marks_regex_starts(text):
    assert extract.mark_starts(text) == [m.start() for m in extract.MARKS.finditer(text)]


def test_mark_starts_on_the_seeds():
    texts = [ingest.read(p, RAW).text for p in ingest.list_inputs(RAW)]
    found = [extract.mark_starts(t) for t in texts]
    assert found == [[m.start() for m in extract.MARKS.finditer(t)] for t in texts]
    assert sum(map(len, found)) > 20


def test_a_batch_gives_each_document_what_it_gives_alone():
    from pipeline.records import Document, Layout

    docs = [ingest.read(p, RAW) for p in ingest.list_inputs(RAW)]
    text = "Patients received keta-\nmine at 0.5 mg/kg. The re-\nsponse rate was 40%."
    docs.insert(2, Document("e" * 16, "bad.pdf", "", status="error", error="corrupt PDF"))
    docs.insert(3, Document("d" * 16, "x.pdf", text, media_type="application/pdf",
                            layout=Layout((0,), (None,) * len(text))))
    docs.append(Document("f" * 16, "no-numbers.txt", "Nothing to see here."))
    batch = extract.documents(docs)
    alone = [extract.document(d) for d in docs]
    assert batch == alone
    assert [x.doc_id for x in batch] == [d.doc_id for d in docs]
    assert sum(len(x.mentions) for x in batch) > 100 and not batch[2].mentions
    # Shuffled batches give the same records too: matches never cross documents.
    assert extract.documents(docs[::-1]) == alone[::-1]
