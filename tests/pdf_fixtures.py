"""Small PDFs drawn with reportlab at test time, with every line placed by hand.

Coordinates are given as pdfplumber reports them (``top`` from the top of the page), so the
tests can state where text must be found.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

WIDTH, HEIGHT = A4
FONT, SIZE, LEAD = "Helvetica", 10.0, 12.0
HEADER = "Journal of Synthetic Tests 12 (2024) 1-9"

# One run of text: (text, font size, rise above the baseline in points).
Run = tuple[str, float, float]


def draw_runs(c: Canvas, x: float, top: float, runs: list[Run]) -> float:
    """Draw runs on one line whose body text has its top at ``top``; return the end x."""
    baseline = HEIGHT - top - SIZE * 0.8
    for text, size, rise in runs:
        c.setFont(FONT, size)
        c.drawString(x, baseline + rise, text)
        x += stringWidth(text, FONT, size)
    return x


def draw_lines(c: Canvas, x: float, top: float, lines: list[str | list[Run]]) -> float:
    """Draw lines at the body leading; return the top of the next line."""
    for line in lines:
        draw_runs(c, x, top, [(line, SIZE, 0.0)] if isinstance(line, str) else line)
        top += LEAD
    return top


def furniture(c: Canvas, page: int) -> None:
    """A running header at the top and a lone page number at the bottom."""
    c.setFont(FONT, 8)
    c.drawString(72, 40, str(page))  # y from the bottom: inside the bottom margin
    c.drawString(72, HEIGHT - 40, HEADER)


def one_column_pdf(**canvas_kwargs: object) -> bytes:
    """Two one-column pages: paragraphs, a superscript citation, a hyphenated word, a dose,
    and a sentence running over the page break; header and page number on both pages."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, **canvas_kwargs)
    furniture(c, 1)
    top = draw_lines(c, 72, 100, [
        "Rats received ketamine at 10 mg/kg before the session and the",
        [("effect on sleep was large as reported before", SIZE, 0.0), ("12,13", 6.0, 4.0),
         (" in several labs.", SIZE, 0.0)],
        "Memory was then tested on the next day.",
    ])
    draw_lines(c, 90, top + 8, [  # indented first line after extra space: a new paragraph
        "A second paragraph describes the ketamine-in-",
        "duced changes in 24 animals and goes on until the very",
        "end of the page where the sentence does not stop but it",
    ])
    c.showPage()
    furniture(c, 2)
    draw_lines(c, 72, 100, [
        "continues on the next page with 35% of the animals.",
        "The study ends here.",
    ])
    c.showPage()
    c.save()
    return buf.getvalue()


LEFT = [
    "The left column starts the body text of this",
    "page and holds the first part of the running",
    "paragraph; a dose of 2.5 mg was given to all",
    "of the 40 patients in the trial and the text",
]
RIGHT = [
    "keeps going in the right column until the",
    "paragraph ends here with 12 h of sleep.",
    "",
    "   The right column then has another short",
    "paragraph of its own that ends with filler.",
]


def two_column_pdf() -> bytes:
    """One page: a full-width title band above two columns; the first paragraph runs from
    the bottom of the left column (above a footnote) to the top of the right one."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setFont(FONT, 16)
    c.drawString(72, HEIGHT - 80, "A Two Column Test Page With A Title Across Both")
    draw_lines(c, 72, 110, ["This full-width abstract line spans both of the columns below it "
                            "and is read before them."])
    # Filler lines make the columns tall; the running paragraph ends the left column and
    # opens the right one, whose second paragraph follows after an empty line.
    left = [f"Left filler line {i} of the first column" for i in range(12)] + LEFT
    right = RIGHT + [f"Right filler line {i} of column two" for i in range(11)]
    draw_lines(c, 72, 150, left)
    draw_lines(c, 310, 150, right)
    # A footnote at the foot of the left column, in small print, below the running paragraph.
    draw_runs(c, 72, 690, [("1", 5.0, 3.0),
                           (" A footnote that must not split the paragraph", 7.0, 0.0)])
    draw_runs(c, 72, 699, [("and its second line.", 7.0, 0.0)])
    c.showPage()
    c.save()
    return buf.getvalue()


def powers_pdf() -> bytes:
    """One page whose raised numbers are powers, negative powers and one citation mark."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    raised = (6.0, 4.0)  # the size and rise of every superscript below
    draw_lines(c, 72, 100, [
        [("Cells were plated at 10", SIZE, 0.0), ("5", *raised), (" per 2 m", SIZE, 0.0), ("2", *raised),
         (" dish.", SIZE, 0.0)],
        [("Rats got 10 mg kg", SIZE, 0.0), ("-1", *raised), (" day", SIZE, 0.0), ("\u20131", *raised),
         (" at 10", SIZE, 0.0), ("-3", *raised), (" M as before", SIZE, 0.0), ("4-6", *raised), (".", SIZE, 0.0)],
    ])
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    """Needs the user password "secret" to open."""
    return one_column_pdf(encrypt=StandardEncryption("secret", ownerPassword="owner"))


def owner_only_encrypted_pdf() -> bytes:
    """Encrypted with an empty user password: readers open it without asking."""
    return one_column_pdf(encrypt=StandardEncryption("", ownerPassword="owner"))


def image_only_pdf() -> bytes:
    """A 'scanned' page: one picture and no text layer."""
    from PIL import Image

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    img = Image.new("L", (200, 280), 255)
    for x in range(20, 180):
        img.putpixel((x, 40), 0)  # a drawn 'line of text' that is only pixels
    c.drawImage(ImageReader(img), 50, 50, width=495, height=742)
    c.showPage()
    c.save()
    return buf.getvalue()


def blank_pdf() -> bytes:
    """A page with a drawn frame and nothing else: neither text nor picture."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.rect(72, 72, 200, 100)
    c.showPage()
    c.save()
    return buf.getvalue()
