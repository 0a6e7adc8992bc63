import gc
import io
import json
import os
import weakref

import pandas as pd
import pandera.errors
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import atomic, export
from pipeline.records import Mention


def _mention(**kw) -> Mention:
    base = dict(doc_id="0123456789abcdef", source="a.txt", label="DOSE", start=0, end=8,
                text="20 mg/kg", sentence="20 mg/kg, i.p.", rule_id="dose.value_unit_per",
                rules_version="v1", value=20.0, unit="mg/kg", authors=("Sabino", "Smith"),
                bbox=(1.0, 2.5, 3.0, 4.0), page=2)
    base.update(kw)
    return Mention(**base)


def test_frame_follows_the_schema():
    df = export.frame("mentions", [_mention()])
    assert list(df.columns) == export.columns("mentions")
    row = df.iloc[0]
    assert row["authors"] == "Sabino;Smith"
    assert row["bbox"] == "1.00,2.50,3.00,4.00"
    assert row["mention_id"] == _mention().mention_id
    export.validate("mentions", df)


def test_validation_rejects_bad_rows():
    df = export.frame("mentions", [_mention(label="DRUG"), _mention(start=-1, end=3)])
    with pytest.raises(pandera.errors.SchemaErrors):
        export.validate("mentions", df)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "x.csv"
    atomic.atomic_write(target, b"a,b\n")
    atomic.atomic_write(target, b"a,b\n1,2\n")
    assert target.read_bytes() == b"a,b\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_write_tables_and_datapackage_validate(tmp_path):
    df = export.frame("mentions", [_mention(sentence='He said "20 mg/kg,\nthen"')])
    export.write_tables(tmp_path, {"mentions": df})
    back = pd.read_csv(tmp_path / "mentions.csv")
    assert back.loc[0, "sentence"] == 'He said "20 mg/kg,\nthen"'
    package = json.loads((tmp_path / "datapackage.json").read_text())
    [resource] = package["resources"]
    assert all(f.get("description") for f in resource["schema"]["fields"])
    from frictionless import validate

    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_frame_reads_records_and_dicts_alike():
    rows = [_mention(), _mention(start=9, end=17, authors=(), bbox=None, page=None, value=None)]
    by_record = export.frame("mentions", rows)
    pd.testing.assert_frame_equal(by_record, export.frame("mentions", map(export._as_dict, rows)))
    mixed = export.frame("mentions", [rows[0], export._as_dict(rows[1])])
    pd.testing.assert_frame_equal(by_record, mixed)
    assert export.frame("mentions", []).empty


def test_write_texts_writes_each_text_once_and_only_when_changed(tmp_path):
    texts = {f"{i:016x}": f"text {i} \u00e9" * (i + 1) for i in range(40)}
    export.write_texts(tmp_path, texts)
    folder = tmp_path / "text"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.txt" for k in texts)
    assert all((folder / f"{k}.txt").read_text(encoding="utf-8") == v for k, v in texts.items())
    umask = os.umask(0o022)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o666 & ~umask}
    inodes = {p.name: p.stat().st_ino for p in folder.iterdir()}
    changed = dict(texts, **{"0000000000000003": "edited"})
    del changed["0000000000000005"]
    export.write_texts(tmp_path, changed)
    now = {p.name: p.stat().st_ino for p in folder.iterdir()}
    assert set(now) == {f"{k}.txt" for k in changed}
    assert [n for n in now if now[n] != inodes[n]] == ["0000000000000003.txt"]
    assert (folder / "0000000000000003.txt").read_text(encoding="utf-8") == "edited"


def test_write_texts_raises_a_failed_write_and_leaves_no_temp_file(tmp_path, monkeypatch):
    real = atomic.replace_with

    def failing(path, data):
        if path.name.startswith("0000000000000002"):
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(atomic, "replace_with", failing)
    with pytest.raises(OSError, match="disk full"):
        export.write_texts(tmp_path, {f"{i:016x}": str(i) for i in range(6)})
    assert not [p for p in (tmp_path / "text").iterdir() if p.name.startswith(".")]


def _files(folder):
    """Every file below ``folder``, hidden ones included, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_streamed_files_equal_the_frame_written_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CSV_SLICE_ROWS", 2)  # several slices from a few rows
    rows = [_mention(start=i, end=i + 8, sentence=f"sentence {i}, \"quoted\"") for i in range(7)]
    df = export.frame("mentions", rows)
    export.write_tables(tmp_path, {"mentions": df})
    expected_parquet = io.BytesIO()
    df.to_parquet(expected_parquet, engine="pyarrow", index=False)
    assert (tmp_path / "mentions.parquet").read_bytes() == expected_parquet.getvalue()
    assert (tmp_path / "mentions.csv").read_bytes() == df.to_csv(
        index=False, lineterminator="\n").encode("utf-8")


def test_each_table_is_made_after_the_previous_one_is_written_and_released(tmp_path):
    made = []

    def tables():
        df = export.frame("mentions", [_mention(), _mention(start=9, end=17)])
        # The Arrow data itself: validation returns a new frame sharing it.
        made.append(weakref.ref(df["sentence"].array.__arrow_array__()))
        yield "mentions", df
        del df
        gc.collect()
        assert made[0]() is None  # nothing holds the written table's data any more
        assert not (tmp_path / "mentions.csv").exists()  # staged, not yet visible
        assert list(tmp_path.glob(".mentions.csv.*.tmp"))
        yield "overlaps", export.frame("overlaps", [])

    export.write_dataset(tmp_path, tables(), {"0123456789abcdef": "20 mg/kg, i.p."})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "datapackage.json", "mentions.csv", "mentions.parquet", "overlaps.csv",
        "overlaps.parquet", "text"]


def test_a_table_failing_validation_leaves_the_previous_dataset_untouched(tmp_path):
    export.write_dataset(tmp_path, {"mentions": export.frame("mentions", [_mention()])},
                         {"0123456789abcdef": "20 mg/kg, i.p."})
    before = _files(tmp_path)

    def tables():
        yield "overlaps", export.frame("overlaps", [])  # valid, staged first
        yield "mentions", export.frame("mentions", [_mention(label="DRUG")])

    with pytest.raises(pandera.errors.SchemaErrors):
        export.write_dataset(tmp_path, tables(), {"fedcba9876543210": "new text"},
                             excel_safe=True)
    assert _files(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["datapackage.json", "mentions.csv", "mentions.parquet", "text"])


@pytest.mark.parametrize("values", [
    ["a", None, "Ketamine 0.5 mg/kg", "é ✓ 𝛼", ""],
    [],
    [1, "x", None],  # not all strings: pandas converts the int
    [float("nan"), "x"],
    [pd.NA, "a"],
    [b"bytes", "x"],
])
def test_string_columns_are_those_pandas_makes(values):
    made = export._array(values, "string")
    expected = pd.array(values, dtype="string")
    assert made.dtype == expected.dtype
    assert pd.Series(made).equals(pd.Series(expected))


def test_a_string_column_pandas_cannot_make_still_fails_as_in_pandas():
    with pytest.raises(UnicodeEncodeError):
        pd.array(["\ud800"], dtype="string")
    with pytest.raises(UnicodeEncodeError):
        export._array(["\ud800"], "string")


_ITEM = st.floats(allow_nan=False) | st.integers() | st.text(max_size=5)


@settings(max_examples=80, deadline=None, database=None)
@given(st.lists(st.none() | st.tuples() | st.lists(_ITEM, max_size=4).map(tuple)
                | st.lists(st.floats(allow_nan=False), min_size=1, max_size=4).map(tuple),
                max_size=12))
def test_a_column_of_tuples_becomes_the_cells_to_cell_makes(values):
    # Columns of only tuples and gaps take a shorter path than to_cell per value.
    assert export._cells(values) == [export.to_cell(v) for v in values]
    assert export._cells(values + ["text"]) == [export.to_cell(v) for v in values + ["text"]]


@pytest.mark.parametrize("value, cell", [
    ((), None), (None, None), ((1.0, 2.5, 3.333, 4.0), "1.00,2.50,3.33,4.00"),
    ((4, 17), "4;17"), (("Krupitsky", "Grinenko"), "Krupitsky;Grinenko"),
    ((1.5, "x"), "1.5;x"), ((2, 0.5), "2;0.5"), ("", ""), (0, 0)])
def test_to_cell_joins_tuples_and_writes_boxes_with_two_decimals(value, cell):
    assert export.to_cell(value) == cell
