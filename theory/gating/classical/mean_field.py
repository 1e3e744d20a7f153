r"""The general mean-field theory of the classical random RNN: any φ, a mean coupling, quenched biases.

Model (:class:`~theory.gating.classical.model.ClassicalParams` ``(g, phi, I=θ̄, J0, I_std=σ_θ)``):

.. math::
    \dot x_i=-x_i+\sum_jJ_{ij}\phi(x_j)+\theta_i,\qquad J_{ij}\sim\mathcal N(J_0/N,\,g^2/N),\qquad
    \theta_i\sim\mathcal N(\bar\theta,\sigma_\theta^2)\ \text{(quenched)} .

At N → ∞ every unit is a Gaussian process x = μ + δx driven by a Gaussian field of mean
:math:`J_0\langle\phi\rangle+\bar\theta` and covariance :math:`g^2\langle\phi\phi\rangle+\sigma_\theta^2`
(Sompolinsky, Crisanti & Sommers 1988 [SCS] for J0 = θ = 0 and odd φ; the self-consistent mean and
the static variance of a non-odd φ as in Kadmon & Sompolinsky, PRX 5, 041030 (2015) and
Mastrogiuseppe & Ostojic, PLoS Comput. Biol. 13, e1005498 (2017), Methods). With
:math:`\langle F\rangle_{\mu,\Delta_0}` and :math:`C_F(\Delta;\Delta_0,\mu)` the mean-shifted
Gaussian expectations of :mod:`theory.symbolic.gaussian`:

* mean: :math:`\mu=J_0\langle\phi\rangle_{\mu,\Delta_0}+\bar\theta`;
* the autocovariance :math:`\Delta(\tau)=\langle\delta x(t)\delta x(t+\tau)\rangle` moves in the potential
  :math:`V(\Delta)=-\Delta^2/2+g^2C_\Phi(\Delta;\Delta_0,\mu)+\sigma_\theta^2\Delta`
  (Φ' = φ; Price's theorem gives :math:`\ddot\Delta=-V'=\Delta-g^2C_\phi-\sigma_\theta^2`);
* static variance: :math:`\Delta(\tau)\to\Delta_\infty` with :math:`V'(\Delta_\infty)=0`, i.e.
  :math:`\Delta_\infty=g^2\langle\langle\phi\rangle_u^2\rangle_z+\sigma_\theta^2`;
* **fixed-point branch** :math:`\Delta_0=\Delta_\infty=g^2\langle\phi^2\rangle+\sigma_\theta^2`, stable iff
  the bulk radius :math:`g^2\langle\phi'^2\rangle<1` and the mean mode :math:`J_0\langle\phi'\rangle<1`;
* **chaotic branch** :math:`\Delta_0>\Delta_\infty`, energy conservation :math:`V(\Delta_0)=V(\Delta_\infty)`;
  the boundary is :math:`g^2\langle\phi'^2\rangle=1` on the fixed-point branch (:func:`chaos_onset`);
* largest Lyapunov exponent (Crisanti & Sompolinsky, PRE 98, 062120 (2018)): the ground state
  :math:`E_0` of :math:`H=-\partial_\tau^2-V''(\Delta(\tau))`, :math:`\lambda_{\max}=-1+\sqrt{1-E_0}`
  (:func:`mean_field_lyapunov`); on the fixed-point branch :math:`-1+g\sqrt{\langle\phi'^2\rangle}`.

Every number the solver uses is a compiled step of :func:`mean_field_derivation`, built once for the
abstract φ (exported as ``derivations/classical_mean_field.tex``) and once per model expression.

Assumptions the solver checks for the given φ: real, finite and continuous on ℝ
(:func:`~theory.symbolic.expressions.as_expression`); at most linear growth at ±∞ with slopes a±
(a faster-growing φ has no stationary variance); a unique self-consistent mean reached by iterating
the mean map (otherwise :class:`~theory.errors.ConvergenceError`). Where no stationary solution
exists -- ReLU at g² (a+² + a−²)/2 ≥ 1, where the variance grows without bound -- it raises a
:class:`~theory.errors.ParameterError` saying so and why. For a φ with kinks (Max, Abs) the Gaussian
quadrature is O(step²) with step 0.1 (relative error ≈ 1e-3); for analytic φ it is e^{−2πa/0.2}.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.integrate as si
import scipy.linalg as sl
import scipy.optimize as so
import sympy as sp

from theory.errors import ConvergenceError, ParameterError, require
from theory.gating.classical.model import ClassicalParams
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.expressions import antiderivative, growth, is_smooth
from theory.symbolic.gaussian import (
    X,
    diff_x,
    name_function,
    shifted_gaussian_cross,
    shifted_gaussian_mean,
)

__all__ = [
    "mean_field_derivation",
    "MeanFieldTheory",
    "MeanFieldSolution",
    "MeanFieldLyapunov",
    "solve_mean_field",
    "fixed_point_branch",
    "chaos_onset",
    "mean_field_lyapunov",
    "REFERENCES",
]

SCS = Reference(key="sompolinsky1988")
KS2015 = Reference(key="kadmon2015", where="Sec. III")
MO2017 = Reference(key="mastrogiuseppe2017", where="Methods")
CS2018 = Reference(key="crisanti2018", where="Sec. III")
#: The works this module implements.
REFERENCES = (SCS, KS2015, MO2017, CS2018)

# ---------------------------------------------------------------------------- symbols
g = sp.Symbol("g", positive=True)
J0 = sp.Symbol("J_0", real=True)
thetabar = sp.Symbol("thetabar", real=True)
sigma = sp.Symbol("sigma_theta", nonnegative=True)
mu = sp.Symbol("mu", real=True)
Delta = sp.Symbol("Delta", real=True)
Delta0 = sp.Symbol("Delta_0", positive=True)
Dinf = sp.Symbol(r"\Delta_\infty", nonnegative=True)
tau = sp.Symbol("tau", real=True)
t = sp.Symbol("t", nonnegative=True)
lam = sp.Symbol("lambda", real=True)
E0 = sp.Symbol("E_0", real=True)
DeltaF = sp.Function("Delta", real=True)
xF = sp.Function("x", real=True)
etaF = sp.Function("eta", real=True)
CetaF = sp.Function("C_eta", real=True)
VF = sp.Function("V", real=True)
#: The abstract nonlinearity of the exported derivation.
phiF = sp.Function("phi", real=True)
_s = sp.Symbol("s", real=True)

#: Trapezoid spacing (in x) of the Gaussian quadrature for smooth φ and for φ with kinks.
STEP_SMOOTH = 0.2
STEP_KINK = 0.1


def _model_functions(phi: sp.Expr | None) -> tuple[sp.Expr, sp.Expr, float]:
    """(φ, Φ, quadrature step) for an expression, or the abstract φ and ∫_0^x φ."""
    if phi is None:
        F = phiF(X)
        Phi = sp.Integral(phiF(_s), (_s, 0, X))
        step = STEP_SMOOTH
    else:
        F = phi
        Phi = antiderivative(phi)
        step = STEP_SMOOTH if is_smooth(phi) else STEP_KINK
    name_function(F, r"\phi")
    name_function(F**2, r"\phi^2")
    dF = diff_x(F)
    name_function(dF, r"\phi'")
    name_function(dF**2, r"\phi'^2")
    name_function(Phi, r"\Phi")
    return F, Phi, step


def _same_function(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two expressions in X are the same function (symbolically, else on a grid)."""
    try:
        if sp.simplify((a - b).rewrite(sp.Piecewise)) == 0:
            return True
    except Exception:  # pragma: no cover - SymPy failure: numbers decide
        pass
    xs = np.linspace(-20.0, 20.0, 4001) + 1e-3
    with np.errstate(all="ignore"):
        va = np.asarray(compile_function(a, [X])(xs))
        vb = np.asarray(compile_function(b, [X])(xs))
    return bool(np.all(np.abs(va - vb) <= 1e-12 * (1 + np.abs(vb))))


@functools.cache
def mean_field_derivation(phi: sp.Expr | None = None) -> Derivation:
    """The mean-field theory step by step, for the abstract φ (``None``) or a model expression."""
    F, Phi, step = _model_functions(phi)
    dF = diff_x(F)
    M = lambda e: shifted_gaussian_mean(e, step)  # noqa: E731
    C = lambda e: shifted_gaussian_cross(e, None, step)  # noqa: E731
    C_phi, C_Phi, C_dphi = C(F), C(Phi), C(dF)

    V = -(Delta**2) / 2 + g**2 * C_Phi(Delta, Delta0, mu) + sigma**2 * Delta
    force = sp.expand(-sp.diff(V, Delta))  # Price: ∂_Δ C_Φ = C_{Φ'}, and Φ' = φ
    dPhi = diff_x(Phi)
    if dPhi != F:  # e.g. Φ' = Piecewise((0, x <= 0), (x, True)) for φ = Max(0, x)
        if not _same_function(dPhi, F):
            raise AssertionError(f"Phi' = {dPhi} is not phi = {F}")
        force = force.replace(C(dPhi), C_phi)
    expected = Delta - g**2 * C_phi(Delta, Delta0, mu) - sigma**2
    if sp.simplify(force - expected) != 0:  # the derivation validates itself
        raise AssertionError(f"-dV/dDelta = {force}, expected {expected}")
    curvature = sp.diff(V, Delta, 2)
    if dPhi != F:
        ddPhi = diff_x(dPhi)
        curvature = curvature.replace(C(ddPhi), C_dphi) if _same_function(ddPhi, dF) else curvature
    if sp.simplify(curvature - (-1 + g**2 * C_dphi(Delta, Delta0, mu))) != 0:
        raise AssertionError(f"V'' = {curvature}")
    static_rhs = g**2 * C_phi(Dinf, Delta0, mu) + sigma**2
    gap = sp.expand(V.subs(Delta, Delta0) - V.subs(Delta, Dinf))
    kinetic = sp.expand(-force.subs(Delta, Delta0))
    stiffness = sp.expand(-curvature.subs(Delta, Dinf))
    fp_rhs = g**2 * M(F**2)(Delta0, mu) + sigma**2
    radius2 = g**2 * M(dF**2)(Delta0, mu)
    outlier = J0 * M(dF)(Delta0, mu)
    lam_max = [r for r in sp.solve(sp.Eq(1 - (lam + 1) ** 2, E0), lam) if r.subs(E0, 0) == 0][0]

    steps = [
        Step(
            "single_site",
            sp.Eq(sp.Derivative(xF(t), t), -xF(t) + etaF(t)),
            r"Each unit obeys $\dot x_i=-x_i+\eta_i$ with the field $\eta_i=\sum_jJ_{ij}\phi(x_j)+\theta_i$, "
            r"$J_{ij}\sim\mathcal N(J_0/N,g^2/N)$, $\theta_i\sim\mathcal N(\bar\theta,\sigma_\theta^2)$ quenched. "
            r"At $N\to\infty$ the field is Gaussian; $x=\mu+\delta x$ with $\delta x$ Gaussian of variance "
            r"$\Delta_0$ and autocovariance $\Delta(\tau)$.",
            cite=SCS,
            title="Single-site problem",
        ),
        Step(
            "mean",
            sp.Eq(mu, J0 * M(F)(Delta0, mu) + thetabar),
            r"The mean coupling sees the population average $\frac1N\sum_j\phi(x_j)\to\langle\phi\rangle_{\mu,\Delta_0}$ "
            r"(a Gaussian mean at mean $\mu$, variance $\Delta_0$); stationarity of $\langle x\rangle$ fixes $\mu$.",
            cite=KS2015,
            title="Self-consistent mean",
        ),
        Step(
            "field_covariance",
            sp.Eq(CetaF(tau), g**2 * C_phi(DeltaF(tau), Delta0, mu) + sigma**2),
            r"Covariance of the fluctuating field: the random couplings give $g^2\langle\phi(x(t))\phi(x(t+\tau))\rangle$, "
            r"a Gaussian cross moment at covariance $\Delta(\tau)$ (the full second moment, not the connected one, "
            r"since $\phi$ need not have mean zero); the quenched inputs add the constant $\sigma_\theta^2$.",
            cite=MO2017,
            title="Covariance of the field",
        ),
        Step(
            "antiderivative",
            sp.Eq(sp.Function("Phi", real=True)(X), Phi),
            r"$\Phi=\int_0^x\phi$ (SymPy's closed form when verified, quadrature otherwise).",
            title="Antiderivative of the transfer function",
        ),
        Step(
            "potential",
            sp.Eq(VF(Delta), V),
            r"Potential of the classical particle $\Delta$; $\Delta_0$ and $\mu$ are parameters.",
            cite=MO2017,
            title="Potential",
        ),
        Step(
            "equation_of_motion",
            sp.Eq(sp.Derivative(DeltaF(tau), (tau, 2)), force.subs(Delta, DeltaF(tau))),
            r"$(1-\partial_\tau^2)\Delta=C_\eta$; SymPy obtains the right side as $-\partial V/\partial\Delta$ "
            r"by Price's theorem $\partial_\Delta C_\Phi=C_\phi$ and checks it.",
            cite=SCS,
            title="Equation of motion of the autocovariance",
        ),
        Step(
            "energy",
            sp.Eq(sp.Derivative(DeltaF(tau), tau) ** 2 / 2 + VF(DeltaF(tau)), VF(Delta0)),
            r"Energy conservation from rest at $\Delta(0)=\Delta_0$.",
            title="Energy conservation",
        ),
        Step(
            "static_variance",
            sp.Eq(Dinf, static_rhs),
            r"A stationary state has $\Delta(\tau)\to\Delta_\infty$ at rest: $V'(\Delta_\infty)=0$, i.e. "
            r"$\Delta_\infty=g^2\langle\langle\phi\rangle_u^2\rangle_z+\sigma_\theta^2$ (the cross moment at "
            r"$\Delta_\infty$ averages $\phi$ over the fast part $u$ first): the variance of the time-averaged "
            r"activity across units. Of the roots, the one with $V''(\Delta_\infty)<0$ is approached.",
            cite=MO2017,
            title="Static variance",
        ),
        Step(
            "self_consistency",
            sp.Eq(gap, 0),
            r"Chaotic branch ($\Delta_0>\Delta_\infty$): the particle leaves $\Delta_0$ at rest and reaches the "
            r"maximum $\Delta_\infty$ of $V$ at rest, so $V(\Delta_0)=V(\Delta_\infty)$.",
            cite=SCS,
            title="Self-consistency of the chaotic branch",
        ),
        Step(
            "kinetic_identity",
            sp.Eq(sp.Symbol(r"\langle\dot{x}{}^{2}\rangle", nonnegative=True), kinetic),
            r"$\langle\dot x^2\rangle=-\ddot\Delta(0)$.",
            title="Kinetic energy",
        ),
        Step(
            "relaxation",
            sp.Eq(sp.Symbol("tau_R", positive=True) ** -2, stiffness),
            r"Linearising at $\Delta_\infty$: $\Delta-\Delta_\infty\sim e^{-\tau/\tau_R}$.",
            title="Relaxation to the plateau",
        ),
        Step(
            "fixed_point",
            sp.Eq(Delta0, fp_rhs),
            r"Fixed-point branch: static heterogeneous activity, $\Delta(\tau)\equiv\Delta_0=\Delta_\infty$.",
            cite=KS2015,
            title="Fixed-point branch",
        ),
        Step(
            "stability",
            sp.Eq(sp.Symbol("rho", nonnegative=True) ** 2, radius2),
            r"The Jacobian $-1+J\,\mathrm{diag}\,\phi'(x^*)$ at the fixed point has a disc of eigenvalues of "
            r"radius $\rho$ around $-1$ (circular law with a variance profile) and, for $J_0\neq0$, the outlier "
            rf"$-1+{sp.latex(outlier)}$; the branch is stable iff $\rho<1$ and the outlier is negative.",
            cite=KS2015,
            title="Stability of the fixed point",
        ),
        Step(
            "boundary",
            sp.Eq(radius2, 1),
            r"The chaotic branch bifurcates from the fixed-point branch where the bulk reaches the imaginary "
            r"axis: $g^2\langle\phi'^2\rangle_{\mu,\Delta_0}=1$ with $(\mu,\Delta_0)$ on the fixed-point branch.",
            cite=KS2015,
            title="Boundary of chaos",
        ),
        Step(
            "lyapunov_potential",
            sp.Eq(sp.Symbol("V''", real=True), curvature),
            r"Two replicas with the same couplings and inputs: their distance grows as $e^{\lambda(t+t')}\psi(t-t')$ with "
            r"$[(\lambda+1)^2-\partial_\tau^2]\psi=g^2C_{\phi'}\psi$, i.e. the Schr\"odinger problem "
            r"$H=-\partial_\tau^2-V''(\Delta(\tau))$, $E=1-(\lambda+1)^2$ (SymPy differentiates $V$ twice).",
            cite=CS2018,
            title="Lyapunov exponent in Schrödinger form",
        ),
        Step(
            "lyapunov",
            sp.Eq(sp.Symbol(r"\lambda_{\max}", real=True), lam_max),
            r"The bounded mode with the largest $\lambda$ is the ground state $E_0$ of $H$. On the fixed-point branch "
            r"$V''\equiv\rho^2-1$ and $\lambda_{\max}=\rho-1$.",
            cite=CS2018,
            title="Largest Lyapunov exponent",
        ),
    ]
    abstract = phi is None
    title = (
        "General mean-field theory of the classical random RNN"
        if abstract
        else f"Mean-field theory of the classical random RNN ($\\phi={sp.latex(phi)}$)"
    )
    import hashlib

    name = (
        "classical_mean_field"
        if abstract
        else "classical_mean_field_" + hashlib.sha1(sp.srepr(phi).encode()).hexdigest()[:10]
    )
    return Derivation(
        name=name,
        title=title,
        steps=steps,
        references=[SCS, KS2015, MO2017, CS2018],
        summary=(
            r"Dynamical mean-field theory of $\dot x_i=-x_i+\sum_jJ_{ij}\phi(x_j)+\theta_i$ with "
            r"$J_{ij}\sim\mathcal N(J_0/N,g^2/N)$ and quenched $\theta_i\sim\mathcal N(\bar\theta,\sigma_\theta^2)$, for any "
            r"$\phi$: the self-consistent mean $\mu$, the variance $\Delta_0$, the static variance $\Delta_\infty$, the "
            r"fixed-point and chaotic branches and their boundary, and the largest Lyapunov exponent. Gaussian "
            r"expectations carry the mean: $\langle F\rangle_{\mu,\Delta_0}=\mathbb E F(\mu+\sqrt{\Delta_0}\,u)$ and "
            r"$C_F(\Delta;\Delta_0,\mu)=\mathbb E F(\mu+x)F(\mu+y)$ with $\mathrm{Var}\,x=\mathrm{Var}\,y=\Delta_0$, "
            r"$\mathrm{Cov}(x,y)=\Delta$."
        ),
    )


@derivation("classical_mean_field", theory="gating")
def _registered_mean_field() -> Derivation:
    return mean_field_derivation(None)


# ============================================================================ compiled theory
@dataclass(frozen=True)
class MeanFieldTheory:
    """Compiled steps of :func:`mean_field_derivation` for one φ (all vectorised over arguments)."""

    phi: sp.Expr
    mean_map: CompiledFunction  # (mu, Delta0, J0, thetabar) -> J0 <phi> + thetabar
    phi_mean: CompiledFunction  # (Delta0, mu) -> <phi>
    static_map: CompiledFunction  # (Dinf, Delta0, mu, g, sigma) -> g^2 C_phi(Dinf) + sigma^2
    static_slope: CompiledFunction  # (Dinf, Delta0, mu, g) -> g^2 C_phi'(Dinf) (Price)
    force: CompiledFunction  # (Delta, Delta0, mu, g, sigma) -> d^2 Delta / d tau^2
    energy_gap: CompiledFunction  # (Delta0, Dinf, mu, g, sigma) -> V(Delta0) - V(Dinf)
    fixed_point_map: CompiledFunction  # (Delta0, mu, g, sigma) -> g^2 <phi^2> + sigma^2
    radius2: CompiledFunction  # (Delta0, mu, g) -> g^2 <phi'^2>
    outlier: CompiledFunction  # (Delta0, mu, J0) -> J0 <phi'>
    kinetic: CompiledFunction  # (Delta0, mu, g, sigma) -> <xdot^2>
    stiffness: CompiledFunction  # (Dinf, Delta0, mu, g) -> tau_R^-2
    curvature: CompiledFunction  # (Delta, Delta0, mu, g) -> V''
    lam_from_E0: CompiledFunction  # (E_0,) -> lambda_max

    @classmethod
    @functools.cache
    def for_phi(cls, phi: sp.Expr) -> MeanFieldTheory:
        d = mean_field_derivation(phi)
        force = d.rhs("equation_of_motion").subs(DeltaF(tau), Delta)
        mean_rhs = d.rhs("mean")
        return cls(
            phi=phi,
            mean_map=compile_function(mean_rhs, [mu, Delta0, J0, thetabar]),
            phi_mean=compile_function(sp.expand(mean_rhs - thetabar).coeff(J0), [Delta0, mu]),
            static_map=compile_function(d.rhs("static_variance"), [Dinf, Delta0, mu, g, sigma]),
            static_slope=compile_function(
                sp.diff(d.rhs("static_variance"), Dinf), [Dinf, Delta0, mu, g]
            ),
            force=compile_function(force, [Delta, Delta0, mu, g, sigma]),
            energy_gap=compile_function(d["self_consistency"].lhs, [Delta0, Dinf, mu, g, sigma]),
            fixed_point_map=compile_function(d.rhs("fixed_point"), [Delta0, mu, g, sigma]),
            radius2=compile_function(d.rhs("stability"), [Delta0, mu, g]),
            outlier=compile_function(_outlier_expr(phi), [Delta0, mu, J0]),
            kinetic=compile_function(d.rhs("kinetic_identity"), [Delta0, mu, g, sigma]),
            stiffness=compile_function(d.rhs("relaxation"), [Dinf, Delta0, mu, g]),
            curvature=compile_function(d.rhs("lyapunov_potential"), [Delta, Delta0, mu, g]),
            lam_from_E0=compile_function(d.rhs("lyapunov"), [E0]),
        )


def _outlier_expr(phi: sp.Expr) -> sp.Expr:
    F, _, step = _model_functions(phi)
    return J0 * shifted_gaussian_mean(diff_x(F), step)(Delta0, mu)


# ============================================================================ solution
@dataclass(frozen=True)
class MeanFieldSolution:
    """Solution of the mean-field equations.

    Attributes
    ----------
    mu:
        The self-consistent mean μ = J0⟨φ⟩ + θ̄.
    delta0, delta_inf:
        Δ0 = ⟨δx²⟩ and the static variance Δ∞ (equal on the fixed-point branch).
    branch:
        ``"fixed_point"`` or ``"chaotic"``.
    converged, residual:
        Status of the root finding; residual = the largest of |V(Δ0) − V(Δ∞)|/(Δ0 − Δ∞)²,
        |V'(Δ∞)| and the mean equation's error (fixed point: the fixed-point equation's error).
    radius:
        ρ = g√⟨φ'²⟩ at (μ, Δ0): the bulk radius of the fixed point's Jacobian (+1), stability < 1.
    outlier:
        J0⟨φ'⟩ (the mean mode of the Jacobian, +1), stability < 1.
    tau, delta:
        Δ(τ) on a uniform grid τ ∈ [0, tau_max] (constant on the fixed-point branch).
    kinetic:
        ⟨ẋ²⟩ = g²⟨φ²⟩ + σ_θ² − Δ0.
    tau_R:
        Relaxation time of Δ(τ) − Δ∞ (inf on the fixed-point branch).
    """

    params: ClassicalParams
    mu: float
    delta0: float
    delta_inf: float
    branch: str
    converged: bool
    residual: float
    radius: float
    outlier: float
    tau: np.ndarray
    delta: np.ndarray
    kinetic: float
    tau_R: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def chaotic(self) -> bool:
        return self.branch == "chaotic"

    @property
    def stable_fixed_point(self) -> bool:
        """Whether the solution is a fixed point that is linearly stable (ρ < 1, outlier < 1)."""
        return self.branch == "fixed_point" and self.radius < 1 and self.outlier < 1

    def delta_at(self, lags: np.ndarray) -> np.ndarray:
        """Δ at arbitrary lags (linear interpolation; exponential approach to Δ∞ beyond the grid)."""
        lags = np.abs(np.asarray(lags, dtype=float))
        out = np.interp(lags, self.tau, self.delta)
        beyond = lags > self.tau[-1]
        if np.any(beyond) and np.isfinite(self.tau_R):
            d_end = self.delta[-1] - self.delta_inf
            out[beyond] = self.delta_inf + d_end * np.exp(
                -(lags[beyond] - self.tau[-1]) / self.tau_R
            )
        return out


def _check_model(params: ClassicalParams) -> MeanFieldTheory:
    """The compiled theory, after checking the growth assumption."""
    expr = params.phi_expr
    gr = growth(expr)
    if not gr.at_most_linear:
        raise ParameterError(
            "phi",
            params.phi,
            "a phi growing at most linearly at +-infinity (|phi(x)| <= a + b|x|): for a faster-growing "
            "phi the Gaussian field has no stationary variance",
        )
    return MeanFieldTheory.for_phi(expr)


def _search_cap(p: ClassicalParams) -> float:
    """Largest Δ0 searched. If φ grows linearly with g²(a+² + a−²)/2 ≥ 1 (or J0·a± ≥ 1) the
    variance (mean) would grow without bound at large amplitude, so a stationary solution, if
    any, lies at moderate Δ0: search up to 10(1 + g² + θ̄² + σ_θ²) only; for a bounded φ up to
    10(1 + g² sup φ² + σ_θ²) (the variance of the field is at most g² sup φ² + σ_θ²), at least
    10⁶; otherwise up to 10⁶."""
    gr = growth(p.phi_expr)
    a2 = (gr.slope_plus**2 + gr.slope_minus**2) / 2
    amax = max(abs(gr.slope_plus), abs(gr.slope_minus))
    if p.g**2 * a2 >= 1 or abs(p.J0) * amax >= 1:
        return 10.0 * (1.0 + p.g**2 + p.I**2 + p.I_std**2)
    if gr.bounded:  # Δ0 ≤ g² sup φ² + σ² (the field's variance): room to spare
        return max(1e6, 10.0 * (1.0 + p.g**2 * gr.sup**2 + p.I_std**2))
    return 1e6


def _runaway(params: ClassicalParams, where: str) -> ParameterError:
    gr = growth(params.phi_expr)
    a2 = (gr.slope_plus**2 + gr.slope_minus**2) / 2
    slope_txt = f"a+ = {gr.slope_plus:g}, a- = {gr.slope_minus:g}"
    if a2 > 0 and params.g**2 * a2 >= 1:
        why = (
            f"phi grows linearly ({slope_txt}), so g^2 (a+^2 + a-^2)/2 = {params.g**2 * a2:.3g} >= 1: "
            "the variance grows without bound (no stationary solution); take g < "
            f"{1 / math.sqrt(a2):.4g}"
        )
    elif gr.slope_plus * params.J0 >= 1 or gr.slope_minus * params.J0 >= 1:
        why = (
            f"the mean coupling J0 = {params.J0:g} times the slope of phi ({slope_txt}) is >= 1: "
            "the mean grows without bound"
        )
    else:
        why = (
            f"no stationary solution was found up to Delta0 = {_search_cap(params):.3g} "
            "(the variance grows without bound)"
        )
    return ParameterError("g" if "variance" in why else "J0", params.g, f"{where}: {why}")


# ---------------------------------------------------------------------------- fixed-point branch
def _first_root(
    f: Any, lo: float, hi: float, n: int = 24, geometric: bool = False
) -> tuple[float, float] | None:
    """The first sign change (from f >= 0 to f < 0) of a vectorised f on a grid of [lo, hi]."""
    if geometric:
        grid = lo + (hi - lo) * (np.geomspace(1e-6, 1.0, n) - 1e-6) / (1 - 1e-6)
    else:
        grid = np.linspace(lo, hi, n)
    vals = np.asarray(f(grid), dtype=float)
    if not np.all(np.isfinite(vals)):
        raise ConvergenceError("non-finite values in a bracket scan", float("nan"))
    if vals[0] <= 0:
        return (grid[0], grid[0]) if vals[0] == 0 else None
    idx = np.nonzero(vals < 0)[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    return float(grid[k - 1]), float(grid[k])


def _fp_variance(th: MeanFieldTheory, m: float, p: ClassicalParams) -> float:
    """Smallest Δ ≥ 0 with Δ = g²⟨φ²⟩_{m,Δ} + σ² (the fixed-point variance at mean m)."""
    sig = p.I_std

    def F(d: Any) -> Any:
        return th.fixed_point_map(d, m, p.g, sig) - d

    if float(F(0.0)) == 0.0:
        return 0.0
    cap = _search_cap(p)
    hi = min(cap, 4.0 * (1.0 + p.g**2 * (1.0 + m * m) + sig**2))
    while True:
        br = _first_root(F, 0.0, hi, n=32, geometric=True)
        if br is not None:
            break
        if hi >= cap:
            raise _runaway(p, "fixed-point branch")
        hi = min(cap, hi * 8.0)
    if br[0] == br[1]:
        return br[0]
    return float(so.brentq(lambda d: float(F(d)), br[0], br[1], xtol=1e-14, rtol=1e-14))


def _solve_mean(
    inner: Any, th: MeanFieldTheory, p: ClassicalParams, what: str
) -> tuple[float, Any, float]:
    """μ = G(μ) = J0⟨φ⟩_{μ,Δ0(μ)} + θ̄ by secant-accelerated iteration of the mean map from θ̄.

    ``inner(m)`` returns (Δ0, extra) at mean m. The plain iteration μ ← G(μ) converges where the
    mean mode is stable, G'(μ) < 1; the secant steps only accelerate it. A root with G'(μ) ≥ 1
    (estimated from the last secant) is an unstable mean: the network settles elsewhere, and a
    :class:`ParameterError` says so. Returns (μ, inner result, |G(μ) − μ|).
    """
    if p.J0 == 0.0:
        return p.I, inner(p.I), 0.0

    def r(m: float) -> tuple[float, Any]:
        res = inner(m)
        return float(th.mean_map(m, res[0], p.J0, p.I)) - m, res

    m0 = p.I
    r0, _ = r(m0)
    h = 1e-4 * (1.0 + abs(m0))
    m1 = m0 + (r0 if r0 != 0.0 else h)
    for _ in range(60):
        r1, res1 = r(m1)
        slope = (r1 - r0) / (m1 - m0) if m1 != m0 else float("nan")
        if abs(r1) < 1e-12 * (1 + abs(m1)):
            if np.isfinite(slope) and slope + 1.0 >= 1.0:
                raise ParameterError(
                    "J0",
                    p.J0,
                    f"{what}: a mean coupling whose self-consistent mean is stable; at mu = "
                    f"{m1:.4g} the mean map has slope {slope + 1:.3g} >= 1, so this mean is unstable "
                    "(the network settles at another one: several coexisting means are not handled)",
                )
            return m1, res1, abs(r1)
        step = -r1 / slope if np.isfinite(slope) and slope != 0 else r1
        if not np.isfinite(step) or abs(step) > 4 * abs(r1) + 1e-12:
            step = r1
        m0, r0 = m1, r1
        m1 = m1 + step
        if not np.isfinite(m1) or abs(m1) > 1e8:
            raise _runaway(p, what)
    raise ConvergenceError(
        f"{what}: the mean map mu -> J0 <phi> + I did not converge from mu = I (J0 = {p.J0:g}); "
        "a mean coupling this strong may have several self-consistent means (reduce |J0|)",
        abs(r1),
        60,
    )


def fixed_point_branch(params: ClassicalParams) -> tuple[float, float, float]:
    """(μ, Δ0, residual) of the fixed-point branch Δ0 = g²⟨φ²⟩_{μ,Δ0} + σ_θ², μ = J0⟨φ⟩ + θ̄.

    Raises
    ------
    ParameterError
        If φ grows faster than linearly or the variance (or the mean) grows without bound.
    ConvergenceError
        If the mean map does not converge (several coexisting means).
    """
    th = _check_model(params)
    m, (d0, _), err = _solve_mean(
        lambda m: (_fp_variance(th, m, params), None), th, params, "fixed-point branch"
    )
    res = abs(float(th.fixed_point_map(d0, m, params.g, params.I_std)) - d0) / (1 + d0)
    return m, d0, max(res, err)


# ---------------------------------------------------------------------------- chaotic branch
def _delta_inf(th: MeanFieldTheory, d0: float, m: float, p: ClassicalParams) -> float | None:
    """The maximum of V in [0, Δ0] that the particle approaches: the first root of
    q(Δ) = g²C_φ(Δ; Δ0, m) + σ² − Δ where q turns negative (None if q stays positive on [0, Δ0]).

    q is convex on [0, Δ0] (q'' = g²C_{φ''} ≥ 0: a Gaussian cross moment at a nonnegative
    covariance, by Mehler's expansion) with q(0) = g²⟨φ⟩² + σ² ≥ 0, so Newton's method from
    Δ = 0 (q' = g²C_{φ'} − 1, Price's theorem) climbs monotonically to the first root without
    overshooting, and a point where q > 0 and q' ≥ 0 proves there is none. When q(0) vanishes
    (odd φ, m = 0, σ = 0, up to rounding 1e-14) and q decreases from 0, Δ∞ = 0 (the SCS case).
    """
    sig = p.I_std
    tol = 1e-14 * (1.0 + d0)

    def q(d: float) -> float:
        return float(th.static_map(d, d0, m, p.g, sig)) - d

    def dq(d: float) -> float:
        return float(th.static_slope(d, d0, m, p.g)) - 1.0

    x, qx = 0.0, q(0.0)
    for _ in range(200):
        slope = dq(x)
        if not (math.isfinite(qx) and math.isfinite(slope)):
            raise ConvergenceError("non-finite static map in the Delta_inf search", float("nan"))
        if x == 0.0 and abs(qx) <= tol:
            return 0.0 if slope < 0 else None  # q ≥ 0 grows from its zero: no maximum inside
        if qx <= 0.0:
            return x
        if slope >= 0.0:
            return None  # q > 0 at its minimum
        step = -qx / slope
        x_new = x + step
        if x_new > d0:
            return None  # the first root lies beyond Δ0
        if step <= tol:
            return x_new
        x, qx = x_new, q(x_new)
    raise ConvergenceError("Delta_inf: Newton's method on the static map did not converge", qx)


def _chaotic_at_mean(
    th: MeanFieldTheory, m: float, p: ClassicalParams, d_fp: float, guess: float | None = None
) -> tuple[float, float, float]:
    """(Δ0, Δ∞, residual) of the chaotic branch at a given mean m.

    The energy condition h(Δ0) = (V(Δ0) − V(Δ∞))/(Δ0 − Δ∞)² = 0 is defined where V has a maximum
    Δ∞ in [0, Δ0] (:func:`_delta_inf`). A geometric scan of Δ0 finds the first Δ0 where h < 0; the
    bracket's lower end is the previous scan point if h > 0 there, else the point where Δ∞
    appears (bisection on existence), where h ≥ 0 (q ≥ 0 between Δ∞ and Δ0); then Brent.
    """
    sig = p.I_std

    def h(d0: float) -> float | None:
        di = _delta_inf(th, d0, m, p)
        if di is None:
            return None
        return float(th.energy_gap(d0, di, m, p.g, sig)) / (d0 - di) ** 2

    bracket = None
    if guess is not None:  # warm start (the mean iteration moves Δ0 little)
        lo, hi = 0.98 * guess, 1.02 * guess
        v_lo, v_hi = h(lo), h(hi)
        if v_lo is not None and v_hi is not None and v_lo > 0 > v_hi:
            bracket = (lo, hi)
    if bracket is None:
        bracket = _chaotic_bracket(h, p, m, d_fp)
    lo, hi = bracket

    def h_or_nan(d: float) -> float:
        v = h(d)
        return float(v) if v is not None else float("nan")

    d0 = so.brentq(
        h_or_nan,
        lo,
        hi,
        xtol=1e-13 * (1 + hi),
        rtol=4 * np.finfo(float).eps,
    )
    di = _delta_inf(th, d0, m, p)
    v = h(d0)
    if di is None or v is None or abs(v) > 1e-6:
        raise ConvergenceError(
            "chaotic branch: the energy condition has no continuous root",
            float("nan") if v is None else abs(v),
        )
    return float(d0), float(di), abs(v)


def _chaotic_bracket(h: Any, p: ClassicalParams, m: float, d_fp: float) -> tuple[float, float]:
    """A bracket [lo, hi] of the energy condition with h(lo) > 0 > h(hi), both defined."""
    sig = p.I_std
    cap = _search_cap(p)
    top = min(cap, 4.0 * (1.0 + d_fp + m * m + sig**2 + p.g**2))
    lo_g = 1e-4 * (1.0 + d_fp)
    while True:
        grid = np.geomspace(lo_g, top, 32)
        vals: list[float | None] = []
        k = None
        for d in grid:  # up to the first point where h < 0
            vals.append(h(float(d)))
            if vals[-1] is not None and vals[-1] < 0:
                k = len(vals) - 1
                break
        if k is not None:
            break
        if top >= cap:
            raise _runaway(p, "chaotic branch")
        lo_g, top = top, min(cap, top * 16.0)
    if k == 0:
        raise ConvergenceError(
            f"chaotic branch: the energy gap is negative already at Delta0 = {grid[0]:.3g}, so "
            "the chaotic Delta0 is smaller: g is within ~1e-4 of the onset, where the general "
            "quadrature loses the O(Delta0^2) gap to rounding. Move g further from the onset, or "
            "for an odd phi without inputs use theory.gating.classical.solve_classical_dmft "
            "(onset scaling down to g - g_c = 1e-15)",
            0.0,
        )
    hi = float(grid[k])
    lo = float(grid[k - 1])
    v_lo = vals[k - 1]
    if v_lo is None:  # Δ∞ appears between lo and hi: find a valid point with h > 0
        a, b = lo, hi
        for _ in range(80):
            mid = 0.5 * (a + b)
            v = h(mid)
            if v is None:
                a = mid
            elif v > 0:
                lo, v_lo = mid, v
                break
            else:
                b = mid
                hi = mid
        if v_lo is None:
            raise ConvergenceError(
                "chaotic branch: the energy gap jumps to negative values where Delta_inf "
                "appears (no continuous solution at this mean)",
                float(b - a),
            )
    return lo, hi


def _branch_choice(
    params: ClassicalParams, branch: str, th: MeanFieldTheory
) -> tuple[str, float, float, float]:
    """Fixed point first; the chaotic branch where it is unstable (or when asked for)."""
    m_fp, d_fp, res_fp = fixed_point_branch(params)
    rho = math.sqrt(max(float(th.radius2(d_fp, m_fp, params.g)), 0.0))
    if branch == "fixed_point" or (branch == "auto" and rho < 1):
        return "fixed_point", m_fp, d_fp, res_fp
    return "chaotic", m_fp, d_fp, res_fp


def solve_mean_field(
    params: ClassicalParams,
    *,
    branch: Literal["auto", "fixed_point", "chaotic"] = "auto",
    tau_max: float = 40.0,
    dtau: float = 0.01,
) -> MeanFieldSolution:
    """Solve the general mean-field equations (module docstring) for any φ, J0 and biases.

    ``branch="auto"`` returns the fixed point when its bulk radius ρ = g√⟨φ'²⟩ < 1, else the
    chaotic branch (a chaotic attractor coexisting with a stable fixed point -- a discontinuous
    transition, Pazó, arXiv 2405.14607 -- is not searched for; ask ``branch="chaotic"``).
    Chaotic branch: at each mean, Δ∞(Δ0) is the smallest root of V'(Δ) = 0 on [0, Δ0] and Δ0
    solves V(Δ0) = V(Δ∞) (Brent on the gap / (Δ0 − Δ∞)², bracketed upward from the fixed-point
    variance, where the gap is positive); the mean by iterating μ ↦ J0⟨φ⟩ + θ̄. Δ(τ) integrates
    Δ'' = −V'(Δ) from rest at Δ0 (DOP853, rtol 1e-11) until Δ − Δ∞ < 10⁻³(Δ0 − Δ∞) and continues
    with the linearisation Δ − Δ∞ ∝ e^{−τ/τ_R}. Cost: about a second for J0 = 0 (one Brent
    solve), a few seconds with J0 ≠ 0 (5–10 mean iterations); memory O(tau_max/dtau).

    Raises
    ------
    ParameterError
        Bad grid or branch; a φ growing faster than linearly; no stationary solution (the
        variance or the mean grows without bound, e.g. ReLU at g > √2), with the reason.
    ConvergenceError
        If the mean map does not converge or the energy condition has no continuous root.
    """
    require(
        branch in ("auto", "fixed_point", "chaotic"),
        "branch",
        branch,
        "'auto', 'fixed_point' or 'chaotic'",
    )
    require(isinstance(tau_max, (int, float)) and tau_max > 0, "tau_max", tau_max, "tau_max > 0")
    require(
        isinstance(dtau, (int, float)) and 0 < dtau < tau_max,
        "dtau",
        dtau,
        "0 < dtau < tau_max",
    )
    th = _check_model(params)
    which, m_fp, d_fp, res_fp = _branch_choice(params, branch, th)
    tau_grid = np.arange(0.0, tau_max + dtau / 2, dtau)
    p = params
    sig = p.I_std
    if which == "fixed_point":
        rho = math.sqrt(max(float(th.radius2(d_fp, m_fp, p.g)), 0.0))
        return MeanFieldSolution(
            params=p,
            mu=m_fp,
            delta0=d_fp,
            delta_inf=d_fp,
            branch="fixed_point",
            converged=bool(res_fp < 1e-8),
            residual=float(res_fp),
            radius=rho,
            outlier=float(th.outlier(d_fp, m_fp, p.J0)),
            tau=tau_grid,
            delta=np.full_like(tau_grid, d_fp),
            kinetic=float(th.kinetic(d_fp, m_fp, p.g, sig)),
            tau_R=float("inf"),
            info={"note": "fixed-point branch (Delta0 = Delta_inf)"},
        )

    last: dict[str, float] = {}

    def inner(m: float) -> tuple[float, tuple[float, float]]:
        d_fp_m = _fp_variance(th, m, p)
        d0, di, res = _chaotic_at_mean(th, m, p, d_fp_m, last.get("d0"))
        last["d0"] = d0
        return d0, (di, res)

    m, (d0, (di, res_e)), err_m = _solve_mean(inner, th, p, "chaotic branch")
    stiff = float(th.stiffness(di, d0, m, p.g))
    if not stiff > 0:
        raise ConvergenceError(
            "chaotic branch: Delta_inf is not a maximum of V (non-positive stiffness)", stiff
        )
    tau_R = 1.0 / math.sqrt(stiff)
    delta, t_end, nfev, table_error = _trajectory(th, p, m, d0, di, tau_grid, tau_R)
    residual = max(res_e, err_m, abs(float(th.static_map(di, d0, m, p.g, sig)) - di) / (1 + di))
    return MeanFieldSolution(
        params=p,
        mu=float(m),
        delta0=float(d0),
        delta_inf=float(di),
        branch="chaotic",
        converged=bool(residual < 1e-8),
        residual=float(residual),
        radius=math.sqrt(max(float(th.radius2(d0, m, p.g)), 0.0)),
        outlier=float(th.outlier(d0, m, p.J0)),
        tau=tau_grid,
        delta=delta,
        kinetic=float(th.kinetic(d0, m, p.g, sig)),
        tau_R=tau_R,
        info={
            "tau_switch_to_tail": float(t_end),
            "ode_nfev": float(nfev),
            "force_table_error": table_error,
            "fixed_point_delta0": float(d_fp),
            "fixed_point_mu": float(m_fp),
            "fixed_point_radius": math.sqrt(max(float(th.radius2(d_fp, m_fp, p.g)), 0.0)),
        },
    )


def _trajectory(
    th: MeanFieldTheory,
    p: ClassicalParams,
    m: float,
    d0: float,
    di: float,
    tau_grid: np.ndarray,
    tau_R: float,
) -> tuple[np.ndarray, float, int, float]:
    span = d0 - di
    force, table_error = _force_table(th, p, m, d0, di)

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        return [y[1], float(force(y[0]))]

    def low(_t: float, y: np.ndarray) -> float:
        return y[0] - di - 1e-3 * span

    low.terminal = True  # type: ignore[attr-defined]  # solve_ivp event flag
    low.direction = -1  # type: ignore[attr-defined]  # solve_ivp event flag

    def turn(_t: float, y: np.ndarray) -> float:
        return y[1]

    turn.terminal = True  # type: ignore[attr-defined]  # solve_ivp event flag
    turn.direction = 1  # type: ignore[attr-defined]  # solve_ivp event flag
    sol = si.solve_ivp(
        rhs,
        (0.0, float(tau_grid[-1])),
        [d0, 0.0],
        method="DOP853",
        rtol=1e-11,
        atol=1e-13 * (1 + d0),
        dense_output=True,
        events=[low, turn],
    )
    if sol.status < 0:
        raise ConvergenceError(f"Delta(tau) integration failed: {sol.message}", float("nan"))
    t_end = float(sol.t[-1])
    delta = np.empty_like(tau_grid)
    inside = tau_grid <= t_end
    delta[inside] = sol.sol(tau_grid[inside])[0]
    d_end = float(sol.sol(t_end)[0])
    delta[~inside] = di + (d_end - di) * np.exp(-(tau_grid[~inside] - t_end) / tau_R)
    if np.any(delta < di - 1e-6 * span) or np.any(delta > d0 + 1e-9 * (1 + d0)):
        raise ConvergenceError("Delta(tau) left [Delta_inf, Delta0]", float(np.max(delta)))
    return delta, t_end, int(sol.nfev), table_error


#: Chebyshev nodes per panel of the tables of functions of Δ on [Δ∞, Δ0].
TABLE_NODES = 20


def _delta_table(fn: Any, d0: float, di: float, what: str) -> tuple[Any, float]:
    """A function of Δ on [Δ∞, Δ0] (the force −V', the curvature V'') as piecewise Chebyshev
    interpolants, and its error estimate.

    Panels in v = Δ0 − Δ are graded geometrically from Δ0 (edges 0, ½, 3/2, 9/2, …, Δ0 − Δ∞): at
    large gain C_φ(Δ; Δ0) varies on the scale v ~ 1 next to Δ0 and slowly beyond. All nodes are
    evaluated in one vectorised call of ``fn`` (instead of one quadrature per right-hand side of
    the ODE or per grid point); the error estimate is the largest difference, relative to the
    largest |value|, between the table and direct evaluations at one off-node point per panel.
    """
    span = d0 - di
    edges = [0.0]
    while edges[-1] < span:
        edges.append(min(span, 0.5 * 3.0 ** (len(edges) - 1)))
    if len(edges) > 2 and edges[-1] - edges[-2] < 0.25 * (edges[-2] - edges[-3]):
        edges.pop(-2)  # no sliver panel at the end
    v_edges = np.array(edges)
    n = TABLE_NODES
    k = np.arange(n)
    cheb = np.cos(np.pi * (k + 0.5) / n)  # first-kind nodes on [-1, 1]
    a, b = v_edges[:-1], v_edges[1:]
    v_nodes = (a[:, None] + b[:, None]) / 2 + (b[:, None] - a[:, None]) / 2 * cheb[None, :]
    probe = a + 0.3137 * (b - a)  # one off-node point per panel
    vals = np.asarray(fn(d0 - np.concatenate([v_nodes.ravel(), probe])), dtype=float)
    if not np.all(np.isfinite(vals)):
        raise ConvergenceError(
            f"non-finite {what} in its table on [Delta_inf, Delta0]", float("nan")
        )
    basis = 2.0 / n * np.cos(np.outer(k, np.pi * (k + 0.5) / n))
    basis[0] /= 2.0
    coef = vals[: v_nodes.size].reshape(v_nodes.shape) @ basis.T  # (panels, n)

    def table(delta: Any) -> np.ndarray:
        v = np.clip(d0 - np.asarray(delta, dtype=float), 0.0, span)
        i = np.clip(np.searchsorted(b, v, side="left"), 0, b.size - 1)
        t = (2.0 * v - a[i] - b[i]) / (b[i] - a[i])
        return np.polynomial.chebyshev.chebval(t, coef[i].T, tensor=False)

    scale = float(np.max(np.abs(vals))) or 1.0
    err = float(np.max(np.abs(table(d0 - probe) - vals[v_nodes.size :]))) / scale
    return table, err


def _force_table(
    th: MeanFieldTheory, p: ClassicalParams, m: float, d0: float, di: float
) -> tuple[Any, float]:
    """The force −V'(Δ) = Δ'' on [Δ∞, Δ0] (:func:`_delta_table`)."""
    return _delta_table(lambda d: th.force(d, d0, m, p.g, p.I_std), d0, di, "force")


# ---------------------------------------------------------------------------- boundary
def chaos_onset(params: ClassicalParams, *, g_min: float = 1e-3, g_max: float = 100.0) -> float:
    """The gain g_c at which the fixed-point branch loses stability: g²⟨φ'²⟩_{μ,Δ0} = 1.

    All other parameters of ``params`` are kept; (μ, Δ0) follow the fixed-point branch as g
    varies. Brent on ρ(g) − 1 after a geometric scan of [g_min, g_max].

    Raises
    ------
    ParameterError
        If ρ(g) stays below 1 (or above) on [g_min, g_max]: no boundary there.
    """
    import dataclasses

    th = _check_model(params)

    def rho_minus_one(gv: float) -> float:
        p = dataclasses.replace(params, g=float(gv))
        m, d0, _ = fixed_point_branch(p)
        return math.sqrt(max(float(th.radius2(d0, m, gv)), 0.0)) - 1.0

    gs = np.geomspace(g_min, g_max, 25)
    prev_g, prev = None, None
    for gv in gs:
        try:
            val = rho_minus_one(float(gv))
        except ParameterError:
            break  # the fixed-point branch ceased to exist (variance runaway)
        if prev is not None and prev < 0 <= val:
            return float(so.brentq(rho_minus_one, prev_g, float(gv), xtol=1e-12))
        prev_g, prev = float(gv), val
    raise ParameterError(
        "g range",
        (g_min, g_max),
        "a range in which the fixed-point radius g sqrt(<phi'^2>) crosses 1",
    )


# ---------------------------------------------------------------------------- Lyapunov
@dataclass(frozen=True)
class MeanFieldLyapunov:
    """λ_max from the mean-field theory.

    Attributes
    ----------
    value:
        λ_max.
    method:
        ``"schrodinger"`` (chaotic branch) or ``"fixed_point"`` (ρ − 1, and the outlier
        J0⟨φ'⟩ − 1 when larger).
    ground_energy:
        E_0 of H = −∂² − V''(Δ(τ)) (NaN on the fixed-point branch).
    discretisation_error:
        |λ(dτ) − λ(2dτ)|/3, a Richardson estimate of the O(dτ²) error (0 on the fixed point).
    """

    value: float
    method: str
    ground_energy: float
    discretisation_error: float
    info: dict[str, float] = field(default_factory=dict)


def mean_field_lyapunov(
    params: ClassicalParams, *, L: float = 30.0, dtau: float = 0.02
) -> MeanFieldLyapunov:
    """λ_max: ground state of H = −∂² − V''(Δ(τ)) on [−L, L] (second-order finite differences,
    Dirichlet ends), λ = −1 + √(1 − E0); on the fixed-point branch λ = max(ρ, J0⟨φ'⟩) − 1.

    The Schrödinger form describes the bulk of the tangent dynamics; the mean mode (outlier) of a
    chaotic state is not part of it (``info['outlier']`` reports J0⟨φ'⟩ for reference).
    """
    require(L > 5 and 0 < dtau < 0.5, "L, dtau", (L, dtau), "L > 5 and 0 < dtau < 0.5")
    sol = solve_mean_field(params, tau_max=L, dtau=dtau)
    th = MeanFieldTheory.for_phi(params.phi_expr)
    if sol.branch == "fixed_point":
        value = max(sol.radius, sol.outlier) - 1.0
        return MeanFieldLyapunov(
            value, "fixed_point", float("nan"), 0.0, {"radius": sol.radius, "outlier": sol.outlier}
        )

    curvature, table_error = _delta_table(
        lambda d: th.curvature(d, sol.delta0, sol.mu, params.g),
        sol.delta0,
        sol.delta_inf,
        "curvature V''",
    )
    Vpp_fine = curvature(sol.delta)

    def ground(h: float) -> tuple[float, float]:
        Vpp = Vpp_fine if h == dtau else Vpp_fine[::2]  # the grid of step 2·dτ: every other point
        pot = -np.concatenate([Vpp[:0:-1], Vpp])
        n = pot.size
        d = 2.0 / h**2 + pot
        e = -np.ones(n - 1) / h**2
        E = float(sl.eigh_tridiagonal(d, e, select="i", select_range=(0, 0), eigvals_only=True)[0])
        return float(th.lam_from_E0(E)), E

    lam1, E = ground(dtau)
    lam2, _ = ground(2 * dtau)
    return MeanFieldLyapunov(
        lam1,
        "schrodinger",
        E,
        abs(lam1 - lam2) / 3,
        {
            "outlier": sol.outlier,
            "delta0": sol.delta0,
            "delta_inf": sol.delta_inf,
            "curvature_table_error": table_error,
        },
    )
