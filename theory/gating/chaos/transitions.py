r"""Transitions of the gated RNN in (g_h, α_r): L1, L2, L3, the bistable window and the jump at L3.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VII (discontinuous transition to chaos,
Figs. 9–11) and Sec. VIII (phase diagrams); L1 and L2 from our fixed-point analysis (derivation
``gating_fixed_points``), L3 from the Fourier DMFT solver (derivation ``gating_dmft``).

* **L1** — instability of the zero fixed point, g_h σ_r(0) = 1
  (:func:`theory.gating.dmft.fixed_points.zero_fp_threshold`), independent of α_r.
* **L2** — onset of nonzero fixed-point solutions of the static DMFT (topological complexity):
  the smallest g_h at which :func:`theory.gating.dmft.fixed_points.fixed_point_branches` is non-empty
  (bisection). L2 < L1 iff α_r > α_r* (subcritical branch).
* **L3** — onset of the chaotic (time-dependent) DMFT branch (dynamical complexity): the smallest
  g_h, on the grid L1 + step, L1, L1 − step, … continued downward and refined by bisection, at
  which :func:`branch_exists` finds an accepted chaotic solution of
  :func:`theory.gating.dmft.equations.solve_dmft_fourier` from *any* of a few initial guesses (the order-one
  guess (1, 1), (0.5, 0.5), (2, 2) and a warm start from the previous branch point). The bistable
  window makes a single warm start unreliable: the zero state attracts the iteration too, and near
  the fold of the branch a small-amplitude guess falls onto it (at α_r = 20 the warm-started
  continuation reported L3 ≈ 1.798 although the order-one guess still converges to C_h(0) ≈ 0.021
  at g_h = 1.778; with the multi-start test L3 ≈ 1.758, where the branch ends at a fold with
  C_h(0) ≈ 0.011; α_r = 15: 1.848 → 1.795; α_r = 10: 1.898 → 1.858). Unconverged iterates count
  only when a contraction bound puts them near a fixed point (:attr:`ChaoticBranchPoint.accepted`):
  near the fold the iteration wanders without converging. The solves run on the batched
  Fourier solver (:func:`theory.gating.dmft.batched.solve_dmft_fourier_batch`: one compiled
  theory and tabulated closures for every g_h and α_r, the iteration of ``solve_dmft_fourier``),
  which made L3 a matter of seconds per α_r instead of 1–2 minutes;
  :func:`branch_search` decides many points at once (the phase diagram's continuation).

Between L3 and L1 the stable zero state coexists with chaos (bistable window): simulations started
from small states decay, from order-one states stay chaotic. At L3 the chaotic branch appears with
a finite C_h(0) and a finite λ_max (the jump).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.errors import ParameterError, require
from theory.gating.model import GatedParams

__all__ = [
    "line_l1",
    "line_l2",
    "line_l3",
    "chaotic_branch",
    "branch_exists",
    "branch_exists_batch",
    "branch_search",
    "branch_point",
    "chaotic_branch_batch",
    "branch_guesses",
    "largest_guess_C_h0",
    "ChaoticBranchPoint",
    "TransitionLines",
    "transition_lines",
    "GUESSES",
    "COLLAPSE",
    "distance_bound",
]

#: C_h(0) below this counts as the collapsed (zero) solution.
COLLAPSE = 1e-6

#: Initial amplitudes (C_h(0), C_r(0)) tried by :func:`branch_exists`, in this order, before the
#: warm start: the order-one guess first (so that on the branch :func:`branch_exists` returns
#: :func:`chaotic_branch`'s default answer), then a smaller and a larger one. The chaotic branch in
#: the bistable window has C_h(0) ≈ 0.01–0.1 (α_r = 20); the three guesses bracket it from above
#: at different distances, and the warm start approaches it from the branch itself.
GUESSES: tuple[tuple[float, float], ...] = ((1.0, 1.0), (0.5, 0.5), (2.0, 2.0))

#: An unconverged chaotic iterate is accepted when its distance bound (see
#: :attr:`ChaoticBranchPoint.distance`) is below this fraction of its C_h(0).
ACCEPT_FRACTION = 0.1

#: The solver's own window criterion (:func:`theory.gating.dmft.equations.tail_decay` above this: window too short).
WINDOW_TAIL = 1e-3

#: Iterations over which the contraction rate of the fixed-point iteration is estimated.
RATE_WINDOW = 50


def _params(g_h: float, alpha_r: float, beta_r: float = 0.0, **kw: Any) -> GatedParams:
    return GatedParams(g_h=float(g_h), alpha_r=float(alpha_r), beta_r=float(beta_r), **kw)


def line_l1(alpha_r: float, beta_r: float = 0.0) -> float:
    """L1: g_h = 1/σ_r(0) = 1 + e^{β_r} (zero fixed point loses stability)."""
    from theory.gating.dmft.fixed_points import zero_fp_threshold

    return zero_fp_threshold(_params(1.0, alpha_r, beta_r))


def line_l2(alpha_r: float, beta_r: float = 0.0, *, xtol: float = 2e-3) -> float:
    """L2: smallest g_h with a nonzero solution of the fixed-point DMFT (bisection on existence)."""
    from theory.gating.dmft.batched import fixed_point_exists_batch

    g1 = line_l1(alpha_r, beta_r)

    def exists(g: float) -> bool:
        # len(fixed_point_branches(p, n_grid=200)) > 0 without compiling a derivation per g_h
        return bool(fixed_point_exists_batch([_params(g, alpha_r, beta_r)], n_grid=200)[0])

    if not exists(g1 - 1e-3):
        return g1
    lo, hi = 1.0, g1 - 1e-3
    if exists(lo):
        raise ParameterError(
            "alpha_r", alpha_r, "a value with no nonzero fixed point at g_h = 1 (L2 > 1)"
        )
    while hi - lo > xtol:
        mid = 0.5 * (lo + hi)
        if exists(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class ChaoticBranchPoint:
    """The chaotic DMFT branch at one g_h (C_h(0), C_r(0); zero when collapsed).

    Attributes
    ----------
    g_h:
        Coupling solved at.
    C_h0, C_r0:
        C_h(0), C_r(0) of the last iterate.
    converged:
        The solver met its tolerance and window test, or the iterate collapsed (C_h(0) ≤
        :data:`COLLAPSE`: the zero state is a valid answer even if the window test complains).
    chaotic:
        C_h(0) > :data:`COLLAPSE` (whether or not the iterate converged; see :attr:`accepted`).
    residual:
        Last sup-norm change of (C_h, C_r) of the iteration.
    distance:
        Bound on the distance of the iterate from a fixed point, r/(1 − ρ̂): r the largest residual
        of the last :data:`RATE_WINDOW` iterations, ρ̂ the geometric-mean contraction of the
        residual over them (a contraction with rate ρ moves at most r/(1 − ρ) further); ∞ when the
        residual did not decrease. 0 for a converged iterate (the solver's tolerance is its contract).
    tail_decay:
        Window diagnostic of the solver (:func:`theory.gating.dmft.equations.tail_decay`).
    init:
        Initial amplitudes the solve started from.
    """

    g_h: float
    C_h0: float
    C_r0: float
    converged: bool
    chaotic: bool
    residual: float = float("nan")
    distance: float = float("nan")
    tail_decay: float = float("nan")
    init: tuple[float, float] = (1.0, 1.0)

    @property
    def accepted(self) -> bool:
        """A chaotic *solution*: C_h(0) > COLLAPSE and either converged, or — tolerance missed but the
        window fine — within ACCEPT_FRACTION·C_h(0) of a fixed point by the contraction bound.

        Near the fold of the branch (α_r = 20, g_h ≈ 1.75) the iteration wanders for 1500
        iterations with residuals 5e-5–1e-3 and C_h(0) between 0.009 and 0.018 depending on the
        guess: such iterates are not solutions and do not count.
        """
        if not self.chaotic:
            return False
        if self.converged:
            return True
        return self.tail_decay <= WINDOW_TAIL and self.distance <= ACCEPT_FRACTION * self.C_h0


def distance_bound(history: tuple[float, ...], window: int = RATE_WINDOW) -> float:
    """r/(1 − ρ̂) from the residual history (see :attr:`ChaoticBranchPoint.distance`)."""
    if len(history) <= window:
        return math.inf
    h = np.asarray(history[-window - 1 :], dtype=float)
    if not (np.all(np.isfinite(h)) and h[0] > 0 and h[-1] > 0):
        return math.inf
    rho = (h[-1] / h[0]) ** (1.0 / window)
    if not rho < 1.0:
        return math.inf
    return float(np.max(h[1:]) / (1.0 - rho))


def branch_point(sol: Any, g_h: float, init: tuple[float, float]) -> ChaoticBranchPoint:
    """The ChaoticBranchPoint of a Fourier solve at g_h started from ``init`` (as chaotic_branch)."""
    ch0 = float(sol.C_h[0])
    chaotic = ch0 > COLLAPSE
    distance = 0.0 if sol.converged else distance_bound(sol.residual_history)
    # a collapsed solution is a valid answer (the zero state) even if the window test complains
    return ChaoticBranchPoint(
        float(g_h),
        ch0,
        float(sol.C_r[0]),
        bool(sol.converged or not chaotic),
        chaotic,
        residual=float(sol.residual),
        distance=float(distance),
        tail_decay=float(sol.info["tail_decay"]),
        init=(float(init[0]), float(init[1])),
    )


def chaotic_branch_batch(
    points: Sequence[tuple[float, float, float, tuple[float, float]]],
    *,
    n: int = 512,
    dtau: float = 0.2,
) -> list[ChaoticBranchPoint]:
    """:func:`chaotic_branch` at many (g_h, α_r, β_r, init) at once (one batched Fourier solve).

    Each point's result depends only on its own inputs
    (:func:`theory.gating.dmft.batched.solve_dmft_fourier_batch`).
    """
    from theory.gating.dmft.batched import solve_dmft_fourier_batch

    pts = [(float(g), float(a), float(b), (float(i[0]), float(i[1]))) for g, a, b, i in points]
    if not pts:
        return []
    sols = solve_dmft_fourier_batch(
        [_params(g, a, b) for g, a, b, _ in pts],
        n=n,
        dtau=dtau,
        tol=1e-8,
        init=np.array([i for *_, i in pts]),
        max_iter=1500,
    )
    return [branch_point(s, g, i) for s, (g, _a, _b, i) in zip(sols, pts, strict=True)]


@functools.lru_cache(maxsize=512)
def chaotic_branch(
    g_h: float,
    alpha_r: float,
    beta_r: float = 0.0,
    init: tuple[float, float] = (1.0, 1.0),
    n: int = 512,
    dtau: float = 0.2,
) -> ChaoticBranchPoint:
    """Solve the α_z = 0 DMFT (solver A) from one guess; the chaotic branch when it attracts it.

    The iteration of :func:`theory.gating.dmft.fourier.solve_dmft_fourier` (``tol=1e-8``,
    ``max_iter=1500``), run by :func:`theory.gating.dmft.batched.solve_dmft_fourier_batch`, whose
    tabulated closures make it one to two orders of magnitude cheaper at large α_r (same results
    to the solver tolerance; tested). One guess can miss the branch in the bistable window (the
    zero state attracts the iteration too): use :func:`branch_exists` to decide whether the
    branch exists.
    """
    return chaotic_branch_batch([(g_h, alpha_r, beta_r, init)], n=n, dtau=dtau)[0]


def branch_guesses(warm: ChaoticBranchPoint | None = None) -> tuple[tuple[float, float], ...]:
    """The initial guesses of :func:`branch_exists`: :data:`GUESSES`, then the warm start from ``warm``.

    The warm start is (C_h(0), C_r(0)) of ``warm`` (floored at 10⁻³), omitted when ``warm`` is
    None or not chaotic.
    """
    out = list(GUESSES)
    if warm is not None and warm.chaotic:
        w = (round(max(warm.C_h0, 1e-3), 12), round(max(warm.C_r0, 1e-3), 12))
        if w not in out:
            out.append(w)
    return tuple(out)


def branch_exists(
    g_h: float,
    alpha_r: float,
    beta_r: float = 0.0,
    *,
    warm: ChaoticBranchPoint | None = None,
    n: int = 512,
    dtau: float = 0.2,
) -> ChaoticBranchPoint | None:
    """Multi-start existence test of the chaotic DMFT branch at (g_h, α_r) (L3; module docstring).

    Solves :func:`chaotic_branch` from each guess of :func:`branch_guesses` (``warm`` adds a warm
    start) until one gives an accepted chaotic solution (:attr:`ChaoticBranchPoint.accepted`).

    Parameters
    ----------
    g_h, alpha_r, beta_r:
        Model parameters (α_z = 0, convention A).
    warm:
        A nearby branch point whose amplitudes are tried last (None: no warm start).
    n, dtau:
        Grid of the Fourier solver.

    Returns
    -------
    ChaoticBranchPoint or None
        The first accepted chaotic point in guess order (the order-one guess first, so on the branch
        this is :func:`chaotic_branch`'s default answer); None when no guess gives one.

    Raises
    ------
    ParameterError
        If g_h or α_r is not finite and positive (α_r ≥ 0), or ``warm`` is not a ChaoticBranchPoint.
    """
    require(np.isfinite(g_h) and g_h > 0, "g_h", g_h, "a finite g_h > 0")
    require(np.isfinite(alpha_r) and alpha_r >= 0, "alpha_r", alpha_r, "a finite alpha_r >= 0")
    require(
        warm is None or isinstance(warm, ChaoticBranchPoint),
        "warm",
        warm,
        "None or a ChaoticBranchPoint",
    )
    for guess in branch_guesses(warm):
        pt = chaotic_branch(
            round(float(g_h), 6), float(alpha_r), float(beta_r), init=guess, n=n, dtau=dtau
        )
        if pt.accepted:
            return pt
    return None


def branch_search(
    points: Sequence[tuple[float, float]],
    beta_r: float = 0.0,
    *,
    warms: Sequence[ChaoticBranchPoint | None] | None = None,
    n: int = 512,
    dtau: float = 0.2,
) -> list[tuple[ChaoticBranchPoint | None, tuple[ChaoticBranchPoint, ...]]]:
    """:func:`branch_exists` at many (g_h, α_r) at once, with every solve it made.

    Round k solves, in one batch, guess k of :func:`branch_guesses` (``warms[i]`` adds the warm
    start of point i) for every point that has no accepted solution yet; each point's answer is
    its first accepted solution in guess order, exactly as :func:`branch_exists` decides it
    (g_h rounded to 6 digits as there).

    Returns
    -------
    list of (answer, tried)
        ``answer``: the accepted point or None; ``tried``: the solves made for the point, in
        guess order (the last one is the answer when there is one).
    """
    pts = [(round(float(g), 6), float(a)) for g, a in points]
    for g, a in pts:
        require(np.isfinite(g) and g > 0, "g_h", g, "a finite g_h > 0")
        require(np.isfinite(a) and a >= 0, "alpha_r", a, "a finite alpha_r >= 0")
    ws = list(warms) if warms is not None else [None] * len(pts)
    require(len(ws) == len(pts), "warms", len(ws), f"{len(pts)} entries (one per point)")
    for w in ws:
        require(
            w is None or isinstance(w, ChaoticBranchPoint),
            "warm",
            w,
            "None or a ChaoticBranchPoint",
        )
    guesses = [branch_guesses(w) for w in ws]
    answer: list[ChaoticBranchPoint | None] = [None] * len(pts)
    tried: list[list[ChaoticBranchPoint]] = [[] for _ in pts]
    todo = list(range(len(pts)))
    k = 0
    while todo:
        todo = [i for i in todo if k < len(guesses[i])]
        if not todo:
            break
        res = chaotic_branch_batch(
            [(pts[i][0], pts[i][1], float(beta_r), guesses[i][k]) for i in todo], n=n, dtau=dtau
        )
        left = []
        for i, r in zip(todo, res, strict=True):
            tried[i].append(r)
            if r.accepted:
                answer[i] = r
            else:
                left.append(i)
        todo, k = left, k + 1
    return [(a, tuple(t)) for a, t in zip(answer, tried, strict=True)]


def branch_exists_batch(
    points: Sequence[tuple[float, float]],
    beta_r: float = 0.0,
    *,
    warms: Sequence[ChaoticBranchPoint | None] | None = None,
    n: int = 512,
    dtau: float = 0.2,
) -> list[ChaoticBranchPoint | None]:
    """:func:`branch_exists` at many (g_h, α_r) at once (see :func:`branch_search`)."""
    return [a for a, _ in branch_search(points, beta_r, warms=warms, n=n, dtau=dtau)]


def largest_guess_C_h0(
    g_h: float,
    alpha_r: float,
    beta_r: float = 0.0,
    *,
    warm: ChaoticBranchPoint | None = None,
    n: int = 512,
    dtau: float = 0.2,
) -> float:
    """The largest C_h(0) reached from any guess of :func:`branch_guesses` (≤ COLLAPSE: all collapse)."""
    return max(
        chaotic_branch(g_h, alpha_r, beta_r, init=gu, n=n, dtau=dtau).C_h0
        for gu in branch_guesses(warm)
    )


def line_l3(
    alpha_r: float,
    beta_r: float = 0.0,
    *,
    step: float = 0.05,
    xtol: float = 5e-3,
    confirm: int = 1,
    n: int = 512,
    dtau: float = 0.2,
) -> float:
    """L3: onset of the chaotic DMFT branch (module docstring).

    Steps down from L1 + step on the grid L1 + step − k·step with the multi-start test
    :func:`branch_exists` (warm-started from the previous chaotic point) until a point has no
    chaotic solution and neither have the ``confirm`` grid points below it (if one of them has,
    the continuation resumes there), then bisects between the last chaotic and the first
    non-chaotic point with the same test to ``xtol``. So L3 is the smallest g_h > 1 of the
    searched grid with a chaotic solution from any guess, to within xtol, unless the branch has a
    gap wider than (confirm + 1)·step.

    Returns
    -------
    float
        The midpoint of the final bracket (chaotic at L3 + xtol/2 or above, none at L3 − xtol/2 or
        below); 1.0 if the branch reaches g_h ≤ 1.

    Raises
    ------
    ParameterError
        If step, xtol are not positive or confirm is negative, or the chaotic branch is absent at
        L1 + step (nothing to continue).
    """
    require(step > 0 and xtol > 0, "step, xtol", (step, xtol), "positive numbers")
    require(isinstance(confirm, int) and confirm >= 0, "confirm", confirm, "an integer >= 0")
    g1 = line_l1(alpha_r, beta_r)
    top = g1 + step
    last = branch_exists(top, alpha_r, beta_r, n=n, dtau=dtau)
    if last is None:
        raise ParameterError(
            "alpha_r",
            alpha_r,
            f"a value with a chaotic DMFT branch at g_h = L1 + {step} = {top:.3g}",
        )
    k = 1
    while True:
        g = round(top - k * step, 6)
        if g <= 1.0:
            return 1.0
        cur = branch_exists(g, alpha_r, beta_r, warm=last, n=n, dtau=dtau)
        if cur is not None:
            last, k = cur, k + 1
            continue
        resumed = False
        for j in range(1, confirm + 1):
            gj = round(top - (k + j) * step, 6)
            if gj <= 1.0:
                break
            cj = branch_exists(gj, alpha_r, beta_r, warm=last, n=n, dtau=dtau)
            if cj is not None:
                last, k, resumed = cj, k + j + 1, True
                break
        if not resumed:
            break
    lo, hi = g, last.g_h
    while hi - lo > xtol:
        mid = round(0.5 * (lo + hi), 6)
        cur = branch_exists(mid, alpha_r, beta_r, warm=last, n=n, dtau=dtau)
        if cur is not None:
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
    return TransitionLines(
        float(alpha_r), line_l1(alpha_r, beta_r), line_l2(alpha_r, beta_r), line_l3(alpha_r, beta_r)
    )


def transition_point(alpha_r: float, beta_r: float = 0.0) -> dict[str, float]:
    """Sweep function: {'L1', 'L2', 'L3'} at (α_r, β_r)."""
    t = transition_lines(alpha_r, beta_r)
    return {"L1": t.L1, "L2": t.L2, "L3": t.L3}


def lambda_jump(alpha_r: float, *, eps: float = 0.02) -> dict[str, float]:
    """The discontinuity at L3: for large α_r, λ_max and C_h(0) jump (the paper's Sec. VII).

    Returns
    -------
    dict
        ``L3``; ``C_h0_above``, ``lambda_above``: C_h(0) and the DMFT λ_max
        (:func:`theory.gating.chaos.lyapunov_dmft.gated_lyapunov_dmft`, solved on its own grid from the
        guess that found the branch) on the chaotic branch at L3 + eps (NaN if :func:`branch_exists`
        finds none there); ``C_h0_below``: the *largest* C_h(0) reached from any guess of
        :func:`branch_guesses` at L3 − eps (≤ :data:`COLLAPSE` when every guess collapses, the
        L3 criterion itself).

    Raises
    ------
    ParameterError
        If eps is not positive.
    """
    from theory.gating.chaos.lyapunov_dmft import gated_lyapunov_dmft
    from theory.gating.dmft.fourier import solve_dmft_fourier

    require(np.isfinite(eps) and eps > 0, "eps", eps, "a finite eps > 0")
    g3 = line_l3(alpha_r)
    g_above, g_below = round(g3 + eps, 6), round(g3 - eps, 6)
    pt = branch_exists(g_above, alpha_r)
    lam = float("nan")
    if pt is not None:
        p = _params(g_above, alpha_r)
        sol = solve_dmft_fourier(p, dtau=0.1, n=2048, init=pt.init)
        if sol.converged and sol.C_h[0] > COLLAPSE:
            lam = gated_lyapunov_dmft(p, dtau=0.1, n=2048, solution=sol).value
    below = largest_guess_C_h0(g_below, alpha_r, warm=pt)
    return {
        "L3": g3,
        "C_h0_above": pt.C_h0 if pt is not None else float("nan"),
        "lambda_above": float(lam),
        "C_h0_below": float(below),
    }


def _finite(v: float) -> bool:
    return bool(np.isfinite(v))
