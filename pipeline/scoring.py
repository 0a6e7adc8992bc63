"""Span scoring with the matching rule of shared/bench/README.md (overlap, core, exact)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    doc: str
    start: int
    end: int
    label: str
    value: object = None  # predicted value (core rule) or gold first value


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _overlap(a: Span, b: Span) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def _core_ok(pred: Span, gold: Span) -> bool:
    return gold.value is None or pred.value == gold.value


def _exact_ok(pred: Span, gold: Span) -> bool:
    return pred.start == gold.start and pred.end == gold.end


RULES: dict[str, Callable[[Span, Span], bool]] = {
    "overlap": lambda p, g: True,
    "core": _core_ok,
    "exact": _exact_ok,
}


def match(pred: Sequence[Span], gold: Sequence[Span], rule: str = "overlap") -> list[tuple[Span, Span]]:
    """One-to-one pairs of same-doc, same-label spans, greedy by largest overlap."""
    accept = RULES[rule]
    candidates: list[tuple[int, int, int]] = []
    by_key: dict[tuple[str, str], list[int]] = {}
    for gi, g in enumerate(gold):
        by_key.setdefault((g.doc, g.label), []).append(gi)
    for pi, p in enumerate(pred):
        for gi in by_key.get((p.doc, p.label), ()):
            ov = _overlap(p, gold[gi])
            if ov > 0 and accept(p, gold[gi]):
                candidates.append((-ov, pi, gi))
    candidates.sort()
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, pi, gi in candidates:
        if pi not in used_p and gi not in used_g:
            used_p.add(pi)
            used_g.add(gi)
            pairs.append((pred[pi], gold[gi]))
    return pairs


def score(pred: Sequence[Span], gold: Sequence[Span], rule: str = "overlap") -> Counts:
    """Counts of the one-to-one matching under ``rule``."""
    tp = len(match(pred, gold, rule))
    return Counts(tp, len(pred) - tp, len(gold) - tp)
