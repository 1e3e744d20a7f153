r"""Lyapunov exponents of finite gated networks: QR (Benettin) spectrum and two-trajectory estimate.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VI (Lyapunov spectra, Fig. 6); algorithm of
Benettin et al., Meccanica 15, 9 (1980) as implemented for rate networks by Engelken, Wolf & Abbott,
arXiv 2006.02427 (2020), Sec. 2:

1. integrate the state x(t) and an orthonormal frame Q (3N × k) of the tangent dynamics
   :math:`\dot Q=\mathcal D(x(t))Q` together with RK4 (the tangent map uses the full compiled
   Jacobian of :mod:`theory.gating.chaos.jacobian`, including the Z'E block), packed as one array
   [x | Q] so that each stage costs two BLAS-3 products: J^h·[σ_r(r)φ(h) | R P' Q_h + R' P Q_r]
   and [J^z; J^r]·[φ(h) | P' Q_h] (state and frame together, J^z and J^r stacked);
2. re-orthonormalise, Q ← qr(Q), accumulating log|R_ii|, at an interval set by the growth of the
   frame's condition number (:func:`theory.numerics.lyapunov.qr_lyapunov`), or every ``t_ons``;
3. after discarding a transient (state *and* frame), λ_i = Σ log|R_ii| / T, sorted.

The step: dt = 0.1 by default (RK4; on the classical network g = 2 its bias of λ₁ is below the
statistical error, < 0.2 %, where Euler at the same step is 9 % low:
:mod:`theory.gating.classical.lyapunov`); time constants τ_z, τ_r < 1 scale it down.

The statistical error is estimated from the per-block exponents of ``n_blocks`` consecutive
blocks of the record (standard error of the block means). The cross-check
:func:`max_lyapunov_two_trajectory` follows a reference and a perturbed trajectory of the *full
nonlinear* network, renormalising their distance every ``t_renorm``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from theory.errors import ParameterError, require
from theory.gating.chaos.jacobian import JacobianFactors, param_values
from theory.gating.model import GatedNetwork, GatedParams
from theory.numerics.integrate import rk_step
from theory.numerics.lyapunov import cache_groups, qr_lyapunov

__all__ = [
    "LyapunovSpectrum",
    "lyapunov_spectrum",
    "lyapunov_spectra",
    "max_lyapunov_two_trajectory",
    "TwoTrajectoryEstimate",
    "default_gated_step",
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
    def of(cls, nets: Sequence[GatedNetwork], dtype: Any = np.float64) -> _Stack:
        require(len(nets) >= 1, "nets", nets, "at least one network")
        n0 = nets[0]
        for n in nets:
            require(
                n.params == n0.params and n.N == n0.N,
                "nets",
                n.params,
                "networks with equal params and N",
            )
        st = lambda name: np.stack([getattr(n, name) for n in nets]).astype(dtype)  # noqa: E731
        return cls(n0, st("J_h"), st("J_z"), st("J_r"), st("I_h"), st("I_z"), st("I_r"))


def _mv(J: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.matmul(J, v[..., None])[..., 0]


def _joint_rhs(S: _Stack, x: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vector field and tangent map for stacked states x (S, 3, N) and frames Q (S, 3, N, k)."""
    Y = np.concatenate([x[..., None], Q], axis=-1)
    dY = _packed_field(S)(Y)
    return dY[..., 0], dY[..., 1:]


@functools.cache
def _zpe_is_linear_in_e() -> bool:
    """The Z'E factor is σ_z'(z)·e (linear in e): checked on the derivation, once."""
    from theory.gating.chaos.jacobian import jacobian_derivation

    e = sp.Symbol("e_i", real=True)
    expr = jacobian_derivation().rhs("d_hz_self")
    es = [sym for sym in expr.free_symbols if sym.name == "e_i"]
    if len(es) != 1:
        return False
    e = es[0]
    return bool(sp.simplify(sp.diff(expr, e, 2)) == 0 and sp.simplify(expr.subs(e, 0)) == 0)


def _packed_field(S: _Stack):  # noqa: ANN202
    """Ẏ for Y = [x | Q] of shape (S, 3, N, k + 1): two BLAS-3 products per evaluation."""
    net, p = S.net, S.net.params
    pv = param_values(p)
    fused = JacobianFactors.for_params(p).fused
    linear = _zpe_is_linear_in_e()
    Jzr = np.concatenate([S.J_z, S.J_r], axis=1)  # (S, 2N, N)
    Izr = np.concatenate([S.I_z, S.I_r], axis=1)
    N = net.N
    inv_tau = np.concatenate([np.full(N, 1.0 / p.tau_z), np.full(N, 1.0 / p.tau_r)])[:, None]

    def f(Y: np.ndarray) -> np.ndarray:
        h, z, r = Y[:, 0, :, 0], Y[:, 1, :, 0], Y[:, 2, :, 0]
        Qh, Qz, Qr = Y[:, 0, :, 1:], Y[:, 1, :, 1:], Y[:, 2, :, 1:]
        ph = net.phi(h)
        if linear:  # factors first (they do not depend on e), then one product for e and the frame
            a, zp, col_hh, col_hr, col_gate = fused(h, z, r, 1.0, *pv)
        Zh = np.empty(Y.shape[:1] + Y.shape[2:], dtype=Y.dtype)
        Zh[..., 0] = net.sigma_r(r) * ph
        if linear:
            Zh[..., 1:] = col_hh[..., None] * Qh + col_hr[..., None] * Qr
            Ph = np.matmul(S.J_h, Zh)
            e = -h + Ph[..., 0] + S.I_h
            zpe = zp * e
        else:  # general compiled factors: the state product first
            e = -h + _mv(S.J_h, Zh[..., 0]) + S.I_h
            a, zpe, col_hh, col_hr, col_gate = fused(h, z, r, e, *pv)
            Zh[..., 1:] = col_hh[..., None] * Qh + col_hr[..., None] * Qr
            Ph = np.matmul(S.J_h, Zh)
        Zg = np.empty_like(Zh)
        Zg[..., 0] = ph
        np.multiply(col_gate[..., None], Qh, out=Zg[..., 1:])
        Pzr = np.matmul(Jzr, Zg)  # (S, 2N, k + 1): the z and r rows together
        out = np.empty_like(Y)
        out[:, 0, :, 0] = a * e
        out[:, 0, :, 1:] = a[..., None] * (Ph[..., 1:] - Qh) + zpe[..., None] * Qz
        zr = Y[:, 1:, :, :].reshape(Y.shape[0], 2 * N, -1)
        Pzr[..., 0] += Izr
        out[:, 1:, :, :] = ((Pzr - zr) * inv_tau).reshape(Y.shape[0], 2, N, -1)
        return out

    return f


def _joint_step(
    S: _Stack, x: np.ndarray, Q: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """One RK4 step of the state and its tangent frame together."""
    Y = np.concatenate([x[..., None], Q], axis=-1)
    Y = rk_step(_packed_field(S), Y, dt)
    return Y[..., 0], Y[..., 1:]


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
        Recorded duration, discarded transient, RK4 step, re-orthonormalisation interval (the
        mean interval when adapted).
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
    dt: float | None = None,
    t_ons: float | None = None,
    x0: np.ndarray | None = None,
    x0_scale: float = 1.0,
    n_blocks: int = 10,
    method: str = "rk4",
    max_condition: float = 1e4,
    dtype: Any = np.float64,
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
    dt, method:
        Runge–Kutta step and method; dt = 0.1·min(1, τ_z, τ_r) by default (see module docstring).
    t_ons, max_condition:
        A fixed re-orthonormalisation interval, or (None, the default) an interval adapted so
        that the frame's condition number stays near ``max_condition``.
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
        method=method,
        max_condition=max_condition,
        dtype=dtype,
        progress=progress,
    )[0]


def default_gated_step(params: GatedParams) -> float:
    """dt = 0.1·min(1, τ_z, τ_r): the RK4 step of the classical network's accuracy, per time constant."""
    return 0.1 * min(1.0, params.tau_z, params.tau_r)


def lyapunov_spectra(
    nets: Sequence[GatedNetwork],
    k: int,
    *,
    T: float,
    transient: float,
    rng: np.random.Generator,
    dt: float | None = None,
    t_ons: float | None = None,
    x0: Sequence[np.ndarray] | None = None,
    x0_scale: float = 1.0,
    n_blocks: int = 10,
    method: str = "rk4",
    max_condition: float = 1e4,
    dtype: Any = np.float64,
    progress: bool = False,
) -> list[LyapunovSpectrum]:
    """:func:`lyapunov_spectrum` for S networks (same params and N) integrated together.

    The networks are independent; stacking them turns S small mat-muls into one batched
    ``numpy.matmul`` per stage (the Python overhead is paid once per step, not S times), in
    groups whose couplings fit the cache (:func:`theory.numerics.lyapunov.cache_groups`: each
    group is integrated over the whole run before the next, so its matrices are read from the
    cache at every stage; for k = 1 the result is the same as one batch, bit for bit; for k > 1
    the re-orthonormalisation interval, adapted per group, changes the exponents by rounding
    only). ``dtype=numpy.float32`` halves the memory traffic of the products (the cost once the
    three N × N matrices leave the cache, N ≳ 500); rounding adds ≈ 1e-7 per step to log|R_ii|.
    """
    require(
        np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64)),
        "dtype",
        dtype,
        "numpy.float32 or numpy.float64",
    )
    nets = list(nets)
    require(len(nets) >= 1, "nets", nets, "at least one network")
    for n in nets:
        require(
            n.params == nets[0].params and n.N == nets[0].N,
            "nets",
            n.params,
            "networks with equal params and N",
        )
    net = nets[0]
    B = len(nets)
    dim = 3 * net.N
    require(
        isinstance(k, (int, np.integer)) and 1 <= k <= dim,
        "k",
        k,
        f"an integer 1 <= k <= 3N = {dim} (one exponent per dimension)",
    )
    if dt is None:
        dt = default_gated_step(net.params)
    _validate(net, T, transient, dt, dt if t_ons is None else t_ons, "t_ons")
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
    Y = np.concatenate([x[..., None], Q], axis=-1).astype(dtype)
    out: list[LyapunovSpectrum] = []
    for grp in cache_groups(B, 3 * net.N**2 * np.dtype(dtype).itemsize):
        res = qr_lyapunov(
            _packed_field(_Stack.of(nets[grp], dtype)),
            Y[grp],
            dt=dt,
            T=T,
            transient=transient,
            method=method,
            n_blocks=n_blocks,
            max_condition=max_condition,
            interval=t_ons,
            progress=f"QR Lyapunov N={net.N} k={k} x{B}" if progress else None,
        )
        t_mean = res.T / max(1, res.n_qr) if t_ons is None else float(t_ons)
        out.extend(
            LyapunovSpectrum(
                res.exponents[b],
                res.block_exponents[b],
                res.sem[b],
                net.N,
                int(k),
                res.T,
                res.transient,
                float(dt),
                t_mean,
                res.final[b, ..., 0].copy(),
            )
            for b in range(res.exponents.shape[0])
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
