"""In-text citations: every form of issue 4, with exact offsets and expanded numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.citation_patterns import get_patterns, leading_chars
from pipeline.citations import find_citations
from pipeline.references import find_references
from pipeline.normalize import analysis_view

RAW = Path(__file__).parents[1] / "raw"

# (text, [(start, end, style, authors, year, suffix, ref_numbers)])
TEST_CASES = [
    ("memantine (Sabino et al.,\n2013). Similarly", [(10, 31, "parenthetical", ("Sabino",), "2013", None, ())]),
    ("in 2014 (Dakwar et al., 2014b). Next", [(8, 30, "parenthetical", ("Dakwar",), "2014", "b", ())]),
    ("66% (Krupitsky and Grinenko, 1997) and", [(4, 34, "parenthetical", ("Krupitsky", "Grinenko"), "1997", None, ())]),
    ("shown (Hallgren et al. 2001; Tomy et al. 2004) here", [(6, 46, "parenthetical", ("Hallgren",), "2001", None, ())]),
    ("until Krupitsky and\nGrinenko (1997), published", [(6, 35, "narrative", ("Krupitsky", "Grinenko"), "1997", None, ())]),
    ("In Krupitsky and Grinenko, 1997 report, relapse", [(3, 31, "narrative", ("Krupitsky", "Grinenko"), "1997", None, ())]),
    ("as Kurvers et al. 2013 showed", [(3, 22, "narrative", ("Kurvers",), "2013", None, ())]),
    ("Grabski et al. (2022)<sup>36</sup> conducted", [
        (0, 21, "narrative", ("Grabski",), "2022", None, ()),
        (21, 34, "numeric", (), None, None, (36,)),
    ]),
    ("receptors,<sup>1,2</sup> it produces", [(10, 24, "numeric", (), None, None, (1, 2))]),
    ("experiences.<sup>23-28</sup> And", [(12, 28, "numeric", (), None, None, (23, 24, 25, 26, 27, 28))]),
    ("experiences.<sup>23\u201328</sup> And", [(12, 28, "numeric", (), None, None, (23, 24, 25, 26, 27, 28))]),
    ("a study.<sup>42,42</sup> Then", [(8, 24, "numeric", (), None, None, (42,))]),
    ("since 2019<sup>5</sup> and Smith et al<sup>6</sup>", [
        (10, 22, "numeric", (), None, None, (5,)),
        (38, 50, "numeric", (), None, None, (6,)),
    ]),
    ("outcome [1]. The", [(8, 11, "numeric", (), None, None, (1,))]),
    ("guidance [2],[3], by", [(9, 16, "numeric", (), None, None, (2, 3))]),
    ("causes [5,10\u201313]. It", [(7, 16, "numeric", (), None, None, (5, 10, 11, 12, 13))]),
    ("in MDR-TB [3]\u2013[5]. However", [(10, 17, "numeric", (), None, None, (3, 4, 5))]),
    ("IL-1\u03b2 [9], [11], [12], [15]. RNA", [(6, 27, "numeric", (), None, None, (9, 11, 12, 15))]),
    ("reviews such as [34, 39\u201345].", [(16, 27, "numeric", (), None, None, (34, 39, 40, 41, 42, 43, 44, 45))]),
    ("data (Smith 2001a,b) show", [(5, 20, "parenthetical", ("Smith",), "2001", "a", ())]),
    ("Smith's (2001) model", [(0, 14, "narrative", ("Smith",), "2001", None, ())]),
    ("and the van der Meer et al. (2010) data", [(8, 34, "narrative", ("van der Meer",), "2010", None, ())]),
    ("milk (Hallgren et al. 2001; Tomy et al. 2004; Zhou et al. 2002) and", [
        (5, 63, "parenthetical", ("Hallgren",), "2001", None, ()),
    ]),
    ("as did Krause and Ruxton (2002).", [(7, 31, "narrative", ("Krause", "Ruxton"), "2002", None, ())]),
    ("data (e.g., WHO 2010) show", [(5, 21, "parenthetical", ("WHO",), "2010", None, ())]),
]

NOT_CITATIONS = [
    "Anna Famu\u0142a<sup>1,2</sup> \nJakub Radoszewski<sup>3</sup> \n",  # author-list marks
    "<sup>1</sup>Department of Psychiatry, Medical University of Silesia",  # affiliation
    "an area of 5 m<sup>2</sup> and 10<sup>5</sup> cells",  # powers
    "10 mg kg\u207b\u00b9 day\u207b\u00b9 at 10\u207b\u00b3 M",  # negative powers
    "10 mg kg<sup>\u22121</sup> at 10<sup>-3</sup> M",  # the same as tagged by the PDF reader
    "the SDs (F[1,12] = 24.50, p = 0.0385)",  # degrees of freedom
    "an interval [0, 1] and [10-5]",  # not citation numbers
    "in 2007 (n = 35) and (Table 2, 2001)",  # numbers, a table
    "cancer diagnoses in England (2009) and BMI (1975)",  # a place, an acronym
    "call 480-626\u20132727 and (p < .01)",
]


def _fields(m):
    return (m.start, m.end, m.style, m.authors, m.year, m.year_suffix, m.ref_numbers)


@pytest.mark.parametrize(("text", "expected"), TEST_CASES)
def test_citation_forms(text: str, expected: list[tuple]) -> None:
    found = find_citations(analysis_view(text).text)
    assert [_fields(m) for m in found] == expected


@pytest.mark.parametrize("text", NOT_CITATIONS)
def test_not_citations(text: str) -> None:
    assert find_citations(analysis_view(text).text) == []


def test_multi_citation_bracket_items() -> None:
    text = "(Smith et al., 2001; Jones, 2004; Lee 2005, 2007)"
    (match,) = find_citations(text)
    assert (match.start, match.end) == (0, len(text))
    assert [(i.authors[0], i.year) for i in match.items] == [("Smith", "2001"), ("Jones", "2004"), ("Lee", "2005"), ("Lee", "2007")]


def test_seed_002_superscripts() -> None:
    text = (RAW / "002_9ae826a3e54a2a4a.txt").read_text(encoding="utf-8")
    found = find_citations(analysis_view(text).text)
    numeric = [m for m in found if m.style == "numeric"]
    assert all(text[m.start : m.end].startswith("<sup>") for m in numeric)
    # The author list and affiliations near the top carry marks that are not citations.
    assert not any(text.rfind("\n", 0, m.start) + 1 == m.start for m in numeric)
    assert any(m.ref_numbers == tuple(range(23, 29)) for m in numeric)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Smith et al.,()[]<sup>/0123456789-\u2013; and\nAB")), max_size=200) | st.text(max_size=200))
def test_never_raises_offsets_valid(text: str) -> None:
    found = find_citations(text)
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))


@pytest.mark.parametrize("text", ["A" * 2_000_000, "Smith, " * 200_000, "(" * 1_000_000, "[1," * 500_000])
@pytest.mark.timeout(120)  # a hang guard: backtracking that grows with the line never ends
def test_a_long_single_line_finishes(text: str) -> None:
    assert all(0 <= m.start < m.end <= len(text) for m in find_citations(text))


def _outside(found, entries):
    return [c for c in found if not any(a <= c.start < b for a, b in entries)]


def test_years_inside_reference_entries_open_no_narrative_window():
    text = ("As Krupitsky and Grinenko (1997) showed, it helps.\n\nReferences\n\n"
            "Smith J et al (2001) Ketamine for alcohol. J Psych 12: 1-9.\n")
    entries = [(r.start, r.end) for r in find_references(text)]
    assert entries
    # Scanned whole, the entry's own "J et al (2001)" reads as a narrative citation.
    assert len([c for c in find_citations(text) if c.style == "narrative"]) == 2
    skipped = find_citations(text, entries)
    assert [text[c.start:c.end] for c in skipped if c.style == "narrative"] == [
        "Krupitsky and Grinenko (1997)"]
    assert _outside(skipped, entries) == _outside(find_citations(text), entries)


def test_skipping_entries_keeps_every_citation_outside_them_in_the_seeds():
    seeds = Path(__file__).resolve().parent.parent / "raw"
    checked = 0
    for path in sorted(seeds.iterdir()):
        text = analysis_view(path.read_text(encoding="utf-8")).text
        entries = [(r.start, r.end) for r in find_references(text)]
        found = _outside(find_citations(text), entries)
        assert _outside(find_citations(text, entries), entries) == found, path.name
        checked += len(found)
    assert checked > 20


def test_unicode_superscript_citations_are_found():
    found = find_citations("as shown in rats.\u00b9\u2074 Then, in mice,\u00b2\u207b\u2075 it failed")
    assert [(c.ref_numbers, c.rule_id) for c in found] == [
        ((14,), "citation.unicode_superscript"), ((2, 3, 4, 5), "citation.unicode_superscript")]


def test_the_superscript_guard_holds_exactly_the_characters_a_match_can_open_with():
    pats = get_patterns()
    starts = pats.unicode_sup_starts
    assert starts  # the rule opens with a plain class, so texts without one skip the scan
    opening = {chr(i) for i in range(0x2200) if pats.unicode_sup.match(chr(i))}
    assert set(starts) == opening


@pytest.mark.parametrize(("pattern", "chars"), [
    ("[ab]x", "ab"), ("a+b", "a"), ("[\u2074-\u2076]{1,3}", "\u2074\u2075\u2076"),
    ("(?i)[ab]", None), ("[^a]", None), (r"\d+", None), ("a*b", None), ("a?b", None),
    ("[a-z\u0100-\u0200]", None), (r"[\w]", None), ("(x)", None), ("", None),
])
def test_leading_chars_reads_only_plain_openings(pattern, chars):
    assert leading_chars(pattern) == chars
    if chars:  # every match opens with one of them
        for text in ("xx" + chars[0] + "bx", chars[-1] + "xb"):
            m = re.search(pattern, text)
            assert m is None or text[m.start()] in chars
