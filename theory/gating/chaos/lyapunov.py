r"""Lyapunov exponents of finite gated networks: QR (Benettin) spectrum and two-trajectory estimate.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VI (Lyapunov spectra, Fig. 6); algorithm of
Benettin et al., Meccanica 15, 9 (1980) as implemented for rate networks by Engelken, Wolf & Abbott,
arXiv 2006.02427 (2020), Sec. 2:

1. integrate the state x(t) and an orthonormal frame Q (3N × k) of the tangent dynamics
   :math:`\dot Q=\mathcal D(x(t))Q` together with RK4 (the tangent map uses the full compiled
   Jacobian of :mod:`theory.gating.chaos.jacobian`, including the Z'E block);
2. every ``t_ons`` re-orthonormalise, Q ← qr(Q), accumulating log|R_ii|;
3. after discarding a transient (state *and* frame), λ_i = Σ log|R_ii| / T.

The statistical error is estimated from the per-block exponents of ``n_blocks`` consecutive
blocks of the record (standard error of the block means). The cross-check
:func:`max_lyapunov_two_trajectory` follows a reference and a perturbed trajectory of the *full
nonlinear* network, renormalising their distance every ``t_renorm``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from theory.errors import ParameterError, require
from theory.gating.chaos.jacobian import JacobianFactors, param_values
from theory.gating.model import GatedNetwork
from theory.numerics.integrate import rk_step

__all__ = [
    "LyapunovSpectrum",
    "lyapunov_spectrum",
    "lyapunov_spectra",
    "max_lyapunov_two_trajectory",
    "TwoTrajectoryEstimate",
]


@dataclass(frozen=True)
class _Stack:
    """S networks with the same parameters and N, stacked for batched mat-muls (S, N, N)."""

    net: GatedNetwork
    J_h: np.ndarray
    J_z: np.ndarray
    J_r: np.ndarray
    I_h: np.ndarray
    I_z: np.ndarray
    I_r: np.ndarray

    @classmethod
    def of(cls, nets: Sequence[GatedNetwork]) -> _Stack:
        require(len(nets) >= 1, "nets", nets, "at least one network")
        n0 = nets[0]
        for n in nets:
            require(
                n.params == n0.params and n.N == n0.N,
                "nets",
                n.params,
                "networks with equal params and N",
            )
        st = lambda name: np.stack([getattr(n, name) for n in nets])  # noqa: E731
        return cls(n0, st("J_h"), st("J_z"), st("J_r"), st("I_h"), st("I_z"), st("I_r"))


def _mv(J: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.matmul(J, v[..., None])[..., 0]


def _joint_rhs(S: _Stack, x: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vector field and tangent map for stacked states x (S, 3, N) and frames Q (S, 3, N, k)."""
    net, p = S.net, S.net.params
    h, z, r = x[:, 0], x[:, 1], x[:, 2]
    ph = net.phi(h)
    e = -h + _mv(S.J_h, net.sigma_r(r) * ph) + S.I_h
    a, zpe, col_hh, col_hr, col_gate = JacobianFactors.build().fused(h, z, r, e, *param_values(p))
    dx = np.stack(
        [a * e, (-z + _mv(S.J_z, ph) + S.I_z) / p.tau_z, (-r + _mv(S.J_r, ph) + S.I_r) / p.tau_r],
        axis=1,
    )
    Qh, Qz, Qr = Q[:, 0], Q[:, 1], Q[:, 2]
    pre = np.matmul(S.J_h, col_hh[..., None] * Qh + col_hr[..., None] * Qr)
    gate_in = col_gate[..., None] * Qh
    dQ = np.stack(
        [
            a[..., None] * (pre - Qh) + zpe[..., None] * Qz,
            (np.matmul(S.J_z, gate_in) - Qz) / p.tau_z,
            (np.matmul(S.J_r, gate_in) - Qr) / p.tau_r,
        ],
        axis=1,
    )
    return dx, dQ


def _joint_step(
    S: _Stack, x: np.ndarray, Q: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """One RK4 step of the state and its tangent frame together."""
    return rk_step(lambda y: _joint_rhs(S, *y), (x, Q), dt)


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


def _validate(
    net: GatedNetwork, T: float, transient: float, dt: float, interval: float, name: str
) -> None:
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
    x0s = None if x0 is None else [x0]
    return lyapunov_spectra(
        [net],
        k,
        T=T,
        transient=transient,
        rng=rng,
        dt=dt,
        t_ons=t_ons,
        x0=x0s,
        x0_scale=x0_scale,
        n_blocks=n_blocks,
        progress=progress,
    )[0]


def lyapunov_spectra(
    nets: Sequence[GatedNetwork],
    k: int,
    *,
    T: float,
    transient: float,
    rng: np.random.Generator,
    dt: float = 0.05,
    t_ons: float = 1.0,
    x0: Sequence[np.ndarray] | None = None,
    x0_scale: float = 1.0,
    n_blocks: int = 10,
    progress: bool = False,
) -> list[LyapunovSpectrum]:
    """:func:`lyapunov_spectrum` for S networks (same params and N) integrated together.

    The networks are independent; stacking them turns S small mat-muls into one batched
    ``numpy.matmul`` per stage (the Python overhead is paid once per step, not S times).
    """
    S = _Stack.of(list(nets))
    net = S.net
    B = len(nets)
    dim = 3 * net.N
    require(
        isinstance(k, (int, np.integer)) and 1 <= k <= dim,
        "k",
        k,
        f"an integer 1 <= k <= 3N = {dim} (one exponent per dimension)",
    )
    _validate(net, T, transient, dt, t_ons, "t_ons")
    require(
        isinstance(n_blocks, (int, np.integer)) and n_blocks >= 2,
        "n_blocks",
        n_blocks,
        "an integer >= 2",
    )
    if x0 is None:
        x = np.stack([n.initial_state(rng, x0_scale) for n in nets])
    else:
        x = np.array([np.asarray(v, dtype=float) for v in x0])
        require(x.shape == (B, 3, net.N), "x0", x.shape, f"{B} states of shape (3, {net.N})")
    if not np.all(np.isfinite(x)):
        raise ParameterError("x0", "state with NaN/inf", "a finite initial state")
    Q = np.stack([np.linalg.qr(rng.standard_normal((dim, k)))[0] for _ in range(B)]).reshape(
        B, 3, net.N, k
    )
    n_sub = max(1, int(round(t_ons / dt)))
    t_ons = n_sub * dt
    n_trans = int(round(transient / t_ons))
    n_rec = max(n_blocks, int(round(T / t_ons)))
    n_rec -= n_rec % n_blocks
    logs = np.zeros((n_rec, B, k))
    it = range(n_trans + n_rec)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"QR Lyapunov N={net.N} k={k} x{B}", leave=False)
    for m in it:
        for _ in range(n_sub):
            x, Q = _joint_step(S, x, Q, dt)
        q, r = np.linalg.qr(Q.reshape(B, dim, k))
        d = np.diagonal(r, axis1=1, axis2=2)
        Q = (q * np.sign(d)[:, None, :]).reshape(B, 3, net.N, k)
        if m >= n_trans:
            logs[m - n_trans] = np.log(np.abs(d))
        if not np.all(np.isfinite(x)):
            raise FloatingPointError(f"trajectory diverged at step {m} (dt = {dt} too large?)")
    out = []
    for b in range(B):
        lb = logs[:, b]
        blocks = lb.reshape(n_blocks, -1, k).sum(axis=1) / (n_rec // n_blocks * t_ons)
        exps = lb.sum(axis=0) / (n_rec * t_ons)
        sem = blocks.std(axis=0, ddof=1) / np.sqrt(n_blocks)
        out.append(
            LyapunovSpectrum(
                exps, blocks, sem, net.N, int(k), n_rec * t_ons, n_trans * t_ons, dt, t_ons, x[b]
            )
        )
    return out


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
        x = net.step(x, dt)
    v = rng.standard_normal(x.shape)
    y = x + d0 * v / np.linalg.norm(v)
    n_rec = max(n_blocks, int(round(T / t_renorm)))
    n_rec -= n_rec % n_blocks
    logs = np.empty(n_rec)
    for m in range(n_rec):
        for _ in range(n_sub):
            x = net.step(x, dt)
            y = net.step(y, dt)
        dist = np.linalg.norm(y - x)
        if not (np.isfinite(dist) and dist > 0):
            raise FloatingPointError("two-trajectory distance became zero or non-finite")
        logs[m] = np.log(dist / d0)
        y = x + (d0 / dist) * (y - x)
    blocks = logs.reshape(n_blocks, -1).sum(axis=1) / (n_rec // n_blocks * t_renorm)
    return TwoTrajectoryEstimate(
        float(logs.sum() / (n_rec * t_renorm)),
        float(blocks.std(ddof=1) / np.sqrt(n_blocks)),
        blocks,
        n_rec * t_renorm,
    )
