"""Give the operating system back the memory a stage freed, so the next stage starts lower.

CPython frees large objects (document texts, record lists) to the C allocator, and glibc keeps
freed blocks in the middle of its heap mapped: the process stays as large as its largest
moment, and a later stage stacks on top. ``malloc_trim(0)`` returns those free pages (the
remedy Dask's documentation gives for the same effect in its workers). Elsewhere (macOS,
musl, Windows) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


def release() -> None:
    """Return free heap pages to the operating system, where the C library allows it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
