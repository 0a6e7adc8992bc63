"""CSV rows as Python's csv module writes them, built a column at a time by Arrow.

The csv module quotes and copies cell by cell in C, but still one Python object per cell:
the mentions table of 1,000 documents (27 MB, most of it repeated sentences) took ~1.1 s.
Here each column is escaped as a whole (Arrow compute kernels) and the columns are joined
into rows the same way, so the bytes are the module's and the loop per cell is in C.

Only ``QUOTE_MINIMAL`` and ``QUOTE_ALL`` with the ``excel`` dialect's delimiter and quote
character and a ``"\\n"`` line end are covered, the way ``pipeline.export`` writes tables.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# What makes csv.QUOTE_MINIMAL quote a cell: the delimiter, the quote character or a character
# of the line end. (A lone "\r" is another matter: export switches to QUOTE_ALL for it.)
_NEEDS_QUOTES = r'[,"\n]'
_QUOTE, _NOTHING, _COMMA = (pa.scalar(c, pa.large_string()) for c in ('"', "", ","))


def rows(df: pd.DataFrame, quoting: int, slice_rows: int) -> Iterator[bytes] | None:
    """The rows of ``df`` (no header) as UTF-8 CSV lines, ``slice_rows`` rows per chunk; None
    when some column is not one this module renders exactly (the caller then uses the csv
    module)."""
    if len(df.columns) < 2 or quoting not in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL):
        # A row of one empty cell is written as "" by the csv module, not as an empty line.
        return None
    columns = [_column(df[name], quoting == csv.QUOTE_ALL) for name in df.columns]
    if any(c is None for c in columns):
        return None
    return _chunks(columns, quoting == csv.QUOTE_ALL, len(df), slice_rows)


_Render = Callable[[int, int], pa.LargeStringArray]


def _chunks(columns: list[tuple[_Render, bool]], quote_all: bool, n: int,
            slice_rows: int) -> Iterator[bytes]:
    for start in range(0, n, slice_rows):
        cells = [_quoted(render(start, slice_rows), quote_all) if quote
                 else render(start, slice_rows) for render, quote in columns]
        yield _concatenated(pc.binary_join_element_wise(*cells, _NOTHING, _COMMA))


def _column(col: pd.Series, quote_all: bool) -> tuple[_Render, bool] | None:
    """How to render a slice of ``col`` as text, and whether any of its cells may need
    quotes; None for a column this module does not render.

    Each cell comes out as the csv module renders its value: a string as it is, a number by
    str() (for a float that is its repr), a missing cell as "".
    """
    if isinstance(col.dtype, pd.StringDtype):
        try:
            # The frame's own Arrow data when it has it, not a copy.
            text = pa.array(col.array, type=pa.large_string())
        except (pa.ArrowException, TypeError, ValueError):
            return None  # e.g. a lone surrogate: the csv path raises the error it always did
        # Asked once of the column's bytes, not per cell: most columns (ids, labels) have no
        # cell to quote.
        return _sliced(text), quote_all or holds_any(text, b',"\n')
    if isinstance(col.dtype, pd.Int64Dtype):
        ints = pa.array(col.array, type=pa.int64())
        return _sliced(pc.cast(ints, pa.large_string())), quote_all  # as str() writes them
    if isinstance(col.dtype, pd.Float64Dtype):
        # Arrow's shortest float text is not Python's ("100" for 100.0, "1e-7" for 1e-07),
        # so floats are rendered by Python, a slice at a time.
        def render(start: int, size: int) -> pa.LargeStringArray:
            values = col.iloc[start:start + size].to_numpy(dtype=object, na_value="")
            return pa.array([str(v) for v in values], type=pa.large_string())

        return render, quote_all
    return None


def _sliced(text: pa.LargeStringArray) -> _Render:
    return lambda start, size: pc.fill_null(text.slice(start, size), _NOTHING)


def holds_any(text: pa.LargeStringArray, chars: bytes) -> bool:
    """Whether some cell of ``text`` may hold one of the ASCII ``chars``: one scan of the
    column's bytes (a null cell's bytes, if any, count too: at worst a needless check later)."""
    data = text.buffers()[2]
    if not len(text) or data is None:
        return False
    offsets = _offsets(text)
    # re searches the buffer in place: a copy of a long column would be the write stage's
    # largest allocation.
    return _any_of(chars).search(memoryview(data)[offsets[0]:offsets[-1]]) is not None


@lru_cache(maxsize=8)
def _any_of(chars: bytes) -> re.Pattern[bytes]:
    return re.compile(b"[" + re.escape(chars) + b"]")


def _quoted(text: pa.LargeStringArray, quote_all: bool) -> pa.LargeStringArray:
    wrapped = pc.binary_join_element_wise(_QUOTE, pc.replace_substring(text, '"', '""'), _QUOTE,
                                          _NOTHING)
    if quote_all:
        return wrapped
    return pc.if_else(pc.match_substring_regex(text, _NEEDS_QUOTES), wrapped, text)


def _concatenated(lines: pa.LargeStringArray) -> bytes:
    """Every line, its trailing "," turned into "\\n", as one byte string."""
    offsets = _offsets(lines)
    data = np.frombuffer(lines.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].copy()
    data[offsets[1:] - offsets[0] - 1] = ord("\n")
    return data.tobytes()


def _offsets(text: pa.LargeStringArray) -> np.ndarray:
    """Where each cell of ``text`` starts in its data buffer, and where the last one ends."""
    return np.frombuffer(text.buffers()[1], dtype=np.int64, count=len(text) + 1,
                         offset=text.offset * 8)
