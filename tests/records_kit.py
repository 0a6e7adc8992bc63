"""Hand-built records for reconciliation tests: documents and mentions located by their text."""

from __future__ import annotations

from pipeline.authoryear import fold
from pipeline.records import Document, Mention, Reference, stable_id


def doc(text: str, name: str = "a.txt") -> Document:
    """A text document whose id derives from its name (tests never hash real bytes)."""
    return Document(stable_id("doc", name), name, text)


def _span(d: Document, text: str, nth: int) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = d.text.index(text, start + 1)
    return start, start + len(text)


def mention(d: Document, text: str, label: str, nth: int = 0, **fields: object) -> Mention:
    """A mention of ``text`` (its ``nth`` occurrence) in ``d``; ``sentence`` is the whole line."""
    start, end = _span(d, text, nth)
    line_start = d.text.rfind("\n", 0, start) + 1
    line_end = d.text.find("\n", end)
    sentence = d.text[line_start:line_end if line_end >= 0 else len(d.text)]
    return Mention(d.doc_id, d.source, label, start, end, text, sentence, f"test.{label.lower()}",
                   "v1", **fields)


def dose(d: Document, text: str, value: float, nth: int = 0, **fields: object) -> Mention:
    fields.setdefault("unit", "mg/kg")
    return mention(d, text, "DOSE", nth, value=value, **fields)


def pct(d: Document, text: str, value: float, nth: int = 0, **fields: object) -> Mention:
    return mention(d, text, "PERCENTAGE", nth, value=value, unit="%", **fields)


def count(d: Document, text: str, value: int, nth: int = 0, **fields: object) -> Mention:
    return mention(d, text, "SAMPLE_SIZE", nth, value=float(value), **fields)


def cite(d: Document, text: str, surname: str | None = None, year: str | None = None,
         style: str = "parenthetical", nth: int = 0, **fields: object) -> Mention:
    """An author-year citation with the key the citation stage would give it."""
    if surname and year:
        fields.setdefault("study_key", f"{fold(surname)}_{year}")
        fields.setdefault("authors", (surname,))
        fields.setdefault("year", year)
    return mention(d, text, "CITATION", nth, style=style, **fields)


def sup(d: Document, text: str, key: str | None, nth: int = 0, **fields: object) -> Mention:
    """A numeric superscript citation resolved (or not) to ``key``."""
    return mention(d, text, "CITATION", nth, style="numeric", study_key=key, **fields)


def ref(d: Document, text: str, surname: str, year: str, label: str | None = None,
        key: str | None = None) -> Reference:
    """A reference entry of ``d`` printed as ``text``."""
    start, end = _span(d, text, 0)
    return Reference(d.doc_id, d.source, start, end, text, label=label, authors=(surname,),
                     year=year, study_key=key or f"{fold(surname.split()[-1])}_{year}")
