"""Dedup benchmark: precision and recall of planted copies in a synthetic corpus, and speed.

Used by ``litx bench --dedup``. The planted relations are whole-document ones (copy, near-copy,
one document containing most of another), so a predicted pair is two documents of which at least
``PAIR_MIN_FRACTION`` of one is aligned with the other (PERF-NOTES §4 used the same kind of rule).
Pairs sharing only a passage or two are reported separately (``any_overlap_*``): the generator
builds every base document from the same seed paragraphs, so unrelated documents do share
near-identical passages, and those are real passage-level copies that ``link_copies`` should link.
A planted (source, derived) pair is a true pair; so is a pair of two documents derived from the
same source, as in PERF-NOTES §4.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from pipeline import dedupe, synth
from pipeline.alignment import covered
from pipeline.passages import content_len
from pipeline.records import Document

PAIR_MIN_FRACTION = 0.2  # true pairs >= 0.40, unrelated pairs <= 0.06 at 1k docs
SEED_DIR = Path(__file__).resolve().parents[1] / "raw"


def _documents(manifest: synth.Manifest) -> tuple[list[Document], dict[str, str]]:
    """Build Documents as ingest would (doc_id from the bytes); return them and id -> name."""
    docs, names = [], {}
    for name, text in manifest.texts.items():
        data = text.encode("utf-8")
        doc_id = hashlib.sha256(data).hexdigest()[:16]
        docs.append(Document(doc_id, f"docs/{name}.txt", text, n_bytes=len(data)))
        names[doc_id] = name
    return docs, names


def _true_pairs(manifest: synth.Manifest) -> tuple[set[frozenset], set[frozenset]]:
    """Return (planted pairs, pairs that count as true for precision)."""
    planted = {frozenset(p) for p in manifest.planted_pairs()}
    by_source = defaultdict(list)
    for src, derived in manifest.planted_pairs():
        by_source[src].append(derived)
    siblings = {frozenset(p) for kids in by_source.values() for p in combinations(sorted(kids), 2)}
    return planted, planted | siblings


def _pair_fractions(result: dedupe.DedupResult, docs: dict[str, Document]) -> dict[frozenset, float]:
    """Return, per document pair, the larger share of either document aligned with the other."""
    spans: dict[tuple[str, str], list] = defaultdict(list)
    for o in result.overlaps:
        spans[(o.doc_a, o.doc_b)].append((o.start_a, o.end_a))
        spans[(o.doc_b, o.doc_a)].append((o.start_b, o.end_b))
    best: dict[frozenset, float] = defaultdict(float)
    for (x, y), s in spans.items():
        frac = covered(docs[x].text, s) / max(1, content_len(docs[x].text))
        best[frozenset((x, y))] = max(best[frozenset((x, y))], frac)
    return best


def _prf(predicted: set, planted: set, acceptable: set) -> tuple[float, float]:
    recall = len(planted & predicted) / len(planted) if planted else 1.0
    precision = len(acceptable & predicted) / len(predicted) if predicted else 1.0
    return precision, recall


def score(
    result: dedupe.DedupResult, docs: list[Document], names: dict[str, str], manifest: synth.Manifest
) -> dict:
    """Compare the predicted document pairs with the planted ones."""
    fractions = _pair_fractions(result, {d.doc_id: d for d in docs})
    named = {frozenset(names[i] for i in k): v for k, v in fractions.items()}
    predicted = {k for k, v in named.items() if v >= PAIR_MIN_FRACTION}
    planted, acceptable = _true_pairs(manifest)
    precision, recall = _prf(predicted, planted, acceptable)
    any_p, any_r = _prf(set(named), planted, acceptable)
    return {
        "planted_pairs": len(planted),
        "predicted_pairs": len(predicted),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "any_overlap_pairs": len(named),
        "any_overlap_precision": round(any_p, 4),
        "any_overlap_recall": round(any_r, 4),
        "missed": sorted(tuple(sorted(p)) for p in planted - predicted)[:10],
        "false": sorted(tuple(sorted(p)) for p in predicted - acceptable)[:10],
    }


def run(n_docs: int, seed: int = 42, work_dir: Path | None = None) -> dict:
    """Generate a corpus, run ``find_overlaps`` on it and score the planted pairs.

    Args:
        n_docs: number of synthetic documents.
        seed: generator seed.
        work_dir: when given, the corpus is also written there (docs/ and manifest.csv).

    Returns:
        n_docs, MB (10^6 bytes of UTF-8), seconds and cpu_seconds (find_overlaps only, no
        signature cache), MB/s, docs/s (by wall time), precision, recall, counts, and the dedup stats.
    """
    if work_dir is not None:
        manifest = synth.generate(SEED_DIR, work_dir, n_docs, seed)
    else:
        manifest = synth.generate_corpus(SEED_DIR, n_docs, seed)
    docs, names = _documents(manifest)
    mb = sum(d.n_bytes for d in docs) / 1e6
    t0, c0 = time.perf_counter(), time.process_time()
    result = dedupe.find_overlaps(docs)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"n_docs": n_docs, "seed": seed, "MB": round(mb, 2), "seconds": round(seconds, 2)}
    out["cpu_seconds"] = round(cpu, 2)  # the machine may be shared: CPU time is the fairer figure
    out["MB/s"] = round(mb / seconds, 2)
    out["docs/s"] = round(n_docs / seconds, 1)
    out.update(score(result, docs, names, manifest))
    out["stats"] = dict(result.stats)
    return out


if __name__ == "__main__":  # python -m pipeline.dedup_bench N [SEED]
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(json.dumps(run(n, int(sys.argv[2]) if len(sys.argv) > 2 else 42), indent=1))
