r"""Fixed points x = F(x): damped iteration with Anderson mixing and its safeguards.

:func:`anderson_solve` iterates the damped map ``x ← x + d·(F(x) − x)`` and, with depth ``m > 0``,
extrapolates with Anderson mixing (type II; Anderson, J. ACM 12, 547 (1965); Walker & Ni, SIAM J.
Numer. Anal. 49, 1715 (2011), Alg. AA): with residuals ``g_k = F(x_k) − x_k`` and the differences
ΔX, ΔG of the last m + 1 iterates,

.. math::

    \gamma = \arg\min_\gamma \lVert g_k - \Delta G\,\gamma\rVert_2, \qquad
    x_{k+1} = x_k + d\,g_k - (\Delta X + d\,\Delta G)\,\gamma .

Safeguards (each one optional, all used by the DMFT solvers):

* ``accept(x_new, x_damped)``: a predicate on the extrapolated step; when it fails (or the step is
  not finite) the history is cleared and the plain damped step is taken. The DMFT solvers use it
  to keep Anderson mixing from jumping onto the trivial root C = 0 of their map;
* ``project(x)``: a map applied after every step (clipping correlations to their variance);
* a non-finite residual stops the iteration (``converged=False``);
* restarts: when the residual has not improved on its best value for ``2·depth + 10`` iterations
  (Anderson stagnating), or has grown a hundredfold above it (diverging), the history is cleared
  and the iteration continues from the best iterate with plain damped steps until the history is
  rebuilt; after three restarts Anderson mixing is switched off and the plain damped map, a
  contraction wherever the caller's fixed point is iteration-stable, finishes the job (the DMFT
  map of the gated RNN at g_h = 3, β_z = 1, α_r = 2.5, β_r = −0.5 made unguarded Anderson
  mixing wander onto the trivial root for thousands of iterations where the plain damped map
  converges in 200);
* the least-squares problem is cut at relative singular value 1e-12 (a nearly dependent history
  otherwise yields huge extrapolation coefficients).

The result reports the sup-norm residual of the last evaluated map, the iteration count and the
residual history, so a caller can flag non-convergence honestly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from theory.errors import ParameterError

__all__ = ["FixedPointResult", "anderson_solve"]


@dataclass(frozen=True)
class FixedPointResult:
    """Outcome of :func:`anderson_solve`.

    Attributes
    ----------
    x:
        The last iterate: ``F(x_k)`` when converged (the fixed point), else the current iterate.
    residual:
        ``max |F(x_k) − x_k|`` at the last evaluation (inf when it was not finite).
    iterations:
        Evaluations of F.
    converged:
        Whether ``residual < tol``.
    history:
        The residual of every iteration.
    restarts:
        How often the safeguard rejected an extrapolated step.
    timed_out:
        Whether the iteration stopped at its deadline.
    """

    x: np.ndarray
    residual: float
    iterations: int
    converged: bool
    history: tuple[float, ...] = field(default=())
    restarts: int = 0
    timed_out: bool = False


def anderson_solve(
    update: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    damping: float = 0.5,
    depth: int = 5,
    tol: float = 1e-10,
    max_iter: int = 1000,
    accept: Callable[[np.ndarray, np.ndarray], bool] | None = None,
    project: Callable[[np.ndarray], np.ndarray] | None = None,
    deadline: float | None = None,
) -> FixedPointResult:
    """Solve x = update(x) by damped iteration with Anderson mixing of depth ``depth``.

    Parameters
    ----------
    update:
        The map F; takes and returns a 1-D float array of the shape of ``x0``.
    x0:
        Initial guess.
    damping:
        d ∈ (0, 1] of the damped step.
    depth:
        Anderson depth m ≥ 0 (0: plain damped iteration).
    tol:
        Stop when ``max |F(x) − x| < tol``.
    max_iter:
        Cap on evaluations of F.
    accept, project:
        Safeguards (module docstring).
    deadline:
        A ``time.perf_counter()`` value after which the iteration stops (``timed_out=True``).

    Raises
    ------
    ParameterError
        For invalid settings.
    """
    if not (0 < damping <= 1):
        raise ParameterError("damping", damping, "0 < damping <= 1")
    if not (isinstance(depth, (int, np.integer)) and depth >= 0):
        raise ParameterError("anderson", depth, "an integer >= 0")
    if not (tol > 0):
        raise ParameterError("tol", tol, "tol > 0")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ParameterError("max_iter", max_iter, "an integer >= 1")
    x = np.array(x0, dtype=float)
    hist_x: list[np.ndarray] = []
    hist_g: list[np.ndarray] = []
    history: list[float] = []
    residual = math.inf
    restarts = 0
    it = 0
    converged = False
    best, best_x, since_best = math.inf, x.copy(), 0
    stall = 2 * int(depth) + 10
    timed_out = False
    for it in range(1, max_iter + 1):  # noqa: B007 - reported after the loop
        if deadline is not None and it > 1 and time.perf_counter() > deadline:
            timed_out = True
            it -= 1
            break
        fx = update(x)
        g = fx - x
        residual = float(np.max(np.abs(g)))
        history.append(residual)
        if not np.isfinite(residual):
            residual = math.inf
            break
        if residual < tol:
            x = fx
            converged = True
            break
        if residual < best * (1.0 - 1e-3):
            best, best_x, since_best = residual, x.copy(), 0
        else:
            since_best += 1
        if depth > 0 and (since_best > stall or residual > 100.0 * best):
            # Anderson stagnates or diverges: restart from the best iterate with damped steps
            hist_x.clear()
            hist_g.clear()
            restarts += 1
            since_best = 0
            if restarts >= 3:
                depth = 0
            if residual > best or depth == 0:
                x = best_x.copy()
                fx = update(x)
                g = fx - x
                residual = float(np.max(np.abs(g)))
                history.append(residual)
        x_damped = x + damping * g
        if depth > 0:
            hist_x.append(x.copy())
            hist_g.append(g.copy())
            if len(hist_x) > depth + 1:
                hist_x.pop(0)
                hist_g.pop(0)
            if len(hist_x) >= 2:
                dG = np.array([hist_g[i + 1] - hist_g[i] for i in range(len(hist_g) - 1)]).T
                dX = np.array([hist_x[i + 1] - hist_x[i] for i in range(len(hist_x) - 1)]).T
                gamma, *_ = np.linalg.lstsq(dG, g, rcond=1e-12)
                x_new = x + damping * g - (dX + damping * dG) @ gamma
            else:
                x_new = x_damped
            ok = bool(np.all(np.isfinite(x_new))) and (accept is None or accept(x_new, x_damped))
            if not ok:
                hist_x.clear()
                hist_g.clear()
                restarts += 1
                x_new = x_damped
            x = x_new
        else:
            x = x_damped
        if project is not None:
            x = project(x)
    return FixedPointResult(
        x=x,
        residual=residual,
        iterations=it,
        converged=converged,
        history=tuple(history),
        restarts=restarts,
        timed_out=timed_out,
    )
