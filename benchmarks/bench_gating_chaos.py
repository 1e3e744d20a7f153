"""Benchmarks of the gated-RNN chaos tools; ratios against baselines measured in the same run.

* QR Lyapunov spectra of the classical network (g = 2, N = 500, 1000, 2000, k = 1 and 10): the
  package's path (:mod:`theory.gating.classical.lyapunov`: RK4 at dt = 0.25, state and frame in
  one BLAS-3 product, QR interval set by the growth) vs the standard algorithm written here
  (:func:`standard_qr_lyapunov`: Euler at dt = 0.1 with the explicit Jacobian of the step and QR
  every time unit, as in Engelken, Wolf & Abbott, arXiv 2006.02427), CPU time per unit of
  simulated time with one BLAS thread. Both steps have a discretisation bias of λ₁ below the
  resolution of ``bench_lyapunov_bias.py`` (see there), so the comparison is at equal bias.
* QR Lyapunov step of the gated network (state + k tangent vectors, RK4) vs the bare simulation
  step (RK4 of the state).
* Phase-diagram sweep of DMFT solves on 2 local Dask workers vs serial (40 x 40 (g_h, alpha_r)
  grid, 6 x 6 with --quick; compile caches warmed on both sides first). Measured on the 2-core
  development machine (2026-11-22): 1210 s on 2 workers vs 1340 s serial, ratio 1.11; the workers
  were busy 100 % of the wall time (no load imbalance, no scheduler bottleneck) but each point took
  1.64x its serial time when two solves ran at once (the quadrature grids contend for the shared
  cache; a pure elementwise numpy loop scales 2.16x on the same machine). Expect more on machines
  with more cores or memory bandwidth per core.
* Spectral abscissa by root finding on the RMT boundary vs dense eigendecomposition of the
  3N x 3N Jacobian.

Run: ``python benchmarks/bench_gating_chaos.py [--quick]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)


def standard_qr_lyapunov(
    J: np.ndarray, x0: np.ndarray, Q0: np.ndarray, *, dt: float, T: float, t_ons: float
) -> np.ndarray:
    """The standard algorithm (Engelken, Wolf & Abbott, arXiv 2006.02427, Sec. 2; written here):
    Euler steps x ← (1 − dt)x + dt·J tanh(x); the tangent map of the Euler step formed explicitly,
    D = (1 − dt)I + dt·J diag(1 − tanh²x), and applied, Q ← D Q; QR every ``t_ons``. Returns the
    k exponents (unsorted, as the algorithm produces them)."""
    x = x0.copy()
    q = Q0.copy()
    N, k = q.shape
    n_steps = int(round(T / dt))
    n_ons = max(1, int(round(t_ons / dt)))
    acc = np.zeros(k)
    diag = np.arange(N)
    for n in range(n_steps):
        th = np.tanh(x)
        D = J * (dt * (1.0 - th * th))[None, :]
        D[diag, diag] += 1.0 - dt
        x = (1.0 - dt) * x + dt * (J @ th)
        q = D @ q
        if (n + 1) % n_ons == 0:
            q, r = np.linalg.qr(q)
            acc += np.log(np.abs(np.diagonal(r)))
    return acc / (n_steps * dt)


def best_cpu_time(fn, repeat: int = 2) -> float:  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Smallest CPU time (process_time) of ``repeat`` calls: on a shared machine the wall clock
    counts the other processes' slices, the CPU time only ours (one BLAS thread)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


#: RK4 step of the package's QR path in the comparison (bias below the measured resolution,
#: bench_lyapunov_bias.py) and the standard algorithm's usual Euler step.
DT_PACKAGE = 0.25
DT_STANDARD = 0.1


def _qr_vs_standard(quick: bool) -> list[dict]:
    """Classical network g = 2: the package's QR path (RK4, fused BLAS-3 product, adaptive QR)
    vs the standard algorithm, CPU time per unit of simulated time, one BLAS thread."""
    from theory.gating.classical import ClassicalParams
    from theory.gating.classical.checks import FLOAT32_FROM
    from theory.gating.classical.lyapunov import classical_lyapunov_spectra, sample_couplings

    p = ClassicalParams(2.0)
    out = []
    sizes = (200, 500) if quick else (500, 1000, 2000)
    for N in sizes:
        J, x0 = sample_couplings(p, N, 0)
        for k in (1, 10):
            Q0 = np.linalg.qr(np.random.default_rng(1).standard_normal((N, k)))[0]
            T = 5.0 if quick else (20.0 if N <= 1000 else 10.0)
            t_std = best_cpu_time(
                lambda J=J, x0=x0, Q0=Q0, T=T: standard_qr_lyapunov(
                    J, x0, Q0, dt=DT_STANDARD, T=T, t_ons=1.0
                )
            )
            # float32 products where the λ_max checks use them (J leaves the cache; λ_1 changes
            # by ~1e-7, tests/gating/classical/test_lyapunov.py)
            dtype = np.float32 if N >= FLOAT32_FROM else np.float64
            t_pkg = best_cpu_time(
                lambda N=N, k=k, T=T, dtype=dtype: classical_lyapunov_spectra(
                    p, N, k, seeds=[0], T=T, transient=0.0, dt=DT_PACKAGE, n_blocks=2, dtype=dtype
                )
            )
            out.append(
                dict(
                    name=f"qr_lyapunov[classical g=2, N={N}, k={k}]",
                    value=t_pkg / T,
                    unit="cpu-s/time",
                    baseline=t_std / T,
                    ratio=t_pkg / t_std,
                    note=(
                        f"package RK4 dt={DT_PACKAGE} {np.dtype(dtype).name} (fused J@[phi|phi'Q], adaptive QR) vs standard "
                        f"Euler dt={DT_STANDARD}, explicit Jacobian, QR every 1; discretisation bias of "
                        "lambda_1 of both below the measured resolution (bench_lyapunov_bias)"
                    ),
                )
            )
    return out


def _qr_vs_step(quick: bool) -> list[dict]:
    from theory.gating import GatedNetwork, GatedParams
    from theory.gating.chaos import lyapunov_spectra

    N = 200 if quick else 500
    net = GatedNetwork.sample(GatedParams(g_h=2.5, alpha_r=20.0), N, np.random.default_rng(0))
    x = net.initial_state(np.random.default_rng(1))
    n_steps = 20 if quick else 50
    t_bare = best_time(lambda: [net.step(x, 0.1) for _ in range(n_steps)]) / n_steps
    out = []
    for k in (1, 10) if quick else (1, 10, 90):
        # a run of n_steps RK4 steps of state + frame (re-orthonormalised every t_ons = 1)
        t_qr = (
            best_time(
                lambda k=k: lyapunov_spectra(
                    [net],
                    k,
                    T=n_steps * 0.1,
                    transient=0.0,
                    rng=np.random.default_rng(2),
                    dt=0.1,
                    n_blocks=5,
                )
            )
            / n_steps
        )
        out.append(
            dict(
                name=f"qr_lyapunov_step[N={N},k={k}]",
                value=t_qr,
                unit="s/step",
                baseline=t_bare,
                ratio=t_qr / t_bare,
                note="RK4 step of state + k tangent vectors with QR every t_ons=1 vs bare RK4 state step",
            )
        )
    return out


def _timed_point(g_h: float, alpha_r: float) -> dict:
    """chaotic_point plus its own wall time (to separate per-point slow-down from load imbalance)."""
    from theory.gating.chaos.phase_diagram import chaotic_point

    t0 = time.perf_counter()
    out = dict(chaotic_point(g_h, alpha_r))
    out["seconds"] = time.perf_counter() - t0
    return out


def _sweep_speedup(quick: bool) -> list[dict]:
    """(g_h, α_r) grid of chaotic-branch DMFT solves: 2 local Dask workers vs serial, warm caches on both sides.

    The point function (:func:`theory.gating.chaos.phase_diagram.chaotic_point`) solves in convention B,
    whose compiled theory depends on α_r only; each worker (and the serial process) compiles the
    n distinct α_r theories once before timing (warm-up timed separately, reported in the note).
    Per-point costs are heavy-tailed (median ≈ 0.5 s, up to ≈ 10 s near L3), so in full mode the
    serial baseline is a deterministic stratified subset (every 4th point: all g_h, every 4th α_r),
    scaled to the grid; a random subset of 64 points gave a biased baseline (measured ratio 0.92
    where a like-for-like 72-point run gave 1.45). Each task also returns its own time, so the note
    separates the per-point slow-down on the workers (sharing 2 cores with the scheduler) from
    load imbalance.
    """
    from distributed import Client, LocalCluster

    from theory.gating.chaos.phase_diagram import warm_compiled
    from theory.sweeps import sweep

    n = 6 if quick else 40
    grid = {"g_h": np.linspace(1.5, 2.5, n), "alpha_r": np.linspace(0.0, 20.0, n)}
    points = [(g, a) for g in grid["g_h"] for a in grid["alpha_r"]]
    t0 = time.perf_counter()
    warm_compiled(grid["alpha_r"])
    t_warm_serial = time.perf_counter() - t0
    stride = 1 if quick else 4
    subset = points[::stride]
    serial_times = np.array([_timed_point(g, a)["seconds"] for g, a in subset])
    t_serial = float(serial_times.sum()) * len(points) / len(subset)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        t0 = time.perf_counter()
        client.run(
            warm_compiled, list(grid["alpha_r"])
        )  # each worker compiles the n alpha_r theories once
        t_warm_par = time.perf_counter() - t0
        t0 = time.perf_counter()
        ds = sweep(_timed_point, grid, client=client, cache=False, progress=False)
        t_par = time.perf_counter() - t0
    worker_times = np.asarray(ds["seconds"].values).ravel()
    slow = float(worker_times[::stride].sum() / serial_times.sum())
    how = (
        "full grid"
        if quick
        else f"serial time scaled from a stratified {len(subset)}-point subset (every {stride}th point)"
    )
    return [
        dict(
            name=f"phase_sweep[{n}x{n}]",
            value=t_par,
            unit="s",
            baseline=t_serial,
            ratio=t_serial / t_par,
            note=(
                f"2 local workers vs serial, warm compile caches ({how}); per-point time on the workers / serial "
                f"(same points) {slow:.2f}, worker busy time / (2 x wall) {worker_times.sum() / (2 * t_par):.2f}; "
                f"warm-up (compile {n} alpha_r theories) serial {t_warm_serial:.1g} s, workers {t_warm_par:.1g} s, not in the ratio; "
                f"chaotic points {int(ds['chaotic'].sum())}, failed points: {int(ds['failed'].sum())}"
            ),
        )
    ]


def _abscissa_vs_eig(quick: bool) -> list[dict]:
    from theory.gating.chaos.jacobian import jacobian_matrix
    from theory.gating.chaos.spectrum import BoundaryModel, spectral_abscissa
    from theory.gating.model import GatedNetwork, GatedParams

    N = 300 if quick else 1000
    p = GatedParams(g_h=3.0, alpha_z=8.0, alpha_r=5.0)
    rng = np.random.default_rng(0)
    net = GatedNetwork.sample(p, N, rng)
    st = np.stack(
        [
            rng.normal(0, np.sqrt(0.15), N),
            rng.normal(0, np.sqrt(0.4), N),
            rng.normal(0, np.sqrt(0.4), N),
        ]
    )
    D = jacobian_matrix(net, st, np.zeros(N))
    t_eig = best_time(lambda: np.linalg.eigvals(D), repeat=1)
    t_root = best_time(
        lambda: spectral_abscissa(BoundaryModel.fixed_point(p, 0.15, 0.4, 0.4)), repeat=3
    )
    return [
        dict(
            name=f"spectral_abscissa[N={N}]",
            value=t_root,
            unit="s",
            baseline=t_eig,
            ratio=t_eig / t_root,
            note="RMT boundary root finding (quadrature) vs dense eigvals of the 3N x 3N Jacobian (speed-up)",
        )
    ]


def run(quick: bool = False) -> list[dict]:
    """All benchmarks; each dict has name, value, unit, baseline, ratio, note."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        qr = _qr_vs_standard(quick) + _qr_vs_step(quick)
    return qr + _abscissa_vs_eig(quick) + _sweep_speedup(quick)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(
            f"{r['name']:32s} {r['value']:.4g} {r['unit']:7s} baseline {r['baseline']:.4g}  ratio {r['ratio']:.3g}  ({r['note']})"
        )
