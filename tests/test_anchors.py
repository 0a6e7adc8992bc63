"""The per-sentence Matchers find exactly what the full SpanRuler finds."""

from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RAW, SHARED
from pipeline import anchors, ingest, nlp, normalize, rules, segment


def _ruler_spans(texts):
    return [[(sp.label_, sp.id_, sp.start_char, sp.end_char) for sp in d.spans[nlp.SPANS_KEY]]
            for d in nlp.get().pipe(texts)]


def _sentences(text):
    view = normalize.analysis_view(text).text
    return [view[s:e] for s, e in segment.sentences(view, rules.load().lexicon("abbreviations"))]


def _assert_same(texts):
    got = nlp.matcher().spans(texts)
    assert len(got) == len(texts)
    want = _ruler_spans(texts)
    for text, g, w in zip(texts, got, want):
        assert g == w, text
    return sum(map(len, want))


def test_every_sentence_of_the_seeds_gets_the_ruler_spans():
    texts = [s for p in ingest.list_inputs(RAW) for s in _sentences(ingest.read(p, RAW).text)]
    assert _assert_same(texts) > 50


def test_small_docs_of_joined_stretches_give_the_same_spans(monkeypatch):
    # Stretches are cut into Docs of at most _DOC_CHARS: at 40 nearly every stretch is a Doc.
    texts = [s for p in ingest.list_inputs(RAW) for s in _sentences(ingest.read(p, RAW).text)]
    whole = nlp.matcher().spans(texts)
    monkeypatch.setattr(nlp, "_DOC_CHARS", 40)
    assert nlp.matcher().spans(texts) == whole
    assert _assert_same(texts) > 50


def test_benchmark_sentences_get_the_ruler_spans():
    folders = [SHARED / "bench" / n / "docs" for n in ("ebmnlp_sample_size", "measeval_quantity")]
    paths = [p for f in folders if f.is_dir() for p in islice(sorted(f.glob("*.txt")), 150)]
    if not paths:
        pytest.skip("shared/bench is not beside the project (set LITX_SHARED)")
    texts = [s for p in paths for s in _sentences(p.read_text(encoding="utf-8"))]
    assert _assert_same(texts) > 200


# Words from the rule lexicons, numbers and glue, so random sentences hit the rules often.
_LEX = rules.load()
_WORDS = sorted(_LEX.lexicon("mass_units") | _LEX.lexicon("population") | {
    "n", "=", "%", "per", "cent", "percent", "half", "of", "in", "one", "to", "-", "and", ",",
    "5", "0.41", "12", "ten", "/", "kg", "day", "the", "patients", "a", "third", "(", ")"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14),
       st.lists(st.sampled_from(["", " ", "  "]), min_size=14, max_size=14))
def test_random_rule_words_get_the_ruler_spans(words, gaps):
    # Words are joined with no space at times ("5mg", "n=12"), as text often has them.
    text = "".join(w + g for w, g in zip(words, gaps)).strip()
    if text:
        _assert_same([text])


def test_each_rule_gets_its_rarest_required_word_list():
    pattern = [{"LIKE_NUM": True}, {"LOWER": "in"}, {"LOWER": {"IN": ["cats", "dogs"]}},
               {"LOWER": "x", "OP": "?"}]
    assert anchors.anchor_words(pattern) == ("cats", "dogs")
    assert anchors.anchor_words([{"LIKE_NUM": True}, {"LOWER": "in"}]) == ("in",)
    assert anchors.anchor_words([{"LIKE_NUM": True}, {"ORTH": "%", "OP": "?"}]) is None


def test_a_rule_without_an_anchor_runs_on_every_sentence():
    [group] = anchors.groups([{"label": "DOSE", "id": "x", "pattern": [{"LIKE_NUM": True}]}])
    assert group.could_match(set(), "no anchor here")


def test_sentences_without_anchors_skip_the_matcher():
    groups = anchors.groups(rules.load().patterns)
    lowered = "we met at noon and left."
    assert not any(g.could_match(anchors.words_of(lowered), lowered) for g in groups
                   if g.words or g.signs)


def test_reach_counts_the_tokens_a_rule_allows_around_its_anchor():
    pattern = [{"LIKE_NUM": True}, {"LOWER": "of", "OP": "?"}, {"LOWER": {"IN": ["mg", "g"]}},
               {"ORTH": "/", "OP": "{0,2}"}, {"LOWER": "kg"}]
    [group] = anchors.groups([{"label": "DOSE", "id": "x", "pattern": pattern}])
    assert group.reach == (5, 0)  # the anchor is "kg", the shortest required word list


def test_a_rule_of_unbounded_length_is_matched_on_the_whole_sentence():
    pattern = [{"LIKE_NUM": True, "OP": "+"}, {"LOWER": "mg"}]
    [group] = anchors.groups([{"label": "DOSE", "id": "x", "pattern": pattern}])
    text = "Long ago , on a grey day , rats got 5 mg ."
    assert group.reach is None
    assert anchors.windows(text, text.lower(), anchors.words_of(text.lower()), [group]) == [
        (0, len(text))]


def test_windows_keep_the_chunks_within_reach_of_each_anchor():
    pattern = [{"LIKE_NUM": True}, {"LOWER": "mg"}]
    [group] = anchors.groups([{"label": "DOSE", "id": "x", "pattern": pattern}])
    text = "On a grey day in May the rats got 5 mg and later, after a long rest, 7 mg again."
    lowered = text.lower()
    got = [text[a:b] for a, b in anchors.windows(text, lowered, anchors.words_of(lowered),
                                                   [group])]
    assert got == ["5 mg", "7 mg"]
    # "mg" inside a longer word ("mgso4") is no anchor; "20mg" is one chunk holding it.
    text = "Salt was mgso4 here, and the dose 20mg."
    lowered = text.lower()
    assert [text[a:b] for a, b in anchors.windows(text, lowered, anchors.words_of(lowered),
                                                  [group])] == ["dose 20mg."]


def test_text_whose_lower_case_moves_offsets_is_matched_whole():
    [group] = anchors.groups([{"label": "DOSE", "id": "x",
                               "pattern": [{"LIKE_NUM": True}, {"LOWER": "mg"}]}])
    text = "İstanbul rats got 5 mg."
    assert len(text.lower()) != len(text)
    assert anchors.windows(text, text.lower(), anchors.words_of(text.lower()), [group]) == [
        (0, len(text))]
    assert _assert_same([text]) == len(_ruler_spans([text])[0])

