r"""Keep freed memory in the process: fewer page faults for loops of large NumPy temporaries.

The iterative solvers (the batched Fourier DMFT pool above all) allocate and free arrays of
0.1–10 MB at every iteration. With glibc's default malloc, blocks above the mmap threshold
(dynamic, 128 kB to 32 MB) are mapped and unmapped by the kernel, and free space at the top of
the heap beyond the trim threshold is returned to it, so each new temporary is backed by fresh
pages whose first touch costs a page fault (the kernel zeroes the page). Measured on the 40 × 40
phase diagram: 105 s with the defaults, 58 s with the thresholds below (same results bit for
bit; `benchmarks/bench_gating_chaos.py`), the difference being system time.

:func:`retain_freed_memory` raises the mmap threshold to 64 MiB and the trim threshold to
256 MiB (``mallopt``; no effect and no error where the C library is not glibc): the process then
keeps up to a few hundred MiB of freed memory for reuse instead of returning it. It is called by
the long-running drivers (the check runner and its workers, the phase diagram, sweep workers) and
can be called by a user's own scripts; ``THEORY_KEEP_DEFAULT_MALLOC=1`` turns it off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["retain_freed_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

#: glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

#: Blocks below this size come from the heap (64 MiB; the dynamic default tops out at 32 MiB).
MMAP_THRESHOLD = 64 * 2**20
#: Free space at the top of the heap kept before it is returned to the kernel.
TRIM_THRESHOLD = 256 * 2**20

_done: bool | None = None


def retain_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (module docstring) once per process.

    Returns whether the settings are in effect (False off glibc, or when
    ``THEORY_KEEP_DEFAULT_MALLOC`` is set). Never raises.
    """
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("THEORY_KEEP_DEFAULT_MALLOC", "") not in ("", "0"):
        return False
    try:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
        if mallopt is None:
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        ok = all(
            mallopt(param, value) == 1
            for param, value in (
                (_M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                (_M_TOP_PAD, 16 * 2**20),
            )
        )
    except (OSError, AttributeError, TypeError):
        return False
    _done = bool(ok)
    return _done
