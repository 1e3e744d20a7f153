r"""Adjoint (gradient) dynamics of the gated RNN: derived by SymPy, integrated for finite networks.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IX (gradients via the adjoint sensitivity
method, DMFT of the adjoint; arXiv v1–v3); the adjoint equations are re-derived here (derivation
``gated_adjoint``).

For a loss :math:`L=\int_0^T\ell(x(t))\,dt` the adjoint a = (a_h, a_z, a_r) obeys
:math:`-\dot a=\mathcal D^\top a+\partial_x\ell` backward from a(T) = 0, and

.. math::
    \frac{dL}{dJ^h_{ij}}=\int_0^T a_{h,i}\,\sigma_z(z_i)\,\sigma_r(r_j)\phi(h_j)\,dt,\quad
    \frac{dL}{dJ^{z}_{ij}}=\tau_z^{-1}\!\int a_{z,i}\phi(h_j)\,dt,\quad
    \frac{dL}{dJ^{r}_{ij}}=\tau_r^{-1}\!\int a_{r,i}\phi(h_j)\,dt .

:func:`adjoint_derivation` obtains 𝒟ᵀ by SymPy from a symbolic two-neuron network (the
transposed blocks are identified with the factor form of :mod:`theory.gating.chaos.jacobian`) and the
parameter derivatives ∂f/∂J. The homogeneous adjoint is the transpose of the tangent flow, so its
backward growth rate equals λ_max: exploding gradients at rate λ_max in the chaotic phase
(:func:`adjoint_growth_rate`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory.errors import (
    DivergenceError,
    ParameterError,
    require,
    require_generator,
    require_memory,
)
from theory.gating.chaos import jacobian as jac
from theory.gating.model import GatedNetwork
from theory.numerics.integrate import guard_step, rk_step
from theory.numerics.quadrature import trapezoid_weights
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = [
    "adjoint_derivation",
    "AdjointResult",
    "adjoint_gradients",
    "loss_only",
    "AdjointGrowth",
    "quadratic_loss",
    "adjoint_growth_rate",
    "transpose_map",
    "backward_step",
]

ADJ_REF = Reference(
    "Krishnamurthy, Can, Schwab, Phys. Rev. X 12, 011011 (2022)",
    "Sec. IX (arXiv v1-v3)",
    "our re-derivation: derivation gated_adjoint",
)


@functools.cache
def adjoint_derivation() -> Derivation:
    """𝒟ᵀ of a symbolic two-neuron network and the gradients dL/dJ, in factor form."""
    n = 2
    h = sp.symbols("h_1:3", real=True)
    z = sp.symbols("z_1:3", real=True)
    r = sp.symbols("r_1:3", real=True)
    Jh = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"J^h_{i + 1}{j + 1}", real=True))
    Jz = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"J^z_{i + 1}{j + 1}", real=True))
    Jr = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"J^r_{i + 1}{j + 1}", real=True))
    pre = [jac.sigma_r_sym(r[j]) * jac.phi_sym(h[j]) for j in range(n)]
    fh = [
        jac.sigma_z_sym(z[i]) * (-h[i] + sum(Jh[i, j] * pre[j] for j in range(n))) for i in range(n)
    ]
    fz = [
        (-z[i] + sum(Jz[i, j] * jac.phi_sym(h[j]) for j in range(n))) / jac.tau_z for i in range(n)
    ]
    fr = [
        (-r[i] + sum(Jr[i, j] * jac.phi_sym(h[j]) for j in range(n))) / jac.tau_r for i in range(n)
    ]
    X = sp.Matrix([*h, *z, *r])
    F = sp.Matrix([*fh, *fz, *fr])
    D = F.jacobian(X)
    a = sp.Matrix(
        sp.symbols("a_h1:3", real=True)
        + sp.symbols("a_z1:3", real=True)
        + sp.symbols("a_r1:3", real=True)
    )
    adj = D.T * a
    # factor form of the h-row of the adjoint for neuron 1 (check against the compiled factors)
    d = jac.jacobian_derivation()
    sub = {jac.h_j: h[0], jac.r_j: r[0]}
    col_hh, col_hr, col_g = (d.rhs(nm).subs(sub) for nm in ("col_hh", "col_hr", "col_gate"))
    a_h, a_z, a_r = a[:n, 0], a[n : 2 * n, 0], a[2 * n :, 0]
    expected_h1 = (
        -jac.sigma_z_sym(z[0]) * a_h[0]
        + col_hh * sum(Jh[i, 0] * jac.sigma_z_sym(z[i]) * a_h[i] for i in range(n))
        + col_g * sum(Jz[i, 0] * a_z[i] for i in range(n)) / jac.tau_z
        + col_g * sum(Jr[i, 0] * a_r[i] for i in range(n)) / jac.tau_r
    )
    if sp.simplify(sp.expand(adj[0] - expected_h1).rewrite(sp.exp)) != 0:
        raise AssertionError("adjoint h-row does not match the factor form")
    expected_r1 = (
        col_hr * sum(Jh[i, 0] * jac.sigma_z_sym(z[i]) * a_h[i] for i in range(n))
        - a_r[0] / jac.tau_r
    )
    if sp.simplify(sp.expand(adj[2 * n] - expected_r1).rewrite(sp.exp)) != 0:
        raise AssertionError("adjoint r-row does not match the factor form")
    gJh = sp.simplify(sp.diff(fh[0], Jh[0, 1]))
    gJz = sp.simplify(sp.diff(fz[0], Jz[0, 1]))
    gJr = sp.simplify(sp.diff(fr[0], Jr[0, 1]))
    A = sp.Function("a", real=True)
    steps = [
        Step(
            "adjoint_h",
            sp.Eq(
                -sp.Derivative(A(sp.Symbol("t_h1", real=True)), sp.Symbol("t", real=True)), adj[0]
            ),
            r"Row $h_1$ of $\mathcal D^\top a$ for a two-neuron network (SymPy Jacobian, transposed); it equals $-Aa_h+P'RJ^{h\top}(Aa_h)+\tau_z^{-1}P'J^{z\top}a_z+\tau_r^{-1}P'J^{r\top}a_r$ (verified).",
            "adjoint sensitivity method, Sec. IX (arXiv v1-v3)",
        ),
        Step(
            "adjoint_z",
            sp.Eq(
                -sp.Derivative(A(sp.Symbol("t_z1", real=True)), sp.Symbol("t", real=True)), adj[n]
            ),
            r"Row $z_1$: $Z'E\,a_h-\tau_z^{-1}a_z$.",
        ),
        Step(
            "adjoint_r",
            sp.Eq(
                -sp.Derivative(A(sp.Symbol("t_r1", real=True)), sp.Symbol("t", real=True)),
                adj[2 * n],
            ),
            r"Row $r_1$: $PR'J^{h\top}(Aa_h)-\tau_r^{-1}a_r$ (verified).",
        ),
        Step(
            "grad_Jh",
            sp.Eq(sp.Symbol(r"\partial f_{h,1}/\partial J^h_{12}", real=True), gJh),
            r"$dL/dJ^h_{ij}=\int a_{h,i}\,\partial f_{h,i}/\partial J^h_{ij}\,dt=\int a_{h,i}\sigma_z(z_i)\sigma_r(r_j)\phi(h_j)\,dt$.",
        ),
        Step(
            "grad_Jz",
            sp.Eq(sp.Symbol(r"\partial f_{z,1}/\partial J^z_{12}", real=True), gJz),
            r"$dL/dJ^z_{ij}=\tau_z^{-1}\int a_{z,i}\phi(h_j)\,dt$.",
        ),
        Step(
            "grad_Jr",
            sp.Eq(sp.Symbol(r"\partial f_{r,1}/\partial J^r_{12}", real=True), gJr),
            r"$dL/dJ^r_{ij}=\tau_r^{-1}\int a_{r,i}\phi(h_j)\,dt$.",
        ),
    ]
    return Derivation(
        name="gated_adjoint",
        title="Adjoint equations and gradients of the gated RNN",
        steps=steps,
        references=[ADJ_REF],
        summary=r"Adjoint sensitivity: $-\dot a=\mathcal D^\top a+\partial_x\ell$ backward from $a(T)=0$; gradients are time integrals of $a$ against $\partial f/\partial\theta$.",
    )


@derivation("gated_adjoint", theory="gating")
def _registered() -> Derivation:
    return adjoint_derivation()


def transpose_map(net: GatedNetwork, f: jac.StateFactors, a: np.ndarray) -> np.ndarray:
    """𝒟ᵀ·a for adjoint vectors a of shape (3, N) (factor form of :func:`adjoint_derivation`)."""
    p = net.params
    ah, az, ar = a
    back = net.J_h.T @ (f.a * ah)
    gate = (net.J_z.T @ az) / p.tau_z + (net.J_r.T @ ar) / p.tau_r
    return np.stack(
        [
            -f.a * ah + f.col_hh * back + f.col_gate * gate,
            f.zpe * ah - az / p.tau_z,
            f.col_hr * back - ar / p.tau_r,
        ]
    )


def backward_step(
    net: GatedNetwork,
    x_end: np.ndarray,
    x_start: np.ndarray,
    a: np.ndarray,
    dt: float,
    source: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """One RK4 step of the adjoint backward in time, from a(t_k) to a(t_{k−1}).

    Integrates da/ds = 𝒟(x)ᵀa + source(x) in backward time s over one step, with the forward state
    x(s) linearly interpolated between ``x_end`` = x(t_k) and ``x_start`` = x(t_{k−1}) (O(dt²)
    consistent); the Jacobian factors are computed once per stage time.
    """
    factors: dict[float, tuple[np.ndarray, jac.StateFactors]] = {}

    def field(s: float, y: np.ndarray) -> np.ndarray:
        if s not in factors:
            x = x_end if s == 0.0 else x_start if s == dt else 0.5 * (x_end + x_start)
            factors[s] = (x, jac.state_factors(net, x))
        x, f = factors[s]
        out = transpose_map(net, f, y)
        return out if source is None else out + source(x)

    return rk_step(field, a, dt, t=0.0)


def quadratic_loss(x: np.ndarray, N: int) -> tuple[float, np.ndarray]:
    """ℓ(x) = Σ_i h_i²/(2N) and ∂ℓ/∂x."""
    g = np.zeros_like(x)
    g[0] = x[0] / N
    return float(0.5 * np.sum(x[0] ** 2) / N), g


@dataclass(frozen=True)
class AdjointResult:
    """Loss, gradients and the adjoint trajectory (a(t) at the grid times, backward-filled)."""

    loss: float
    grad_Jh: np.ndarray
    grad_Jz: np.ndarray
    grad_Jr: np.ndarray
    times: np.ndarray
    adjoint: np.ndarray  # (n_steps + 1, 3, N)


def _guard(net: GatedNetwork, dt: float) -> None:
    """The simulator's step guard (:func:`theory.numerics.integrate.guard_step`) for ``net``."""
    p = net.params
    leak = max(1.0, 1.0 / p.tau_z, 1.0 / p.tau_r)
    guard_step(
        dt,
        method="rk4",
        leak_rate=leak,
        spectral_radius=max(1.0 + p.g_h, leak),
        model=f"the gated network (g_h = {p.g_h:g}, tau_z = {p.tau_z:g}, tau_r = {p.tau_r:g})",
    )


def _check_run(net: GatedNetwork, T: float, dt: float, arrays: int) -> int:
    """Validate (T, dt) and the memory of ``arrays`` stored trajectories; return the step count."""
    require(isinstance(net, GatedNetwork), "net", net, "a GatedNetwork (GatedNetwork.sample)")
    require(
        _real(T) and _real(dt) and np.isfinite(T) and T > 0 and np.isfinite(dt) and 0 < dt <= T,
        "T, dt",
        (T, dt),
        "0 < dt <= T (finite)",
    )
    _guard(net, dt)
    n = int(round(T / dt))
    require_memory(8.0 * arrays * (n + 1) * 3 * net.N, "T", T, "stored trajectories")
    return n


def _real(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _require_finite_run(xs: np.ndarray, dt: float) -> None:
    if not np.all(np.isfinite(xs)):
        raise DivergenceError(
            f"the forward trajectory became non-finite (dt = {dt}): reduce dt", float("inf")
        )


def _forward(
    net: GatedNetwork,
    x0: np.ndarray,
    T: float,
    dt: float,
    running: float = 1.0,
    readout: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    n = int(round(T / dt))
    xs = np.empty((n + 1, *x0.shape))
    xs[0] = x0
    for k in range(n):
        xs[k + 1] = net.step(xs[k], dt)
    _require_finite_run(xs, dt)
    ls = np.array([quadratic_loss(x, net.N)[0] for x in xs])
    w = trapezoid_weights(n + 1, dt)
    loss = running * float(w @ ls)
    if readout is not None:
        loss += float(readout @ xs[-1, 0]) / net.N
    return xs, loss


def _check_loss(net: GatedNetwork, running: float, readout: np.ndarray | None) -> np.ndarray | None:
    require(np.isfinite(running) and running >= 0, "running", running, "a finite weight >= 0")
    if readout is None:
        require(
            running > 0,
            "running, readout",
            (running, readout),
            "a running weight > 0 or a read-out vector",
        )
        return None
    w = np.asarray(readout, dtype=float)
    require(
        w.shape == (net.N,) and bool(np.all(np.isfinite(w))),
        "readout",
        w.shape,
        f"a finite vector of shape ({net.N},)",
    )
    return w


def adjoint_gradients(
    net: GatedNetwork,
    x0: np.ndarray,
    *,
    T: float,
    dt: float = 0.01,
    running: float = 1.0,
    readout: np.ndarray | None = None,
) -> AdjointResult:
    """Loss and its gradients w.r.t. J^h, J^z, J^r by the continuous adjoint.

    L = running · ∫_0^T Σ_i h_i²/(2N) dt (trapezoid) + Σ_i w_i h_i(T)/N (``readout`` = w, optional).
    Forward RK4 stores x(t_k); the adjoint is integrated backward by RK4 from a(T) = (w/N, 0, 0)
    with the state at half steps from the average of neighbours (O(dt²) consistent); the gradient
    integrals use the trapezoid rule. Agreement with central finite differences is O(dt²).

    Raises
    ------
    ParameterError
        For a non-finite initial state, bad T, dt (including a step beyond the RK4 stability
        limit of the leak, as for :func:`theory.gating.simulation.simulate_gated`), no loss
        (running = 0 and no read-out), or trajectories beyond the memory budget.
    DivergenceError
        If the forward trajectory becomes non-finite.

    Warns
    -----
    StepSizeWarning
        For dt·(1 + g_h) beyond the RK4 stability limit.

    Time and memory: O(T/dt · N²); two stored trajectories of (T/dt + 1)·3N floats.
    """
    _check_run(net, T, dt, arrays=2)
    x0 = _check_x0(net, x0)
    w_out = _check_loss(net, running, readout)
    xs, loss = _forward(net, x0, T, dt, running, w_out)
    n = xs.shape[0] - 1

    def source(x: np.ndarray) -> np.ndarray:  # ∂ℓ/∂x of the running loss
        return running * quadratic_loss(x, net.N)[1]

    a = np.zeros((n + 1, 3, net.N))
    if w_out is not None:
        a[n, 0] = w_out / net.N
    for k in range(n, 0, -1):
        a[k - 1] = backward_step(net, xs[k], xs[k - 1], a[k], dt, source if running else None)
    w = trapezoid_weights(n + 1, dt)
    p = net.params
    sz = net.sigma_z(xs[:, 1])
    ph = net.phi(xs[:, 0])
    pre = net.sigma_r(xs[:, 2]) * ph
    gJh = np.einsum("t,ti,tj->ij", w, a[:, 0] * sz, pre)
    gJz = np.einsum("t,ti,tj->ij", w, a[:, 1], ph) / p.tau_z
    gJr = np.einsum("t,ti,tj->ij", w, a[:, 2], ph) / p.tau_r
    return AdjointResult(loss, gJh, gJz, gJr, np.arange(n + 1) * dt, a)


def loss_only(
    net: GatedNetwork,
    x0: np.ndarray,
    *,
    T: float,
    dt: float = 0.01,
    running: float = 1.0,
    readout: np.ndarray | None = None,
) -> float:
    """The loss of :func:`adjoint_gradients` (for finite differences; same validation)."""
    _check_run(net, T, dt, arrays=1)
    return _forward(net, _check_x0(net, x0), T, dt, running, _check_loss(net, running, readout))[1]


def _check_x0(net: GatedNetwork, x0: np.ndarray) -> np.ndarray:
    x0 = np.asarray(x0, dtype=float)
    require(x0.shape == (3, net.N), "x0", x0.shape, f"shape (3, {net.N})")
    if not np.all(np.isfinite(x0)):
        raise ParameterError("x0", "state with NaN/inf", "a finite initial state")
    return x0


@dataclass(frozen=True)
class AdjointGrowth:
    """Backward growth rate of the homogeneous adjoint (mean, block SEM)."""

    rate: float
    sem: float
    block_rates: np.ndarray


def adjoint_growth_rate(
    net: GatedNetwork,
    *,
    T: float,
    transient: float,
    rng: np.random.Generator,
    dt: float = 0.1,
    t_renorm: float = 1.0,
    n_blocks: int = 10,
) -> AdjointGrowth:
    """Rate of growth of ‖a‖ backward in time for −ȧ = 𝒟ᵀa (ℓ = 0, random a(T)), with renormalisation.

    The forward trajectory (after ``transient``) is stored on the dt grid; the adjoint is
    integrated backward over it and renormalised every ``t_renorm``; the first ``transient``
    units of backward time are discarded (alignment with the most expanding adjoint direction).
    """
    require(
        all(_real(v) and np.isfinite(v) for v in (T, transient, dt, t_renorm))
        and T > 0
        and transient >= 0
        and dt > 0
        and t_renorm >= dt,
        "T, transient, dt, t_renorm",
        (T, transient, dt, t_renorm),
        "finite positive times, t_renorm >= dt",
    )
    require_generator(rng)
    require(
        isinstance(n_blocks, (int, np.integer)) and n_blocks >= 2,
        "n_blocks",
        n_blocks,
        "an integer >= 2",
    )
    m_ren = max(1, int(round(t_renorm / dt)))
    n_rec = int(round((T + transient) / dt)) // m_ren - int(round(transient / (m_ren * dt)))
    require(
        n_rec >= n_blocks,
        "T",
        T,
        f"T/t_renorm >= n_blocks = {n_blocks} renormalisations after the transient",
    )
    _check_run(net, T + transient, dt, arrays=1)
    x = net.initial_state(rng)
    for _ in range(int(round(transient / dt))):
        x = net.step(x, dt)
    n_total = int(round((T + transient) / dt))
    xs = np.empty((n_total + 1, 3, net.N))
    xs[0] = x
    for k in range(n_total):
        xs[k + 1] = net.step(xs[k], dt)
    a = rng.standard_normal((3, net.N))
    a /= np.linalg.norm(a)
    m = max(1, int(round(t_renorm / dt)))
    log_norms = []
    for k in range(n_total, 0, -1):
        a = backward_step(net, xs[k], xs[k - 1], a, dt)
        if (n_total - k + 1) % m == 0:
            nrm = np.linalg.norm(a)
            log_norms.append(np.log(nrm))
            a /= nrm
    logs = np.array(log_norms)
    if not np.all(np.isfinite(logs)) or not np.all(np.isfinite(xs)):
        raise DivergenceError(
            f"adjoint or forward trajectory became non-finite (dt = {dt}): reduce dt", float("inf")
        )
    skip = int(round(transient / (m * dt)))
    rec = logs[skip:]
    rec = rec[: len(rec) - len(rec) % n_blocks]
    blocks = rec.reshape(n_blocks, -1).sum(axis=1) / (rec.size // n_blocks * m * dt)
    return AdjointGrowth(
        float(rec.sum() / (rec.size * m * dt)),
        float(blocks.std(ddof=1) / np.sqrt(n_blocks)),
        blocks,
    )
