"""Reference lists: entry finding (numbered, bulleted, inline) and field parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import analysis_view
from pipeline.references import find_references
from pipeline import refparse
from pipeline.refparse import parse_reference

RAW = Path(__file__).parents[1] / "raw"
FIELDS = ("authors", "year", "year_suffix", "title", "journal", "volume", "issue", "fpage", "lpage", "doi")

# (reference string, expected fields; omitted fields must be None)
TEST_CASES = [
    (
        "37. Krupitsky E, Burakov A, Romanova T, Dunaevsky I, Strassman R, Grinenko A. Ketamine psychotherapy for "
        "heroin addiction: immediate effects and two-year follow-up. *J Subst Abuse Treat.* 2002;23(4):273-283. [\\[CrossRef\\]](#)",
        {"authors": ("Krupitsky", "Burakov", "Romanova", "Dunaevsky", "Strassman", "Grinenko"), "year": "2002",
         "title": "Ketamine psychotherapy for heroin addiction: immediate effects and two-year follow-up",
         "journal": "J Subst Abuse Treat", "volume": "23", "issue": "4", "fpage": "273", "lpage": "283"},
    ),
    (
        "- Lydic R, Baghdoyan HA. Ketamine and MK-801 decrease acetylcholine release in the pontine reticular formation, "
        "slow breathing, and disrupt sleep. *Sleep*. 2002;25(6):615-620. [\\[CrossRef\\]](#)",
        {"authors": ("Lydic", "Baghdoyan"), "year": "2002", "title": "Ketamine and MK-801 decrease acetylcholine release in "
         "the pontine reticular formation, slow breathing, and disrupt sleep", "journal": "Sleep", "volume": "25",
         "issue": "6", "fpage": "615", "lpage": "620"},
    ),
    (
        "Dakwar, E., Levin, F., Foltin, R.W., Nunes, E.V., Hart, C.L., 2014b. The effects of subanesthetic ketamine "
        "infusions on motivation to quit and cue-induced craving in cocaine-dependent research volunteers. Biol. "
        "Psychiatry 76, 40e46. https://doi. org/10.1016/j.biopsych.2013.08.009.",
        {"authors": ("Dakwar", "Levin", "Foltin", "Nunes", "Hart"), "year": "2014", "year_suffix": "b",
         "title": "The effects of subanesthetic ketamine infusions on motivation to quit and cue-induced craving in "
         "cocaine-dependent research volunteers", "journal": "Biol. Psychiatry", "volume": "76", "fpage": "40",
         "lpage": "46", "doi": "10.1016/j.biopsych.2013.08.009"},
    ),
    (
        "1. Barabasi AL, Oltvai ZN (2004) Network biology: understanding the cell\u2019s functional organization. "
        "Nature Reviews Genetics 5: 101\u2013113. doi: 10.1038/nrg1272",
        {"authors": ("Barabasi", "Oltvai"), "year": "2004", "title": "Network biology: understanding the cell\u2019s "
         "functional organization", "journal": "Nature Reviews Genetics", "volume": "5", "fpage": "101",
         "lpage": "113", "doi": "10.1038/nrg1272"},
    ),
    (
        "3. Nankivell BJ, Alexander SI. Rejection of the kidney allograft. N Engl J Med. 2010;363(15):1451\u201362. "
        "doi: 10.1056/NEJMra0902927 .",
        {"authors": ("Nankivell", "Alexander"), "year": "2010", "title": "Rejection of the kidney allograft",
         "journal": "N Engl J Med", "volume": "363", "issue": "15", "fpage": "1451", "lpage": "62",
         "doi": "10.1056/NEJMra0902927"},
    ),
    (
        "Amici F, Aureli F, Call J 2008 Fission-fusion dynamics, behavioral flexibility, and inhibitory control in "
        "primates. Curr Biol 18: 1415-1420.",
        {"authors": ("Amici", "Aureli", "Call"), "year": "2008", "title": "Fission-fusion dynamics, behavioral "
         "flexibility, and inhibitory control in primates", "journal": "Curr Biol", "volume": "18", "fpage": "1415",
         "lpage": "1420"},
    ),
    (
        "12. Hosseinipour MC, van Oosterhout JJ, Weigel R, et al. (2009) Resistance. AIDS 23: 1127\u20131134.",
        {"authors": ("Hosseinipour", "van Oosterhout", "Weigel"), "year": "2009", "title": "Resistance",
         "journal": "AIDS", "volume": "23", "fpage": "1127", "lpage": "1134"},
    ),
    (
        "8. World Health Organization (2006) Extensively drug-resistant tuberculosis (XDR-TB): recommendations for "
        "prevention and control. Wkly Epidemiol Rec 81: 430\u2013432.",
        {"authors": (), "year": "2006", "title": "Extensively drug-resistant tuberculosis (XDR-TB): recommendations for "
         "prevention and control", "journal": "Wkly Epidemiol Rec", "volume": "81", "fpage": "430", "lpage": "432"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), TEST_CASES)
def test_parse_reference(text: str, expected: dict) -> None:
    got = parse_reference(text)
    want = {f: expected.get(f, () if f == "authors" else None) for f in FIELDS}
    assert got == want


# (authors as printed in a Vancouver list, expected surnames)
AUTHOR_CASES = [
    # A given name spelled out before the surname and repeated as the initial (seed 002, entry 41).
    ("Ivan Ezquerro-Romano I, Lawn W, Krupitsky E, Morgan CJA", ("Ezquerro-Romano", "Lawn", "Krupitsky", "Morgan")),
    ("Maria Jose Garcia MJ, Juan de la Cruz J", ("Garcia", "de la Cruz")),
    ("Ivan van der Berg I", ("van der Berg",)),
    # Multi-word surnames stay whole: particles, and first words that are not the initial.
    ("van der Berg A, De Luca F, Ruiz de Alda J", ("van der Berg", "De Luca", "Ruiz de Alda")),
    ("De Dominicis D, Di Domenico D, Van Vliet V, Le Lay L", ("De Dominicis", "Di Domenico", "Van Vliet", "Le Lay")),
    ("Ross Anderson H, Jansen van Vuren P", ("Ross Anderson", "Jansen van Vuren")),
    ("Ivan Ezquerro-Romano E", ("Ivan Ezquerro-Romano",)),  # "Ivan" is not the E
    ("Ivan I, Ivanov I", ("Ivan", "Ivanov")),  # a one-word surname is never dropped
]


@pytest.mark.parametrize(("authors", "expected"), AUTHOR_CASES)
def test_vancouver_surnames(authors: str, expected: tuple[str, ...]) -> None:
    got = parse_reference(f"1. {authors}. A title. J Med. 2001;3(2):10-12.")
    assert got["authors"] == expected and got["title"] == "A title" and got["year"] == "2001"


def test_seed_002_reference_list() -> None:
    text = (RAW / "002_9ae826a3e54a2a4a.txt").read_text(encoding="utf-8")
    refs = find_references(analysis_view(text).text)
    labels = [r.label for r in refs]
    # 36 bulleted entries keep their position as label; 37 onward are printed numbers.
    assert labels[:37] == [str(n) for n in range(1, 38)]
    assert all(r.kind == "bulleted" for r in refs[:36]) and refs[36].kind == "numbered"
    by_label = {r.label: r for r in refs}
    assert (by_label["37"].authors[0], by_label["37"].year) == ("Krupitsky", "2002")
    assert (by_label["40"].authors[0], by_label["40"].year) == ("Dakwar", "2017")
    assert by_label["41"].authors[:2] == ("Ezquerro-Romano", "Lawn")  # printed "Ivan Ezquerro-Romano I"
    r1 = by_label["1"]
    assert text[r1.start : r1.end].startswith("Lydic R, Baghdoyan HA.")
    assert text[r1.start - 2 : r1.start] == "- "


def test_seed_000_inline_reference_with_broken_doi() -> None:
    text = (RAW / "000_e7d8ea0c45f348c7.txt").read_text(encoding="utf-8")
    refs = find_references(analysis_view(text).text)
    dakwar = next(r for r in refs if r.authors[:1] == ("Dakwar",))
    assert dakwar.kind == "inline" and (dakwar.year, dakwar.year_suffix) == ("2014", "b")
    assert dakwar.doi == "10.1016/j.biopsych.2013.08.009"
    assert text[dakwar.start : dakwar.end] == text[text.index("Dakwar, E., Levin") : text.index("2013.08.009") + 11]
    assert any(r.authors[:1] == ("Das",) and r.volume == "37" for r in refs)


def test_without_heading_and_no_false_entries() -> None:
    text = (
        "Results were clear.\n\n"
        "- The review highlights ketamine as a novel intervention for substance abuse.\n"
        "1. Temple S (2001) The development of neural stem cells. Nature 414: 112\u2013117.\n"
        "2. Couzin ID, Krause J (2003) Self-organization. Adv Stud Behav 32: 1\u201375.\n"
    )
    refs = find_references(text)
    assert [(r.label, r.authors[0], r.volume) for r in refs] == [("1", "Temple", "414"), ("2", "Couzin", "32")]


def test_wrapped_entry_after_heading() -> None:
    text = "References\n1. Smith J, Jones K (2001) A title that\nwraps over lines. J Biol 5: 10\u201320.\n2. Lee A (2002) B. C 1: 2\u20133.\n"
    refs = find_references(text)
    assert [r.label for r in refs] == ["1", "2"]
    assert text[refs[0].start : refs[0].end].endswith("10\u201320.")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Smith J, (2001). Title. Nature 5: 1-2;\n-*[]0123456789doi:10./ AB")), max_size=300))
def test_never_raises_offsets_valid(text: str) -> None:
    for r in find_references(text):
        assert 0 <= r.start < r.end <= len(text)
    parse_reference(text)


@pytest.mark.timeout(120)  # a hang guard: backtracking that grows with the line never ends
def test_a_long_single_line_finishes() -> None:
    text = "Dakwar, E., " * 200_000 + "Smith A, " * 200_000
    assert all(0 <= r.start < r.end <= len(text) for r in find_references(text))


_TAIL_PIECES = ["2007", "1998a", ";", ":", ",", ".", "28", "(2)", "(Suppl 1)", "105-14", "e1002",
                " ", "Jan", "Mar 12", "-", "Suppl", "Pt", "Vol.", "pp.", "p.", "(", ")", "Title",
                "of", "ketamine", "J Psychiatry", "R\u2013S", "12\u201315"]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 60), st.lists(st.sampled_from(_TAIL_PIECES), max_size=40))
def test_tail_search_near_the_end_finds_what_a_whole_search_finds(title_words, pieces):
    rest = " ".join(("Some long title words " * title_words + " ".join(pieces)).split())
    for year in (None, "2007"):
        near = refparse._tail(rest, year)
        everywhere = _whole_tail(rest, year)
        assert (near[0] and near[0].span(), near[1]) == (everywhere[0] and everywhere[0].span(),
                                                           everywhere[1])


@pytest.mark.parametrize("ref", [
    "Title words. J Psychiatry. 2007 Mar 12-Apr;28 Suppl 1(special issue on pain):e1002-e1010.",
    "Title words. J Psychiatry Vol. 12345a Suppl 1 (special issue on pain): pp. e1002-e1010."])
def test_the_longest_tails_are_found_near_the_end(ref):
    rest = "Long title words " * 40 + ref
    lengths = []
    for year in (None, "2007"):
        near, everywhere = refparse._tail(rest, year), _whole_tail(rest, year)
        assert (near[0].span(), near[1]) == (everywhere[0].span(), everywhere[1])
        lengths.append(len(rest) - near[0].start())
    assert max(lengths) > 60


def _whole_tail(rest, year):
    reach = refparse._TAIL_REACH
    refparse._TAIL_REACH = len(rest) + 1
    try:
        return refparse._tail(rest, year)
    finally:
        refparse._TAIL_REACH = reach


def test_heading_lines_are_the_lines_is_heading_accepts():
    from pipeline import references

    seeds = Path(__file__).resolve().parent.parent / "raw"
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.iterdir())]
    texts.append("## References\nReferences to prior work\n  REFERENCES:  \nx References\n")
    found = 0
    for text in texts:
        lines = references._lines(text)
        want = {i for i, (a, b) in enumerate(lines) if references._is_heading(text[a:b])}
        assert references._heading_lines(text, lines) == want
        found += len(want)
    assert found >= 3


def test_the_first_trailing_marker_cuts_the_entry_wherever_it_is_in_the_list():
    # "Epub" comes after "PMID:" in the marker list but earlier in the text.
    ref = ("Smith J, Jones K. Ketamine for alcohol use. J Psych. 2001;12(3):1-9. "
           "Epub 2000 Dec 1. PMID: 123456.")
    fields = parse_reference(ref)
    assert fields["lpage"] == "9" and fields["year"] == "2001"
    markers = refparse.get_rules().trailing_markers
    assert markers.index("Epub") > markers.index("PMID:")
    assert refparse._clean(ref, refparse.get_rules())[0].endswith("1-9")


def test_a_doi_is_read_wherever_its_prefix_sits():
    for ref, doi in [
        ("Smith J. Title. J Psych. 2001;12:1-9. doi: 10.1000/xyz.1.", "10.1000/xyz.1"),
        ("Smith J. Title. J Psych. 2001;12:1-9. https://doi.org/10.1000/ab)", "10.1000/ab"),
        ("Smith J. Title. J Psych. 2001;12:1-9. 10.1.", None),
    ]:
        assert parse_reference(ref)["doi"] == doi


def test_without_trailing_markers_nothing_is_cut():
    from dataclasses import replace

    rules = replace(refparse.get_rules(), trailing_markers=())
    ref = "Smith J, Jones K. Ketamine for alcohol use. J Psych. 2001;12(3):1-9. PMID: 1."
    assert refparse._clean(ref, rules)[0].endswith("PMID: 1")
