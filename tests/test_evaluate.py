"""``litx eval`` scoring on a tiny gold folder: totals, arm sizes, matching rules."""

import json

from pipeline import evaluate

TEXT = ("We enrolled 120 patients with pain. They were randomised to drug A (n = 60) or "
        "placebo (n = 60). Response was 40% versus 20%.")


def _dataset(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "d1.txt").write_text(TEXT, encoding="utf-8")
    rows = [
        {"doc": "d1", "start": TEXT.index("120"), "end": TEXT.index("120") + 3,
         "label": "SAMPLE_SIZE", "text": "120", "values": [120]},
        {"doc": "d1", "start": TEXT.index("40%"), "end": TEXT.index("40%") + 3,
         "label": "PERCENTAGE", "text": "40%"},
    ]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def _rows(tmp_path, label):
    return {r.rule: r.counts for r in evaluate.evaluate(_dataset(tmp_path), label)}


def test_sample_size_totals_and_arms(tmp_path):
    rows = _rows(tmp_path, "SAMPLE_SIZE")
    assert (rows["core"].tp, rows["core"].fp, rows["core"].fn) == (1, 0, 0)
    assert rows["exact"].tp == 0  # the span is "120 patients", gold "120"
    # the two arm sizes count only in the row that keeps them
    assert (rows["core, arms too"].tp, rows["core, arms too"].fp) == (1, 2)


def test_percentages_overlap(tmp_path):
    rows = _rows(tmp_path, "PERCENTAGE")
    assert (rows["overlap"].tp, rows["overlap"].fp, rows["overlap"].fn) == (1, 1, 0)
    assert rows["exact"].tp == 1
