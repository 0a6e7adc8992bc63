"""CSV safety for downstream tools: quoting, round trips through two readers, --excel-safe."""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import RAW
from pipeline import csvbody, export
from pipeline.records import Mention

NASTY = [
    'He said "20 mg/kg, then" stopped',
    "line one\nline two",
    "windows\r\nline",
    "old mac\rline",
    "tab\tand, comma; semicolon",
    '"',
    "",
    " leading and trailing ",
    "=HYPERLINK(\"http://x\",\"y\")",
    "NA",
    "null",
    "\u202eright-to-left\u202c e\u0301",
    "\x1b[31mcontrol\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
]


def _mention(i: int, sentence: str, **kw) -> Mention:
    base = dict(doc_id="0123456789abcdef", source=f"doc {i}.txt", label="DOSE", start=i,
                end=i + 8, text="20 mg/kg", sentence=sentence, rule_id="dose.value_unit_per",
                rules_version="v1", value=20.0, unit="mg/kg")
    base.update(kw)
    return Mention(**base)


def _both_readers(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """Rows (header first) as Python's csv module and as pandas read them, all as strings."""
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    return rows, [list(frame.columns)] + frame.values.tolist()


def test_nasty_sentences_survive_both_readers():
    df = export.frame("mentions", [_mention(i, s) for i, s in enumerate(NASTY)])
    by_csv, by_pandas = _both_readers(export.csv_bytes(df))
    assert by_csv == by_pandas
    col = by_csv[0].index("sentence")
    assert [row[col] for row in by_csv[1:]] == NASTY


def test_plain_tables_stay_minimally_quoted():
    """Without a lone carriage return the bytes are what they always were (QUOTE_MINIMAL)."""
    df = export.frame("mentions", [_mention(0, 'a "b", c')])
    data = export.csv_bytes(df)
    assert data == df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    assert b'"a ""b"", c"' in data


_CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=40)


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=5))
def test_any_text_cells_round_trip(cells):
    mentions = [_mention(i, sentence, source=source or "x") for i, (sentence, source)
                in enumerate(cells)]
    df = export.frame("mentions", mentions)
    by_csv, by_pandas = _both_readers(export.csv_bytes(df))
    assert by_csv == by_pandas
    header = by_csv[0]
    assert [row[header.index("sentence")] for row in by_csv[1:]] == [s for s, _ in cells]
    assert [row[header.index("source")] for row in by_csv[1:]] == [m.source for m in mentions]


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.tuples(st.none() | _CELL, st.none() | st.integers(-2**62, 2**62),
                          st.none() | st.floats(allow_nan=False)), max_size=8),
       st.integers(1, 3))
def test_csv_bytes_are_what_pandas_to_csv_writes(rows, slice_rows):
    # csv_bytes writes the rows itself for the schema's column types, a few rows at a time
    # (tiny slices here, so that several meet); the bytes must not move.
    strings, ints, floats = ([r[i] for r in rows] for i in range(3))
    df = pd.DataFrame({"s": pd.array(strings, dtype="string"), "i": pd.array(ints, dtype="Int64"),
                       "f": pd.array(floats, dtype="Float64")})
    quoting = csv.QUOTE_ALL if any("\r" in (s or "") for s in strings) else csv.QUOTE_MINIMAL
    expected = df.to_csv(index=False, lineterminator="\n", quoting=quoting).encode("utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export, "CSV_SLICE_ROWS", slice_rows)
        assert export.csv_bytes(df) == expected


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.tuples(st.none() | _CELL, st.none() | _CELL,
                          st.none() | st.integers(-2**62, 2**62),
                          st.none() | st.floats(allow_nan=False)), max_size=8),
       st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]), st.integers(1, 3),
       st.sampled_from(["pyarrow", "python"]))
def test_arrow_rows_are_the_csv_modules(rows, quoting, slice_rows, storage):
    strings = pd.StringDtype(storage)
    df = pd.DataFrame({"a": pd.array([r[0] for r in rows], dtype=strings),
                       "b": pd.array([r[1] for r in rows], dtype=strings),
                       "i": pd.array([r[2] for r in rows], dtype="Int64"),
                       "f": pd.array([r[3] for r in rows], dtype="Float64")})
    body = csvbody.rows(df, quoting, slice_rows)
    assert body is not None
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=quoting).writerows(
        zip(*(df[c].to_numpy(dtype=object, na_value="") for c in df.columns)))
    assert b"".join(body) == buf.getvalue().encode("utf-8")


def test_columns_arrow_does_not_render_go_to_the_csv_module():
    one = pd.DataFrame({"s": pd.array(["", "x"], dtype="string")})
    assert csvbody.rows(one, csv.QUOTE_MINIMAL, 10) is None  # the module writes "" for ""
    flags = pd.DataFrame({"s": pd.array(["x"], dtype="string"),
                          "b": pd.array([True], dtype="boolean")})
    assert csvbody.rows(flags, csv.QUOTE_MINIMAL, 10) is None
    assert export.csv_bytes(flags) == flags.to_csv(index=False, lineterminator="\n").encode()


def test_holds_any_reads_only_the_cells_of_a_slice():
    arr = pa.array(['a,"b"', None, "plain", "", "c\r"], type=pa.large_string())
    assert csvbody.holds_any(arr, b'"')
    assert not csvbody.holds_any(arr.slice(1, 3), b',"\n\r')
    assert csvbody.holds_any(arr.slice(4), b"\r")
    assert not csvbody.holds_any(arr.slice(2, 0), b"p")
    assert not csvbody.holds_any(pa.array([None, None], type=pa.large_string()), b"x")


def test_every_seed_csv_reads_the_same_in_both_readers_and_matches_parquet(seed_run):
    for path in sorted(seed_run.glob("*.csv")):
        by_csv, by_pandas = _both_readers(path.read_bytes())
        assert by_csv == by_pandas, path.name
        name = path.stem
        dtypes = {f["name"]: export._DTYPES[f["type"]] for f in export.schema(name)["fields"]}
        typed = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
        twin = pd.read_parquet(seed_run / f"{name}.parquet")
        # CSV has one empty cell for both "" and missing; the twin may hold either.
        twin = twin.apply(lambda c: c.mask(c == "", pd.NA) if c.dtype == "string" else c)
        pd.testing.assert_frame_equal(typed, twin, check_dtype=False)


def test_excel_safe_copies_neutralize_formulas_and_canonical_keeps_text(tmp_path):
    risky = ["=1+2", "+1", "-2 mg", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"]
    mentions = [_mention(i, s, text=s or "x", value=-0.5) for i, s in enumerate(risky)]
    tables = {"mentions": export.frame("mentions", mentions)}
    export.write_dataset(tmp_path, tables, {}, excel_safe=True)
    canonical = pd.read_csv(tmp_path / "mentions.csv", dtype=str, keep_default_na=False)
    assert canonical["sentence"].tolist() == risky
    raw = (tmp_path / "excel" / "mentions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so spreadsheets read the file as UTF-8
    safe = pd.read_csv(tmp_path / "excel" / "mentions.csv", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")
    assert safe["sentence"].tolist() == ["'=1+2", "'+1", "'-2 mg", "'@SUM(A1)", "'\tx",
                                         "'\rx", "plain", "a=b"]
    assert set(safe["value"]) == {"-0.5"}  # numbers are numbers, not formulas
    assert "excel" not in (tmp_path / "datapackage.json").read_text()
    export.write_dataset(tmp_path, tables, {})  # a later run without the option
    assert not (tmp_path / "excel").exists()


def test_litx_run_excel_safe_option(prefect_harness, tmp_path):
    from pipeline.cli import app

    corpus = tmp_path / "raw"
    corpus.mkdir()
    shutil.copy(next(RAW.glob("004_*.txt")), corpus / "=SUM(1+1).txt")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "--raw", str(corpus), "--out", str(out),
                                      "--excel-safe"])
    assert result.exit_code == 0, result.output
    docs = pd.read_csv(out / "documents.csv", dtype=str, keep_default_na=False)
    safe = pd.read_csv(out / "excel" / "documents.csv", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")
    assert docs["source"].tolist() == ["=SUM(1+1).txt"]
    assert safe["source"].tolist() == ["'=SUM(1+1).txt"]
    assert sorted(p.name for p in (out / "excel").iterdir()) == sorted(
        p.name for p in out.glob("*.csv"))


def test_error_reasons_are_one_line():
    from pipeline import ingest

    assert ingest.one_line("first\nsecond") == "first"
    assert ingest.one_line("\n\n  x\r\ny") == "x"
    assert ingest.one_line("a\x1bb\u2028c") == "a b"  # U+2028 ends a line too
    assert ingest.one_line("") == "unreadable file"
    assert len(ingest.one_line("x" * 1000)) == 300
