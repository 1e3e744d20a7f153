"""Benchmarks of the spine on the classical random RNN (issue 2).

* compiled DMFT force (erf network, closed-form Gaussian kernel) vs SymPy ``subs``/``evalf`` on
  the same expression, per evaluation;
* Δ0 root solve and the full Δ(τ) solve (tanh);
* simulator RK4 step vs a bare loop of the same number of ``J @ tanh(x)`` matvecs at N = 2000.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)


def run(quick: bool = False) -> list[dict]:
    from theory.gating.classical.dmft import (
        Delta,
        Delta0,
        classical_dmft_derivation,
        g,
        solve_classical_dmft,
    )
    from theory.gating.classical.model import ClassicalParams
    from theory.gating.classical.simulation import simulate_classical
    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import closed_form

    out: list[dict] = []
    # 1. compiled vs subs/evalf
    d = classical_dmft_derivation("erf")
    force = closed_form(
        d.rhs("equation_of_motion").subs(
            sp.Function("Delta", real=True)(sp.Symbol("tau", real=True)), Delta
        )
    )
    f = compile_function(force, [Delta, Delta0, g])
    xs = np.linspace(0.0, 1.9, 10_000)
    t_comp = best_time(lambda: f(xs, 1.9, 2.0)) / xs.size
    n_sub = 20 if quick else 200
    pts = np.linspace(0.0, 1.9, n_sub)
    t_sub = (
        best_time(
            lambda: [float(force.subs({Delta: x, Delta0: 1.9, g: 2.0}).evalf()) for x in pts],
            repeat=2,
        )
        / n_sub
    )
    out.append(
        dict(
            name="DMFT force (erf, closed form): compiled per point",
            value=t_comp * 1e9,
            unit="ns",
            baseline=t_sub * 1e9,
            ratio=t_sub / t_comp,
            note="speed-up vs subs+evalf",
        )
    )
    # 2. solve times
    p = ClassicalParams(2.0)
    solve_classical_dmft(p)  # warm the compile cache
    from theory.gating.classical.dmft import ClassicalDMFT

    th = ClassicalDMFT.for_phi("tanh")
    import scipy.optimize as so

    t_root = best_time(
        lambda: so.brentq(lambda x: float(th.energy_gap(x, 2.0)) / x**2, 1e-3, 8.0, xtol=1e-13)
    )
    t_full = best_time(lambda: solve_classical_dmft(p), repeat=3)
    out.append(
        dict(
            name="Delta0 root solve (tanh, g=2, xtol 1e-13)",
            value=t_root * 1e3,
            unit="ms",
            baseline=None,
            ratio=None,
            note="Brent on the compiled energy condition",
        )
    )
    out.append(
        dict(
            name="full DMFT solve: Delta0 + Delta(tau) on [0, 40]",
            value=t_full * 1e3,
            unit="ms",
            baseline=None,
            ratio=None,
            note="DOP853 rtol 1e-11 + exact tail",
        )
    )
    # 3. simulator step vs bare matvec loop
    N = 500 if quick else 2000
    steps = 50 if quick else 300
    rng = np.random.default_rng(0)
    J = rng.standard_normal((N, N)) * (2.0 / np.sqrt(N))
    x = rng.standard_normal(N)

    def bare() -> None:
        y = x
        for _ in range(4 * steps):
            y = J @ np.tanh(y)

    t_bare = best_time(bare, repeat=3) / steps
    t_sim = (
        best_time(
            lambda: simulate_classical(p, N, T=steps * 0.1 + 0.2, burn_in=0.1, seed=0), repeat=3
        )
        / steps
    )
    out.append(
        dict(
            name=f"simulator RK4 step, N={N} (4 matvecs)",
            value=t_sim * 1e3,
            unit="ms/step",
            baseline=t_bare * 1e3,
            ratio=t_sim / t_bare,
            note="ratio to a bare loop of 4 J@tanh(x) (1.0 = no overhead)",
        )
    )
    return out
