"""A PDF page region rendered to PNG in memory, with a mention's box drawn on it."""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium
from PIL import ImageDraw

SCALE = 2.0  # pixels per PDF point: sharp enough to read, small enough to send
MARGIN_Y = 60.0  # points of page shown above and below the box
MARGIN_X = 140.0  # and left and right of it: enough words to read the line in context
_PDFIUM = threading.Lock()  # PDFium is not thread-safe; the server is threaded


def render_region(pdf: Path, page: int, bbox: tuple[float, float, float, float]) -> bytes | None:
    """Render the region of ``page`` around ``bbox`` and outline the box (cached).

    Args:
        pdf: The PDF file.
        page: 1-based page number, as in mentions.csv.
        bbox: ``(x0, top, x1, bottom)`` in PDF points from the page's top-left corner
            (pdfplumber's convention).

    Returns:
        PNG bytes, or None when the page does not exist or the file cannot be read.
    """
    try:
        st = pdf.stat()
    except OSError:
        return None
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # a replaced PDF is rendered afresh
    return _render(pdf, stamp, page, bbox)


@lru_cache(maxsize=64)  # curators go back and forth between the same few conflicts
def _render(pdf: Path, stamp: tuple[int, int, int], page: int,
            bbox: tuple[float, float, float, float]) -> bytes | None:
    with _PDFIUM:
        try:
            doc = pdfium.PdfDocument(str(pdf))
        except pdfium.PdfiumError:
            return None
        try:
            if not 1 <= page <= len(doc):
                return None
            image = doc[page - 1].render(scale=SCALE).to_pil().convert("RGB")
        except pdfium.PdfiumError:
            return None
        finally:
            doc.close()
    x0, top, x1, bottom = (v * SCALE for v in bbox)
    pad = 2 * SCALE
    ImageDraw.Draw(image).rectangle((x0 - pad, top - pad, x1 + pad, bottom + pad),
                                    outline=(220, 30, 30), width=int(2 * SCALE))
    # Clamped to the page, and never empty, even for a box that lies off the page.
    left = min(max(0, int(x0 - MARGIN_X * SCALE)), image.width - 1)
    right = min(image.width, max(int(x1 + MARGIN_X * SCALE), left + 1))
    upper = min(max(0, int(top - MARGIN_Y * SCALE)), image.height - 1)
    lower = min(image.height, max(int(bottom + MARGIN_Y * SCALE), upper + 1))
    region = image.crop((left, upper, right, lower))
    buf = io.BytesIO()
    region.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
