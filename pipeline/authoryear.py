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
from typing import TYPE_CHECKING, NamedTuple

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
# "DiazGranados". _NAME and _YEAR say what a name and a year are; the scans use the faster
# forms below, which tests hold to the same matches.
_PART = r"(?:[A-Z]['’])?[A-Z][a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+)?"
_NAME = re.compile(rf"(?<![\w'’-]){_PART}(?:-{_PART})*(?![\w-])")
# The same matches, led by the capital every name starts with instead of the look-behind, so
# the regex engine skips to capitals rather than trying every position (2x faster).
_NAME_FAST = re.compile(
    rf"[A-Z](?<![\w'’-].)(?:['’][A-Z])?[a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+)?(?:-{_PART})*(?![\w-])")
_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20[0-4]\d)(?!\d)")
# _YEAR without its look-arounds, which make the regex engine try every position (3-4x
# slower); _printed_years applies them by hand.
_YEAR_DIGITS = re.compile(r"(?:19[4-9]|20[0-4])\d")


@dataclass(frozen=True, slots=True)
class Entry:
    """One reference's first author, year and key."""

    surname: str  # as printed in the reference
    year: str
    study_key: str
    ref_id: str


class _YearEntries(NamedTuple):
    """A spelling's entries of one year: the first (with its position among all the
    spelling's entries), their study keys and their ref ids (sorted)."""

    first: tuple[int, Entry]
    keys: frozenset[str]
    ref_ids: tuple[str, ...]

    @staticmethod
    def group(entries: Sequence[Entry]) -> dict[str, _YearEntries]:
        by_year: dict[str, list[tuple[int, Entry]]] = {}
        for at, x in enumerate(entries):
            by_year.setdefault(x.year, []).append((at, x))
        return {y: _YearEntries(found[0], frozenset(x.study_key for _, x in found),
                                tuple(sorted({x.ref_id for _, x in found})))
                for y, found in by_year.items()}


@dataclass(frozen=True, slots=True)
class SurnameIndex:
    """Reference first-author surnames of the whole corpus, by folded spelling."""

    by_fold: dict[str, tuple[Entry, ...]]
    folds: tuple[str, ...]
    # Words looked up so far: the fuzzy fallback scans every indexed surname, and the same
    # capitalized words recur in every document of a corpus.
    memo: dict[str, tuple[str, tuple[Entry, ...]]] = field(default_factory=dict, compare=False)
    # What ``of_years`` found, and each spelling's entries summed up by year: a common surname
    # has an entry in every document that cites it, too many to go through per mention.
    by_years: dict[tuple[str, frozenset[str]], tuple[Entry, tuple[str, ...]] | None] = field(
        default_factory=dict, compare=False)
    by_year: dict[str, dict[str, _YearEntries]] = field(default_factory=dict, compare=False)

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
                per_year = self.by_year[spelling] = _YearEntries.group(self.by_fold[spelling])
            found = [per_year[y] for y in years if y in per_year]
            keys = frozenset().union(*(g.keys for g in found))
            if len(keys) != 1:
                self.by_years[key] = None
            elif len(found) == 1:
                self.by_years[key] = (found[0].first[1], found[0].ref_ids)
            else:
                ids = frozenset().union(*(g.ref_ids for g in found))
                self.by_years[key] = (min(g.first for g in found)[1], tuple(sorted(ids)))
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
    for i in _with_years_near(printed, len(seg.sentences)):
        s, e = seg.sentences[i]
        years = None  # worked out at the sentence's first name that is free to take
        for m in _NAME_FAST.finditer(text, s, e):
            spelling, entries = index.match(m.group())
            if not entries:
                continue
            start, end = m.span()
            # Most names that match are inside a citation already (the cheaper test first).
            if taken.overlaps(start, end):
                continue
            if years is None:
                years = _years_near(printed, seg, i)
            if not years:
                break
            found = index.of_years(spelling, years)
            if found is not None:
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


def _printed_years(text: str, sentences: Sequence[tuple[int, int]]) -> dict[int, frozenset[str]]:
    """Sentence index -> the years printed in that sentence, as ``_YEAR`` finds them in the
    sentence alone; sentences without a year are left out. ``sentences`` sorted by start."""
    # One scan of the whole text instead of one per sentence. The look-behind sees the text
    # before a sentence either way; the look-ahead does not, because a search bounded at the
    # sentence end treats that end as the end of the text. A match the look-behind rejects
    # lies inside a run of digits, where no year can start, so it hides no other match.
    starts = [s for s, _ in sentences]
    reach = list(accumulate((e for _, e in sentences), max))
    found: dict[int, set[str]] = {}
    for m in _YEAR_DIGITS.finditer(text):
        at = m.start()
        if at and text[at - 1].isdecimal():
            continue
        after = at + 4
        # Sentences starting at or before the year, back to where none reaches past it.
        k = bisect_right(starts, at) - 1
        while k >= 0 and reach[k] >= after:
            end = sentences[k][1]
            if end == after or (end > after and not text[after].isdecimal()):
                found.setdefault(k, set()).add(m.group())
            k -= 1
    return {k: frozenset(v) for k, v in found.items()}


def _with_years_near(printed: dict[int, frozenset[str]], n: int) -> list[int]:
    """Sentences (of ``n``) that have a year printed in them or in the window before them."""
    return sorted({i + d for i in printed for d in range(YEAR_SENTENCE_WINDOW + 1)
                   if i + d < n})


def _years_near(printed: dict[int, frozenset[str]], seg: Segments, i: int) -> frozenset[str]:
    """Years printed in sentence ``i`` or the window before it, within its paragraph."""
    years = printed.get(i, frozenset())
    paragraph_start = None
    for j in range(max(0, i - YEAR_SENTENCE_WINDOW), i):
        if j not in printed or printed[j] <= years:
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
