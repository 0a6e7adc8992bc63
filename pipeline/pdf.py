"""PDF ingestion: canonical text whose every character maps back to its page and box.

The text is read through pdfplumber's text map (one entry per output character, carrying its
char object), region by region in reading order (:mod:`pipeline.pdf_layout`), with running
headers, footers and page numbers left out and superscript citation marks tagged
(:mod:`pipeline.pdf_text`). Hyphenated line breaks stay in the canonical text; the analysis
view (:func:`pipeline.normalize.analysis_view` with ``dehyphenate=True``) joins them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from time import perf_counter

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import IngestError
from pipeline.pdf_layout import (
    MarginLine,
    body_size,
    dedupe_overprint,
    page_regions,
    running_keys,
    split_margins,
)
from pipeline.pdf_text import Extent, Line, line_pitch, region_lines, starts_paragraph
from pipeline.records import CharBox, Layout

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class _Page:
    number: int
    size: float  # body font size
    margins: tuple[MarginLine, ...]
    blocks: tuple[tuple[Line, ...], ...]  # body regions in reading order
    two_column: bool


@dataclass(frozen=True, slots=True)
class PdfStats:
    """What ingestion saw, for the benchmark and the docs."""

    n_pages: int
    two_column_pages: tuple[int, ...]  # 1-based page numbers


def read_pdf(data: bytes) -> tuple[str, Layout]:
    """Turn PDF bytes into canonical text and the page and box of each character.

    Args:
        data: the file's bytes.

    Returns:
        The canonical text and its :class:`~pipeline.records.Layout`: ``page_starts[i]`` is
        the offset of page ``i + 1``'s first character, ``boxes[k]`` the
        ``(page, x0, top, x1, bottom)`` of ``text[k]`` in PDF points, or ``None`` for
        characters the reader inserted (spaces, line breaks, ``<sup>`` tags).

    Raises:
        IngestError: the file is not a readable PDF (encrypted, corrupt, truncated) or has no
            text layer; ``str(err)`` is a one-line reason.
    """
    text, layout, _ = read_pdf_with_stats(data)
    return text, layout


def read_pdf_with_stats(data: bytes) -> tuple[str, Layout, PdfStats]:
    """Like :func:`read_pdf`, plus which pages were read as two columns."""
    _check_envelope(data)
    try:
        pages = _parse(data)
    except IngestError:
        raise
    except Exception as exc:  # pdfminer raises anything from KeyError to PSEOF on bad input
        raise IngestError(_reason(exc)) from None
    text, layout = _assemble(pages)
    if not text.strip():
        raise IngestError("no text layer (scanned PDF?)")
    two = tuple(p.number for p in pages if p.two_column)
    return text, layout, PdfStats(len(pages), two)


def _check_envelope(data: bytes) -> None:
    """Cheap checks pdfminer would otherwise paper over by guessing."""
    if b"%PDF-" not in data[:1024]:
        raise IngestError("not a PDF (no %PDF header)")
    # Every complete PDF ends with %%EOF; pdfminer silently reads what it can of a cut file.
    if b"%%EOF" not in data[-4096:]:
        raise IngestError("corrupt or truncated PDF: no %%EOF marker at the end (file cut short?)")


def _reason(exc: Exception) -> str:
    inner = exc
    if isinstance(exc, PdfminerException) and exc.args and isinstance(exc.args[0], Exception):
        inner = exc.args[0]
    if isinstance(inner, PDFPasswordIncorrect):
        return "encrypted PDF (password required)"
    if isinstance(inner, PDFEncryptionError):
        return f"encrypted PDF (unsupported encryption: {_one_line(inner)})"
    return f"corrupt or truncated PDF: {type(inner).__name__}: {_one_line(inner)}"


def _one_line(exc: Exception, limit: int = 160) -> str:
    msg = " ".join(str(exc).split()) or "no detail"
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


def _parse(data: bytes) -> list[_Page]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = []
        for page in pdf.pages:
            pages.append(_read_page(page))
            page.close()  # drop pdfminer's layout cache: memory stays flat on long documents
    return pages


def _read_page(page: pdfplumber.page.Page) -> _Page:
    # Rotated text (margin stamps, turned table heads) has no place in the reading flow.
    chars = dedupe_overprint([c for c in page.chars if c["upright"] and c["text"].strip()])
    margins, body = split_margins(chars, float(page.height))
    size = body_size(body or chars)
    regions, two = page_regions(body, size)
    blocks = tuple(tuple(ls) for r in regions if (ls := region_lines(r.chars, size)))
    return _Page(page.page_number, size, tuple(margins), blocks, two)


def _page_blocks(page: _Page, running: set[tuple[str, str]]) -> list[tuple[Line, ...]]:
    """The page's blocks in reading order, with running headers/footers and page numbers out."""
    kept = [m for m in page.margins if (m.zone, m.key) not in running and not m.is_page_number]

    def margin_block(zone: str) -> list[tuple[Line, ...]]:
        chars = [c for m in kept if m.zone == zone for c in m.chars]
        lines = region_lines(chars, page.size)
        return [tuple(lines)] if lines else []

    return margin_block("top") + list(page.blocks) + margin_block("bottom")


class _TextBuilder:
    """Accumulates canonical characters and their boxes, deciding breaks between lines."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.boxes: list[CharBox | None] = []
        self.page_starts: list[int] = []
        self._last: tuple[Line, Extent] | None = None
        self._page_open = False

    def start_page(self) -> None:
        """Mark a new page; it starts at its first character, after any break before it."""
        self.page_starts.append(len(self.chars))
        self._page_open = True

    def add_block(self, lines: tuple[Line, ...]) -> None:
        ext, pitch = Extent.of(list(lines)), line_pitch(list(lines))
        for i, line in enumerate(lines):
            if self._last is not None:
                prev, prev_ext = self._last
                new_par = starts_paragraph(prev, line, prev_ext, ext, pitch if i else 0.0)
                self._insert("\n\n" if new_par else "\n")
            if self._page_open:
                self.page_starts[-1] = len(self.chars)
                self._page_open = False
            for ch, box in line.pieces:
                self.chars.append(ch)
                self.boxes.append(box)
            self._last = (line, ext)

    def _insert(self, s: str) -> None:
        self.chars.extend(s)
        self.boxes.extend([None] * len(s))


def _assemble(pages: list[_Page]) -> tuple[str, Layout]:
    running = running_keys([list(p.margins) for p in pages])
    out = _TextBuilder()
    for page in pages:
        out.start_page()
        for block in _page_blocks(page, running):
            out.add_block(block)
    return "".join(out.chars), Layout(tuple(out.page_starts), tuple(out.boxes))


def span_box(layout: Layout, start: int, end: int) -> tuple[int, Box] | None:
    """Page and bounding box of the characters in ``text[start:end]``.

    Args:
        layout: the layout returned with the text by :func:`read_pdf`.
        start: span start offset in the canonical text.
        end: span end offset (exclusive).

    Returns:
        ``(page, (x0, top, x1, bottom))`` with a 1-based page and PDF points, the union of the
        boxes of the span's characters on the page of its first character (a span crossing a
        page break is boxed on its first page); ``None`` if the span holds only inserted
        characters.
    """
    boxes = [b for b in layout.boxes[start:end] if b is not None]
    if not boxes:
        return None
    page = boxes[0][0]
    on_page = [b for b in boxes if b[0] == page]
    return page, (min(b[1] for b in on_page), min(b[2] for b in on_page),
                  max(b[3] for b in on_page), max(b[4] for b in on_page))


def bench_pdf(paths: Iterable[str | Path], repeat: int = 3) -> dict[str, float | int]:
    """Time :func:`read_pdf` over PDF files (bytes read beforehand), for ``litx bench``.

    Args:
        paths: PDF files to read.
        repeat: passes over all files; the median pass time is reported.

    Returns:
        ``files``, ``pages``, ``two_column_pages``, ``errors`` (files that raised
        :class:`IngestError`), ``seconds`` (median pass) and ``pages_per_s``.
    """
    datas = [Path(p).read_bytes() for p in paths]
    times, pages, two, errors = [], 0, 0, 0
    for _ in range(max(1, repeat)):
        t0 = perf_counter()
        pages = two = errors = 0
        for data in datas:
            try:
                _, _, stats = read_pdf_with_stats(data)
            except IngestError:
                errors += 1
                continue
            pages += stats.n_pages
            two += len(stats.two_column_pages)
        times.append(perf_counter() - t0)
    seconds = median(times)
    return {"files": len(datas), "pages": pages, "two_column_pages": two, "errors": errors,
            "seconds": round(seconds, 3), "pages_per_s": round(pages / seconds, 2) if seconds else 0.0}
