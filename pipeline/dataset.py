"""Assemble stage results into the output tables and write them (DESIGN.md §9)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from pipeline import attribute, citelink, dedupe, export, reconcile
from pipeline.extract import Extraction
from pipeline.records import Conflict, DocLinks, Document, Finding, Mention, Overlap, Reference
from pipeline.summary import Summary


def document_rows(docs: Sequence[Document], links: Mapping[str, DocLinks],
                  rules_version: str, texts: Mapping[str, str]) -> list[dict]:
    rows = []
    for d in docs:
        link = links.get(d.doc_id, DocLinks(d.doc_id))
        rows.append({
            "doc_id": d.doc_id, "source": d.source, "media_type": d.media_type,
            "encoding": d.encoding or None, "n_bytes": d.n_bytes,
            "n_chars": len(texts.get(d.doc_id, d.text)),
            "n_pages": d.n_pages, "status": d.status, "error": d.error or None,
            "duplicate_of": link.duplicate_of, "contained_in": link.contained_in,
            "overlap_fraction": round(link.overlap_fraction, 4), "rules_version": rules_version,
        })
    return rows


def tables(docs: Sequence[Document], texts: Mapping[str, str], mentions: Sequence[Mention],
           references: Sequence[Reference], overlaps: Sequence[Overlap],
           links: Mapping[str, DocLinks], rules_version: str,
           findings: Sequence[Finding] = (), conflicts: Sequence[Conflict] = ()
           ) -> Iterator[tuple[str, pd.DataFrame]]:
    """All output tables as (name, frame), each made only when the previous one is taken,
    rows in a stable order so reruns are byte-identical."""
    docs = sorted(docs, key=lambda d: d.source)
    order = {d.doc_id: i for i, d in enumerate(docs)}
    yield "documents", export.frame("documents",
                                    document_rows(docs, links, rules_version, texts))
    yield "mentions", export.frame("mentions", sorted(
        mentions, key=lambda m: (order.get(m.doc_id, -1), m.start, m.end, m.label)))
    yield "references", export.frame("references", sorted(
        references, key=lambda r: (order.get(r.doc_id, -1), r.start, r.end)))
    yield "overlaps", export.frame("overlaps", sorted(
        overlaps, key=lambda o: (o.doc_b, o.start_b, o.doc_a, o.start_a)))
    yield from reconcile.tables(findings, conflicts).items()


def segments(extractions: Sequence[Extraction]) -> dict[str, attribute.Packed]:
    """Each extracted document's sentences and paragraphs, for attribution to reuse."""
    return {x.doc_id: attribute.Packed(x.sentences, x.paragraphs)
            for x in extractions if x.sentences or x.paragraphs}


def link(extractions: Sequence[Extraction], dedup: dedupe.DedupResult,
         docs: Sequence[Document]) -> tuple[list[Mention], list[Reference]]:
    """All documents' mentions and references, citations linked across the corpus and
    mentions in copied passages linked to their originals (``copy_of``)."""
    mentions = [m for x in extractions for m in x.mentions]
    references = [r for x in extractions for r in x.references]
    mentions, references = citelink.link(mentions, references)
    return dedupe.link_copies(mentions, dedup, {d.doc_id: d for d in docs}), references


def write(out_dir: Path, docs: Sequence[Document], mentions: Sequence[Mention],
          references: Sequence[Reference], overlaps: Sequence[Overlap] = (),
          links: Mapping[str, DocLinks] | None = None, rules_version: str = "",
          findings: Sequence[Finding] = (), conflicts: Sequence[Conflict] = (),
          excel_safe: bool = False, texts: Mapping[str, str] | None = None) -> Summary:
    """Validate and write every table plus the canonical texts; return the run summary.

    ``texts`` (doc_id -> canonical text, e.g. a ``textspool.TextSpool``) stands in for the
    texts of documents that travel without them; by default the documents' own are written.
    """
    if texts is None:
        texts = {d.doc_id: d.text for d in docs if d.status == "ok"}
    out = tables(docs, texts, mentions, references, overlaps, links or {}, rules_version,
                 findings, conflicts)
    export.write_dataset(out_dir, out, texts, excel_safe=excel_safe)
    errors = tuple((d.source, d.error) for d in docs if d.status == "error")
    return Summary(len(docs), len(errors), errors,
                   dict(sorted(Counter(m.label for m in mentions).items())),
                   len(references), len(overlaps),
                   extra=reconcile.summary_extra(findings, conflicts))
