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

:func:`adjoint_derivation` obtains 𝒟ᵀa by SymPy for general N, in index notation (sums over units
of the derivatives of the vector field, Kronecker deltas collapsed) and in matrix form, checks
both against an explicit three-unit network, and differentiates the vector field in the couplings. The homogeneous adjoint is the transpose of the tangent flow, so its
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
    is_real,
    require,
    require_generator,
    require_memory,
)
from theory.gating.chaos import jacobian as jac
from theory.gating.model import GatedNetwork
from theory.gating.simulation import guard_gated_step
from theory.numerics.integrate import rk_step
from theory.numerics.quadrature import trapezoid_weights
from theory.symbolic.derivation import Derivation, Reference, Step, derivation, tidy_sums

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

ADJ_REF = Reference(key="krishnamurthy2022", where="Sec. IX (arXiv v1--v3)")


def _to_explicit(expr: sp.Expr, n: int, mats: dict[str, sp.Matrix], state: sp.Matrix) -> sp.Expr:
    """An index-notation expression at N = n with integer indices, on the explicit network."""
    vec = {"h": state[:n, 0], "z": state[n : 2 * n, 0], "r": state[2 * n :, 0]}

    def repl(ix: sp.Indexed) -> sp.Expr:
        name = ix.base.label.name
        idx = [int(v) - 1 for v in ix.indices]
        if name in vec:
            return vec[name][idx[0]]
        if name in mats:
            return mats[name][idx[0], idx[1]]
        if name == "e":
            return mats["E"][idx[0], idx[0]]
        return sp.Symbol(f"{name}_{idx[0] + 1}", real=True)

    out = expr.subs(jac.N_units, n).doit()
    return out.replace(lambda e: isinstance(e, sp.Indexed), repl)


@functools.cache
def adjoint_derivation() -> Derivation:
    """The adjoint equations and the gradients dL/dJ for general N (index and matrix forms)."""
    i, j, k, N = jac.i_, jac.j_, jac.k_, jac.N_units
    ah, az, ar = (sp.IndexedBase(n, real=True) for n in ("a_h", "a_z", "a_r"))
    t = sp.Symbol("t", real=True)
    T = sp.Symbol("T", positive=True)
    f_h, f_z, f_r = jac.vector_field(i)
    rows = ((ah, f_h), (az, f_z), (ar, f_r))

    def D(f: sp.Expr, x: sp.Indexed) -> sp.Expr:
        return tidy_sums(sp.diff(f, x).doit())

    def adjoint_row(x: sp.IndexedBase) -> sp.Expr:
        # (𝒟ᵀa)_x,j = Σ_i Σ_rows a_row,i ∂f_row,i/∂x_j, then rename j -> i, i -> k
        col = sum((sp.Sum(a[i] * D(f, x[j]), (i, 1, N)) for a, f in rows), sp.Integer(0))
        out = tidy_sums(col.doit())
        bracket = f_h.xreplace({i: j}) / jac.sigma_z_sym(jac.zI[j])
        out = out.subs(bracket, jac.eI[j])
        return out.xreplace({j: i, i: k})

    src = {
        x: sp.Symbol(rf"\frac{{\partial\ell}}{{\partial {x.label.name}_i}}", real=True)
        for x in (jac.hI, jac.zI, jac.rI)
    }
    adj_h = adjoint_row(jac.hI)
    adj_z = adjoint_row(jac.zI)
    adj_r = adjoint_row(jac.rI)
    # SymPy verifies the general-N rows on an explicit three-unit network: row i of 𝒟ᵀa
    n = 3
    mats, state, field = jac.explicit_blocks(n)
    a_vec = sp.Matrix(
        [sp.Symbol(f"a_{b}_{c + 1}", real=True) for b in ("h", "z", "r") for c in range(n)]
    )
    DTa = field.jacobian(state).T * a_vec
    for block, row in enumerate((adj_h, adj_z, adj_r)):
        for c in range(1, n + 1):
            got = _to_explicit(row.subs(i, c), n, mats, state)
            if sp.simplify(sp.expand(got - DTa[block * n + c - 1])) != 0:
                raise AssertionError(f"adjoint row {block}, unit {c} does not match the network")
    # matrix form, checked on the explicit network
    m = jac.diag_blocks(N)
    A, Zp, R, Rp, P, Pp, E = (m[x] for x in ("A", "Z'", "R", "R'", "P", "P'", "E"))
    Ah, Az, Ar = (sp.MatrixSymbol(x, N, 1) for x in ("a_h", "a_z", "a_r"))
    JhT, JzT, JrT = (m[x].T for x in ("J^h", "J^z", "J^r"))
    mat_h = -A * Ah + Pp * R * JhT * A * Ah + Pp * JzT * Az / jac.tau_z + Pp * JrT * Ar / jac.tau_r
    mat_z = Zp * E * Ah - Az / jac.tau_z
    mat_r = Rp * P * JhT * A * Ah - Ar / jac.tau_r
    m3 = jac.diag_blocks(n)
    sub = {m3[x]: mats[x] for x in m3}
    sub |= {
        sp.MatrixSymbol("a_h", n, 1): a_vec[:n, 0],
        sp.MatrixSymbol("a_z", n, 1): a_vec[n : 2 * n, 0],
        sp.MatrixSymbol("a_r", n, 1): a_vec[2 * n :, 0],
    }
    for block, expr in enumerate((mat_h, mat_z, mat_r)):
        got = sp.Matrix(expr.subs(N, n).subs(sub).as_explicit())
        if sp.simplify(got - DTa[block * n : (block + 1) * n, 0]) != sp.zeros(n, 1):
            raise AssertionError(f"matrix form of adjoint block {block} does not match")
    # gradients: ∂f/∂J, differentiated by SymPy in index notation
    gJh = D(f_h, jac.JhI[i, j])
    gJz = D(f_z, jac.JzI[i, j])
    gJr = D(f_r, jac.JrI[i, j])
    L = sp.Symbol("L", real=True)

    def minus_dot(a: sp.IndexedBase) -> sp.Symbol:
        return sp.Symbol(rf"-\dot a_{{{a.label.name[-1]},i}}", real=True)

    def grad(J: sp.IndexedBase, a: sp.IndexedBase, g: sp.Expr) -> sp.Eq:
        lhs = sp.Symbol(rf"\frac{{dL}}{{d{sp.latex(sp.Symbol(J.label.name))}_{{ij}}}}", real=True)
        const, body = (a[i] * g).as_independent(sp.Indexed, as_Add=False)
        return sp.Eq(lhs, const * sp.Integral(body, (t, 0, T)))

    steps = [
        Step(
            "adjoint_equation",
            sp.Eq(
                sp.MatrixSymbol(r"-\dot{\mathbf a}", 3 * N, 1),
                sp.MatrixSymbol(r"\mathcal D^\top\mathbf a", 3 * N, 1)
                + sp.MatrixSymbol(r"\partial_{\mathbf x}\ell", 3 * N, 1),
                evaluate=False,
            ),
            r"For a loss $L=\int_0^T\ell(\mathbf x(t))\,dt$ of the state "
            r"$\mathbf x=(h,z,r)\in\mathbb R^{3N}$, the adjoint $\mathbf a=(a_h,a_z,a_r)$ runs "
            r"backward from $\mathbf a(T)=0$ with the transposed Jacobian \derivref{gated_jacobian}.",
            title="Adjoint sensitivity equation",
        ),
        Step(
            "adjoint_h",
            sp.Eq(minus_dot(ah), adj_h + src[jac.hI]),
            r"SymPy forms $\sum_i a_i\,\partial\dot x_i/\partial h_j$ from the vector field of "
            r"general $N$ and collapses the Kronecker deltas; the sums over $k$ run over the "
            r"columns of the couplings (the transposes $J^\top$).",
            title="Adjoint of the state",
        ),
        Step(
            "adjoint_z",
            sp.Eq(minus_dot(az), adj_z + src[jac.zI]),
            r"Here $e_i=\dot h_i/\sigma_z(z_i)$ as in the Jacobian.",
            title="Adjoint of the update gate",
        ),
        Step(
            "adjoint_r",
            sp.Eq(minus_dot(ar), adj_r + src[jac.rI]),
            title="Adjoint of the output gate",
        ),
        Step(
            "adjoint_matrix_h",
            sp.Eq(sp.MatrixSymbol(r"-\dot a_h", N, 1), mat_h, evaluate=False),
            r"The same equations with the diagonal matrices of the Jacobian (the source terms "
            r"$\partial\ell$ omitted); SymPy checks all three index forms and these matrix forms "
            r"against $\mathcal D^\top\mathbf a$ of an explicit three-unit network.",
            title="Matrix form",
        ),
        Step(
            "adjoint_matrix_z",
            sp.Eq(sp.MatrixSymbol(r"-\dot a_z", N, 1), mat_z, evaluate=False),
        ),
        Step(
            "adjoint_matrix_r",
            sp.Eq(sp.MatrixSymbol(r"-\dot a_r", N, 1), mat_r, evaluate=False),
        ),
        Step(
            "grad_Jh",
            grad(jac.JhI, ah, gJh),
            r"A coupling enters only the vector field of its row unit, so "
            r"$dL/d\theta=\int_0^T\mathbf a\cdot\partial_\theta\dot{\mathbf x}\,dt$ has one term; "
            r"SymPy differentiates the sums.",
            title="Gradient with respect to the recurrent couplings",
        ),
        Step(
            "grad_Jz",
            grad(jac.JzI, az, gJz),
            title="Gradient with respect to the update-gate couplings",
        ),
        Step(
            "grad_Jr",
            grad(jac.JrI, ar, gJr),
            title="Gradient with respect to the output-gate couplings",
        ),
    ]
    del L
    return Derivation(
        name="gated_adjoint",
        title="Adjoint equations and gradients of the gated RNN",
        steps=steps,
        references=[ADJ_REF],
        summary=(
            r"Gradients of a loss of the trajectory of the gated network \cite{krishnamurthy2022} "
            r"by the adjoint (backward sensitivity) method, for $N$ units. The homogeneous adjoint "
            r"is the transpose of the tangent flow, so in the chaotic phase its norm grows backward "
            r"in time at the rate $\lambda_{\max}$ of the forward dynamics: exploding gradients."
        ),
        notation=[
            (r"a_{h,i},a_{z,i},a_{r,i}", r"the adjoint variables of $h_i,z_i,r_i$"),
            (r"\ell", "the running loss"),
            (
                r"A,Z',R,R',P,P',E",
                r"the diagonal matrices of the Jacobian \derivref{gated_jacobian}",
            ),
        ],
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


def _check_run(net: GatedNetwork, T: float, dt: float, arrays: int) -> int:
    """Validate (T, dt) and the memory of ``arrays`` stored trajectories; return the step count."""
    require(isinstance(net, GatedNetwork), "net", net, "a GatedNetwork (GatedNetwork.sample)")
    require(
        is_real(T) and is_real(dt) and np.isfinite(T) and T > 0 and np.isfinite(dt) and 0 < dt <= T,
        "T, dt",
        (T, dt),
        "0 < dt <= T (finite)",
    )
    guard_gated_step(net.params, dt)
    n = int(round(T / dt))
    require_memory(8.0 * arrays * (n + 1) * 3 * net.N, "T", T, "stored trajectories")
    return n


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
        all(is_real(v) and np.isfinite(v) for v in (T, transient, dt, t_renorm))
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
