"""Conflicts compare only findings whose values are near: no comparable pair is skipped."""

from __future__ import annotations

from itertools import combinations
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import conflicts

VALUES = st.one_of(st.integers(0, 300).map(float),
                   st.floats(0, 200, allow_nan=False).map(lambda v: round(v, 2)))


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, min_size=2, max_size=25))
def test_every_close_pair_is_a_candidate(values):
    facts = [SimpleNamespace(points=(v,)) for v in values]
    near = conflicts._near_pairs(facts)
    assert near == sorted(near) and all(i < j for i, j in near)
    for i, j in combinations(range(len(values)), 2):
        a, b = values[i], values[j]
        da, db = conflicts.decimals(a), conflicts.decimals(b)
        if any(conflicts._close(a, da, b, db, label)
               for label in ("DOSE", "PERCENTAGE", "SAMPLE_SIZE")):
            assert (i, j) in near, (a, b)


def test_far_values_are_not_compared():
    facts = [SimpleNamespace(points=(v,)) for v in (5.0, 500.0, 5.2, 5000.0)]
    assert conflicts._near_pairs(facts) == [(0, 2)]


def test_negative_values_fall_back_to_every_pair():
    facts = [SimpleNamespace(points=(v,)) for v in (-1.0, 50.0, 900.0)]
    assert conflicts._near_pairs(facts) == [(0, 1), (0, 2), (1, 2)]
