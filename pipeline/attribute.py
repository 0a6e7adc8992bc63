"""Attribution: which study each DOSE, SAMPLE_SIZE and PERCENTAGE mention reports (DESIGN.md §7).

Pure Python over records; no spaCy. The rules, tried in order, and the value each writes into
``Mention.attribution``:

1. ``sentence``: every citation in the mention's sentence names the same study.
2. ``sentence_following``: several studies are cited in the sentence; the first parenthetical
   or numeric citation *after* the mention wins, because such a citation closes the clause it
   supports ("66% (Krupitsky and Grinenko, 1997) and 67% (Dakwar et al., 2016)").
3. ``sentence_preceding``: no such citation follows; the nearest citation before the mention
   wins (a narrative citation introduces what follows it).
4. ``paragraph_preceding``: no citation in the sentence; the nearest citation before the
   mention in the same paragraph wins, however far, because reviews name a study and then
   describe it over several sentences (seed 002: ``...heroin addiction.<sup>37</sup>`` is
   followed by seven sentences on that trial before ``In 2007,<sup>38</sup>``; counting
   sentences would give them to reference 38).
5. ``paragraph_following``: nothing precedes in the paragraph; the nearest citation after the
   mention wins (seed 000: ``33.3% less ...`` then ``(Sabino et al., 2013)``).
6. ``ambiguous``: the chosen citation names several studies (``<sup>1,2</sup>``, a bracket of
   adjacent citations) or none that could be resolved; the key stays empty.
7. ``none``: no citation in the paragraph; the key stays empty. Nothing is ever guessed.

Citations adjacent to each other (``(A, 2001; B, 2002)`` gives one mention per work) form one
group first. Numeric citations carry a study key resolved through the document's reference
list by the citation stage; when that key is missing, the ``ref_ids`` are resolved here.
Narrative author-year mentions the citation stage did not find are detected from the text by
``pipeline.authoryear`` and take part as citations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from pipeline import authoryear, normalize, rules, segment
from pipeline.records import NUMERIC_LABELS, Document, Mention, Reference

# Citations at most this many characters apart form one group ("; " between bracket items).
CITATION_GROUP_GAP = 3


@dataclass(frozen=True, slots=True)
class Anchor:
    """A group of adjacent citations: where it is and which study it names, if exactly one."""

    start: int
    end: int
    key: str | None  # None when the group names several studies or none resolved
    narrative: bool  # every citation of the group is narrative


@dataclass(frozen=True, slots=True)
class Segments:
    """Sentence and paragraph spans of one document, in canonical offsets, sorted."""

    sentences: tuple[tuple[int, int], ...]
    paragraphs: tuple[tuple[int, int], ...]

    def paragraph_of(self, start: int, end: int) -> tuple[int, int]:
        return segment.containing(self.paragraphs, start, end)  # type: ignore[arg-type]

    def sentence_of(self, start: int, end: int) -> tuple[int, int]:
        return segment.containing(self.sentences, start, end)  # type: ignore[arg-type]


class Packed(NamedTuple):
    """A document's sentence and paragraph spans as extraction hands them over
    (``segment.pack``): compact while the corpus waits for attribution, unpacked per document."""

    sentences: bytes
    paragraphs: bytes

    def unpack(self) -> Segments:
        return Segments(segment.unpack(self.sentences), segment.unpack(self.paragraphs))


def segments(doc: Document) -> Segments:
    """Sentences and paragraphs of ``doc`` mapped back to canonical offsets."""
    view = normalize.analysis_view(doc.text, dehyphenate=doc.layout is not None)
    abbreviations = rules.load().lexicon("abbreviations")
    return Segments(view.spans_to_canonical(segment.sentences(view.text, abbreviations)),
                    view.spans_to_canonical(segment.paragraphs(view.text)))


_segments = segments  # ``attribute`` has a parameter of that name


def citation_key(m: Mention, ref_keys: dict[str, str]) -> str | None:
    """Study key of one citation: its own, else the single key its ``ref_ids`` resolve to."""
    if m.study_key:
        return m.study_key
    keys = {ref_keys[r] for r in m.ref_ids if r in ref_keys}
    return keys.pop() if len(keys) == 1 else None


def anchors(citations: Sequence[Mention], ref_keys: dict[str, str]) -> list[Anchor]:
    """Group adjacent citations of one document into anchors, sorted by position."""
    out: list[Anchor] = []
    group: list[Mention] = []
    for m in sorted(citations, key=lambda c: (c.start, c.end)):
        if group and m.start - max(g.end for g in group) > CITATION_GROUP_GAP:
            out.append(_anchor(group, ref_keys))
            group = []
        group.append(m)
    if group:
        out.append(_anchor(group, ref_keys))
    return out


def _anchor(group: list[Mention], ref_keys: dict[str, str]) -> Anchor:
    keys = [citation_key(m, ref_keys) for m in group]
    key = keys[0] if None not in keys and len(set(keys)) == 1 else None
    narrative = all(m.style == "narrative" for m in group)
    return Anchor(group[0].start, max(m.end for m in group), key, narrative)


def attribute_one(m: Mention, found: Sequence[Anchor], seg: Segments) -> tuple[str | None, str]:
    """Study key and rule for one numeric mention, given its document's anchors.

    Returns:
        ``(study_key or None, attribution rule)``; see the module docstring for the rules.
    """
    s_start, s_end = seg.sentence_of(m.start, m.end)
    in_sentence = [a for a in found if s_start <= a.start < s_end]
    if in_sentence:
        return _in_sentence(m, in_sentence)
    p_start, p_end = seg.paragraph_of(m.start, m.end)
    in_paragraph = [a for a in found if p_start <= a.start < p_end]
    if not in_paragraph:
        return None, "none"
    before = [a for a in in_paragraph if a.start < m.start]
    if before:
        best, rule = before[-1], "paragraph_preceding"
    else:
        best, rule = in_paragraph[0], "paragraph_following"
    return (best.key, rule) if best.key else (None, "ambiguous")


def _in_sentence(m: Mention, found: list[Anchor]) -> tuple[str | None, str]:
    keys = {a.key for a in found}
    if len(keys) == 1:
        key = keys.pop()
        return (key, "sentence") if key else (None, "ambiguous")
    closing = [a for a in found if a.start >= m.end and not a.narrative]
    if closing:
        chosen, rule = closing[0], "sentence_following"
    else:
        before = [a for a in found if a.start < m.start]
        chosen, rule = ((before[-1], "sentence_preceding") if before
                        else (found[0], "sentence_following"))
    return (chosen.key, rule) if chosen.key else (None, "ambiguous")


def attribute(docs: Iterable[Document], mentions: Sequence[Mention],
              references: Sequence[Reference],
              segments: Mapping[str, Segments | Packed] | None = None) -> list[Mention]:
    """Attribute every numeric mention; add narrative author-year citations found in the text.

    Args:
        docs: the documents (canonical text gives sentences and paragraphs), read once in
            order, so a generator may load each text only when its turn comes.
        mentions: all mentions of all documents (CITATION ones carry ``study_key``).
        references: reference entries of all documents (for surnames, years and ``ref_ids``).
        segments: doc_id -> the document's ``Segments`` (or ``Packed``), where the caller
            already has them (extraction splits the same sentences); documents not in it are
            split here.

    Returns:
        The mentions with ``study_key``/``attribution`` set on numeric ones, plus the
        CITATION mentions ``pipeline.authoryear`` detected (rule id ``attribute.author_year``),
        sorted by (doc_id, start, end, label).
    """
    ref_keys = {r.ref_id: r.study_key for r in references if r.study_key}
    by_doc: dict[str, list[Mention]] = {}
    for m in mentions:
        by_doc.setdefault(m.doc_id, []).append(m)
    index = authoryear.SurnameIndex.build(references)
    refs_by_doc: dict[str, list[Reference]] = {}
    for r in references:
        refs_by_doc.setdefault(r.doc_id, []).append(r)
    given = segments or {}
    out: list[Mention] = []
    for doc in docs:
        own = by_doc.pop(doc.doc_id, [])
        if doc.status != "ok" or not doc.text:
            out.extend(own)
            continue
        seg = given.get(doc.doc_id)
        if seg is None:
            seg = _segments(doc)
        elif isinstance(seg, Packed):
            seg = seg.unpack()
        out.extend(_attribute_doc(doc, seg, own, refs_by_doc.get(doc.doc_id, []), index,
                                  ref_keys))
    for rest in by_doc.values():  # mentions of documents not given: left as they are
        out.extend(rest)
    return sorted(out, key=attrgetter("doc_id", "start", "end", "label"))


def _attribute_doc(doc: Document, seg: Segments, own: list[Mention],
                   own_refs: Sequence[Reference], index: authoryear.SurnameIndex,
                   ref_keys: dict[str, str]) -> list[Mention]:
    cites = [m for m in own if m.label == "CITATION"]
    blocked = [(c.start, c.end) for c in cites]
    blocked += [(r.start, r.end) for r in own_refs]
    # A document with no mentions of its own still gets the run's rules version on the
    # narrative citations found in it.
    version = next((m.rules_version for m in own if m.rules_version), "") or rules.load().version
    found_text = authoryear.detect(doc, seg, index, blocked, version)
    found = anchors(cites + found_text, ref_keys)
    taken = authoryear.Blocked(blocked)
    out = [m for m in own if m.label not in NUMERIC_LABELS]
    for m in own:
        if m.label in NUMERIC_LABELS:
            if taken.covers(m.start, m.end):  # numbers in a reference entry describe no finding
                key, rule = None, "none"
            else:
                key, rule = attribute_one(m, found, seg)
            out.append(m.with_(study_key=key, attribution=rule))
    return out + found_text

