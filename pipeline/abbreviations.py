"""Drug abbreviations defined in a document ("ketamine (KET)"), found by scispacy.

scispacy's ``abbreviation_detector`` (Schwartz & Hearst) works on a blank pipeline. It runs
only on sentences that hold a parenthesised short form, and only for documents with a dose,
so it costs nothing on most text. Short forms whose long form names a known drug map to it.
"""

from __future__ import annotations

import re
import threading
import warnings
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

from spacy.language import Language

# "(KET)", "(MK-801;" : a short form in brackets, starting with a letter, with a capital.
_SHORT_FORM = re.compile(r"\(\s*(?=[^)]{0,10}[A-Z])[A-Za-z][\w-]{0,9}\s*[);,]")
_OPEN = re.compile(r"\(")
_local = threading.local()
# The detector's global matcher is empty until it has seen a short form (spaCy's W036). The
# filter is also process-wide: catch_warnings() around the call is not thread-safe, and
# another thread leaving its own catch_warnings() restored the filters mid-call (the warning
# leaked into `litx bench` output).
_W036, _SCISPACY = r"\[W036\]", r"scispacy\.abbreviation"
warnings.filterwarnings("ignore", message=_W036, module=_SCISPACY)


def _detector() -> Language:
    """This thread's blank pipeline with the abbreviation detector (built on first use)."""
    nlp = getattr(_local, "nlp", None)
    if nlp is None:
        import spacy
        import scispacy.abbreviation  # noqa: F401  (registers the factory)

        nlp = _local.nlp = spacy.blank("en")
        detector = nlp.add_pipe("abbreviation_detector")
        # It adds a pattern per short form found, an ORTH sequence it builds itself; spaCy's
        # schema check of each (pydantic) cost more than matching it.
        detector.global_matcher.validate = False
    return nlp


def drug_aliases(text: str, sentences: Iterable[tuple[int, int]],
                 drugs: frozenset[str]) -> dict[str, str]:
    """Short form -> drug name, for short forms whose long form contains a listed drug.

    Args:
        text: the analysis view of the document.
        sentences: (start, end) spans of ``text`` worth checking, sorted and not overlapping.
        drugs: lower-case drug names (rules/lexicons/drugs.txt).
    """
    named = _names(drugs)
    spans = list(sentences)
    starts = [s for s, _ in spans]
    # Only where a listed drug stands just before the bracket can the long form name a drug.
    # A short form holds one "(" and opens with it, so trying each "(" in its sentence finds
    # what a scan of every sentence would, without a Python call per sentence.
    chosen_at: set[int] = set()
    for p in _OPEN.finditer(text):
        at = p.start()
        k = bisect_right(starts, at) - 1
        if k < 0 or k in chosen_at:
            continue
        s, e = spans[k]
        if (at < e and _SHORT_FORM.match(text, at, e)
                and named.search(text, max(s, at - _LONG_FORM_REACH), at)):
            chosen_at.add(k)
    chosen = [text[spans[k][0]:spans[k][1]] for k in sorted(chosen_at)]
    if not chosen:
        return {}
    aliases: dict[str, str] = {}
    with warnings.catch_warnings():  # for callers that reset the filters (pytest does)
        warnings.filterwarnings("ignore", message=_W036, module=_SCISPACY)
        docs = list(_detector().pipe(chosen))
    for doc in docs:
        # Sorted: the detector's own order is not stable between runs.
        for short in sorted(doc._.abbreviations, key=lambda s: s.start_char):
            drug = _drug_in(short._.long_form.text.lower(), drugs)
            if drug and short.text.lower() != drug:
                aliases.setdefault(short.text, drug)
    return aliases


_LONG_FORM_REACH = 60  # characters before "(" searched for a drug name


@lru_cache(maxsize=4)
def _names(drugs: frozenset[str]) -> re.Pattern[str]:
    body = "|".join(re.escape(d) for d in sorted(drugs, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{body})", re.I)


def _drug_in(long_form: str, drugs: frozenset[str]) -> str | None:
    """The longest listed drug named in ``long_form`` ("s-ketamine" -> "ketamine")."""
    words = set(re.findall(r"[a-z0-9][a-z0-9-]*", long_form))
    hits = [d for d in drugs if d in words or d == long_form]
    if not hits:
        hits = [d for d in drugs if re.search(rf"(?<![a-z]){re.escape(d)}(?![a-z])", long_form)]
    return max(hits, key=len) if hits else None
