"""From verified passage pairs to aligned spans, per-document links and mention copies.

Pure functions over records: ``dedupe`` finds which passages match; this module decides what the
matches mean (which document is the copy, which spans are aligned, which mention copies which).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from pipeline.passages import Signatures, content_len, fold
from pipeline.records import DocLinks, Document, Mention, Overlap

K = TypeVar("K", bound=Hashable)

# --- tunables -------------------------------------------------------------------------------
CONTAINED_MIN = 0.90  # share of a document's text aligned inside one other to be "contained"
DUPLICATE_MIN = 0.90  # both documents at least this much inside each other: near-identical

Span = tuple[int, int]


def align(docs: Sequence[Document], sigs: Sequence[Signatures], pairs: Mapping) -> list[Overlap]:
    """Merge verified passage pairs into aligned spans and orient each document pair.

    Args:
        docs: documents, indexed like ``sigs``.
        sigs: each document's passages (spans) and signatures.
        pairs: ``{(x, y): {(i, j): score}}``: passage ``i`` of document ``x`` matches passage ``j``
            of document ``y``.

    Returns:
        ``Overlap`` rows sorted by (doc_a, doc_b, start_b); ``doc_a`` is the original.
    """
    rows = []
    sizes: dict[int, int] = {}  # content length per document, counted once
    for (x, y), found in pairs.items():
        runs = _runs(_one_to_one(found))
        spans_x = [_span(sigs[x], r[0][0], r[-1][0]) for r in runs]
        spans_y = [_span(sigs[y], r[0][1], r[-1][1]) for r in runs]
        scores = [_mean_score(r, found, sigs[x]) for r in runs]
        for d in (x, y):
            if d not in sizes:
                sizes[d] = max(1, content_len(docs[d].text))
        frac_x = covered(docs[x].text, spans_x) / sizes[x]
        frac_y = covered(docs[y].text, spans_y) / sizes[y]
        if _x_is_original(docs[x], docs[y], frac_x, frac_y):
            a, b, sa, sb = docs[x], docs[y], spans_x, spans_y
        else:
            a, b, sa, sb = docs[y], docs[x], spans_y, spans_x
        for (s_a, e_a), (s_b, e_b), sc in zip(sa, sb, scores):
            rows.append(Overlap(a.doc_id, s_a, e_a, b.doc_id, s_b, e_b, sc))
    return sorted(rows, key=lambda o: (o.doc_a, o.doc_b, o.start_b, o.start_a))


def _x_is_original(x: Document, y: Document, frac_x: float, frac_y: float) -> bool:
    """The copy is the document with more of its text aligned; near-identical: source order."""
    near_identical = frac_x >= DUPLICATE_MIN and frac_y >= DUPLICATE_MIN
    if near_identical or abs(frac_x - frac_y) < 1e-9:
        return (x.source, x.doc_id) <= (y.source, y.doc_id)
    return frac_x < frac_y


def _one_to_one(found: Mapping[tuple[int, int], float]) -> list[tuple[int, int]]:
    """Keep each passage in at most one pair: best score first, then text order."""
    used_i, used_j, kept = set(), set(), []
    for (i, j), _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            kept.append((i, j))
    return sorted(kept)


def _runs(pairs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Group pairs that follow each other in both documents (i+1, j+1) into runs."""
    runs: list[list[tuple[int, int]]] = []
    for i, j in pairs:
        if runs and runs[-1][-1] == (i - 1, j - 1):
            runs[-1].append((i, j))
        else:
            runs.append([(i, j)])
    return runs


def _span(sig: Signatures, first: int, last: int) -> Span:
    return int(sig.spans[first][0]), int(sig.spans[last][1])


def _mean_score(run: list[tuple[int, int]], found: Mapping, sig: Signatures) -> float:
    """Passage scores weighted by passage length, rounded so that outputs stay byte-stable."""
    weights = [int(sig.spans[i][1] - sig.spans[i][0]) for i, _ in run]
    total = sum(w * found[p] for w, p in zip(weights, run))
    return round(total / max(1, sum(weights)), 2)


def covered(text: str, spans: Iterable[Span]) -> int:
    """Return the number of content characters of ``text`` inside the union of ``spans``."""
    total, cur_s, cur_e = 0, -1, -1
    for s, e in sorted(spans):
        if s > cur_e:
            total += content_len(text[cur_s:cur_e]) if cur_e > cur_s else 0
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + (content_len(text[cur_s:cur_e]) if cur_e > cur_s else 0)


def doc_links(docs: Sequence[Document], overlaps: Sequence[Overlap]) -> dict[str, DocLinks]:
    """Derive ``duplicate_of``, ``contained_in`` and ``overlap_fraction`` for every document.

    Args:
        docs: the ok documents.
        overlaps: aligned spans from ``align``.

    Returns:
        One ``DocLinks`` per document, keyed by doc_id.
    """
    by_id = {d.doc_id: d for d in docs}
    spans: dict[str, list[Span]] = defaultdict(list)  # every aligned span of a document
    toward: dict[tuple[str, str], list[Span]] = defaultdict(list)  # (doc, partner) -> doc's spans
    for o in overlaps:
        spans[o.doc_a].append((o.start_a, o.end_a))
        spans[o.doc_b].append((o.start_b, o.end_b))
        toward[(o.doc_a, o.doc_b)].append((o.start_a, o.end_a))
        toward[(o.doc_b, o.doc_a)].append((o.start_b, o.end_b))
    sizes = {d: max(1, content_len(by_id[d].text)) for d in spans}
    overall = {d: round(covered(by_id[d].text, s) / sizes[d], 4) for d, s in spans.items()}
    fraction = {k: covered(by_id[k[0]].text, v) / sizes[k[0]] for k, v in toward.items()}
    dup_of, contained = _pair_links(by_id, {(o.doc_b, o.doc_a) for o in overlaps}, fraction)
    return {
        d.doc_id: DocLinks(
            d.doc_id,
            duplicate_of=_root(dup_of, d.doc_id),
            contained_in=contained.get(d.doc_id),
            overlap_fraction=overall.get(d.doc_id, 0.0),
        )
        for d in docs
    }


def _pair_links(
    by_id: Mapping[str, Document], copies: set[tuple[str, str]], fraction: Mapping[tuple[str, str], float]
) -> tuple[dict[str, str], dict[str, str]]:
    """Return (duplicate_of, contained_in) from each (copy, original) pair's aligned shares."""
    dup_of: dict[str, str] = {}
    contained: dict[str, str] = {}
    # best-covered original first, ties by source, so the choice does not depend on input order
    for b, a in sorted(copies, key=lambda p: (-fraction[p], _key(by_id, p[1]))):
        if fraction[(b, a)] >= CONTAINED_MIN:
            contained.setdefault(b, a)
        if fraction[(b, a)] >= DUPLICATE_MIN and fraction[(a, b)] >= DUPLICATE_MIN:
            if b not in dup_of or _key(by_id, a) < _key(by_id, dup_of[b]):
                dup_of[b] = a
    return dup_of, contained


def _key(by_id: Mapping[str, Document], doc_id: str) -> tuple[str, str]:
    return by_id[doc_id].source, doc_id


def _root(parent: Mapping[K, K], key: K) -> K | None:
    """Follow copy links to the first original (a copy of a copy names the original).

    Used for documents (duplicate_of) and for mentions (copy_of); cycles stop the walk.
    """
    seen, cur = {key}, parent.get(key)
    while cur is not None and cur in parent and parent[cur] not in seen:
        seen.add(cur)
        cur = parent[cur]
    return cur


def link_copies(
    mentions: Sequence[Mention], overlaps: Sequence[Overlap], docs: Mapping[str, Document]
) -> list[Mention]:
    """Set ``copy_of`` on mentions of copied spans (see ``dedupe.link_copies``)."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for k, m in enumerate(mentions):
        by_doc[m.doc_id].append(k)
    keys = [(m.label, fold(m.text)) for m in mentions]  # what "the same mention" means
    parent: dict[int, int] = {}
    for o in overlaps:
        if o.doc_a not in docs or o.doc_b not in docs:
            continue
        originals: dict[tuple[str, str], list[int]] = defaultdict(list)
        for k in by_doc.get(o.doc_a, ()):
            if _within(mentions[k], o.start_a, o.end_a):
                originals[keys[k]].append(k)
        for k in by_doc.get(o.doc_b, ()):
            if k not in parent and _within(mentions[k], o.start_b, o.end_b) and keys[k] in originals:
                parent[k] = _nearest(mentions, k, originals[keys[k]], o)
    out = []
    for k, m in enumerate(mentions):
        root = _root(parent, k)
        out.append(m if root is None else m.with_(copy_of=mentions[root].mention_id))
    return out


def _within(m: Mention, start: int, end: int) -> bool:
    return start <= m.start and m.end <= end


def _nearest(mentions: Sequence[Mention], k: int, same: list[int], o: Overlap) -> int:
    """The candidate nearest the place in ``doc_a`` that corresponds to mention ``k`` of ``doc_b``."""
    scale = (o.end_a - o.start_a) / max(1, o.end_b - o.start_b)
    expected = o.start_a + (mentions[k].start - o.start_b) * scale
    return min(same, key=lambda c: (abs(mentions[c].start - expected), mentions[c].start))

