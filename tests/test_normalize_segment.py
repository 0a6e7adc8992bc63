from hypothesis import given
from hypothesis import strategies as st

from pipeline import normalize, rules, segment

# Text mixing the characters the view maps with ordinary ones, so replacements meet.
_MAPPED = "".join(chr(c) for c in normalize.SAME_LENGTH)
_MIXED = st.text(alphabet=st.sampled_from(_MAPPED + "\u00b5ab -=1"), max_size=40)


def test_view_keeps_length_and_repairs_mojibake():
    text = "(n \u00bc 111) 65\u201370% 0.41\u00a0mg"
    view = normalize.analysis_view(text)
    assert len(view.text) == len(text)
    assert view.text == "(n = 111) 65-70% 0.41 mg"


@given(_MIXED)
def test_fast_same_length_map_equals_the_translate_table(text):
    assert normalize.same_length(text) == text.translate(normalize.SAME_LENGTH)


def test_dehyphenation_maps_offsets_back():
    text = "a ketamine-in-\nduced effect"
    view = normalize.analysis_view(text, dehyphenate=True)
    assert view.text == "a ketamine-induced effect"
    start = view.text.index("ketamine-induced")
    end = start + len("ketamine-induced")
    assert text[view.to_canonical(start):view.to_canonical_end(end)] == "ketamine-in-\nduced"
    after = view.text.index("effect")
    assert text[view.to_canonical(after):view.to_canonical_end(after + 6)] == "effect"


def test_spans_map_like_their_offsets():
    text = "a ketamine-in-\nduced effect. Next one-\nliner here."
    spans = [(0, 1), (2, 18), (19, 26), (27, 44)]
    for dehyphenate in (False, True):
        view = normalize.analysis_view(text, dehyphenate=dehyphenate)
        assert view.spans_to_canonical(spans) == tuple(
            (view.to_canonical(s), view.to_canonical_end(e)) for s, e in spans)


def test_sentences_do_not_break_after_abbreviations():
    text = ("Rats got ketamine (20 mg/kg, i.p.; n = 35) as in (Sabino et al., 2013). "
            "Then Dr. Smith saw J. Doe.\n\nNew paragraph here.")
    abbr = rules.load().lexicon("abbreviations")
    spans = segment.sentences(text, abbr)
    assert [text[s:e] for s, e in spans] == [
        "Rats got ketamine (20 mg/kg, i.p.; n = 35) as in (Sabino et al., 2013).",
        "Then Dr. Smith saw J. Doe.",
        "New paragraph here.",
    ]


def test_headings_and_list_items_stand_alone():
    text = "### Results\nFifty nine patients.\n- 37. Krupitsky E, 2002.\n- Lydic R, 2002."
    spans = segment.sentences(text, rules.load().lexicon("abbreviations"))
    assert [text[s:e] for s, e in spans] == [
        "### Results", "Fifty nine patients.", "- 37. Krupitsky E, 2002.", "- Lydic R, 2002."]


def test_containing_finds_the_sentence():
    spans = [(0, 10), (11, 20), (22, 30)]
    assert segment.containing(spans, 12, 15) == (11, 20)
    assert segment.containing(spans, 8, 13) == (0, 20)


def test_block_starts_only_at_line_starts():
    # A list marker or heading counts only at the start of a line: "### Indented" begins its
    # paragraph after spaces, so it runs on to the next block instead of ending at its line.
    text = ("Intro - not a list.\n- item one.\n### Head\nBody.\n\n"
            "  ### Indented\nbody text\n### Real\nmore")
    spans = segment.sentences(text, rules.load().lexicon("abbreviations"))
    assert [text[s:e] for s, e in spans] == [
        "Intro - not a list.", "- item one.", "### Head", "Body.", "### Indented\nbody text",
        "### Real", "more"]


def test_packed_spans_come_back_as_they_went_in():
    text = "First one. Second one here.\n\nA new paragraph."
    spans = tuple(segment.sentences(text, rules.load().lexicon("abbreviations")))
    packed = segment.pack(spans)
    assert len(packed) == 1 + 8 * len(spans) == 25
    assert segment.unpack(packed) == spans
    # Offsets beyond 32 bits survive too (a huge document's end), in wider items.
    assert segment.unpack(segment.pack([(0, 2**40)])) == ((0, 2**40),)
    assert len(segment.pack([(0, 2**40)])) == 17
    assert segment.unpack(segment.pack([])) == () == segment.unpack(b"")
