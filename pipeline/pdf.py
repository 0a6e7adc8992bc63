"""PDF ingestion: canonical text whose every character maps back to its page and box.

The text is read through pdfplumber's text map (one entry per output character, carrying its
char object), region by region in reading order (:mod:`pipeline.pdf_layout`), with running
headers, footers and page numbers left out and superscript citation marks tagged
(:mod:`pipeline.pdf_text`). Hyphenated line breaks stay in the canonical text; the analysis
view (:func:`pipeline.normalize.analysis_view` with ``dehyphenate=True``) joins them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from time import perf_counter, process_time

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

# pdfminer warns on every odd drawing operator ("Cannot set non-stroke color"); those say
# nothing about the text and would bury litx's own one-line errors.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

from pipeline.errors import IngestError
from pipeline.pdf_layout import (
    MarginLine,
    body_size,
    dedupe_overprint,
    page_regions,
    running_keys,
    split_margins,
)
from pipeline.pdf_flow import Block, TextBuilder, small_print, split_region
from pipeline.pdf_text import region_lines
from pipeline.records import Layout

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class _Page:
    number: int
    size: float  # body font size
    height: float
    margins: tuple[MarginLine, ...]
    blocks: tuple[Block, ...]  # body regions in reading order
    two_column: bool
    n_chars: int
    has_images: bool


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
        if any(p.has_images for p in pages):
            raise IngestError("no text layer (scanned PDF?)")
        raise IngestError("no text on any page (blank or damaged PDF?)")
    two = tuple(p.number for p in pages if p.two_column)
    return text, layout, PdfStats(len(pages), two)


def _check_envelope(data: bytes) -> None:
    """Cheap checks pdfminer would otherwise paper over by guessing."""
    if b"%PDF-" not in data[:1024]:
        raise IngestError("not a PDF (no %PDF header)")
    # Every complete PDF ends with %%EOF; pdfminer silently reads what it can of a cut file.
    # Padding some tools append (NULs, blank lines) is not a cut.
    if b"%%EOF" not in data.rstrip(b"\x00 \t\r\n")[-4096:]:
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
        if not pdf.pages:
            raise IngestError("corrupt or truncated PDF: no pages")
        pages = []
        for page in pdf.pages:
            pages.append(_read_page(page))
            page.close()  # drop pdfminer's layout cache: memory stays flat on long documents
    return pages


def _read_page(page: pdfplumber.page.Page) -> _Page:
    # Rotated text (margin stamps, turned table heads) has no place in the reading flow.
    chars = dedupe_overprint([c for c in page.chars if c["upright"] and c["text"].strip()])
    height = float(page.height)
    margins, body = split_margins(chars, height)
    size = body_size(body or chars)
    regions, two = page_regions(body, size)
    blocks: list[Block] = []
    for region in regions:
        blocks += split_region(region_lines(region.chars, size), size, height)
    return _Page(page.page_number, size, height, tuple(margins), tuple(blocks), two, len(body),
                 bool(page.images))


def _page_blocks(page: _Page, running: set[tuple[str, str]]) -> list[Block]:
    """The page's blocks in reading order, with running headers/footers and page numbers out.

    Margin lines that do not repeat (a first-page header, a venue footer) are kept but
    deferred, so they do not split a paragraph that runs on across the page break.
    """
    kept = [m for m in page.margins if (m.zone, m.key) not in running and not m.is_page_number]

    def margin_block(zone: str) -> list[Block]:
        chars = [c for m in kept if m.zone == zone for c in m.chars]
        lines = region_lines(chars, page.size)
        return [Block(tuple(lines), True)] if lines else []

    return margin_block("top") + list(page.blocks) + margin_block("bottom")


def _assemble(pages: list[_Page]) -> tuple[str, Layout]:
    running = running_keys([list(p.margins) for p in pages])
    weight: dict[float, int] = {}
    for page in pages:
        weight[page.size] = weight.get(page.size, 0) + page.n_chars
    size = max(weight, key=weight.__getitem__) if weight else 10.0
    out = TextBuilder()
    for page in pages:
        for block in _page_blocks(page, running):
            # Tables and figures set smaller than the document's text stay out of paragraphs
            # running past them (a whole-page table has the page's body size, not the text's).
            if not block.deferred and small_print(list(block.lines), size):
                block = Block(block.lines, True)
            out.add_block(block)
    out.flush()
    return "".join(out.chars), Layout(out.page_starts(len(pages)), tuple(out.boxes))


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
        repeat: passes over all files; the median pass is reported.

    Returns:
        ``files``, ``pages``, ``two_column_pages``, ``errors`` (files that raised
        :class:`IngestError`), ``seconds`` (median wall time of a pass), ``pages_per_s``, and
        ``cpu_seconds`` / ``cpu_pages_per_s`` from process CPU time, steadier than wall time
        on a machine shared with other work.
    """
    datas = [Path(p).read_bytes() for p in paths]
    walls, cpus, pages, two, errors = [], [], 0, 0, 0
    for _ in range(max(1, repeat)):
        t0, c0 = perf_counter(), process_time()
        pages = two = errors = 0
        for data in datas:
            try:
                _, _, stats = read_pdf_with_stats(data)
            except IngestError:
                errors += 1
                continue
            pages += stats.n_pages
            two += len(stats.two_column_pages)
        walls.append(perf_counter() - t0)
        cpus.append(process_time() - c0)
    wall, cpu = median(walls), median(cpus)
    return {"files": len(datas), "pages": pages, "two_column_pages": two, "errors": errors,
            "seconds": round(wall, 3), "pages_per_s": round(pages / wall, 2) if wall else 0.0,
            "cpu_seconds": round(cpu, 3), "cpu_pages_per_s": round(pages / cpu, 2) if cpu else 0.0}
