"""heap.release gives freed heap memory back to the operating system (glibc only)."""

from __future__ import annotations

import gc

import pytest

from pipeline import heap


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(heap._malloc_trim() is None, reason="C library without malloc_trim")
def test_freed_blocks_below_live_ones_leave_the_process():
    # Texts of 20-60 KB come from the C heap; keeping every fourth one alive pins the heap
    # top, so without a trim the freed ones stay resident.
    blocks = [("x" * (20_000 + i * 7919 % 40_000)) + str(i) for i in range(4_000)]
    kept = blocks[::4]
    del blocks
    gc.collect()
    before = _rss_mb()
    heap.release()
    assert before - _rss_mb() > 60  # of ~120 MB freed
    assert len(kept) == 1_000
