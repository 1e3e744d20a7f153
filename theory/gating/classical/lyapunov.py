r"""Largest Lyapunov exponent of finite classical networks (tangent dynamics, renormalised).

Benettin et al., Meccanica 15, 9 (1980): integrate the network and one tangent vector together,

.. math::
    \dot x=-x+J\phi(x)+\theta,\qquad \dot v=-v+J\,(\phi'(x)\odot v),

with RK4 (both columns through one ``J @ [φ(x), φ'(x)v]`` product), renormalise v every
``t_renorm`` and average log-growth after a transient. φ' is SymPy's derivative of the model's
expression (:attr:`ClassicalParams.phi_expr`), compiled: the model, not a theory formula. The
network (J, x(0), θ) is drawn exactly as :func:`~theory.gating.classical.simulation.simulate_classical`
draws it for the same seed. The error bar is the standard error of ``n_blocks`` block means of
the log-growth rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.errors import require
from theory.gating.classical.model import ClassicalParams
from theory.gating.classical.simulation import model_phi
from theory.numerics.integrate import rk_step

__all__ = ["LyapunovEstimate", "max_lyapunov_classical"]


@dataclass(frozen=True)
class LyapunovEstimate:
    """λ_1 of one network: ``value`` ± ``sem`` (block means), with the block values."""

    value: float
    sem: float
    blocks: np.ndarray


def max_lyapunov_classical(
    params: ClassicalParams,
    N: int,
    *,
    T: float,
    transient: float,
    dt: float = 0.1,
    seed: int = 0,
    t_renorm: float = 1.0,
    n_blocks: int = 8,
) -> LyapunovEstimate:
    """λ_1 of one network of N units over a window T after a transient (module docstring).

    Parameters
    ----------
    T, transient:
        Averaging window and discarded transient (network and tangent vector), time units.
    dt:
        RK4 step (error O(dt⁴) in the trajectory and in λ).
    seed:
        Seeds J, x(0), θ (as :func:`simulate_classical`) and then v(0).
    t_renorm:
        Interval between renormalisations of v (a multiple of dt).
    n_blocks:
        Blocks for the error bar.
    """
    require(isinstance(N, (int, np.integer)) and N >= 2, "N", N, "an integer N >= 2")
    require(dt > 0 and np.isfinite(dt), "dt", dt, "dt > 0")
    require(T > 0 and transient >= 0, "T, transient", (T, transient), "T > 0, transient >= 0")
    require(t_renorm >= dt, "t_renorm", t_renorm, f"t_renorm >= dt = {dt}")
    require(
        isinstance(n_blocks, (int, np.integer)) and n_blocks >= 2,
        "n_blocks",
        n_blocks,
        "an integer >= 2",
    )
    import sympy as sp

    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import X

    rng = np.random.default_rng(seed)
    J = rng.standard_normal((N, N)) * (params.g / np.sqrt(N))
    if params.J0 != 0.0:
        J += params.J0 / N
    x = rng.standard_normal(N)
    theta = (
        params.I + params.I_std * rng.standard_normal(N)
        if params.I_std > 0
        else np.full(N, params.I)
    )
    v = rng.standard_normal(N)
    v /= np.linalg.norm(v)
    phi = model_phi(params)
    dphi = compile_function(sp.diff(params.phi_expr, X), [X])
    drive = np.stack([theta, np.zeros(N)], axis=1)

    def f(y: np.ndarray) -> np.ndarray:
        xx, vv = y[:, 0], y[:, 1]
        return -y + J @ np.stack([phi(xx), dphi(xx) * vv], axis=1) + drive

    y = np.stack([x, v], axis=1)
    k_ren = max(1, int(round(t_renorm / dt)))
    n_tr = int(round(transient / (k_ren * dt)))
    n_rec = int(round(T / (k_ren * dt)))
    require(n_rec >= n_blocks, "T", T, f"at least n_blocks = {n_blocks} renormalisation intervals")
    logs = np.empty(n_rec)
    for r in range(n_tr + n_rec):
        for _ in range(k_ren):
            y = rk_step(f, y, dt)
        nv = float(np.linalg.norm(y[:, 1]))
        if not (np.isfinite(nv) and nv > 0 and np.all(np.isfinite(y[:, 0]))):
            raise FloatingPointError(f"tangent integration diverged at t = {r * k_ren * dt:.3g}")
        y[:, 1] /= nv
        if r >= n_tr:
            logs[r - n_tr] = np.log(nv)
    rates = logs / (k_ren * dt)
    L = n_rec // n_blocks
    blocks = rates[: L * n_blocks].reshape(n_blocks, L).mean(axis=1)
    return LyapunovEstimate(
        float(rates.mean()), float(blocks.std(ddof=1) / np.sqrt(n_blocks)), blocks
    )
