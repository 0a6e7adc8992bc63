"""A record of what produced extracted/, so an unchanged re-run can skip all later stages.

The fingerprint covers every input document's content hash and status, the rules and code
versions, and the curator decisions; the manifest also keeps each output file's hash, so a
hand-edited or deleted output makes the next run rebuild instead of trusting it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.atomic import atomic_write
from pipeline.records import Document

NAME = ".litx-manifest.json"


def fingerprint(docs: Sequence[Document], version: str, extra_files: Iterable[Path] = ()) -> str:
    h = hashlib.sha256(version.encode())
    for d in sorted(docs, key=lambda d: d.source):
        h.update(f"\0{d.source}\0{d.doc_id}\0{d.status}\0{d.error}".encode())
    for path in extra_files:
        h.update(b"\0" + (path.read_bytes() if path.is_file() else b"<absent>"))
    return h.hexdigest()


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
