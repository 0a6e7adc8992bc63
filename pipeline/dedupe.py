"""Passage-level deduplication: which documents copy which passages of which (DESIGN.md §6).

1. Every document is cut into passages with MinHash signatures (``pipeline.passages``), cached on
   disk by doc_id, so adding a document computes only its own signatures.
2. LSH banding over all passages gives candidate passage pairs; only passages colliding in a band
   are ever compared, so the work grows with the number of copies, not with all pairs.
3. Candidates with a low estimated Jaccard are dropped; the rest are verified with ``fuzz.ratio`` on
   folded passages, and verified pairs are extended to their neighbours (seed and extend), which
   recovers copied passages the LSH missed.
4. Aligned passages are merged into spans per document pair (``pipeline.alignment``), which yields
   the ``Overlap`` rows and each document's ``duplicate_of`` / ``contained_in`` /
   ``overlap_fraction``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from pipeline import alignment, passages
from pipeline.passages import Signatures
from pipeline.records import DocLinks, Document, Mention, Overlap

# --- tunables -------------------------------------------------------------------------------
LSH_BANDS, LSH_ROWS = 16, 8  # P(candidate) = 1-(1-J^8)^16: 0.95 at J=0.8, 7e-6 at J=0.16
MIN_EST_JACCARD = 0.30  # signatures agreeing on fewer rows are not worth a rapidfuzz call
MIN_RATIO = 90.0  # fuzz.ratio on folded passages; light-edit copies score 92-100 (bench, 1k docs)
MAX_BUCKET = 64  # a band bucket this full is boilerplate shared by many documents: skipped
# Boilerplate: a passage whose near-copies recur in more than BOILERPLATE_DOCS documents (author
# contributions, licence text, a reference-list block) is not a copy relation between two papers.
# Its frequency is estimated from coarse bands (DF_ROWS rows each, P(collide) = J^DF_ROWS), so it
# costs a sort, and such passages never enter the candidate stage (which would grow with the square
# of their frequency). They can still be aligned by extension next to a copied passage.
DF_BANDS, DF_ROWS = 4, 4
BOILERPLATE_DOCS = 10

assert LSH_BANDS * LSH_ROWS <= passages.NUM_PERM


@dataclass(frozen=True, slots=True)
class DedupResult:
    """Per-document links and the aligned passage pairs behind them."""

    links: dict[str, DocLinks]
    overlaps: tuple[Overlap, ...]
    stats: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass(slots=True)
class _Corpus:
    """The documents being compared, with their signatures, as flat arrays over all passages."""

    docs: list[Document]
    sigs: list[Signatures]
    owner: np.ndarray  # passage -> document index
    local: np.ndarray  # passage -> index within its document
    minhashes: np.ndarray  # (n_passages, NUM_PERM)
    folded: dict[int, str] = field(default_factory=dict)  # passage -> fold(text), filled lazily

    def fold(self, p: int) -> str:
        text = self.folded.get(p)
        if text is None:
            d, i = int(self.owner[p]), int(self.local[p])
            start, end = self.sigs[d].spans[i]
            text = self.folded[p] = passages.fold(self.docs[d].text[start:end])
        return text


def find_overlaps(docs: Sequence[Document], cache_dir: Path | None = None) -> DedupResult:
    """Align copied passages between documents and derive per-document links.

    Args:
        docs: documents; those with ``status == "error"`` are skipped, and a repeated doc_id
            (identical bytes) is compared once.
        cache_dir: where signatures are cached, one file per document and parameter version;
            ``None`` computes everything in memory.

    Returns:
        One ``DocLinks`` per ok document and the aligned passage pairs, sorted, so the same input
        always gives the same output.
    """
    ok = _unique_ok(docs)
    stats = {"documents": len(ok), "signatures_computed": 0, "signatures_cached": 0}
    clock = _Clock(stats)
    sigs = [_signatures(d, cache_dir, stats) for d in ok]
    corpus = _build_corpus(ok, sigs)
    clock.lap("cpu_ms_signatures")
    pairs = _verified_pairs(corpus, stats, clock)
    overlaps = alignment.align(corpus.docs, corpus.sigs, pairs)
    links = alignment.doc_links(ok, overlaps)
    clock.lap("cpu_ms_align")
    stats["overlaps"] = len(overlaps)
    return DedupResult(links, tuple(overlaps), stats)


class _Clock:
    """Adds the CPU milliseconds since the previous lap to ``stats`` (for the benchmark table)."""

    def __init__(self, stats: dict[str, int]) -> None:
        self.stats, self.last = stats, time.process_time()

    def lap(self, name: str) -> None:
        now = time.process_time()
        self.stats[name] = round((now - self.last) * 1000)
        self.last = now


def _unique_ok(docs: Sequence[Document]) -> list[Document]:
    seen: dict[str, Document] = {}
    for d in docs:
        if d.status != "error" and d.doc_id not in seen:
            seen[d.doc_id] = d
    return sorted(seen.values(), key=lambda d: (d.source, d.doc_id))


def _build_corpus(docs: list[Document], sigs: list[Signatures]) -> _Corpus:
    counts = np.array([len(s) for s in sigs], dtype=np.int64)
    owner = np.repeat(np.arange(len(docs)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    empty = np.zeros((0, passages.NUM_PERM), np.uint32)
    minhashes = np.concatenate([s.minhashes for s in sigs]) if sigs else empty
    return _Corpus(docs, sigs, owner, local, minhashes)


# --- signature cache --------------------------------------------------------------------------


def _cache_path(cache_dir: Path, doc_id: str) -> Path:
    return cache_dir / f"passages-{passages.PARAMS_VERSION}" / f"{doc_id}.sig"


def _signatures(doc: Document, cache_dir: Path | None, stats: dict[str, int]) -> Signatures:
    """Load a document's signatures from the cache, or compute (and store) them."""
    path = _cache_path(cache_dir, doc.doc_id) if cache_dir else None
    if path is not None and path.exists():
        cached = _read_sig(path)
        if cached is not None:
            stats["signatures_cached"] += 1
            return cached
    sig = passages.compute_signatures(doc.text)
    stats["signatures_computed"] += 1
    if path is not None:
        _write_sig(path, sig)
    return sig


def _write_sig(path: Path, sig: Signatures) -> None:
    # Layout: int64 passage count, int64 spans (n, 2), uint32 minhashes (n, NUM_PERM).
    blob = np.int64(len(sig)).tobytes() + sig.spans.astype("<i8").tobytes()
    blob += sig.minhashes.astype("<u4").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
    os.replace(tmp, path)  # readers see the old file or the whole new one, never half


def _read_sig(path: Path) -> Signatures | None:
    blob = path.read_bytes()
    n = int(np.frombuffer(blob[:8], "<i8")[0]) if len(blob) >= 8 else -1
    if n < 0 or len(blob) != 8 + n * 16 + n * passages.NUM_PERM * 4:
        return None  # damaged or foreign file: recompute
    spans = np.frombuffer(blob, "<i8", count=2 * n, offset=8).reshape(n, 2).astype(np.int64)
    mh = np.frombuffer(blob, "<u4", offset=8 + 16 * n).reshape(n, passages.NUM_PERM)
    return Signatures(spans, mh.astype(np.uint32))


# --- candidates and verification ------------------------------------------------------------


def _band_keys(minhashes: np.ndarray, band: int, rows: int = LSH_ROWS, offset: int = 0) -> np.ndarray:
    cols = minhashes[:, offset + band * rows : offset + (band + 1) * rows].astype(np.uint64)
    key = np.zeros(len(minhashes), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):  # order-sensitive mix of the band's rows into one 64-bit key
            key = (key ^ cols[:, j]) * np.uint64(0x100000001B3) + np.uint64(j + 1)
    return key


def boilerplate(minhashes: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Return a boolean mask of passages recurring in more than ``BOILERPLATE_DOCS`` documents.

    Args:
        minhashes: (n, NUM_PERM) signatures of all passages.
        owner: document index of each passage.

    Returns:
        (n,) bool array; the estimate is the largest count of distinct documents sharing one
        coarse band with the passage.
    """
    mask = np.zeros(len(minhashes), dtype=bool)
    for band in range(DF_BANDS):
        keys = _band_keys(minhashes, band, DF_ROWS, offset=LSH_BANDS * LSH_ROWS - DF_BANDS * DF_ROWS)
        # one passage per (key, document), so a document repeating a paragraph counts once
        pair = np.unique(np.stack([keys, owner.astype(np.uint64)], axis=1), axis=0)
        key_values, n_docs = np.unique(pair[:, 0], return_counts=True)
        big = key_values[n_docs > BOILERPLATE_DOCS]
        mask |= np.isin(keys, big)
    return mask


def candidate_pairs(minhashes: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Return unique passage pairs (i < j, from different documents) sharing an LSH band.

    Args:
        minhashes: (n, NUM_PERM) signatures of all passages.
        owner: document index of each passage.

    Returns:
        (k, 2) int64 array of passage indices.
    """
    found = []
    for band in range(LSH_BANDS):
        keys = _band_keys(minhashes, band)
        order = np.argsort(keys, kind="stable")
        sk = keys[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        sizes = np.diff(np.r_[starts, len(sk)])
        for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_BUCKET)]):
            # every pair within buckets of this size, vectorised over the buckets
            members = order[starts[sizes == size][:, None] + np.arange(size)]
            a, b = np.triu_indices(int(size), 1)
            found.append(np.stack([members[:, a].ravel(), members[:, b].ravel()], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    pairs = pairs[owner[pairs[:, 0]] != owner[pairs[:, 1]]]
    return np.unique(pairs, axis=0)


def _verified_pairs(corpus: _Corpus, stats: dict[str, int], clock: _Clock) -> dict[tuple[int, int], dict]:
    """Return verified passage alignments per document pair: {(doc x, doc y): {(i, j): score}}."""
    common = boilerplate(corpus.minhashes, corpus.owner)
    stats["boilerplate_passages"] = int(common.sum())
    keep = np.flatnonzero(~common)
    cand = keep[candidate_pairs(corpus.minhashes[keep], corpus.owner[keep])]
    stats["candidates"] = len(cand)
    agree = (corpus.minhashes[cand[:, 0]] == corpus.minhashes[cand[:, 1]]).mean(axis=1)
    cand = cand[agree >= MIN_EST_JACCARD]
    stats["candidates_kept"] = len(cand)
    clock.lap("cpu_ms_candidates")
    aligned: dict[tuple[int, int], dict[tuple[int, int], float]] = defaultdict(dict)
    for p, q in cand.tolist():
        score = fuzz.ratio(corpus.fold(p), corpus.fold(q), score_cutoff=MIN_RATIO)
        if score:
            dp, dq = int(corpus.owner[p]), int(corpus.owner[q])
            aligned[(dp, dq)][(int(corpus.local[p]), int(corpus.local[q]))] = score
    stats["passage_pairs_seeded"] = sum(len(v) for v in aligned.values())
    for (dx, dy), found in aligned.items():
        _extend(corpus, dx, dy, found)
    stats["passage_pairs"] = sum(len(v) for v in aligned.values())
    clock.lap("cpu_ms_verify")
    return aligned


def _extend(corpus: _Corpus, dx: int, dy: int, found: dict[tuple[int, int], float]) -> None:
    """Try the diagonal neighbours of aligned passages (seed and extend), in place."""
    base_x = int(np.searchsorted(corpus.owner, dx))
    base_y = int(np.searchsorted(corpus.owner, dy))
    nx, ny = len(corpus.sigs[dx]), len(corpus.sigs[dy])
    todo, tried = sorted(found), set(found)
    while todo:
        i, j = todo.pop()
        for di in (-1, 1):
            ni, nj = i + di, j + di
            if 0 <= ni < nx and 0 <= nj < ny and (ni, nj) not in tried:
                tried.add((ni, nj))
                score = fuzz.ratio(corpus.fold(base_x + ni), corpus.fold(base_y + nj), score_cutoff=MIN_RATIO)
                if score:
                    found[(ni, nj)] = score
                    todo.append((ni, nj))


# --- copies of mentions -------------------------------------------------------------------------


def link_copies(
    mentions: Sequence[Mention], result: DedupResult, docs: Mapping[str, Document]
) -> list[Mention]:
    """Set ``copy_of`` on mentions that sit in a copied passage.

    A mention of ``doc_b`` inside an aligned span is linked to the mention of ``doc_a`` with the
    same label and folded text nearest to the corresponding place in ``doc_a``'s span. Links are
    followed to the first original, so a copy of a copy points at the original.

    Args:
        mentions: mentions of any documents.
        result: the output of ``find_overlaps``.
        docs: documents by doc_id (used for the span lengths).

    Returns:
        The mentions in the same order; only ``copy_of`` may differ.
    """
    return alignment.link_copies(mentions, result.overlaps, docs)
