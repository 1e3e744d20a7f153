"""Run a call in isolation and classify its outcome against the solver contract.

The contract (DESIGN.md, "One contract for every solver"): a public solver returns finite values
with an honest ``converged`` flag, or raises :class:`~theory.errors.ParameterError` /
:class:`~theory.errors.ConvergenceError`, within a time and memory budget. :func:`run_isolated`
runs one call in a forked child process with a wall-clock limit and an address-space limit, so a
hang or a runaway allocation is recorded instead of stopping the caller; :func:`classify` walks a
result for non-finite numbers and a ``converged`` flag.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing as mp
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Outcome", "classify", "run_isolated", "nonfinite_paths", "OUTCOME_KINDS", "BAD_KINDS"]

#: Outcome kinds: the first four satisfy the contract, the rest violate it.
OUTCOME_KINDS = (
    "converged",  # finite result (flagged converged where it has a flag)
    "flagged",  # finite result with converged=False and a message
    "ParameterError",
    "ConvergenceError",
    "raw",  # any other exception: a raw library traceback
    "nonfinite",  # a result holding NaN or inf without saying so
    "timeout",  # ran past the time limit
    "memory",  # ran out of the address-space limit (MemoryError)
)
BAD_KINDS = ("raw", "nonfinite", "timeout", "memory")


@dataclasses.dataclass(frozen=True)
class Outcome:
    kind: str
    detail: str
    seconds: float
    warnings: tuple[str, ...] = ()


def nonfinite_paths(obj: Any, path: str = "result", depth: int = 0) -> list[str]:
    """Paths of non-finite numbers inside ``obj`` (arrays, numbers, dataclasses, dicts, tuples)."""
    if depth > 6:
        return []
    if isinstance(obj, (bool, np.bool_, str, bytes)) or obj is None:
        return []
    if isinstance(obj, (int, np.integer)):
        return []
    if isinstance(obj, (float, np.floating)):
        return [] if math.isfinite(float(obj)) else [f"{path}={obj}"]
    if isinstance(obj, complex):
        return [] if math.isfinite(obj.real) and math.isfinite(obj.imag) else [path]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and obj.size and not np.all(np.isfinite(obj)):
            return [f"{path}[{int(np.sum(~np.isfinite(obj)))} non-finite of {obj.size}]"]
        if obj.dtype == object:
            out: list[str] = []
            for i, v in enumerate(obj.ravel()[:64]):
                out += nonfinite_paths(v, f"{path}[{i}]", depth + 1)
            return out
        return []
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = []
        for f in dataclasses.fields(obj):
            if f.name.startswith("_") or f.name in ("network", "params", "info", "kernel"):
                continue
            out += nonfinite_paths(getattr(obj, f.name, None), f"{path}.{f.name}", depth + 1)
        return out
    if isinstance(obj, dict):
        out = []
        for k, v in list(obj.items())[:64]:
            out += nonfinite_paths(v, f"{path}[{k!r}]", depth + 1)
        return out
    if isinstance(obj, (list, tuple)):
        out = []
        for i, v in enumerate(obj[:256]):
            out += nonfinite_paths(v, f"{path}[{i}]", depth + 1)
        return out
    return []


def classify(result: Any) -> tuple[str, str]:
    """(kind, detail) for a returned value: ``converged``, ``flagged`` or ``nonfinite``."""
    conv = getattr(result, "converged", None)
    bad = nonfinite_paths(result)
    if isinstance(conv, (bool, np.bool_)) and not conv:
        msg = str(getattr(result, "message", "") or "")
        if bad and not msg:
            return "nonfinite", "; ".join(bad[:3]) + " (flagged without a message)"
        return "flagged", msg[:160] or "converged=False"
    if bad:
        return "nonfinite", "; ".join(bad[:3])
    return "converged", _summary(result)


def _summary(result: Any) -> str:
    if isinstance(result, (float, np.floating, int)):
        return f"{float(result):.6g}"
    if isinstance(result, np.ndarray):
        return f"array{result.shape}"
    return type(result).__name__


def _child(conn: Any, thunk: Callable[[], Any], mem_bytes: int | None) -> None:
    if mem_bytes:
        import os

        # the workbench's own memory budget (ParameterError) below the hard limit (MemoryError)
        os.environ["THEORY_MEMORY_BUDGET_GIB"] = str(mem_bytes / 2**30 / 2)
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
        except (ImportError, ValueError, OSError):  # pragma: no cover - platform without limits
            pass
    from theory.errors import ConvergenceError, ParameterError

    t0 = time.perf_counter()
    caught: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as wlist:
            warnings.simplefilter("always")
            result = thunk()
        caught = sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in wlist})
        kind, detail = classify(result)
    except ParameterError as exc:
        kind, detail = "ParameterError", str(exc)[:200]
    except ConvergenceError as exc:
        kind, detail = "ConvergenceError", str(exc)[:200]
    except MemoryError as exc:
        kind, detail = "memory", f"MemoryError: {exc}"[:200]
    except BaseException as exc:  # noqa: BLE001 - the point is to record it
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename.split('site-packages/')[-1]}:{tb[-1].lineno}" if tb else ""
        kind, detail = "raw", f"{type(exc).__name__}: {str(exc)[:150]} [{where}]"
    conn.send((kind, detail, time.perf_counter() - t0, tuple(caught)))
    conn.close()


def run_isolated(
    thunk: Callable[[], Any], *, timeout: float = 60.0, mem_gib: float | None = 4.0
) -> Outcome:
    """Run ``thunk()`` in a forked child with a wall-clock and address-space limit."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    mem = int(mem_gib * 2**30) if mem_gib else None
    proc = ctx.Process(target=_child, args=(child, thunk, mem))
    t0 = time.perf_counter()
    proc.start()
    child.close()
    if parent.poll(timeout):
        try:
            kind, detail, secs, caught = parent.recv()
        except EOFError:
            kind, detail, secs, caught = "raw", "child died", time.perf_counter() - t0, ()
        proc.join(5)
    else:
        kind, detail, secs, caught = "timeout", f"> {timeout:g} s", timeout, ()
    if proc.is_alive():
        proc.kill()
        proc.join()
    elif kind == "raw" and detail == "child died" and proc.exitcode and proc.exitcode < 0:
        detail = f"killed by signal {-proc.exitcode}"
        if -proc.exitcode == 9:
            kind = "memory"
    parent.close()
    return Outcome(kind, detail, secs, caught)
