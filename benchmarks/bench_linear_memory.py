"""Benchmarks of the linear_memory theory (ratios against baselines measured in the same run).

* compiled loss + gradient vs SymPy evaluation (``subs``/``evalf``) of the same expressions;
* one stiff gradient-flow run to τ = 10⁶ (delayed-memory plateau, μ = 10) vs a non-stiff RK45 run
  of the same flow to τ = 10³ (baseline: what an explicit solver reaches in the same problem);
* best coefficients at m = 24 in mpmath (Cauchy system, 60 digits) vs float64 ``numpy.linalg.solve``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)


def run(quick: bool = False) -> list[dict]:
    from theory.linear_memory import approximation as ap
    from theory.linear_memory import kernels as K
    from theory.linear_memory import plateau as pl
    from theory.linear_memory.gradient_flow import gradient_flow
    from theory.linear_memory.loss import Gf, diagonal_loss, loss_derivation
    from theory.linear_memory.model import DiagonalRNN

    out: list[dict] = []
    # 1. compiled vs SymPy evaluation of J and grad (m = 3, bump target)
    k = K.exponential_sum([1.0], [1.0]) + K.gaussian_bump(1.0, 3.0)
    lo = diagonal_loss(k)
    theta = np.array([0.5, -0.2, 0.9, 0.4, 1.1, 2.5])
    lo.value_and_grad(theta)
    n = 200 if quick else 2000
    t_comp = best_time(lambda: [lo.value_and_grad(theta) for _ in range(n)]) / n
    d = loss_derivation()
    J3 = d.rhs("loss_m3")
    fam = K.family("gaussian_bump")
    Gb = fam.laplace.subs(dict(zip(fam.params, (1, 3), strict=True)))
    Gsym = lambda x: 1 / (x + 1) + Gb.subs(K.s, x)  # noqa: E731
    syms = sorted(J3.free_symbols, key=lambda s: s.name)
    a_s = [s for s in syms if s.name.startswith("a_")]
    w_s = [s for s in syms if s.name.startswith("w_")]
    Jsub = J3.replace(Gf, Gsym)
    grads = [sp.diff(Jsub, v) for v in a_s + w_s]
    vals = dict(zip(a_s + w_s, theta, strict=True))
    nrm = sp.Symbol(r"\|\rho\|_2^2", nonnegative=True)
    vals = {
        **{v: sp.Float(x) for v, x in vals.items()},
        **{s: sp.Float(k.l2_norm_sq()) for s in syms if s.name == nrm.name},
    }
    reps = 2 if quick else 5
    t_sym = (
        best_time(
            lambda: [sp.N(e.subs(vals)) for _ in range(reps) for e in [Jsub, *grads]], repeat=1
        )
        / reps
    )
    out.append(
        dict(
            name="loss+grad evaluation (m=3)",
            value=t_comp,
            unit="s",
            baseline=t_sym,
            ratio=t_sym / t_comp,
            note="compiled (LHS) vs SymPy subs/evalf of the same derived expressions",
        )
    )

    # 2. stiff gradient flow to tau = 1e6
    target, _ = pl.delayed_target(10.0)
    lo2 = diagonal_loss(target)
    m0 = DiagonalRNN([1.0, 0.0], [1.0, 1.0])
    gradient_flow(lo2, m0, 10.0, n_out=10)
    t_flow = best_time(lambda: gradient_flow(lo2, m0, 1e6, n_out=50), repeat=1 if quick else 3)
    t_rk = best_time(lambda: gradient_flow(lo2, m0, 1e3, n_out=50, method="RK45"), repeat=1)
    out.append(
        dict(
            name="gradient flow to tau=1e6 (LSODA)",
            value=t_flow,
            unit="s",
            baseline=t_rk,
            ratio=t_rk / t_flow,
            note="baseline: explicit RK45 on the same flow only to tau=1e3",
        )
    )

    # 3. best coefficients m = 24 (mpmath, 60 digits)
    kp = K.power_law(1.5)
    w = ap.free_rates(24)
    ap.best_coefficients(kp, w)
    t_mp = best_time(lambda: ap.best_coefficients(kp, w), repeat=1 if quick else 3)
    G = kp.laplace(w)
    C = 1 / (w[:, None] + w[None, :])
    t_np = best_time(lambda: np.linalg.solve(C, G), repeat=5)
    out.append(
        dict(
            name="best coefficients m=24 (mpmath, 60 digits)",
            value=t_mp,
            unit="s",
            baseline=t_np,
            ratio=t_mp / t_np,
            note=f"baseline: float64 solve (cond {np.linalg.cond(C):.1e}, unusable)",
        )
    )
    return out


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick=False):
        print(row)
