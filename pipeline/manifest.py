"""A record of what produced extracted/, so an unchanged re-run can skip all later stages.

The fingerprint covers every input's source and content hash (for a file that could not be
read, the reason), the rules and code versions, and the curator decisions: the same bytes
read by the same code give the same documents. The manifest also keeps each output file's
hash, so a hand-edited or deleted output makes the next run rebuild instead of trusting it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline import config, ingest, versioning
from pipeline.atomic import atomic_write
from pipeline.records import Document

NAME = ".litx-manifest.json"


def fingerprint(inputs: Iterable[tuple[str, str]], version: str,
                extra_files: Iterable[Path] = ()) -> str:
    """Hash of every input's ``(source, ingest.input_key)``, ``version`` and ``extra_files``."""
    h = hashlib.sha256(version.encode())
    for source, key in sorted(inputs):
        h.update(f"\0{source}\0{key}".encode())
    for path in extra_files:
        h.update(b"\0" + (path.read_bytes() if path.is_file() else b"<absent>"))
    return h.hexdigest()


def current(inputs: Iterable[tuple[str, str]], excel_safe: bool) -> str:
    """The fingerprint of a run over ``inputs`` with the rules, code and decisions of now."""
    # --excel-safe changes what is written, so it is part of what an up-to-date run means.
    version = versioning.cache_version() + ("|excel-safe" if excel_safe else "")
    return fingerprint(inputs, version, [config.RULES_DIR / "decisions.jsonl"])


def of_documents(docs: Sequence[Document], excel_safe: bool) -> str:
    """``current`` for documents already read (inside the flow)."""
    return current([(d.source, ingest.input_key(d)) for d in docs], excel_safe)


def up_to_date(raw_dir: Path, out_dir: Path, excel_safe: bool) -> dict | None:
    """The stored summary when ``out_dir`` is an intact build of ``raw_dir`` as it is now.

    Reads every input's bytes but decodes nothing and starts no Prefect: ``litx run`` asks
    this first, and an unchanged re-run then costs a hash of the corpus and the outputs
    instead of the Prefect server's start (~7-13 s here) and the flow.
    """
    if not (out_dir / NAME).is_file():
        return None  # a first run: the flow reads the corpus, once
    inputs = [ingest.probe(p, raw_dir) for p in ingest.list_inputs(raw_dir)]
    return unchanged(out_dir, current(inputs, excel_safe))


def _file_hashes(out_dir: Path) -> dict[str, str]:
    hashes = {}
    for path in sorted(out_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            with path.open("rb") as fh:  # read in blocks: mentions.csv alone is ~27 MB per 1k docs
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            hashes[path.relative_to(out_dir).as_posix()] = digest
    return hashes


def unchanged(out_dir: Path, fp: str) -> dict | None:
    """The stored summary when ``out_dir`` was built from ``fp`` and is intact, else None."""
    try:
        data = json.loads((out_dir / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fp or data.get("files") != _file_hashes(out_dir):
        return None
    return data.get("summary")


def record(out_dir: Path, fp: str, summary: dict) -> None:
    data = {"fingerprint": fp, "summary": summary, "files": _file_hashes(out_dir)}
    atomic_write(out_dir / NAME, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
