"""Assemble stage results into the output tables and write them (DESIGN.md §9)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import attribute, citelink, dedupe, export, reconcile
from pipeline.extract import Extraction
from pipeline.records import Conflict, DocLinks, Document, Finding, Mention, Overlap, Reference


@dataclass(frozen=True)
class Summary:
    """What a run did, for the terminal and for tests."""

    n_documents: int
    n_errors: int
    errors: tuple[tuple[str, str], ...]  # (source, reason)
    mentions_by_label: Mapping[str, int]
    n_references: int
    n_overlaps: int
    extra: Mapping[str, object] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)
    skipped: bool = field(default=False, compare=False)

    def to_json(self) -> dict:
        return {"n_documents": self.n_documents, "n_errors": self.n_errors,
                "errors": [list(e) for e in self.errors],
                "mentions_by_label": dict(self.mentions_by_label),
                "n_references": self.n_references, "n_overlaps": self.n_overlaps,
                "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, data: Mapping) -> Summary:
        return cls(data["n_documents"], data["n_errors"],
                   tuple(tuple(e) for e in data["errors"]), data["mentions_by_label"],
                   data["n_references"], data["n_overlaps"], data.get("extra", {}),
                   skipped=True)


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


def segments(extractions: Sequence[Extraction]) -> dict[str, attribute.Segments]:
    """Each extracted document's sentences and paragraphs, for attribution to reuse."""
    return {x.doc_id: attribute.Segments(x.sentences, x.paragraphs)
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
