"""Study keys, fuzzy surnames, linking citations to references, and the rule file loader."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.citation_rules import DEFAULT_PATH, load_rules
from pipeline.citelink import citation_mentions, link, reference_records
from pipeline.errors import RuleError
from pipeline.normalize import analysis_view
from pipeline.records import Document, Mention, Reference
from pipeline import studykeys
from pipeline.studykeys import fold, same_author, study_key, unify_keys

RAW = Path(__file__).parents[1] / "raw"

KEY_CASES = [
    ("Krupitsky", "1997", "krupitsky_1997"),
    ("Dakwar", "2014b", "dakwar_2014"),
    ("S\u00f6nmez", "2016", "sonmez_2016"),
    ("K\u00f6se \u00c7\u0131nar", "2016", "kosecinar_2016"),
    ("O'Brien", "2000", "obrien_2000"),
    ("van Oosterhout", "2009", "vanoosterhout_2009"),
    ("Ezquerro-Romano", "2018", "ezquerro-romano_2018"),
    ("Barney", None, "barney_nd"),
]

SURNAME_CASES = [
    ("Ezquerra-Romano", "Ezquerro-Romano", True),
    ("Ivan Ezquerro-Romano", "Ezquerro-Romano", True),
    ("Krupitsky", "Krupitski", True),
    ("Kalivas", "Kavalali", False),
    ("Li", "Lin", False),
    ("Dakwar", "Berman", False),
]


@pytest.mark.parametrize(("surname", "year", "key"), KEY_CASES)
def test_study_key(surname: str, year: str | None, key: str) -> None:
    assert study_key(surname, year) == key


@pytest.mark.parametrize(("a", "b", "same"), SURNAME_CASES)
def test_same_author(a: str, b: str, same: bool) -> None:
    assert same_author(a, b) is same


def test_unify_keys_prefers_reference_spelling() -> None:
    keys = ["ezquerra-romano_2018", "ezquerra-romano_2018", "ezquerro-romano_2018", "ezquerro-romano_2017"]
    canon = unify_keys(keys, preferred=["ezquerro-romano_2018"])
    assert canon["ezquerra-romano_2018"] == "ezquerro-romano_2018"
    assert canon["ezquerro-romano_2017"] == "ezquerro-romano_2017"  # another year is another study


@lru_cache(maxsize=1)
def _seeds() -> tuple[list[Mention], list[Reference], dict[str, str]]:
    mentions: list[Mention] = []
    refs: list[Reference] = []
    texts = {}
    for path in sorted(RAW.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = Document(doc_id=path.name[:3], source=path.name, text=text)
        view = analysis_view(text).text
        mentions += citation_mentions(doc, view, "test")
        refs += reference_records(doc, view, "test")
        texts[doc.doc_id] = text
    linked, keyed = link(mentions, refs)
    return linked, keyed, texts


# (doc, citation text, study key, resolved reference "surname year" or None)
LINK_CASES = [
    ("002", "<sup>37</sup>", "krupitsky_2002", "Krupitsky 2002"),
    ("002", "<sup>40</sup>", "dakwar_2017", "Dakwar 2017"),
    ("002", "Grabski et al. (2022)", "grabski_2022", "Grabski 2022"),
    ("002", "<sup>36</sup>", "grabski_2022", "Grabski 2022"),
    ("000", "(Dakwar et al., 2014b)", "dakwar_2014", "Dakwar 2014"),
    ("000", "(Sabino et al.,\n2013)", "sabino_2013", None),
    ("000", "Krupitsky and\nGrinenko (1997)", "krupitsky_1997", None),
]


@pytest.mark.parametrize(("doc", "cited", "key", "resolved"), LINK_CASES)
def test_seed_links(doc: str, cited: str, key: str, resolved: str | None) -> None:
    mentions, refs, texts = _seeds()
    by_id = {r.ref_id: r for r in refs}
    m = next(m for m in mentions if m.doc_id == doc and m.text == cited)
    assert texts[doc][m.start : m.end] == m.text and m.sentence == "" and m.label == "CITATION"
    assert m.study_key == key
    got = [f"{by_id[i].authors[0]} {by_id[i].year}" for i in m.ref_ids]
    assert got == ([resolved] if resolved else [])


def test_numeric_group_expands_and_resolves_each_reference() -> None:
    mentions, refs, _ = _seeds()
    m = next(m for m in mentions if m.doc_id == "002" and m.text == "<sup>23-28</sup>")
    assert m.ref_numbers == (23, 24, 25, 26, 27, 28) and len(m.ref_ids) == 6 and m.study_key is None


def test_name_variant_recorded_against_reference() -> None:
    doc = Document(doc_id="x", source="x.txt", text="As shown (Ezquerra-Romano et al., 2018).\n\nReferences\n"
                   "1. Ezquerro-Romano I, Lawn W. Ketamine for addiction. Neuropharmacology. 2018;142:72-82.\n")
    mentions, refs = link(citation_mentions(doc, doc.text, "v"), reference_records(doc, doc.text, "v"))
    (m,) = mentions
    assert (m.study_key, m.name_variant, m.ref_ids) == ("ezquerro-romano_2018", "Ezquerra-Romano", (refs[0].ref_id,))


def test_seed_reference_with_given_name_keys_by_surname() -> None:
    _, refs, _ = _seeds()
    [r] = [r for r in refs if r.doc_id == "002" and r.label == "41"]
    assert r.text.startswith("Ivan Ezquerro-Romano I, Lawn W")  # the entry keeps its printed text
    assert (r.authors[0], r.study_key) == ("Ezquerro-Romano", "ezquerro-romano_2018")


def test_every_reference_has_a_key() -> None:
    _, refs, _ = _seeds()
    assert refs and all(r.study_key for r in refs if r.authors and r.year)
    assert fold("Zarate") == "zarate"


def _good_with(old: str, new: str) -> str:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# (file content, text on the line the error must name, message fragment)
BAD_RULES = [
    ("version: 1\nfragments: {}\nlexicons: {}\nlimits: {}\nextra: 1\n", "extra: 1", "unknown section"),
    ("version: 1\nversion: 2\n", "version: 2", "duplicate key"),
    (_good_with('  year: "', '  year: "(unclosed'), "  year: ", "not a valid regex"),
    (_good_with("  max_range: 200", "  max_range: -3"), "  max_range: -3", "positive integer"),
    (_good_with("  particles: [", "  particles: [No, "), "  particles: [No", "non-empty strings"),
    (_good_with("  etal:", '  bogus: "x"\n  etal:'), "  bogus:", "unknown fragments entry"),
]


@pytest.mark.parametrize(("content", "line_text", "message"), BAD_RULES)
def test_bad_rule_file_names_file_and_line(tmp_path: Path, content: str, line_text: str, message: str) -> None:
    path = tmp_path / "citations.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError, match=rf"citations\.yaml:{_line_of(content, line_text)}: .*{message}"):
        load_rules(path)


def test_default_rules_load() -> None:
    rules = load_rules()
    assert "Table" in rules.not_surnames and "van" in rules.particles


_NAMES = st.lists(st.sampled_from(["Krupitsky", "Krupitski", "Krupitsky-Burakov", "Ezquerra-Romano",
                                   "Ezquerro-Romano", "Ivan Ezquerro-Romano", "Li", "Lin", "Sönmez",
                                   "Sonmez", "Dakwar", "Dakwer", "O'Brien", "Obrien", "Grinenko"]),
                  max_size=12)


def _merged_pairwise(names: list[str]) -> list[int]:
    """unify_keys' rule, one pair at a time."""
    canonical = [-1] * len(names)
    for i, name in enumerate(names):
        if canonical[i] < 0:
            canonical[i] = i
            for j in range(i + 1, len(names)):
                if canonical[j] < 0 and same_author(name, names[j]):
                    canonical[j] = i
    return canonical


@given(_NAMES, st.integers(1, 4))
def test_merging_a_years_surnames_agrees_with_pairwise(names, block):
    # Single-word surnames are compared by rapidfuzz a block of rows at a time; tiny blocks
    # here, so that pairs cross block boundaries.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(studykeys, "_BLOCK", block)
        assert studykeys._canonical(names) == _merged_pairwise(names)
