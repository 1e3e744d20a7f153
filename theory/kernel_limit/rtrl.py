r"""Real-time recurrent learning for the diagonal RNN, derived by SymPy from the update rule.

The memory update of unit i (the network of Lam, Sirignano, Spiliopoulos, arXiv:2308.14555 (2023),
our reading; :mod:`theory.kernel_limit.model`) is
:math:`S_{k+1}=\sigma(u_k)`, :math:`u_k = W x_k + B S_k(\varphi) + b`, where the previous memory
depends on the parameters :math:`\varphi=(W,B,b)` through the past. SymPy differentiates the
update with :math:`S_k` an undefined function of φ and replaces :math:`\partial S_k/\partial\varphi`
by the carried forward derivative :math:`G_k`, which yields the RTRL recursion

.. math::
    G_{k+1} = \sigma'(u_k)\,\big[(x_k, S_k, 1) + B\,G_k\big],\qquad G_0 = 0,

exact and O(N) per step because the recurrence is diagonal. The truncated gradient treats
:math:`S_k` as a constant (drops :math:`B G_k`). The output derivatives
:math:`\partial\hat Y/\partial C = N^{-\beta}S_{k+1}`, :math:`\partial\hat Y/\partial\varphi =
N^{-\beta} C\,G_{k+1}` and the SGD step :math:`\theta\leftarrow\theta+\eta_N(Y-\hat Y)\partial\hat
Y/\partial\theta` with :math:`\eta_N=\alpha N^{2\beta-2}` are differentiated the same way.
Only compiled functions of these steps are evaluated by :mod:`theory.kernel_limit.network`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from theory.kernel_limit.model import LSS
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation, prove_equal
from theory.symbolic.gaussian import X
from theory.symbolic.nonlinearities import get_nonlinearity, named_function
from theory.symbolic.printing import tex

__all__ = ["rtrl_derivation", "RTRL", "SYMBOLS"]

x, S, W, B, b, C, Y, Yhat = sp.symbols("x S W B b C Y \\hat{Y}", real=True)
GW, GB, Gb = sp.symbols("G_W G_B G_b", real=True)
N = sp.Symbol("N", positive=True, integer=True)
beta, alpha = sp.symbols("beta alpha", positive=True)
SYMBOLS = {
    "x": x,
    "S": S,
    "W": W,
    "B": B,
    "b": b,
    "C": C,
    "G_W": GW,
    "G_B": GB,
    "G_b": Gb,
    "N": N,
    "beta": beta,
    "alpha": alpha,
}

WILLIAMS_ZIPSER = Reference(key="williams1989", where="Eq. (4)")
#: The activation σ as a named, abstract function (σ' is its named derivative).
SIGMA = named_function("sigma", r"\sigma")
SIGMA_P = SIGMA.derivative()


def _forward(sig: sp.Expr, truncated: bool) -> tuple[sp.Expr, tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """Differentiate S_{k+1} = sig(W x + B S_k(φ) + b) and substitute ∂S_k/∂φ → G."""
    Sf = sp.Function("S_k", real=True)(W, B, b)
    prev = S if truncated else Sf
    u = W * x + B * prev + b
    S_next = sig.subs(X, u)
    grads = []
    for p in (W, B, b):
        d = sp.diff(S_next, p)
        if not truncated:
            d = d.subs(
                {sp.Derivative(Sf, W): GW, sp.Derivative(Sf, B): GB, sp.Derivative(Sf, b): Gb}
            ).subs(Sf, S)
        grads.append(d)
    return S_next.subs(Sf, S), (grads[0], grads[1], grads[2])


def _phi_parts(phi: str | sp.Expr) -> tuple[sp.Expr, sp.Expr, str]:
    """(σ, σ', name suffix) of a registered name or an expression in X."""
    if isinstance(phi, str):
        nl = get_nonlinearity(phi)
        return nl.expr, nl.derivative, phi
    expr = sp.sympify(phi)
    tag = hashlib.sha1(sp.srepr(expr).encode()).hexdigest()[:10]
    return expr, sp.diff(expr, X), f"expr_{tag}"


@functools.cache
def rtrl_derivation(phi: str | sp.Expr = "tanh") -> Derivation:
    """RTRL recursion, output gradients and SGD step, derived for a generic σ and for ``phi``
    (a registered name or a SymPy expression in :data:`~theory.symbolic.gaussian.X`)."""
    sigma = SIGMA
    sig_generic = sigma(X)
    Sn_g, (gW_g, gB_g, gb_g) = _forward(sig_generic, truncated=False)
    _, (tW_g, tB_g, tb_g) = _forward(sig_generic, truncated=True)
    sig_expr, dsig_expr, suffix = _phi_parts(phi)
    Sn, (gW, gB, gb) = _forward(sig_expr, truncated=False)
    # the concrete forward derivative must equal σ'(u)[(x, S, 1) + B G] (self-validation)
    u = W * x + B * S + b
    dsig = dsig_expr.subs(X, u)
    pts = np.random.default_rng(0).uniform(-1.5, 1.5, (8, 16))
    for got, want in (
        (gW, dsig * (x + B * GW)),
        (gB, dsig * (S + B * GB)),
        (gb, dsig * (1 + B * Gb)),
    ):
        args = [x, S, GW, GB, Gb, W, B, b]
        diff = compile_function(got - want, args)(*pts)
        if not np.all(np.abs(diff) < 1e-12):
            raise AssertionError(f"RTRL self-check failed: {got} != {want}")
    # display: unit i, step k; the pre-activation u^i_k named after differentiation
    disp = {
        x: sp.Symbol("X_k", real=True),
        S: sp.Symbol("S^i_k", real=True),
        W: sp.Symbol("W^i", real=True),
        B: sp.Symbol("B^i", real=True),
        b: sp.Symbol("b^i", real=True),
        GW: sp.Symbol("G_{W,k}^{i}", real=True),
        GB: sp.Symbol("G_{B,k}^{i}", real=True),
        Gb: sp.Symbol("G_{b,k}^{i}", real=True),
        C: sp.Symbol("C^i", real=True),
    }
    u_sym = sp.Symbol("u^i_k", real=True)

    def show(e: sp.Expr) -> sp.Expr:
        return e.subs(u, u_sym).xreplace(disp)

    stated = {
        "W": prove_equal(gW_g, SIGMA_P(u) * (x + B * GW), "G_W"),
        "B": prove_equal(gB_g, SIGMA_P(u) * (S + B * GB), "G_B"),
        "b": prove_equal(gb_g, SIGMA_P(u) * (1 + B * Gb), "G_b"),
    }
    out = N ** (-beta) * C * sigma(u)
    dC = sp.diff(out, C)
    eta = alpha * N ** (2 * beta - 2)
    S1, G1 = sp.Symbol("S_{k+1}^{i}", real=True), sp.Symbol("G_{k+1}^{i}", real=True)
    steps = [
        Step(
            "memory_update",
            sp.Eq(sp.Symbol("S_{k+1}^{i}", real=True), show(Sn_g).subs(u_sym, u.xreplace(disp))),
            r"Unit $i$ of the diagonal network updates its memory from the input $X_k$; the "
            r"previous memory $S^i_k$ depends on the unit's parameters $\varphi^i=(W^i,B^i,b^i)$ "
            r"through the past.",
            title="Memory update",
        ),
        Step(
            "forward_W",
            sp.Eq(sp.Symbol(r"G_{W,k+1}^{i}", real=True), show(stated["W"])),
            r"SymPy differentiates the update with $S^i_k$ an unknown function of $\varphi^i$ "
            r"and carries $\partial S^i_k/\partial\varphi^i$ forward as $G^i_k$, with "
            r"$G^i_0=0$; the recursion is exact and costs $O(N)$ per step because the "
            r"recurrence is diagonal.",
            Reference(key="williams1989", where="Eq. (4)"),
            title="Forward derivatives",
        ),
        Step("forward_B", sp.Eq(sp.Symbol(r"G_{B,k+1}^{i}", real=True), show(stated["B"]))),
        Step("forward_b", sp.Eq(sp.Symbol(r"G_{b,k+1}^{i}", real=True), show(stated["b"]))),
        Step(
            "truncated",
            sp.Eq(
                sp.Matrix(
                    [
                        sp.Symbol(r"G^{\mathrm{tr},i}_{W,k+1}", real=True),
                        sp.Symbol(r"G^{\mathrm{tr},i}_{B,k+1}", real=True),
                        sp.Symbol(r"G^{\mathrm{tr},i}_{b,k+1}", real=True),
                    ]
                ),
                sp.Matrix([show(tW_g), show(tB_g), show(tb_g)]),
                evaluate=False,
            ),
            r"The truncated gradient (an option) treats $S^i_k$ as a constant, which drops the "
            r"terms $B^iG^i_k$:",
            title="Truncated gradient",
        ),
        Step(
            "forward_concrete",
            sp.Eq(
                sp.Matrix(
                    [
                        sp.Symbol(r"G_{W,k+1}", real=True),
                        sp.Symbol(r"G_{B,k+1}", real=True),
                        sp.Symbol(r"G_{b,k+1}", real=True),
                    ]
                ),
                sp.Matrix([gW, gB, gb]),
                evaluate=False,
            ),
            title=f"the forward derivatives for $\\sigma={tex(sig_expr.subs(X, sp.Symbol('x')))}$ "
            "equal the general recursion",
            hidden=True,
        ),
        Step(
            "output_gradient_C",
            sp.Eq(
                sp.Symbol(r"\frac{\partial\hat Y_k}{\partial C^i}", real=True),
                show(dC.subs(sigma(u), S1)),
            ),
            r"The output $\hat Y_k=N^{-\beta}\sum_iC^iS^i_{k+1}$ has the derivatives",
            title="Output gradients",
        ),
        Step(
            "output_gradient_phi",
            sp.Eq(
                sp.Symbol(r"\frac{\partial\hat Y_k}{\partial\varphi^i}", real=True),
                N ** (-beta) * disp[C] * G1,
            ),
            r"by the chain rule through $S^i_{k+1}$, with $G^i_{k+1}$ from the recursion.",
        ),
        Step(
            "sgd",
            sp.Eq(
                sp.Symbol(r"\Delta\theta", real=True),
                eta
                * (sp.Symbol("Y_k", real=True) - sp.Symbol(r"\hat Y_k", real=True))
                * sp.Symbol(r"\frac{\partial\hat Y_k}{\partial\theta}", real=True),
            ),
            r"Online SGD on $\tfrac12(Y_k-\hat Y_k)^2$ with the learning rate "
            r"$\eta_N=\alpha N^{2\beta-2}$ (our reading of \cite{lam2023}).",
            title="Stochastic gradient step",
        ),
        Step(
            "lazy_scale",
            sp.Eq(
                sp.Symbol(r"|\Delta\theta|", nonnegative=True), sp.powsimp(eta * N ** (-beta) * N)
            ),
            r"Per step a parameter moves by $O(\eta_NN^{-\beta})$, so over the $NT$ steps of "
            r"the time $T$ it moves by",
            title="Lazy regime",
        ),
    ]
    return Derivation(
        name="kernel_limit_rtrl" if phi == "tanh" else f"kernel_limit_rtrl_{suffix}",
        title="RTRL forward derivatives of the diagonal RNN, derived from the update rule",
        steps=steps,
        references=[LSS, WILLIAMS_ZIPSER],
        summary=(
            r"Real-time recurrent learning \cite{williams1989} for the network of "
            r"\cite{lam2023} (our reading): exact forward derivatives of the memory, derived by "
            r"SymPy for any activation $\sigma$, and the online gradient step. SymPy also checks "
            rf"the recursion against the derivatives of the concrete activation "
            rf"$\sigma(x)={tex(sig_expr.subs(X, sp.Symbol('x', real=True)))}$ that the compiled "
            r"code uses."
        ),
        notation=[
            (r"u^i_k=W^iX_k+B^iS^i_k+b^i", "the pre-activation of unit $i$"),
            (r"\sigma", "the activation (bounded, with a bounded derivative)"),
            (N, "the number of units"),
            (r"\tfrac12<\beta<1", "the output scaling exponent"),
            (alpha, "the learning-rate constant"),
        ],
    )


@derivation("kernel_limit_rtrl", theory="kernel_limit")
def _registered_rtrl() -> Derivation:
    return rtrl_derivation("tanh")


@dataclass(frozen=True)
class RTRL:
    """Compiled RTRL step: ``step(x, S, G_W, G_B, G_b, W, B, b) -> (S', G_W', G_B', G_b')``.

    ``raw`` is the underlying lambdified function (no broadcasting copies) for hot loops.
    """

    phi: str | sp.Expr
    truncated: bool
    step: CompiledFunction

    @property
    def raw(self) -> Callable[..., Any]:
        return self.step.func

    @classmethod
    @functools.cache
    def for_phi(cls, phi: str | sp.Expr, truncated: bool = False) -> RTRL:
        """The step for σ = ``phi`` (a registered name or an expression in X), compiled from the
        SymPy derivative of the update rule."""
        Sn, grads = _forward(_phi_parts(phi)[0], truncated=truncated)
        rtrl_derivation(phi)  # builds and self-validates the recursion
        f = compile_function((Sn, *grads), [x, S, GW, GB, Gb, W, B, b])
        return cls(phi, truncated, f)
