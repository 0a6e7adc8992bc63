"""Findings and conflicts on hand-built records, then the acceptance checks on the seeds."""

from __future__ import annotations

import json

import pytest
from records_kit import cite, count, doc, dose, pct, ref

from pipeline import attribute, export, findings, reconcile
from pipeline.records import Mention


def _run(docs, mentions, references=(), decisions_path=None):
    return reconcile.run(docs, mentions, list(references), decisions_path)


def _kinds(conflicts):
    return sorted((c.kind, c.study_key) for c in conflicts)


# -- findings ---------------------------------------------------------------------------------

def _krupitsky_docs():
    a = doc("Only 24% stayed abstinent; 66% did not relapse (Krupitsky and Grinenko, 1997).", "000")
    copy = doc("Only 24% stayed abstinent; 66% did not relapse (Krupitsky and Grinenko, 1997).",
               "001")
    b = doc("In their 1997 report (Krupitsky and Grinenko, 1997) it was 66% abstinent.", "002")
    return a, copy, b


def _krupitsky_mentions(a, copy, b):
    c = "(Krupitsky and Grinenko, 1997)"
    orig = [pct(a, "66%", 66, measure="abstinence"), pct(a, "24%", 24)]
    copies = [pct(copy, "66%", 66).with_(copy_of=orig[0].mention_id),
              pct(copy, "24%", 24).with_(copy_of=orig[1].mention_id)]
    cites = [cite(d, c, "Krupitsky", "1997") for d in (a, copy, b)]
    return [*orig, *copies, pct(b, "66%", 66), *cites]


def test_findings_count_documents_and_independent_sources():
    a, copy, b = _krupitsky_docs()
    _, found, conflicts = _run([a, copy, b], _krupitsky_mentions(a, copy, b))
    by_value = {f.value: f for f in found}
    assert set(by_value) == {24.0, 66.0}
    f66 = by_value[66.0]
    assert (f66.study_key, f66.label, f66.unit, f66.n_documents, f66.n_independent) == (
        "krupitsky_1997", "PERCENTAGE", "%", 3, 2)
    assert len(f66.mention_ids) == 3 and f66.measure == "abstinence"
    assert (by_value[24.0].n_documents, by_value[24.0].n_independent) == (2, 1)
    assert conflicts == []  # a copy never disagrees with its original


def test_copies_of_an_unknown_original_count_once():
    a, b = doc("x 5% y", "a"), doc("x 5% y", "b")
    ms = [pct(a, "5%", 5, study_key="k_2000"), pct(b, "5%", 5, study_key="k_2000")]
    ms = [m.with_(copy_of="ffffffffffffffff") for m in ms]
    [e] = findings.build(ms)
    assert (e.finding.n_documents, e.finding.n_independent) == (2, 1)


def test_unknown_drug_joins_the_single_known_drug():
    d = doc("ketamine 2.0 mg/kg then 2.0 mg/kg again (Krupitsky et al., 2007).")
    ms = [dose(d, "2.0 mg/kg", 2.0, drug="ketamine"), dose(d, "2.0 mg/kg", 2.0, nth=1),
          cite(d, "(Krupitsky et al., 2007)", "Krupitsky", "2007")]
    _, found, _ = _run([d], ms)
    assert [(f.drug, len(f.mention_ids)) for f in found] == [("ketamine", 2)]


def test_unattributed_mentions_make_no_finding():
    d = doc("Relapse rates are 40-80%.")
    _, found, _ = _run([d], [pct(d, "40-80%", None, low=40.0, high=80.0)])
    assert found == []


# -- numeric conflicts ------------------------------------------------------------------------

def _two_docs(text_a, text_b):
    return doc(text_a, "000"), doc(text_b, "002")


def test_rounding_across_documents():
    (a, b), ms = _mixed()
    _, found, conflicts = _run([a, b], ms)
    [c] = conflicts
    assert (c.kind, c.study_key, c.value_a, c.value_b, c.status) == (
        "rounding", "sabino_2013", "33.3 %", "33 %", "open")
    assert c.mention_a == ms[0].mention_id and c.mention_b == ms[1].mention_id
    assert c.sentence_a == a.text and c.source_b == "002"
    assert all(c.conflict_id in f.conflict_ids for f in found)


def test_internal_when_one_document_disagrees_with_itself():
    d = doc("Doses were 0.41 mg/ kg ketamine and 0.71 mg/kg (Dakwar et al., 2014b).\n"
            "Craving fell after the 0.4 mg/kg ketamine (Dakwar et al., 2014b).")
    ms = [dose(d, "0.41 mg/ kg", 0.41, drug="ketamine"), dose(d, "0.71 mg/kg", 0.71),
          dose(d, "0.4 mg/kg", 0.4, drug="ketamine"),
          cite(d, "(Dakwar et al., 2014b)", "Dakwar", "2014", year_suffix="b"),
          cite(d, "(Dakwar et al., 2014b)", "Dakwar", "2014", nth=1, year_suffix="b")]
    _, _, conflicts = _run([d], ms)
    [c] = conflicts
    assert (c.kind, c.study_key, c.value_a, c.value_b) == (
        "internal", "dakwar_2014", "0.41 mg/kg ketamine", "0.4 mg/kg ketamine")


def test_internal_conflict_keeps_its_id_when_the_document_is_edited():
    def conflict(text):
        d = doc(text, "000")
        d = d.__class__(d.doc_id[:8] + str(len(text)).zfill(8), "000", text)  # new bytes, new id
        ms = [dose(d, "0.41 mg/kg", 0.41), dose(d, "0.4 mg/kg", 0.4),
              cite(d, "(Dakwar et al., 2014b)", "Dakwar", "2014")]
        [c] = _run([d], ms)[2]
        return c

    before = conflict("Doses 0.41 mg/kg and 0.4 mg/kg (Dakwar et al., 2014b).")
    after = conflict("Intro added.\nDoses 0.41 mg/kg and 0.4 mg/kg (Dakwar et al., 2014b).")
    assert after.conflict_id == before.conflict_id and after.kind == "internal"


def test_value_mismatch_across_documents():
    a, b = _two_docs("Abstinence was 66% (Krupitsky and Grinenko, 1997).",
                     "Abstinence was 67% (Krupitsky and Grinenko, 1997).")
    ms = [pct(a, "66%", 66, measure="abstinence"), pct(b, "67%", 67, measure="abstinence"),
          cite(a, "(Krupitsky and Grinenko, 1997)", "Krupitsky", "1997"),
          cite(b, "(Krupitsky and Grinenko, 1997)", "Krupitsky", "1997")]
    assert _kinds(_run([a, b], ms)[2]) == [("value_mismatch", "krupitsky_1997")]


@pytest.mark.parametrize("first, second", [
    ((0.2, "0.2 mg/kg", {}), (2.0, "2.0 mg/kg", {})),  # arms of one trial
    ((0.41, "0.41 mg/kg", {"drug": "ketamine"}), (0.4, "0.4 mg/kg", {"drug": "midazolam"})),
])
def test_arms_and_other_drugs_are_not_conflicts(first, second):
    a, b = _two_docs(f"One group got {first[1]} (Krupitsky et al., 2002).",
                     f"The other got {second[1]} (Krupitsky et al., 2002).")
    ms = [dose(a, first[1], first[0], **first[2]), dose(b, second[1], second[0], **second[2]),
          cite(a, "(Krupitsky et al., 2002)", "Krupitsky", "2002"),
          cite(b, "(Krupitsky et al., 2002)", "Krupitsky", "2002")]
    assert _run([a, b], ms)[2] == []


def test_group_sizes_and_other_measures_are_not_conflicts():
    d = doc("Groups (n = 26) and (n = 27); 22% abstinent, 22.5% relapsed (Krupitsky et al., 2007).")
    ms = [count(d, "n = 26", 26), count(d, "n = 27", 27),
          pct(d, "22%", 22, measure="abstinence"), pct(d, "22.5%", 22.5, measure="relapse"),
          cite(d, "(Krupitsky et al., 2007)", "Krupitsky", "2007")]
    assert _run([d], ms)[2] == []


def test_same_population_counts_are_compared():
    a, b = _two_docs("Fifty nine patients enrolled (Krupitsky et al., 2007).",
                     "60 patients enrolled (Krupitsky et al., 2007).")
    ms = [count(a, "Fifty nine patients", 59, population="patients"),
          count(b, "60 patients", 60, population="patients"),
          cite(a, "(Krupitsky et al., 2007)", "Krupitsky", "2007"),
          cite(b, "(Krupitsky et al., 2007)", "Krupitsky", "2007")]
    assert _kinds(_run([a, b], ms)[2]) == [("value_mismatch", "krupitsky_2007")]


# -- citation conflicts -----------------------------------------------------------------------

def _dakwar(cited_year: str, ref_years=("2014", "2017")):
    lines = [f"{n}. Dakwar E. Study {y}. J. {y};1:2." for n, y in enumerate(ref_years, 39)]
    lib_text = "\n".join(lines)
    lib = doc(lib_text, "002")
    refs = [ref(lib, f"{n}. Dakwar E. Study {y}. J. {y};1:2.", "Dakwar", y, label=str(n))
            for n, y in enumerate(ref_years, 39)]
    d = doc(f"Use fell by 67% (Dakwar et al., {cited_year}).", "000")
    ms = [pct(d, "67%", 67), cite(d, f"(Dakwar et al., {cited_year})", "Dakwar", cited_year)]
    return [d, lib], ms, refs


def test_year_mismatch_against_the_reference_list():
    docs, ms, refs = _dakwar("2016")
    [c] = _run(docs, ms, refs)[2]
    assert (c.kind, c.study_key, c.value_a, c.value_b, c.label) == (
        "year_mismatch", "dakwar_2017", "Dakwar 2016", "Dakwar 2017", "CITATION")
    assert c.mention_b == refs[1].ref_id and c.sentence_b == refs[1].text


@pytest.mark.parametrize("cited", ["2017", "2010", "2015"])
def test_backed_or_distant_years_are_not_mismatches(cited):
    # 2017 is in the list; 2010 is 3 years off; 2015 is 2 off from both with no shared value.
    docs, ms, refs = _dakwar(cited, ref_years=("2013", "2017"))
    assert [c for c in _run(docs, ms, refs)[2] if c.kind == "year_mismatch"] == []


def test_two_years_off_needs_a_shared_finding():
    docs, ms, refs = _dakwar("2015", ref_years=("2013", "2017"))
    lib = docs[1]
    backing = doc("Use fell by 67% (Dakwar et al., 2017).", "003")
    more = [pct(backing, "67%", 67),
            cite(backing, "(Dakwar et al., 2017)", "Dakwar", "2017", ref_ids=(refs[1].ref_id,))]
    [c] = [c for c in _run([*docs, backing], ms + more, refs)[2] if c.kind == "year_mismatch"]
    assert (c.study_key, c.value_a) == ("dakwar_2017", "Dakwar 2015")
    assert lib.source == "002"


def test_name_variant_from_the_citation_stage():
    lib = doc("41. Ezquerro-Romano I. Ketamine. Neuropharmacology. 2018;142:72.", "002")
    r = ref(lib, lib.text, "Ezquerro-Romano", "2018", label="41")
    d = doc("As reviewed (Ezquerra-Romano et al., 2018), ketamine helps.", "000")
    c = cite(d, "(Ezquerra-Romano et al., 2018)", "Ezquerra-Romano", "2018",
             study_key="ezquerro-romano_2018", name_variant="Ezquerra-Romano")
    [k] = _run([d, lib], [c], [r])[2]
    assert (k.kind, k.study_key, k.value_a, k.value_b) == (
        "name_variant", "ezquerro-romano_2018", "Ezquerra-Romano 2018", "Ezquerro-Romano 2018")


def test_name_variant_found_in_text_without_any_citation():
    lib = doc("41. Ivan Ezquerro-Romano I. Ketamine. *Neuropharmacology.* 2018;142:72.", "002")
    r = ref(lib, lib.text, "Ivan Ezquerro-Romano", "2018", label="41")
    d = doc("A journal article was published January 12, 2018 in Neuro Pharmacology by a "
            "centre in Exeter, UK. Dr. Ezquerra-Romano notes that ketamine may help.", "004")
    ms, _, conflicts = _run([d, lib], [], [r])
    [k] = conflicts
    assert (k.kind, k.source_a, k.source_b, k.mention_b) == ("name_variant", "004", "002", r.ref_id)
    assert k.mention_a == next(m.mention_id for m in ms if m.name_variant)


# -- ids, tables, summary ---------------------------------------------------------------------

def _mixed():
    a, b = _two_docs("Intake fell 33.3% (Sabino et al., 2013).",
                     "Intake fell by 33% (Sabino et al., 2013).")
    ms = [pct(a, "33.3%", 33.3), pct(b, "33%", 33),
          cite(a, "(Sabino et al., 2013)", "Sabino", "2013"),
          cite(b, "(Sabino et al., 2013)", "Sabino", "2013")]
    return [a, b], ms


def test_conflict_ids_do_not_depend_on_order_or_other_documents():
    docs, ms = _mixed()
    first = _run(docs, ms)[2]
    other = doc("Unrelated 12% (Smith et al., 2001).", "zzz")
    more = [pct(other, "12%", 12), cite(other, "(Smith et al., 2001)", "Smith", "2001")]
    again = _run([other, *reversed(docs)], list(reversed(ms)) + more)[2]
    assert [(c.conflict_id, c.evidence_hash) for c in first] == [
        (c.conflict_id, c.evidence_hash) for c in again]


def test_evidence_hash_changes_with_a_sentence():
    docs, ms = _mixed()
    before = _run(docs, ms)[2][0]
    edited = [m.with_(sentence=m.sentence + " Edited.") if m.label == "PERCENTAGE" else m
              for m in ms]
    after = _run(docs, edited)[2][0]
    assert after.conflict_id == before.conflict_id
    assert after.evidence_hash != before.evidence_hash


def test_tables_validate_and_document_every_column(tmp_path):
    docs, ms = _mixed()
    out, found, conflicts = _run(docs, ms)
    tables = reconcile.tables(found, conflicts)
    tables["mentions"] = export.frame("mentions", out)
    export.write_tables(tmp_path, tables)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    for resource in package["resources"]:
        assert all(f.get("description") for f in resource["schema"]["fields"])
    from frictionless import validate

    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_open_conflicts_by_kind():
    docs, ms = _mixed()
    _, found, conflicts = _run(docs, ms)
    assert reconcile.open_by_kind(conflicts) == {
        "value_mismatch": 0, "rounding": 1, "internal": 0, "year_mismatch": 0, "name_variant": 0}
    extra = reconcile.summary_extra(found, conflicts)
    assert (extra["findings"], extra["open conflicts"], extra["open rounding"]) == (2, 1, 1)


# -- acceptance on the seeds ------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds():
    from seed_records import seed_records

    docs, mentions, references = seed_records()
    out, found, conflicts = reconcile.run(docs, mentions, references, None)
    return {d.doc_id: d.source[:3] for d in docs}, out, found, conflicts


def test_seed_results_are_the_same_with_handed_over_segments(seeds):
    from seed_records import seed_records

    docs, mentions, references = seed_records()
    given = {d.doc_id: attribute.segments(d) for d in docs if d.status == "ok"}
    assert given
    with_segments = reconcile.run(docs, mentions, references, None, segments=given)
    assert with_segments == tuple(seeds[1:])


def _values(found, key):
    return {(f.label, f.value, f.unit) for f in found if f.study_key == key}


def test_seed_krupitsky_1997_findings(seeds):
    prefix, _, found, _ = seeds
    assert {("DOSE", 2.5, "mg/kg"), ("PERCENTAGE", 66.0, "%"), ("PERCENTAGE", 24.0, "%"),
            ("SAMPLE_SIZE", 111.0, None), ("SAMPLE_SIZE", 100.0, None)} <= _values(
                found, "krupitsky_1997")
    [f66] = [f for f in found if f.study_key == "krupitsky_1997" and f.value == 66.0]
    assert f66.n_independent == 2
    assert {s[:3] for s in f66.sources} == {"000", "001", "002"}


def test_seed_conflicts_have_the_right_kinds(seeds):
    prefix, _, _, conflicts = seeds
    got = {(c.kind, c.study_key, c.value_a, c.value_b) for c in conflicts}
    assert ("rounding", "sabino_2013", "33.3 %", "33 %") in got
    assert ("internal", "dakwar_2014", "0.41 mg/kg ketamine", "0.4 mg/kg ketamine") in got
    assert ("year_mismatch", "dakwar_2017", "Dakwar 2016", "Dakwar 2017") in got
    [variant] = [c for c in conflicts if c.kind == "name_variant"]
    assert (variant.study_key, variant.value_a, variant.value_b) == (
        "ezquerro-romano_2018", "Ezquerra-Romano 2018", "Ezquerro-Romano 2018")
    assert (variant.source_a[:3], variant.source_b[:3]) == ("004", "002")
    assert not [c for c in conflicts if c.study_key.startswith("krupitsky_")]  # arms only


def test_seed_every_numeric_mention_has_an_attribution_rule(seeds):
    _, out, _, _ = seeds
    numeric = [m for m in out if m.label in ("DOSE", "SAMPLE_SIZE", "PERCENTAGE")]
    assert numeric and all(m.attribution for m in numeric)
    assert all(bool(m.study_key) == (m.attribution not in ("none", "ambiguous")) for m in numeric)


def test_seed_tables_validate(seeds):
    _, out, found, conflicts = seeds
    for name, df in reconcile.tables(found, conflicts).items():
        export.validate(name, df)
    export.validate("mentions", export.frame("mentions", out))


def test_mention_type_is_untouched_for_other_labels():
    d = doc("See (Smith et al., 2001).")
    c = cite(d, "(Smith et al., 2001)", "Smith", "2001")
    out, _, _ = _run([d], [c])
    assert out == [c] and isinstance(out[0], Mention)
