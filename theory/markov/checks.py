"""Checks of the Markov-chain machinery: exact vs sparse numeric, and the CLT variance.

* ``markov.exact_vs_numeric[...]`` — π, the Poisson solution v and σ²(F) from exact rational
  linear algebra (SymPy) against the sparse LU and GMRES solvers. Error model: floating-point
  round-off of a linear solve, bounded by 64·m·ε·‖Z‖_∞·max|F| (Z the fundamental matrix).
* ``markov.clt_variance[...]`` — the variance of √n·(ergodic average − πF) over S independent
  stationary paths against σ²(F) = 2π(F_c v) − π(F_c²). Error model: the sample mean of
  Y² = n(F̄_n − πF)² over S paths has standard error SEM (estimated from the samples, fourth
  moments included); tolerance t_{1−α/2,S−1}·SEM + bias, where the bias is the exact, computed
  difference |σ² − Var_π[√n F̄_n]| = |(2/n)Σ_j j γ_j| + o(1/n) (autocovariances γ_j).

The formulas are those of derivation ``markov_poisson`` (Kemeny & Snell 1960; Meyn & Tweedie 2009,
Ch. 17). The failure hook (``CheckContext(perturb=ε)``) scales the exact σ² (``exact_vs_numeric``)
and the predicted σ² (``clt_variance``) by 1 + ε.
"""

from __future__ import annotations

import functools

import numpy as np

from theory.checks import (
    CheckContext,
    CheckResult,
    ErrorModel,
    check,
    mean_sem,
    perturbed,
    statistical_tolerance,
)
from theory.markov.chain import MarkovChain, example_chain
from theory.markov.histories import HistoryChain
from theory.markov.poisson import (
    asymptotic_variance,
    asymptotic_variance_exact,
    finite_n_variance,
    fundamental_exact,
    poisson_exact,
    poisson_numeric,
    stationary_exact,
    stationary_numeric,
)

__all__ = ["check_exact_vs_numeric", "check_clt_variance", "example_target"]


def example_target(values: np.ndarray) -> np.ndarray:
    """The example target y = 0.6 sin(2 x_0) + 0.4 x_{−1} on histories ``values`` (H, L ≥ 2).

    The target of :func:`theory.kernel_limit.model.example_task`, written on history values.
    """
    return 0.6 * np.sin(2 * values[:, 0]) + 0.4 * values[:, 1]


@check(
    "exact_vs_numeric",
    cases={"chain=example,L=2": {"L": 2}},
    description="Lifted chain of length-2 histories (9 states): exact vs sparse numeric pi, v, sigma^2.",
)
@check(
    "exact_vs_numeric",
    cases={"chain=example": {"L": 1}},
    description="Example chain: exact rational pi, Poisson solution v and sigma^2(F=x) vs sparse LU and GMRES solvers.",
)
def check_exact_vs_numeric(ctx: CheckContext, *, L: int = 1) -> CheckResult:
    """Exact (SymPy rationals) vs sparse numeric π, v, σ² on the example chain (lifted to L)."""
    import sympy as sp

    base = example_chain(exact=True)
    if L == 1:
        chain, F_num = base, base.states
        F_exact = [sp.Integer(-1), sp.Integer(0), sp.Integer(1)]
    else:
        hc = HistoryChain(base, L)
        Pd = hc.chain.dense
        # exact rationals of the lifted chain: entries are entries of the base P
        P_exact = [[sp.nsimplify(x, rational=True, tolerance=1e-15) for x in row] for row in Pd]
        chain = MarkovChain(P_exact, states=np.arange(hc.H, dtype=float), name=f"example^L={L}")
        F_num = hc.values[:, 0] + 0.5 * hc.values[:, 1]
        F_exact = [sp.nsimplify(x, rational=True) for x in F_num]
    pi_e = np.array(stationary_exact(chain), dtype=float).ravel()
    v_e = np.array(poisson_exact(chain, F_exact), dtype=float).ravel()
    s_e = perturbed(float(asymptotic_variance_exact(chain, F_exact)))
    errs = {}
    for method in ("direct", "iterative"):
        pi_n = stationary_numeric(chain, method=method)
        sol = poisson_numeric(chain, F_num, method=method, pi=pi_n)
        s_n = asymptotic_variance(chain, F_num, method=method)
        errs[method] = max(np.max(np.abs(pi_n - pi_e)), np.max(np.abs(sol.v - v_e)), abs(s_n - s_e))
    Z = np.array(fundamental_exact(chain), dtype=float)
    tol = (
        64
        * chain.m
        * np.finfo(float).eps
        * np.abs(Z).sum(axis=1).max()
        * max(1.0, np.abs(F_num).max())
    )
    model = ErrorModel(
        f"floating-point round-off of a linear solve: 64 m eps ||Z||_inf max|F| = {tol:.2g}", tol
    )
    return CheckResult.compare(
        "",
        s_e,
        s_e + max(errs.values()),
        model,
        error=max(errs.values()),
        details={
            "m": chain.m,
            "max_error_direct": errs["direct"],
            "max_error_iterative": errs["iterative"],
            "sigma2_exact": s_e,
        },
    )


@functools.lru_cache(maxsize=8)
def _clt_samples(L: int, n: int, S: int, seed: int) -> tuple[np.ndarray, float, float, float]:
    base = example_chain(exact=False)
    if L == 1:
        chain, F = base, base.states
    else:
        hc = HistoryChain(base, L)
        chain, F = hc.chain, example_target(hc.values)
    rng = np.random.default_rng([seed, 17, L])
    paths = chain.sample(n, S, rng)
    mean_F = float(chain.stationary @ F)
    Y = np.sqrt(n) * (F[paths].mean(axis=1) - mean_F)
    return Y**2, asymptotic_variance(chain, F), finite_n_variance(chain, F, n), mean_F


@check(
    "clt_variance",
    target="moment",
    cases={"chain=example,L=2,F=target": {"L": 2}},
    description="CLT on the history chain (L=2) for the example target y = 0.6 sin(2x_0) + 0.4x_{-1}: sample variance vs sigma^2 from the Poisson equation.",
)
@check(
    "clt_variance",
    target="moment",
    cases={"chain=example,F=x": {"L": 1}},
    description="CLT: Var[sqrt(n)(mean of X_k - pi X)] over stationary paths vs sigma^2 = 2 pi(F_c v) - pi(F_c^2).",
)
def check_clt_variance(ctx: CheckContext, *, L: int = 1) -> CheckResult:
    """Var of √n·(ergodic average) over S stationary paths vs σ²(F) from the Poisson equation."""
    n = ctx.size(400, 2000)
    S = ctx.size(4000, 20000)
    Y2, sigma2, sigma2_n, mean_F = _clt_samples(L, n, S, ctx.seed)
    bias = abs(sigma2 - sigma2_n)
    m, sem = mean_sem(Y2)
    model = statistical_tolerance(
        sem,
        S,
        bias=bias,
        bias_text=f"exact finite-n variance at n={n} differs from sigma^2 by O(1/n)",
    )
    return CheckResult.compare(
        "",
        sigma2,
        float(m),
        model,
        details={
            "n": n,
            "paths": S,
            "pi(F)": mean_F,
            "finite_n_variance": sigma2_n,
            "sem": float(sem),
        },
    )
