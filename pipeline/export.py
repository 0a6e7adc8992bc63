"""Records -> validated tables -> CSV + Parquet + datapackage.json, written atomically.

Each table's columns, types and meanings are declared once, as a Frictionless Table Schema in
``pipeline/schemas/<table>.json``; pandera checks every table against it before anything is
written (DESIGN.md §9).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pipeline import __version__, config

TABLES = ("documents", "mentions", "references", "overlaps", "findings", "conflicts")
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
    if isinstance(value, tuple) and value and all(isinstance(v, float) for v in value):
        return ",".join(f"{v:.2f}" for v in value)
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    return value


def frame(name: str, rows: Iterable[Mapping[str, Any] | Any]) -> pd.DataFrame:
    """Rows (dicts or dataclass records) -> a DataFrame with the table's columns and types."""
    cols = columns(name)
    records = [_as_dict(r) for r in rows]
    data = {c: [to_cell(r.get(c)) for r in records] for c in cols}
    df = pd.DataFrame(data, columns=cols)
    for f in schema(name)["fields"]:
        df[f["name"]] = df[f["name"]].astype(_DTYPES[f["type"]])
    return df


def _as_dict(row: Any) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return dict(row)
    if is_dataclass(row):
        out = {f.name: getattr(row, f.name) for f in fields(row)}
        for prop in ("mention_id", "ref_id"):
            if hasattr(row, prop):
                out[prop] = getattr(row, prop)
        return out
    raise TypeError(f"cannot turn {type(row).__name__} into a row")


def validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check ``df`` against the table's schema; raises pandera's SchemaErrors listing all."""
    return pandera_schema(name).validate(df, lazy=True)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def parquet_bytes(df: pd.DataFrame) -> bytes:
    import io

    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return buf.getvalue()


def write_tables(out_dir: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Validate every table first, then write CSV, Parquet and datapackage.json."""
    checked = {name: validate(name, df) for name, df in tables.items()}
    for name, df in checked.items():
        atomic_write(out_dir / f"{name}.csv", csv_bytes(df))
        atomic_write(out_dir / f"{name}.parquet", parquet_bytes(df))
    atomic_write(out_dir / "datapackage.json", datapackage(list(checked)).encode("utf-8"))


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


def write_texts(out_dir: Path, texts: Mapping[str, str]) -> None:
    """Canonical texts as text/<doc_id>.txt; texts of documents no longer present go."""
    folder = out_dir / "text"
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, text in texts.items():
        target = folder / f"{doc_id}.txt"
        data = text.encode("utf-8")
        if not target.exists() or target.read_bytes() != data:
            atomic_write(target, data)
    for stale in folder.glob("*.txt"):
        if stale.stem not in texts:
            stale.unlink()
