r"""Phase diagrams of the gated RNN, computed by sweeps (:mod:`theory.sweeps`) of DMFT solves.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VIII, Fig. 12 (phase diagram in
(g_h, α_r) with the lines L1–L3; marginal-stability region at large α_z); the lines are those of
:mod:`theory.gating.chaos.transitions`.

:func:`phase_point` is the sweep function of the (g_h, α_r) diagram: at each point it reports the
chaotic DMFT branch (α_z = 0, from an order-one guess), the stability of the zero fixed point (L1)
and the existence of nonzero fixed points (L2). Regions: *quiescent* (zero state only),
*topologically complex* (nonzero unstable fixed points, zero state stable: L2 < g_h < L3),
*bistable* (chaos coexisting with the stable zero state: L3 < g_h < L1) and *chaotic* (g_h > L1).

:func:`phase_diagram` computes the whole (g_h, α_r) diagram with its lines L1, L2, L3 at once:
the vectorised sweep function :func:`phase_columns` continues the chaotic branch down each α_r
column (g_h descending) with the multi-start test of
:func:`theory.gating.chaos.transitions.branch_exists` warm-started from the column's last branch
point (batched across the columns by :func:`theory.gating.chaos.transitions.branch_search`, so
each point decides exactly as ``branch_exists(g_h, α_r, warm=last)`` does), brackets L3 on the
grid as :func:`~theory.gating.chaos.transitions.line_l3` does and refines it by bisection
(coarse-to-fine: the fine solves are made only at the boundary), and finds L2 by the bisection of
:func:`~theory.gating.chaos.transitions.line_l2`. Every Fourier solve uses the compiled theory
shared by all (g_h, α_r) (:mod:`theory.gating.dmft.batched`), and the columns share one pool of
solves (:class:`~theory.gating.dmft.batched.FourierPool`). The 40 × 40 diagram (g_h ∈ [1.5, 2.5],
α_r ∈ [0, 20]) took 100 s of CPU on one core (measured on a shared 2-core machine) where the
point-by-point sweep of the order-one guess alone took 1340 s (``benchmarks/bench_gating_chaos.py``).

:func:`marginal_point` is the sweep function of the large-α_z diagram: it evaluates the RMT
spectral abscissa at the fixed point of (g_h, α_r) (:mod:`theory.gating.chaos.spectrum`, e = 0) and
the slow-mode fraction P(σ_z < δ); the marginal-stability region is where the bulk is unstable
at α_z = 0 (V_1 + V_2 > 1) but the open-gate bulk is stable, f_open·V < 1 (our large-α_z limit of
the fixed-point boundary, step ``boundary_fixed_point`` of derivation ``gated_jacobian_spectrum``:
open gates have σ_z = 1, closed ones σ_z = 0).
"""

from __future__ import annotations

import json
import math
from collections.abc import Generator
from typing import Any

import numpy as np

from theory.gating.model import GatedParams

__all__ = [
    "phase_diagram",
    "phase_columns",
    "phase_point",
    "marginal_point",
    "chaotic_point",
    "warm_compiled",
    "REGIONS",
    "region_code",
]

#: Region codes used in the phase-diagram Dataset.
REGIONS = {
    0: "quiescent",
    1: "topological complexity (stable zero + unstable FPs)",
    2: "bistable (zero + chaos)",
    3: "chaotic",
}


def _column_lines(
    alpha: float, gs: np.ndarray, found: list[Any], last_pts: list[Any], confirm: int
) -> tuple[float, float, Any, bool]:
    """Bracket (lo, hi) of L3 on a column's descending grid, as line_l3 walks its own grid."""
    if found[0] is None:
        return math.nan, math.nan, None, False
    last_i = 0
    k = 1
    while k < gs.size:
        if found[k] is not None:
            last_i, k = k, k + 1
            continue
        resumed = False
        for j in range(1, confirm + 1):
            if k + j < gs.size and found[k + j] is not None:
                last_i, k, resumed = k + j, k + j + 1, True
                break
        if not resumed:
            return float(gs[k]), float(gs[last_i]), last_pts[last_i], True
    return math.nan, float(gs[last_i]), last_pts[last_i], False


def phase_columns(
    g_h: Any,
    alpha_r: Any,
    beta_r: float = 0.0,
    n: int = 512,
    dtau: float = 0.2,
    xtol: float = 5e-3,
    confirm: int = 1,
) -> dict[str, np.ndarray]:
    """Vectorised sweep function of the (g_h, α_r) diagram: points grouped into α_r columns.

    Parameters
    ----------
    g_h, alpha_r:
        1-D arrays of equal length: the points (whole columns of one α_r give the continuation
        and the lines; :func:`theory.sweeps.sweep` keeps columns whole with ``chunk_axis="g_h"``).
    beta_r, n, dtau:
        Model (α_z = 0, β_h = 0, no inputs, convention A) and Fourier grid, as in
        :func:`theory.gating.chaos.transitions.line_l3`.
    xtol, confirm:
        L3 bisection tolerance and the gap rule of ``line_l3``.

    Returns
    -------
    dict of arrays (one entry per point)
        ``C_h0``, ``C_r0`` (chaotic branch, 0 where none), ``chaotic`` (the multi-start test found the
        branch), ``converged`` (the accepted solution converged, or every guess ended converged
        or collapsed), ``zero_stable``, ``fp_exists``, ``region`` (:data:`REGIONS`), ``guesses``
        (solves made), and the column's ``L1``, ``L2``, ``L3`` (NaN: L3 not bracketed on the
        column's grid, i.e. no branch at its top or the branch reaching its bottom; L2 NaN: a
        nonzero fixed point already at g_h = 1).
    """
    from theory.errors import require
    from theory.gating.chaos.transitions import branch_guesses, branch_point, line_l1
    from theory.gating.dmft.batched import FourierPool, fixed_point_exists_batch

    G = np.atleast_1d(np.asarray(g_h, dtype=float))
    A = np.atleast_1d(np.asarray(alpha_r, dtype=float))
    require(
        G.shape == A.shape and G.ndim == 1,
        "g_h, alpha_r",
        (G.shape, A.shape),
        "1-D arrays of equal length",
    )
    require(bool(np.all(np.isfinite(G) & (G > 0))), "g_h", g_h, "finite values > 0")
    require(bool(np.all(np.isfinite(A) & (A >= 0))), "alpha_r", alpha_r, "finite values >= 0")
    require(xtol > 0, "xtol", xtol, "xtol > 0")
    require(isinstance(confirm, int) and confirm >= 0, "confirm", confirm, "an integer >= 0")
    b = float(beta_r)
    alphas = sorted(set(A.tolist()))
    cols = [np.array(sorted(set(G[A == a].tolist()), reverse=True)) for a in alphas]
    ncol = len(alphas)
    L1 = np.array([line_l1(a, b) for a in alphas])
    L3 = np.full(ncol, math.nan)
    found: list[list[Any]] = [[None] * c.size for c in cols]
    tried_n: list[list[int]] = [[0] * c.size for c in cols]
    conv: list[list[bool]] = [[True] * c.size for c in cols]

    def multistart(g: float, warm: Any) -> Generator[Any, Any, tuple[Any, list[Any]]]:
        """branch_exists(g, α, warm): guesses in order until one is accepted."""
        tried = []
        for guess in branch_guesses(warm):
            pt = yield (round(g, 6), guess)
            tried.append(pt)
            if pt.accepted:
                return pt, tried
        return None, tried

    def column(j: int) -> Generator[Any, Any, None]:
        """Continuation down column j, then the L3 bisection (line_l3's rules on this grid)."""
        gs, last = cols[j], None
        last_pts: list[Any] = []
        for k, g in enumerate(gs):
            ans, tried = yield from multistart(float(g), last)
            found[j][k], tried_n[j][k] = ans, len(tried)
            conv[j][k] = ans.converged if ans is not None else all(t.converged for t in tried)
            if ans is not None:
                last = ans
            last_pts.append(last)
        lo, hi, warm, ok = _column_lines(alphas[j], gs, found[j], last_pts, confirm)
        if not ok:
            return
        while hi - lo > xtol:
            mid = round(0.5 * (lo + hi), 6)
            ans, _t = yield from multistart(mid, warm)
            if ans is not None:
                hi, warm = mid, ans
            else:
                lo = mid
        L3[j] = 0.5 * (lo + hi)

    # one Fourier pool for all columns: each column has one solve in flight, and a finished
    # solve is replaced at once by the column's next one (continuation, guess or bisection)
    pool = FourierPool(n=n, dtau=dtau, tol=1e-8, max_iter=1500)
    gens = {j: column(j) for j in range(ncol)}
    slot_of: dict[int, tuple[int, float, tuple[float, float]]] = {}

    def submit(j: int, req: tuple[float, tuple[float, float]]) -> None:
        g, guess = req
        i = pool.add(GatedParams(g_h=g, alpha_r=alphas[j], beta_r=b), guess)
        slot_of[i] = (j, g, guess)

    for j, gen in gens.items():
        submit(j, next(gen))
    while pool.active.size:
        for i in pool.step():
            j, g, guess = slot_of.pop(i)
            pt = branch_point(pool.result(i), g, guess)
            try:
                submit(j, gens[j].send(pt))
            except StopIteration:
                pass

    # ---- L2 (bisection of line_l2 on the batched existence test) and fp_exists per point
    def exists(g: float, a: float) -> bool:
        return bool(
            fixed_point_exists_batch([GatedParams(g_h=g, alpha_r=a, beta_r=b)], n_grid=200)[0]
        )

    L2 = np.full(ncol, math.nan)
    for j, a in enumerate(alphas):
        g1 = float(L1[j])
        if not exists(g1 - 1e-3, a):
            L2[j] = g1
            continue
        lo, hi = 1.0, g1 - 1e-3
        if exists(lo, a):
            continue  # line_l2 raises: a nonzero fixed point already at g_h = 1
        while hi - lo > 2e-3:
            mid = 0.5 * (lo + hi)
            if exists(mid, a):
                hi = mid
            else:
                lo = mid
        L2[j] = 0.5 * (lo + hi)
    fp = fixed_point_exists_batch(
        [GatedParams(g_h=float(g), alpha_r=float(a), beta_r=b) for g, a in zip(G, A, strict=True)],
        n_grid=200,
    )
    # ---- per point
    m = G.size
    out: dict[str, np.ndarray] = {
        "C_h0": np.zeros(m),
        "C_r0": np.zeros(m),
        "chaotic": np.zeros(m, dtype=bool),
        "converged": np.zeros(m, dtype=bool),
        "zero_stable": np.zeros(m, dtype=bool),
        "fp_exists": fp,
        "region": np.zeros(m, dtype=int),
        "guesses": np.zeros(m, dtype=int),
        "L1": np.zeros(m),
        "L2": np.zeros(m),
        "L3": np.zeros(m),
    }
    col_index = {a: j for j, a in enumerate(alphas)}
    for i in range(m):
        j = col_index[float(A[i])]
        k = int(np.nonzero(cols[j] == G[i])[0][0])
        ans = found[j][k]
        out["C_h0"][i] = ans.C_h0 if ans is not None else 0.0
        out["C_r0"][i] = ans.C_r0 if ans is not None else 0.0
        out["chaotic"][i] = ans is not None
        out["converged"][i] = conv[j][k]
        out["zero_stable"][i] = G[i] < L1[j]
        out["region"][i] = region_code(ans is not None, bool(G[i] < L1[j]), bool(fp[i]))
        out["guesses"][i] = tried_n[j][k]
        out["L1"][i], out["L2"][i], out["L3"][i] = L1[j], L2[j], L3[j]
    return out


phase_columns.vectorized = True  # type: ignore[attr-defined]  # theory.sweeps: one call per task


def phase_diagram(
    g_h: Any,
    alpha_r: Any,
    beta_r: float = 0.0,
    *,
    n: int = 512,
    dtau: float = 0.2,
    xtol: float = 5e-3,
    confirm: int = 1,
    n_workers: int = 1,
    client: Any = None,
    scheduler: str | None = None,
    columns_per_task: int | None = None,
    progress: bool = False,
) -> Any:
    """The (g_h, α_r) phase diagram with its transition lines (module docstring).

    Parameters
    ----------
    g_h, alpha_r:
        Grid values (1-D).
    beta_r, n, dtau, xtol, confirm:
        As :func:`phase_columns`.
    n_workers, client, scheduler:
        ``n_workers=1`` and no client/scheduler: computed in this process. Otherwise the columns
        are distributed by :func:`theory.sweeps.sweep` (a LocalCluster of ``n_workers``
        single-threaded workers, an existing ``client``, or a ``scheduler`` address), whole
        columns per task (``columns_per_task``, default: one task per worker, the columns split
        evenly; the count is the client's workers when a client is given, else ``n_workers``).
        A worker's Fourier pool iterates all the columns of its task together, so a task of many
        columns costs little more than one column (its time is set by the slowest column's
        continuation); each task takes every n-th α_r column, which balances the cost of the
        columns. The 40 × 40 diagram: 58.5 s in this process, 40.6 s on 2 workers, 65.8 s on
        one (``benchmarks/bench_gating_chaos.py``; 188 s on 2 workers with 2 columns per task).
    progress:
        Progress bar (sweeps only).

    Returns
    -------
    xarray.Dataset
        Per point (dims ``g_h``, ``alpha_r``): the variables of :func:`phase_columns` except the
        lines; per α_r: ``L1``, ``L2``, ``L3``; attrs: grid settings and timings.
    """
    import time

    import xarray as xr

    from theory.errors import require
    from theory.gating.dmft.batched import batch_theory
    from theory.sweeps import sweep, validate_grid

    grid = validate_grid({"g_h": g_h, "alpha_r": alpha_r})
    t0 = time.perf_counter()
    batch_theory(
        0.0, float(beta_r)
    )  # tables built (or loaded) here, then read from disk by workers
    t_tables = time.perf_counter() - t0
    fixed = {
        "beta_r": float(beta_r),
        "n": int(n),
        "dtau": float(dtau),
        "xtol": float(xtol),
        "confirm": int(confirm),
    }
    if n_workers == 1 and client is None and scheduler is None:
        G, A = np.meshgrid(grid["g_h"], grid["alpha_r"], indexing="ij")
        res = phase_columns(G.ravel(), A.ravel(), **fixed)  # type: ignore[arg-type]
        shape = G.shape
        data = {k: (("g_h", "alpha_r"), v.reshape(shape)) for k, v in res.items()}
        ds = xr.Dataset(data, coords=grid)
        ds["failed"] = (("g_h", "alpha_r"), np.zeros(shape, dtype=bool))
    else:
        require(
            isinstance(n_workers, int) and n_workers >= 1, "n_workers", n_workers, "an integer >= 1"
        )
        workers = n_workers
        if client is not None and columns_per_task is None:
            workers = len(client.scheduler_info().get("workers", {})) or n_workers
        ncol = grid["alpha_r"].size
        per = columns_per_task or max(1, math.ceil(ncol / workers))
        # tasks take every n_tasks-th column (columns at small alpha_r cost more: contiguous
        # halves of the 40 x 40 diagram split the work 55 : 45); a column's result does not
        # depend on the columns it shares a pool with, so the order changes nothing else
        n_tasks = math.ceil(ncol / per)
        order = np.concatenate([np.arange(t, ncol, n_tasks) for t in range(n_tasks)])
        ds = sweep(
            phase_columns,
            {"g_h": grid["g_h"], "alpha_r": grid["alpha_r"][order]},
            fixed=fixed,
            client=client,
            scheduler=scheduler,
            n_workers=n_workers,
            chunk_axis="g_h",
            chunk=per * grid["g_h"].size,
            cache=False,
            progress=progress,
            name="phase diagram",
        )
        ds = ds.isel(alpha_r=np.argsort(order))
    lines = {}
    for k in ("L1", "L2", "L3"):
        lines[k] = ("alpha_r", np.asarray(ds[k].isel(g_h=0).values, dtype=float))
        ds = ds.drop_vars(k)
    ds = ds.assign(lines)
    ds.attrs.update(
        {
            "beta_r": float(beta_r),
            "n": int(n),
            "dtau": float(dtau),
            "xtol": float(xtol),
            "seconds": time.perf_counter() - t0,
            "table_seconds": t_tables,
            "regions": json.dumps(REGIONS),
        }
    )
    return ds


def region_code(chaotic: bool, zero_stable: bool, fp_exists: bool) -> int:
    """Map the three indicators to a region code of :data:`REGIONS`."""
    if not zero_stable:
        return 3
    if chaotic:
        return 2
    return 1 if fp_exists else 0


def phase_point(
    g_h: float, alpha_r: float, beta_r: float = 0.0, n: int = 512, dtau: float = 0.2
) -> dict[str, Any]:
    """Sweep function for the (g_h, α_r) phase diagram (α_z = 0, β_h = 0, no inputs)."""
    from theory.gating.chaos.transitions import chaotic_branch
    from theory.gating.dmft.batched import fixed_point_exists_batch
    from theory.gating.dmft.fixed_points import zero_fp_threshold

    p = GatedParams(g_h=float(g_h), alpha_r=float(alpha_r), beta_r=float(beta_r))
    br = chaotic_branch(float(g_h), float(alpha_r), float(beta_r), n=int(n), dtau=float(dtau))
    zero_stable = float(g_h) < zero_fp_threshold(p)
    # len(fixed_point_branches(p, n_grid=200)) > 0 without a derivation per point
    fp_exists = bool(fixed_point_exists_batch([p], n_grid=200)[0])
    return {
        "C_h0": br.C_h0,
        "chaotic": br.chaotic,
        "converged": br.converged,
        "zero_stable": zero_stable,
        "fp_exists": fp_exists,
        "region": region_code(br.chaotic, zero_stable, fp_exists),
    }


def chaotic_point(
    g_h: float, alpha_r: float, beta_r: float = 0.0, n: int = 256, dtau: float = 0.25
) -> dict[str, Any]:
    """Sweep function: the chaotic DMFT branch (α_z = 0, order-one guess), solved in convention B.

    Same network and same branch as :func:`theory.gating.chaos.transitions.chaotic_branch` (convention A),
    but in convention B the closures do not contain g_h, so the compiled theory is shared by all
    g_h at one (α_r, β_r) (:func:`theory.gating.dmft.equations.closure_params`): a (g_h, α_r) sweep compiles
    once per α_r instead of once per point. C_h(0) is returned in convention-A units
    (h_B = g_h h_A, so C_h^A = C_h^B / g_h²). No memoisation (timings are honest).
    """
    from theory.errors import require
    from theory.gating.chaos.transitions import COLLAPSE
    from theory.gating.dmft.fourier import solve_dmft_fourier

    g = float(g_h)
    require(g > 0, "g_h", g_h, "g_h > 0")
    p = GatedParams(g_h=g, alpha_r=float(alpha_r), beta_r=float(beta_r), convention="B")
    sol = solve_dmft_fourier(
        p, n=int(n), dtau=float(dtau), tol=1e-8, init=(g * g, 1.0), max_iter=1500
    )
    ch0 = float(sol.C_h[0]) / (g * g)
    chaotic = ch0 > COLLAPSE
    return {"C_h0": ch0, "chaotic": chaotic, "converged": bool(sol.converged or not chaotic)}


def warm_compiled(alpha_r_values: Any, beta_r: float = 0.0) -> int:
    """Compile the convention-B DMFT theory for each α_r once in this process (e.g. on each Dask worker)."""
    from theory.gating.dmft.equations import compiled_theory

    vals = sorted({float(a) for a in alpha_r_values})
    for a in vals:
        compiled_theory(GatedParams(g_h=1.0, alpha_r=a, beta_r=float(beta_r), convention="B"), None)
    return len(vals)


def marginal_point(
    g_h: float, alpha_r: float, alpha_z: float = 30.0, delta: float = 0.05
) -> dict[str, Any]:
    """Sweep function for the large-α_z diagram: RMT abscissa at the upper fixed point, V, slow modes."""
    import numpy as np

    from theory.gating.chaos.spectrum import BoundaryModel, slow_mode_fraction, spectral_abscissa
    from theory.gating.dmft.fixed_points import solve_fixed_point_dmft

    p = GatedParams(g_h=float(g_h), alpha_r=float(alpha_r), alpha_z=float(alpha_z))
    fp = solve_fixed_point_dmft(p, branch="upper")
    if not fp.exists:
        return {
            "V": fp.V1 + fp.V2,
            "abscissa": float(np.nan),
            "abscissa_az0": float(np.nan),
            "slow_fraction": float(np.nan),
            "marginal": False,
            "fp_exists": False,
        }
    m = BoundaryModel.fixed_point(p, fp.Delta_h, fp.Delta_z, fp.Delta_r)
    m0 = BoundaryModel.fixed_point(
        GatedParams(g_h=float(g_h), alpha_r=float(alpha_r)), fp.Delta_h, fp.Delta_z, fp.Delta_r
    )
    V = fp.V1 + fp.V2
    x = spectral_abscissa(m) if V > 1 else float("nan")
    x0 = spectral_abscissa(m0) if V > 1 else float("nan")
    return {
        "V": V,
        "abscissa": x,
        "abscissa_az0": x0,
        "slow_fraction": slow_mode_fraction(p, fp.Delta_z, delta),
        "marginal": bool(1 < V < 2),
        "fp_exists": True,
    }
