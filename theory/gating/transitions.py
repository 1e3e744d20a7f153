r"""Transitions of the gated RNN in (g_h, α_r): L1, L2, L3, the bistable window and the jump at L3.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VII (discontinuous transition to chaos,
Figs. 9–11) and Sec. VIII (phase diagrams); spec ``gating.md`` §7, ``gating-derivations.md`` §3.

* **L1** — instability of the zero fixed point, g_h σ_r(0) = 1 (issue-3
  :func:`theory.gating.fixed_points.zero_fp_threshold`), independent of α_r.
* **L2** — onset of nonzero fixed-point solutions of the static DMFT (topological complexity):
  the smallest g_h at which :func:`theory.gating.fixed_points.fixed_point_branches` is non-empty
  (bisection). L2 < L1 iff α_r > α_r* (subcritical branch).
* **L3** — onset of the chaotic (time-dependent) DMFT branch (dynamical complexity): continuation
  of :func:`theory.gating.dmft.solve_dmft_fourier` downward in g_h from above L1, warm-started
  with the previous amplitudes, until the branch collapses to zero; refined by bisection.

Between L3 and L1 the stable zero state coexists with chaos (bistable window): simulations started
from small states decay, from order-one states stay chaotic. At L3 the chaotic branch appears with
a finite C_h(0) and a finite λ_max (the jump).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from theory.errors import ParameterError, require
from theory.gating.model import GatedParams

__all__ = ["line_l1", "line_l2", "line_l3", "chaotic_branch", "ChaoticBranchPoint", "TransitionLines", "transition_lines"]

#: C_h(0) below this counts as the collapsed (zero) solution.
COLLAPSE = 1e-6


def _params(g_h: float, alpha_r: float, beta_r: float = 0.0, **kw: float) -> GatedParams:
    return GatedParams(g_h=float(g_h), alpha_r=float(alpha_r), beta_r=float(beta_r), **kw)


def line_l1(alpha_r: float, beta_r: float = 0.0) -> float:
    """L1: g_h = 1/σ_r(0) = 1 + e^{β_r} (zero fixed point loses stability)."""
    from theory.gating.fixed_points import zero_fp_threshold

    return zero_fp_threshold(_params(1.0, alpha_r, beta_r))


def line_l2(alpha_r: float, beta_r: float = 0.0, *, xtol: float = 2e-3) -> float:
    """L2: smallest g_h with a nonzero solution of the fixed-point DMFT (bisection on existence)."""
    from theory.gating.fixed_points import fixed_point_branches

    g1 = line_l1(alpha_r, beta_r)

    def exists(g: float) -> bool:
        return len(fixed_point_branches(_params(g, alpha_r, beta_r), n_grid=200)) > 0

    if not exists(g1 - 1e-3):
        return g1
    lo, hi = 1.0, g1 - 1e-3
    if exists(lo):
        raise ParameterError("alpha_r", alpha_r, "a value with no nonzero fixed point at g_h = 1 (L2 > 1)")
    while hi - lo > xtol:
        mid = 0.5 * (lo + hi)
        if exists(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class ChaoticBranchPoint:
    """The chaotic DMFT branch at one g_h (C_h(0), C_r(0); zero when collapsed)."""

    g_h: float
    C_h0: float
    C_r0: float
    converged: bool
    chaotic: bool


@functools.lru_cache(maxsize=512)
def chaotic_branch(g_h: float, alpha_r: float, beta_r: float = 0.0, init: tuple[float, float] = (1.0, 1.0), n: int = 512, dtau: float = 0.2) -> ChaoticBranchPoint:
    """Solve the α_z = 0 DMFT from an order-one initial guess (tracks the chaotic branch when it exists)."""
    from theory.gating.dmft import solve_dmft_fourier

    sol = solve_dmft_fourier(_params(g_h, alpha_r, beta_r), n=n, dtau=dtau, tol=1e-8, init=init, max_iter=1500)
    ch0 = float(sol.C_h[0])
    chaotic = ch0 > COLLAPSE
    # a collapsed solution is a valid answer (the zero state) even if the window test complains
    return ChaoticBranchPoint(float(g_h), ch0, float(sol.C_r[0]), bool(sol.converged or not chaotic), chaotic)


def line_l3(alpha_r: float, beta_r: float = 0.0, *, step: float = 0.05, xtol: float = 5e-3, n: int = 512, dtau: float = 0.2) -> float:
    """L3: onset of the chaotic DMFT branch, by continuation downward from above L1 and bisection.

    Raises
    ------
    ParameterError
        If the chaotic branch is absent just above L1 (nothing to continue).
    """
    require(step > 0 and xtol > 0, "step, xtol", (step, xtol), "positive numbers")
    g1 = line_l1(alpha_r, beta_r)
    g = g1 + step
    pt = chaotic_branch(round(g, 6), alpha_r, beta_r, n=n, dtau=dtau)
    if not pt.chaotic:
        raise ParameterError("alpha_r", alpha_r, f"a value with a chaotic DMFT branch at g_h = L1 + {step} = {g:.3g}")
    last = pt
    while True:
        g -= step
        if g <= 1.0:
            return 1.0
        cur = chaotic_branch(round(g, 6), alpha_r, beta_r, init=(max(last.C_h0, 1e-3), max(last.C_r0, 1e-3)), n=n, dtau=dtau)
        if not cur.chaotic:
            break
        last = cur
    lo, hi = g, last.g_h
    while hi - lo > xtol:
        mid = 0.5 * (lo + hi)
        cur = chaotic_branch(round(mid, 6), alpha_r, beta_r, init=(max(last.C_h0, 1e-3), max(last.C_r0, 1e-3)), n=n, dtau=dtau)
        if cur.chaotic:
            hi, last = mid, cur
        else:
            lo = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class TransitionLines:
    """L1, L2, L3 at one α_r."""

    alpha_r: float
    L1: float
    L2: float
    L3: float

    @property
    def bistable_window(self) -> tuple[float, float]:
        """(L3, L1): stable zero state coexisting with chaos (empty when L3 ≥ L1)."""
        return (self.L3, self.L1)


def transition_lines(alpha_r: float, beta_r: float = 0.0) -> TransitionLines:
    """L1, L2, L3 at one α_r (sweepable: returns plain floats through :func:`transition_point`)."""
    return TransitionLines(float(alpha_r), line_l1(alpha_r, beta_r), line_l2(alpha_r, beta_r), line_l3(alpha_r, beta_r))


def transition_point(alpha_r: float, beta_r: float = 0.0) -> dict[str, float]:
    """Sweep function: {'L1', 'L2', 'L3'} at (α_r, β_r)."""
    t = transition_lines(alpha_r, beta_r)
    return {"L1": t.L1, "L2": t.L2, "L3": t.L3}


def lambda_jump(alpha_r: float, *, eps: float = 0.02) -> dict[str, float]:
    """C_h(0) and λ_max on the chaotic branch just above L3 (the discontinuity), and at L3 − eps (zero)."""
    from theory.gating.lyapunov_dmft import gated_lyapunov_dmft

    g3 = line_l3(alpha_r)
    pt = chaotic_branch(round(g3 + eps, 6), alpha_r)
    lam = gated_lyapunov_dmft(_params(g3 + eps, alpha_r)).value if pt.chaotic else float("nan")
    return {"L3": g3, "C_h0_above": pt.C_h0, "lambda_above": float(lam), "C_h0_below": chaotic_branch(round(g3 - eps, 6), alpha_r).C_h0}


def _finite(v: float) -> bool:
    return bool(np.isfinite(v))
