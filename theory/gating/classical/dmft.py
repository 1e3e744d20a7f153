r"""DMFT of the classical random RNN, derived by SymPy from φ and compiled.

Sompolinsky, Crisanti & Sommers, PRL 61, 259 (1988) [SCS]; the ungated limit α_z = α_r = 0 of
Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. II.

For dx/dt = −x + Jφ(x), J_ij ~ N(0, g²/N), the stationary autocorrelation
Δ(τ) = ⟨x(t)x(t+τ)⟩ obeys the equation of a particle in a potential

.. math::
    \ddot\Delta = \Delta - g^2 C_\phi(\Delta;\Delta_0) = -\partial_\Delta V,\qquad
    V(\Delta;\Delta_0) = -\tfrac12\Delta^2 + g^2 C_\Phi(\Delta;\Delta_0),\quad \Phi=\textstyle\int_0^x\phi,

with :math:`C_F(\Delta;\Delta_0)` the Gaussian cross moment of :mod:`theory.symbolic.gaussian`
(whose Δ-derivative, by Price's theorem, turns :math:`C_\Phi` into :math:`C_\phi`). Energy
conservation :math:`\tfrac12\dot\Delta^2+V(\Delta)=V(\Delta_0)` and the chaotic boundary condition
Δ → 0 give :math:`V(\Delta_0)=V(0)`, i.e. :math:`\Delta_0^2/2=g^2(\langle\Phi^2\rangle-\langle\Phi\rangle^2)`
[SCS 1988]. Every formula the solver evaluates is a compiled step of
:func:`classical_dmft_derivation`; nothing is typed twice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import scipy.integrate as si
import scipy.optimize as so
import sympy as sp

from theory.errors import ConvergenceError, ParameterError, require
from theory.gating.classical.model import ClassicalParams
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.gaussian import X, gaussian_cross
from theory.symbolic.nonlinearities import get_nonlinearity
from theory.symbolic.printing import tex

__all__ = [
    "classical_dmft_derivation",
    "ClassicalDMFT",
    "ClassicalDMFTSolution",
    "solve_classical_dmft",
    "quiescent_decay_derivation",
    "quiescent_decay",
    "SCS",
]

SCS = Reference(key="sompolinsky1988")
KCS = Reference(key="krishnamurthy2022", where="Sec. II (ungated limit)")

# Symbols (every one with assumptions).
g = sp.Symbol("g", positive=True)
Delta = sp.Symbol("Delta", real=True)
Delta0 = sp.Symbol("Delta_0", positive=True)
tau = sp.Symbol("tau", real=True)
t = sp.Symbol("t", nonnegative=True)
DeltaF = sp.Function("Delta", real=True)
xF = sp.Function("x", real=True)
etaF = sp.Function("eta", real=True)
CetaF = sp.Function("C_eta", real=True)
VF = sp.Function("V", real=True)


@functools.cache
def classical_dmft_derivation(phi: str = "tanh") -> Derivation:
    """The SCS mean-field theory for nonlinearity ``phi``, step by step (see module docstring)."""
    nl = get_nonlinearity(phi)
    Phi_expr = nl.antiderivative
    C_phi = gaussian_cross(nl.expr)
    C_Phi = gaussian_cross(Phi_expr)

    V = -(Delta**2) / 2 + g**2 * C_Phi(Delta, Delta0)
    force = sp.expand(-sp.diff(V, Delta))  # Price: d/dΔ C_Φ = C_φ
    expected_force = Delta - g**2 * C_phi(Delta, Delta0)
    if sp.simplify(force - expected_force) != 0:  # the derivation validates itself
        raise AssertionError(f"-dV/dDelta = {force}, expected {expected_force}")
    energy_gap = sp.expand(V.subs(Delta, Delta0) - V.subs(Delta, 0))
    kinetic = sp.expand(-force.subs(Delta, Delta0))
    stiffness = sp.expand(sp.diff(force, Delta).subs(Delta, 0))

    # onset: expand Var Φ at small Δ0 with the Taylor series of Φ and Gaussian moments
    u = sp.Symbol("u", real=True)
    Phi_series = sp.series(Phi_expr, X, 0, 8).removeO()
    moments = {
        k: sp.factorial2(k - 1) * Delta0 ** sp.Rational(k, 2) if k % 2 == 0 else 0
        for k in range(1, 17)
    }

    def gauss_mean_poly(p: sp.Expr) -> sp.Expr:
        p = sp.expand(p)
        return sp.expand(
            sum(
                coef * moments[int(mon.as_powers_dict()[X])] if mon != 1 else coef
                for mon, coef in p.as_coefficients_dict().items()
            )
        )

    var_Phi = sp.series(
        gauss_mean_poly(Phi_series**2) - gauss_mean_poly(Phi_series) ** 2, Delta0, 0, 4
    ).removeO()
    g2_onset = sp.series((Delta0**2 / 2) / var_Phi, Delta0, 0, 2).removeO()
    g_c = sp.sqrt(g2_onset.subs(Delta0, 0))
    slope = sp.diff(g2_onset, Delta0).subs(Delta0, 0)
    del u

    steps = [
        Step(
            "model",
            sp.Eq(sp.Derivative(xF(t), t), -xF(t) + etaF(t)),
            r"In $\dot x_i=-x_i+\sum_jJ_{ij}\phi(x_j)$ with $J_{ij}\sim\mathcal N(0,g^2/N)$ the "
            r"input $\eta_i=\sum_jJ_{ij}\phi(x_j)$ becomes a Gaussian field at $N\to\infty$, with "
            r"a covariance fixed self-consistently by the process itself.",
            Reference(key="sompolinsky1988"),
            title="Single-site equation",
        ),
        Step(
            "field_covariance",
            sp.Eq(CetaF(tau), g**2 * C_phi(DeltaF(tau), Delta0)),
            r"The covariance $\langle\eta(t)\eta(t+\tau)\rangle$ is a Gaussian cross moment of "
            r"$\phi$ at covariance $\Delta(\tau)$ and variance $\Delta_0=\Delta(0)$.",
            title="Field covariance",
        ),
        Step(
            "antiderivative",
            sp.Eq(sp.Function("Phi", real=True)(X), Phi_expr),
            r"SymPy integrates $\phi$ (and checks the numerically stable closed form).",
            title="Antiderivative of the nonlinearity",
        ),
        Step(
            "potential",
            sp.Eq(VF(Delta), V),
            r"The autocorrelation moves as a classical particle in the potential",
            Reference(key="sompolinsky1988"),
            title="Potential",
        ),
        Step(
            "equation_of_motion",
            sp.Eq(sp.Derivative(DeltaF(tau), (tau, 2)), force.subs(Delta, DeltaF(tau))),
            r"From $(1-\partial_\tau^2)\Delta=C_\eta$; SymPy obtains the right side as "
            r"$-\partial V/\partial\Delta$ by Price's theorem $\partial_\Delta C_\Phi=C_\phi$ "
            r"\cite{price1958}.",
            title="Equation of motion",
        ),
        Step(
            "energy",
            sp.Eq(sp.Derivative(DeltaF(tau), tau) ** 2 / 2 + VF(DeltaF(tau)), VF(Delta0)),
            r"The particle starts at rest at $\Delta(0)=\Delta_0$.",
            title="Energy conservation",
        ),
        Step(
            "self_consistency",
            sp.Eq(energy_gap, 0),
            r"A chaotic solution decays, $\Delta(\tau)\to0$, which requires $V(\Delta_0)=V(0)$, "
            r"i.e.\ $\Delta_0^2/2=g^2(\langle\Phi^2\rangle-\langle\Phi\rangle^2)$; this fixes "
            r"$\Delta_0$.",
            Reference(key="sompolinsky1988"),
            title="Self-consistency",
        ),
        Step(
            "kinetic_identity",
            sp.Eq(sp.Symbol(r"\langle\dot x^2\rangle", nonnegative=True), kinetic),
            r"$\langle\dot x^2\rangle=-\partial_\tau^2\Delta(0)$, from the equation of motion at "
            r"$\tau=0$.",
            title="Kinetic identity",
        ),
        Step(
            "relaxation",
            sp.Eq(sp.Symbol("tau_R", positive=True) ** -2, stiffness),
            r"Linearising at $\Delta=0$: $\Delta\sim e^{-\tau/\tau_R}$.",
            title="Relaxation time",
        ),
        Step(
            "onset",
            sp.Eq(g**2, g2_onset),
            r"The small-$\Delta_0$ expansion of the self-consistency (Taylor series of $\Phi$, "
            rf"Gaussian moments) puts the onset of chaos at $g_c={tex(g_c)}$, with "
            rf"$\Delta_0\simeq(g^2-g_c^2)/{tex(slope)}$.",
            title="Onset of chaos",
        ),
    ]
    return Derivation(
        name="classical_dmft" if phi == "tanh" else f"classical_dmft_{phi}",
        title="DMFT of the classical random RNN",
        steps=steps,
        references=[SCS, KCS],
        summary=(
            r"The stationary dynamical mean-field theory of the random network "
            r"$\dot x=-x+J\phi(x)$, $J_{ij}\sim\mathcal N(0,g^2/N)$ \cite{sompolinsky1988}, the "
            r"ungated limit of the gated network \cite{krishnamurthy2022}. The equations hold for "
            rf"any odd $\phi$; the exported instance has $\phi(x)={tex(nl.expr)}$."
        ),
        notation=[
            (g, "the gain"),
            (r"\Delta(\tau)", r"the autocorrelation of $x$ at lag $\tau$"),
            (Delta0, "its variance"),
            (
                r"C_F(c;c_0)",
                r"$\mathbb E[F(x)F(y)]$ for a Gaussian pair with variances $c_0$ and covariance $c$",
            ),
            (r"\langle F\rangle_{c_0}", r"the mean over $\mathcal N(0,c_0)$"),
        ],
    )


@derivation("classical_dmft", theory="gating")
def _registered_classical_dmft() -> Derivation:
    return classical_dmft_derivation("tanh")


# ============================================================================ compiled theory
@dataclass(frozen=True)
class ClassicalDMFT:
    """Compiled functions of :func:`classical_dmft_derivation` (one set per nonlinearity)."""

    phi: str
    force: CompiledFunction  # (Delta, Delta0, g) -> d²Δ/dτ²
    potential: CompiledFunction  # (Delta, Delta0, g) -> V
    energy_gap: CompiledFunction  # (Delta0, g) -> V(Δ0) − V(0)
    kinetic: CompiledFunction  # (Delta0, g) -> ⟨ẋ²⟩
    stiffness: CompiledFunction  # (Delta0, g) -> τ_R^{-2}
    onset_g: float

    @classmethod
    @functools.cache
    def for_phi(cls, phi: str) -> ClassicalDMFT:
        d = classical_dmft_derivation(phi)
        force = d.rhs("equation_of_motion").subs(DeltaF(tau), Delta)
        return cls(
            phi=phi,
            force=compile_function(force, [Delta, Delta0, g]),
            potential=compile_function(d.rhs("potential"), [Delta, Delta0, g]),
            energy_gap=compile_function(d["self_consistency"].lhs, [Delta0, g]),
            kinetic=compile_function(d.rhs("kinetic_identity"), [Delta0, g]),
            stiffness=compile_function(d.rhs("relaxation"), [Delta0, g]),
            onset_g=float(sp.sqrt(d.rhs("onset").subs(Delta0, 0))),
        )


@dataclass(frozen=True)
class ClassicalDMFTSolution:
    """Solution of the classical DMFT.

    Attributes
    ----------
    delta0:
        Δ0 = ⟨x²⟩ (0 in the quiescent phase).
    chaotic:
        Whether the nontrivial (chaotic) solution exists (g above onset).
    converged, residual:
        Root-finding status; residual = |V(Δ0) − V(0)| / Δ0².
    tau, delta:
        Δ(τ) on a uniform grid τ ∈ [0, tau_max] (zeros when quiescent).
    kinetic:
        ⟨ẋ²⟩ = g²⟨φ²⟩ − Δ0.
    tau_R:
        Relaxation time of the exponential tail (inf when quiescent).
    """

    params: ClassicalParams
    delta0: float
    chaotic: bool
    converged: bool
    residual: float
    tau: np.ndarray
    delta: np.ndarray
    kinetic: float
    tau_R: float
    info: dict[str, float | str] = field(default_factory=dict)

    def delta_at(self, lags: np.ndarray) -> np.ndarray:
        """Δ at arbitrary lags (linear interpolation; exponential tail beyond the grid)."""
        lags = np.abs(np.asarray(lags, dtype=float))
        out = np.interp(lags, self.tau, self.delta)
        beyond = lags > self.tau[-1]
        if np.any(beyond) and np.isfinite(self.tau_R):
            out[beyond] = self.delta[-1] * np.exp(-(lags[beyond] - self.tau[-1]) / self.tau_R)
        return out


def solve_classical_dmft(
    params: ClassicalParams,
    *,
    tau_max: float = 40.0,
    dtau: float = 0.01,
    xtol: float = 1e-13,
) -> ClassicalDMFTSolution:
    """Solve the SCS mean-field equations: Δ0 by root finding, Δ(τ) by integrating from Δ0.

    Δ0 solves ``V(Δ0) = V(0)`` (Brent's method on ``(V(Δ0) − V(0))/Δ0²``). Δ(τ) integrates
    ``Δ'' = −∂V/∂Δ`` from rest at Δ0 (DOP853, rtol 1e-11) until Δ falls below 10⁻³Δ0, after
    which the separatrix is continued by its exact linearisation ``Δ ∝ e^{−τ/τ_R}`` (the ODE
    is unstable there: a 1e-13 error in Δ0 grows like e^{τ/τ_R}).

    Raises
    ------
    ParameterError
        For I ≠ 0, non-positive grid parameters.
    ConvergenceError
        If the root cannot be bracketed or the trajectory leaves [0, Δ0].
    """
    params.require_no_input("solve_classical_dmft")
    require(tau_max > 0, "tau_max", tau_max, "tau_max > 0")
    require(0 < dtau < tau_max, "dtau", dtau, "0 < dtau < tau_max")
    th = ClassicalDMFT.for_phi(params.phi)
    gv = params.g
    tau_grid = np.arange(0.0, tau_max + dtau / 2, dtau)
    if gv <= th.onset_g:
        return ClassicalDMFTSolution(
            params,
            0.0,
            False,
            True,
            0.0,
            tau_grid,
            np.zeros_like(tau_grid),
            0.0,
            float("inf"),
            {"note": "quiescent: only the solution Delta0 = 0 exists for g <= g_c"},
        )

    def h(d0: float) -> float:
        return float(th.energy_gap(d0, gv)) / d0**2

    lo = min(1e-3, (gv**2 - 1.0) / 20.0)
    hi = max(1.0, 2 * (gv**2 - 1.0))
    # V(Δ0) − V(0) ≈ (g² − 1)Δ0²/2 > 0 at small Δ0 and → −Δ0²/2 at large Δ0 (Φ grows linearly)
    if not h(lo) > 0:
        raise ConvergenceError(
            f"cannot bracket Delta0 for g={gv}: gap at {lo:.3g} is {h(lo):.3g} <= 0", h(lo)
        )
    n = 0
    while h(hi) >= 0:
        hi *= 2.0
        n += 1
        if n > 60:
            raise ConvergenceError(f"cannot bracket Delta0 for g={gv}", h(hi))
    d0, rr = so.brentq(h, lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps, full_output=True)
    residual = abs(h(d0))

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        return [y[1], float(th.force(y[0], d0, gv))]

    def low(_t: float, y: np.ndarray) -> float:
        return y[0] - 1e-3 * d0

    low.terminal = True  # type: ignore[attr-defined]  # solve_ivp event flag
    low.direction = -1  # type: ignore[attr-defined]  # solve_ivp event flag

    def turn(_t: float, y: np.ndarray) -> float:
        return y[1]

    turn.terminal = True  # type: ignore[attr-defined]  # solve_ivp event flag
    turn.direction = 1  # type: ignore[attr-defined]  # solve_ivp event flag
    sol = si.solve_ivp(
        rhs,
        (0.0, tau_max),
        [d0, 0.0],
        method="DOP853",
        rtol=1e-11,
        atol=1e-13 * d0,
        dense_output=True,
        events=[low, turn],
    )
    if sol.status < 0:
        raise ConvergenceError(f"Delta(tau) integration failed: {sol.message}", residual)
    t_end = sol.t[-1]
    stiff = float(th.stiffness(d0, gv))
    if stiff <= 0:
        raise ConvergenceError("non-positive relaxation stiffness at Delta=0", stiff)
    tau_R = 1.0 / np.sqrt(stiff)
    delta = np.empty_like(tau_grid)
    inside = tau_grid <= t_end
    delta[inside] = sol.sol(tau_grid[inside])[0]
    d_end = sol.sol(t_end)[0]
    delta[~inside] = d_end * np.exp(-(tau_grid[~inside] - t_end) / tau_R)
    if np.any(delta < -1e-9 * d0) or np.any(delta > d0 * (1 + 1e-9)):
        raise ConvergenceError(
            "Delta(tau) left [0, Delta0]", float(np.max(np.abs(delta))), sol.nfev
        )
    return ClassicalDMFTSolution(
        params=params,
        delta0=float(d0),
        chaotic=True,
        converged=bool(rr.converged and residual < 1e-8),
        residual=float(residual),
        tau=tau_grid,
        delta=delta,
        kinetic=float(th.kinetic(d0, gv)),
        tau_R=float(tau_R),
        info={
            "tau_switch_to_tail": float(t_end),
            "root_iterations": float(rr.iterations),
            "ode_nfev": float(sol.nfev),
        },
    )


# ============================================================================ quiescent decay
@functools.cache
def quiescent_decay_derivation() -> Derivation:
    r"""Large-N decay of ⟨x²⟩(t) from a small random state in the quiescent phase (g < 1).

    Linearising (φ'(0) = 1), x(t) = e^{−t} e^{tJ} x(0). For Ginibre J with variance g²/N,
    E‖J^k x‖²/N → g^{2k}‖x‖²/N and the cross terms k ≠ l vanish at N → ∞, so
    ⟨x²⟩(t)/⟨x²⟩(0) = e^{−2t} Σ_k (gt)^{2k}/(k!)² = e^{−2t} I_0(2gt).
    """
    k = sp.Symbol("k", integer=True, nonnegative=True)
    series = sp.Sum((g * t) ** (2 * k) / sp.factorial(k) ** 2, (k, 0, sp.oo))
    closed = sp.simplify(series.doit())
    ratio = sp.exp(-2 * t) * closed
    asym = sp.simplify(sp.exp(-2 * t + 2 * g * t) / sp.sqrt(4 * sp.pi * g * t))
    q = sp.Function("q", positive=True)
    return Derivation(
        name="classical_quiescent_decay",
        title="Quiescent phase: decay of the classical random RNN",
        steps=[
            Step(
                "linearisation",
                sp.Eq(q(t), sp.exp(-2 * t) * series),
                r"Linearising ($\phi'(0)=1$), $x(t)=e^{-t}e^{tJ}x(0)$. For a Ginibre matrix "
                r"\cite{ginibre1965} with variance $g^2/N$, $\mathbb E\|J^kx\|^2/N\to "
                r"g^{2k}\|x\|^2/N$ and the cross terms vanish at $N\to\infty$, so the relative "
                r"variance $q(t)=\langle x^2\rangle(t)/\langle x^2\rangle(0)$ is",
                title="Linearised decay",
            ),
            Step(
                "closed_form",
                sp.Eq(q(t), ratio),
                r"SymPy sums the series:",
                title="Closed form",
            ),
            Step(
                "asymptotics",
                sp.Eq(sp.Symbol("q_{\\infty}", positive=True), asym),
                r"At large $t$ the decay rate is $2(1-g)$ with a $t^{-1/2}$ prefactor: for $g<1$ "
                r"the activity dies out, in agreement with the circular law \cite{girko1985} for "
                r"the spectrum of $J$.",
                title="Asymptotics",
            ),
        ],
        references=[SCS, Reference(key="ginibre1965"), Reference(key="girko1985")],
        summary=(
            r"Below the transition ($g<1$) the only DMFT solution is $\Delta_0=0$; from a small "
            r"random state the decay of the activity is computed exactly at large $N$."
        ),
    )


@derivation("classical_quiescent_decay", theory="gating")
def _registered_quiescent() -> Derivation:
    return quiescent_decay_derivation()


def quiescent_decay(gain: float, times: np.ndarray) -> np.ndarray:
    """⟨x²⟩(t)/⟨x²⟩(0) = e^{−2t} I_0(2gt) (compiled from :func:`quiescent_decay_derivation`)."""
    if not (gain > 0):
        raise ParameterError("g", gain, "g > 0")
    f = compile_function(quiescent_decay_derivation().rhs("closed_form"), [g, t])
    return f(gain, np.asarray(times, dtype=float))
