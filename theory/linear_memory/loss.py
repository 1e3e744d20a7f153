r"""The white-noise (and OU-input) loss J and its gradients, derived by SymPy and compiled.

LHEL = Li, Han, E, Li, "Approximation and optimization theory for linear continuous-time recurrent
neural networks", JMLR 23 (2022), Sec. 5 (optimization dynamics, Eq. (20)–(22)); re-derived here
with SymPy (derivations ``linear_memory_loss_diagonal``, ``linear_memory_loss_gramian``,
``linear_memory_loss_ou``).

* White noise (d = 1): E|Ĥ_t(x) − H_t(x)|² = J = ∫_0^∞ (ρ̂ − ρ)² ds.
* Diagonal model ρ̂ = Σ a_i e^{−w_i t}: SymPy integrates the pair term ∫ a_i a_k e^{−(w_i+w_k)t} dt
  and the target term ∫ a_i e^{−w_i t} ρ(t) dt = a_i G(w_i); differentiates J (at m = 3, symbolically)
  and verifies ∂J/∂a_i = 2E(w_i), ∂J/∂w_i = 2a_iE′(w_i) with E(s) = Σ_k a_k/(s+w_k) − G(s).
  The compiled pair/target terms are summed over (i, k) by broadcasting.
* General model (W, U, c): Gramians W P + P Wᵀ + UUᵀ = 0, WᵀQ + QW + ccᵀ = 0 (derived from
  d/dt e^{Wt}UUᵀe^{Wᵀt}), J = cᵀPc − 2cᵀM_ρU + ‖ρ‖², gradients by SymPy's matrix calculus.
* OU input with covariance e^{−θ|τ|}: J_θ = ∫∫ e(s)e(s′)e^{−θ|s−s′|}; SymPy derives the pair kernel
  K_θ(w_i, w_k) and the target cross term through G(w) and G(θ).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.linalg as sl
import sympy as sp
from sympy.core.function import AppliedUndef

from theory.errors import ParameterError, require
from theory.linear_memory.kernels import LHEL, MemoryKernel, t
from theory.linear_memory.model import DiagonalRNN, LinearRNN
from theory.symbolic.cache import symbolic_cache
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import (
    Derivation,
    Reference,
    Step,
    derivation,
    prove_equal,
    tidy_sums,
)
from theory.symbolic.nonlinearities import named_function

__all__ = [
    "loss_derivation",
    "gramian_derivation",
    "ou_loss_derivation",
    "DiagonalLoss",
    "diagonal_loss",
    "general_loss",
    "GeneralLossValue",
    "OULoss",
]

ai, ak = sp.symbols("a_i a_k", real=True)
wi, wk = sp.symbols("w_i w_k", positive=True)
sv = sp.Symbol("s", positive=True)
theta = sp.Symbol("theta", positive=True)
sp_ = sp.Symbol("s'", nonnegative=True)
Gf = sp.Function("G", real=True)
rho = named_function("rho", r"\rho")  # the target memory kernel (abstract)
Nrho = sp.Symbol(r"\|\rho\|_2^2", nonnegative=True)


# ============================================================================ diagonal model
@functools.cache
def loss_derivation() -> Derivation:
    """J and its gradients for the diagonal model (white-noise input), for general width m."""
    pair = prove_equal(
        sp.integrate(ai * ak * sp.exp(-(wi + wk) * t), (t, 0, sp.oo)), ai * ak / (wi + wk), "pair"
    )
    target = sp.Integral(ai * sp.exp(-wi * t) * rho(t), (t, 0, sp.oo))
    # general width m in index notation: SymPy differentiates the double sum
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    m_s = sp.Symbol("m", integer=True, positive=True)
    aI, wI = sp.IndexedBase("a", real=True), sp.IndexedBase("w", positive=True)
    Js = sp.Symbol("J", nonnegative=True)
    pair_ik = pair.subs({ai: aI[i], ak: aI[k], wi: wI[i], wk: wI[k]})
    J_m = (
        sp.Sum(sp.Sum(pair_ik, (k, 1, m_s)), (i, 1, m_s))
        - 2 * sp.Sum(aI[i] * Gf(wI[i]), (i, 1, m_s))
        + Nrho
    )

    def one_dummy(e: sp.Expr) -> sp.Expr:
        """Rename every summation index to k (the free index is j) and factor the summands."""
        return e.replace(
            lambda s: isinstance(s, sp.Sum),
            lambda s: sp.Sum(
                sp.factor(s.function.xreplace({s.limits[0][0]: k})), (k, *s.limits[0][1:])
            ),
        )

    sv_ = sp.Symbol("s", positive=True)
    E_m = sp.Sum(aI[k] / (sv_ + wI[k]), (k, 1, m_s)) - Gf(sv_)
    dJ_da = one_dummy(tidy_sums(sp.diff(J_m, aI[j]).doit()))
    dJ_dw = one_dummy(tidy_sums(sp.diff(J_m, wI[j]).doit()))
    grad_a_m = prove_equal(dJ_da, 2 * E_m.subs(sv_, wI[j]), "dJ/da_j = 2 E(w_j)")
    dE = sp.diff(E_m, sv_).subs(sv_, wI[j])
    grad_w_m = prove_equal(dJ_dw, one_dummy(2 * aI[j] * tidy_sums(dE.doit())), "dJ/dw_j")
    # explicit m = 3 instance: SymPy differentiates, the E-form is verified
    m = 3
    a = sp.symbols("a_1:4", real=True)
    w = sp.symbols("w_1:4", positive=True)
    J3 = (
        sum(
            pair.subs({ai: a[i_], ak: a[k_], wi: w[i_], wk: w[k_]})
            for i_ in range(m)
            for k_ in range(m)
        )
        - 2 * sum(a[i_] * Gf(w[i_]) for i_ in range(m))
        + Nrho
    )
    E = sum(a[k_] / (sv + w[k_]) for k_ in range(m)) - Gf(sv)
    dJ_da1 = sp.diff(J3, a[0])
    dJ_dw1 = sp.diff(J3, w[0])
    if sp.simplify(dJ_da1 - 2 * E.subs(sv, w[0])) != 0:  # the derivation validates itself
        raise AssertionError("dJ/da_1 != 2 E(w_1)")
    if sp.simplify(dJ_dw1 - 2 * a[0] * sp.diff(E, sv).subs(sv, w[0])) != 0:
        raise AssertionError("dJ/dw_1 != 2 a_1 E'(w_1)")
    grad_a_pair = sp.diff(pair, ai)  # ∂/∂a_i of one (i,k) pair, counted twice by symmetry
    grad_w_pair = sp.diff(pair, wi)
    steps = [
        Step(
            "loss",
            sp.Eq(
                Js, sp.Integral((sp.Symbol(r"\hat\rho(t)", real=True) - rho(t)) ** 2, (t, 0, sp.oo))
            ),
            r"For white-noise input the mean squared error of the linear functional with "
            r"memory kernel $\hat\rho$ against the target with kernel $\rho$ is, by the It\^o "
            r"isometry,",
            "Sec. 5",
            title="Loss",
        ),
        Step(
            "pair_term",
            sp.Eq(sp.Integral(ai * ak * sp.exp(-(wi + wk) * t), (t, 0, sp.oo)), pair),
            r"For $\hat\rho(t)=\sum_{i=1}^ma_ie^{-w_it}$ SymPy integrates the model--model terms",
            title="Model and target terms",
        ),
        Step(
            "target_term",
            sp.Eq(target, ai * Gf(wi)),
            r"and the model--target terms are the Laplace transform $G$ of the target at the "
            r"decay rates:",
        ),
        Step(
            "loss_general",
            sp.Eq(Js, J_m),
            r"So, for any width $m$,",
        ),
        Step("loss_m3", sp.Eq(Js, J3), hidden=True),
        Step(
            "grad_a",
            sp.Eq(sp.Derivative(Js, aI[j]), grad_a_m),
            r"SymPy differentiates the double sum in index notation (collapsing the Kronecker "
            r"deltas and merging the two halves of the symmetric sum) and recognises the error "
            r"function $E$ of \stepref{error_function}:",
            title="Gradients",
        ),
        Step("grad_w", sp.Eq(sp.Derivative(Js, wI[j]), grad_w_m)),
        Step(
            "error_function",
            sp.Eq(sp.Function("E", real=True)(sv_), E_m),
            r"so that $\partial J/\partial a_j=2E(w_j)$ and $\partial J/\partial w_j=2a_jE'(w_j)$ "
            r"with",
            "Sec. 5",
        ),
        Step(
            "gradients_m3",
            sp.Eq(sp.Derivative(Js, a[0]), sp.factor_terms(dJ_da1)),
            title="the gradients of the explicit width-3 loss equal the general forms",
            hidden=True,
        ),
        Step(
            "pair_grad_a",
            sp.Eq(sp.Symbol(r"\partial_{a_i}p_{ik}", real=True), grad_a_pair),
            hidden=True,
        ),
        Step(
            "pair_grad_w",
            sp.Eq(sp.Symbol(r"\partial_{w_i}p_{ik}", real=True), grad_w_pair),
            hidden=True,
        ),
    ]
    return Derivation(
        name="linear_memory_loss_diagonal",
        title="White-noise loss of the diagonal linear RNN and its gradients",
        steps=steps,
        references=[Reference(LHEL.work, "Sec. 5", key="li2022")],
        summary=(
            r"The loss of the diagonal linear RNN \cite{li2022} in closed form, for any width $m$: "
            r"SymPy integrates the terms of the loss, differentiates it in index notation, and "
            r"checks the result against the explicit width-3 model. Stationary points satisfy "
            r"$E(w_i)=0$ and $a_iE'(w_i)=0$ for every unit."
        ),
        notation=[
            (r"a_i", r"the read-out weights times the input weights"),
            (r"w_i>0", "the decay rates"),
            (r"G(s)=\int_0^\infty e^{-st}\rho(t)\,dt", "the Laplace transform of the target"),
            (Nrho, "its squared norm"),
        ],
    )


@derivation("linear_memory_loss_diagonal", theory="linear_memory")
def _registered_loss() -> Derivation:
    return loss_derivation()


@dataclass(frozen=True)
class _DiagCompiled:
    pair: CompiledFunction  # (a_i, a_k, w_i, w_k)
    pair_da: CompiledFunction
    pair_dw: CompiledFunction
    fused: CompiledFunction  # (pair, pair_da, pair_dw) in one call


@functools.cache
def _diag_compiled() -> _DiagCompiled:
    d = loss_derivation()
    pair = d["pair_term"].rhs
    args = [ai, ak, wi, wk]
    return _DiagCompiled(
        compile_function(pair, args),
        compile_function(d.rhs("pair_grad_a"), args),
        compile_function(d.rhs("pair_grad_w"), args),
        compile_function((pair, d.rhs("pair_grad_a"), d.rhs("pair_grad_w")), args),
    )


@dataclass(frozen=True)
class DiagonalLoss:
    """Compiled J(a, w) and ∇J for a fixed target (white-noise input).

    Parameters
    ----------
    kernel:
        The target ρ (closed-form G compiled, or quadrature for e.g. Airy).
    """

    kernel: MemoryKernel

    @functools.cached_property
    def norm_sq(self) -> float:
        return self.kernel.l2_norm_sq()

    def value(self, a: np.ndarray, w: np.ndarray) -> float:
        """J = Σ_ik a_ia_k/(w_i+w_k) − 2Σ_i a_iG(w_i) + ‖ρ‖² (compiled terms).

        Raises
        ------
        ParameterError
            Unless a, w are finite 1-d arrays of one length with w > 0, or if J is not finite
            (rates so small that a²/(2w) overflows).
        """
        a, w = _check_aw(a, w)
        c = _diag_compiled()
        A1, A2 = np.meshgrid(a, a, indexing="ij")
        W1, W2 = np.meshgrid(w, w, indexing="ij")
        with np.errstate(over="ignore", invalid="ignore"):
            J = float(
                np.sum(c.pair(A1, A2, W1, W2))
                - 2 * np.dot(a, self.kernel.laplace(w))
                + self.norm_sq
            )
        _require_finite_result("J", J, w)
        return J

    def gradient(self, a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(∂J/∂a, ∂J/∂w) = (2E(w_i), 2a_iE′(w_i)) assembled from the compiled pair derivatives."""
        a, w = _check_aw(a, w)
        c = _diag_compiled()
        A1, A2 = np.meshgrid(a, a, indexing="ij")
        W1, W2 = np.meshgrid(w, w, indexing="ij")
        with np.errstate(over="ignore", invalid="ignore"):
            ga = 2 * np.sum(c.pair_da(A1, A2, W1, W2), axis=1) - 2 * self.kernel.laplace(w)
            gw = 2 * np.sum(c.pair_dw(A1, A2, W1, W2), axis=1) - 2 * a * self.kernel.dlaplace(w)
        _require_finite_result("gradient", np.concatenate([ga, gw]), w)
        return ga, gw

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """J and ∇J at θ = (a, w) (one pass over the compiled terms)."""
        m = theta.size // 2
        a, w = theta[:m], theta[m:]
        # hot loop: the raw lambdified function of the compiled pair terms (inputs are float arrays)
        pair, pda, pdw = _diag_compiled().fused.func(a[:, None], a[None, :], w[:, None], w[None, :])
        G, dG = self.kernel.laplace_and_derivative(w)
        J = float(np.sum(pair) - 2 * np.dot(a, G) + self.norm_sq)
        ga = 2 * np.sum(pda, axis=1) - 2 * G
        gw = 2 * np.sum(pdw, axis=1) - 2 * a * dG
        return J, np.concatenate([ga, gw])

    def error_function(
        self, a: np.ndarray, w: np.ndarray, ss: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """E(s) = Σ_k a_k/(s+w_k) − G(s) and E′(s) (stationarity: E(w_i) = E′(w_i) = 0)."""
        ss = np.asarray(ss, dtype=float)
        E = np.sum(a / (ss[..., None] + w), axis=-1) - self.kernel.laplace(ss)
        dE = -np.sum(a / (ss[..., None] + w) ** 2, axis=-1) - self.kernel.dlaplace(ss)
        return E, dE


def _check_aw(a: Any, w: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=float)
    w = np.asarray(w, dtype=float)
    require(
        a.ndim == 1 and a.shape == w.shape and a.size >= 1,
        "a, w",
        (a.shape, w.shape),
        "1-d arrays of one length >= 1",
    )
    require(bool(np.all(np.isfinite(a))), "a", a, "finite coefficients")
    require(bool(np.all(np.isfinite(w)) and np.all(w > 0)), "w", w, "finite rates w_i > 0")
    return a, w


def _require_finite_result(what: str, value: Any, w: np.ndarray) -> None:
    if not np.all(np.isfinite(value)):
        raise ParameterError(
            "w",
            w,
            f"rates for which {what} is finite (J contains a_i^2/(2 w_i) and G(w_i), "
            "which overflow as w_i -> 0)",
        )


def diagonal_loss(kernel: MemoryKernel) -> DiagonalLoss:
    """The compiled white-noise loss of the diagonal model for target ``kernel``."""
    return DiagonalLoss(kernel)


# ============================================================================ general model
@functools.cache
def gramian_derivation() -> Derivation:
    """Lyapunov equations, J = cᵀPc − 2cᵀM_ρU + ‖ρ‖², and ∇_c J, ∇_U J by matrix calculus."""
    m = sp.Symbol("m", integer=True, positive=True)
    W = sp.MatrixSymbol("W", m, m)
    U = sp.MatrixSymbol("U", m, 1)
    c = sp.MatrixSymbol("c", m, 1)
    P = sp.MatrixSymbol("P", m, m)
    Q = sp.MatrixSymbol("Q", m, m)
    M = sp.MatrixSymbol("M_rho", m, m)
    Js = sp.Symbol("J", nonnegative=True)
    Jc_m = c.T * P * c - 2 * c.T * M * U
    JU_m = U.T * Q * U - 2 * c.T * M * U
    grad_c = sp.diff(Jc_m, c)
    grad_U = sp.diff(JU_m, U)
    Jc = sp.Add(
        sp.Symbol(r"c^\top Pc", real=True), -2 * sp.Symbol(r"c^\top M_\rho U", real=True), Nrho
    )
    JU = sp.Add(
        sp.Symbol(r"U^\top QU", real=True), -2 * sp.Symbol(r"c^\top M_\rho U", real=True), Nrho
    )
    # the Gramians are symmetric: the matrix derivatives simplify
    grad_c_sym = grad_c.subs(P.T, P).doit()
    grad_U_sym = grad_U.subs(Q.T, Q).doit()
    # Lyapunov: d/dt (e^{Wt} U U^T e^{W^T t}) = W X + X W^T, integrated over (0, ∞) with X(∞) = 0
    Xf = sp.Function("X", real=True)
    lyap = sp.Eq(W * P + P * W.T + U * U.T, sp.ZeroMatrix(m, m), evaluate=False)
    lyapQ = sp.Eq(W.T * Q + Q * W + c * c.T, sp.ZeroMatrix(m, m), evaluate=False)
    # 1-d sanity instance (m = 1, W = -w): SymPy's integral gives P = u^2/(2w)
    w1, u1 = sp.Symbol("w", positive=True), sp.Symbol("u", real=True)
    P1 = sp.integrate((sp.exp(-w1 * t) * u1) ** 2, (t, 0, sp.oo))
    if sp.simplify(-w1 * P1 - P1 * w1 + u1**2) != 0:  # pragma: no cover - validates itself
        raise AssertionError("scalar Lyapunov equation fails")
    steps = [
        Step(
            "kernel",
            sp.Eq(sp.Symbol(r"\hat\rho(t)", real=True), sp.Symbol(r"c^\top e^{Wt}U", real=True)),
            r"The general model $\dot h=Wh+Ux$, $\hat y=c^\top h$ with $W$ Hurwitz has the memory "
            r"kernel",
            "Sec. 3",
            title="Memory kernel of the general model",
        ),
        Step(
            "controllability",
            lyap,
            r"The controllability Gramian $P=\int_0^\infty e^{Wt}UU^\top e^{W^\top t}dt$ solves a "
            r"Lyapunov equation: integrate $\tfrac{d}{dt}X=WX+XW^\top$ for "
            r"$X=e^{Wt}UU^\top e^{W^\top t}$ over $(0,\infty)$ (SymPy checks the scalar case "
            r"$W=-w$).",
            title="Gramians",
        ),
        Step(
            "observability",
            lyapQ,
            r"Likewise the observability Gramian $Q=\int_0^\infty e^{W^\top t}cc^\top e^{Wt}dt$:",
        ),
        Step(
            "scalar_instance",
            sp.Eq(sp.Symbol("P_{m=1}", positive=True), P1),
            title="the scalar Gramian $u^2/2w$ solves $-2wP+u^2=0$",
            hidden=True,
        ),
        Step(
            "loss",
            sp.Eq(Js, Jc),
            r"With $M_\rho(W)=\int_0^\infty\rho(t)e^{Wt}dt$ the loss $J=\int(\hat\rho-\rho)^2$ "
            r"is",
            title="Loss",
        ),
        Step(
            "loss_U",
            sp.Eq(Js, JU),
            r"or, since $c^\top Pc=U^\top QU$,",
        ),
        Step(
            "grad_c",
            sp.Eq(sp.MatrixSymbol(r"\nabla_c J", m, 1), grad_c_sym, evaluate=False),
            r"SymPy's matrix calculus differentiates the two forms; with the Gramians symmetric",
            title="Gradients",
        ),
        Step(
            "grad_U",
            sp.Eq(sp.MatrixSymbol(r"\nabla_U J", m, 1), grad_U_sym, evaluate=False),
        ),
    ]
    del Xf
    return Derivation(
        name="linear_memory_loss_gramian",
        title="Loss of the general linear RNN: Gramians and gradients",
        steps=steps,
        references=[Reference(LHEL.work, "Secs. 3 and 5", key="li2022")],
        summary=(
            r"For the general linear RNN of \cite{li2022} the loss and its gradients in $c$ and "
            r"$U$ follow from the Gramians, which solve Lyapunov equations (the solver calls "
            r"SciPy's continuous Lyapunov solver). The Gramian form is our re-derivation."
        ),
        notation=[
            (
                r"W\in\mathbb R^{m\times m},\ U,c\in\mathbb R^m",
                "the recurrent, input and read-out weights",
            ),
            (Nrho, r"the squared norm of the target kernel $\rho$"),
        ],
    )


@derivation("linear_memory_loss_gramian", theory="linear_memory")
def _registered_gramian() -> Derivation:
    return gramian_derivation()


@dataclass(frozen=True)
class GeneralLossValue:
    """J and its gradients for a general model (Gramian form)."""

    J: float
    grad_c: np.ndarray
    grad_U: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    M: np.ndarray


def memory_matrix(kernel: MemoryKernel, W: np.ndarray) -> np.ndarray:
    """M_ρ(W) = ∫_0^∞ ρ(t) e^{Wt} dt: exponential-sum targets Σ b_j(v_jI − W)^{−1} exactly; otherwise
    W = VΛV^{−1} with real spectrum → V diag(G(−λ)) V^{−1} (compiled G)."""
    m = W.shape[0]
    if all(tm.family.name == "exponential" for tm in kernel.terms):
        # builtins.sum is typed `T | Literal[0]` (the 0 of an empty sum); kernels have >= 1 term
        return cast(
            np.ndarray,
            sum(tm.values[0] * np.linalg.inv(tm.values[1] * np.eye(m) - W) for tm in kernel.terms),
        )
    lam, V = np.linalg.eig(W)
    if np.max(np.abs(lam.imag)) > 0:
        raise ParameterError(
            "W",
            "matrix with complex eigenvalues",
            "real spectrum for non-exponential targets (G is compiled on the real axis)",
        )
    return np.real(V @ np.diag(kernel.laplace(-lam.real)) @ np.linalg.inv(V))


def general_loss(kernel: MemoryKernel, model: LinearRNN) -> GeneralLossValue:
    """J = cᵀPc − 2cᵀM_ρU + ‖ρ‖², ∇_cJ = 2Pc − 2M_ρU, ∇_UJ = 2QU − 2M_ρᵀc (:func:`gramian_derivation`)."""
    W, U, c = model.W, model.U, model.c
    P = sl.solve_continuous_lyapunov(W, -np.outer(U, U))
    Q = sl.solve_continuous_lyapunov(W.T, -np.outer(c, c))
    M = memory_matrix(kernel, W)
    J = float(c @ P @ c - 2 * c @ M @ U + kernel.l2_norm_sq())
    return GeneralLossValue(J, 2 * P @ c - 2 * M @ U, 2 * Q @ U - 2 * M.T @ c, P, Q, M)


# ============================================================================ OU input
@symbolic_cache
def _ou_pieces() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """k_w(s'), K_θ(w_i, w_k) and C_θ(w_i) (slow symbolic steps, cached on disk)."""
    # k_w(s') = ∫_0^∞ e^{-w s} e^{-θ|s-s'|} ds, split at s = s'
    k_w = sp.integrate(sp.exp(-wi * t) * sp.exp(-theta * (sp_ - t)), (t, 0, sp_)) + sp.integrate(
        sp.exp(-wi * t) * sp.exp(-theta * (t - sp_)), (t, sp_, sp.oo), conds="none"
    )
    # generic branch θ ≠ w of SymPy's Piecewise (w = θ is the removable limit)
    k_w = k_w.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0][0])
    k_w = sp.powsimp(sp.expand(k_w), combine="exp")
    k_w = k_w.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(sp.expand(e.args[0])))
    Xs, Ys = sp.symbols("X Y", positive=True)
    kk = sp.simplify(
        k_w.subs(
            {
                sp.exp(-sp_ * wi): Xs,
                sp.exp(sp_ * wi): 1 / Xs,
                sp.exp(-sp_ * theta): Ys,
                sp.exp(sp_ * theta): 1 / Ys,
            }
        )
    )
    alpha, beta_ = sp.simplify(sp.diff(kk, Xs)), sp.simplify(sp.diff(kk, Ys))
    if (
        alpha.has(Xs, Ys, sp_)
        or beta_.has(Xs, Ys, sp_)
        or sp.simplify(kk - alpha * Xs - beta_ * Ys) != 0
    ):
        raise AssertionError(f"k_w is not a combination of e^(-w s') and e^(-theta s'): {kk}")
    k_w = alpha * sp.exp(-wi * sp_) + beta_ * sp.exp(-theta * sp_)
    K = alpha * sp.integrate(sp.exp(-(wi + wk) * sp_), (sp_, 0, sp.oo)) + beta_ * sp.integrate(
        sp.exp(-(theta + wk) * sp_), (sp_, 0, sp.oo)
    )
    K = sp.factor(sp.simplify(K))
    # cross with a target: ∫ρ(s')k_w(s')ds' = α G(w) + β G(θ)
    cross = alpha * Gf(wi) + beta_ * Gf(theta)
    # consistency: for the target e^{-w_k t} (one neuron, G(x) = 1/(x + w_k)) the cross term is K
    if (
        sp.simplify(_replace_G(cross, lambda x: 1 / (x + wk)) - K) != 0
    ):  # pragma: no cover - validates itself
        raise AssertionError("OU cross term mismatch")
    return (k_w, K, cross)


@functools.cache
def ou_loss_derivation() -> Derivation:
    """Loss for an OU input with covariance e^{−θ|τ|}: pair kernel K_θ and the target cross term."""
    k_w, K, cross = _ou_pieces()
    Js = sp.Symbol(r"J_\theta", nonnegative=True)
    steps = [
        Step(
            "loss",
            sp.Eq(Js, sp.Symbol(r"\iint e(s)e(s')e^{-\theta|s-s'|}\,ds\,ds'", real=True)),
            r"For the Ornstein--Uhlenbeck input $dx=-\theta x\,dt+\sqrt{2\theta}\,dB$ (unit "
            r"variance, correlation $e^{-\theta|\tau|}$) and the error kernel $e=\hat\rho-\rho$ "
            r"the loss is",
            title="Loss",
        ),
        Step(
            "filter",
            sp.Eq(sp.Function("k_w", real=True)(sp_), k_w),
            r"SymPy integrates $\int_0^\infty e^{-ws}e^{-\theta|s-s'|}ds$, split at $s=s'$ "
            r"(for $w\neq\theta$; $w=\theta$ is the removable limit):",
            title="Filtered exponential",
        ),
        Step(
            "pair_kernel",
            sp.Eq(sp.Function(r"K_\theta", real=True)(wi, wk), K),
            r"The model--model term per $a_ia_k$ and the model--target term per $a_i$, through "
            r"the Laplace transform $G$ of the target at $w_i$ and $\theta$ (SymPy checks the "
            r"second against the first for the target $e^{-w_kt}$), are",
            title="Model and target terms",
        ),
        Step(
            "cross_term",
            sp.Eq(sp.Function(r"C_\theta", real=True)(wi), cross),
        ),
    ]
    return Derivation(
        name="linear_memory_loss_ou",
        title="Loss of the diagonal linear RNN under Ornstein--Uhlenbeck input",
        steps=steps,
        references=[Reference(LHEL.work, "Sec. 5", key="li2022")],
        summary=(
            r"The loss of the diagonal model \derivref{linear_memory_loss_diagonal} for a "
            r"correlated input, our re-derivation: "
            r"$J_\theta=\sum_{i,k}a_ia_kK_\theta(w_i,w_k)-2\sum_ia_iC_\theta(w_i)+N_\theta$, "
            r"where $N_\theta$ does not depend on the model. As $\theta\to\infty$, with $J_\theta$ "
            r"rescaled by $\theta/2$, it tends to the white-noise loss."
        ),
    )


@derivation("linear_memory_loss_ou", theory="linear_memory")
def _registered_ou() -> Derivation:
    return ou_loss_derivation()


def _replace_G(expr: sp.Expr, func: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """Substitute the undefined function G (matched by name: a disk-cached rebuild may drop its
    assumptions) by ``func``."""
    return expr.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "G", lambda e: func(e.args[0])
    )


@dataclass(frozen=True)
class OULoss:
    """Compiled OU-input loss J_θ(a, w) and gradient for exponential-sum targets ρ = Σ b_j e^{−v_j t}.

    The cross term C_θ(w) is singular-looking at w = θ (removable); rates equal to θ to 1e-6 are
    rejected.
    """

    kernel: MemoryKernel
    theta: float

    def __post_init__(self) -> None:
        require(self.theta > 0, "theta", self.theta, "theta > 0")
        require(
            all(tm.family.name == "exponential" for tm in self.kernel.terms),
            "kernel",
            self.kernel.label,
            "an exponential-sum target for the OU loss",
        )

    @functools.cached_property
    def _fns(self) -> tuple[CompiledFunction, CompiledFunction, CompiledFunction, CompiledFunction]:
        d = ou_loss_derivation()
        K = d.rhs("pair_kernel")
        bb = sp.Symbol("b", real=True)
        vv = sp.Symbol("v", positive=True)
        cross = _replace_G(d.rhs("cross_term"), lambda x: bb / (x + vv))
        return (
            compile_function(K, [wi, wk, theta]),
            compile_function(sp.diff(K, wi), [wi, wk, theta]),
            compile_function(cross, [wi, bb, vv, theta]),
            compile_function(sp.diff(cross, wi), [wi, bb, vv, theta]),
        )

    def _bv(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([tm.values[0] for tm in self.kernel.terms]), np.array(
            [tm.values[1] for tm in self.kernel.terms]
        )

    def value(self, a: np.ndarray, w: np.ndarray) -> float:
        K, _, Cr, _ = self._fns
        b, v = self._bv()
        require(bool(np.all(np.abs(w - self.theta) > 1e-6)), "w", w, "rates different from theta")
        W1, W2 = np.meshgrid(w, w, indexing="ij")
        V1, V2 = np.meshgrid(v, v, indexing="ij")
        cross = np.sum(Cr(w[:, None], b[None, :], v[None, :], self.theta), axis=1)
        N = b @ K(V1, V2, self.theta) @ b
        return float(a @ K(W1, W2, self.theta) @ a - 2 * a @ cross + N)

    def gradient(self, a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K, dK, Cr, dCr = self._fns
        b, v = self._bv()
        W1, W2 = np.meshgrid(w, w, indexing="ij")
        cross = np.sum(Cr(w[:, None], b[None, :], v[None, :], self.theta), axis=1)
        dcross = np.sum(dCr(w[:, None], b[None, :], v[None, :], self.theta), axis=1)
        ga = 2 * K(W1, W2, self.theta) @ a - 2 * cross
        gw = 2 * a * (dK(W1, W2, self.theta) @ a) - 2 * a * dcross
        return ga, gw


def model_from_theta(theta_vec: np.ndarray) -> DiagonalRNN:
    """DiagonalRNN from θ = (a, w)."""
    return DiagonalRNN.from_params(theta_vec)
