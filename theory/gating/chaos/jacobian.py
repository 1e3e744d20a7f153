r"""The 3N × 3N Jacobian of the gated RNN, derived by SymPy from the model equations.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IV, Eq. (10) (block Jacobian of the
gated network), re-derived here (derivation ``gated_jacobian``). With A = diag σ_z(z),
Z' = diag σ_z'(z), R = diag σ_r(r), R' = diag σ_r'(r), P = diag φ(h), P' = diag φ'(h) and
E = diag(e), e = −h + J^h σ_r(r)φ(h) + I^h = ḣ/σ_z(z),

.. math::
    \mathcal D=\begin{pmatrix}-A+AJ^hRP' & Z'E & AJ^hR'P\\ \tau_z^{-1}J^zP' & -\tau_z^{-1} & 0\\
    \tau_r^{-1}J^rP' & 0 & -\tau_r^{-1}\end{pmatrix}.

:func:`jacobian_derivation` differentiates one neuron's right-hand side with respect to its own
state and to a presynaptic neuron's state; every partial derivative factorises into a row factor
(of neuron i), a coupling J_ij and a column factor (of neuron j). The factors are compiled once
(:class:`JacobianFactors`) and used by :func:`jacobian_matrix` (dense, for eigenvalues) and
:func:`tangent_map` (structured products D·Q for Lyapunov vectors, O(N²k) per call).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory.errors import ParameterError, require
from theory.gating.model import GatedNetwork, GatedParams
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = [
    "jacobian_derivation",
    "JacobianFactors",
    "StateFactors",
    "state_factors",
    "jacobian_matrix",
    "tangent_map",
    "KCS_PAPER",
]

KCS_PAPER = Reference(
    "Krishnamurthy, Can, Schwab, Phys. Rev. X 12, 011011 (2022)",
    "Sec. IV, Eq. (10)",
    "our re-derivation: derivation gated_jacobian",
)

# --------------------------------------------------------------------------- symbols
h_i, z_i, r_i, h_j, r_j = sp.symbols("h_i z_i r_i h_j r_j", real=True)
Jh, Jz, Jr = sp.symbols("J^h_ij J^z_ij J^r_ij", real=True)
S_h, S_z, S_r = sp.symbols("S_h S_z S_r", real=True)  # the rest of the recurrent sums (k != j)
I_h, I_z, I_r = sp.symbols("I^h_i I^z_i I^r_i", real=True)
e_i = sp.Symbol("e_i", real=True)
tau_z, tau_r = sp.symbols("tau_z tau_r", positive=True)
g_phi = sp.Symbol("g_phi", positive=True)  # gain inside tanh: g_h (convention A) or 1 (B)
beta_h, beta_z, beta_r = sp.symbols("beta_h beta_z beta_r", real=True)
alpha_z, alpha_r = sp.symbols("alpha_z alpha_r", nonnegative=True)
PARAM_SYMBOLS = (g_phi, beta_h, alpha_z, beta_z, alpha_r, beta_r)


def phi_sym(x: sp.Expr) -> sp.Expr:
    """φ(x) = tanh(g x + β_h) (g = g_h in convention A, 1 in B)."""
    return sp.tanh(g_phi * x + beta_h)


def sigma_z_sym(x: sp.Expr) -> sp.Expr:
    """σ_z(x) = 1/(1 + exp(−α_z x + β_z)), written (1 + tanh((α_z x − β_z)/2))/2 (overflow-free)."""
    return (1 + sp.tanh((alpha_z * x - beta_z) / 2)) / 2


def sigma_r_sym(x: sp.Expr) -> sp.Expr:
    """σ_r(x) = 1/(1 + exp(−α_r x + β_r)), written (1 + tanh((α_r x − β_r)/2))/2 (overflow-free)."""
    return (1 + sp.tanh((alpha_r * x - beta_r) / 2)) / 2


@functools.cache
def jacobian_derivation() -> Derivation:
    """Partial derivatives of one neuron's vector field, factorised as row × J_ij × column."""
    bracket = -h_i + Jh * sigma_r_sym(r_j) * phi_sym(h_j) + S_h + I_h
    f_h = sigma_z_sym(z_i) * bracket
    f_z = (-z_i + Jz * phi_sym(h_j) + S_z + I_z) / tau_z
    f_r = (-r_i + Jr * phi_sym(h_j) + S_r + I_r) / tau_r
    # bracket in terms of e_i:  S_h = e_i + h_i - Jh σ_r φ - I_h
    to_e = {S_h: e_i + h_i - Jh * sigma_r_sym(r_j) * phi_sym(h_j) - I_h}

    d_hh_self = sp.diff(f_h, h_i)
    d_hz_self = sp.factor(sp.expand(sp.diff(f_h, z_i).subs(to_e)))
    d_hh = sp.diff(f_h, h_j)
    d_hr = sp.diff(f_h, r_j)
    d_zh = sp.diff(f_z, h_j)
    d_rh = sp.diff(f_r, h_j)
    d_zz = sp.diff(f_z, z_i)
    d_rr = sp.diff(f_r, r_i)
    row_h = sigma_z_sym(z_i)
    col_hh = sp.cancel(d_hh / (Jh * row_h))
    col_hr = sp.cancel(d_hr / (Jh * row_h))
    col_zh = sp.simplify(d_zh * tau_z / Jz)
    col_rh = sp.simplify(d_rh * tau_r / Jr)
    for col, own in (
        (col_hh, {h_i, z_i, r_i}),
        (col_hr, {h_i, z_i, r_i}),
        (col_zh, {h_i, z_i}),
        (col_rh, {h_i, r_i}),
    ):
        if col.free_symbols & (own | {Jh, Jz, Jr}):  # the derivation validates its factorisation
            raise AssertionError(f"column factor {col} depends on the row neuron")
    # the derivatives of the gates in closed form: σ' = α σ(1 − σ), φ' = g(1 − φ²)
    sz, sr, ph = sigma_z_sym(z_i), sigma_r_sym(r_j), phi_sym(h_j)
    assert sp.simplify(sp.diff(sz, z_i) - alpha_z * sz * (1 - sz)) == 0
    assert sp.simplify(sp.diff(sr, r_j) - alpha_r * sr * (1 - sr)) == 0
    assert sp.simplify(sp.diff(ph, h_j) - g_phi * (1 - ph**2)) == 0

    D = sp.Function("D", real=True)
    steps = [
        Step(
            "update_h",
            sp.Eq(sp.Symbol(r"\dot h_i", real=True), f_h),
            r"Vector field of $h_i$, isolating the presynaptic neuron $j$; $S_h$ is the rest of the recurrent sum.",
            "Eq. (1)",
        ),
        Step(
            "update_z",
            sp.Eq(sp.Symbol(r"\dot z_i", real=True), f_z),
            r"Update-gate variable.",
            "Eq. (2)",
        ),
        Step(
            "update_r",
            sp.Eq(sp.Symbol(r"\dot r_i", real=True), f_r),
            r"Output-gate variable.",
            "Eq. (3)",
        ),
        Step(
            "d_hh_self",
            sp.Eq(D(h_i, h_i), d_hh_self),
            r"Diagonal $-A$ (the self-coupling $J_{ii}$ belongs to the $AJ^hRP'$ term).",
        ),
        Step(
            "d_hz_self",
            sp.Eq(D(h_i, z_i), d_hz_self),
            r"$Z'E$: the update gate's derivative times $e_i=\dot h_i/\sigma_z(z_i)$.",
        ),
        Step("d_hh", sp.Eq(D(h_i, h_j), d_hh), r"$h$–$h$ block: $A\,J^h R P'$."),
        Step("d_hr", sp.Eq(D(h_i, r_j), d_hr), r"$h$–$r$ block: $A\,J^h R' P$."),
        Step("d_zh", sp.Eq(D(z_i, h_j), d_zh), r"$z$–$h$ block: $\tau_z^{-1}J^zP'$."),
        Step("d_rh", sp.Eq(D(r_i, h_j), d_rh), r"$r$–$h$ block: $\tau_r^{-1}J^rP'$."),
        Step("d_zz", sp.Eq(D(z_i, z_i), d_zz), r"Diagonal of the $z$ block."),
        Step("d_rr", sp.Eq(D(r_i, r_i), d_rr), r"Diagonal of the $r$ block."),
        Step(
            "row_h",
            sp.Eq(sp.Symbol("a_i", positive=True), row_h),
            r"Row factor of the $h$ rows, $A=\mathrm{diag}\,\sigma_z$.",
        ),
        Step(
            "col_hh",
            sp.Eq(sp.Symbol(r"(RP')_j", real=True), col_hh),
            r"Column factor of $D(h_i,h_j)/(a_iJ^h_{ij})$.",
        ),
        Step(
            "col_hr",
            sp.Eq(sp.Symbol(r"(R'P)_j", real=True), col_hr),
            r"Column factor of $D(h_i,r_j)/(a_iJ^h_{ij})$.",
        ),
        Step(
            "col_gate",
            sp.Eq(sp.Symbol(r"P'_j", real=True), col_zh),
            r"Column factor of the gate rows, $\tau_z D(z_i,h_j)/J^z_{ij}=\tau_r D(r_i,h_j)/J^r_{ij}=\phi'(h_j)$.",
        ),
    ]
    if sp.simplify(col_zh - col_rh) != 0:
        raise AssertionError("z and r rows must share the column factor phi'(h_j)")
    return Derivation(
        name="gated_jacobian",
        title="Jacobian of the gated RNN",
        steps=steps,
        references=[KCS_PAPER],
        summary=(
            r"SymPy differentiates the vector field of one neuron with respect to its own state and to "
            r"the state of a presynaptic neuron $j$; each derivative factorises into a row factor, "
            r"a coupling and a column factor, which assemble into the block matrix "
            r"$\mathcal D=\begin{pmatrix}-A+AJ^hRP'&Z'E&AJ^hR'P\\ \tau_z^{-1}J^zP'&-\tau_z^{-1}&0\\ "
            r"\tau_r^{-1}J^rP'&0&-\tau_r^{-1}\end{pmatrix}$."
        ),
    )


@derivation("gated_jacobian", theory="gating")
def _registered_jacobian() -> Derivation:
    return jacobian_derivation()


# --------------------------------------------------------------------------- compiled
@dataclass(frozen=True)
class JacobianFactors:
    """Compiled diagonal factors of the Jacobian (from :func:`jacobian_derivation`).

    Each is a function of ``(h, z, r, e, g_phi, beta_h, alpha_z, beta_z, alpha_r, beta_r)``,
    broadcast over arrays of neurons.
    """

    a: CompiledFunction  # σ_z(z)
    zpe: CompiledFunction  # σ_z'(z) e
    col_hh: CompiledFunction  # σ_r(r) φ'(h)
    col_hr: CompiledFunction  # σ_r'(r) φ(h)
    col_gate: CompiledFunction  # φ'(h)
    fused: CompiledFunction  # all five at once (one call, shared subexpressions)

    @classmethod
    @functools.cache
    def build(cls) -> JacobianFactors:
        d = jacobian_derivation()
        args = [
            sp.Symbol("h", real=True),
            sp.Symbol("z", real=True),
            sp.Symbol("r", real=True),
            sp.Symbol("e", real=True),
            *PARAM_SYMBOLS,
        ]
        h, z, r, e = args[:4]
        sub = {h_i: h, h_j: h, z_i: z, r_i: r, r_j: r, e_i: e}

        def comp(name: str) -> CompiledFunction:
            return compile_function(d.rhs(name).subs(sub), args)

        names = ("row_h", "d_hz_self", "col_hh", "col_hr", "col_gate")
        fused = compile_function(tuple(d.rhs(n).subs(sub) for n in names), args)
        a, zpe, col_hh, col_hr, col_gate = (comp(n) for n in names)
        return cls(a, zpe, col_hh, col_hr, col_gate, fused=fused)


@dataclass(frozen=True)
class StateFactors:
    """Diagonals of the Jacobian at one state: arrays of shape (N,) (or (N, B) for batches)."""

    a: np.ndarray
    zpe: np.ndarray
    col_hh: np.ndarray
    col_hr: np.ndarray
    col_gate: np.ndarray
    e: np.ndarray


def param_values(p: GatedParams) -> tuple[float, ...]:
    g = p.g_h if p.convention == "A" else 1.0
    return (g, p.beta_h, p.alpha_z, p.beta_z, p.alpha_r, p.beta_r)


def state_factors(
    net: GatedNetwork, state: np.ndarray, e: np.ndarray | None = None
) -> StateFactors:
    """Evaluate the compiled factors at ``state`` (shape (3, N) or (3, N, B)).

    ``e`` (default: computed from the state, e = −h + J^h σ_r(r)φ(h) + I^h) may be given to build
    the Jacobian of a *synthetic* state (statistics chosen by hand, as in the RMT checks).

    Raises
    ------
    ParameterError
        If the state has the wrong shape or holds NaN/inf.
    """
    state = np.asarray(state, dtype=float)
    require(
        state.ndim in (2, 3) and state.shape[0] == 3 and state.shape[1] == net.N,
        "state",
        state.shape,
        f"shape (3, {net.N}) or (3, {net.N}, B)",
    )
    if not np.all(np.isfinite(state)):
        raise ParameterError(
            "state", "array with NaN/inf entries", "a finite state (no NaN or infinity)"
        )
    h, z, r = state
    if e is None:
        Ih = net.I_h if h.ndim == 1 else net.I_h[:, None]
        e = -h + net.J_h @ (net.sigma_r(r) * net.phi(h)) + Ih
    else:
        e = np.asarray(e, dtype=float)
        require(
            e.shape == h.shape and bool(np.all(np.isfinite(e))),
            "e",
            e.shape,
            f"finite array of shape {h.shape}",
        )
    f = JacobianFactors.build()
    pv = param_values(net.params)
    a, zpe, col_hh, col_hr, col_gate = f.fused(h, z, r, e, *pv)
    return StateFactors(a=a, zpe=zpe, col_hh=col_hh, col_hr=col_hr, col_gate=col_gate, e=e)


def jacobian_matrix(
    net: GatedNetwork, state: np.ndarray, e: np.ndarray | None = None
) -> np.ndarray:
    """The dense 3N × 3N Jacobian at one state (order h, z, r), assembled from the compiled factors.

    ``e`` overrides e = ḣ/σ_z (synthetic states, see :func:`state_factors`); ``e = 0`` gives
    the Jacobian at a fixed point with these (h, z, r) statistics.
    """
    state = np.asarray(state, dtype=float)
    require(state.ndim == 2, "state", state.shape, f"a single state of shape (3, {net.N})")
    f = state_factors(net, state, e)
    N = net.N
    p = net.params
    D = np.zeros((3 * N, 3 * N))
    aJ = f.a[:, None] * net.J_h
    D[:N, :N] = aJ * f.col_hh[None, :] - np.diag(f.a)
    D[:N, N : 2 * N] = np.diag(f.zpe)
    D[:N, 2 * N :] = aJ * f.col_hr[None, :]
    D[N : 2 * N, :N] = net.J_z * f.col_gate[None, :] / p.tau_z
    D[N : 2 * N, N : 2 * N] = -np.eye(N) / p.tau_z
    D[2 * N :, :N] = net.J_r * f.col_gate[None, :] / p.tau_r
    D[2 * N :, 2 * N :] = -np.eye(N) / p.tau_r
    return D


def tangent_map(net: GatedNetwork, f: StateFactors, Q: np.ndarray) -> np.ndarray:
    """D·Q for tangent vectors Q of shape (3, N, k) at the state whose factors are ``f``.

    Three N × N × k products; never forms the 3N × 3N matrix.
    """
    Qh, Qz, Qr = Q[0], Q[1], Q[2]
    p = net.params
    a = f.a[:, None]
    pre = net.J_h @ (f.col_hh[:, None] * Qh + f.col_hr[:, None] * Qr)
    gate_in = f.col_gate[:, None] * Qh
    dh = a * (pre - Qh) + f.zpe[:, None] * Qz
    dz = (net.J_z @ gate_in - Qz) / p.tau_z
    dr = (net.J_r @ gate_in - Qr) / p.tau_r
    return np.stack([dh, dz, dr])
