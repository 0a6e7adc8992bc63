"""Document -> Mentions and References.

The spaCy rules run on the sentences a cheap scan marks as candidates (a digit or a number
word), tokenized in batches, each through a Matcher holding only the rules whose anchor words
it contains (``nlp.RuleMatcher``); document-level scanners (citations, reference lists) run on
the whole analysis view. Offsets are mapped back to the canonical text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import NamedTuple

from pipeline import (abbreviations, anchors, citelink, context, nlp, normalize, rules, segment,
                      spans, values)
from pipeline.records import Document, Mention, Reference, pickled_by_fields

BATCH_SIZE = 256


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Extraction:
    """What one document yields; cached per (document, rules version)."""

    doc_id: str
    mentions: tuple[Mention, ...] = ()
    references: tuple[Reference, ...] = field(default=())
    # Sentence and paragraph spans in canonical offsets (``segment.pack``), handed to
    # attribution so it need not segment every document again.
    sentences: bytes = b""
    paragraphs: bytes = b""


def document(doc: Document, rules_version: str | None = None) -> Extraction:
    """Extract every mention and reference of ``doc`` (none for an error document)."""
    return documents([doc], rules_version)[0]


def documents(docs: Sequence[Document], rules_version: str | None = None) -> list[Extraction]:
    """``document`` for each of ``docs``, with one pass of the spaCy rules over the candidate
    sentences of all of them: a Matcher call and a Doc have a fixed cost, which a pass per
    document paid ~17 times (5 % of extraction's CPU time on the 1k corpus, in batches of 64).
    The records do not depend on how documents are grouped."""
    r = rules.load()
    version = rules_version or r.version
    scan = _candidate_scan(r.version)
    prepared = [_prepare(d, r, scan) for d in docs]
    found = iter(nlp.matcher().spans([t for p in prepared if p for t in p.texts], BATCH_SIZE))
    return [_extract(d, p, list(islice(found, len(p.texts))), r, version) if p
            else Extraction(d.doc_id) for d, p in zip(docs, prepared)]


class _Prepared(NamedTuple):
    """A document's analysis view, sentences, and the candidate sentences the rules see."""

    view: normalize.View
    sents: list[tuple[int, int]]
    chosen: list[tuple[int, int]]
    texts: list[str]  # the chosen sentences' text


def _prepare(doc: Document, r: rules.Rules, scan: _Scan) -> _Prepared | None:
    if doc.status != "ok" or not doc.text:
        return None
    view = normalize.analysis_view(doc.text, dehyphenate=doc.layout is not None)
    sents = segment.sentences(view.text, r.lexicon("abbreviations"))
    chosen = _candidate_sentences(view.text, sents, scan)
    return _Prepared(view, sents, chosen, [view.text[s:e] for s, e in chosen])


def _extract(doc: Document, p: _Prepared, matches: list[list[tuple[str, str, int, int]]],
             r: rules.Rules, version: str) -> Extraction:
    """One document's records, given the rule matches of its candidate sentences."""
    view, sents = p.view, p.sents
    sentence_of = _SentenceTexts(doc.text, view)
    numeric = list(_numeric(doc, p, matches, r, version, sentence_of))
    # Citations are made with their sentence: filling it in afterwards copied each one.
    cites, refs = citelink.document_citations(
        doc, view.text, version, view,
        lambda a, b: sentence_of(*segment.containing(sents, a, b)))
    found = numeric + cites
    if doc.layout is not None:
        found, refs = _with_boxes(doc, found), _with_boxes(doc, refs)
    found.sort(key=lambda m: (m.start, m.end, m.label))
    refs.sort(key=lambda x: (x.start, x.end))
    return Extraction(doc.doc_id, tuple(found), tuple(refs),
                      segment.pack(view.spans_to_canonical(sents)),
                      segment.pack(view.spans_to_canonical(segment.paragraphs(view.text))))


def _numeric(doc: Document, p: _Prepared, matches: list[list[tuple[str, str, int, int]]],
             r: rules.Rules, version: str, sentence_of: _SentenceTexts) -> Iterator[Mention]:
    view = p.view
    parsed: list[tuple[tuple[int, int], str, spans.Candidate, int, int]] = []
    qualifiers = tuple(r.table("pct_qualifiers"))
    # The sentence string is used, never a Doc's text: spaCy rebuilds that from tokens.
    for sent, text, found in zip(p.chosen, p.texts, matches):
        cands = [spans.Candidate(*f) for f in found]
        for c in spans.choose(text, cands, qualifiers):
            parsed.extend((sent, text, c, i, j) for i, j in spans.items(text, c))
    aliases = _drug_aliases(view.text, p.sents, r, parsed)
    for (s_start, s_end), sentence, c, i, j in parsed:
        fields = _fields(sentence, c, i, j, r, aliases)
        if fields is None:
            continue
        if c.label == "DOSE" and fields.get("drug") is None:
            # "The dose was 0.8 mg/kg": the drug is named earlier in the paragraph.
            lead = view.text[max(0, s_start - context.DRUG_LOOKBACK):s_start]
            fields["drug"] = context.last_drug(lead.split("\n\n")[-1], r, aliases)
        start = view.to_canonical(s_start + i)
        end = view.to_canonical_end(s_start + j)
        # The item lies inside its candidate sentence, which is therefore its sentence.
        yield Mention(doc.doc_id, doc.source, c.label, start, end, doc.text[start:end],
                      sentence_of(s_start, s_end), c.rule_id, version, **fields)


def _fields(sentence: str, c: spans.Candidate, i: int, j: int, r: rules.Rules,
            aliases: dict[str, str]) -> dict[str, object] | None:
    """Normalized and context fields of one item; None when it is not a mention after all."""
    fields = values.PARSERS[c.label](sentence[i:j], r)
    if c.label == "DOSE" and (i, j) != (c.start, c.end):
        fields["unit"] = values.unit_of(sentence[c.start:c.end], r)  # list items share a unit
    if fields.get("value") is None and fields.get("low") is None:
        return None
    # List items take route and drug from the whole list: "(5 and 10 mg/kg, i.p.)".
    whole = (c.start, c.end) if c.label == "DOSE" else (i, j)
    extra = _context_fields(c.label, sentence, *whole, r, c.rule_id, aliases)
    if extra is None:
        return None
    return {**fields, **{k: v for k, v in extra.items() if v is not None or k not in fields}}


def _drug_aliases(text: str, sents: list[tuple[int, int]], r: rules.Rules,
                  parsed: list) -> dict[str, str]:
    # The abbreviation detector only matters for doses, so documents without one skip it.
    # A short form is often defined in a sentence without numbers, so all sentences count.
    if not any(c.label == "DOSE" for _, _, c, _, _ in parsed):
        return {}
    return abbreviations.drug_aliases(text, sents, r.lexicon("drugs"))


def _context_fields(label: str, sentence: str, start: int, end: int, r: rules.Rules,
                    rule_id: str = "", aliases: dict[str, str] | None = None
                    ) -> dict[str, object] | None:
    if label == "DOSE":
        if not context.is_dose(sentence, end, r):
            return None
        return {"route": context.route(sentence, start, end, r),
                "drug": context.drug(sentence, start, end, r, aliases)}
    if label == "PERCENTAGE":
        if not context.is_percentage(sentence, end, r):
            return None
        return {"measure": context.measure(sentence, start, end, r)}
    if label == "SAMPLE_SIZE":
        return context.sample_size(sentence, start, end, rule_id, r)
    return {}


@dataclass(frozen=True)
class _Scan:
    """What makes a sentence worth tokenizing, from the rule lexicons."""

    units: frozenset[str]  # unit words: a dose or percentage with a digit in the sentence
    strong: frozenset[str]  # words that alone may start a match (fractions)
    people: frozenset[str]  # population nouns: need a number in the same sentence
    numbers: frozenset[str]  # number words
    any_word: frozenset[str]  # all of the above: a sentence with none of them is skipped at once


@lru_cache(maxsize=4)
def _candidate_scan(version: str) -> _Scan:
    r = rules.load()
    units = set(r.lexicon("mass_units")) | {"per", "percent", "pct"}
    return _Scan(frozenset(units),
                 r.lexicon("fraction_words"), r.lexicon("population"),
                 frozenset(r.table("number_words")),
                 frozenset(units) | r.lexicon("fraction_words") | r.lexicon("population")
                 | frozenset(r.table("number_words")))


# What makes a sentence a candidate on its own: "%", "n = 3", "One in 20". MARKS says it in
# one regex, but its branches open with "n" and "o", so the engine stops at every such letter;
# mark_starts finds the same starts from rare anchors ("%", "=", "ne in "), ~10x faster.
MARKS = re.compile(r"%|[nN]\s*[=¼]\s*\d|[Oo]ne in \d")
_PERCENT = re.compile("%")
_EQUALS = re.compile(r"[=¼]\s*\d")
_ONE_IN = re.compile(r"ne in \d")


def mark_starts(text: str) -> list[int]:
    """The starts of ``MARKS.finditer(text)``, sorted."""
    out = [m.start() for m in _PERCENT.finditer(text)]
    for m in _EQUALS.finditer(text):
        i = m.start()
        while i and text[i - 1].isspace():
            i -= 1
        if i and text[i - 1] in "nN":
            out.append(i - 1)
    out += [m.start() - 1 for m in _ONE_IN.finditer(text) if m.start() and text[m.start() - 1] in "Oo"]
    return sorted(out)


def _candidate_sentences(text: str, sents: list[tuple[int, int]],
                         scan: _Scan) -> list[tuple[int, int]]:
    """Sentences in which some rule could match; spaCy never sees the others.

    A bare digit (a year, a page) is not enough: a sentence needs a percent sign, "n =",
    a fraction word, or a number (digits or words) with a unit word or a population noun.
    """
    marks = mark_starts(text)
    clean = anchors.letters_only(text)
    out = []
    for s, e in sents:
        k = bisect_left(marks, s)
        if k < len(marks) and marks[k] < e:
            out.append((s, e))
            continue
        split = clean[s:e].split()
        if scan.any_word.isdisjoint(split):
            continue
        words = set(split)
        if not words.isdisjoint(scan.strong):
            out.append((s, e))
            continue
        digit = _DIGIT.search(text, s, e) is not None
        number = digit or not words.isdisjoint(scan.numbers)
        if number and not (words.isdisjoint(scan.people) and words.isdisjoint(scan.units)):
            out.append((s, e))
    return out


_DIGIT = re.compile(r"\d")


class _SentenceTexts:
    """Canonical text of a view sentence span, one string per sentence: mentions of one
    sentence share it, so it is held, pickled and shipped to Dask workers once."""

    def __init__(self, text: str, view: normalize.View) -> None:
        self.text, self.view = text, view
        self.seen: dict[tuple[int, int], str] = {}

    def __call__(self, start: int, end: int) -> str:
        found = self.seen.get((start, end))
        if found is None:
            v = self.view
            found = self.seen[start, end] = self.text[v.to_canonical(start):v.to_canonical_end(end)]
        return found


def _with_boxes(doc: Document, items: list) -> list:
    from pipeline import pdf

    out = []
    for item in items:
        box = pdf.span_box(doc.layout, item.start, item.end)
        out.append(item.with_(page=box[0], bbox=box[1]) if box else item)
    return out
