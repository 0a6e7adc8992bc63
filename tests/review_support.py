"""A small extracted/-like folder with conflicts for the review tests, and a live server."""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.review import make_server, serve_in_thread

HOSTILE = ("Patients then received 0.41 mg/kg ketamine <script>alert(1)</script> "
           "and <img src=x onerror=alert(2)> daily.")
TEXT_A = ("Title line\n\nBackground paragraph about relapse.\n\n"
          "In the first trial (Krupitsky et al., 1997) patients received 0.4 mg/kg ketamine. "
          "Follow-up lasted two years.\n\nAnother paragraph.")
PDF_LINES = ("Ketamine-assisted treatment was studied in several small trials. Dakwar et al.",
             "reported abstinence in 2017 among cocaine-dependent adults after one infusion,",
             "with effects lasting beyond the treatment window in most participants.",
             "Larger trials are under way.")
PDF_TEXT = "\n".join(PDF_LINES) + "\n"
PDF_SENTENCE = PDF_TEXT[PDF_TEXT.index("Dakwar"):PDF_TEXT.index("participants.") + 13]
MENTION_COLUMNS = ("mention_id", "doc_id", "source", "label", "start", "end", "text",
                   "sentence", "page", "bbox", "rule_id")
CONFLICT_COLUMNS = ("conflict_id", "kind", "study_key", "label", "value_a", "value_b",
                    "mention_a", "mention_b", "sentence_a", "sentence_b", "evidence_hash",
                    "status", "decision", "decided_by", "decided_at", "comment", "severity")


def doc_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def _pdf(raw: Path) -> tuple[str, str, str]:
    """A one-page PDF made with reportlab; returns (canonical text, span, bbox cell)."""
    import pdfplumber
    from reportlab.pdfgen import canvas

    path = raw / "paper.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    c.setFont("Helvetica", 11)
    for i, line in enumerate(PDF_LINES):
        c.drawString(72, 700 - 15 * i, line)
    c.save()
    with pdfplumber.open(path) as pdf:
        hit = pdf.pages[0].search("2017")[0]
    bbox = f"{hit['x0']:.2f},{hit['top']:.2f},{hit['x1']:.2f},{hit['bottom']:.2f}"
    return PDF_TEXT, "2017", bbox


def _mention(mid: str, did: str, source: str, text: str, span: str, sentence: str,
             **extra: object) -> dict[str, object]:
    start = text.index(span)
    return {"mention_id": mid, "doc_id": did, "source": source, "label": "DOSE",
            "start": start, "end": start + len(span), "text": span, "sentence": sentence,
            "rule_id": "test", **extra}


def build_project(root: Path) -> dict[str, Path]:
    """Write raw/, extracted/ (texts, mentions.csv, conflicts.csv) and rules/ under ``root``.

    Three open conflicts: one whose side B sentence is hostile markup, one with a PDF side,
    and one with a mention missing from mentions.csv.
    """
    raw, out = root / "raw", root / "extracted"
    (out / "text").mkdir(parents=True)
    raw.mkdir()
    (root / "rules").mkdir()
    text_b = "Methods.\n\n" + HOSTILE + "\n\nEnd."
    pdf_text, pdf_span, pdf_bbox = _pdf(raw)
    docs = {"a.txt": TEXT_A, "hostile.txt": text_b, "paper.pdf": pdf_text}
    for name, text in docs.items():
        (out / "text" / f"{doc_id(name)}.txt").write_bytes(text.encode("utf-8"))
        if not name.endswith(".pdf"):
            (raw / name).write_bytes(text.encode("utf-8"))
    sent_a = "In the first trial (Krupitsky et al., 1997) patients received 0.4 mg/kg ketamine."
    mentions = [
        _mention("m_a1", doc_id("a.txt"), "a.txt", TEXT_A, "0.4 mg/kg", sent_a),
        _mention("m_b1", doc_id("hostile.txt"), "hostile.txt", text_b, "0.41 mg/kg", HOSTILE),
        _mention("m_a2", doc_id("a.txt"), "a.txt", TEXT_A, "1997", sent_a, label="CITATION"),
        _mention("m_p1", doc_id("paper.pdf"), "paper.pdf", pdf_text, pdf_span, PDF_SENTENCE,
                 label="CITATION", page=1, bbox=pdf_bbox),
    ]
    conflicts = [
        {"conflict_id": "c_dose", "kind": "value_mismatch", "study_key": "krupitsky_1997",
         "label": "DOSE", "value_a": "0.4 mg/kg", "value_b": "0.41 mg/kg", "mention_a": "m_a1",
         "mention_b": "m_b1", "sentence_a": sent_a, "sentence_b": HOSTILE},
        {"conflict_id": "c_year", "kind": "year_mismatch", "study_key": "dakwar_2016",
         "label": "CITATION", "value_a": "1997", "value_b": "2017", "mention_a": "m_a2",
         "mention_b": "m_p1", "sentence_a": sent_a, "sentence_b": PDF_SENTENCE},
        {"conflict_id": "c_gone", "kind": "rounding", "study_key": "smith_2020",
         "label": "PERCENTAGE", "value_a": "33.3%", "value_b": "33%", "mention_a": "m_zz",
         "mention_b": "m_a1", "sentence_a": "A third (33.3%) relapsed.", "sentence_b": sent_a},
    ]
    for c in conflicts:
        c.update(status="open", evidence_hash=f"h-{c['conflict_id']}", severity="warning")
    _write_csv(out / "mentions.csv", MENTION_COLUMNS, mentions)
    _write_csv(out / "conflicts.csv", CONFLICT_COLUMNS, conflicts)
    return {"raw": raw, "out": out, "decisions": root / "rules" / "decisions.jsonl"}


@pytest.fixture(scope="session")
def _project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-template")
    build_project(root)  # the PDF and its layout are made once, then copied
    return root


@pytest.fixture()
def project(_project_template: Path, tmp_path: Path) -> dict[str, Path]:
    """A fresh copy of the review project in a temporary folder."""
    root = tmp_path / "project"
    shutil.copytree(_project_template, root)
    return {"raw": root / "raw", "out": root / "extracted",
            "decisions": root / "rules" / "decisions.jsonl"}


@pytest.fixture()
def server(project: dict[str, Path]) -> Iterator:
    """A review server on a free port, serving in a thread."""
    srv = make_server(project["out"], project["raw"], project["decisions"], port=0)
    serve_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()
