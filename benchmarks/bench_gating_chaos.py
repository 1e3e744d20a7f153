"""Benchmarks of the gated-RNN chaos tools; ratios against baselines measured in the same run.

* QR Lyapunov spectra of the classical network (g = 2, N = 500, 1000, 2000, k = 1 and 10) at
  equal bias: the package's path (:mod:`theory.gating.classical.lyapunov`: RK4, state and frame
  in one BLAS-3 product, QR interval set by the growth) at dt = 0.5 vs the standard algorithm
  written here (:func:`standard_qr_lyapunov`: Euler at dt = 0.1 with the explicit Jacobian of the
  step and QR every time unit, as in Engelken, Wolf & Abbott, arXiv 2006.02427), CPU time per
  unit of simulated time with one BLAS thread; the biases of both steps are measured by
  ``bench_lyapunov_bias.py`` (Euler dt = 0.1: +0.0027 ± 0.0009; RK4 dt = 0.5: −0.0003 ± 0.0006).
  The package's products run in float32 (λ₁ moves by ~1e-7); the note gives the float64 ratio
  and the package at the checks' dt = 0.25 against the standard at the step its bias would need.
* QR Lyapunov step of the gated network (state + k tangent vectors, RK4) vs the bare simulation
  step (RK4 of the state).
* The 40 x 40 (g_h, alpha_r) phase diagram with its lines L1, L2, L3
  (:func:`theory.gating.chaos.phase_diagram.phase_diagram`: batched Fourier solves on tabulated
  closures, continuation down the alpha_r columns with the multi-start test, L3 bisection) vs the
  same decisions point by point with ``solve_dmft_fourier`` (stratified subset, scaled); 10 x 10
  with --quick. History: the point-by-point sweep took 1210 s on 2 Dask workers and 1340 s serial
  (2026-11-22), each point 1.64x slower when two ran at once (16 MB quadrature temporaries
  contending for the shared cache).
* Time vs grid size (10², 20², 40² points) with the fitted exponent (plot with --plots).
* The same diagram on 1 vs 2 local worker processes (one task per worker, each taking every
  other α_r column: a worker's pool iterates its columns together; 2 columns per task took 188 s
  on 2 workers before). Measured 2026-11-30: 1 worker 65.8 s, 2 workers 40.6 s (1.62×); the
  longest column alone takes 12.6 s, and a pool of fewer columns batches less well.
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


#: Steps of the comparison and the measured discretisation bias of λ₁ at g = 2
#: (benchmarks/bench_lyapunov_bias.py, full run: 48 networks of N = 200, T = 2000, the paired
#: means fitted to a + c·dt^p; theory/gating/classical/lyapunov.py): the standard algorithm's
#: usual Euler step dt = 0.1 is biased +0.0027 ± 0.0009 (c = +0.027 ± 0.009 per dt); RK4 has
#: c = −0.004 ± 0.010 per dt⁴, i.e. −0.0003 ± 0.0006 at dt = 0.5 (equal or smaller bias than the
#: standard's: the step of the equal-bias comparison) and −0.00002 ± 0.00004 at dt = 0.25 (the
#: checks' step).
DT_STANDARD = 0.1
DT_EQUAL_BIAS = 0.5
DT_CHECKS = 0.25
EULER_BIAS_PER_DT = 0.027
RK4_BIAS_PER_DT4 = (-0.004, 0.010)


def _qr_vs_standard(quick: bool) -> list[dict]:
    """Classical network g = 2: the package's QR path (RK4, fused BLAS-3 product, adaptive QR)
    vs the standard algorithm, CPU time per unit of simulated time, one BLAS thread.

    Two equal-bias comparisons: (1) the package at RK4 dt = 0.5, whose bias is no larger than
    the standard's at its usual dt = 0.1 (measured values above), against the standard at
    dt = 0.1, both timed; (2) the package at the checks' dt = 0.25 against the standard at the
    step it would need for that bias, |c_Euler|·dt ≤ |bias of RK4 at 0.25| + 2 SE = 1e-4, i.e.
    dt ≈ 0.004: its time scaled from the measured dt = 0.1 run by the number of steps (the
    cost per Euler step does not depend on dt)."""
    from theory.gating.classical import ClassicalParams
    from theory.gating.classical.checks import FLOAT32_FROM
    from theory.gating.classical.lyapunov import classical_lyapunov_spectra, sample_couplings

    p = ClassicalParams(2.0)
    out = []
    c4, se4 = RK4_BIAS_PER_DT4
    bias_checks = abs(c4) * DT_CHECKS**4 + 2 * se4 * DT_CHECKS**4
    dt_std_eq = bias_checks / EULER_BIAS_PER_DT
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
            # float32 products (λ_1 changes by ~1e-7, tests/gating/classical/test_lyapunov.py,
            # far below any discretisation bias here); the float64 time is in the note
            dtype = np.float32

            def pkg(dt: float, N: int = N, k: int = k, T: float = T, dtype=dtype) -> float:  # noqa: ANN001
                """CPU time of a record of length T: runs of T and 2T differenced, so that drawing
                the network and the frame (given to the standard algorithm) is not counted."""

                def run(t: float) -> float:
                    return best_cpu_time(
                        lambda: classical_lyapunov_spectra(
                            p, N, k, seeds=[0], T=t, transient=0.0, dt=dt, n_blocks=2, dtype=dtype
                        )
                    )

                return run(2 * T) - run(T)

            t_eq, t_chk = pkg(DT_EQUAL_BIAS), pkg(DT_CHECKS)
            t_eq64 = pkg(DT_EQUAL_BIAS, dtype=np.float64)
            t_std_eq = t_std * DT_STANDARD / dt_std_eq
            out.append(
                dict(
                    name=f"qr_lyapunov[classical g=2, N={N}, k={k}], equal bias",
                    value=t_eq / T,
                    unit="cpu-s/time",
                    baseline=t_std / T,
                    ratio=t_eq / t_std,
                    accuracy=abs(c4) * DT_EQUAL_BIAS**4,
                    baseline_accuracy=EULER_BIAS_PER_DT * DT_STANDARD,
                    note=(
                        f"ratio = package / standard (target <= 0.5); package RK4 dt={DT_EQUAL_BIAS} "
                        f"{np.dtype(dtype).name} (fused J@[phi|phi'Q], adaptive QR), bias of lambda_1 "
                        f"{c4 * DT_EQUAL_BIAS**4:+.4f} +- {se4 * DT_EQUAL_BIAS**4:.4f}, vs standard Euler "
                        f"dt={DT_STANDARD} (explicit Jacobian, QR every 1), bias +{EULER_BIAS_PER_DT * DT_STANDARD:.4f} "
                        f"(bench_lyapunov_bias); at the checks' RK4 dt={DT_CHECKS}: package "
                        f"{t_chk / T:.4g} cpu-s/time, {t_chk / t_std:.2f}x the standard at dt={DT_STANDARD} "
                        f"and {t_chk / t_std_eq:.4f}x the standard at its equal-bias dt={dt_std_eq:.4f} "
                        f"(bias <= {bias_checks:.1e}; time scaled by the number of steps); "
                        f"package in float64 at dt={DT_EQUAL_BIAS}: {t_eq64 / t_std:.2f}x; "
                        f"checks use float32 from N={FLOAT32_FROM}"
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


def _pointwise_branch(g_h: float, alpha_r: float, warm, n: int, dtau: float):
    """Baseline: branch_exists(g_h, α_r, warm) decided point by point with solve_dmft_fourier."""
    from theory.gating.chaos.transitions import (
        ChaoticBranchPoint,
        branch_guesses,
        distance_bound,
    )
    from theory.gating.dmft.fourier import solve_dmft_fourier
    from theory.gating.model import GatedParams

    for guess in branch_guesses(warm):
        sol = solve_dmft_fourier(
            GatedParams(g_h=round(g_h, 6), alpha_r=alpha_r),
            n=n,
            dtau=dtau,
            tol=1e-8,
            init=guess,
            max_iter=1500,
        )
        ch0 = float(sol.C_h[0])
        chaotic = ch0 > 1e-6
        pt = ChaoticBranchPoint(
            round(g_h, 6),
            ch0,
            float(sol.C_r[0]),
            bool(sol.converged or not chaotic),
            chaotic,
            residual=float(sol.residual),
            distance=0.0 if sol.converged else distance_bound(sol.residual_history),
            tail_decay=float(sol.info["tail_decay"]),
            init=guess,
        )
        if pt.accepted:
            return pt
    return None


def _diagram_grid(n: int, quick: bool = False) -> dict:
    """The benchmark diagram: g_h in [1.5, 2.5], alpha_r in [0, 20] ([5, 20] for the smoke runs:
    at small alpha_r every guess runs to max_iter near L1, where the window is too short)."""
    return {
        "g_h": np.linspace(1.5, 2.5, n),
        "alpha_r": np.linspace(5.0 if quick else 0.0, 20.0, n),
    }


def _phase_diagram(quick: bool) -> list[dict]:
    """The (g_h, α_r) diagram with L1, L2, L3 (theory.gating.chaos.phase_diagram.phase_diagram)
    in one process vs the point-by-point decisions of the same multi-start test with
    solve_dmft_fourier (the package's public point solver), on a stratified subset of points
    (each with the warm start the diagram used), scaled to the grid. Accuracy: the largest
    |ΔC_h(0)| between the two on the subset and the number of points whose decision differs."""
    from theory.gating.chaos.phase_diagram import phase_diagram
    from theory.gating.chaos.transitions import ChaoticBranchPoint
    from theory.gating.dmft.batched import batch_theory

    n = 4 if quick else 40
    grid = _diagram_grid(n, quick)
    batch_theory.cache_clear()
    t0 = time.perf_counter()
    batch_theory(0.0, 0.0)
    t_tables = time.perf_counter() - t0  # compile + tables (from the disk cache when present)
    t0 = time.perf_counter()
    ds = phase_diagram(grid["g_h"], grid["alpha_r"], n=512, dtau=0.2)
    t_diag = time.perf_counter() - t0
    # baseline on a stratified subset: every `stride`-th column, every 2nd g_h, with the warm
    # start the diagram's continuation had there (the branch point at the next larger g_h)
    stride = 2 if quick else 8
    G = np.asarray(ds["g_h"].values)
    cols = list(range(0, n, stride))
    t_base = 0.0
    worst = 0.0
    differ = 0
    n_sub = 0
    for j in cols:
        a = float(ds["alpha_r"].values[j])
        for i in range(n - 1, -1, -2):
            warm = None
            for k in range(i + 1, n):  # nearest chaotic point above (the diagram's warm start)
                if bool(ds["chaotic"].values[k, j]):
                    warm = ChaoticBranchPoint(
                        float(G[k]),
                        float(ds["C_h0"].values[k, j]),
                        float(ds["C_r0"].values[k, j]),
                        True,
                        True,
                    )
                    break
            t0 = time.perf_counter()
            pt = _pointwise_branch(float(G[i]), a, warm, 512, 0.2)
            t_base += time.perf_counter() - t0
            n_sub += 1
            got = bool(ds["chaotic"].values[i, j])
            if got != (pt is not None):
                differ += 1
            elif pt is not None:
                worst = max(worst, abs(pt.C_h0 - float(ds["C_h0"].values[i, j])))
    per_point = t_base / n_sub
    t_baseline = per_point * n * n
    return [
        dict(
            name=f"phase_diagram[{n}x{n}]",
            value=t_diag,
            unit="s",
            baseline=t_baseline,
            ratio=t_baseline / t_diag,
            accuracy=worst,
            note=(
                f"(g_h, alpha_r) diagram with L1, L2, L3 in one process (default BLAS threads; the pool "
                f"is NumPy-bound, one core busy) incl. L3 bisection to 5e-3; "
                f"compiled theory + closure tables {t_tables:.1f} s before it; baseline: the same multi-start "
                f"decisions point by point with solve_dmft_fourier on {n_sub} points ({per_point:.2f} s/point) "
                f"scaled to {n * n} points, without the lines; accuracy: max |dC_h(0)| on the subset "
                f"(solver tolerance 1e-8), decisions differing: {differ}/{n_sub}; "
                f"L3 = {np.round(ds['L3'].values, 3).tolist()}"
            ),
        )
    ]


def _diagram_scaling(quick: bool) -> list[dict]:
    """Time of phase_diagram vs the number of grid points (n x n), with the fitted exponent."""
    from theory.gating.chaos.phase_diagram import phase_diagram

    sizes = (2, 3, 4) if quick else (10, 20, 40)
    pts, times = [], []
    for m in sizes:
        grid = _diagram_grid(m, quick)
        t0 = time.perf_counter()
        phase_diagram(grid["g_h"], grid["alpha_r"])
        times.append(time.perf_counter() - t0)
        pts.append(m * m)
    slope = float(np.polyfit(np.log(pts), np.log(times), 1)[0])
    return [
        dict(
            name="phase_diagram scaling",
            value=times[-1],
            unit="s",
            baseline=None,
            ratio=None,
            note=f"time ~ points^{slope:.2f} over {list(sizes)} squared grids",
            series={
                "x": pts,
                "y": times,
                "xlabel": "grid points",
                "ylabel": "phase_diagram time [s]",
                "exponent": slope,
            },
        )
    ]


def _sweep_speedup(quick: bool) -> list[dict]:
    """The diagram on a LocalCluster of 1 vs 2 single-threaded worker processes (whole α_r columns
    per task; compiled theory and tables warmed on the workers first, not timed), and the BLAS
    thread pools the workers see without and with the per-task pin (threadpoolctl)."""
    from distributed import Client, LocalCluster

    from theory.gating.chaos.phase_diagram import phase_diagram
    from theory.gating.dmft.batched import batch_theory
    from theory.sweeps import worker_threads

    n = 4 if quick else 40
    grid = _diagram_grid(n, quick)
    times = {}
    pools = {}
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(batch_theory, 0.0, 0.0)
            pools[workers] = client.run(worker_threads)
            t0 = time.perf_counter()
            ds = phase_diagram(
                grid["g_h"], grid["alpha_r"], client=client, n_workers=workers
            )  # default tasks: the columns split evenly, one task per worker
            times[workers] = time.perf_counter() - t0
    before = max(p["max_threads"] for p in pools[2].values())
    return [
        dict(
            name=f"phase_diagram sweep[{n}x{n}] 2 vs 1 workers",
            value=times[2],
            unit="s",
            baseline=times[1],
            ratio=times[1] / times[2],
            note=(
                f"LocalCluster processes, one task per worker ({n} and {(n + 1) // 2} columns), warm "
                f"workers; 1 worker {times[1]:.1f} s, "
                f"2 workers {times[2]:.1f} s; BLAS threads per worker process: {before} "
                f"(Nanny sets OMP/OPENBLAS_NUM_THREADS=1), pinned to 1 per task by threadpoolctl on any "
                f"cluster; failed points {int(ds['failed'].sum())}"
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
    """All benchmarks; each dict has name, value, unit, baseline, ratio, note (accuracy, series)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        qr = _qr_vs_standard(quick) + _qr_vs_step(quick)
    return (
        qr
        + _abscissa_vs_eig(quick)
        + _phase_diagram(quick)
        + _diagram_scaling(quick)
        + _sweep_speedup(quick)
    )


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(
            f"{r['name']:32s} {r['value']:.4g} {r['unit']:7s} baseline {r['baseline']:.4g}  ratio {r['ratio']:.3g}  ({r['note']})"
        )
