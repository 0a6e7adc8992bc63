"""Files in raw/ -> Documents with canonical text (DESIGN.md §5, §10).

Every failure becomes a Document with ``status="error"`` and a one-line reason, so one bad
file never costs the other documents their results.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from pipeline import config
from pipeline.errors import IngestError
from pipeline.records import Document

_MEDIA_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
                ".pdf": "application/pdf"}


def list_inputs(raw_dir: Path) -> list[Path]:
    """Every file under ``raw_dir`` in a stable order, hidden files skipped.

    Symlinks are listed too, and so are symlinked folders that lead outside the corpus:
    ``read`` refuses them, which leaves a visible error row instead of a silently missing
    file. Symlinked folders inside the corpus are not followed (their files are listed at
    their real path already), so a link loop cannot make the walk endless.
    """
    root = Path(raw_dir)
    real_root = root.resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        keep = []
        for d in sorted(d for d in dirnames if not d.startswith(".")):
            path = Path(dirpath) / d
            if not path.is_symlink():
                keep.append(d)
            elif not path.resolve().is_relative_to(real_root):
                found.append(path)
        dirnames[:] = keep
        found.extend(Path(dirpath) / name for name in filenames if not name.startswith("."))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read(path: Path, root: Path) -> Document:
    """Read one file into a Document; never raises for bad content.

    Args:
        path: a file listed by ``list_inputs`` (or any path under ``root``).
        root: the corpus root; nothing outside it is read.

    Returns:
        An ``ok`` Document, or one with ``status="error"`` and a one-line reason.
    """
    source = _source(path, root)
    media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    try:
        data = _read_bytes(path, root)
    except IngestError as err:
        return Document(stable_path_id(source), source, "", media_type, status="error",
                        error=one_line(str(err)))
    doc_id = _content_id(data)
    try:
        if media_type == "application/pdf":
            from pipeline import pdf  # pdfplumber is imported only when a PDF shows up

            text, layout = pdf.read_pdf(data)
            return Document(doc_id, source, text, media_type, "", len(data), layout=layout)
        text, encoding = decode_text(data)
        return Document(doc_id, source, text, media_type, encoding, len(data))
    except IngestError as err:
        reason = str(err)
    except Exception as err:  # noqa: BLE001 - a parser bug must not sink the run either
        reason = f"unreadable file: {type(err).__name__}: {err}"
    return Document(doc_id, source, "", media_type, n_bytes=len(data), status="error",
                    error=one_line(reason))


def probe(path: Path, root: Path) -> tuple[str, str]:
    """``(source, input_key(read(path, root)))`` from the bytes alone, without decoding.

    The same bytes give the same Document under the same code, so an unchanged corpus is
    recognised before any file is decoded or any PDF parsed.
    """
    source = _source(path, root)
    try:
        return source, _content_id(_read_bytes(path, root))
    except IngestError as err:
        return source, _unread_key(stable_path_id(source), one_line(str(err)))


def input_key(doc: Document) -> str:
    """What identifies the input behind ``doc``: its content hash, or for a file that could
    not be read (the only kind of Document without bytes), its path id and the reason."""
    return doc.doc_id if doc.n_bytes else _unread_key(doc.doc_id, doc.error)


def _unread_key(doc_id: str, reason: str) -> str:
    return f"{doc_id} {reason}"


def _content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def one_line(reason: str, limit: int = 300) -> str:
    """A reason fit for one CSV cell and one terminal line: first line, control chars out."""
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    first = lines[0] if lines else "unreadable file"
    first = "".join(ch if ch.isprintable() else " " for ch in first)
    return first if len(first) <= limit else first[:limit - 3] + "..."


def _source(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # a path given outside the root still gets a row, under its name
        return path.name


def stable_path_id(source: str) -> str:
    """Id for a file whose bytes could not be read: derived from its path instead."""
    return "path-" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:11]


def _read_bytes(path: Path, root: Path) -> bytes:
    """The file's bytes, read only if it is a regular file inside ``root`` within the limit."""
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        kind = "symlink" if path.is_symlink() else "path"
        raise IngestError(f"refused: {kind} points outside the corpus root")
    suffix = path.suffix.lower()
    if path.is_dir():
        raise IngestError("refused: a folder, not a file")
    if suffix not in config.SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type '{suffix or path.name}' "
                          f"(supported: {', '.join(config.SUPPORTED_SUFFIXES)})")
    limit = config.MAX_PDF_BYTES if suffix == ".pdf" else config.MAX_TEXT_BYTES
    try:
        return _bounded_read(target, limit)
    except OSError as err:
        raise IngestError(f"cannot read file: {err.strerror or err}") from err


def _bounded_read(target: Path, limit: int) -> bytes:
    # O_NONBLOCK: opening a FIFO must not hang the run; O_NOFOLLOW: the resolved path must
    # not have been swapped for a symlink since it was checked.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IngestError("refused: not a regular file (device, FIFO or socket)")
        if info.st_size > limit:
            raise IngestError(f"file too large: {_mb(info.st_size)} exceeds the "
                              f"{_mb(limit)} limit (not read)")
        # Read at most limit + 1 bytes: a file that grows after the size check is still
        # never held in memory beyond the limit.
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise IngestError(f"file too large: over the {_mb(limit)} limit (grew while read)")
    if not data:
        raise IngestError("empty file (0 bytes)")
    return data


def _mb(n: int) -> str:
    if n < 1_000_000:
        return f"{n} bytes"
    return f"{n / 1e6:.1f} MB" if n % 1_000_000 else f"{n // 1_000_000} MB"


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
        raise IngestError(f"undecodable text (guessed {encoding})") from err


# Detection often ties several code pages on Western text (cp1250 vs cp1252); the common
# ones win such ties.
_COMMON = ("cp1252", "latin_1", "iso8859_15", "cp1251", "shift_jis", "gb18030")


def _prefer_common(matches) -> str:
    best = matches[0]
    ties = [m.encoding for m in matches
            if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01]
    return next((c for c in _COMMON if c in ties), best.encoding)


# Control characters other than tab, line feed, form feed and carriage return.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _checked(text: str) -> str:
    if not text.strip():
        raise IngestError("empty file (no text)")
    # Only the head was sniffed for NUL bytes; a NUL anywhere (or a UTF-16 U+0000) would
    # also cut cells short in pandas' CSV reader, so such a file is not text.
    if "\x00" in text:
        raise IngestError("binary file: contains NUL characters (not text)")
    sample = text[:65536]
    controls = len(_CONTROLS.findall(sample))
    if controls > 0.05 * len(sample):
        raise IngestError("binary file: too many control characters for text")
    return text
