"""Files in raw/ -> Documents with canonical text (DESIGN.md §5, §10).

Every failure becomes a Document with ``status="error"`` and a one-line reason, so one bad
file never costs the other documents their results.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipeline import config
from pipeline.errors import IngestError
from pipeline.records import Document

_MEDIA_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
                ".pdf": "application/pdf"}


def list_inputs(raw_dir: Path) -> list[Path]:
    """Every regular file under ``raw_dir`` in a stable order, hidden files skipped.

    Symlinks are listed too: ``read`` refuses those that escape the corpus root, which leaves
    a visible error row instead of a silently missing file.
    """
    root = Path(raw_dir)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith("."):
                found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read(path: Path, root: Path) -> Document:
    """Read one file into a Document; never raises for bad content."""
    source = path.relative_to(root).as_posix()
    media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    try:
        data = _read_bytes(path, root)
    except IngestError as err:
        return Document(stable_path_id(source), source, "", media_type, status="error",
                        error=str(err))
    doc_id = hashlib.sha256(data).hexdigest()[:16]
    try:
        if media_type == "application/pdf":
            from pipeline import pdf  # pdfplumber is imported only when a PDF shows up

            text, layout = pdf.read_pdf(data)
            return Document(doc_id, source, text, media_type, "", len(data), layout=layout)
        text, encoding = decode_text(data)
        return Document(doc_id, source, text, media_type, encoding, len(data))
    except IngestError as err:
        return Document(doc_id, source, "", media_type, n_bytes=len(data), status="error",
                        error=str(err))
    except Exception as err:  # noqa: BLE001 - a parser bug must not sink the run either
        reason = f"unreadable file: {type(err).__name__}: {err}".splitlines()[0][:300]
        return Document(doc_id, source, "", media_type, n_bytes=len(data), status="error",
                        error=reason)


def stable_path_id(source: str) -> str:
    """Id for a file whose bytes could not be read: derived from its path instead."""
    return "path-" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:11]


def _read_bytes(path: Path, root: Path) -> bytes:
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            raise IngestError("refused: symlink points outside the corpus root")
    suffix = path.suffix.lower()
    if suffix not in config.SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type '{suffix or path.name}' "
                          f"(supported: {', '.join(config.SUPPORTED_SUFFIXES)})")
    limit = config.MAX_PDF_BYTES if suffix == ".pdf" else config.MAX_TEXT_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise IngestError(f"file too large: {size / 1e6:.1f} MB exceeds the "
                              f"{limit / 1e6:.0f} MB limit")
        if size == 0:
            raise IngestError("empty file (0 bytes)")
        return path.read_bytes()
    except OSError as err:
        raise IngestError(f"cannot read file: {err.strerror or err}") from err


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOM-marked UTF-8/16/32, then UTF-8, then a detected charset.

    Raises:
        IngestError: the bytes are binary or no charset decodes them as text.
    """
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                       (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return _checked(data.decode(codec)), codec
            except UnicodeDecodeError as err:
                raise IngestError(f"invalid {codec} text: {err.reason}") from err
    if b"\x00" in data[:65536]:
        raise IngestError("binary file: contains NUL bytes (not text)")
    try:
        return _checked(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:1_000_000]))
    if not matches:
        raise IngestError("binary file: no text encoding fits its bytes")
    encoding = _prefer_common(matches)
    try:
        return _checked(data.decode(encoding)), encoding
    except (UnicodeDecodeError, LookupError) as err:
        raise IngestError(f"undecodable text (guessed {best.encoding})") from err


# Detection often ties several code pages on Western text (cp1250 vs cp1252); the common
# ones win such ties.
_COMMON = ("cp1252", "latin_1", "iso8859_15", "cp1251", "shift_jis", "gb18030")


def _prefer_common(matches) -> str:
    best = matches[0]
    ties = [m.encoding for m in matches
            if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01]
    return next((c for c in _COMMON if c in ties), best.encoding)


def _checked(text: str) -> str:
    if not text.strip():
        raise IngestError("empty file (no text)")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * len(sample):
        raise IngestError("binary file: too many control characters for text")
    return text
