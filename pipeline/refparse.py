"""Parse one formatted reference string into fields.

Reference styles differ mostly in where the year sits and how the tail is punctuated:
``Authors (2004) Title. Source 5: 101-113.`` (PLOS), ``Authors. Title. Source. 2007;28(2):105-14.``
(Vancouver/ICMJE), ``Authors, 2014b. Title. Source 76, 40-46.`` (Elsevier) and
``Authors 2008 Title Source ...`` (no punctuation). The parser reads the author list from the
start, the year right after it when present, the volume/pages tail from the end, and splits
what is left into title and source at the last sentence boundary.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.citation_rules import CitationRules, get_rules

_PAGE = r"[A-Za-z]{0,3}\d[\dA-Za-z]{0,12}"
_YEAR = r"(?:1[6-9]\d\d|20\d\d)"
_ISSUE = r"[^()]{1,25}"
_MONTH = r"(?:\s+[A-Z][a-z]{2,8}\.?(?:\s+\d{1,2})?(?:\s*[-\u2013]\s*[A-Z][a-z]{2,8}\.?)?)?"
_SUPPL = r"(?:\s+(?:Suppl|Pt|Part)\.?\s*[\dA-Z]{0,3})?"  # "50 Suppl 1": the volume is 50
_LABEL = re.compile(r"^\s*(?:\[\d{1,4}\]|\d{1,4}[.)]|[-\u2022*])\s+")
_DOI = re.compile(r"(?:(?:doi|DOI)\s*:?\s*|https?://(?:dx\.)?doi\.\s?org/\s?)?(?P<doi>10\.\d{4,9}/\S+)")
_IN = re.compile(r"(?:^|(?<=[.?!])\s+)In:\s*")
_EDITORS = re.compile(r"^[^.]{0,300}?\b(?:eds?|editors?)\b\.?,?\s*")
_PLACE_PUBLISHER = re.compile(r"[A-Z][\w .,'-]{1,60}:\s*[A-Z][\w .,&'-]{1,80}")
_BOUNDARY = re.compile(r"[.?!]\s+(?=\S)")

# Tail of the reference: ". 2007;28(2):105-14" (year first) or " 5: 101-113" (volume first).
_TAIL_YEAR = re.compile(
    rf"[.,]?\s*(?P<year>{_YEAR})(?P<suffix>[a-z]?){_MONTH}\s*[;:]\s*(?P<vol>[A-Za-z]?\d[\dA-Za-z]{{0,8}})?{_SUPPL}"
    rf"(?:\s*\((?P<iss>{_ISSUE})\))?(?:\s*:\s*(?P<fp>{_PAGE})(?:\s*[-\u2013]\s*(?P<lp>{_PAGE}))?)?[.,;]?\s*$"
)
_TAIL_VOL = re.compile(
    rf"[.,]?\s+(?:Vol\.?\s*)?(?P<vol>\d{{1,5}}[A-Za-z]?){_SUPPL}(?:\s*\((?P<iss>{_ISSUE})\))?(?:\s*[:,]\s*|\s+)"
    rf"(?:pp?\.?\s*)?(?P<fp>{_PAGE})(?:\s*[-\u2013]\s*(?P<lp>{_PAGE}))?[.,;]?\s*$"
)
_TAIL_PAGES = re.compile(rf"[.,]?(?:\s+pp?\.?\s*|\s*:\s*)(?P<fp>{_PAGE})(?:\s*[-\u2013]\s*(?P<lp>{_PAGE}))?[.,;]?\s*$")
_TAIL_BARE_YEAR = re.compile(rf"[.,]?\s*(?P<year>{_YEAR})(?P<suffix>[a-z]?)[.,;]?\s*$")


@lru_cache(maxsize=4)
def _name_patterns(rules: CitationRules) -> tuple[re.Pattern[str], ...]:
    s = rules.fragments["surname"]
    suffix = "|".join(re.escape(x) for x in sorted(rules.name_suffixes, key=len, reverse=True))
    initials = rules.fragments["initials"]
    tail = rf"(?:,?\s(?:{suffix})\b\.?)?"
    medline = rf"(?P<m>{s}(?:\s{s}){{0,3}})\s(?P<mi>{initials}){tail}"  # "van Oosterhout JJ", "Ferrell JE Jr"
    elsevier = rf"(?P<e>{s}(?:\s{s}){{0,3}}),\s(?:{initials}|[A-Z][a-z]+(?:\s[A-Z]\.)?){tail}"  # "Foltin, R.W."
    first = re.compile(rf"(?:{medline}|{elsevier})(?=[,.\s(]|$)")
    sep = re.compile(rf"\s?(?:,\s?(?:and\s|&\s)?|\sand\s|\s&\s)(?!\s*(?:{suffix})\b)")
    etal = re.compile(r",?\s*et\.?\s+al\.?,?")
    return first, sep, etal


def first_author_pattern(rules: CitationRules) -> str:
    """The regex source of the author that opens a reference (what ``read_authors`` reads first)."""
    return _name_patterns(rules)[0].pattern


@lru_cache(maxsize=4)
def _book_marker(rules: CitationRules) -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in sorted(rules.book_markers, key=len, reverse=True))
    return re.compile(rf"\b(?:{words})(?!\w)", re.IGNORECASE)


def read_authors(s: str, rules: CitationRules) -> tuple[list[str], int]:
    """Surnames at the start of ``s`` and the offset where the author list ends.

    Args:
        s: reference text (label already removed).
        rules: the citation rules (surname and initials fragments, name suffixes).

    Returns:
        (surnames in order, offset just after the list and any "et al.").
    """
    name, sep, etal = _name_patterns(rules)
    names: list[str] = []
    pos = 0
    while len(names) < 100:
        m = name.match(s, pos)
        if not m:
            break
        names.append(_surname(m.group("m"), m.group("mi"), rules) if m.group("m") else m.group("e"))
        pos = m.end()
        m_sep = sep.match(s, pos)
        if not m_sep or not name.match(s, m_sep.end()):
            break
        pos = m_sep.end()
    if names:
        m_etal = etal.match(s, pos)
        pos = m_etal.end() if m_etal else pos
    return names, pos


def _surname(words: str, initials: str, rules: CitationRules) -> str:
    """The surname of a Vancouver name "Words Initials", without given names spelled out in front.

    "Ivan Ezquerro-Romano I" prints the given name twice, in full and as the initial; the
    surname is what follows it. A leading word counts as a given name only when it is a plain
    capitalised word whose first letter is the next printed initial and not a name particle,
    so "De Luca F", "De Dominicis D", "Ruiz de Alda J" and "van der Berg A" stay whole.
    Two surnames whose first starts like the initial ("Garcia Marquez G") cannot be told apart
    from this and lose their first word; the last word always stays.
    """
    parts = words.split()
    letters = re.findall(r"[A-Z]", initials)
    particles = _particle_words(rules)
    k = 0
    while k < min(len(letters), len(parts) - 1) and _is_given_name(parts[k], letters[k], particles):
        k += 1
    return " ".join(parts[k:]) if k else words


def _is_given_name(word: str, initial: str, particles: frozenset[str]) -> bool:
    plain = len(word) > 1 and word[1:].isalpha() and word[1:].islower()  # "Ivan", not "MC" or "Ezquerro-Romano"
    return plain and word[0] == initial and word.lower() not in particles


@lru_cache(maxsize=4)
def _particle_words(rules: CitationRules) -> frozenset[str]:
    """Single words of the particle lexicon ("van der" gives "van" and "der"), lower case."""
    return frozenset(w.lower() for p in rules.particles for w in p.split())


def _clean(s: str, rules: CitationRules) -> tuple[str, str | None]:
    """Drop label, markdown emphasis and trailing links; return (text, repaired DOI)."""
    s = _LABEL.sub("", s.replace("*", ""), count=1)
    doi = None
    # Every DOI holds "10.", which str.find locates without the regex trying each position.
    m = _DOI.search(s) if "10." in s else None
    if m:
        doi = m.group("doi").rstrip(".,;")
        if doi.endswith(")") and doi.count("(") < doi.count(")"):
            doi = doi[:-1]
        s = s[: m.start()]
    trailing = _trailing(rules)
    m = trailing.search(s, 20) if trailing else None
    cut = m.start() if m else len(s)
    return " ".join(s[:cut].split()).strip(" .,;:"), doi


@lru_cache(maxsize=4)
def _trailing(rules: CitationRules) -> re.Pattern[str] | None:
    """Any trailing marker ("PMID:", "[CrossRef]"): the leftmost one cuts the entry. None
    without markers (an empty pattern would match everywhere)."""
    markers = rules.trailing_markers
    return re.compile("|".join(map(re.escape, markers))) if markers else None


_LEAD_YEAR = re.compile(rf"\s*[,.]?\s*\(?\s*(?P<y>{_YEAR})(?P<x>[a-z]?)\s*\)?(?:[.,:]|\s|$)\s*")
_PAREN_YEAR = re.compile(rf"\((?P<y>{_YEAR})(?P<x>[a-z]?)\)\.?\s*")


def _lead_year(s: str, pos: int) -> tuple[str | None, str | None, int]:
    """The year right after the authors; else a "(2006)" early in the string, which also
    ends an author part the name patterns could not read (group authors, odd names)."""
    m = _LEAD_YEAR.match(s, pos)
    if m:
        return m.group("y"), m.group("x") or None, m.end()
    m = _PAREN_YEAR.search(s, pos, pos + 300)
    if m:
        return m.group("y"), m.group("x") or None, m.end()
    m = re.compile(r"\s*[.,:]?\s*").match(s, pos)
    return None, None, m.end() if m else pos


def _split_title_source(body: str, has_tail: bool) -> tuple[str | None, str | None]:
    """Title is everything up to the last sentence boundary; the source follows it."""
    body = body.strip(" .,;:")
    if not body:
        return None, None
    cuts = list(_BOUNDARY.finditer(body))
    if not has_tail or not cuts:
        return body.rstrip("."), None
    # Dotted journal abbreviations ("Biol. Psychiatry") pull earlier short segments into the source.
    k = len(cuts) - 1
    while k > 0 and re.fullmatch(r"[A-Z][A-Za-z]{0,9}", body[cuts[k - 1].end() : cuts[k].start()]):
        k -= 1
    title, source = body[: cuts[k].start() + 1], body[cuts[k].end() :]
    title = title[:-1] if title.endswith(".") else title
    if title.startswith("{") and title.endswith("}"):  # BibTeX braces kept by some publishers
        title = title[1:-1]
    return title.strip() or None, source.strip(" .,;:") or None


def _is_book(body: str, rules: CitationRules) -> bool:
    """Publisher words, or a closing "Place: Publisher" segment ("Sunderland, MA: Sinauer")."""
    last = _BOUNDARY.split(body.strip(" .,;:"))[-1]
    return bool(_book_marker(rules).search(body) or _PLACE_PUBLISHER.fullmatch(last))


def _in_book(body: str, rules: CitationRules) -> tuple[str | None, str | None] | None:
    """A chapter: "Title. In: Editors, editors. Book title, Publisher. pp. 1-8"."""
    m = _IN.search(body) if "In:" in body else None
    if m is None:
        return None
    title = body[: m.start()].strip(" .,;:") or None
    after = _EDITORS.sub("", body[m.end() :], count=1)
    source = after.split(". ")[0]
    parts = source.split(", ")
    for k in range(1, len(parts)):  # ", Cambridge University Press, Cambridge" is not the book title
        if _book_marker(rules).search(", ".join(parts[k:])):
            source = ", ".join(parts[:k])
            break
    return title, source.strip(" .,;:") or None


def _title_source(body: str, fields: dict, has_tail: bool, rules: CitationRules) -> tuple[str | None, str | None]:
    chapter = _in_book(body, rules)
    if chapter:
        return chapter
    if not (fields.get("vol") or fields.get("fp")) and _is_book(body, rules):
        first = _BOUNDARY.split(body.strip(" .,;:"))[0]
        return None, first.strip(" .,;:") or None  # a book: its title is the source
    if not has_tail:
        # "Title. Cell." with neither volume nor DOI: a short closing segment is the journal.
        last = _BOUNDARY.split(body.strip(" .,;:"))[-1]
        has_tail = len(last.split()) <= 8 and last[:1].isupper() and not re.search(r"\d", last)
    return _split_title_source(body, has_tail)


# Longer than any tail match: each part of a tail pattern is bounded once whitespace is single
# spaces (``_clean`` makes it so), about 150 characters in all.
_TAIL_REACH = 400


def _tail(rest: str, year: str | None) -> tuple[re.Match[str] | None, str]:
    """Find the volume/pages tail; the book form "In: Source. pp. 1-8" is tried last."""
    # Tails end the string, so a search need not start far from the end: the engine would
    # otherwise try each pattern at every position of a long title.
    lo = max(0, len(rest) - _TAIL_REACH)
    for pattern in (_TAIL_YEAR, _TAIL_VOL, _TAIL_PAGES) if year is None else (_TAIL_VOL, _TAIL_YEAR, _TAIL_PAGES):
        m = pattern.search(rest, lo)
        if m and m.start() > 0:
            return m, rest[: m.start()]
    m = _TAIL_BARE_YEAR.search(rest, lo) if year is None else None
    return (m, rest[: m.start()]) if m and m.start() > 0 else (None, rest)


def parse_reference(s: str) -> dict:
    """Parse a formatted reference into fields.

    Args:
        s: one reference (its list label, markdown emphasis and trailing links are ignored).

    Returns:
        ``{"authors": tuple of surnames in order, "year", "year_suffix", "title", "journal",
        "volume", "issue", "fpage", "lpage", "doi"}``; fields not found are ``None``
        (``authors`` is ``()``). The DOI is repaired ("https://doi. org/10.1016/x" -> "10.1016/x").
    """
    rules = get_rules()
    text, doi = _clean(s, rules)
    names, pos = read_authors(text, rules)
    year, suffix, pos = _lead_year(text, pos)
    rest = text[pos:]
    tail, body = _tail(rest, year)
    fields = tail.groupdict() if tail else {}
    if year is None and fields.get("year"):
        year, suffix = fields["year"], fields.get("suffix") or None
    title, journal = _title_source(body, fields, tail is not None or doi is not None, rules)
    fp, lp = fields.get("fp"), fields.get("lp")
    if fp and lp is None and re.fullmatch(r"\d+e\d+", fp):  # PDF mojibake: "40e46" is "40-46"
        fp, lp = fp.split("e")
    return {
        "authors": tuple(names),
        "year": year,
        "year_suffix": suffix,
        "title": title,
        "journal": journal,
        "volume": fields.get("vol"),
        "issue": fields.get("iss"),
        "fpage": fp,
        "lpage": lp,
        "doi": doi,
    }
