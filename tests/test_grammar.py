"""The extraction grammar, case by case: spans with exact offsets and normalized values.

Each case is one sentence, the exact span expected (its first occurrence unless an
occurrence index is given), the label and the fields that must hold. Traps list text that
must yield no numeric mention at all.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import extract
from pipeline.records import Document, Mention

NUMERIC = ("DOSE", "SAMPLE_SIZE", "PERCENTAGE")


@lru_cache(maxsize=None)
def mentions(text: str) -> tuple[Mention, ...]:
    doc = Document("t" * 16, "case.txt", text)
    return tuple(m for m in extract.document(doc).mentions if m.label in NUMERIC)


def _find(text: str, span: str | tuple[str, int]) -> tuple[int, int]:
    span, nth = span if isinstance(span, tuple) else (span, 0)
    start = -1
    for _ in range(nth + 1):
        start = text.index(span, start + 1)
    return start, start + len(span)


DOSES = [
    # value + unit
    ("Patients received 2 mg lorazepam before the session.", "2 mg",
     {"value": 2.0, "unit": "mg", "drug": "lorazepam"}),
    ("A dose of 20 mg/kg of ketamine reduced intake.", "20 mg/kg",
     {"value": 20.0, "unit": "mg/kg", "drug": "ketamine"}),
    ("Participants received 0.41 mg/ kg ketamine.", "0.41 mg/ kg",
     {"value": 0.41, "unit": "mg/kg", "drug": "ketamine"}),
    ("Rats received 10 mg kg-1 ketamine before testing.", "10 mg kg-1",
     {"value": 10.0, "unit": "mg/kg"}),
    ("Rats received 10 mg kg\u22121 ketamine before testing.", "10 mg kg\u22121",
     {"value": 10.0, "unit": "mg/kg"}),
    ("Mice got 5 mg\u00b7kg\u207b\u00b9 ketamine.", "5 mg\u00b7kg\u207b\u00b9",
     {"value": 5.0, "unit": "mg/kg"}),
    ("Fentanyl 2 \u00b5g/kg was given.", "2 \u00b5g/kg", {"value": 2.0, "unit": "\u00b5g/kg",
                                                          "drug": "fentanyl"}),
    ("Fentanyl 2 \u03bcg/kg was given.", "2 \u03bcg/kg", {"value": 2.0, "unit": "\u00b5g/kg"}),
    ("They gave 50 mcg fentanyl.", "50 mcg", {"value": 50.0, "unit": "\u00b5g"}),
    ("They gave 3 mcg/kg fentanyl.", "3 mcg/kg", {"value": 3.0, "unit": "\u00b5g/kg"}),
    ("Topiramate was titrated to 5 mg/kg/day over weeks.", "5 mg/kg/day",
     {"value": 5.0, "unit": "mg/kg/day", "drug": "topiramate"}),
    ("The infusion ran at 0.5 mg/kg/h for two hours.", "0.5 mg/kg/h",
     {"value": 0.5, "unit": "mg/kg/h"}),
    ("Dexmedetomidine was then infused at 0.5 \u00b5g/kg/h.", "0.5 \u00b5g/kg/h",
     {"value": 0.5, "unit": "\u00b5g/kg/h"}),
    ("Ketamine 0.5 mg per kg was infused.", "0.5 mg per kg", {"value": 0.5, "unit": "mg/kg"}),
    ("Rats drank 20mg/kg ethanol.", "20mg/kg", {"value": 20.0, "unit": "mg/kg",
                                                "drug": "ethanol"}),
    ("Ethanol at 20 mg/kg body weight was given.", "20 mg/kg body weight",
     {"value": 20.0, "unit": "mg/kg", "drug": "ethanol"}),
    ("The dose at that time was 2.0 mg/kg body weight of ketamine.", "2.0 mg/kg body weight",
     {"value": 2.0, "unit": "mg/kg", "drug": "ketamine"}),
    ("Patients took 1,000 mg acamprosate daily.", "1,000 mg",
     {"value": 1000.0, "unit": "mg", "drug": "acamprosate"}),
    ("Docetaxel 75 mg/m2 was given every 3 weeks.", "75 mg/m2", {"value": 75.0,
                                                             "unit": "mg/m\u00b2"}),
    ("Heparin 80 IU/kg was given as a bolus.", "80 IU/kg", {"value": 80.0, "unit": "IU/kg"}),
    # ranges: both bounds
    ("Doses of 0.5\u20131 mg/kg ketamine were used.", "0.5\u20131 mg/kg",
     {"low": 0.5, "high": 1.0, "value": None, "unit": "mg/kg"}),
    ("Doses of 0.5 to 1 mg/kg ketamine were used.", "0.5 to 1 mg/kg",
     {"low": 0.5, "high": 1.0, "value": None, "unit": "mg/kg"}),
    ("Doses of 0.5-1.0 mg/kg/h were infused.", "0.5-1.0 mg/kg/h",
     {"low": 0.5, "high": 1.0, "unit": "mg/kg/h"}),
    ("Ketamine was given at 0.5 mg/kg to 1 mg/kg over a week.", "0.5 mg/kg to 1 mg/kg",
     {"low": 0.5, "high": 1.0, "unit": "mg/kg", "rule_id": "dose.range_units"}),
    ("The stock was 41.73 mg/mL. It was diluted.", "41.73 mg/mL", {"value": 41.73,
                                                               "unit": "mg/ml"}),
    # coordinated lists: one mention per value, the unit shared
    ("Both doses of ketamine (5 and 10 mg/kg) worked.", "5",
     {"value": 5.0, "unit": "mg/kg", "drug": "ketamine", "rule_id": "dose.pair"}),
    ("Both doses of ketamine (5 and 10 mg/kg) worked.", "10 mg/kg",
     {"value": 10.0, "unit": "mg/kg", "drug": "ketamine", "rule_id": "dose.pair"}),
    ("Mice received 2.5, 5 and 10 mg/kg ketamine.", "2.5", {"value": 2.5, "unit": "mg/kg"}),
    ("Mice received 2.5, 5 and 10 mg/kg ketamine.", ("5", 1), {"value": 5.0, "unit": "mg/kg"}),
    ("Mice received 2.5, 5 and 10 mg/kg ketamine.", "10 mg/kg", {"value": 10.0, "unit": "mg/kg"}),
    ("Ketamine (5 and 10 mg/kg) and NBQX (5 and 10 mg/kg) cut intake.", "10 mg/kg",
     {"value": 10.0, "drug": "ketamine"}),
    ("Ketamine (5 and 10 mg/kg) and NBQX (5 and 10 mg/kg) cut intake.", ("5", 1),
     {"value": 5.0, "drug": "nbqx"}),
    ("Rats got ketamine (5 and 10 mg/kg, i.p.) daily.", "5", {"route": "i.p."}),
    ("Either 1 or 2 mg lorazepam was given.", "1", {"value": 1.0, "unit": "mg",
                                                     "drug": "lorazepam"}),
    # the number of "n=12" is a sample size, not the first of a dose list
    ("Subjects (n=12 and 0.41 mg/ kg ketamine) were tested.", "0.41 mg/ kg",
     {"value": 0.41, "unit": "mg/kg"}),
    # routes, abbreviated and spelled, after or before the dose
    ("Ketamine (dose: 2.0 mg/kg, i.m.) was given.", "2.0 mg/kg",
     {"route": "i.m.", "drug": "ketamine"}),
    ("Ketamine 2 mg/kg was injected intramuscularly.", "2 mg/kg", {"route": "i.m."}),
    ("Rats received ketamine (60 mg/kg, i.p.) daily.", "60 mg/kg", {"route": "i.p."}),
    ("Rats received ketamine (60 mg/kg, intraperitoneally) daily.", "60 mg/kg",
     {"route": "i.p."}),
    ("An intraperitoneal injection of 30 mg/kg ketamine followed.", "30 mg/kg",
     {"route": "i.p."}),
    ("Morphine 0.1 mg/kg i.v. was given.", "0.1 mg/kg", {"route": "i.v.", "drug": "morphine"}),
    ("Ketamine 0.5 mg/kg was given intravenously over 40 min.", "0.5 mg/kg", {"route": "i.v."}),
    ("Naloxone 0.4 mg s.c. was given.", "0.4 mg", {"route": "s.c.", "drug": "naloxone"}),
    ("Baclofen 10 mg p.o. three times daily.", "10 mg", {"route": "oral", "drug": "baclofen"}),
    ("An oral dose of 50 mg naltrexone was given.", "50 mg", {"route": "oral",
                                                              "drug": "naltrexone"}),
    ("Esketamine 56 mg intranasal twice weekly.", "56 mg", {"route": "intranasal",
                                                            "drug": "esketamine"}),
    # the drug: nearest listed name, or an abbreviation the document defines
    ("We used ketamine (KET). Rats got KET 10 mg/kg before tests.", "10 mg/kg",
     {"drug": "ketamine"}),
    ("Lorazepam 2 mg and ketamine 0.5 mg/kg were compared.", "0.5 mg/kg", {"drug": "ketamine"}),
    ("The 0.2 mg/kg mc ketamine group did better.", "0.2 mg/kg", {"drug": "ketamine"}),
    ("Ketamine infusions lasted 40 minutes. The dose was 0.8 mg/kg in each session.",
     "0.8 mg/kg", {"drug": "ketamine"}),
    ("Ketamine was used.\n\nThe dose was 0.8 mg/kg in each session.", "0.8 mg/kg",
     {"drug": None}),
]

SAMPLE_SIZES = [
    ("Abstinence rates were higher (n = 35) than before.", "n = 35", {"value": 35.0}),
    ("Abstinence was higher (n \u00bc 111) than before.", "n \u00bc 111", {"value": 111.0}),
    ("Children (N=35) were enrolled.", "N=35", {"value": 35.0, "population": "Children"}),
    ("Rats (n = 12) were trained to self-administer.", "n = 12",
     {"value": 12.0, "population": "Rats"}),
    ("One group received KPT (n=26) and the other counselling (n=27).", "n=26",
     {"value": 26.0, "group": "KPT"}),
    ("One group received KPT (n=26) and the other counselling (n=27).", "n=27",
     {"value": 27.0, "group": "counselling"}),
    ("Sessions were compared, n=26 and n=27 respectively.", "n=26", {"value": 26.0}),
    ("Sessions were compared, n=26 and n=27 respectively.", "n=27", {"value": 27.0}),
    ("They randomized 70 detoxified heroin-dependent patients to two doses.",
     "70 detoxified heroin-dependent patients",
     {"value": 70.0, "population": "detoxified heroin-dependent patients", "group": None}),
    ("A pilot study with 8 cocaine dependent males followed.", "8 cocaine dependent males",
     {"value": 8.0, "population": "cocaine dependent males"}),
    ("BDNF levels in 37 alcohol abusers were reduced.", "37 alcohol abusers",
     {"value": 37.0, "population": "alcohol abusers"}),
    ("Fifty nine detoxified heroin dependent patients took part.",
     "Fifty nine detoxified heroin dependent patients", {"value": 59.0}),
    ("Fifty-nine patients who had detoxified received ketamine.", "Fifty-nine patients",
     {"value": 59.0, "population": "patients"}),
    ("Two hundred and eighty-four patients were screened.",
     "Two hundred and eighty-four patients", {"value": 284.0}),
    ("Four subjects were given ketamine.", "Four subjects", {"value": 4.0}),
    ("We studied 1,212 individuals seeking help.", "1,212 individuals", {"value": 1212.0}),
    ("Participants were 58 children (46 boys) with autism.", "58 children", {"value": 58.0}),
    ("In a randomized trial, 100 adult patients received sedation.", "100 adult patients",
     {"value": 100.0}),
    ("Over 1000 alcoholics were treated this way.", "1000 alcoholics", {"value": 1000.0}),
    ("The trial enrolled only 12 patients.", "12 patients", {"value": 12.0}),
    ("Thirty rats were observed for 2 h after dosing.", "Thirty rats", {"value": 30.0}),
    ("The remaining 53 patients were randomly divided into 2 groups.", "53 patients",
     {"value": 53.0, "group": None}),
    ("Forty patients were divided into four groups of ten.", "Forty patients",
     {"value": 40.0, "group": None}),
    # arm sizes keep a group
    ("Dogs were treated with selamectin (n=298) or ivermectin (n=99).", "n=298",
     {"value": 298.0, "group": "selamectin"}),
    ("Subjects received 0.5 mg/kg (n = 10) or saline (n = 10).", "n = 10",
     {"value": 10.0, "group": "0.5 mg/kg"}),
    ("Granisetron or perphenazine (n = 45 each) was given.", "n = 45",
     {"value": 45.0, "group": "each"}),
    ("Both groups of 50 patients were comparable.", "50 patients", {"group": "group"}),
    ("5 patients (Group A) underwent immunotherapy.", "5 patients", {"group": "Group A"}),
]

PERCENTAGES = [
    ("Intake fell by 33.3% in treated rats.", "33.3%", {"value": 33.3, "qualifier": None}),
    ("Relapse rates are between 40-80% today.", "40-80%",
     {"low": 40.0, "high": 80.0, "value": None, "measure": "relapse"}),
    ("Response rates of 65\u201370% were seen.", "65\u201370%",
     {"low": 65.0, "high": 70.0, "measure": "response"}),
    ("Relapse ranges from 40% to as high as 80% in a year.", "from 40% to as high as 80%",
     {"low": 40.0, "high": 80.0, "qualifier": None, "measure": "relapse"}),
    ("Load factor declined from 12% to just 2% later.", "from 12% to just 2%",
     {"low": 2.0, "high": 12.0}),
    ("A response rate of ~47% was reported.", "~47%",
     {"value": 47.0, "qualifier": "approx", "measure": "response"}),
    ("Electrons make up \u223c70% of this total.", "\u223c70%",
     {"value": 70.0, "qualifier": "approx"}),
    ("Intake was reduced by up to 33% overall.", "up to 33%",
     {"value": 33.0, "qualifier": "upper_bound", "measure": "reduction"}),
    ("About 15% of users relapsed.", "About 15%", {"value": 15.0, "qualifier": "approx"}),
    ("Over 60% stayed abstinent.", "Over 60%",
     {"value": 60.0, "qualifier": "lower_bound", "measure": "abstinence"}),
    ("More than 10% dropped out.", "More than 10%", {"qualifier": "lower_bound"}),
    ("Yields rose by >10% in dry years.", ">10%", {"value": 10.0, "qualifier": "lower_bound"}),
    ("The range was about 5\u201320% of the total.", "about 5\u201320%",
     {"low": 5.0, "high": 20.0, "qualifier": "approx"}),
    ("Nearly 12 per cent relapsed.", "Nearly 12 per cent",
     {"value": 12.0, "qualifier": "approx", "measure": "relapse"}),
    ("Relapse hit 12 per cent by week 4.", "12 per cent", {"value": 12.0, "qualifier": None}),
    ("About 15 percent of users relapsed.", "About 15 percent", {"value": 15.0}),
    ("About two-thirds of patients stayed abstinent.", "two-thirds",
     {"value": 66.7, "qualifier": "approx"}),
    ("Capacity reached \u223c16 wt% in tests.", "\u223c16 wt%", {"value": 16.0}),
    ("Al was found at a weight% of 0.34 in the sample.", "weight% of 0.34", {"value": 0.34}),
    ("Spikes occur on 9.8 and 3.4% of orbits.", "9.8", {"value": 9.8, "unit": "%"}),
    ("Spikes occur on 9.8 and 3.4% of orbits.", "3.4%", {"value": 3.4}),
    ("Mildew fell 46%/62% in trials.", "46%", {"value": 46.0}),
    ("Mildew fell 46%/62% in trials.", "62%", {"value": 62.0}),
    ("Approximately two-thirds of patients stayed abstinent.", "two-thirds",
     {"value": 66.7, "measure": "abstinence"}),
    ("Only a quarter of them remained abstinent.", "a quarter",
     {"value": 25.0, "measure": "abstinence"}),
    ("Three-quarters of rats responded.", "Three-quarters", {"value": 75.0}),
    ("Half of the patients were abstinent at one year.", "Half of the patients",
     {"value": 50.0, "measure": "abstinence"}),
    ("This was compared with one in 20 of the controls.", "one in 20", {"value": 5.0}),
    ("Retention was 85% at week 12.", "85%", {"measure": "retention"}),
    ("Eighty-five percent responded to treatment.", "Eighty-five percent",
     {"value": 85.0, "measure": "response"}),
    ("Twenty per cent relapsed.", "Twenty per cent", {"value": 20.0}),
]

TRAPS = [
    ("Call 480-626\u20132727 for details.", "480-626\u20132727"),
    ("J Addict Med. 2024;25(2):206-211.", "2024;25(2):206-211"),
    ("Craving fell (p < .01) after ketamine.", "p < .01"),
    ("Craving was reduced (both ps \u00bc 0.012) by ketamine.", "ps \u00bc 0.012"),
    ("See https://doi.org/10.1016/j.drugalcdep.2014.01.002 for data.", "10.1016/j.drugalcdep"),
    ("Participants (18-65 years old) had alcohol problems.", "18-65 years"),
    ("The study ran from 12 March 2019 to 3 May 2020.", "12 March 2019"),
    ("Patients were seen for 48 h after surgery.", "48 h"),
    ("Six sessions of 90 minutes were held.", "Six sessions"),
    ("Patients were divided into 3 groups.", "3 groups"),
    ("See Addiction 2013; 108: 1-12.", "108: 1-12"),
    ("Adverse events occurred in 13 patients overall.", "13 patients"),
    ("Another nine patients withdrew.", "nine patients"),
    ("Only one patient (FEC) experienced serious adverse events.", "one patient"),
    ("Nausea was seen in 13 patients (8%) overall.", "13 patients"),
    ("Panicle yield (484 g m\u22122) was high.", "484 g"),
    ("A flux of 0.18 g CO2 m\u22122 h\u22121 was measured.", "0.18 g"),
    ("Pain resolved in 19 of the 21 patients treated.", "21 patients"),
    ("In the first half of the year, pain fell by 3 points.", "first half"),
    ("Sites enrolled a mean of n = 12.5 patients each.", "n = 12.5"),
    ("Of 5 in 10 trials, none was blinded.", "5 in 10"),
    ("The odds ratio was 2.1 (95% CI 1.2-3.4).", "95% CI"),
]


def _case_id(case: tuple) -> str:
    span = case[1] if isinstance(case[1], str) else f"{case[1][0]}#{case[1][1]}"
    return span[:30]


@pytest.mark.parametrize(("label", "case"), [("DOSE", c) for c in DOSES]
                         + [("SAMPLE_SIZE", c) for c in SAMPLE_SIZES]
                         + [("PERCENTAGE", c) for c in PERCENTAGES],
                         ids=lambda v: v if isinstance(v, str) else _case_id(v))
def test_span_and_fields(label, case):
    text, span, fields = case
    start, end = _find(text, span)
    hits = [m for m in mentions(text) if (m.start, m.end) == (start, end)]
    assert hits, f"no mention at {start}:{end} {text[start:end]!r}; got " + repr(
        [(m.label, m.text) for m in mentions(text)])
    m = hits[0]
    assert m.label == label
    assert m.text == text[start:end]
    for key, expected in fields.items():
        got = getattr(m, key)
        if isinstance(expected, float):
            assert got == pytest.approx(expected), key
        else:
            assert got == expected, key


@pytest.mark.parametrize(("text", "trap"), TRAPS, ids=[t for _, t in TRAPS])
def test_traps_yield_nothing(text, trap):
    start, end = _find(text, trap)
    inside = [m for m in mentions(text) if m.start < end and start < m.end]
    assert not inside, [(m.label, m.text) for m in inside]


def test_list_items_are_separate_mentions():
    text = "Both doses of ketamine (5 and 10 mg/kg) worked."
    doses = [m for m in mentions(text) if m.label == "DOSE"]
    assert [(m.text, m.value) for m in doses] == [("5", 5.0), ("10 mg/kg", 10.0)]


def test_n_equals_is_kept_next_to_a_dose_pair():
    text = "Subjects (n=12 and 0.41 mg/ kg ketamine) were tested."
    found = {(m.label, m.text) for m in mentions(text)}
    assert found == {("SAMPLE_SIZE", "n=12"), ("DOSE", "0.41 mg/ kg")}


# The seed examples quoted in issue 3, found where they stand in raw/ (file prefix, label,
# span text, occurrence, fields).
SEEDS = [
    ("000", "DOSE", "20 mg/kg", 0, {"value": 20.0, "unit": "mg/kg", "drug": "ketamine"}),
    ("000", "DOSE", "0.41 mg/ kg", 0, {"value": 0.41, "unit": "mg/kg", "drug": "ketamine"}),
    ("000", "DOSE", "2 mg", 0, {"value": 2.0, "unit": "mg", "drug": "lorazepam"}),
    ("000", "DOSE", "2.0 mg/kg", 0, {"value": 2.0, "route": "i.m.", "drug": "ketamine"}),
    ("000", "DOSE", "60 mg/kg", 0, {"value": 60.0, "route": "i.p.", "drug": "ketamine"}),
    ("000", "DOSE", "5", None, {"value": 5.0, "unit": "mg/kg", "drug": "ketamine"}),
    ("000", "DOSE", "10 mg/kg", 0, {"value": 10.0, "unit": "mg/kg", "drug": "ketamine"}),
    ("000", "DOSE", "0.2 mg/kg", 0, {"value": 0.2, "drug": "ketamine"}),
    ("002", "DOSE", "2.0 mg/kg body weight", 0, {"value": 2.0, "unit": "mg/kg"}),
    ("000", "SAMPLE_SIZE", "n \u00bc 111", 0, {"value": 111.0}),
    ("000", "SAMPLE_SIZE", "n \u00bc 26", 0, {"value": 26.0}),
    ("000", "SAMPLE_SIZE", "n \u00bc 27", 0, {"value": 27.0}),
    ("000", "SAMPLE_SIZE", "70 detoxified heroin-dependent patients", 0,
     {"value": 70.0, "population": "detoxified heroin-dependent patients"}),
    ("000", "SAMPLE_SIZE", "8 cocaine dependent males", 0, {"value": 8.0}),
    ("002", "SAMPLE_SIZE", "37 alcohol abusers", 0, {"value": 37.0}),
    ("000", "SAMPLE_SIZE", "Fifty nine detoxified heroin dependent patients", 0, {"value": 59.0}),
    ("002", "SAMPLE_SIZE", "Fifty-nine patients", 0, {"value": 59.0}),
    ("000", "SAMPLE_SIZE", "Four subjects", 0, {"value": 4.0}),
    ("000", "PERCENTAGE", "33.3%", 0, {"value": 33.3}),
    ("000", "PERCENTAGE", "40-80%", 0, {"low": 40.0, "high": 80.0, "measure": "relapse"}),
    ("000", "PERCENTAGE", "65-70%", 0, {"low": 65.0, "high": 70.0}),
    ("000", "PERCENTAGE", "~47%", 0, {"value": 47.0, "qualifier": "approx"}),
    ("002", "PERCENTAGE", "from 40% to as high as 80%", 0, {"low": 40.0, "high": 80.0}),
    ("002", "PERCENTAGE", "up to 33%", 0, {"value": 33.0, "qualifier": "upper_bound"}),
    ("002", "PERCENTAGE", "Half of the patients", 0, {"value": 50.0}),
    ("003", "PERCENTAGE", "two-thirds", 0, {"value": 66.7, "measure": "abstinence"}),
    ("003", "PERCENTAGE", "a quarter", 0, {"value": 25.0}),
    ("003", "PERCENTAGE", "one in 20", 0, {"value": 5.0}),
]
SEED_TRAPS = [("004", "480-626"), ("002", "2024;25(2):206-211"), ("000", "p < .01"),
              ("000", "ps \u00bc 0.012"), ("002", "18-65 years")]


@lru_cache(maxsize=None)
def _seed(prefix: str):
    from conftest import RAW
    from pipeline import ingest

    [path] = [p for p in ingest.list_inputs(RAW) if p.name.startswith(prefix)]
    doc = ingest.read(path, RAW)
    return doc.text, [m for m in extract.document(doc).mentions if m.label in NUMERIC]


@pytest.mark.parametrize(("prefix", "label", "span", "nth", "fields"), SEEDS,
                         ids=[f"{c[0]}-{c[2][:25]}" for c in SEEDS])
def test_seed_examples(prefix, label, span, nth, fields):
    text, found = _seed(prefix)
    hits = [m for m in found if m.label == label and m.text == span]
    assert hits, f"{label} {span!r} not found in seed {prefix}"
    m = hits[nth or 0]
    assert text[m.start:m.end] == span
    for key, expected in fields.items():
        got = getattr(m, key)
        assert got == (pytest.approx(expected) if isinstance(expected, float) else expected), key


@pytest.mark.parametrize(("prefix", "trap"), SEED_TRAPS, ids=[t for _, t in SEED_TRAPS])
def test_seed_traps(prefix, trap):
    text, found = _seed(prefix)
    start = text.index(trap)
    assert not [m for m in found if m.start < start + len(trap) and start < m.end]


_ALPHABET = st.sampled_from(list("0123456789 .,;:-/%()=¼~n") + [
    "mg", "kg", "mg/kg", " patients", " and ", " to ", "per cent", "half of the ", "one in ",
    "\u2013", "\u00a0", "\n", "i.p.", "n = ", "Fifty", "-nine", " rats", "\u00b5g", "\u207b\u00b9"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=40).map("".join) | st.text(max_size=120))
def test_arbitrary_text_never_raises_and_spans_index_the_text(text):
    doc = Document("h" * 16, "h.txt", text)
    for m in extract.document(doc).mentions:
        assert text[m.start:m.end] == m.text
