r"""Solver A: the Fourier fixed point of the stationary gated DMFT (α_z = 0).

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. III. For α_z = 0 (σ_z ≡ s_z) each
single-site variable is a linear filter of its Gaussian field, so the stationary DMFT is a fixed
point of a map on the correlation functions that acts by multiplication in frequency: the
closures C_φ(C_h), C_{σ_r}(C_r) in lag space, the multipliers of the derivation
:func:`theory.gating.dmft.equations.gated_dmft_derivation` (steps ``spectrum_h``, ``spectrum_r``,
``spectrum_z``) in frequency space. The map is iterated with damping and Anderson mixing
(:func:`theory.numerics.fixed_point.anderson_solve`) on a periodic lag grid.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from theory.errors import ConvergenceError, is_real, require
from theory.gating.dmft.closures import ClosureTable
from theory.gating.dmft.equations import (
    GatedDMFTSolution,
    check_fourier_options,
    check_fourier_params,
    check_init_amplitudes,
    closure_error_bound,
    compiled_theory,
    coupling_variance,
    grid_diagnostics,
    input_variances,
)
from theory.gating.model import GatedParams
from theory.numerics.fixed_point import anderson_solve
from theory.numerics.timeseries import even_extend

__all__ = ["solve_dmft_fourier", "CLOSURE_ERROR_LIMIT"]

#: Largest a posteriori error of the general (non-logistic user shape) closures at a solution
#: that still counts as converged.
CLOSURE_ERROR_LIMIT = 1e-8


def solve_dmft_fourier(
    params: GatedParams,
    *,
    dtau: float = 0.1,
    n: int = 2048,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 3000,
    quad_step: float | None = None,
    init: tuple[float, float] = (0.5, 0.5),
    anderson: int = 5,
    table_nodes: int = 33,
    raise_on_failure: bool = False,
    max_seconds: float = 120.0,
) -> GatedDMFTSolution:
    """Solver A: Fourier fixed-point iteration of the stationary DMFT for α_z = 0.

    On a periodic grid τ_k = kΔτ (n points, window L = nΔτ), iterate

    1. C_φ(τ) = C_φ(C_h(τ); C_h(0)), C_{σ_r}(τ) = C_{σ_r}(C_r(τ); C_r(0)) (compiled closures,
       Chebyshev-in-arcsin interpolation, quadrature step from the sharpness of φ and σ_r);
    2. Ĉ_h = s_z²/(s_z² + ω²)·(g_J C_{σ_r}C_φ)^ + σ_{I_h}², Ĉ_r = (C_φ)^/(1 + τ_r²ω²) + σ_{I_r}²
       (compiled multipliers of :func:`gated_dmft_derivation`);
    3. mix: Anderson acceleration of depth ``anderson`` on the damped map
       new = (1 − d)·old + d·update (``anderson=0``: plain damping).

    Stops when the sup-norm change of (C_h, C_r) is below ``tol``. C_z follows from C_φ at the end.

    Parameters
    ----------
    params:
        Parameters with α_z = 0.
    dtau, n:
        Grid spacing and number of points (window L = n·dtau; lags returned up to L/2).
    damping:
        d ∈ (0, 1].
    tol, max_iter:
        Convergence tolerance (sup norm of the change) and iteration cap.
    quad_step:
        Override of the quadrature step of both closures (x-units); default from the sharpness.
    init:
        Amplitudes (C_h(0), C_r(0)) of the initial exponential guess e^{−|τ|/2}. The iteration
        follows the iteration-stable branch reached from it (zero when only the trivial solution
        attracts).
    anderson:
        Depth of Anderson mixing (0 disables).
    table_nodes:
        Chebyshev nodes of the closure interpolation.
    raise_on_failure:
        Raise :class:`ConvergenceError` instead of returning ``converged=False``.
    max_seconds:
        Time budget of the iteration: past it the solver stops and flags ``converged=False``.

    Returns
    -------
    GatedDMFTSolution
        With ``converged=False`` and a ``message`` if the tolerance was not met (within
        ``max_iter`` and ``max_seconds``), the correlation has not decayed at the window edge
        (increase ``n`` or ``dtau``), the grid aliases (decrease ``dtau``), or the iteration
        ended on the trivial solution C = 0 although the zero fixed point is unstable (it is
        then restarted once from order-one amplitudes before giving up), or the general closure
        quadrature of a user φ or gate errs by more than :data:`CLOSURE_ERROR_LIMIT` at the
        solution (``info["closure_quadrature_error"]``).

    User shapes (:class:`~theory.gating.model.GatedParams` ``phi``, ``gate_r``): logistic ones
    take the exact fast path of the defaults; others the general Gaussian quadrature
    (:func:`theory.gating.dmft.closures.general_cross`), whose a posteriori error is reported.

    Raises
    ------
    ParameterError
        If α_z ≠ 0 (use :func:`theory.gating.dmft.montecarlo.solve_dmft_montecarlo`) or the grid,
        damping, tolerances or budgets are invalid.

    Notes
    -----
    Domain: every :class:`~theory.gating.model.GatedParams` with α_z = 0, including the sharp
    corners (g_h up to 10³ and beyond, α_r up to 10⁸): the closures of the logistic φ and σ_r
    are evaluated by :func:`theory.gating.dmft.closures.logistic_cross`, whose cost does not grow
    with the sharpness, and interpolated by adaptive piecewise Chebyshev tables.
    Budget: memory O(n) (≈ 120 MB peak at n = 2048 whatever α_r, g_h); time 1–6 s at the default
    grid on one core across the corners (``tests/contracts``), at most ``max_seconds``.
    """
    check_fourier_params(params)
    check_fourier_options(
        dtau=dtau,
        n=n,
        damping=damping,
        tol=tol,
        max_iter=max_iter,
        anderson=anderson,
        table_nodes=table_nodes,
    )
    require(
        quad_step is None or (is_real(quad_step) and 1e-4 <= quad_step <= 1.0),
        "quad_step",
        quad_step,
        "None or 1e-4 <= quad_step <= 1 (x-units)",
    )
    init = check_init_amplitudes(init)
    require(
        is_real(max_seconds) and max_seconds > 0, "max_seconds", max_seconds, "a time budget > 0"
    )
    t0 = time.perf_counter()
    th = compiled_theory(params, quad_step)
    p = params
    gJ = coupling_variance(p)
    vh, _vz, vr = input_variances(p)
    sz = p.s_z
    K = n // 2 + 1
    lags = np.arange(K) * dtau
    om = 2 * np.pi * np.fft.rfftfreq(n, d=dtau)
    Mh = th.mult_h(om, sz)
    Mr = th.mult_r(om, p.tau_r)
    Mz = th.mult_z(om, p.tau_z)
    tab_phi = ClosureTable(th.C_phi, table_nodes)
    tab_sr = ClosureTable(th.C_sigma_r, table_nodes)

    def filt(mult: np.ndarray, half: np.ndarray) -> np.ndarray:
        spec = np.fft.rfft(even_extend(half, n)).real
        return np.fft.irfft(mult * spec, n=n)[:K]

    def closures(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ch, cr = x[:K], x[K:]
        if ch[0] <= 0 or cr[0] <= 0:
            return np.zeros(K), np.zeros(K)
        return tab_phi(ch, ch[0]), tab_sr(cr, cr[0])

    def update(x: np.ndarray) -> np.ndarray:
        cphi, csr = closures(x)
        ch = filt(Mh, gJ * csr * cphi) + vh
        cr = filt(Mr, cphi) + vr
        return np.concatenate([ch, cr])

    def accept(x_new: np.ndarray, x_safe: np.ndarray) -> bool:
        # variances must stay positive: an extrapolated step may not shrink or grow a variance by
        # more than 2x (this keeps Anderson mixing from jumping onto the trivial root C = 0)
        return all(0.5 * x_safe[i] <= x_new[i] <= 2.0 * x_safe[i] for i in (0, K) if x_safe[i] > 0)

    def psd(half: np.ndarray) -> np.ndarray:
        # the nearest covariance of a stationary periodic process: clip the negative part of the
        # spectrum (an Anderson extrapolation need not be a covariance; the map's closures are
        # only meaningful on covariances, and at g_h = 10 an unprojected iterate drifted onto the
        # trivial root), then bound the correlation by the variance
        spec = np.fft.rfft(even_extend(half, n)).real
        if spec.min() < 0.0:
            half = np.fft.irfft(np.clip(spec, 0.0, None), n=n)[:K]
        return np.clip(half, -half[0], half[0])

    def project(x: np.ndarray) -> np.ndarray:
        return np.concatenate([psd(x[:K]), psd(x[K:])])

    deadline = t0 + float(max_seconds)

    def iterate(amp: tuple[float, float], depth: int, cap: int) -> Any:
        x0 = np.concatenate([amp[0] * np.exp(-lags / 2), amp[1] * np.exp(-lags / 2)])
        return anderson_solve(
            update,
            x0,
            damping=damping,
            depth=depth,
            tol=tol,
            max_iter=cap,
            accept=accept,
            project=project,
            deadline=deadline,
        )

    fp = iterate(init, int(anderson), int(max_iter))
    history = list(fp.history)
    zero_unstable = False
    from theory.gating.dmft.fixed_points import zero_fp_threshold, zero_is_fixed_point

    if zero_is_fixed_point(p):
        zero_unstable = p.g_h > zero_fp_threshold(p) * (1.0 + 1e-9)
    retried = False
    if zero_unstable and float(fp.x[0]) <= 1e-12 and fp.iterations < max_iter:
        # the trivial root C = 0 is unstable (g_h above the zero-fixed-point threshold): the
        # iteration left the chaotic branch; start again from order-one amplitudes, plain damping
        retried = True
        fp = iterate((1.0, 1.0), 0, int(max_iter) - fp.iterations)
        history += list(fp.history)
    x, residual, it = fp.x, fp.residual, len(history)
    ch, cr = x[:K], x[K:]
    cphi, csr = closures(x)
    cz = filt(Mz, cphi) + input_variances(p)[1]
    messages = []
    if not residual < tol:
        why = " (time budget max_seconds exhausted)" if fp.timed_out else ""
        messages.append(
            f"not converged: residual {residual:.3e} > tol {tol:.1e} after {it} iterations{why}; "
            "increase max_iter or lower damping"
        )
    if zero_unstable and ch[0] <= 1e-12:
        messages.append(
            f"converged to the trivial solution C = 0 although the zero fixed point is unstable "
            f"(g_h = {p.g_h:g} > {zero_fp_threshold(p):.6g}): the chaotic solution was not found; "
            "try another init or a smaller damping"
        )
    grid_messages, decay, alias = grid_diagnostics(ch, cr, p, n, dtau)
    messages += grid_messages
    quad_err = closure_error_bound(p, ch, cr)
    if quad_err > CLOSURE_ERROR_LIMIT:
        messages.append(
            f"general closure quadrature error {quad_err:.2e} > {CLOSURE_ERROR_LIMIT:g} at the "
            "solution (a user phi or gate sharper than its gain/alpha says)"
        )
    if ch[0] <= 1e-12:
        kinetic = 0.0
    else:
        kinetic = float(th.kinetic(ch[0], cr[0], sz, gJ, math.sqrt(vh)))
    converged = not messages
    msg = "; ".join(messages)
    if raise_on_failure and not converged:
        raise ConvergenceError(f"solve_dmft_fourier: {msg}", residual, it)
    return GatedDMFTSolution(
        params=params,
        tau=lags,
        C_h=ch.copy(),
        C_z=cz,
        C_r=cr.copy(),
        C_phi=cphi,
        C_sigma_r=csr,
        converged=converged,
        residual=residual,
        iterations=it,
        method="fourier",
        kinetic=kinetic,
        message=msg,
        residual_history=tuple(history),
        info={
            "window": n * dtau,
            "dtau": dtau,
            "tail_decay": decay,
            "nyquist_fraction": alias,
            "seconds": time.perf_counter() - t0,
            "s_z": sz,
            "restarts": fp.restarts,
            "retried_from_order_one": retried,
            "closure_interpolation_error": max(tab_phi.last_error[0], tab_sr.last_error[0]),
            "closure_quadrature_error": quad_err,
        },
    )
