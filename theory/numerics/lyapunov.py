r"""The QR (Benettin) method for Lyapunov exponents, for any system packed as Y = [state | frame].

Benettin, Galgani, Giorgilli & Strelcyn, Meccanica 15, 9 (1980); Shimada & Nagashima, Prog. Theor.
Phys. 61, 1605 (1979); for rate networks Engelken, Wolf & Abbott, arXiv 2006.02427 (2020), Sec. 2.

The caller packs S independent systems into one array Y of shape (S, *D, k + 1): ``Y[..., 0]`` is
the state (shape D per system) and ``Y[..., 1:]`` a frame of k tangent vectors; its vector field
``f(Y)`` returns the state's velocity in column 0 and the tangent map applied to the frame in the
other columns (so one BLAS-3 product can serve both). :func:`qr_lyapunov` advances Y with the
Runge–Kutta engine (:func:`theory.numerics.integrate.rk_step`: the exponents are those of the RK
map, within O(dt^p) of the flow's), re-orthonormalises the frame Q ← qr(Q) (positive diagonal)
at an interval set by the growth, and averages log|R_ii| over blocks of the record.

**Interval.** Between two QRs the frame's columns grow at rates λ₁ … λ_k, so its condition number
is e^{(λ₁ − λ_k) t}; rounding in the QR then costs ≈ cond·ε relative. After each QR the spread of
log|R_ii| measures (λ₁ − λ_k)·t, and the next interval is set so that the condition number stays
near ``max_condition`` (capped at ``max_interval``). For k = 1 only the norm is reset, which loses
nothing: the interval is ``max_interval``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from theory.errors import ParameterError, require
from theory.numerics.integrate import ButcherTableau, get_method, rk_step

__all__ = ["QRLyapunovResult", "qr_lyapunov", "cache_groups", "CACHE_BYTES"]

#: Bytes of matrices that one group of systems integrated together may hold (:func:`cache_groups`).
#: Measured on the shared 2-core machine (32 MiB L3, shared with other processes; products with
#: two columns, one BLAS thread): per stage, 8 networks of N = 500 in float32 (three N × N
#: matrices each, 3 MiB) take 1.4–1.6 ms CPU in groups of 1–2 against 3.5 ms all together;
#: 10 networks of N = 250 in float64 (1.5 MiB each) take 0.25–0.28 ms in groups of ≤ 5 against
#: 0.69 ms; 8 classical networks of N = 1000 in float32 (4 MiB) 1.8 ms one by one against 3.5 ms.
CACHE_BYTES = 8 * 2**20


def cache_groups(count: int, bytes_each: float, budget: float | None = None) -> list[slice]:
    """Consecutive groups of ``count`` independent systems whose matrices fit ``budget`` bytes
    (default :data:`CACHE_BYTES`).

    A memory-bound integration (mat-vecs, or products with a few columns) reads every matrix once
    per stage; integrating a group whose matrices stay in the cache from one stage to the next
    reads them from the cache instead of memory, which beats batching all systems into one
    product once their matrices together exceed the cache. A system larger than the budget is a
    group of its own. Groups are balanced (sizes differ by at most one).
    """
    require(isinstance(count, (int, np.integer)) and count >= 1, "count", count, "an integer >= 1")
    budget = CACHE_BYTES if budget is None else budget
    require(bytes_each > 0 and budget > 0, "bytes_each, budget", (bytes_each, budget), "> 0")
    per = max(1, int(budget // bytes_each))
    n_groups = -(-int(count) // per)
    base, extra = divmod(int(count), n_groups)
    out, start = [], 0
    for g in range(n_groups):
        stop = start + base + (1 if g < extra else 0)
        out.append(slice(start, stop))
        start = stop
    return out


@dataclass(frozen=True)
class QRLyapunovResult:
    """Exponents of S systems.

    Attributes
    ----------
    exponents:
        Shape (S, k), sorted λ₁ ≥ … ≥ λ_k per system.
    block_exponents:
        Shape (S, n_blocks, k), in the same order.
    sem:
        Standard error of the exponents from the blocks, shape (S, k).
    T, transient:
        Recorded and discarded times.
    n_qr:
        Number of re-orthonormalisations in the record.
    final:
        The packed array at the end.
    """

    exponents: np.ndarray
    block_exponents: np.ndarray
    sem: np.ndarray
    T: float
    transient: float
    n_qr: int
    final: np.ndarray


def qr_lyapunov(
    f: Callable[[np.ndarray], np.ndarray],
    Y: np.ndarray,
    *,
    dt: float,
    T: float,
    transient: float,
    method: str | ButcherTableau = "rk4",
    n_blocks: int = 10,
    max_condition: float = 1e4,
    max_interval: float = 10.0,
    interval: float | None = None,
    progress: str | None = None,
) -> QRLyapunovResult:
    """QR Lyapunov exponents of the packed system ``Y' = f(Y)`` (see the module docstring).

    Parameters
    ----------
    f:
        Vector field of the packed array (state in column 0, tangent frame in columns 1…k).
    Y:
        Initial packed array, shape (S, *D, k + 1), frame orthonormal per system (a copy is
        advanced, in float32 or float64 as given; the logarithms are summed in float64).
    dt, method:
        Runge–Kutta step and method.
    T, transient:
        Recorded time (rounded to whole blocks of steps) and discarded transient.
    n_blocks:
        Blocks of the record for the error estimate (≥ 2).
    max_condition, max_interval:
        Target condition number of the frame between QRs, and the longest interval (time units).
    interval:
        A fixed re-orthonormalisation interval instead (time units, ≥ dt).
    progress:
        Description for a progress bar (None: no bar).

    Raises
    ------
    ParameterError
        For bad times, a frame with no columns, n_blocks < 2.
    FloatingPointError
        If the trajectory diverges (non-finite state or zero growth).
    """
    tab = get_method(method)
    Y = np.array(Y, dtype=np.result_type(Y.dtype, np.float32))
    require(Y.ndim >= 3 and Y.shape[-1] >= 2, "Y", Y.shape, "shape (S, *D, k + 1) with k >= 1")
    require(np.isfinite(dt) and dt > 0, "dt", dt, "dt > 0")
    require(np.isfinite(T) and T >= dt, "T", T, f"T >= dt = {dt}")
    require(np.isfinite(transient) and transient >= 0, "transient", transient, "transient >= 0")
    require(
        isinstance(n_blocks, (int, np.integer)) and n_blocks >= 2,
        "n_blocks",
        n_blocks,
        "an integer >= 2",
    )
    require(max_condition > 10, "max_condition", max_condition, "max_condition > 10")
    require(max_interval >= dt, "max_interval", max_interval, f"max_interval >= dt = {dt}")
    if interval is not None:
        require(interval >= dt, "interval", interval, f"interval >= dt = {dt}")
    if not np.all(np.isfinite(Y)):
        raise ParameterError("Y", "array with NaN/inf", "a finite initial state and frame")
    S = Y.shape[0]
    k = Y.shape[-1] - 1
    dim = int(np.prod(Y.shape[1:-1]))
    n_trans = int(round(transient / dt))
    n_rec = max(n_blocks, int(round(T / dt)))
    n_rec -= n_rec % n_blocks
    block_steps = n_rec // n_blocks
    max_steps = max(1, int(round(max_interval / dt)))
    fixed = None if interval is None else max(1, int(round(interval / dt)))
    n_ons = fixed if fixed is not None else (max_steps if k == 1 else max(1, int(round(1.0 / dt))))
    log_cond = math.log(max_condition)
    sums = np.zeros((S, n_blocks, k))
    n_qr = 0

    def reorthonormalise() -> np.ndarray:
        if k == 1:
            v = Y[..., 1].reshape(S, dim)
            nrm = np.linalg.norm(v, axis=1)
            Y[..., 1] /= nrm.reshape((S,) + (1,) * (Y.ndim - 2))
            return np.log(nrm.astype(float))[:, None]
        q, r = np.linalg.qr(Y[..., 1:].reshape(S, dim, k))
        d = np.diagonal(r, axis1=1, axis2=2)
        Y[..., 1:] = (q * np.sign(d)[:, None, :]).reshape(Y.shape[:-1] + (k,))
        return np.log(np.abs(d).astype(float))

    def adapt(logs: np.ndarray, steps: int) -> int:
        if fixed is not None:
            return fixed
        if k == 1:
            return max_steps
        spread = float(np.max(logs.max(axis=1) - logs.min(axis=1)))
        if not spread > 0:
            return max_steps
        return int(min(max_steps, max(1, math.floor(log_cond * steps / spread))))

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trans + n_rec, desc=progress, leave=False)

    def advance(n: int) -> None:
        nonlocal Y
        for _ in range(n):
            Y = rk_step(f, Y, dt, method=tab)
        if bar is not None:
            bar.update(n)

    done = 0
    while done < n_trans:
        n = min(n_ons, n_trans - done)
        advance(n)
        done += n
        logs = reorthonormalise()
        if not np.all(np.isfinite(logs)) or not np.all(np.isfinite(Y[..., 0])):
            raise FloatingPointError(f"trajectory diverged in the transient (dt = {dt})")
        n_ons = adapt(logs, n)
    for blk in range(n_blocks):
        done = 0
        while done < block_steps:
            n = min(n_ons, block_steps - done)
            advance(n)
            done += n
            logs = reorthonormalise()
            if not np.all(np.isfinite(logs)) or not np.all(np.isfinite(Y[..., 0])):
                raise FloatingPointError(f"trajectory diverged (dt = {dt} too large?)")
            sums[:, blk] += logs
            n_qr += 1
            n_ons = adapt(logs, n)
    if bar is not None:
        bar.close()
    blocks = sums / (block_steps * dt)
    exps = blocks.mean(axis=1)
    order = np.argsort(-exps, axis=1, kind="stable")
    exps = np.take_along_axis(exps, order, axis=1)
    blocks = np.take_along_axis(blocks, order[:, None, :], axis=2)
    sem = blocks.std(axis=1, ddof=1) / math.sqrt(n_blocks)
    return QRLyapunovResult(exps, blocks, sem, n_rec * dt, n_trans * dt, n_qr, Y)
