r"""Plateaus of the gradient flow: the curse of memory in optimization.

LHEL = Li, Han, E, Li, "Approximation and optimization theory for linear continuous-time recurrent
neural networks", JMLR 23 (2022), Sec. 5 (plateau lower bound ∝ e^{c/ω}); the experiment and the
quasi-static estimate below are ours (derivation ``linear_memory_plateau``).

Delayed-memory target ρ = e^{−t} + A e^{−(t−μ)²}, width m = 2, start (a₁, w₁) = (1, 1),
(a₂, w₂) = (0, w₀ = 1); τ_exit = first τ with J ≤ J(0) − 0.1‖bump‖². The bump enters every
gradient through G_bump(w) ≈ A√π e^{w²/4 − wμ} (SymPy's μ → ∞ form of the erfc transform), and the
quasi-static estimate is τ_qs = 1/(8 w₀ μ² G_∞(w₀)²) = e^{2w₀μ − w₀²/2}/(8πA²w₀μ²), whose
slope d ln τ_qs/dμ = 2w₀ − 2/μ (:func:`plateau_derivation`).
Contrasts: non-delayed long memory √(2ω)e^{−ωt} (power-law slowdown only), and ρ = Ai(t − t₀)
(slower as t₀ grows).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory.errors import ConvergenceError, is_finite_number, require
from theory.linear_memory.gradient_flow import FlowResult, gradient_flow
from theory.linear_memory.kernels import (
    LHEL,
    MemoryKernel,
    airy_kernel,
    exponential_sum,
    family,
    gaussian_bump,
    s,
)
from theory.linear_memory.loss import diagonal_loss
from theory.linear_memory.model import DiagonalRNN
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = [
    "plateau_derivation",
    "quasi_static_tau",
    "quasi_static_slope",
    "delayed_target",
    "nondelayed_target",
    "EscapeResult",
    "escape_time",
    "airy_escape_time",
]

mu = sp.Symbol("mu", positive=True)
w0 = sp.Symbol("w_0", positive=True)
A = sp.Symbol("A", positive=True)


@functools.cache
def plateau_derivation() -> Derivation:
    """Asymptotic bump transform, the quasi-static escape time and its slope in μ."""
    fam = family("gaussian_bump")
    Ab, mub = fam.params
    assert fam.laplace is not None  # the bump has a closed-form transform (kernels module docs)
    G = fam.laplace.subs({Ab: A, mub: mu})
    # μ → ∞ at fixed s: erf(μ − s/2) → 1
    G_inf = sp.simplify(G.replace(sp.erf, lambda x: 1))
    ratio = sp.limit(G / G_inf, mu, sp.oo)
    if ratio != 1:  # pragma: no cover - validates itself
        raise AssertionError(f"G/G_inf -> {ratio}")
    Ginf_w0 = G_inf.subs(s, w0)
    tau_qs = sp.simplify(1 / (8 * w0 * mu**2 * Ginf_w0**2))
    slope = sp.simplify(sp.diff(sp.log(tau_qs), mu))
    T = sp.Symbol(r"\tau_{qs}", positive=True)
    steps = [
        Step(
            "bump_transform",
            sp.Eq(sp.Function(r"G_{\rm bump}", real=True)(s), G),
            r"SymPy's Laplace transform of the delayed part $Ae^{-(t-\mu)^2}$ of the target is",
            title="Transform of the delayed memory",
        ),
        Step(
            "asymptotic_transform",
            sp.Eq(sp.Function(r"G_\infty", real=True)(s), G_inf),
            r"For a long delay ($\mu\to\infty$; SymPy checks $G_{\rm bump}/G_\infty\to1$) every "
            r"gradient carries the factor $e^{-w\mu}$:",
        ),
        Step(
            "quasi_static_time",
            sp.Eq(T, tau_qs),
            r"Our quasi-static estimate $\tau_{qs}=1/(8w_0\mu^2G_\infty(w_0)^2)$ of the length of "
            r"the plateau, with all rates $\ge w_0$, is",
            title="Escape time",
        ),
        Step(
            "slope",
            sp.Eq(sp.Derivative(sp.log(T), mu), slope),
            r"Its exponential rate in the delay tends to $2w_0$: the curse of memory in "
            r"optimisation \cite[Sec. 5]{li2022}.",
        ),
    ]
    return Derivation(
        name="linear_memory_plateau",
        title="Plateau of the gradient flow on delayed memory",
        steps=steps,
        references=[
            Reference(LHEL.work, "Sec. 5", key="li2022"),
        ],
        summary=(
            r"Plateaus of the gradient flow of the loss \derivref{linear_memory_loss_diagonal} "
            r"on a target with delayed memory, $\rho=e^{-t}+Ae^{-(t-\mu)^2}$, for the diagonal "
            r"model of width 2 started at $(a,w)=((1,0),(1,w_0))$. The quasi-static estimate of "
            r"the escape time and the delayed-memory experiment are ours."
        ),
    )


@derivation("linear_memory_plateau", theory="linear_memory")
def _registered_plateau() -> Derivation:
    return plateau_derivation()


@functools.cache
def _qs_fns() -> tuple[CompiledFunction, CompiledFunction]:
    d = plateau_derivation()
    return compile_function(d.rhs("quasi_static_time"), [mu, w0, A]), compile_function(
        d.rhs("slope"), [mu, w0, A]
    )


def quasi_static_tau(mu_: float, w0_: float = 1.0, A_: float = 1.0) -> float:
    """τ_qs(μ) = e^{2w₀μ − w₀²/2}/(8πA²w₀μ²) (compiled from :func:`plateau_derivation`).

    Raises
    ------
    ParameterError
        Unless μ > 0, w₀ > 0, A ≠ 0 are finite and τ_qs is a finite float (2w₀μ ≲ 700).
    """
    for name, v in (("mu", mu_), ("w0", w0_)):
        require(is_finite_number(v) and v > 0, name, v, f"a finite {name} > 0")
    require(is_finite_number(A_) and A_ != 0, "A", A_, "a finite amplitude A != 0")
    with np.errstate(over="ignore"):
        val = float(_qs_fns()[0](mu_, w0_, A_))
    require(
        math.isfinite(val),
        "mu",
        mu_,
        f"2*w0*mu small enough that tau_qs = exp(2 w0 mu)/... is a finite float (w0 = {w0_})",
    )
    return val


def quasi_static_slope(mu1: float, mu2: float, w0_: float = 1.0, A_: float = 1.0) -> float:
    """Secant slope [ln τ_qs(μ₂) − ln τ_qs(μ₁)]/(μ₂ − μ₁)."""
    return (math.log(quasi_static_tau(mu2, w0_, A_)) - math.log(quasi_static_tau(mu1, w0_, A_))) / (
        mu2 - mu1
    )


def delayed_target(mu_: float, A_: float = 1.0) -> tuple[MemoryKernel, MemoryKernel]:
    """(ρ, bump) with ρ = e^{−t} + A e^{−(t−μ)²}."""
    require(is_finite_number(mu_) and mu_ > 0, "mu", mu_, "a finite lag mu > 0")
    bump = gaussian_bump(A_, mu_)
    return exponential_sum([1.0], [1.0]) + bump, bump


def nondelayed_target(omega: float) -> tuple[MemoryKernel, MemoryKernel]:
    """(ρ, slow part) with ρ = e^{−t} + √(2ω) e^{−ωt} (‖slow part‖₂ = 1)."""
    require(0 < omega < 1, "omega", omega, "0 < omega < 1")
    slow = exponential_sum([math.sqrt(2 * omega)], [omega])
    return exponential_sum([1.0], [1.0]) + slow, slow


@dataclass(frozen=True)
class EscapeResult:
    """Escape from the plateau: τ_exit and the flow."""

    tau_exit: float
    level: float
    flow: FlowResult


def escape_time(
    target: MemoryKernel,
    part: MemoryKernel,
    *,
    w0_: float = 1.0,
    drop: float = 0.1,
    tau_max: float = 1e9,
    stop: bool = True,
) -> EscapeResult:
    """τ_exit = first τ with J ≤ J(0) − drop·‖part‖² from (a, w) = ((1, 0), (1, w₀)).

    The experiment of derivation ``linear_memory_plateau``. Any kernels work, shipped or user
    (:func:`~theory.linear_memory.kernels.from_expression`, ``from_callable``): the flow needs
    G and G′ of ``target`` (closed form or quadrature) and ‖part‖₂², finite for the integrable,
    bounded kernels the constructors accept. The quasi-static estimate
    (:func:`quasi_static_tau`) is for the Gaussian bump only.

    Precision: from the plateau the second unit is driven by ∂J/∂a₂ = −2 G_part(w₀), computed
    as the difference of terms of size |G_target(w₀)|, so its rounding is ε·|G_target(w₀)|
    (ε = 2.2e-16). When that exceeds ``rtol``·|G_part(w₀)| (``rtol`` = 1e-8, the flow's
    tolerance) the right-hand side is not known to the accuracy the integrator is asked for: the
    flow cannot follow the escape in double precision (for the Gaussian bump at w₀ = A = 1:
    μ ≳ 19.5, where τ_qs ≳ 1e12; at μ = 40 the drive, 1e-17, is below the rounding of G itself
    and the start is an exact fixed point in floating point, where the integrator used to crawl
    for minutes). Then :class:`~theory.errors.ConvergenceError` is raised at once, naming the
    drive, the limit and :func:`quasi_static_tau`.
    """
    require(0 < drop < 1, "drop", drop, "0 < drop < 1")
    require(is_finite_number(w0_) and w0_ > 0, "w0", w0_, "a finite initial rate w0 > 0")
    _require_resolvable_drive(target, part, w0_)
    loss = diagonal_loss(target)
    m0 = DiagonalRNN([1.0, 0.0], [1.0, w0_])
    J0 = loss.value(m0.a, m0.w)
    level = J0 - drop * part.l2_norm_sq()
    flow = gradient_flow(loss, m0, tau_max, level=level, stop_at_level=stop)
    return EscapeResult(_exit(flow, level, tau_max), level, flow)


#: Relative tolerance of the escape flows (gradient_flow's default).
FLOW_RTOL = 1e-8


def _require_resolvable_drive(target: MemoryKernel, part: MemoryKernel, w0_: float) -> None:
    """ConvergenceError unless the part's drive G_part(w₀) of the plateau exceeds the rounding of
    the gradient, ε·|G_target(w₀)|, by 1/FLOW_RTOL (:func:`escape_time`, Precision)."""
    ss = np.array([float(w0_)])
    g_target = abs(float(target.laplace(ss)[0]))
    g_part = abs(float(part.laplace(ss)[0]))
    noise = float(np.finfo(float).eps) * g_target
    if g_part * FLOW_RTOL > noise:
        return
    raise ConvergenceError(
        f"the delayed part drives the escape from the plateau by |G_part(w0)| = {g_part:.3g}, "
        f"below what double precision resolves at the flow's tolerance (rounding "
        f"eps*|G(w0)| = {noise:.3g}, needs |G_part(w0)| > {noise / FLOW_RTOL:.3g}): the flow "
        "cannot follow the escape; use a shorter delay or a larger w0, or for the Gaussian bump "
        "the quasi-static estimate quasi_static_tau(mu)",
        noise / g_part if g_part > 0 else math.inf,
        0,
    )


def _exit(flow: FlowResult, level: float, tau_max: float) -> float:
    """τ_exit of a flow, or ConvergenceError when the level was not reached by ``tau_max``."""
    if flow.tau_exit is None:
        raise ConvergenceError(
            f"the loss did not reach the level {level:.6g} by tau_max = {tau_max:g} "
            f"({flow.message or 'no crossing'}); increase tau_max",
            float(flow.loss[-1] - level),
            flow.nfev,
        )
    return float(flow.tau_exit)


def airy_escape_time(t0: float, *, drop: float = 0.1, tau_max: float = 1e6) -> EscapeResult:
    """ρ = Ai(t − t₀), start (a, w) = ((0, 0), (1, 2)); τ_exit: J ≤ (1 − drop)‖ρ‖²."""
    k = airy_kernel(t0)
    loss = diagonal_loss(k)
    m0 = DiagonalRNN([0.0, 0.0], [1.0, 2.0])
    level = (1 - drop) * k.l2_norm_sq()
    flow = gradient_flow(loss, m0, tau_max, level=level)
    return EscapeResult(_exit(flow, level, tau_max), level, flow)
