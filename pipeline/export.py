"""Records -> validated tables -> CSV + Parquet + datapackage.json, written atomically.

Each table's columns, types and meanings are declared once, as a Frictionless Table Schema in
``pipeline/schemas/<table>.json``; pandera checks every table against it before anything is
written (DESIGN.md §9).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, is_dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pandera.pandas as pa
import pyarrow

from pipeline import __version__, atomic, config, csvbody

_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """The Frictionless Table Schema of table ``name``."""
    return json.loads((config.SCHEMAS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def columns(name: str) -> list[str]:
    return [f["name"] for f in schema(name)["fields"]]


@lru_cache(maxsize=None)
def pandera_schema(name: str) -> pa.DataFrameSchema:
    """A pandera schema built from the Table Schema (nullable types, constraints, keys)."""
    cols = {}
    for f in schema(name)["fields"]:
        c = f.get("constraints", {})
        checks = []
        if "enum" in c:
            checks.append(pa.Check.isin(c["enum"]))
        if "minimum" in c:
            checks.append(pa.Check.ge(c["minimum"]))
        if "maximum" in c:
            checks.append(pa.Check.le(c["maximum"]))
        if "pattern" in c:
            checks.append(pa.Check.str_matches(c["pattern"]))
        cols[f["name"]] = pa.Column(_DTYPES[f["type"]], checks=checks,
                                    nullable=not c.get("required", False),
                                    unique=bool(c.get("unique", False)))
    keys = schema(name).get("primaryKey")
    return pa.DataFrameSchema(cols, strict=True, ordered=True, unique=keys)


def to_cell(value: Any) -> Any:
    """A record field as a CSV cell: tuples joined by ';', boxes as 'x0,top,x1,bottom'."""
    if value is None or value == ():
        return None
    return _tuple_cell(value) if isinstance(value, tuple) else value


def frame(name: str, rows: Iterable[Mapping[str, Any] | Any]) -> pd.DataFrame:
    """Rows (dicts or dataclass records) -> a DataFrame with the table's columns and types.

    Built a column at a time: a column's Python values (a list, then the object array pandas
    makes of it) take several times the memory of the typed column, so only one column's
    may exist at once.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    read = _reader(rows)
    data = {f["name"]: _array(_cells(read(f["name"])), _DTYPES[f["type"]])
            for f in schema(name)["fields"]}
    return pd.DataFrame(data, copy=False)


def _array(values: list[Any], dtype: str) -> pd.api.extensions.ExtensionArray:
    """``pd.array(values, dtype=dtype)``; a column of only strings and None is handed to
    Arrow as it is, which builds it in C (pandas first checks and copies every cell in a
    Python-object loop: the tables of 1,000 documents took 0.5 s longer)."""
    if dtype == "string":
        try:
            return pd.array(pyarrow.array(values, type=pyarrow.large_string()), dtype=dtype)
        except (pyarrow.ArrowException, TypeError, ValueError):
            pass  # a cell that is not a string (or not encodable): pandas converts it
    return pd.array(values, dtype=dtype)


def _reader(rows: list[Any]) -> Callable[[str], list[Any]]:
    """Column name -> that column's values, ``None`` where a row lacks the column."""
    kinds = {type(r) for r in rows}
    if len(kinds) == 1 and _is_record(kind := kinds.pop()):
        # Records of one class: read a field of every row in C (attrgetter) instead of
        # building a dict per row.
        names = _record_names(kind)
        return lambda c: list(map(attrgetter(c), rows)) if c in names else [None] * len(rows)
    records = [r if isinstance(r, Mapping) else _as_dict(r) for r in rows]
    return lambda c: [r.get(c) for r in records]


def _is_record(kind: type) -> bool:
    return is_dataclass(kind) and not issubclass(kind, Mapping)


@lru_cache(maxsize=None)
def _record_names(kind: type) -> frozenset[str]:
    """What ``_as_dict`` reads of a record class: its fields and id properties."""
    return frozenset([f.name for f in fields(kind)]
                     + [p for p in _ID_PROPERTIES if hasattr(kind, p)])


def _cells(values: list[Any]) -> list[Any]:
    # Only tuples change in to_cell; most columns hold none, and skipping them saves a call
    # per cell (2.4M on a 1k-document corpus).
    kinds = set(map(type, values))
    if not any(issubclass(t, tuple) for t in kinds):
        return values
    if kinds <= {tuple, type(None)}:
        # A column of tuples (authors, ref ids, boxes) and gaps: to_cell without its tests
        # for what the column cannot hold.
        return [_tuple_cell(v) if v else None for v in values]
    return [to_cell(v) for v in values]


def _tuple_cell(value: tuple) -> str:
    """``to_cell`` of a non-empty tuple."""
    if isinstance(value[0], float) and all(isinstance(v, float) for v in value):
        return ",".join(f"{v:.2f}" for v in value)
    return ";".join(map(str, value))


_ID_PROPERTIES = ("mention_id", "ref_id")


def _as_dict(row: Any) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return dict(row)
    if is_dataclass(row):
        out = {f.name: getattr(row, f.name) for f in fields(row)}
        for prop in _ID_PROPERTIES:
            if hasattr(row, prop):
                out[prop] = getattr(row, prop)
        return out
    raise TypeError(f"cannot turn {type(row).__name__} into a row")


def validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check ``df`` against the table's schema; raises pandera's SchemaErrors listing all."""
    return pandera_schema(name).validate(df, lazy=True)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The CSV file ``write_csv`` writes, as bytes."""
    buf = io.BytesIO()
    write_csv(df, buf)
    return buf.getvalue()


def write_csv(df: pd.DataFrame, fh: BinaryIO) -> None:
    """RFC 4180 CSV in UTF-8 with "\\n" row ends; fields holding a newline, quote or comma
    are quoted by the csv module.

    Python's csv writer (3.11) leaves a field with a lone carriage return unquoted, which
    readers take for a row end. A table with such a cell is written with every field
    quoted instead: still the same values for every CSV reader, and deterministic.
    """
    quoting = csv.QUOTE_ALL if _has_carriage_return(df) else csv.QUOTE_MINIMAL
    if not all(isinstance(t, _CSV_DTYPES) for t in df.dtypes):
        fh.write(df.to_csv(index=False, lineterminator="\n", quoting=quoting).encode("utf-8"))
        return
    # What to_csv writes for these column types: each cell as the csv module writes the
    # Python value (for a float its repr, which is also the str pandas makes of it), a missing
    # cell as "". Tested against to_csv. Rows go to the file in slices, so only one slice's
    # cells and text exist at a time: the whole file in memory was most of the write stage's.
    header = io.StringIO()
    csv.writer(header, lineterminator="\n", quoting=quoting).writerow(df.columns)
    fh.write(header.getvalue().encode("utf-8"))
    # csvbody renders the same bytes column-wise in Arrow, where it knows every column.
    body = csvbody.rows(df, quoting, CSV_SLICE_ROWS) or _module_rows(df, quoting)
    for chunk in body:
        fh.write(chunk)


def _module_rows(df: pd.DataFrame, quoting: int) -> Iterator[bytes]:
    for start in range(0, len(df), CSV_SLICE_ROWS):
        part = df.iloc[start:start + CSV_SLICE_ROWS]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n", quoting=quoting).writerows(
            zip(*(part[c].to_numpy(dtype=object, na_value="") for c in df.columns)))
        yield buf.getvalue().encode("utf-8")


_CSV_DTYPES = (pd.StringDtype, pd.Int64Dtype, pd.Float64Dtype)
CSV_SLICE_ROWS = 5000


def _has_carriage_return(df: pd.DataFrame) -> bool:
    for name in df.columns:
        col = df[name]
        if col.dtype == "string" and _holds_carriage_return(col):
            return True
    return False


def _holds_carriage_return(col: pd.Series) -> bool:
    try:
        # One scan of the column's bytes, and only where one is found a look at each cell.
        if not csvbody.holds_any(pyarrow.array(col.array, type=pyarrow.large_string()), b"\r"):
            return False
    except (pyarrow.ArrowException, TypeError, ValueError):
        pass  # not Arrow-encodable (a lone surrogate): the cells are looked at by pandas
    return bool(col.str.contains("\r", regex=False).fillna(False).any())


Tables = Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]]


def write_tables(out_dir: Path, tables: Tables) -> None:
    """Validate and write tables (CSV, Parquet, datapackage.json); all or none appear."""
    with atomic.Staging() as staged:
        stage_tables(staged, out_dir, tables)
        staged.commit()


def stage_tables(staged: atomic.Staging, out_dir: Path, tables: Tables,
                 excel_safe: bool = False) -> list[str]:
    """Validate each table and write its files as temps of ``staged``; return the names.

    ``tables`` may be (name, frame) pairs made one at a time (a generator): each frame is
    validated, written and dropped before the next is made, so only one table is in memory.
    A table that fails validation raises before ``staged`` is committed, so no file changes.
    """
    names = []
    for name, df in tables.items() if isinstance(tables, Mapping) else tables:
        df = validate(name, df)
        with staged.open(out_dir / f"{name}.csv") as fh:
            write_csv(df, fh)
        with staged.open(out_dir / f"{name}.parquet") as fh:
            df.to_parquet(fh, engine="pyarrow", index=False)
        if excel_safe:
            with staged.open(out_dir / EXCEL_DIR / f"{name}.csv") as fh:
                fh.write(b"\xef\xbb\xbf")  # so spreadsheets read the file as UTF-8
                write_csv(excel_safe_frame(name, df), fh)
        names.append(name)
        del df  # before the next pair is made
    with staged.open(out_dir / "datapackage.json") as fh:
        fh.write(datapackage(names).encode("utf-8"))
    return names


def write_dataset(out_dir: Path, tables: Tables, texts: Mapping[str, str],
                  excel_safe: bool = False) -> None:
    """Write a whole dataset so that a crash at any point leaves only complete files.

    Order matters: temp files of an earlier killed run are swept; every table is validated
    and written to hidden temp files, which become visible only once all are; new texts go
    before the tables and stale texts last, so a table never names a document whose text is
    already gone.

    Args:
        out_dir: the output folder (``extracted/``).
        tables: table name -> frame, as built by ``frame``, or such pairs one at a time.
        texts: doc_id -> canonical text of every readable document.
        excel_safe: also write ``excel/<table>.csv`` (see ``excel_safe_frame``); without it,
            copies left by an earlier ``--excel-safe`` run are removed so none go stale.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in (out_dir, out_dir / "text", out_dir / EXCEL_DIR):
        atomic.remove_stale_temps(folder)
    with atomic.Staging() as staged:
        names = stage_tables(staged, out_dir, tables, excel_safe)
        write_texts(out_dir, texts, prune=False)
        staged.commit()
    if not excel_safe:
        for name in names:
            (out_dir / EXCEL_DIR / f"{name}.csv").unlink(missing_ok=True)
        if (out_dir / EXCEL_DIR).is_dir() and not any((out_dir / EXCEL_DIR).iterdir()):
            (out_dir / EXCEL_DIR).rmdir()
    prune_texts(out_dir, texts)


EXCEL_DIR = "excel"
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_safe_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A copy of table ``name`` for spreadsheets: text cells that a spreadsheet would run as
    a formula get a leading single quote. Numeric columns are left alone (-0.5 is a number,
    not a formula)."""
    out = df.copy()
    for f in schema(name)["fields"]:
        if f["type"] != "string":
            continue
        col = out[f["name"]]
        risky = col.str.startswith(_FORMULA_STARTS).fillna(False).astype(bool)
        out[f["name"]] = col.where(~risky, "'" + col)
    return out


def datapackage(names: list[str]) -> str:
    """Frictionless Data Package descriptor listing each CSV with its Table Schema."""
    resources = [{
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema(name),
    } for name in names]
    package = {"name": "litx-dataset", "title": "litx extracted dataset",
               "version": __version__, "profile": "tabular-data-package",
               "resources": resources}
    return json.dumps(package, indent=1, ensure_ascii=False) + "\n"


# Texts written at once. Creating and fsyncing a file mostly waits on the disk with the GIL
# released; on the 1k-document corpus (1,000 texts, 31 MB) 8 writers take ~0.55 s where one
# takes 0.8-1.4 s.
TEXT_WRITERS = 8


def write_texts(out_dir: Path, texts: Mapping[str, str], prune: bool = True) -> None:
    """Canonical texts as text/<doc_id>.txt; with ``prune``, texts of gone documents go.

    Each text is written as ``atomic.atomic_write`` writes a file; the folder is locked and
    synced once for all of them, so every rename is durable when this returns.
    """
    folder = out_dir / "text"
    folder.mkdir(parents=True, exist_ok=True)

    def write(doc_id: str) -> None:
        target = folder / f"{doc_id}.txt"
        # Looked up here, not handed to the pool: texts may be read from disk on access
        # (textspool), and the pool takes all its arguments at once.
        data = texts[doc_id].encode("utf-8")
        if not _same_bytes(target, data):
            atomic.replace_with(target, data)

    with atomic.folder_lock(folder), ThreadPoolExecutor(TEXT_WRITERS) as pool:
        for _ in pool.map(write, list(texts)):  # re-raises the first error
            pass
    atomic.fsync_folder(folder)
    if prune:
        prune_texts(out_dir, texts)


def _same_bytes(target: Path, data: bytes) -> bool:
    # Compare sizes first: an unchanged corpus should not read every text back whole.
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def prune_texts(out_dir: Path, texts: Mapping[str, str]) -> None:
    """Remove text/<doc_id>.txt of documents that are no longer in the corpus."""
    for stale in (out_dir / "text").glob("*.txt"):
        if stale.stem not in texts:
            stale.unlink(missing_ok=True)
