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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
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
# _YEAR without its look-arounds, which make the regex engine try every position (4x slower).
_YEAR_DIGITS = re.compile(r"(?:19[4-9]|20[0-4])\d")


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
    # Words looked up so far: the fuzzy fallback scans every indexed surname, and the same
    # capitalized words recur in every document of a corpus.
    memo: dict[str, tuple[str, tuple[Entry, ...]]] = field(default_factory=dict, compare=False)
    # What ``of_years`` found, and each spelling's entries by year (position, entry): a common
    # surname has an entry in every document that cites it, too many to filter per mention.
    by_years: dict[tuple[str, frozenset[str]], tuple[Entry, tuple[str, ...]] | None] = field(
        default_factory=dict, compare=False)
    by_year: dict[str, dict[str, list[tuple[int, Entry]]]] = field(default_factory=dict,
                                                                  compare=False)

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
        found = self.memo.get(word)
        if found is None:
            found = self.memo[word] = self._match(word)
        return found

    def of_years(self, spelling: str, years: frozenset[str]
                 ) -> tuple[Entry, tuple[str, ...]] | None:
        """The study an indexed spelling names in ``years``: its first entry (by key, then
        ref id) and the ids of all its entries in those years. ``None`` when those years hold
        no entry or entries of several studies: nothing to say."""
        key = (spelling, years)
        if key not in self.by_years:
            per_year = self.by_year.get(spelling)
            if per_year is None:
                per_year = self.by_year[spelling] = {}
                for at, x in enumerate(self.by_fold.get(spelling, ())):
                    per_year.setdefault(x.year, []).append((at, x))
            entries = [x for _, x in sorted(p for y in years for p in per_year.get(y, ()))]
            one = len({x.study_key for x in entries}) == 1
            self.by_years[key] = (entries[0], tuple(sorted({x.ref_id for x in entries}))
                                  ) if one else None
        return self.by_years[key]

    def _match(self, word: str) -> tuple[str, tuple[Entry, ...]]:
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
    text = doc.text
    out: list[Mention] = []
    printed = _printed_years(text, seg.sentences)
    taken = Blocked(blocked)
    for i, (s, e) in enumerate(seg.sentences):
        years = _years_near(printed, seg, i)
        if not years:
            continue
        for m in _NAME.finditer(text, s, e):
            spelling, entries = index.match(m.group())
            if not entries:
                continue
            found = index.of_years(spelling, years)
            start, end = m.span()
            if found is not None and not taken.overlaps(start, end):
                out.append(_mention(doc, start, end, text[s:e], spelling, *found, rules_version))
    return out


class Blocked:
    """Spans (start, end), sorted once so containment and overlap take a bisection each."""

    __slots__ = ("_starts", "_reach")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        # The furthest end among the spans starting at or before each one.
        self._reach = list(accumulate((e for _, e in ordered), max))

    def covers(self, start: int, end: int) -> bool:
        """Some span holds all of [start, end)."""
        k = bisect_right(self._starts, start)
        return k > 0 and self._reach[k - 1] >= end

    def overlaps(self, start: int, end: int) -> bool:
        """Some span shares a character with [start, end)."""
        k = bisect_left(self._starts, end)
        return k > 0 and self._reach[k - 1] > start


def _printed_years(text: str, sentences: Sequence[tuple[int, int]]) -> list[frozenset[str]]:
    """The years printed in each sentence, as ``_YEAR`` finds them in that sentence alone."""
    # One scan of the whole text instead of one per sentence. The look-behind sees the text
    # before a sentence either way; the look-ahead does not, because a search bounded at the
    # sentence end treats that end as the end of the text. A match the look-behind rejects
    # lies inside a run of digits, where no year can start, so it hides no other match.
    starts: list[int] = []
    years: list[str] = []
    for m in _YEAR_DIGITS.finditer(text):
        at = m.start()
        if at == 0 or not text[at - 1].isdecimal():
            starts.append(at)
            years.append(m.group())
    out = []
    for s, e in sentences:
        found = set()
        for k in range(bisect_left(starts, s), len(starts)):
            at = starts[k] + 4
            if at > e:
                break
            if at == e or not text[at].isdecimal():
                found.add(years[k])
        out.append(frozenset(found))
    return out


def _years_near(printed: list[frozenset[str]], seg: Segments, i: int) -> frozenset[str]:
    """Years printed in sentence ``i`` or the window before it, within its paragraph."""
    years = printed[i]
    paragraph_start = None
    for j in range(max(0, i - YEAR_SENTENCE_WINDOW), i):
        if not printed[j] or printed[j] <= years:
            continue
        if paragraph_start is None:
            paragraph_start = seg.paragraph_of(*seg.sentences[i])[0]
        if seg.sentences[j][0] >= paragraph_start:
            years = years | printed[j]
    return years


def _mention(doc: Document, start: int, end: int, sentence: str, spelling: str, entry: Entry,
             ref_ids: tuple[str, ...], rules_version: str) -> Mention:
    word = doc.text[start:end]
    variant = word if fold(word) != spelling else None
    return Mention(doc.doc_id, doc.source, "CITATION", start, end, word, sentence, RULE_ID,
                   rules_version, style="narrative", authors=(word,), year=entry.year,
                   ref_ids=ref_ids, study_key=entry.study_key, name_variant=variant)
