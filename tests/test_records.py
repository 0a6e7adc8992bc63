"""records.replaced: the fast dataclasses.replace every stage uses through ``with_``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from pipeline.records import Conflict, Finding, Mention, replaced


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


def test_replaced_leaves_non_init_fields_to_replace():
    assert replaced(_Derived(1), a=2) == _Derived(2)
    with pytest.raises(ValueError):
        replaced(_Derived(1), b=3)  # dataclasses.replace refuses init=False fields
