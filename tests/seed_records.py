"""The seed corpus as the upstream stages hand it to reconciliation.

Numeric mentions come from the real extraction. CITATION mentions, reference entries and
``copy_of`` links come from the real stages when this build has them (``pipeline.citations``
installed, ``copy_of`` set); otherwise they are built here to the stage contracts, with simple
patterns that are enough for the five seeds (not a citation parser).
"""

from __future__ import annotations

import re
from functools import lru_cache
from unittest import mock

from conftest import RAW
from pipeline import extract, ingest, normalize
from pipeline.authoryear import fold
from pipeline.records import Document, Mention, Reference

_REF_LINE = re.compile(r"(?m)^(?:- |(\d{1,3})\. )(?:Ivan )?([A-Z][\w'-]+)[^\n]*")
_INLINE_REFS = (  # inline full references printed in seed 000: (surname, year, suffix, start text)
    ("Dakwar", "2014", "b", "Dakwar, E., Levin, F., Foltin"),
    ("Das", "2013", None, "Das, R.K., Freeman"),
)
_PAREN = re.compile(r"\(([A-Z][\w-]+)\s+(?:et\s+al\.,|and\s+[A-Z][\w-]+,)\s+(\d{4})([a-z]?)\)")
_NARRATIVE = re.compile(r"([A-Z][\w-]+)\s+(?:et\s+al\.|and\s+[A-Z][\w-]+)\s+\((\d{4})\)")
_SUP = re.compile(r"<sup>([\d,\-]+)</sup>")


@lru_cache(maxsize=None)
def seed_records() -> tuple[tuple[Document, ...], tuple[Mention, ...], tuple[Reference, ...]]:
    """Documents, mentions and references of the five seeds, sorted by source."""
    docs = tuple(ingest.read(p, RAW) for p in ingest.list_inputs(RAW))
    mentions: list[Mention] = []
    references: list[Reference] = []
    for doc in docs:
        x = _extraction(doc)
        mentions.extend(x.mentions)
        references.extend(x.references)
    if any(m.label == "CITATION" for m in mentions):
        from pipeline import dataset  # the flow links citations across the corpus (gather)

        mentions, references = dataset.citelink.link(mentions, references)
    else:
        for doc in docs:
            refs = _references(doc)
            references.extend(refs)
            mentions.extend(_citations(doc, refs))
    if not any(m.copy_of for m in mentions):
        mentions = _link_copy(docs, mentions)
    return docs, tuple(mentions), tuple(references)


def _extraction(doc: Document) -> extract.Extraction:
    """Extraction with the citation stage when extract wires it in (``extract.citelink``).

    The skeleton's extraction hook predates the citation stage's API; where it is still the
    skeleton's, citations are left to this module instead of calling a module it cannot use.
    """
    if hasattr(extract, "citelink"):
        return extract.document(doc)
    with mock.patch.object(extract, "_citations", lambda d, v, ver, found: (found, [])):
        return extract.document(doc)


def _key(surname: str, year: str) -> str:
    return f"{fold(surname)}_{year}"


def _references(doc: Document) -> list[Reference]:
    out = []
    heading = doc.text.find("## References")
    for n, m in enumerate(_REF_LINE.finditer(doc.text, heading), 1) if heading >= 0 else ():
        year = re.search(r"(\d{4});", m.group(0)) or re.search(r"(\d{4})\.", m.group(0))
        if year is None:
            continue
        label = m.group(1) or str(n)
        out.append(Reference(doc.doc_id, doc.source, m.start(), m.end(), m.group(0), label=label,
                             authors=(m.group(2),), year=year.group(1),
                             study_key=_key(m.group(2), year.group(1))))
    for surname, year, suffix, head in _INLINE_REFS:
        start = doc.text.find(head)
        if start >= 0:
            end = doc.text.find("\n", start)
            out.append(Reference(doc.doc_id, doc.source, start, end, doc.text[start:end],
                                 authors=(surname,), year=year, year_suffix=suffix,
                                 study_key=_key(surname, year)))
    return out


def _citations(doc: Document, refs: list[Reference]) -> list[Mention]:
    by_label = {r.label: r for r in refs if r.label}
    out = []
    for style, pattern in (("parenthetical", _PAREN), ("narrative", _NARRATIVE)):
        for m in pattern.finditer(doc.text):
            surname, year = m.group(1), m.group(2)
            ids = tuple(r.ref_id for r in refs if r.study_key == _key(surname, year))
            out.append(_citation(doc, m.start(), m.end(), style=style, authors=(surname,),
                                 year=year, study_key=_key(surname, year), ref_ids=ids))
    for m in _SUP.finditer(doc.text):
        numbers = _numbers(m.group(1))
        hit = [by_label[str(n)] for n in numbers if str(n) in by_label]
        keys = {r.study_key for r in hit}
        if hit:
            out.append(_citation(doc, m.start(), m.end(), style="numeric",
                                 ref_numbers=numbers, ref_ids=tuple(r.ref_id for r in hit),
                                 study_key=keys.pop() if len(keys) == 1 else None))
    return out


def _numbers(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if lo.isdigit():
            out.extend(range(int(lo), int(hi) + 1) if hi.isdigit() else [int(lo)])
    return tuple(out)


def _citation(doc: Document, start: int, end: int, **fields) -> Mention:
    return Mention(doc.doc_id, doc.source, "CITATION", start, end, doc.text[start:end],
                   _sentence(doc, start), "fixture.citation", "fixture", **fields)


def _sentence(doc: Document, pos: int) -> str:
    from pipeline.attribute import segments

    s, e = segments(doc).sentence_of(pos, pos + 1)
    return doc.text[s:e]


def _link_copy(docs: tuple[Document, ...], mentions: list[Mention]) -> list[Mention]:
    """Seed 001 is the second half of 000: link each 001 mention to the same span in 000."""
    by_prefix = {d.source[:3]: d for d in docs}
    original, copy = by_prefix["000"], by_prefix["001"]
    a = normalize.analysis_view(original.text).text
    b = normalize.analysis_view(copy.text).text
    at = {(m.doc_id, m.label, m.start): m for m in mentions}
    out = []
    for m in mentions:
        if m.doc_id == copy.doc_id:
            context = b[max(0, m.start - 60):m.end + 60]
            pos = a.find(context)
            if pos >= 0:
                target = at.get((original.doc_id, m.label, pos + (m.start - max(0, m.start - 60))))
                m = m.with_(copy_of=target.mention_id) if target else m
        out.append(m)
    return out
