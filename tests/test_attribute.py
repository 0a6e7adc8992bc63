"""Attribution rules on hand-built records (no spaCy): one test per rule in attribute.py."""

from __future__ import annotations

from records_kit import cite, doc, dose, pct, ref, sup

from pipeline import attribute, authoryear


def _attributed(docs, mentions, references=()):
    out = attribute.attribute(docs, mentions, list(references))
    return {(m.doc_id, m.start): m for m in out}


def _check(docs, mentions, references=(), expected=()):
    got = _attributed(docs, mentions, references)
    for m, key, rule in expected:
        a = got[(m.doc_id, m.start)]
        assert (a.study_key, a.attribution) == (key, rule), m.text


def test_citation_in_the_same_sentence():
    d = doc("In 2014, 8 males received 0.41 mg/kg ketamine (Dakwar et al., 2014b). Next one.")
    m = dose(d, "0.41 mg/kg", 0.41)
    _check([d], [m, cite(d, "(Dakwar et al., 2014b)", "Dakwar", "2014")],
           expected=[(m, "dakwar_2014", "sentence")])


def test_two_studies_in_a_sentence_closing_citation_wins():
    d = doc("Abstinence rose from 24% to 66% (Krupitsky and Grinenko, 1997) and use fell "
            "by 67% relative to baseline (Dakwar et al., 2016).")
    a, b, c = pct(d, "24%", 24), pct(d, "66%", 66), pct(d, "67%", 67)
    cites = [cite(d, "(Krupitsky and Grinenko, 1997)", "Krupitsky", "1997"),
             cite(d, "(Dakwar et al., 2016)", "Dakwar", "2016")]
    _check([d], [a, b, c, *cites], expected=[
        (a, "krupitsky_1997", "sentence_following"), (b, "krupitsky_1997", "sentence_following"),
        (c, "dakwar_2016", "sentence_following")])


def test_two_narrative_citations_in_a_sentence_preceding_wins():
    d = doc("Smith et al. (2001) reported 40% relapse, unlike Jones et al. (2003).")
    m = pct(d, "40%", 40)
    cites = [cite(d, "Smith et al. (2001)", "Smith", "2001", style="narrative"),
             cite(d, "Jones et al. (2003)", "Jones", "2003", style="narrative")]
    _check([d], [m, *cites], expected=[(m, "smith_2001", "sentence_preceding")])


def test_paragraph_preceding_beats_a_closer_following_citation():
    # Seed 002's shape: a superscript, seven sentences on that trial, then the next study.
    text = ("Heroin was studied.<sup>37</sup> Krupitsky ran it. Patients were split. "
            "One got 0.2 mg/kg. Then more. And more. Then 17% were abstinent. "
            "In 2007,<sup>38</sup> he compared sessions.")
    d = doc(text)
    a, b = dose(d, "0.2 mg/kg", 0.2), pct(d, "17%", 17)
    cites = [sup(d, "<sup>37</sup>", "krupitsky_2002"), sup(d, "<sup>38</sup>", "krupitsky_2007")]
    _check([d], [a, b, *cites], expected=[(a, "krupitsky_2002", "paragraph_preceding"),
                                          (b, "krupitsky_2002", "paragraph_preceding")])


def test_paragraph_following_when_nothing_precedes():
    d = doc("Rats drank 33.3% less ethanol. Rapamycin blocked it (Sabino et al., 2013).")
    m = pct(d, "33.3%", 33.3)
    _check([d], [m, cite(d, "(Sabino et al., 2013)", "Sabino", "2013")],
           expected=[(m, "sabino_2013", "paragraph_following")])


def test_a_citation_in_another_paragraph_is_not_used():
    d = doc("Ketamine was given (Sabino et al., 2013).\n\nRelapse rates are 40-80%.")
    m = pct(d, "40-80%", None, low=40.0, high=80.0)
    _check([d], [m, cite(d, "(Sabino et al., 2013)", "Sabino", "2013")],
           expected=[(m, None, "none")])


def test_numeric_superscript_resolves_through_ref_ids_when_key_missing():
    d = doc("Doses reached 2.5 mg/kg.<sup>34</sup>\n\n34. Krupitsky EM. KPT. 1997;29:165.")
    r = ref(d, "34. Krupitsky EM. KPT. 1997;29:165.", "Krupitsky", "1997", label="34")
    m = dose(d, "2.5 mg/kg", 2.5)
    c = sup(d, "<sup>34</sup>", None, ref_ids=(r.ref_id,), ref_numbers=(34,))
    _check([d], [m, c], [r], expected=[(m, "krupitsky_1997", "sentence")])


def test_superscript_of_several_studies_is_ambiguous():
    d = doc("Rates range from 50% to 100%.<sup>13,14</sup>")
    m = pct(d, "from 50% to 100%", None, low=50.0, high=100.0)
    _check([d], [m, sup(d, "<sup>13,14</sup>", None)], expected=[(m, None, "ambiguous")])


def test_adjacent_citations_form_one_ambiguous_group():
    d = doc("About 47% respond (Smith, 2001; Jones, 2003).")
    m = pct(d, "47%", 47)
    cites = [cite(d, "Smith, 2001", "Smith", "2001"), cite(d, "Jones, 2003", "Jones", "2003")]
    _check([d], [m, *cites], expected=[(m, None, "ambiguous")])


def test_no_citation_leaves_the_key_empty():
    d = doc("Relapse rates with current therapies are between 40-80%.")
    m = pct(d, "40-80%", None, low=40.0, high=80.0)
    _check([d], [m], expected=[(m, None, "none")])


def _krupitsky_reference():
    lib = doc("37. Krupitsky EM, Grinenko AY. KPT. J Psychoact Drugs. 1997;29:165.", "lib.txt")
    return lib, ref(lib, lib.text, "Krupitsky", "1997", label="37")


def test_narrative_author_year_found_in_the_text():
    lib, r = _krupitsky_reference()
    d = doc("In their 1997 report, Krupitsky and Grinenko compared two groups. "
            "The research group got 2.5 mg/kg of ketamine.")
    m = dose(d, "2.5 mg/kg", 2.5)
    got = attribute.attribute([d, lib], [m], [r])
    [found] = [x for x in got if x.label == "CITATION"]
    assert (found.text, found.study_key, found.rule_id) == ("Krupitsky", "krupitsky_1997",
                                                           authoryear.RULE_ID)
    assert found.style == "narrative" and found.ref_ids == (r.ref_id,) and not found.name_variant
    assert d.text[found.start:found.end] == found.text
    [dosed] = [x for x in got if x.label == "DOSE"]
    assert (dosed.study_key, dosed.attribution) == ("krupitsky_1997", "paragraph_preceding")


def test_narrative_in_krupitsky_and_grinenko_comma_year_report():
    lib, r = _krupitsky_reference()
    d = doc("In Krupitsky and Grinenko, 1997 report, patients (n = 111) were compared.")
    m = dose(d, "n = 111", 111.0, unit=None).with_(label="SAMPLE_SIZE")
    _check([d, lib], [m], [r], expected=[(m, "krupitsky_1997", "sentence")])


def test_year_in_the_previous_sentence_counts_but_not_two_back():
    lib, r = _krupitsky_reference()
    near = doc("It was published in 1997. Krupitsky notes 66% abstinence.", "near.txt")
    far = doc("It was published in 1997. Nothing here. Krupitsky notes 66%.", "far.txt")
    got = attribute.attribute([near, far, lib], [], [r])
    assert [x.doc_id for x in got if x.label == "CITATION"] == [near.doc_id]


def test_no_reference_of_that_year_means_no_guess():
    lib, r = _krupitsky_reference()
    d = doc("In 2002, Krupitsky reported 17% abstinence.")
    got = attribute.attribute([d, lib], [pct(d, "17%", 17)], [r])
    got = [(x.study_key, x.attribution) for x in got if x.label == "PERCENTAGE"]
    assert got == [(None, "none")]


def test_fuzzy_surname_in_text_records_the_variant():
    lib = doc("41. Ivan Ezquerro-Romano I. Ketamine for addiction. Neuropharmacology. 2018;142:72.",
              "002.txt")
    r = ref(lib, lib.text, "Ivan Ezquerro-Romano", "2018", label="41")
    d = doc("An article was published January 12, 2018 in Neuro Pharmacology by a centre in "
            "Exeter, UK. Dr. Ezquerra-Romano notes that ketamine may be effective.", "004.txt")
    [found] = [x for x in attribute.attribute([d, lib], [], [r]) if x.label == "CITATION"]
    assert (found.text, found.name_variant, found.study_key) == (
        "Ezquerra-Romano", "Ezquerra-Romano", "ezquerro-romano_2018")


def test_short_surnames_only_match_exactly():
    lib = doc("1. Li N. mTOR. Science. 2010;329:959.", "lib.txt")
    r = ref(lib, lib.text, "Li", "2010", label="1")
    d = doc("In 2010 Lin showed 40% more synapses.")
    assert not [x for x in attribute.attribute([d, lib], [], [r]) if x.label == "CITATION"]


def test_numbers_inside_a_reference_entry_are_not_attributed():
    d = doc("Text (Smith et al., 2001).\n\n- Smith J. Doses of 5 mg/kg. J X. 2001;1:2.")
    r = ref(d, "- Smith J. Doses of 5 mg/kg. J X. 2001;1:2.", "Smith", "2001")
    m = dose(d, "5 mg/kg", 5.0)
    _check([d], [m, cite(d, "(Smith et al., 2001)", "Smith", "2001")], [r],
           expected=[(m, None, "none")])


def test_output_is_sorted_and_keeps_other_mentions():
    d = doc("Use fell by 67% (Dakwar et al., 2016).")
    c = cite(d, "(Dakwar et al., 2016)", "Dakwar", "2016")
    m = pct(d, "67%", 67)
    out = attribute.attribute([d], [c, m], [])
    assert [x.label for x in out] == ["PERCENTAGE", "CITATION"]
    assert out[1] == c


def test_handed_over_segments_are_used_instead_of_splitting_again():
    d = doc("Rats drank 33.3% less ethanol. Rapamycin blocked it (Sabino et al., 2013).")
    m = pct(d, "33.3%", 33.3)
    c = cite(d, "(Sabino et al., 2013)", "Sabino", "2013")
    whole = ((0, len(d.text)),)  # a caller that saw one sentence where this module sees two
    got = attribute.attribute([d], [m, c], [], {d.doc_id: attribute.Segments(whole, whole)})
    assert (got[0].study_key, got[0].attribution) == ("sabino_2013", "sentence")


def test_documents_without_handed_over_segments_are_split_here():
    a = doc("Rats drank 33.3% less ethanol. Rapamycin blocked it (Sabino et al., 2013).", "a")
    b = doc("Mice drank 12% less. Rapamycin blocked it (Sabino et al., 2013).", "b")
    ms = [pct(a, "33.3%", 33.3), cite(a, "(Sabino et al., 2013)", "Sabino", "2013"),
          pct(b, "12%", 12), cite(b, "(Sabino et al., 2013)", "Sabino", "2013")]
    only_a = {a.doc_id: attribute.segments(a)}
    assert attribute.attribute([a, b], ms, [], only_a) == attribute.attribute([a, b], ms, [])


def test_printed_years_are_what_the_year_pattern_finds_per_sentence():
    # Sentence bounds cutting through digit runs: a search bounded at a sentence end sees
    # "1997" in "19971" when the sentence ends after the 7, and nothing when it does not.
    text = "In 1997 and 2049. x19971 2050 1939 21997 (2003a) ٣1997 1997٣ 20011999 end"
    cuts = sorted([(0, 17), (18, 23), (18, 24), (24, 45), (25, 29), (45, len(text)),
                   (0, len(text)), (30, 34), (31, 34), (53, 57), (60, 64), (65, 68)])
    got = authoryear._printed_years(text, cuts)
    expected = [frozenset(authoryear._YEAR.findall(text, s, e)) for s, e in cuts]
    assert got == {i: years for i, years in enumerate(expected) if years}
    assert got[cuts.index((18, 23))] == {"1997"} and cuts.index((18, 24)) not in got


def test_blocked_spans_answer_like_a_scan():
    spans = [(10, 20), (0, 5), (12, 30), (40, 41), (15, 16), (50, 50)]
    taken = authoryear.Blocked(spans)
    for start in range(-2, 55):
        for end in range(start, 56):
            assert taken.covers(start, end) == any(s <= start and end <= e for s, e in spans)
            assert taken.overlaps(start, end) == any(s < end and start < e for s, e in spans)
    assert not authoryear.Blocked([]).covers(0, 1) and not authoryear.Blocked([]).overlaps(0, 1)


def test_surname_years_pick_one_study_or_none():
    lib = doc("refs", "lib.txt")
    refs = [ref(lib, "refs", "Krupitsky", year, label=str(i)).with_(start=i, end=i + 1)
            for i, year in enumerate(("1997", "2002", "1997"))]
    refs.append(ref(lib, "refs", "Krupitsky", "2002").with_(start=9, end=10,
                                                            study_key="krupitsky_2002b"))
    index = authoryear.SurnameIndex.build(refs)
    entry, ids = index.of_years("krupitsky", frozenset({"1997", "1950"}))
    assert entry.study_key == "krupitsky_1997"
    assert ids == tuple(sorted(r.ref_id for r in refs if r.year == "1997"))
    assert index.of_years("krupitsky", frozenset({"1997", "2002"})) is None  # three studies
    assert index.of_years("krupitsky", frozenset({"1950"})) is None


def test_fast_name_pattern_finds_what_the_name_pattern_finds():
    text = ("In 1997 Krupitsky and O'Brien, DiazGranados, Ezquerra-Romano and D’Souza-Li met "
            "x-Smith, _Jones, 2Brown, Émile Zoë McDonald-O'Neil Ab A'b Abc-def Krupitsky's.")
    for start, end in ((0, len(text)), (9, 40), (10, 60), (61, len(text) - 3)):
        assert ([m.span() for m in authoryear._NAME_FAST.finditer(text, start, end)]
                == [m.span() for m in authoryear._NAME.finditer(text, start, end)])
