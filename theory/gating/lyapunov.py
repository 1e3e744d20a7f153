r"""Lyapunov exponents of finite gated networks: QR (Benettin) spectrum and two-trajectory estimate.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VI (Lyapunov spectra, Fig. 6); algorithm of
Benettin et al., Meccanica 15, 9 (1980) as implemented for rate networks by Engelken, Wolf & Abbott,
arXiv 2006.02427 (2020), Sec. 2 (spec ``gating-derivations.md`` §5.2):

1. integrate the state x(t) and an orthonormal frame Q (3N × k) of the tangent dynamics
   :math:`\dot Q=\mathcal D(x(t))Q` together with RK4 (the tangent map uses the full compiled
   Jacobian of :mod:`theory.gating.jacobian`, including the Z'E block);
2. every ``t_ons`` re-orthonormalise, Q ← qr(Q), accumulating log|R_ii|;
3. after discarding a transient (state *and* frame), λ_i = Σ log|R_ii| / T.

The statistical error is estimated from the per-block exponents of ``n_blocks`` consecutive
blocks of the record (standard error of the block means). The cross-check
:func:`max_lyapunov_two_trajectory` follows a reference and a perturbed trajectory of the *full
nonlinear* network, renormalising their distance every ``t_renorm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.errors import ParameterError, require
from theory.gating.jacobian import state_factors, tangent_map
from theory.gating.model import GatedNetwork

__all__ = ["LyapunovSpectrum", "lyapunov_spectrum", "max_lyapunov_two_trajectory", "TwoTrajectoryEstimate", "rk4_step"]


def rk4_step(net: GatedNetwork, x: np.ndarray, dt: float) -> np.ndarray:
    """One RK4 step of the network's vector field (the bare simulation step)."""
    k1 = net.rhs(x)
    k2 = net.rhs(x + 0.5 * dt * k1)
    k3 = net.rhs(x + 0.5 * dt * k2)
    k4 = net.rhs(x + dt * k3)
    return x + (dt / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)


def _joint_rhs(net: GatedNetwork, x: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = state_factors(net, x)
    # the h-velocity is σ_z e: reuse e from the factors (saves one mat-vec)
    p = net.params
    ph = net.phi(x[0])
    dh = f.a * f.e
    dz = (-x[1] + net.J_z @ ph + net.I_z) / p.tau_z
    dr = (-x[2] + net.J_r @ ph + net.I_r) / p.tau_r
    return np.stack([dh, dz, dr]), tangent_map(net, f, Q)


def _joint_rk4(net: GatedNetwork, x: np.ndarray, Q: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    a1, b1 = _joint_rhs(net, x, Q)
    a2, b2 = _joint_rhs(net, x + 0.5 * dt * a1, Q + 0.5 * dt * b1)
    a3, b3 = _joint_rhs(net, x + 0.5 * dt * a2, Q + 0.5 * dt * b2)
    a4, b4 = _joint_rhs(net, x + dt * a3, Q + dt * b3)
    return x + (dt / 6.0) * (a1 + 2 * a2 + 2 * a3 + a4), Q + (dt / 6.0) * (b1 + 2 * b2 + 2 * b3 + b4)


@dataclass(frozen=True)
class LyapunovSpectrum:
    """The k largest Lyapunov exponents of one network.

    Attributes
    ----------
    exponents:
        λ_1 ≥ … ≥ λ_k, shape (k,), in units of 1/time.
    block_exponents:
        Exponents of ``n_blocks`` consecutive blocks of the record, shape (n_blocks, k).
    sem:
        Standard error of ``exponents`` from the blocks, shape (k,).
    T, transient, dt, t_ons:
        Recorded duration, discarded transient, RK4 step, re-orthonormalisation interval.
    final_state:
        The state at the end (to continue a run).
    """

    exponents: np.ndarray
    block_exponents: np.ndarray
    sem: np.ndarray
    N: int
    k: int
    T: float
    transient: float
    dt: float
    t_ons: float
    final_state: np.ndarray


def _validate(net: GatedNetwork, T: float, transient: float, dt: float, interval: float, name: str) -> None:
    require(np.isfinite(dt) and dt > 0, "dt", dt, "dt > 0")
    require(np.isfinite(interval) and interval >= dt, name, interval, f"{name} >= dt = {dt}")
    require(np.isfinite(T) and T >= interval, "T", T, f"T >= {name} = {interval}")
    require(np.isfinite(transient) and transient >= 0, "transient", transient, "transient >= 0")


def lyapunov_spectrum(
    net: GatedNetwork,
    k: int,
    *,
    T: float,
    transient: float,
    rng: np.random.Generator,
    dt: float = 0.05,
    t_ons: float = 1.0,
    x0: np.ndarray | None = None,
    x0_scale: float = 1.0,
    n_blocks: int = 10,
    progress: bool = False,
) -> LyapunovSpectrum:
    """QR (Benettin) estimate of the k largest Lyapunov exponents of the 3N-dimensional flow.

    Parameters
    ----------
    net:
        The sampled network.
    k:
        Number of exponents, 1 ≤ k ≤ 3N.
    T:
        Recorded duration (after the transient).
    transient:
        Discarded time: the state relaxes onto the attractor and the frame aligns with the
        Oseledets subspaces.
    rng:
        Generator of the initial state (if ``x0`` is None) and of the initial frame.
    dt, t_ons:
        RK4 step and re-orthonormalisation interval (t_ons a multiple of dt after rounding).
    n_blocks:
        Number of blocks for the error estimate (≥ 2).

    Raises
    ------
    ParameterError
        For k > 3N (more exponents than dimensions) or k < 1, bad times, or a NaN initial state.
    """
    dim = 3 * net.N
    require(isinstance(k, (int, np.integer)) and 1 <= k <= dim, "k", k, f"an integer 1 <= k <= 3N = {dim} (one exponent per dimension)")
    _validate(net, T, transient, dt, t_ons, "t_ons")
    require(isinstance(n_blocks, (int, np.integer)) and n_blocks >= 2, "n_blocks", n_blocks, "an integer >= 2")
    x = net.initial_state(rng, x0_scale) if x0 is None else np.array(x0, dtype=float)
    require(x.shape == (3, net.N), "x0", x.shape, f"shape (3, {net.N})")
    if not np.all(np.isfinite(x)):
        raise ParameterError("x0", "state with NaN/inf", "a finite initial state")
    Q, _ = np.linalg.qr(rng.standard_normal((dim, k)))
    Q = Q.reshape(3, net.N, k)
    n_sub = max(1, int(round(t_ons / dt)))
    t_ons = n_sub * dt
    n_trans = int(round(transient / t_ons))
    n_rec = max(n_blocks, int(round(T / t_ons)))
    n_rec -= n_rec % n_blocks
    logs = np.zeros((n_rec, k))
    it = range(n_trans + n_rec)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"QR Lyapunov N={net.N} k={k}", leave=False)
    for m in it:
        for _ in range(n_sub):
            x, Q = _joint_rk4(net, x, Q, dt)
        q, r = np.linalg.qr(Q.reshape(dim, k))
        d = np.diag(r)
        Q = (q * np.sign(d)[None, :]).reshape(3, net.N, k)
        if m >= n_trans:
            logs[m - n_trans] = np.log(np.abs(d))
        if not np.all(np.isfinite(x)):
            raise FloatingPointError(f"trajectory diverged at step {m} (dt = {dt} too large?)")
    blocks = logs.reshape(n_blocks, -1, k).sum(axis=1) / (logs.shape[0] // n_blocks * t_ons)
    exps = logs.sum(axis=0) / (n_rec * t_ons)
    sem = blocks.std(axis=0, ddof=1) / np.sqrt(n_blocks)
    return LyapunovSpectrum(exps, blocks, sem, net.N, int(k), n_rec * t_ons, n_trans * t_ons, dt, t_ons, x)


@dataclass(frozen=True)
class TwoTrajectoryEstimate:
    """λ_max from the separation of two nearby trajectories (mean and block SEM)."""

    value: float
    sem: float
    block_values: np.ndarray
    T: float


def max_lyapunov_two_trajectory(
    net: GatedNetwork,
    *,
    T: float,
    transient: float,
    rng: np.random.Generator,
    dt: float = 0.05,
    t_renorm: float = 1.0,
    d0: float = 1e-7,
    n_blocks: int = 10,
    x0_scale: float = 1.0,
) -> TwoTrajectoryEstimate:
    """Benettin's two-trajectory estimate of λ_max on the full nonlinear flow (cross-check of QR).

    A copy displaced by ``d0`` (Euclidean norm in the 3N-dimensional space) is integrated
    alongside the reference; every ``t_renorm`` the log growth of the distance is accumulated
    and the copy is pulled back to distance ``d0`` along the current separation.
    """
    _validate(net, T, transient, dt, t_renorm, "t_renorm")
    require(np.isfinite(d0) and 0 < d0 < 1e-3, "d0", d0, "0 < d0 < 1e-3")
    x = net.initial_state(rng, x0_scale)
    n_sub = max(1, int(round(t_renorm / dt)))
    t_renorm = n_sub * dt
    for _ in range(int(round(transient / dt))):
        x = rk4_step(net, x, dt)
    v = rng.standard_normal(x.shape)
    y = x + d0 * v / np.linalg.norm(v)
    n_rec = max(n_blocks, int(round(T / t_renorm)))
    n_rec -= n_rec % n_blocks
    logs = np.empty(n_rec)
    for m in range(n_rec):
        for _ in range(n_sub):
            x = rk4_step(net, x, dt)
            y = rk4_step(net, y, dt)
        dist = np.linalg.norm(y - x)
        if not (np.isfinite(dist) and dist > 0):
            raise FloatingPointError("two-trajectory distance became zero or non-finite")
        logs[m] = np.log(dist / d0)
        y = x + (d0 / dist) * (y - x)
    blocks = logs.reshape(n_blocks, -1).sum(axis=1) / (n_rec // n_blocks * t_renorm)
    return TwoTrajectoryEstimate(float(logs.sum() / (n_rec * t_renorm)), float(blocks.std(ddof=1) / np.sqrt(n_blocks)), blocks, n_rec * t_renorm)
