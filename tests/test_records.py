"""records.replaced (the fast dataclasses.replace every stage uses through ``with_``) and
records.pickled_by_fields (how records travel to Prefect's cache and Dask workers)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields, replace

import cloudpickle

import pytest

from pipeline.extract import Extraction
from pipeline.records import (Conflict, DocLinks, Document, Finding, Layout, Mention, Overlap,
                              Reference, pickled_by_fields, replaced, stable_id)


def test_replaced_equals_dataclasses_replace():
    m = Mention("d", "a.txt", "DOSE", 3, 9, "2 mg/kg", "s", "r", "v", value=2.0, unit="mg/kg")
    assert m.with_(study_key="k_2000", attribution="sentence") == replace(
        m, study_key="k_2000", attribution="sentence")
    assert m.with_() == m
    f = Finding("f", "k_2000", "DOSE", 2.0, None, None, "mg/kg", None, None, ("m",), 1, 1)
    assert replaced(f, conflict_ids=("c",)) == replace(f, conflict_ids=("c",))
    c = Conflict("c", "rounding", "k", "DOSE", "1", "1.0", "a", "b", "s", "t", "h",
                 extra={"finding_a": "x"})
    done = replaced(c, status="resolved", comment="ok")
    assert (done.status, done.comment, done.extra) == ("resolved", "ok", {"finding_a": "x"})


def test_replaced_rejects_unknown_fields_like_replace():
    m = Mention("d", "a.txt", "DOSE", 3, 9, "2 mg/kg", "s", "r", "v")
    with pytest.raises(TypeError):
        m.with_(no_such_field=1)


@dataclass(frozen=True)
class _Derived:
    a: int
    b: int = field(default=0, init=False)


@dataclass(frozen=True)
class _One:
    a: tuple[int, ...]


def test_replaced_handles_a_record_of_one_field():
    # One field is read by its getter as the value itself, not as a 1-tuple of values.
    assert replaced(_One((1, 2)), a=(3,)) == _One((3,))
    assert replaced(_One((1, 2))) == _One((1, 2))


def test_replaced_leaves_non_init_fields_to_replace():
    assert replaced(_Derived(1), a=2) == _Derived(2)
    with pytest.raises(ValueError):
        replaced(_Derived(1), b=3)  # dataclasses.replace refuses init=False fields


def _every_field_set() -> list[object]:
    m = Mention("d", "a.txt", "DOSE", 3, 9, "2 mg/kg", "s", "r", "v", value=2.0, low=1.0,
                high=3.0, unit="mg/kg", qualifier="approx", route="iv", drug="ketamine",
                population="adults", group="arm", measure="abstinence", style="numeric",
                authors=("Krupitsky",), year="2002", year_suffix="a", ref_numbers=(4,),
                ref_ids=("r1",), study_key="krupitsky_2002", name_variant="Krupitski",
                attribution="sentence", copy_of="m0", page=2, bbox=(1.0, 2.0, 3.0, 4.0))
    ref = Reference("d", "a.txt", 10, 40, "4. Krupitsky E. 2002.", "4", ("Krupitsky",), "2002",
                    "a", "Ketamine", "J Subst", "22", "3", "101", "110", "10.1/x",
                    "krupitsky_2002", "v", 3, (5.0, 6.0, 7.0, 8.0))
    layout = Layout((0, 5), ((1, 0.0, 1.0, 2.0, 3.0), None))
    doc = Document("d" * 16, "a.pdf", "text", "application/pdf", "utf-8", 4, layout=layout)
    return [m, ref, layout, doc, Extraction("d", (m,), (ref,), b"\x00" * 16, b"\x01" * 16),
            Document("e" * 16, "b.bin", "", status="error", error="binary file")]


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps])
def test_records_survive_pickling_field_for_field(dumps):
    for record in _every_field_set():
        back = pickle.loads(dumps(record))
        assert type(back) is type(record) and back == record
        assert [getattr(back, f.name) for f in fields(record)] == [
            getattr(record, f.name) for f in fields(record)]


def test_records_pickle_as_constructor_and_values():
    # The fast path: no per-field Python loop from dataclasses on either side.
    m = _every_field_set()[0]
    rebuild, args = m.__reduce__()
    assert rebuild is Mention and args == tuple(getattr(m, f.name) for f in fields(m))
    for cls in (Reference, Overlap, DocLinks, Finding, Conflict, Extraction):
        assert "__reduce__" in vars(cls)


def test_a_class_whose_fields_are_not_its_constructor_keeps_default_pickling():
    assert "__reduce__" not in vars(pickled_by_fields(_Derived))
    assert pickle.loads(pickle.dumps(_Derived(5))) == _Derived(5)


@pytest.mark.parametrize("doc_id, label, start, end", [
    ("0123456789abcdef", "DOSE", 0, 7), ("d", "REFERENCE", 12345, 12399), ("é ✓", "CITATION", 3, 4)])
def test_span_ids_are_the_stable_id_of_their_span(doc_id, label, start, end):
    m = Mention(doc_id, "a.txt", label, start, end, "x", "s", "r", "v")
    r = Reference(doc_id, "a.txt", start, end, "x")
    assert m.mention_id == stable_id(doc_id, label, start, end)
    assert r.ref_id == stable_id(doc_id, "REFERENCE", start, end)
