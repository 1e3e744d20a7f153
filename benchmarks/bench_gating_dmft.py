"""Benchmarks of the gated DMFT solvers and simulator (ratios against baselines measured in the same run).

* solver A (Fourier fixed point, α_z = 0, g_h = 2.5, α_r = 20) to residual 1e-8, Anderson mixing vs
  plain damping (baseline);
* solver B (Monte-Carlo DMFT, α_z = 3) vs finite-N simulation reaching the same standard error on
  C_h(0): simulation cost = (networks needed) × (time per network), networks needed =
  (network-to-network std / solver-B standard error)²;
* simulator: time per RK4 step vs the bare matvecs of the same step (4 × (N×N + 2N×N)).
"""

from __future__ import annotations

import time

import numpy as np

from theory.gating.dmft.fourier import solve_dmft_fourier
from theory.gating.dmft.montecarlo import solve_dmft_montecarlo
from theory.gating.model import GatedParams
from theory.gating.simulation import simulate_gated


def _timed(f):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def run(quick: bool = False) -> list[dict]:
    rows: list[dict] = []
    # --- solver A
    p = GatedParams(g_h=2.5, alpha_r=20.0)
    solve_dmft_fourier(p, tol=1e-8)  # warm the compile caches
    tA, solA = _timed(lambda: solve_dmft_fourier(p, tol=1e-8))
    tP, solP = _timed(lambda: solve_dmft_fourier(p, tol=1e-8, anderson=0))
    rows.append(
        dict(
            name="solver A to 1e-8 (g_h=2.5, alpha_r=20, n=2048)",
            value=tA,
            unit="s",
            baseline=tP,
            ratio=tA / tP,
            note=f"Anderson {solA.iterations} it vs plain damping {solP.iterations} it (baseline)",
        )
    )
    # --- solver B vs simulation at equal statistical error on C_h(0)
    pz = GatedParams(g_h=4.0, alpha_z=3.0)
    kw = (
        dict(n=2048, n_paths=64, n_iter=12, n_avg=6)
        if quick
        else dict(n_paths=256, n_iter=60, n_avg=30)
    )
    tB, solB = _timed(lambda: solve_dmft_montecarlo(pz, rng=np.random.default_rng(0), **kw))
    N = 300 if quick else 1000
    S = 3 if quick else 4
    T = 130.0 if quick else 330.0
    times, m = [], []
    for k in range(S):
        ts, tr = _timed(
            lambda k=k: simulate_gated(
                pz, N, T=T, burn_in=30.0, seed=k, precision="float32" if N >= 1000 else "float64"
            )
        )
        times.append(ts)
        m.append(tr.second_moment("h"))
    sd = float(np.std(m, ddof=1))
    n_needed = max(1.0, (sd / solB.residual) ** 2)
    sim_cost = n_needed * float(np.mean(times))
    rows.append(
        dict(
            name="solver B (alpha_z=3) vs simulation at equal SE of C_h(0)",
            value=tB,
            unit="s",
            baseline=sim_cost,
            ratio=tB / sim_cost,
            note=f"SE {solB.residual:.2g}; simulation N={N}, T={T:g}: net-to-net sd {sd:.2g} -> {n_needed:.1f} networks x {np.mean(times):.2g} s (O(1/N) bias not included)",
        )
    )
    # --- simulator step vs bare matvecs
    for Nb in [500] if quick else [1000, 2000]:
        steps = 100 if quick else 200
        ts, _ = _timed(
            lambda Nb=Nb, steps=steps: simulate_gated(
                GatedParams(g_h=2.5, alpha_r=20.0), Nb, T=steps * 0.1 + 0.2, burn_in=0.1, seed=0
            )
        )
        rng = np.random.default_rng(0)
        Jh = rng.standard_normal((Nb, Nb))
        Jzr = rng.standard_normal((2 * Nb, Nb))
        x = rng.standard_normal(Nb)
        t0 = time.perf_counter()
        for _ in range(steps):
            for _stage in range(4):
                Jh @ x
                Jzr @ x
        tm = time.perf_counter() - t0
        rows.append(
            dict(
                name=f"simulator RK4 step, N={Nb}",
                value=ts / steps * 1e3,
                unit="ms/step",
                baseline=tm / steps * 1e3,
                ratio=ts / tm,
                note="baseline: the 4 x (NxN + 2NxN) float64 matvecs of one step alone (includes sampling the network)",
            )
        )
    rows += _cross_moment_rows(quick)
    return rows


def _cross_moment_rows(quick: bool) -> list[dict]:
    """C_tanh(c; c0) at 33 covariances (one closure table of the Fourier solver) at large variance:
    the structured rule (expect2 with the structure cores) vs the trapezoid of spacing 0.2
    (baseline, the rule expect2 used before; its node count per axis grows like sqrt(c0))."""
    import sympy as sp
    from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)

    from theory.symbolic.gaussian import X, expect2, structure_core

    core = structure_core(sp.tanh(X))
    assert core is not None
    rows = []
    for c0 in [161.0] if quick else [161.0, 1600.0]:
        c = c0 * np.sin(np.linspace(-np.pi / 2, np.pi / 2, 33))
        fast = best_time(lambda c=c, c0=c0: expect2(np.tanh, None, c, c0, cores=(core, core)))
        slow = best_time(lambda c=c, c0=c0: expect2(np.tanh, None, c, c0), repeat=1)
        rows.append(
            dict(
                name=f"Gaussian cross moment tanh, 33 covariances at c0={c0:g} (sd {c0**0.5:.3g})",
                value=fast,
                unit="s",
                baseline=slow,
                ratio=fast / slow,
                note="structured rule (log(sd) nodes) vs trapezoid of spacing 0.2 (baseline, "
                f"{int(2 * 8.5 * c0**0.5 / 0.2)} nodes per axis)",
            )
        )
    return rows


if __name__ == "__main__":
    import sys

    for r in run(quick="--quick" in sys.argv):
        print(
            f"{r['name']}: {r['value']:.4g} {r['unit']} (baseline {r['baseline']:.4g}, ratio {r['ratio']:.3g}) - {r['note']}"
        )
