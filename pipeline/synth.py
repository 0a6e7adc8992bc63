"""Seeded synthetic corpus with planted overlaps, for the dedup and throughput benchmarks.

Base documents are assembled from the seed paragraphs (some spliced at a sentence boundary) and
then edited hard enough that two base documents drawing the same seed paragraph do not count as
copies: most numbers change, some words are replaced or swapped. About a tenth of the documents are
*derived* from an earlier base document (an exact copy, a lightly edited near-duplicate, or a
document containing most of it) and listed in the manifest. See shared PERF-NOTES §0.

Editing works on pre-tokenized paragraphs (a list of tokens that joins back to the text), so a
document costs a few list copies and a ``join`` rather than a regex callback per word.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import tempfile
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# --- tunables -------------------------------------------------------------------------------
MEAN_DOC_CHARS = 30_000
SIGMA_DOC = 0.5  # lognormal sigma of the target size
MIN_DOC_CHARS, MAX_DOC_CHARS = 3_000, 200_000
SPLICE_SHARE = 0.30  # share of drawn paragraphs made of two spliced paragraphs
DERIVED_SHARE = 0.10
# (kind, weight): how derived documents are made
DERIVED_KINDS: tuple[tuple[str, float], ...] = (("exact", 0.2), ("near_dup", 0.4), ("contains", 0.4))
BASE_EDIT = (0.70, 0.15, 0.02)  # share of numbers changed, words replaced, words swapped
LIGHT_EDIT = (0.15, 0.03, 0.0)
NEAR_DUP_KEEP = (0.80, 1.00)  # share of the source's paragraphs kept
CONTAINS_KEEP = (0.70, 0.90)
CONTAINS_NEW = (0.30, 0.80)  # new material, as a share of the source's length
EXACT_NBSP_SHARE = 0.01  # an exact copy differs only by a few non-breaking spaces
# Replacing these would break the doses, counts and citations the extractors look for.
PROTECTED = frozenset(
    "mg kg µg ml day days patients subjects participants rats mice individuals users "
    "dose doses were with from than that this week weeks hours".split()
)

_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?|[^A-Za-z\d]+")
# Surnames in author-year citations stay, so that citations survive the word replacements.
_CITATION = re.compile(
    r"[A-Z][A-Za-z'-]+(?:\s+(?:et al\.?|and|&)(?:\s+[A-Z][A-Za-z'-]+)?)?,?\s*\(?(?:19|20)\d\d"
)
_PARA_SPLIT = re.compile(r"\n[ \t\u00a0]*\n")


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """One generated document: ``kind`` is base, exact, near_dup or contains."""

    name: str  # file stem, e.g. d000042
    kind: str
    source: str  # name of the base document it was derived from; "" for base documents


@dataclass(frozen=True, slots=True)
class Manifest:
    """The generated corpus: rows in document order and, in memory, each document's text."""

    rows: tuple[ManifestRow, ...]
    texts: dict[str, str]

    def planted_pairs(self) -> set[tuple[str, str]]:
        """Return the (source, derived) pairs that were planted."""
        return {(r.source, r.name) for r in self.rows if r.source}


@dataclass(frozen=True, slots=True)
class _Para:
    tokens: tuple[str, ...]
    words: tuple[int, ...]  # token positions of replaceable lower-case words
    numbers: tuple[int, ...]  # token positions of numbers
    cuts: tuple[int, ...]  # token positions where a sentence starts (after the first)


def _para(text: str) -> _Para:
    tokens = tuple(_TOKEN.findall(text))
    cited = [m.span() for m in _CITATION.finditer(text)]
    cited_starts = [c[0] for c in cited]
    words, numbers, cuts, pos = [], [], [], 0
    for i, tok in enumerate(tokens):
        if tok[0].isdigit():
            numbers.append(i)
        elif len(tok) > 3 and tok.isalpha() and (tok.islower() or tok.istitle()):
            k = bisect_right(cited_starts, pos) - 1
            if tok.lower() not in PROTECTED and not (k >= 0 and pos < cited[k][1]):
                words.append(i)
        if i and tok[0].isupper() and tokens[i - 1].rstrip().endswith((".", "!", "?")):
            cuts.append(i)
        pos += len(tok)
    return _Para(tokens, tuple(words), tuple(numbers), tuple(cuts))


def _seed_pool(seed_dir: Path) -> tuple[list[_Para], tuple[str, ...]]:
    paras, vocab = [], set()
    for path in sorted(seed_dir.glob("*.txt")):
        for chunk in _PARA_SPLIT.split(path.read_text(encoding="utf-8")):
            if chunk.strip():
                p = _para(chunk.strip("\n"))
                paras.append(p)
                vocab.update(p.tokens[i].lower() for i in p.words)
    return paras, tuple(sorted(vocab))


def _new_number(tok: str, rng: random.Random) -> str:
    """Return a different, plausible number of the same shape (years stay years)."""
    if "." in tok:
        whole, frac = tok.split(".")
        value = rng.uniform(0, 2 * float(tok) + 1)
        return f"{value:.{len(frac)}f}"
    if len(tok) == 4 and tok[:2] in ("19", "20"):
        return str(rng.randint(1970, 2024))
    low = 10 ** (len(tok) - 1) if len(tok) > 1 else 1
    return str(rng.randint(low, 10 ** len(tok) - 1))


def _edit(p: _Para, rates: tuple[float, float, float], vocab: Sequence[str], rng: random.Random) -> str:
    """Apply number changes, word replacements and adjacent-word swaps; return the text.

    Words longer than three letters are replaced (keeping their capitalization) unless they are
    protected units or count nouns or part of an author-year citation.
    """
    num_rate, word_rate, swap_rate = rates
    toks = list(p.tokens)
    for i in rng.sample(p.numbers, round(len(p.numbers) * num_rate)):
        toks[i] = _new_number(toks[i], rng)
    for i in rng.sample(p.words, round(len(p.words) * word_rate)):
        word = rng.choice(vocab)
        toks[i] = word.capitalize() if toks[i][0].isupper() else word
    n_swaps = round(len(p.words) * swap_rate)
    for k in rng.sample(range(len(p.words) - 1), n_swaps) if len(p.words) > 1 else ():
        i, j = p.words[k], p.words[k + 1]
        toks[i], toks[j] = toks[j], toks[i]
    return "".join(toks)


def _splice(a: _Para, b: _Para, rng: random.Random) -> _Para:
    """Join the start of ``a`` to the end of ``b`` at sentence boundaries (when both have one)."""
    if not a.cuts or not b.cuts:
        return a
    ca, cb = rng.choice(a.cuts), rng.choice(b.cuts)

    def join(xs: tuple[int, ...], ys: tuple[int, ...]) -> tuple[int, ...]:
        # token positions before the cut in a, then b's positions after its cut, shifted
        return xs[: bisect_left(xs, ca)] + tuple(y - cb + ca for y in ys[bisect_left(ys, cb) :])

    tokens = a.tokens[:ca] + b.tokens[cb:]
    return _Para(tokens, join(a.words, b.words), join(a.numbers, b.numbers), join(a.cuts, b.cuts))


def _draw(pool: Sequence[_Para], vocab: Sequence[str], rng: random.Random, target: int, rates) -> list[str]:
    """Draw edited paragraphs until their total length reaches ``target`` characters."""
    out, size = [], 0
    while size < target:
        p = rng.choice(pool)
        if rng.random() < SPLICE_SHARE:
            p = _splice(p, rng.choice(pool), rng)
        text = _edit(p, rates, vocab, rng)
        out.append(text)
        size += len(text) + 2
    return out


def _target_size(rng: random.Random) -> int:
    mu = math.log(MEAN_DOC_CHARS) - SIGMA_DOC**2 / 2  # so that the mean is MEAN_DOC_CHARS
    return int(min(MAX_DOC_CHARS, max(MIN_DOC_CHARS, rng.lognormvariate(mu, SIGMA_DOC))))


def _near_dup(src: list[str], pool, vocab, rng: random.Random) -> list[str]:
    keep = _keep_in_order(src, NEAR_DUP_KEEP, rng)
    paras = [_edit(_para(t), LIGHT_EDIT, vocab, rng) for t in keep]
    for _ in range(rng.randint(0, 2)):  # a few paragraphs move
        if len(paras) > 2:
            paras.insert(rng.randrange(len(paras)), paras.pop(rng.randrange(len(paras))))
    for _ in range(rng.randint(0, 2)):  # and a few are new
        paras.insert(rng.randrange(len(paras) + 1), _draw(pool, vocab, rng, 1, BASE_EDIT)[0])
    return paras


def _contains(src: list[str], pool, vocab, rng: random.Random) -> list[str]:
    keep = _keep_in_order(src, CONTAINS_KEEP, rng)
    block = [_edit(_para(t), LIGHT_EDIT, vocab, rng) for t in keep]
    new_chars = int(sum(map(len, src)) * rng.uniform(*CONTAINS_NEW))
    new = _draw(pool, vocab, rng, new_chars, BASE_EDIT)
    cut = rng.randint(0, len(new))
    return new[:cut] + block + new[cut:]


def _exact(src: list[str], rng: random.Random) -> list[str]:
    text = "\n\n".join(src)
    spaces = [m.start() for m in re.finditer(" ", text)]
    chars = list(text)
    for i in rng.sample(spaces, max(1, round(len(spaces) * EXACT_NBSP_SHARE))):
        chars[i] = "\u00a0"
    return ["".join(chars)]


def _keep_in_order(src: list[str], share: tuple[float, float], rng: random.Random) -> list[str]:
    n_keep = max(1, round(len(src) * rng.uniform(*share)))
    return [src[i] for i in sorted(rng.sample(range(len(src)), n_keep))]


def _plan(n_docs: int, rng: random.Random) -> list[tuple[str, int]]:
    """Return (kind, source index) per document; derived ones point at an earlier base doc."""
    n_derived = round(n_docs * DERIVED_SHARE) if n_docs > 1 else 0
    derived = set(rng.sample(range(1, n_docs), n_derived)) if n_derived else set()
    kinds, weights = zip(*DERIVED_KINDS)
    plan, bases = [], []
    for i in range(n_docs):
        if i in derived:
            plan.append((rng.choices(kinds, weights)[0], rng.choice(bases)))
        else:
            plan.append(("base", -1))
            bases.append(i)
    return plan


def generate_corpus(seed_dir: Path, n_docs: int, seed: int = 42) -> Manifest:
    """Generate ``n_docs`` documents in memory.

    Args:
        seed_dir: folder with the seed ``*.txt`` files (their paragraphs form the pool).
        n_docs: number of documents.
        seed: random seed; the same seed gives the same corpus.

    Returns:
        The manifest, with every document's text in ``texts`` keyed by name.
    """
    rng = random.Random(seed)
    pool, vocab = _seed_pool(seed_dir)
    paras: dict[int, list[str]] = {}  # base documents' paragraphs, for deriving copies
    rows, texts = [], {}
    for i, (kind, src) in enumerate(_plan(n_docs, rng)):
        name = f"d{i:06d}"
        if kind == "base":
            paras[i] = _draw(pool, vocab, rng, _target_size(rng), BASE_EDIT)
            body = paras[i]
        elif kind == "exact":
            body = _exact(paras[src], rng)
        elif kind == "near_dup":
            body = _near_dup(paras[src], pool, vocab, rng)
        else:
            body = _contains(paras[src], pool, vocab, rng)
        texts[name] = "\n\n".join(body) + "\n"
        rows.append(ManifestRow(name, kind, f"d{src:06d}" if src >= 0 else ""))
    return Manifest(tuple(rows), texts)


def generate(seed_dir: Path, out_dir: Path, n_docs: int, seed: int = 42) -> Manifest:
    """Generate the corpus and write ``out_dir/docs/<name>.txt`` and ``out_dir/manifest.csv``.

    Args:
        seed_dir: folder with the seed ``*.txt`` files.
        out_dir: output folder (created).
        n_docs: number of documents.
        seed: random seed.

    Returns:
        The manifest (texts included).
    """
    manifest = generate_corpus(seed_dir, n_docs, seed)
    docs_dir = out_dir / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    for name, text in manifest.texts.items():
        (docs_dir / f"{name}.txt").write_text(text, encoding="utf-8")
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["doc", "kind", "source"])
        writer.writerows((r.name, r.kind, r.source) for r in manifest.rows)
    os.replace(tmp, out_dir / "manifest.csv")
    return manifest
