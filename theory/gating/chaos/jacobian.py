r"""The 3N × 3N Jacobian of the gated RNN, derived by SymPy from the model equations.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IV, Eq. (10) (block Jacobian of the
gated network), re-derived here (derivation ``gated_jacobian``). With A = diag σ_z(z),
Z' = diag σ_z'(z), R = diag σ_r(r), R' = diag σ_r'(r), P = diag φ(h), P' = diag φ'(h) and
E = diag(e), e = −h + J^h σ_r(r)φ(h) + I^h = ḣ/σ_z(z),

.. math::
    \mathcal D=\begin{pmatrix}-A+AJ^hRP' & Z'E & AJ^hR'P\\ \tau_z^{-1}J^zP' & -\tau_z^{-1} & 0\\
    \tau_r^{-1}J^rP' & 0 & -\tau_r^{-1}\end{pmatrix}.

:func:`jacobian_derivation` differentiates the vector field of N units, written in index notation
with the named functions φ, σ_z, σ_r, and checks the block form above against an explicit two-unit
network; every partial derivative factorises into a row factor (of unit i), a coupling J_ij and a
column factor (of unit j). The factors are compiled once
(:class:`JacobianFactors`) and used by :func:`jacobian_matrix` (dense, for eigenvalues) and
:func:`tangent_map` (structured products D·Q for Lyapunov vectors, O(N²k) per call).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from theory.errors import ParameterError, require
from theory.gating.model import GatedNetwork, GatedParams, has_user_functions
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import (
    Derivation,
    Reference,
    Step,
    derivation,
    prove_equal,
    tidy_sums,
)
from theory.symbolic.gaussian import X
from theory.symbolic.nonlinearities import NamedFunction, named_function

__all__ = [
    "jacobian_derivation",
    "JacobianFactors",
    "StateFactors",
    "state_factors",
    "jacobian_matrix",
    "tangent_map",
    "specialise_model",
    "KCS_PAPER",
]

KCS_PAPER = Reference(key="krishnamurthy2022", where="Sec. IV, Eq. (10)")

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

#: φ, σ_z, σ_r as named functions: derivations print φ(h_j), σ_z'(z_i); compiling substitutes
#: φ(x) = tanh(g x + β_h) (g = g_h in convention A, 1 in B) and σ(x) = 1/(1 + exp(−αx + β)),
#: written (1 + tanh((αx − β)/2))/2 (overflow-free).
PHI = named_function("phi", r"\phi", sp.tanh(g_phi * X + beta_h))
SIGMA_Z = named_function("sigma_z", r"\sigma_z", (1 + sp.tanh((alpha_z * X - beta_z) / 2)) / 2)
SIGMA_R = named_function("sigma_r", r"\sigma_r", (1 + sp.tanh((alpha_r * X - beta_r) / 2)) / 2)

# index notation for the network-level steps
i_, j_, k_ = sp.symbols("i j k", integer=True, positive=True)
N_units = sp.Symbol("N", integer=True, positive=True)
hI, zI, rI, eI = (sp.IndexedBase(n, real=True) for n in ("h", "z", "r", "e"))
JhI, JzI, JrI = (sp.IndexedBase(n, real=True) for n in ("J^h", "J^z", "J^r"))
IhI, IzI, IrI = (sp.IndexedBase(n, real=True) for n in ("I^h", "I^z", "I^r"))


def phi_sym(x: sp.Expr) -> sp.Expr:
    """φ(x), the named function (compiles to tanh(g x + β_h); g = g_h in convention A, 1 in B)."""
    return PHI(x)


def sigma_z_sym(x: sp.Expr) -> sp.Expr:
    """σ_z(x), the named function (compiles to (1 + tanh((α_z x − β_z)/2))/2)."""
    return SIGMA_Z(x)


def sigma_r_sym(x: sp.Expr) -> sp.Expr:
    """σ_r(x), the named function (compiles to (1 + tanh((α_r x − β_r)/2))/2)."""
    return SIGMA_R(x)


def vector_field(i: Any) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(ḣ_i, ż_i, ṙ_i) of the gated network for general N, in index notation (sums over k)."""
    k = k_
    f_h = sigma_z_sym(zI[i]) * (
        -hI[i] + sp.Sum(JhI[i, k] * sigma_r_sym(rI[k]) * phi_sym(hI[k]), (k, 1, N_units)) + IhI[i]
    )
    f_z = (-zI[i] + sp.Sum(JzI[i, k] * phi_sym(hI[k]), (k, 1, N_units)) + IzI[i]) / tau_z
    f_r = (-rI[i] + sp.Sum(JrI[i, k] * phi_sym(hI[k]), (k, 1, N_units)) + IrI[i]) / tau_r
    return f_h, f_z, f_r


def diag_blocks(n: int | sp.Symbol) -> dict[str, sp.MatrixSymbol]:
    """Matrix symbols of the block form: A = diag σ_z(z), Z' = diag σ_z'(z), R, R', P, P', E."""
    names = ("A", "Z'", "R", "R'", "P", "P'", "E", "J^h", "J^z", "J^r")
    return {nm: sp.MatrixSymbol(nm, n, n) for nm in names}


def block_jacobian(m: dict[str, sp.MatrixSymbol], n: int | sp.Symbol) -> sp.BlockMatrix:
    """𝒟 in block form (order h, z, r)."""
    eye, zero = sp.Identity(n), sp.ZeroMatrix(n, n)
    A, Zp, R, Rp, P, Pp, E = (m[k] for k in ("A", "Z'", "R", "R'", "P", "P'", "E"))
    return sp.BlockMatrix(
        [
            [-A + A * m["J^h"] * R * Pp, Zp * E, A * m["J^h"] * Rp * P],
            [m["J^z"] * Pp / tau_z, -eye / tau_z, zero],
            [m["J^r"] * Pp / tau_r, zero, -eye / tau_r],
        ]
    )


def explicit_blocks(n: int) -> tuple[dict[str, sp.Matrix], sp.Matrix, sp.Matrix]:
    """An explicit n-neuron network: the diagonal matrices of the block form, its state vector
    (h, z, r) and its vector field (for SymPy's verification of the general-N steps)."""
    h = sp.symbols(f"h_1:{n + 1}", real=True)
    z = sp.symbols(f"z_1:{n + 1}", real=True)
    r = sp.symbols(f"r_1:{n + 1}", real=True)
    J = {
        nm: sp.Matrix(n, n, lambda a, b, nm=nm: sp.Symbol(f"{nm}_{a + 1}{b + 1}", real=True))
        for nm in ("J^h", "J^z", "J^r")
    }
    Ih = sp.symbols(f"I^h_1:{n + 1}", real=True)
    Iz = sp.symbols(f"I^z_1:{n + 1}", real=True)
    Ir = sp.symbols(f"I^r_1:{n + 1}", real=True)
    pre = [sigma_r_sym(r[b]) * phi_sym(h[b]) for b in range(n)]
    e = [-h[a] + sum(J["J^h"][a, b] * pre[b] for b in range(n)) + Ih[a] for a in range(n)]
    fh = [sigma_z_sym(z[a]) * e[a] for a in range(n)]
    fz = [
        (-z[a] + sum(J["J^z"][a, b] * phi_sym(h[b]) for b in range(n)) + Iz[a]) / tau_z
        for a in range(n)
    ]
    fr = [
        (-r[a] + sum(J["J^r"][a, b] * phi_sym(h[b]) for b in range(n)) + Ir[a]) / tau_r
        for a in range(n)
    ]
    d = sp.diag
    mats: dict[str, sp.Matrix] = {
        "A": d(*[sigma_z_sym(x) for x in z]),
        "Z'": d(*[sp.diff(sigma_z_sym(x), x) for x in z]),
        "R": d(*[sigma_r_sym(x) for x in r]),
        "R'": d(*[sp.diff(sigma_r_sym(x), x) for x in r]),
        "P": d(*[phi_sym(x) for x in h]),
        "P'": d(*[sp.diff(phi_sym(x), x) for x in h]),
        "E": d(*e),
        **J,
    }
    return mats, sp.Matrix([*h, *z, *r]), sp.Matrix([*fh, *fz, *fr])


def _explicit(
    block: sp.BlockMatrix, m: dict[str, sp.MatrixSymbol], mats: dict[str, sp.Matrix]
) -> sp.Matrix:
    return sp.Matrix(block.subs({m[k]: mats[k] for k in m}).as_explicit())


@functools.cache
def jacobian_derivation() -> Derivation:
    """The Jacobian of the gated network for general N, its block form, and the compiled factors."""
    i, j = i_, j_
    f_h, f_z, f_r = vector_field(i)
    bracket = f_h / sigma_z_sym(zI[i])
    to_sym = {
        hI[i]: h_i,
        hI[j]: h_j,
        zI[i]: z_i,
        rI[i]: r_i,
        rI[j]: r_j,
        eI[i]: e_i,
        JhI[i, j]: Jh,
        JzI[i, j]: Jz,
        JrI[i, j]: Jr,
    }

    def D(f: sp.Expr, x: sp.Indexed) -> sp.Expr:
        return tidy_sums(sp.diff(f, x).doit())

    d_hh = D(f_h, hI[j])
    d_hz = D(f_h, zI[j]).subs(bracket, eI[i])
    d_hr = D(f_h, rI[j])
    d_zh, d_zz = D(f_z, hI[j]), D(f_z, zI[j])
    d_rh, d_rr = D(f_r, hI[j]), D(f_r, rI[j])
    delta = sp.KroneckerDelta(i, j)
    # the stated forms (SymPy proves each equal to its derivative)
    d_hh = prove_equal(
        d_hh,
        sigma_z_sym(zI[i])
        * (JhI[i, j] * sigma_r_sym(rI[j]) * sp.Derivative(phi_sym(hI[j]), hI[j]).doit() - delta),
        "D_hh",
    )
    d_hz = prove_equal(d_hz, delta * sp.diff(sigma_z_sym(zI[i]), zI[i]) * eI[i], "D_hz")
    # per-neuron factors read by the compiled code: row x coupling x column
    row_h = sigma_z_sym(z_i)
    off = d_hh.subs(delta, 0).xreplace(to_sym)
    col_hh = sp.cancel(off / (Jh * row_h))
    col_hr = sp.cancel(d_hr.xreplace(to_sym) / (Jh * row_h))
    col_zh = sp.cancel(d_zh.xreplace(to_sym) * tau_z / Jz)
    col_rh = sp.cancel(d_rh.xreplace(to_sym) * tau_r / Jr)
    for col, own in (
        (col_hh, {h_i, z_i, r_i}),
        (col_hr, {h_i, z_i, r_i}),
        (col_zh, {h_i, z_i}),
        (col_rh, {h_i, r_i}),
    ):
        if col.free_symbols & (own | {Jh, Jz, Jr}):  # the derivation validates its factorisation
            raise AssertionError(f"column factor {col} depends on the row neuron")
    if sp.simplify(col_zh - col_rh) != 0:
        raise AssertionError("z and r rows must share the column factor phi'(h_j)")
    d_hh_self = -row_h  # the δ_ij part of D_hh
    d_hz_self = d_hz.subs(delta, 1).xreplace(to_sym)
    # the derivatives of the gates in closed form: σ' = α σ(1 − σ), φ' = g(1 − φ²)
    for F, rate in ((SIGMA_Z, alpha_z), (SIGMA_R, alpha_r)):
        s_ = F.specialized_expr()
        if sp.simplify(sp.diff(s_, X) - rate * s_ * (1 - s_)) != 0:
            raise AssertionError(f"{F.plain}' != alpha {F.plain}(1 - {F.plain})")
    ph = PHI.specialized_expr()
    if sp.simplify(sp.diff(ph, X) - g_phi * (1 - ph**2)) != 0:
        raise AssertionError("phi' != g (1 - phi^2)")
    # block form, checked against the Jacobian of an explicit two-neuron network
    msym = diag_blocks(N_units)
    block = block_jacobian(msym, N_units)
    m2 = diag_blocks(2)
    mats, state, field = explicit_blocks(2)
    if sp.simplify(_explicit(block_jacobian(m2, 2), m2, mats) - field.jacobian(state)) != sp.zeros(
        6, 6
    ):
        raise AssertionError("block form of the Jacobian does not match the two-neuron network")

    def lhs(f: str, x: str) -> sp.Symbol:
        return sp.Symbol(rf"\frac{{\partial\dot {f}_i}}{{\partial {x}_j}}", real=True)

    steps = [
        Step(
            "update_h",
            sp.Eq(sp.Symbol(r"\dot h_i", real=True), f_h),
            r"Each unit $i=1,\dots,N$ has a state $h_i$, an update gate $z_i$ and an output gate "
            r"$r_i$; the couplings $J^{h,z,r}_{ij}$ are i.i.d.\ Gaussian and $I_i$ are static inputs.",
            "Eq. (1)",
            title="Vector field of the state",
        ),
        Step(
            "update_z",
            sp.Eq(sp.Symbol(r"\dot z_i", real=True), f_z),
            cite="Eq. (2)",
            title="Update gate",
        ),
        Step(
            "update_r",
            sp.Eq(sp.Symbol(r"\dot r_i", real=True), f_r),
            cite="Eq. (3)",
            title="Output gate",
        ),
        Step(
            "d_hh",
            sp.Eq(lhs("h", "h"), d_hh),
            r"SymPy differentiates the sums for general $N$ (the Kronecker $\delta_{ij}$ collects "
            r"the leak).",
            title="Derivative of the state in the states",
        ),
        Step(
            "d_hz_self",
            sp.Eq(sp.Symbol(r"\frac{\partial\dot h_i}{\partial z_i}", real=True), d_hz_self),
            r"Only the unit's own update gate enters ($\partial\dot h_i/\partial z_j=0$ for "
            r"$j\neq i$); $e_i=-h_i+\sum_kJ^h_{ik}\sigma_r(r_k)\phi(h_k)+I^h_i=\dot h_i/\sigma_z(z_i)$.",
            title="Derivative of the state in the update gate",
        ),
        Step(
            "d_hr", sp.Eq(lhs("h", "r"), d_hr), title="Derivative of the state in the output gates"
        ),
        Step("d_zh", sp.Eq(lhs("z", "h"), d_zh), title="Derivatives of the update gate"),
        Step("d_zz", sp.Eq(lhs("z", "z"), d_zz), hidden=True),
        Step("d_rh", sp.Eq(lhs("r", "h"), d_rh), title="Derivatives of the output gate"),
        Step("d_rr", sp.Eq(lhs("r", "r"), d_rr), hidden=True),
        Step(
            "block_form",
            sp.Eq(sp.MatrixSymbol(r"\mathcal D", 3 * N_units, 3 * N_units), block, evaluate=False),
            r"Collecting the derivatives (with $\partial\dot z_i/\partial z_j=-\delta_{ij}/\tau_z$, "
            r"$\partial\dot r_i/\partial r_j=-\delta_{ij}/\tau_r$) in the diagonal matrices of the "
            r"notation gives the $3N\times3N$ Jacobian in the order $(h,z,r)$. SymPy checks this "
            r"block form against the Jacobian of an explicit two-unit network.",
            "Eq. (10)",
            title="Block form",
        ),
        Step(
            "d_hh_self",
            sp.Eq(sp.Symbol(r"D_{h_ih_i}^{\rm leak}", real=True), d_hh_self),
            hidden=True,
        ),
        Step("row_h", sp.Eq(sp.Symbol("a_i", positive=True), row_h), hidden=True),
        Step("col_hh", sp.Eq(sp.Symbol(r"(RP')_j", real=True), col_hh), hidden=True),
        Step("col_hr", sp.Eq(sp.Symbol(r"(R'P)_j", real=True), col_hr), hidden=True),
        Step("col_gate", sp.Eq(sp.Symbol(r"P'_j", real=True), col_zh), hidden=True),
    ]
    return Derivation(
        name="gated_jacobian",
        title="Jacobian of the gated RNN",
        steps=steps,
        references=[KCS_PAPER],
        summary=(
            r"The gated network of \cite{krishnamurthy2022} is written for $N$ units in index "
            r"notation; SymPy differentiates its vector field and the derivatives assemble into "
            r"the block Jacobian \stepref{block_form}, whose spectrum and products with tangent "
            r"vectors the solvers evaluate. Every derivative factorises into a factor of the row "
            r"unit $i$, a coupling $J_{ij}$ and a factor of the column unit $j$; the compiled code "
            r"evaluates these factors once per state."
        ),
        notation=[
            (
                r"\phi(x)=\tanh(g_\phi x+\beta_h)",
                r"the nonlinearity ($g_\phi=g_h$ or 1 in the two conventions)",
            ),
            (r"\sigma_{z,r}(x)=[1+e^{-\alpha_{z,r}x+\beta_{z,r}}]^{-1}", "the gates"),
            (
                r"A,Z',R,R',P,P',E",
                r"the diagonal matrices of $\sigma_z(z_i)$, $\sigma_z'(z_i)$, "
                r"$\sigma_r(r_i)$, $\sigma_r'(r_i)$, $\phi(h_i)$, $\phi'(h_i)$, $e_i$",
            ),
            (r"\tau_z,\tau_r>0", "the time constants of the gates"),
        ],
    )


@derivation("gated_jacobian", theory="gating")
def _registered_jacobian() -> Derivation:
    return jacobian_derivation()


# --------------------------------------------------------------------------- compiled
def specialise_model(expr: sp.Expr, params: GatedParams) -> sp.Expr:
    """Replace the named φ^{(k)}, σ_z^{(k)}, σ_r^{(k)} of ``expr`` whose shape is a user's
    (:class:`~theory.gating.model.GatedParams` ``phi``, ``gate_z``, ``gate_r``) by the k-th SymPy
    derivative of the model expression at their argument; default shapes stay named functions
    (compiled from their definitions with the parameters as arguments, as before)."""
    from theory.gating.model import gate_r_expr, gate_z_expr, phi_expr

    model = {}
    if params.phi is not None:
        model["phi"] = phi_expr(params)
    if params.gate_z is not None:
        model["sigma_z"] = gate_z_expr(params)
    if params.gate_r is not None:
        model["sigma_r"] = gate_r_expr(params)
    if not model:
        return expr
    return expr.replace(
        lambda f: isinstance(f, NamedFunction) and type(f).plain in model,
        lambda f: sp.diff(model[type(f).plain], X, type(f).order).xreplace({X: f.args[0]}),
    )


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
    def _compiled(cls, transform: Callable[[sp.Expr], sp.Expr]) -> JacobianFactors:
        """The five factors of :func:`jacobian_derivation` at one neuron, each expression passed
        through ``transform`` before compiling (separately and fused)."""
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
        names = ("row_h", "d_hz_self", "col_hh", "col_hr", "col_gate")
        exprs = [transform(d.rhs(n).subs(sub)) for n in names]
        fused = compile_function(tuple(exprs), args)
        a, zpe, col_hh, col_hr, col_gate = (compile_function(x, args) for x in exprs)
        return cls(a, zpe, col_hh, col_hr, col_gate, fused=fused)

    @classmethod
    @functools.cache
    def build(cls) -> JacobianFactors:
        return cls._compiled(lambda x: x)

    @classmethod
    @functools.cache
    def for_params(cls, params: GatedParams) -> JacobianFactors:
        """The same derivation steps specialised to the model's own φ, σ_z, σ_r.

        For the default shapes this is :meth:`build` (tanh and the logistic gates, parameters as
        arguments); with a user shape (:class:`~theory.gating.model.GatedParams` ``phi``,
        ``gate_z``, ``gate_r``) every named function φ^{(k)}, σ_z^{(k)}, σ_r^{(k)} of the steps is
        replaced by the k-th SymPy derivative of the model expression before compiling (the
        parameter arguments are then unused).
        """
        if not has_user_functions(params):
            return cls.build()
        return cls._compiled(lambda x: specialise_model(x, params))


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
    f = JacobianFactors.for_params(net.params)
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
