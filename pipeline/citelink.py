"""Citations and references as records, and the links between them.

``citation_mentions`` and ``reference_records`` turn one document's matches into ``Mention``
(label ``CITATION``) and ``Reference`` rows; ``link`` resolves numeric citations by reference
number, author-year citations by first-author surname and year within the same document, and
gives every citation and reference a study key, unifying fuzzy surname variants across documents.
"""

from __future__ import annotations

from bisect import bisect_right

from collections.abc import Callable, Sequence

from pipeline.citations import CitationMatch, find_citations
from pipeline.normalize import View
from pipeline.records import Document, Mention, Reference
from pipeline.references import find_references
from pipeline.studykeys import fold, match_surname, study_key, unify_keys


def _span(view: View | None, start: int, end: int) -> tuple[int, int]:
    return (view.to_canonical(start), view.to_canonical_end(end)) if view else (start, end)


def _mention(doc: Document, rules_version: str, start: int, end: int, rule_id: str, sentence: str,
             **fields: object) -> Mention:
    return Mention(
        doc_id=doc.doc_id,
        source=doc.source,
        label="CITATION",
        start=start,
        end=end,
        text=doc.text[start:end],
        sentence=sentence,
        rule_id=rule_id,
        rules_version=rules_version,
        **fields,  # type: ignore[arg-type]
    )


def _mentions_of(doc: Document, match: CitationMatch, rules_version: str, view: View | None,
                 sentence_at: SentenceAt) -> list[Mention]:
    if match.style == "numeric":
        start, end = _span(view, match.start, match.end)
        return [_mention(doc, rules_version, start, end, match.rule_id, sentence_at(match.start, match.end),
                         style="numeric", ref_numbers=match.ref_numbers)]
    # One mention per cited work: a bracket of two studies gives each its own study key.
    spans = [(match.start, match.end)] if len(match.items) == 1 else [(i.start, i.end) for i in match.items]
    out = []
    for item, (a, b) in zip(match.items, spans):
        start, end = _span(view, a, b)
        key = study_key(item.authors[0], item.year) if item.authors and item.year else None
        out.append(
            _mention(
                doc, rules_version, start, end, match.rule_id, sentence_at(a, b), style=match.style, authors=item.authors,
                year=item.year, year_suffix=item.year_suffix, study_key=key,
            )
        )
    return out


def citation_mentions(doc: Document, view_text: str, rules_version: str, view: View | None = None) -> list[Mention]:
    """CITATION mentions of one document (``sentence`` left empty).

    Args:
        doc: the document; mention text is cut from ``doc.text``.
        view_text: its analysis view (same length as ``doc.text`` for text files).
        rules_version: hash of ``rules/`` written into every row.
        view: the ``View`` when it changes length (de-hyphenated PDFs) to map offsets back.

    Returns:
        Mentions sorted by start; author-year groups give one mention per cited work; matches
        inside reference-list entries are left out.
    """
    return document_citations(doc, view_text, rules_version, view)[0]


def reference_records(doc: Document, view_text: str, rules_version: str, view: View | None = None) -> list[Reference]:
    """REFERENCE rows (references.csv) of one document, each with its study key.

    Args:
        doc: the document.
        view_text: its analysis view.
        rules_version: hash of ``rules/``.
        view: the ``View`` when it changes length, to map offsets back.
    """
    return document_citations(doc, view_text, rules_version, view)[1]


# The sentence of a span given in analysis-view offsets.
SentenceAt = Callable[[int, int], str]


def _no_sentence(start: int, end: int) -> str:
    return ""


def document_citations(doc: Document, view_text: str, rules_version: str,
                       view: View | None = None, sentence_at: SentenceAt = _no_sentence
                       ) -> tuple[list[Mention], list[Reference]]:
    """Both of the above from one pass of the reference finder (it is the costly part);
    ``sentence_at`` fills each citation's ``sentence`` as it is made."""
    found = find_references(view_text)
    # "World Health Organization (2006)" inside a reference entry is the entry, not a citation.
    starts = [r.start for r in found]
    mentions: list[Mention] = []
    for match in find_citations(view_text, [(r.start, r.end) for r in found]):
        k = bisect_right(starts, match.start) - 1
        if k < 0 or not found[k].start <= match.start < found[k].end:
            mentions.extend(_mentions_of(doc, match, rules_version, view, sentence_at))
    return mentions, [_reference(doc, r, rules_version, view) for r in found]


def _reference(doc: Document, r, rules_version: str, view: View | None) -> Reference:
    start, end = _span(view, r.start, r.end)
    key = study_key(r.authors[0], r.year) if r.authors and r.year else None
    return Reference(
        doc_id=doc.doc_id, source=doc.source, start=start, end=end, text=doc.text[start:end], label=r.label,
        authors=r.authors, year=r.year, year_suffix=r.year_suffix, title=r.title, journal=r.journal,
        volume=r.volume, issue=r.issue, fpage=r.fpage, lpage=r.lpage, doi=r.doi, study_key=key,
        rules_version=rules_version,
    )


def _link_numeric(m: Mention, by_label: dict[str, Reference]) -> Mention:
    refs = [by_label[str(n)] for n in m.ref_numbers if str(n) in by_label]
    keys = {r.study_key for r in refs if r.study_key}
    return m.with_(ref_ids=tuple(r.ref_id for r in refs), study_key=keys.pop() if len(keys) == 1 else None)


def _link_author_year(m: Mention, refs: Sequence[Reference]) -> Mention:
    """Same doc, same year (and suffix when both print one), fuzzily the same first author."""
    if not m.authors or not m.year:
        return m
    same_year = [
        r for r in refs
        if r.authors and r.year == m.year and (not m.year_suffix or not r.year_suffix or m.year_suffix == r.year_suffix)
    ]
    best = match_surname(m.authors[0], [r.authors[0] for r in same_year])
    if best is None:
        return m
    ref = next(r for r in same_year if r.authors[0] == best[0])
    variant = m.authors[0] if fold(m.authors[0]) != fold(ref.authors[0]) else None
    return m.with_(ref_ids=(ref.ref_id,), study_key=ref.study_key, name_variant=variant)


def link(mentions: Sequence[Mention], references: Sequence[Reference]) -> tuple[list[Mention], list[Reference]]:
    """Resolve citations to reference entries and settle study keys.

    Args:
        mentions: mentions of any labels and documents; only CITATION ones are changed.
        references: reference entries of the same documents.

    Returns:
        ``(mentions, references)`` in the given order, citations with ``ref_ids``,
        ``study_key`` and ``name_variant`` filled; keys whose surnames differ only by a
        variant (same year) are unified, reference-list spellings winning.
    """
    refs_by_doc: dict[str, list[Reference]] = {}
    for r in references:
        refs_by_doc.setdefault(r.doc_id, []).append(r)
    labels = {d: {r.label: r for r in rs if r.label} for d, rs in refs_by_doc.items()}
    linked: list[Mention] = []
    for m in mentions:
        if m.label == "CITATION":
            if m.style == "numeric":
                m = _link_numeric(m, labels.get(m.doc_id, {}))
            else:
                m = _link_author_year(m, refs_by_doc.get(m.doc_id, []))
        linked.append(m)
    ref_keys = [r.study_key for r in references if r.study_key]
    canon = unify_keys([*ref_keys, *(m.study_key for m in linked if m.study_key)], preferred=ref_keys)
    out_m = [_unified(m, canon) for m in linked]
    # Only references whose key was unified are copied: a copy per reference took half of
    # this function's time on 1,000 documents.
    out_r = [r.with_(study_key=canon[r.study_key]) if canon.get(r.study_key, r.study_key) != r.study_key else r
             for r in references]
    return out_m, out_r


def _unified(m: Mention, canon: dict[str, str]) -> Mention:
    if not m.study_key or canon.get(m.study_key, m.study_key) == m.study_key:
        return m
    variant = m.name_variant or (m.authors[0] if m.authors else None)
    return m.with_(study_key=canon[m.study_key], name_variant=variant)
