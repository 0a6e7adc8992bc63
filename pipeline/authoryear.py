"""Narrative author-year mentions found from the text, for attribution and name variants.

The citation stage finds formal citations. Prose also names studies without one:
``In their 1997 report, Krupitsky and Grinenko compared ...`` (seed 002) or a press note's
``published January 12, 2018 in Neuro Pharmacology ... Dr. Ezquerra-Romano notes`` (seed 004,
which has no citation at all). Such a mention is accepted only when

* a capitalized word is, after ASCII folding, the first-author surname of a reference entry
  somewhere in the corpus, exactly or (words of at least ``MIN_FUZZY_LEN`` letters, and only
  when no surname matches exactly) with a rapidfuzz ratio of at least ``NAME_SIMILARITY``; and
* that reference's year is printed in the same sentence or in the sentence before it within
  the same paragraph (``YEAR_SENTENCE_WINDOW``).

A study is never invented: the key is the matched reference's key. A fuzzy match records the
spelling as written in ``name_variant``, which reconciliation turns into a ``name_variant``
conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from pipeline.records import Document, Mention, Reference
from pipeline.studykeys import fold

if TYPE_CHECKING:
    from pipeline.attribute import Segments

NAME_SIMILARITY = 85.0  # rapidfuzz ratio (0..100) for two spellings of one surname
MIN_FUZZY_LEN = 6  # shorter surnames only match exactly ("Li" is not "Lin")
MIN_NAME_LEN = 3
YEAR_SENTENCE_WINDOW = 1  # sentences before the name that may hold its year
RULE_ID = "attribute.author_year"

# A capitalized surname: "Krupitsky" (not its possessive "’s"), "Ezquerra-Romano", "O'Brien",
# "DiazGranados".
_PART = r"(?:[A-Z]['’])?[A-Z][a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+)?"
_NAME = re.compile(rf"(?<![\w'’-]){_PART}(?:-{_PART})*(?![\w-])")
_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20[0-4]\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class Entry:
    """One reference's first author, year and key."""

    surname: str  # as printed in the reference
    year: str
    study_key: str
    ref_id: str


@dataclass(frozen=True, slots=True)
class SurnameIndex:
    """Reference first-author surnames of the whole corpus, by folded spelling."""

    by_fold: dict[str, tuple[Entry, ...]]
    folds: tuple[str, ...]

    @classmethod
    def build(cls, references: Iterable[Reference]) -> SurnameIndex:
        """Index ``references``; a multi-word surname is also indexed by its last word
        ("Ivan Ezquerro-Romano" is found as "Ezquerro-Romano")."""
        by_fold: dict[str, list[Entry]] = {}
        for r in references:
            if not (r.authors and r.year and r.study_key):
                continue
            entry = Entry(r.authors[0], r.year[:4], r.study_key, r.ref_id)
            for spelling in {fold(r.authors[0]), fold(r.authors[0].split()[-1])}:
                if len(spelling) >= MIN_NAME_LEN:
                    by_fold.setdefault(spelling, []).append(entry)
        frozen = {k: tuple(sorted(set(v), key=lambda e: (e.study_key, e.ref_id)))
                  for k, v in by_fold.items()}
        return cls(frozen, tuple(sorted(frozen)))

    def match(self, word: str) -> tuple[str, tuple[Entry, ...]]:
        """The indexed spelling ``word`` matches and its entries; ``("", ())`` if none."""
        key = fold(word)
        if len(key) < MIN_NAME_LEN:
            return "", ()
        if key in self.by_fold:
            return key, self.by_fold[key]
        if len(key) < MIN_FUZZY_LEN or not self.folds:
            return "", ()
        best = process.extractOne(key, self.folds, scorer=fuzz.ratio,
                                  score_cutoff=NAME_SIMILARITY)
        return (best[0], self.by_fold[best[0]]) if best else ("", ())


def detect(doc: Document, seg: Segments, index: SurnameIndex,
           blocked: Sequence[tuple[int, int]], rules_version: str = "") -> list[Mention]:
    """Narrative author-year CITATION mentions of ``doc`` that no citation already covers.

    Args:
        doc: the document.
        seg: its sentences and paragraphs (canonical offsets).
        index: reference surnames of the corpus.
        blocked: spans (existing citations, reference entries) where nothing is detected.
        rules_version: written into the new mentions (the document's extraction version).

    Returns:
        CITATION mentions (style ``narrative``, rule id ``attribute.author_year``), sorted.
    """
    if not index.folds:
        return []
    out: list[Mention] = []
    seen: dict[str, tuple[str, tuple[Entry, ...]]] = {}  # a word is looked up once per document
    printed = [set(_YEAR.findall(doc.text, s, e)) for s, e in seg.sentences]
    for i, (s, e) in enumerate(seg.sentences):
        years = _years_near(printed, seg, i)
        if not years:
            continue
        for m in _NAME.finditer(doc.text, s, e):
            if m.group() not in seen:
                seen[m.group()] = index.match(m.group())
            found = _mention(doc, (m.start(), m.end()), doc.text[s:e], seen[m.group()], years,
                             rules_version)
            if found is not None and not _overlaps(found, blocked):
                out.append(found)
    return out


def _overlaps(m: Mention, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < m.end and m.start < e for s, e in spans)


def _years_near(printed: list[set[str]], seg: Segments, i: int) -> set[str]:
    """Years printed in sentence ``i`` or the window before it, within its paragraph."""
    window = range(max(0, i - YEAR_SENTENCE_WINDOW), i)
    if not printed[i] and not any(printed[j] for j in window):
        return set()
    paragraph_start = seg.paragraph_of(*seg.sentences[i])[0]
    years = set(printed[i])
    for j in window:
        if seg.sentences[j][0] >= paragraph_start:
            years |= printed[j]
    return years


def _mention(doc: Document, span: tuple[int, int], sentence: str,
             matched: tuple[str, tuple[Entry, ...]], years: set[str],
             rules_version: str) -> Mention | None:
    start, end = span
    word = doc.text[start:end]
    spelling, entries = matched
    if not entries:
        return None
    entries = tuple(x for x in entries if x.year in years)
    keys = {x.study_key for x in entries}
    if len(keys) != 1:  # no reference of that year, or two studies: nothing to say
        return None
    entry = entries[0]
    variant = word if fold(word) != spelling else None
    return Mention(doc.doc_id, doc.source, "CITATION", start, end, word, sentence, RULE_ID,
                   rules_version, style="narrative", authors=(word,), year=entry.year,
                   ref_ids=tuple(sorted({x.ref_id for x in entries})),
                   study_key=entry.study_key, name_variant=variant)
