r"""Solver B: Monte-Carlo DMFT of the gated RNN for α_z ≠ 0.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. III: for α_z ≠ 0 the rate σ_z(z(t)) is
random and h is not Gaussian, so C_φ has no closed equation; the paper solves the single-site
process by sampling. With the stationary covariances of :func:`theory.gating.dmft.equations.gated_dmft_derivation`
(steps ``spectrum_z``, ``spectrum_r``, ``field_h``) the iteration is

1. C_z, C_r from C_φ by the compiled multipliers 1/(1 + τ²ω²); C_{σ_r} by the compiled closure;
   C_{η_h} = g_J C_{σ_r} C_φ + σ_{I_h}²;
2. sample M stationary periodic Gaussian paths of z and η_h by circulant embedding (eigenvalues = FFT
   of the periodic covariance, clipped at 0; Dietrich & Newsam, SIAM J. Sci. Comput. 18, 1088 (1997));
3. integrate ḣ = σ_z(z)(−h + η_h) exactly per step for piecewise-linear inputs at the midpoint,
   h ← η̄ + (h − η̄)e^{−σ_z(z̄)Δτ}, over two laps of the periodic path, keeping the second;
4. estimate C_φ (and C_h, ⟨ḣ²⟩) by FFT autocorrelation averaged over paths; damp; repeat; average the
   estimates of the last iterations. R independent replica iterations run side by side and the
   reported standard errors are their spread (iterations of one chain are correlated).

The result is flagged ``converged=False`` when C_h has not decayed inside the window (α_z too large
for the window: increase ``n``) or the last iterations drift by more than 4 standard errors.
"""

from __future__ import annotations

import math
import time

import numpy as np

from theory.errors import ConvergenceError, require
from theory.gating.dmft.closures import ClosureTable
from theory.gating.dmft.equations import (
    GatedDMFTSolution,
    check_grid,
    compiled_theory,
    coupling_variance,
    input_variances,
    tail_decay,
)
from theory.gating.model import GatedParams, compiled_model, has_user_functions, phi_is_odd
from theory.numerics.timeseries import circulant_paths, even_extend, periodic_autocorrelation

__all__ = ["solve_dmft_montecarlo"]

#: Tail-variation threshold of the window test for noisy Monte-Carlo correlations.
MC_TAIL_THRESHOLD = 0.05


def _taper(c: np.ndarray) -> np.ndarray:
    """Tukey-taper the connected part of a noisy correlation estimate beyond a quarter window.

    Monte-Carlo noise at long lags (where the true correlation has decayed) feeds back as noise
    in the spectrum of the next field covariance; clipping its negative eigenvalues would then add
    variance and bias C_h(0) upwards (we measured +1.5 % at g_h = 4, α_z = 0 against solver A
    without this taper). The static level (mean of the last quarter) is kept.
    """
    K = c.size
    static = float(np.mean(c[-(K // 4) :]))
    w = np.ones(K)
    start = K // 2
    w[start:] = 0.5 * (1.0 + np.cos(np.pi * (np.arange(K - start) / (K - start))))
    return static + (c - static) * w


def _recursion(a: np.ndarray, b: np.ndarray, h: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """Run h_{k+1} = a_k h_k + b_k over the rows k of (n, M) arrays from h_0 = ``h``.

    Writes h_k (before the k-th update) into ``out`` if given and returns h_n. Vectorised in blocks
    by the closed form h_{j+m} = C_m (h_j + Σ_{i<m} b_{j+i}/C_{i+1}), C_m = Π_{i<m} a_{j+i}:
    blocks are at most 64 steps and short enough that C ≥ e^{−30}, so the divisions neither
    overflow nor lose more than ~1e-13 relative; step by step when one step alone decays by more
    than e^{−30} (a_k may underflow to 0).
    """
    n = a.shape[0]
    worst = float(-np.log(max(float(a.min()), 1e-300)))  # largest per-step decay exponent
    block = int(min(64, max(1, 30.0 // max(worst, 1e-12))))  # block products >= e^{-30}
    if block == 1:  # a step decays by more than e^{-30} (possibly to 0): step by step
        for k in range(n):
            if out is not None:
                out[k] = h
            h = a[k] * h + b[k]
        return h
    for j in range(0, n, block):
        aj, bj = a[j : j + block], b[j : j + block]
        C = np.cumprod(aj, axis=0)  # C_{m+1}, m = 0..block-1
        S = np.cumsum(bj / C, axis=0)
        if out is not None:
            out[j] = h
            out[j + 1 : j + block] = (C * (h[None, :] + S))[:-1]
        h = C[-1] * (h + S[-1])
    return h


def solve_dmft_montecarlo(
    params: GatedParams,
    *,
    rng: np.random.Generator,
    dtau: float = 0.1,
    n: int = 4096,
    n_paths: int = 256,
    n_iter: int = 60,
    n_avg: int = 30,
    n_replicas: int | None = None,
    damping: float = 1.0,
    init_phi: float | None = None,
    table_nodes: int = 33,
    raise_on_failure: bool = False,
) -> GatedDMFTSolution:
    """Solver B: Monte-Carlo DMFT (any α_z ≥ 0; module docstring).

    Parameters
    ----------
    params:
        Model parameters.
    rng:
        Explicit random generator (paths).
    dtau, n:
        Grid spacing and points of the periodic window L = n·dtau (should exceed ~20 correlation
        times of C_h; the correlation time grows quickly with α_z).
    n_paths:
        Paths per iteration M (standard error ∝ 1/√(M·L/τ_c)).
    n_iter, n_avg:
        Iterations, and how many of the last ones are averaged (≥ 2).
    n_replicas:
        R ≥ 2 independent replica iterations, each with n_paths/R paths and its own C_φ. The
        reported errors are the standard errors across replicas: consecutive iterations of one
        chain are strongly correlated through the damped state (near g_eff → 1 the map contracts
        by only ≈ 0.85 per iteration), so the spread over iterations of a single chain
        underestimates the error by a factor ≈ 3 (we measured this at g_h = 4, α_z = 0 against
        solver A with 4 seeds). Default: 16 (at most n_paths/8, at least 2). The standard error
        of R replicas has R − 1 degrees of freedom, so with R = 4 it is itself very noisy and the
        z-scores are heavy-tailed: over 20 seeds at g_h = 4, α_z = 0 against solver A, var(z) of
        C_h(τ) was 3.9, 5.3, 1.7 at τ = 0, 5, 15 with R = 4 and 0.55, 0.61, 0.90 with R = 16 (the
        same 256 paths; a sample variance over 20 seeds lies in [0.47, 1.73] with 95 %
        probability when the error bars are calibrated), the mean z −0.17 … −0.37 (SE 0.22).
    damping:
        d ∈ (0, 1]: C_φ ← (1 − d) C_φ + d·estimate. Default 1 (no damping): the map is
        contracting but slowly for the long-lag tail when α_z > 0; at g_h = 4, α_z = 3 the
        half-width of C_h still grew from 24 (d = 0.5, 30 iterations) to 31–33 (d = 0.5, 80
        iterations; d = 1, 60 iterations) — hence 60 iterations, the last 30 averaged.
    init_phi:
        Amplitude of an initial C_φ = init_phi·e^{−|τ|/2}; default (None): start from solver A's
        C_φ at α_z = 0 (same other parameters), which removes most of the slow transient of
        the damped iteration (the long-lag tail relaxes slowly near g_eff → 1).
    table_nodes:
        Chebyshev nodes of the C_{σ_r} interpolation.
    raise_on_failure:
        Raise :class:`ConvergenceError` instead of flagging ``converged=False``.

    Returns
    -------
    GatedDMFTSolution
        ``method="montecarlo"``, ``residual`` = standard error of C_h(0), error bars ``C_h_err`` and
        ``C_phi_err``, ``kinetic`` = path estimate of ⟨ḣ²⟩.
    """
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    require(isinstance(rng, np.random.Generator), "rng", rng, "a numpy.random.Generator")
    check_grid(dtau, n)
    require(
        isinstance(n_paths, (int, np.integer)) and n_paths >= 8,
        "n_paths",
        n_paths,
        "an integer >= 8",
    )
    require(
        isinstance(n_iter, (int, np.integer)) and n_iter >= 2, "n_iter", n_iter, "an integer >= 2"
    )
    require(
        isinstance(n_avg, (int, np.integer)) and 2 <= n_avg <= n_iter,
        "n_avg",
        n_avg,
        f"an integer 2 <= n_avg <= n_iter = {n_iter}",
    )
    require(0 < damping <= 1, "damping", damping, "0 < damping <= 1")
    if n_replicas is None and isinstance(n_paths, (int, np.integer)):
        n_replicas = max(2, min(16, int(n_paths) // 8))
    require(
        isinstance(n_replicas, (int, np.integer))
        and 2 <= n_replicas
        and n_paths // n_replicas >= 4,
        "n_replicas",
        n_replicas,
        f"an integer >= 2 with n_paths/n_replicas >= 4 (n_paths = {n_paths})",
    )
    require(
        init_phi is None or (np.isfinite(init_phi) and init_phi > 0),
        "init_phi",
        init_phi,
        "None or init_phi > 0",
    )
    t0 = time.perf_counter()
    p = params
    th = compiled_theory(p, None)
    gJ = coupling_variance(p)
    vh, vz, vr = input_variances(p)
    K = n // 2 + 1
    lags = np.arange(K) * dtau
    om = 2 * np.pi * np.fft.rfftfreq(n, d=dtau)
    Mz = th.mult_z(om, p.tau_z)
    Mr = th.mult_r(om, p.tau_r)
    tab_sr = ClosureTable(th.C_sigma_r, table_nodes)

    def filt(mult: np.ndarray, half: np.ndarray) -> np.ndarray:
        return np.fft.irfft(mult * np.fft.rfft(even_extend(half, n)).real, n=n)[:K]

    # the model's φ and σ_z: closed forms for the defaults, compiled model expressions otherwise
    user = compiled_model(p) if has_user_functions(p) else None

    def gate_z(z: np.ndarray) -> np.ndarray:
        if p.gate_z is not None and user is not None:
            with np.errstate(all="ignore"):  # a Piecewise (select) evaluates every branch
                return np.asarray(user["z"](z), dtype=float)
        return 0.5 * (1.0 + np.tanh(0.5 * (p.alpha_z * z - p.beta_z)))

    def phi(h: np.ndarray) -> np.ndarray:
        if p.phi is not None and user is not None:
            with np.errstate(all="ignore"):
                return np.asarray(user["phi"](h), dtype=float)
        return np.tanh(gain * h + p.beta_h)

    gain = p.g_h if p.convention == "A" else 1.0
    if init_phi is None:
        from dataclasses import replace

        from theory.gating.dmft.fourier import solve_dmft_fourier

        start = solve_dmft_fourier(replace(p, alpha_z=0.0, gate_z=None), dtau=dtau, n=n, tol=1e-8)
        c_phi = start.C_phi if start.C_h[0] > 1e-8 else 0.3 * np.exp(-lags / 2)
    else:
        c_phi = init_phi * np.exp(-lags / 2)
    R = int(n_replicas)
    Mr_paths = n_paths // R
    states = [c_phi.copy() for _ in range(R)]
    est_h: list[np.ndarray] = []  # (R, K) per iteration
    est_phi: list[np.ndarray] = []
    est_kin: list[np.ndarray] = []  # (R,)
    for _it in range(n_iter):
        zs, etas = [], []
        for c_state in states:
            c_r = filt(Mr, c_state) + vr
            c_z = filt(Mz, c_state) + vz
            c_sr = tab_sr(c_r, c_r[0]) if c_r[0] > 0 else np.full(K, p.s_r**2)
            c_eta = gJ * c_sr * c_state + vh
            zs.append(circulant_paths(c_z, n, Mr_paths, rng))
            etas.append(circulant_paths(c_eta, n, Mr_paths, rng))
        z = np.concatenate(zs, axis=1)
        eta = np.concatenate(etas, axis=1)
        sig = gate_z(z)
        # midpoint values on each step k -> k+1 (periodic)
        eta_m = 0.5 * (eta + np.roll(eta, -1, axis=0))
        decay = np.exp(-gate_z(0.5 * (z + np.roll(z, -1, axis=0))) * dtau)
        # h_{k+1} = a_k h_k + b_k with a = decay, b = η̄(1 − a): two laps, keep the second
        b = eta_m * (1.0 - decay)
        h_end = _recursion(decay, b, eta[0].copy(), None)
        hs = np.empty_like(eta)
        _recursion(decay, b, h_end, hs)
        ph = phi(hs)
        ac_phi = periodic_autocorrelation(ph, K).reshape(K, R, Mr_paths).mean(axis=2).T  # (R, K)
        ac_h = periodic_autocorrelation(hs, K).reshape(K, R, Mr_paths).mean(axis=2).T
        hdot = sig * (-hs + eta)
        est_kin.append(np.mean(hdot**2, axis=0).reshape(R, Mr_paths).mean(axis=1))
        if not np.all(np.isfinite(ac_phi)):
            raise ConvergenceError(
                "Monte-Carlo DMFT produced non-finite correlations", float("nan"), _it + 1
            )
        est_phi.append(ac_phi)
        est_h.append(ac_h)
        states = [(1.0 - damping) * states[i] + damping * _taper(ac_phi[i]) for i in range(R)]
    # per replica: average of its last n_avg estimates; error from the spread across replicas
    H_rep = np.mean(est_h[-n_avg:], axis=0)  # (R, K)
    P_rep = np.mean(est_phi[-n_avg:], axis=0)
    K_rep = np.mean(est_kin[-n_avg:], axis=0)  # (R,)
    C_h = H_rep.mean(axis=0)
    C_phi = P_rep.mean(axis=0)
    C_h_err = H_rep.std(axis=0, ddof=1) / math.sqrt(R)
    C_phi_err = P_rep.std(axis=0, ddof=1) / math.sqrt(R)
    H = np.array([e.mean(axis=0) for e in est_h[-n_avg:]])  # (n_avg, K), replica-averaged
    C_r = filt(Mr, C_phi) + vr
    C_z = filt(Mz, C_phi) + vz
    C_sr = tab_sr(C_r, C_r[0]) if C_r[0] > 0 else np.full(K, p.s_r**2)
    se0 = float(C_h_err[0])
    messages = []
    half = n_avg // 2
    drift = abs(H[:half, 0].mean() - H[half:, 0].mean())
    if n_avg >= 4 and drift > 6.0 * se0:
        messages.append(
            f"not stationary: C_h(0) drifts by {drift:.3g} (> 4 standard errors {se0:.2g}) over the averaged iterations"
        )
    decay_tail = tail_decay(C_h)
    if phi_is_odd(p) and p.sigma_h == 0.0 and C_h[0] > 0:
        decay_tail = max(decay_tail, float(abs(C_h[-1]) - 3 * C_h_err[-1]) / float(C_h[0]))
    if decay_tail > MC_TAIL_THRESHOLD:
        messages.append(
            f"window too short: C_h has not decayed at the window edge (tail variation {decay_tail:.2g} > {MC_TAIL_THRESHOLD}); "
            f"alpha_z = {p.alpha_z} needs a longer window than n*dtau = {n * dtau:g}"
        )
    converged = not messages
    msg = "; ".join(messages)
    if raise_on_failure and not converged:
        raise ConvergenceError(f"solve_dmft_montecarlo: {msg}", se0, n_iter)
    return GatedDMFTSolution(
        params=params,
        tau=lags,
        C_h=C_h,
        C_z=C_z,
        C_r=C_r,
        C_phi=C_phi,
        C_sigma_r=C_sr,
        converged=converged,
        residual=se0,
        iterations=int(n_iter),
        method="montecarlo",
        kinetic=float(K_rep.mean()),
        message=msg,
        C_h_err=C_h_err,
        C_phi_err=C_phi_err,
        residual_history=tuple(float(x[:, 0].mean()) for x in est_h),
        info={
            "window": n * dtau,
            "dtau": dtau,
            "n_paths": n_paths,
            "tail_decay": decay_tail,
            "kinetic_err": float(K_rep.std(ddof=1) / math.sqrt(R)),
            "replicas": R,
            "seconds": time.perf_counter() - t0,
            "drift_C_h0": drift,
        },
    )
