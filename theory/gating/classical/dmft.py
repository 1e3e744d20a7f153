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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.integrate as si
import scipy.optimize as so
import sympy as sp
from numpy.polynomial import chebyshev as C

from theory.errors import ConvergenceError, ParameterError, require
from theory.gating.classical.model import ClassicalParams
from theory.numerics.quadrature import LocalizedCrossMoment, sinh_normal_rule
from theory.symbolic.cache import symbolic_cache
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.expressions import LogCosh
from theory.symbolic.gaussian import GaussianCross, GaussianMean, X, gaussian_cross
from theory.symbolic.nonlinearities import get_nonlinearity
from theory.symbolic.printing import tex

__all__ = [
    "classical_dmft_derivation",
    "ClassicalDMFT",
    "ClassicalSolver",
    "ClassicalDMFTSolution",
    "ClassicalDMFTSweep",
    "Separatrix",
    "LogCosh",
    "solve_classical_dmft",
    "classical_dmft_sweep",
    "MAX_GAIN",
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
    """Compiled functions of :func:`classical_dmft_derivation` (one set per nonlinearity).

    These evaluate the Gaussian moments with the default quadrature of
    :mod:`theory.symbolic.gaussian` (fine up to g ≈ 5; the solver uses :class:`ClassicalSolver`).
    """

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


# ---------------------------------------------------------------------------- fast solver
#: Largest gain in the solvers' contract (node counts are flat in g up to here and beyond).
MAX_GAIN = 1e3
#: Below this Δ0 the Gaussian moments are replaced by their Taylor series in Δ0 (near-onset).
ONSET_SERIES_DELTA0 = 2e-3
#: Order in Δ0 of the near-onset series (truncation error ≈ 1e-19 relative at Δ0 = 2e-3).
ONSET_SERIES_ORDER = 8
#: Chebyshev nodes per panel of the separatrix (first kind).
PANEL_NODES = 32
#: Knots of the quintic spline of log Δ0(log(g − g_c)) that starts the Newton iteration.
GUESS_KNOTS = 300

_LOG2 = float(np.log(2.0))
#: |h| at its rounding floor (a few ulp): Newton has converged whatever its step says.
_EPS = float(np.finfo(float).eps)
_H_FLOOR = 8 * _EPS


def _h_floor(d0: np.ndarray) -> np.ndarray:
    """Rounding floor of h: a few ulp of its terms, O(1), or O(Δ0) in the near-onset series."""
    return _H_FLOOR * np.where(d0 < ONSET_SERIES_DELTA0, d0, 1.0)


#: Δ0 ≤ 2g² sup φ² ≤ 2·MAX_GAIN² bounds the variances the solver meets.
_MAX_DELTA0 = 2.0 * MAX_GAIN**2
eps_g = sp.Symbol("epsilon", real=True)  # g − 1 (near-onset series)


def _stable(expr: sp.Expr) -> sp.Expr:
    """The same function in a form that neither overflows nor cancels.

    ``log(cosh(a))`` becomes :class:`LogCosh`, and ``sinh(a)`` becomes ``tanh(a)·cosh(a)`` so that
    ratios such as sinh²/cosh² (which SymPy's simplification produces from tanh²) reduce to
    tanh²; the remaining negative powers of cosh underflow harmlessly to 0.
    """
    out = expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.cosh),
        lambda e: LogCosh(e.args[0].args[0]),
    )
    out = out.replace(
        lambda e: isinstance(e, sp.sinh), lambda e: sp.tanh(e.args[0]) * sp.cosh(e.args[0])
    )
    out = sp.expand(out)
    if any(
        isinstance(b, sp.cosh) and ex.is_positive
        for b, ex in (p.as_base_exp() for p in out.atoms(sp.Pow))
    ) or out.has(sp.sinh):
        raise AssertionError(f"cannot write {expr} without growing hyperbolic functions")
    return out


@dataclass(frozen=True)
class _MeanForms:
    """Expressions of (Δ0, g) whose Gaussian means ⟨F⟩_{Δ0} are evaluated by the sinh rule.

    Each GaussianMean atom becomes a symbol ``m_k``; the algebra (all expressions together) and
    the integrands F_k (all together, rewritten stably) are each compiled into one function with
    common subexpressions shared, so an evaluation is two calls however many quantities.
    """

    algebra: CompiledFunction  # (Delta0, g, *m) -> tuple of the expressions
    integrands: CompiledFunction  # x -> tuple of the F_k

    @classmethod
    def of(cls, exprs: Sequence[sp.Expr]) -> _MeanForms:
        atoms = sorted(
            set().union(*(e.atoms(GaussianMean) for e in exprs)), key=sp.default_sort_key
        )
        for a in atoms:
            if a.args != (Delta0,):
                raise AssertionError(f"unexpected Gaussian mean {a}")
        syms = [sp.Symbol(f"m_{k}", real=True) for k in range(len(atoms))]
        sub = dict(zip(atoms, syms, strict=True))
        algebra = compile_function(tuple(e.subs(sub) for e in exprs), [Delta0, g, *syms])
        integrands = compile_function(tuple(_stable(type(a).F) for a in atoms), [X])
        return cls(algebra, integrands)

    def __call__(self, d0: np.ndarray, gv: np.ndarray) -> tuple[np.ndarray, ...]:
        # one node count for every Δ0 of the domain: a gain gives the same bits alone or in a sweep
        x, w = sinh_normal_rule(d0, max_variance=max(_MAX_DELTA0, float(d0.max())))
        with np.errstate(over="ignore"):  # cosh(x)^-2 -> 0 at |x| > 710
            vals = self.integrands.func(x)
        if any(np.shape(v) != x.shape for v in vals):  # a constant integrand
            vals = np.broadcast_arrays(*vals)
        means = np.einsum("mgk,gk->mg", np.array(vals), w)
        return tuple(
            v if np.shape(v) == d0.shape else np.broadcast_to(v, d0.shape)
            for v in self.algebra.func(d0, gv, *means)
        )


@symbolic_cache
def _onset_series(phi: str, names: tuple[str, ...], order: int) -> tuple[sp.Expr, ...]:
    """Taylor polynomials in Δ0 (degree ``order``) of the solver's quantities, with g = 1 + ε exact.

    Every Gaussian mean ⟨F⟩_{Δ0} is replaced by Σ_k F^{(2k)}(0)/(2k)!·(2k−1)!!·Δ0^k (the moments
    of the Taylor series of F). The series are asymptotic (the moments grow like (2k−1)!!); at
    Δ0 ≤ 2e-3 the first omitted term is below 1e-18 relative.
    """
    exprs = _solver_expressions(phi)
    out = []
    cache: dict[sp.Expr, sp.Expr] = {}
    for name in names:
        e = exprs[name]
        shift = 2 if name in ("h", "dh") else 0
        n_x = 2 * (order + shift + 1) + 2
        for a in e.atoms(GaussianMean):
            if a not in cache:
                F = type(a).F
                poly = sp.Poly(sp.series(F, X, 0, n_x).removeO(), X)
                cache[a] = sp.Add(
                    *(
                        c * sp.factorial2(k - 1) * Delta0 ** (k // 2)
                        for (k,), c in poly.terms()
                        if k % 2 == 0
                    )
                )
        s = sp.expand(e.subs(cache).subs(g, 1 + eps_g))
        s = sp.Add(*(s.coeff(Delta0, k) * Delta0**k for k in range(order + 1)))
        out.append(sp.expand(s))
    return tuple(out)


@functools.cache
def _solver_expressions(phi: str) -> dict[str, sp.Expr]:
    d = classical_dmft_derivation(phi)
    gap = d["self_consistency"].lhs
    h = sp.expand(gap / Delta0**2)
    return {
        "h": h,
        "dh": sp.diff(h, Delta0),
        "kinetic": d.rhs("kinetic_identity"),
        "stiffness": d.rhs("relaxation"),
    }


@dataclass(frozen=True)
class ClassicalSolver:
    r"""The classical DMFT compiled for the fast solver (one per nonlinearity).

    From :func:`classical_dmft_derivation`, unchanged: the relative energy gap
    h(Δ0) = (V(Δ0) − V(0))/Δ0² and its Δ0-derivative (SymPy, through the heat equation
    ∂_{Δ0}⟨F⟩ = ⟨F''⟩/2), the kinetic identity, the relaxation stiffness τ_R⁻², and the
    derivative of the force, ∂_Δ F(Δ) = −V''(Δ) = 1 − g² C_{φ'}(Δ; Δ0) (Price's theorem), which
    is both the integrand of the energy integral and the Schrödinger potential of λ_max.

    Numerics: 1-d means by :func:`theory.numerics.quadrature.sinh_normal_rule` (node count flat
    in Δ0), C_{φ'} by :class:`theory.numerics.quadrature.LocalizedCrossMoment` (φ' is localised),
    and near the onset (Δ0 < :data:`ONSET_SERIES_DELTA0`) the Taylor series in Δ0 with g = 1 + ε
    exact (the energy gap, ⟨ẋ²⟩ and τ_R⁻² are differences of nearly equal numbers there).
    """

    phi: str
    root_forms: _MeanForms  # h, dh
    all_forms: _MeanForms  # h, dh, kinetic, stiffness
    dforce: CompiledFunction  # (Delta, Delta0, g, Cp) -> ∂_Δ force = −V''
    force_at_zero: sp.Expr
    cross: LocalizedCrossMoment  # C_{φ'}(c; c0)
    sup_phi: float  # sup |φ| (the bracket of Δ0)
    onset_g: float

    NAMES: ClassVar[tuple[str, ...]] = ("h", "dh", "kinetic", "stiffness")

    @classmethod
    @functools.cache
    def for_phi(cls, phi: str) -> ClassicalSolver:
        d = classical_dmft_derivation(phi)
        exprs = _solver_expressions(phi)
        force = d.rhs("equation_of_motion").subs(DeltaF(tau), Delta)
        dforce = sp.diff(force, Delta)
        crosses = list(dforce.atoms(GaussianCross))
        if len(crosses) != 1 or type(crosses[0]).F != type(crosses[0]).G:
            raise AssertionError(f"expected one C_phi' in dF/dDelta, got {dforce}")
        (cp,) = crosses
        Cp = sp.Symbol("C_p", real=True)
        nl = get_nonlinearity(phi)
        f0 = sp.simplify(force.subs(Delta, 0))
        if f0 != 0:
            raise ParameterError("phi", phi, "an odd nonlinearity (force F(0) = -g^2<phi>^2 = 0)")
        sup = float(sp.limit(sp.Abs(nl.expr), X, sp.oo))
        return cls(
            phi=phi,
            root_forms=_MeanForms.of([exprs["h"], exprs["dh"]]),
            all_forms=_MeanForms.of([exprs[n] for n in cls.NAMES]),
            dforce=compile_function(dforce.subs(cp, Cp), [Delta, Delta0, g, Cp]),
            force_at_zero=f0,
            cross=LocalizedCrossMoment(compile_function(type(cp).F, [X])),
            sup_phi=sup,
            onset_g=float(sp.sqrt(d.rhs("onset").subs(Delta0, 0))),
        )

    @property
    def series(self) -> tuple[CompiledFunction, ...]:
        """The near-onset series of h, dh, ⟨ẋ²⟩, τ_R⁻² as polynomials of (Δ0, ε = g − 1).

        Derived on first use (about 2 s of SymPy, then cached on disk): only gains within ≈ 2e-3
        of the onset need them.
        """
        return _compiled_series(self.phi)

    def quantities(
        self, d0: np.ndarray, gv: np.ndarray, which: str = "root"
    ) -> dict[str, np.ndarray]:
        """``which="root"``: h and dh/dΔ0; ``"all"``: also ⟨ẋ²⟩ and τ_R⁻², at (Δ0, g) arrays.

        The near-onset series is used below :data:`ONSET_SERIES_DELTA0`.
        """
        names = ("h", "dh") if which == "root" else self.NAMES
        forms = self.root_forms if which == "root" else self.all_forms
        d0 = np.asarray(d0, dtype=float)
        gv = np.asarray(gv, dtype=float)
        if gv.shape != d0.shape:
            gv = np.broadcast_to(gv, d0.shape)
        if not d0.min() < ONSET_SERIES_DELTA0:  # no gain near the onset (the usual case)
            return dict(zip(names, forms(d0, gv), strict=True))
        small = d0 < ONSET_SERIES_DELTA0
        out = {n: np.empty(d0.shape) for n in names}
        eps = gv[small] - 1.0  # exact for g near 1 (Sterbenz)
        series = dict(zip(self.NAMES, self.series, strict=True))
        for n in names:
            if n not in ("kinetic", "stiffness"):
                out[n][small] = series[n](d0[small], eps)
        if which != "root":  # differences of O(1) numbers in the series: use the Mehler form
            out["kinetic"][small], out["stiffness"][small] = onset_moments(
                self.phi, d0[small], gv[small]
            )
        if np.any(~small):
            for n, v in zip(names, forms(d0[~small], gv[~small]), strict=True):
                out[n][~small] = v
        return out

    @functools.cached_property
    def guess_table(self) -> Any:
        """Quintic interpolating spline of log Δ0 against log(g − g_c), g_c + 1e-3 … 2·MAX_GAIN.

        Solved once per nonlinearity on :data:`GUESS_KNOTS` gains by the bracketing path of
        :func:`_solve_delta0` to 1e-15 (~0.1 s, the first call in a process). Its interpolation
        error, measured against 3000 random gains solved to 1e-15, is ≤ 3.3e-13 in log Δ0 (tanh;
        a cubic spline on 97 gains, the previous table, was 7.7e-8), below the default
        ``xtol`` = 1e-12, so one evaluation of h and h' at the guess confirms it: the Newton
        step it gives is the error of the guess, and it is below ``xtol``.
        """
        from scipy.interpolate import make_interp_spline

        x = np.linspace(np.log(1e-3), np.log(2 * MAX_GAIN), GUESS_KNOTS)
        gv = self.onset_g + np.exp(x)
        r = _solve_delta0(self, gv, 1e-15, guess=False)
        return make_interp_spline(x, np.log(r["delta0"]), k=5)


#: Even orders k ≤ this of the Mehler series of C_{φ'} in the near-onset separatrix, and the
#: degree in Δ0 of each Gaussian mean in it (first omitted term ≈ 1e-18 relative at Δ0 = 2e-3).
ONSET_MEHLER_ORDER = 10


@symbolic_cache
def _taylor_at_zero(phi: str, n: int) -> tuple[sp.Expr, ...]:
    """φ^{(k)}(0) for k = 0 … n − 1 (exact)."""
    poly = sp.series(get_nonlinearity(phi).expr, X, 0, n).removeO()
    return tuple(sp.factorial(k) * poly.coeff(X, k) for k in range(n))


@functools.cache
def _taylor_floats(phi: str) -> np.ndarray:
    K = ONSET_MEHLER_ORDER
    return np.array([float(c) for c in _taylor_at_zero(phi, K + 2 * K + 3)])


def onset_force_coefficients(phi: str, delta0: Any, gain: Any) -> np.ndarray:
    r"""Coefficients c_k (k = 2, 4, …, :data:`ONSET_MEHLER_ORDER`) of the scaled force derivative.

    Near the onset Δ0 → 0 and F'(Δ) = 1 − g²C_{φ'}(Δ; Δ0) is O(Δ0²), the difference of numbers
    of order 1, so it cannot be evaluated as written. With the Mehler series
    C_{φ'}(Δ; Δ0) = Σ_k Δ^k/k!·⟨φ^{(k+1)}⟩², the Δ-independent term c = 1 − g²⟨φ'⟩² is the only
    one of order 1; it is removed exactly by subtracting 2h, twice the relative energy gap
    h = Δ0⁻²∫_0^{Δ0}(Δ0 − w)F'(w)dw (0 at the root; for odd φ, F(0) = 0). What remains,

    .. math:: \tilde F'(\Delta_0 u)/\Delta_0^2 = \sum_{k\,\mathrm{even}\ge2} c_k
        \Big(u^k-\frac{2}{(k+1)(k+2)}\Big),\qquad
        c_k=-g^2\,\Delta_0^{k-2}\,\langle\varphi^{(k+1)}\rangle_{\Delta_0}^2/k!,

    has no cancellation, and its energy balance ∫_0^{Δ0}(Δ0 − w)F̃'(w)dw = 0 holds exactly for any
    Δ0, so the separatrix it defines is that of the true force at the exact root (they differ by
    2h(Δ0), the rounding of Δ0). The means are their Taylor series
    ⟨F⟩_{Δ0} = Σ_j F^{(2j)}(0)Δ0^j/(2^j j!). Returns an array of shape (..., K/2).
    """
    a = _taylor_floats(phi)
    K = ONSET_MEHLER_ORDER
    d0 = np.asarray(delta0, dtype=float)[..., None]
    gv = np.asarray(gain, dtype=float)[..., None]
    ks = np.arange(2, K + 1, 2)
    j = np.arange(K + 1)
    pw = d0[..., None] ** j / (2.0**j * _factorials(K + 1))  # (..., 1, J)
    m = (a[(ks + 1)[:, None] + 2 * j[None, :]] * pw).sum(axis=-1)  # ⟨φ^{(k+1)}⟩, (..., K/2)
    return -(gv**2) * d0 ** (ks - 2) * m**2 / _factorials(K + 1)[ks]


def _factorials(n: int) -> np.ndarray:
    """0!, 1!, …, (n − 1)! as floats."""
    return np.cumprod(np.concatenate([[1.0], np.arange(1.0, n)]))


def onset_scaled_force(coef: np.ndarray, u: Any) -> np.ndarray:
    """F̃'(Δ0 u)/Δ0² from :func:`onset_force_coefficients` (one Δ0), at u = Δ/Δ0."""
    ks = np.arange(2, 2 * coef.size + 1, 2)
    u = np.asarray(u, dtype=float)
    return (coef * (u[..., None] ** ks - 2.0 / ((ks + 1) * (ks + 2)))).sum(axis=-1)


def onset_moments(phi: str, delta0: Any, gain: Any) -> tuple[np.ndarray, np.ndarray]:
    """(⟨ẋ²⟩, τ_R⁻²) near the onset without cancellation (:func:`onset_force_coefficients`).

    τ_R⁻² = F'(0) = Δ0² Σ c_k·(−2/((k+1)(k+2))) and ⟨ẋ²⟩ = −F(Δ0) = −Δ0³∫_0^1 F̃'/Δ0² du
    = −Δ0³ Σ c_k·k/((k+1)(k+2)) (at the root, where F̃' = F').
    """
    d0 = np.asarray(delta0, dtype=float)
    coef = onset_force_coefficients(phi, d0, gain)
    ks = np.arange(2, 2 * coef.shape[-1] + 1, 2)
    stiff = d0**2 * (coef * (-2.0 / ((ks + 1) * (ks + 2)))).sum(axis=-1)
    kin = -(d0**3) * (coef * (ks / ((ks + 1) * (ks + 2)))).sum(axis=-1)
    return kin, stiff


@functools.cache
def _compiled_series(phi: str) -> tuple[CompiledFunction, ...]:
    return tuple(
        compile_function(s, [Delta0, eps_g])
        for s in _onset_series(phi, ClassicalSolver.NAMES, ONSET_SERIES_ORDER)
    )


def _solve_delta0(
    th: ClassicalSolver, gv: np.ndarray, xtol: float, *, guess: bool = True
) -> dict[str, np.ndarray]:
    """Δ0(g) for chaotic gains (vectorised safeguarded Newton on h in log Δ0).

    h(Δ0) = (V(Δ0) − V(0))/Δ0² falls from (g² − 1)/2 at Δ0 → 0 to −1/2, and h < 0 at
    Δ0 = 2g²·sup φ² (Var Φ ≤ sup φ²·Δ0). With ``guess`` the Newton iteration in y = log Δ0
    starts from the solver's own Δ0(g) curve (:attr:`ClassicalSolver.guess_table`, error
    ≤ 3.3e-13 in log Δ0), so one evaluation confirms the guess at the default xtol = 1e-12 (its
    Newton step is below xtol) and a smaller xtol takes one step more; otherwise (and for any gain where those steps fail)
    a scan of 8 log-spaced points brackets the root and Newton steps with bisection safeguards
    finish. All gains are iterated at once.
    """
    G = gv.size
    tol = max(float(xtol), 4 * _EPS)
    y = np.full(G, np.nan)
    done = np.zeros(G, dtype=bool)
    it = np.zeros(G, dtype=int)
    res, kin, stf = np.full((3, G), np.nan)
    if guess:
        spline = th.guess_table
        x0 = float(spline.t[0])  # gains <= MAX_GAIN lie below the table's end
        xg = np.log(gv - th.onset_g)
        y = spline(np.maximum(xg, x0))
        low = xg < x0  # Δ0 ∝ (g − g_c) below the table
        if low.any():
            y[low] += xg[low] - x0
        # first evaluation on all gains at once; the usual end: every guess within xtol
        d0 = np.exp(y)
        q = th.quantities(d0, gv, "all")
        h = q["h"]
        a = np.abs(-h / (q["dh"] * d0))
        if ((a <= tol) | ((np.abs(h) <= _h_floor(d0)) & (a < 0.1))).all():
            return {
                "delta0": d0,
                "residual": np.abs(h),
                "converged": np.ones(G, dtype=bool),
                "iterations": np.ones(G, dtype=int),
                "kinetic": q["kinetic"],
                "stiffness": q["stiffness"],
            }
        act = np.arange(G)
        for i in range(8):
            if i:  # the first evaluation is the one above
                d0 = np.exp(y[act])
                q = th.quantities(d0, gv[act], "all")
                h = q["h"]
            step = -h / (q["dh"] * d0)
            ok = np.isfinite(step) & (np.abs(step) < 0.1)
            # converged: the step is below xtol, or h is at its rounding floor (a few ulp of its
            # terms: O(1), or O(Δ0) in the near-onset series, where h ~ g − 1)
            conv = ok & ((np.abs(step) <= tol) | (np.abs(h) <= _h_floor(d0)))
            res[act], kin[act], stf[act] = np.abs(h), q["kinetic"], q["stiffness"]
            it[act] += 1
            if np.all(conv):
                done[act] = True
                break
            y[act] = np.where(ok & ~conv, y[act] + step, y[act])  # converged: keep the evaluated y
            done[act[conv]] = True
            it[act[~ok]] = -1  # hand over to the bracketing path
            done[act[~ok]] = True
            act = act[~done[act]]
            if act.size == 0:
                break
        redo = (it < 0) | ~done
        done[redo] = False
        it[redo] = 0
    rest = np.flatnonzero(~done)
    if rest.size:
        gr = gv[rest]
        R = rest.size
        y_hi = np.log(2.0 * gr**2 * th.sup_phi**2)
        y_lo = np.log(np.minimum((gr**2 - 1.0) / 4.0, 1e-2))
        K = 8
        grid = np.linspace(0.0, 1.0, K)[None, :]
        for _ in range(20):  # h > 0 at small enough Δ0 (onset expansion); widen if needed
            ys = y_lo[:, None] + (y_hi - y_lo)[:, None] * grid
            hs = th.quantities(np.exp(ys).ravel(), np.repeat(gr, K))["h"].reshape(R, K)
            bad = ~(hs[:, 0] > 0)
            if not np.any(bad):
                break
            y_lo = np.where(bad, y_lo - np.log(1e4), y_lo)
        else:
            raise ConvergenceError("cannot bracket Delta0 from below (h <= 0 at tiny Delta0)", 0.0)
        if not np.all(hs[:, -1] < 0):
            raise ConvergenceError(
                "h(2 g^2 sup phi^2) >= 0: no bracket for Delta0", float(hs[:, -1].max())
            )
        rows = np.arange(R)
        idx = np.argmax(hs < 0, axis=1)  # first negative
        lo, hi = ys[rows, idx - 1], ys[rows, idx]
        h_lo, h_hi = hs[rows, idx - 1], hs[rows, idx]
        yr = lo + (hi - lo) * h_lo / (h_lo - h_hi)  # secant start
        dn = np.zeros(R, dtype=bool)
        itr = np.zeros(R, dtype=int)
        for _ in range(100):
            act = np.flatnonzero(~dn)
            if act.size == 0:
                break
            ya = yr[act]
            q = th.quantities(np.exp(ya), gr[act])
            h, dhdy = q["h"], q["dh"] * np.exp(ya)
            pos = h > 0
            lo[act] = np.where(pos, ya, lo[act])
            hi[act] = np.where(pos, hi[act], ya)
            with np.errstate(divide="ignore", invalid="ignore"):
                y_new = ya - h / dhdy
            inside = np.isfinite(y_new) & (y_new >= lo[act]) & (y_new <= hi[act])
            y_new = np.where(inside, y_new, 0.5 * (lo[act] + hi[act]))
            y_new = np.where(h == 0, ya, y_new)
            conv = (np.abs(y_new - ya) <= tol) | (hi[act] - lo[act] <= tol)
            yr[act] = y_new
            itr[act] += 1
            dn[act[conv]] = True
        y[rest] = yr
        done[rest] = dn
        it[rest] = itr
        q = th.quantities(np.exp(yr), gr, "all")
        res[rest], kin[rest], stf[rest] = np.abs(q["h"]), q["kinetic"], q["stiffness"]
    return {
        "delta0": np.exp(y),
        "residual": res,
        "converged": done,
        "iterations": it,
        "kinetic": kin,
        "stiffness": stf,
    }


def classical_dmft_sweep(
    gains: Any, phi: str = "tanh", *, xtol: float = 1e-12
) -> ClassicalDMFTSweep:
    """Δ0, ⟨ẋ²⟩ and τ_R of the classical DMFT for an array of gains, vectorised.

    One safeguarded Newton iteration runs on all chaotic gains at once (quiescent gains g ≤ g_c
    get Δ0 = 0); the cost is flat in g up to :data:`MAX_GAIN` (≈ 1 ms for 40 gains on one core).
    Δ(τ) and λ_max of one gain come from :meth:`ClassicalDMFTSweep.solution`.

    Raises
    ------
    ParameterError
        For gains outside (0, MAX_GAIN], non-finite gains, or an unknown ``phi``.
    """
    from theory.gating.classical.model import CLASSICAL_NONLINEARITIES

    gv = np.atleast_1d(np.asarray(gains, dtype=float))
    require(gv.ndim == 1 and gv.size >= 1, "gains", gains, "a 1-d array of gains")
    # NaN fails both comparisons, ±inf one of them
    if not (gv.min() > 0 and gv.max() <= MAX_GAIN):
        raise ParameterError(
            "g", gains, f"finite gains 0 < g <= {MAX_GAIN:g} (the solver's stated domain)"
        )
    if phi not in CLASSICAL_NONLINEARITIES:
        raise ParameterError("phi", phi, f"one of {CLASSICAL_NONLINEARITIES}")
    require(0 < xtol < 1e-3, "xtol", xtol, "0 < xtol < 1e-3 (relative tolerance on Delta0)")
    th = ClassicalSolver.for_phi(phi)
    chaotic = gv > th.onset_g
    n = gv.size
    if chaotic.all():  # no quiescent gain: the solver's arrays are the result
        r = _solve_delta0(th, gv, xtol)
        d0, res, conv, kin, its = (
            r["delta0"],
            r["residual"],
            r["converged"],
            r["kinetic"],
            r["iterations"],
        )
        stiff = r["stiffness"]
        tau_R = 1.0 / np.sqrt(np.maximum(stiff, 0.0))
    else:
        d0, res, kin = np.zeros((3, n))
        conv = np.ones(n, dtype=bool)
        tau_R = np.full(n, np.inf)
        its = np.zeros(n, dtype=int)
        stiff = np.ones(1)
        if np.any(chaotic):
            r = _solve_delta0(th, gv[chaotic], xtol)
            d0[chaotic] = r["delta0"]
            res[chaotic] = r["residual"]
            conv[chaotic] = r["converged"]
            kin[chaotic] = r["kinetic"]
            its[chaotic] = r["iterations"]
            stiff = r["stiffness"]
            tau_R[chaotic] = 1.0 / np.sqrt(np.maximum(stiff, 0.0))
    if not stiff.min() > 0:
        raise ConvergenceError("non-positive relaxation stiffness at Delta = 0", float(stiff.min()))
    if not np.isfinite(d0.sum() + kin.sum() + res.sum()):
        bad = ~(np.isfinite(d0) & np.isfinite(kin) & np.isfinite(res))
        raise ConvergenceError(f"non-finite DMFT result at g = {gv[bad]}", float("nan"))
    conv = conv & (res <= 1e-10)
    return ClassicalDMFTSweep(phi, gv, chaotic, d0, kin, tau_R, conv, res, its)


@dataclass(frozen=True)
class ClassicalDMFTSweep:
    """Vectorised classical DMFT over gains (:func:`classical_dmft_sweep`).

    Attributes
    ----------
    g, chaotic, delta0, kinetic, tau_R, converged, residual, iterations:
        Arrays over the gains (Δ0 = 0, τ_R = inf, ⟨ẋ²⟩ = 0 in the quiescent phase); residual is
        |V(Δ0) − V(0)|/Δ0², the relative energy gap.
    """

    phi: str
    g: np.ndarray
    chaotic: np.ndarray
    delta0: np.ndarray
    kinetic: np.ndarray
    tau_R: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray

    def solution(
        self, i: int, *, tau_max: float = 40.0, dtau: float = 0.01
    ) -> ClassicalDMFTSolution:
        """The full solution (lazy Δ(τ), λ_max) of the i-th gain."""
        p = ClassicalParams(float(self.g[i]), phi=self.phi)
        return _solution(p, self, i, tau_max, dtau)

    def lambda_max(self) -> np.ndarray:
        """DMFT λ_max for every gain (g − 1 < 0 in the quiescent phase... NaN there)."""
        out = np.full(self.g.size, np.nan)
        for i in range(self.g.size):
            if self.chaotic[i]:
                out[i] = self.solution(i).lyapunov().value
        return out


class _Cheb:
    """A Chebyshev series on [a, b] (first-kind nodes), with antiderivatives."""

    __slots__ = ("a", "b", "c")

    def __init__(self, a: float, b: float, coef: np.ndarray) -> None:
        self.a, self.b, self.c = float(a), float(b), coef

    @staticmethod
    @functools.cache
    def basis(n: int) -> tuple[np.ndarray, np.ndarray]:
        k = np.arange(n)
        x = np.cos(np.pi * (k + 0.5) / n)
        M = 2.0 / n * np.cos(np.outer(np.arange(n), np.pi * (k + 0.5) / n))
        M[0] /= 2.0
        return x, M

    @classmethod
    def nodes(cls, a: float, b: float, n: int = PANEL_NODES) -> np.ndarray:
        x, _ = cls.basis(n)
        return a + (b - a) * (x + 1.0) / 2.0

    @classmethod
    def fit(cls, a: float, b: float, values: np.ndarray) -> _Cheb:
        _, M = cls.basis(values.size)
        return cls(a, b, M @ values)

    def local(self, t: Any) -> np.ndarray:
        return (2.0 * np.asarray(t, dtype=float) - self.a - self.b) / (self.b - self.a)

    def __call__(self, t: Any) -> np.ndarray:
        return C.chebval(self.local(t), self.c)

    def antiderivative(self, offset: float = 0.0) -> _Cheb:
        """∫_a^t of this series, plus ``offset``."""
        c = C.chebint(self.c, lbnd=-1, scl=(self.b - self.a) / 2.0)
        c[0] += offset
        return _Cheb(self.a, self.b, c)

    def end(self) -> float:
        return float(C.chebval(1.0, self.c))

    def times(self, lin0: float, lin1: float) -> _Cheb:
        """This series times the linear function lin0 + lin1·t."""
        mid, half = (self.a + self.b) / 2.0, (self.b - self.a) / 2.0
        return _Cheb(self.a, self.b, C.chebmul(self.c, [lin0 + lin1 * mid, lin1 * half]))


def _clenshaw(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Σ_k c[m, k] T_k(x[m]): Chebyshev series with one coefficient row per point."""
    n = c.shape[1]
    b1 = np.zeros(x.shape)
    b2 = np.zeros(x.shape)
    x2 = 2.0 * x
    for k in range(n - 1, 0, -1):
        b1, b2 = c[:, k] + x2 * b1 - b2, b1
    return c[:, 0] + x * b1 - b2


class _Stack:
    """Chebyshev series on consecutive panels [a_i, b_i] (equal lengths), evaluated together."""

    def __init__(self, pans: Sequence[_Cheb]) -> None:
        self.a = np.array([p.a for p in pans])
        self.b = np.array([p.b for p in pans])
        self.c = np.stack([p.c for p in pans])

    def __len__(self) -> int:
        return self.a.size

    def index(self, t: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.b, t, side="left"), 0, self.a.size - 1)

    def local(self, t: np.ndarray, idx: np.ndarray) -> np.ndarray:
        a, b = self.a[idx], self.b[idx]
        return (2.0 * t - a - b) / (b - a)

    def __call__(self, t: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if idx is None:
            idx = self.index(t)
        return _clenshaw(self.local(t, idx), self.c[idx])


class Separatrix:
    r"""The separatrix Δ(τ) of the classical DMFT particle, from the energy integral.

    With F(Δ) = −V'(Δ) the force and F' = 1 − g²C_{φ'}(Δ; Δ0) its derivative (tabulated on
    Chebyshev panels), the energy E(Δ) = V(Δ0) − V(Δ) is a double integral of F':

    * far from Δ0 (Δ ≤ Δ0/2): E = ∫_0^Δ F = Δ² e(Δ), e(Δ) = ∫_0^1 (1 − s) F'(Δs) ds
      (F(0) = 0 for odd φ), so E(0) = E'(0) = 0 exactly and e(0) = τ_R⁻²/2;
    * near Δ0 (v = Δ0 − Δ ≤ Δ0/2): E = −F(Δ0) v + ∫_0^v (v − t) F'(Δ0 − t) dt ≈ ⟨ẋ²⟩ v.

    The two differ by the tabulated energy gap V(Δ0) − V(0) (0 at the root; ~1e-15·Δ0² here, kept
    in ``gap``), which is spread as gap·(Δ/Δ0)² so that E vanishes at both ends. Then

    .. math:: \tau(\Delta)=\int_\Delta^{\Delta_0}\frac{du}{\sqrt{2E(u)}},

    with the square-root end at Δ0 regularised by v = v₁q², and the logarithmic end at 0 by
    τ = τ_f + τ_R' log(Δ_f/Δ) + ∫_Δ^{Δ_f} [1/√(2e(u)) − τ_R'] du/u. The panels in v are graded
    geometrically (0, ½, 3/2, 9/2, …, Δ0/2): at large g, C_{φ'} varies on the scale v ~ 1 next to
    Δ0 ~ g², so the number of panels grows like log g, the work per panel does not. Δ(τ) is
    obtained by Newton inversion of τ(Δ) (no ODE: the second-order equation is unstable along
    the separatrix, errors grow like e^{τ/τ_R}).
    """

    def __init__(self, th: ClassicalSolver, delta0: float, gain: float, n: int = PANEL_NODES):
        self.delta0, self.g, self.n = float(delta0), float(gain), int(n)
        c0 = self.delta0
        cf = c0 / 2.0
        self.c_far = cf
        vb = [0.0]
        v1 = 0.5
        if cf > 1.5 * v1:
            vb.append(v1)
            while vb[-1] * 3.0 < cf / 1.5:
                vb.append(vb[-1] * 3.0)
        vb.append(cf)
        self.v_bounds = np.array(vb)
        P = len(vb) - 1
        far_nodes = _Cheb.nodes(0.0, cf, n)
        v_nodes = np.concatenate([_Cheb.nodes(vb[i], vb[i + 1], n) for i in range(P)])
        self._th = th
        fp = self._dforce(np.concatenate([far_nodes, c0 - v_nodes]))
        self.far = _Cheb.fit(0.0, cf, fp[:n])
        vpan = [_Cheb.fit(vb[i], vb[i + 1], fp[n * (i + 1) : n * (i + 2)]) for i in range(P)]
        self.vpan = _Stack(vpan)  # F'(Δ0 − v) on the v panels
        # ---- integrals of F' from the bottom (far panel) and from the top (v panels)
        far_int = self.far.antiderivative().end()  # ∫_0^{cf} F'
        A2: list[_Cheb] = []
        o1 = o2 = 0.0
        for pan in vpan:
            a1 = pan.antiderivative(o1)  # ∫_0^v F'(Δ0 − t) dt
            a2 = a1.antiderivative(o2)  # ∫_0^v (v − t) F'(Δ0 − t) dt
            A2.append(a2)
            o1, o2 = a1.end(), a2.end()
        self.force_top = float(th.force_at_zero) + far_int + o1  # F(Δ0) = −⟨ẋ²⟩
        self._A2 = _Stack(A2)
        # V(Δ0) − V(0) as tabulated: E_top(cf) − E_bottom(cf), with
        # E_top(v) = −F(Δ0) v + A2(v) and E_bottom(cf) = ∫_0^{cf} F = ∫_0^{cf} (cf − w) F'(w) dw
        E_top_cf = -self.force_top * cf + o2
        self.gap = E_top_cf - self.far.times(cf, -1.0).antiderivative().end()
        # ---- far panel: e(Δ) = E/Δ² = ∫_0^1 (1 − s) F'(Δ s) ds + gap/Δ0²
        s, ws = np.polynomial.legendre.leggauss(n)
        s = (s + 1.0) / 2.0
        ws = ws / 2.0 * (1.0 - s)
        e_far = self.far(far_nodes[:, None] * s[None, :]) @ ws + self.gap / c0**2
        e0 = float(self.far(0.0)) / 2.0 + self.gap / c0**2
        if not (e0 > 0 and np.all(e_far > 0)):
            raise ConvergenceError("energy integral: non-positive energy below Delta0/2", e0)
        self.tau_R = 1.0 / np.sqrt(2.0 * e0)
        r = (1.0 / np.sqrt(2.0 * e_far) - self.tau_R) / far_nodes
        self._r = _Cheb.fit(0.0, cf, r).antiderivative()  # ∫_0^u r
        self._r_end = self._r.end()
        self._e_far = _Cheb.fit(0.0, cf, e_far)
        # ---- τ on the v panels (panel 0 in q = √(v/v1), the others in v)
        q = _Cheb.nodes(0.0, 1.0, n)
        loc = [q] + [_Cheb.nodes(vb[i], vb[i + 1], n) for i in range(1, P)]
        vv = np.concatenate([vb[1] * q**2] + loc[1:])
        E = self._energy_v(vv, np.repeat(np.arange(P), n))
        if not np.all(E > 0):
            raise ConvergenceError(
                "energy integral: non-positive energy near Delta0", float(E.min())
            )
        f = 1.0 / np.sqrt(2.0 * E)
        f[:n] *= 2.0 * vb[1] * q  # dv = 2 v1 q dq
        taus: list[_Cheb] = []
        tb = [0.0]
        for i in range(P):
            a_i, b_i = (0.0, 1.0) if i == 0 else (vb[i], vb[i + 1])
            tp = _Cheb.fit(a_i, b_i, f[i * n : (i + 1) * n]).antiderivative(tb[-1])
            taus.append(tp)
            tb.append(tp.end())
        self._tau = _Stack(taus)
        self._dtau = _Stack([_Cheb(t.a, t.b, C.chebder(t.c)) for t in taus])
        self.tau_bounds = np.array(tb)  # τ at v = 0, v1, 3v1, ..., cf
        self.tau_far = tb[-1]

    # ------------------------------------------------------------------ pieces
    def _dforce(self, c: np.ndarray) -> np.ndarray:
        th = self._th
        cp = th.cross(c, self.delta0)
        return th.dforce(c, self.delta0, self.g, cp)

    def _energy_v(self, v: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """E at Δ = Δ0 − v on v-panels ``idx`` (with the gap spread as gap·(Δ/Δ0)²)."""
        c0 = self.delta0
        Et = -self.force_top * v + self._A2(v, idx)
        return Et - self.gap * (1.0 - ((c0 - v) / c0) ** 2)

    def _split(self, delta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        d = np.asarray(delta, dtype=float)
        far = d <= self.c_far
        v = self.delta0 - d[~far]
        return d, far, v, self.vpan.index(v)

    def stiffness_curve(self, delta: Any) -> np.ndarray:
        """F'(Δ) = −V''(Δ) = 1 − g²C_{φ'}(Δ; Δ0), the Schrödinger potential of λ_max."""
        d, far, v, idx = self._split(delta)
        out = np.empty(d.shape)
        out[far] = self.far(d[far])
        out[~far] = self.vpan(v, idx)
        return out

    def energy(self, delta: Any) -> np.ndarray:
        """E(Δ) = V(Δ0) − V(Δ) = ½Δ'(τ)² along the separatrix."""
        d, far, v, idx = self._split(delta)
        out = np.empty(d.shape)
        out[far] = d[far] ** 2 * self._e_far(d[far])
        out[~far] = self._energy_v(v, idx)
        return out

    def _tau_local(self, v: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return np.where(idx == 0, np.sqrt(np.clip(v, 0.0, None) / self.v_bounds[1]), v)

    def tau_of(self, delta: Any) -> np.ndarray:
        """τ(Δ), 0 < Δ ≤ Δ0 (the lag at which the autocorrelation equals Δ)."""
        d, far, v, idx = self._split(delta)
        out = np.empty(d.shape)
        df = d[far]
        out[far] = self.tau_far + self.tau_R * np.log(self.c_far / df) + self._r_end - self._r(df)
        out[~far] = self._tau(self._tau_local(v, idx), idx)
        return out

    @functools.cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """(τ, log Δ) at 17 points per panel and 88 points of the tail (Newton's first guesses)."""
        pts = [
            self.delta0 - np.linspace(a, b, 17)
            for a, b in zip(self.v_bounds[:-1], self.v_bounds[1:], strict=True)
        ]
        z = np.concatenate([np.linspace(0.0, 12.0, 49), np.linspace(12.0, 700.0, 40)[1:]])
        d = np.unique(np.concatenate([*pts, self.c_far * np.exp(-z)]))[::-1]
        d = d[d > 0]
        return self.tau_of(d), np.log(d)

    def delta(self, lags: Any) -> np.ndarray:
        """Δ(τ) at lags τ (any real values; Δ is even in τ). Newton inversion of :meth:`tau_of`."""
        t = np.abs(np.asarray(lags, dtype=float))
        if not np.all(np.isfinite(t)):
            raise ParameterError("lags", "array with NaN/inf", "finite lags")
        out = np.empty(t.shape)
        tab_t, tab_y = self._table
        far = t > self.tau_far
        if np.any(far):
            tt = t[far]
            y = np.interp(tt, tab_t, tab_y)
            beyond = tt > tab_t[-1]  # past the table: the linear tail, Newton refines
            y[beyond] = tab_y[-1] - (tt[beyond] - tab_t[-1]) / self.tau_R
            y_max = np.log(self.c_far)
            for _ in range(12):
                D = np.exp(y)
                F = self.tau_far + self.tau_R * (y_max - y) + self._r_end - self._r(D) - tt
                step = F * np.sqrt(2.0 * self._e_far(D))  # dτ/dy = −1/√(2e)
                y = np.minimum(y + step, y_max)
                if np.all(np.abs(step) <= 1e-13):
                    break
            out[far] = np.exp(y)
        if not np.all(far):
            tt = t[~far]
            idx = np.clip(
                np.searchsorted(self.tau_bounds, tt, side="right") - 1, 0, len(self._tau) - 1
            )
            v0 = self.delta0 - np.exp(np.interp(tt, tab_t, tab_y))
            x = self._tau.local(self._tau_local(v0, idx), idx)
            c_tau, c_dtau = self._tau.c[idx], self._dtau.c[idx]
            for _ in range(12):
                step = (_clenshaw(x, c_tau) - tt) / _clenshaw(x, c_dtau)
                x = np.clip(x - step, -1.0, 1.0)
                if np.all(np.abs(step) <= 1e-13):
                    break
            loc = self._tau.a[idx] + (self._tau.b[idx] - self._tau.a[idx]) * (x + 1.0) / 2.0
            out[~far] = self.delta0 - np.where(idx == 0, self.v_bounds[1] * loc**2, loc)
        return out

    def element_bounds(self) -> np.ndarray:
        """Lags graded like the panels (0, τ(v1), τ(3v1), …, τ(Δ0/2)): elements for λ_max."""
        return self.tau_bounds.copy()

    @property
    def relative_gap(self) -> float:
        """The tabulated energy gap V(Δ0) − V(0) relative to Δ0² (0 at the exact root)."""
        return abs(self.gap) / self.delta0**2


class _ScaledOnsetForce:
    """F̃'(Δ0 u)/Δ0² as the force derivative of a particle with Δ0 = 1 (duck-types the solver)."""

    force_at_zero = 0.0

    def __init__(self, coef: np.ndarray) -> None:
        self.coef = coef

    def cross(self, c: np.ndarray, _d0: float) -> None:
        return None

    def dforce(self, c: np.ndarray, _d0: float, _g: float, _cp: None) -> np.ndarray:
        return onset_scaled_force(self.coef, c)


class OnsetSeparatrix:
    r"""The separatrix near the onset (Δ0 < :data:`ONSET_SERIES_DELTA0`), in scaled variables.

    With Δ = Δ0·u and σ = Δ0·τ the equation of motion Δ'' = F(Δ) becomes u'' = ∫_0^u f with
    f(u) = F̃'(Δ0 u)/Δ0² of order 1 (:func:`onset_force_coefficients`: the order-1 constant of
    F' is removed exactly), so the :class:`Separatrix` of this scaled particle (Δ0 = 1) is
    computed without the cancellation that makes 1 − g²C_{φ'} useless at Δ0 ≲ 1e-7
    (F' = O(Δ0²) below rounding). The public methods are those of :class:`Separatrix`, in the
    original units: Δ(τ) = Δ0 u(Δ0 τ), τ_R = τ_R^u/Δ0, E = Δ0⁴E_u, F' = Δ0² f.
    """

    def __init__(self, th: ClassicalSolver, delta0: float, gain: float, n: int = PANEL_NODES):
        self.delta0, self.g, self.n = float(delta0), float(gain), int(n)
        self.coef = onset_force_coefficients(th.phi, self.delta0, self.g)
        self.scaled = Separatrix(_ScaledOnsetForce(self.coef), 1.0, self.g, n)  # type: ignore[arg-type]
        self.tau_R = self.scaled.tau_R / self.delta0
        self.gap = self.scaled.gap * self.delta0**4
        self.vpan = self.scaled.vpan

    @property
    def relative_gap(self) -> float:
        """The tabulated energy gap relative to the energy scale (Δ0⁴ here)."""
        return abs(self.scaled.gap)

    def stiffness_curve(self, delta: Any) -> np.ndarray:
        """F'(Δ) = −V''(Δ), the Schrödinger potential of λ_max."""
        d = np.asarray(delta, dtype=float)
        return self.delta0**2 * self.scaled.stiffness_curve(d / self.delta0)

    def energy(self, delta: Any) -> np.ndarray:
        """E(Δ) = V(Δ0) − V(Δ) = ½Δ'(τ)² along the separatrix."""
        d = np.asarray(delta, dtype=float)
        return self.delta0**4 * self.scaled.energy(d / self.delta0)

    def tau_of(self, delta: Any) -> np.ndarray:
        """τ(Δ), 0 < Δ ≤ Δ0."""
        d = np.asarray(delta, dtype=float)
        return self.scaled.tau_of(d / self.delta0) / self.delta0

    def delta(self, lags: Any) -> np.ndarray:
        """Δ(τ) at lags τ (Δ is even in τ)."""
        t = np.asarray(lags, dtype=float)
        if not np.all(np.isfinite(t)):
            raise ParameterError("lags", "array with NaN/inf", "finite lags")
        return self.delta0 * self.scaled.delta(t * self.delta0)

    def element_bounds(self) -> np.ndarray:
        """Lags graded like the panels (elements for λ_max)."""
        return self.scaled.element_bounds() / self.delta0


@dataclass(frozen=True)
class ClassicalDMFTSolution:
    """Solution of the classical DMFT at one gain (:func:`solve_classical_dmft`).

    Attributes
    ----------
    delta0:
        Δ0 = ⟨x²⟩ (0 in the quiescent phase).
    chaotic:
        Whether the nontrivial (chaotic) solution exists (g above onset).
    converged, residual:
        Root-finding status; residual = |V(Δ0) − V(0)| / Δ0² (the relative energy gap).
    tau, delta:
        Δ(τ) on the uniform grid τ ∈ [0, tau_max] (computed on first access; zeros when
        quiescent).
    kinetic:
        ⟨ẋ²⟩ = g²⟨φ²⟩ − Δ0.
    tau_R:
        Relaxation time of the exponential tail (inf when quiescent).
    separatrix:
        The energy-integral representation of Δ(τ) (None when quiescent or for the ODE method).
    """

    params: ClassicalParams
    delta0: float
    chaotic: bool
    converged: bool
    residual: float
    kinetic: float
    tau_R: float
    tau_max: float
    dtau: float
    info: dict[str, float | str] = field(default_factory=dict)
    separatrix: Separatrix | OnsetSeparatrix | None = None
    _grid: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @functools.cached_property
    def tau(self) -> np.ndarray:
        """Uniform lags 0, dtau, …, tau_max."""
        if self._grid is not None:
            return self._grid[0]
        return np.arange(0.0, self.tau_max + self.dtau / 2, self.dtau)

    @functools.cached_property
    def delta(self) -> np.ndarray:
        """Δ on :attr:`tau` (computed when first asked)."""
        if self._grid is not None:
            return self._grid[1]
        return self.delta_at(self.tau)

    def delta_at(self, lags: Any) -> np.ndarray:
        """Δ at arbitrary lags (exact inversion of the energy integral; Δ is even in τ)."""
        lags = np.abs(np.asarray(lags, dtype=float))
        if not self.chaotic:
            return np.zeros(lags.shape)
        if self.separatrix is not None:
            return self.separatrix.delta(lags)
        assert self._grid is not None
        t, d = self._grid
        out = np.interp(lags, t, d)
        beyond = lags > t[-1]
        if np.any(beyond):
            out[beyond] = d[-1] * np.exp(-(lags[beyond] - t[-1]) / self.tau_R)
        return out

    def lyapunov(self, **kwargs: Any) -> Any:
        """λ_max from the Schrödinger form (:func:`theory.gating.chaos.lyapunov_dmft.classical_lyapunov_dmft`)."""
        from theory.gating.chaos.lyapunov_dmft import classical_lyapunov_dmft

        return classical_lyapunov_dmft(self.params.g, phi=self.params.phi, solution=self, **kwargs)


def _validate(params: ClassicalParams, tau_max: float, dtau: float) -> None:
    require(isinstance(params, ClassicalParams), "params", params, "a ClassicalParams")
    params.require_no_input("solve_classical_dmft")
    require(
        params.g <= MAX_GAIN, "g", params.g, f"0 < g <= {MAX_GAIN:g} (the solver's stated domain)"
    )
    require(np.isfinite(tau_max) and tau_max > 0, "tau_max", tau_max, "tau_max > 0")
    require(np.isfinite(dtau) and 0 < dtau < tau_max, "dtau", dtau, "0 < dtau < tau_max")
    require(
        tau_max / dtau <= 1e7,
        "dtau",
        dtau,
        f"at most 1e7 grid points (tau_max/dtau = {tau_max / dtau:.3g})",
    )


def _quiescent_solution(
    params: ClassicalParams,
    tau_max: float,
    dtau: float,
    info: dict[str, Any] | None = None,
    **kw: Any,
) -> ClassicalDMFTSolution:
    """The solution Δ ≡ 0 at g ≤ g_c (no chaotic solution; τ_R infinite)."""
    note = {"note": "quiescent: only the solution Delta0 = 0 exists for g <= g_c"}
    return ClassicalDMFTSolution(
        params, 0.0, False, True, 0.0, 0.0, float("inf"), tau_max, dtau, note | (info or {}), **kw
    )


def _solution(
    params: ClassicalParams, sw: ClassicalDMFTSweep, i: int, tau_max: float, dtau: float
) -> ClassicalDMFTSolution:
    if not sw.chaotic[i]:
        return _quiescent_solution(params, tau_max, dtau)
    th = ClassicalSolver.for_phi(params.phi)
    d0 = float(sw.delta0[i])
    sep: Separatrix | OnsetSeparatrix
    if d0 < ONSET_SERIES_DELTA0:
        sep = OnsetSeparatrix(th, d0, float(sw.g[i]))
    else:
        sep = Separatrix(th, d0, float(sw.g[i]))
    rel_gap = sep.relative_gap
    residual = float(sw.residual[i])
    return ClassicalDMFTSolution(
        params=params,
        delta0=float(sw.delta0[i]),
        chaotic=True,
        converged=bool(sw.converged[i] and rel_gap < 1e-10),
        residual=residual,
        kinetic=float(sw.kinetic[i]),
        tau_R=float(sw.tau_R[i]),
        tau_max=float(tau_max),
        dtau=float(dtau),
        info={
            "method": "energy" if isinstance(sep, Separatrix) else "energy (onset scaling)",
            "root_iterations": float(sw.iterations[i]),
            "tabulated_energy_gap": float(rel_gap),
            "panels": float(len(sep.vpan) + 1),
            "tau_R_tabulated": float(sep.tau_R),
        },
        separatrix=sep,
    )


def solve_classical_dmft(
    params: ClassicalParams,
    *,
    tau_max: float = 40.0,
    dtau: float = 0.01,
    xtol: float = 1e-12,
    method: str = "energy",
) -> ClassicalDMFTSolution:
    """Solve the SCS mean-field equations: Δ0 by root finding, Δ(τ) from the energy integral.

    Δ0 solves ``V(Δ0) = V(0)`` (:func:`classical_dmft_sweep`: safeguarded Newton on the relative
    gap, Gaussian means by the sinh rule, the onset series near g = 1). Δ(τ) is the inverse of
    τ(Δ) = ∫_Δ^{Δ0} du/√(2(V(Δ0) − V(u))) (:class:`Separatrix`), computed on first access of
    :attr:`~ClassicalDMFTSolution.delta` or :meth:`~ClassicalDMFTSolution.delta_at`. Accuracy
    ≈ 1e-12 relative in Δ0, ⟨ẋ²⟩, τ_R and ≈ 1e-11·Δ0 in Δ(τ) from g = 1.001 to 10³ (tests
    compare with mpmath and with the ODE method), and from g = 1 + 1e-15 to 1.001 by the onset
    scaling (:class:`OnsetSeparatrix`; tests compare with the onset asymptotes); cost ≈ 1 ms for Δ0 and ≈ 2–4 ms for Δ(τ),
    flat in g.

    ``method="ode"`` is the previous algorithm (DOP853 on Δ'' = −∂V/∂Δ with the force evaluated
    by quadrature, exponential tail below 10⁻³Δ0): slow (0.1–30 s, growing with g) and kept as an
    independent cross-check for g ≲ 5.

    Raises
    ------
    ParameterError
        For I ≠ 0, g > :data:`MAX_GAIN`, non-positive grid parameters, an unknown method.
    ConvergenceError
        If Δ0 cannot be bracketed or the energy integral fails (not observed in the domain).
    """
    _validate(params, tau_max, dtau)
    require(method in ("energy", "ode"), "method", method, "'energy' or 'ode'")
    require(0 < xtol < 1e-3, "xtol", xtol, "0 < xtol < 1e-3")
    if method == "ode":
        return _solve_ode(params, tau_max=tau_max, dtau=dtau, xtol=xtol)
    sw = classical_dmft_sweep([params.g], params.phi, xtol=xtol)
    return _solution(params, sw, 0, tau_max, dtau)


def _solve_ode(
    params: ClassicalParams, *, tau_max: float, dtau: float, xtol: float
) -> ClassicalDMFTSolution:
    """The ODE method of :func:`solve_classical_dmft` (Brent root, DOP853, exponential tail)."""
    th = ClassicalDMFT.for_phi(params.phi)
    gv = params.g
    tau_grid = np.arange(0.0, tau_max + dtau / 2, dtau)
    if gv <= th.onset_g:
        return _quiescent_solution(
            params, tau_max, dtau, {"method": "ode"}, _grid=(tau_grid, np.zeros_like(tau_grid))
        )

    def h(d0: float) -> float:
        return float(th.energy_gap(d0, gv)) / d0**2

    lo = min(1e-3, (gv**2 - 1.0) / 20.0)
    hi = max(1.0, 2 * (gv**2 - 1.0))
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
    d0, rr = so.brentq(
        h, lo, hi, xtol=min(xtol, 1e-13), rtol=4 * np.finfo(float).eps, full_output=True
    )
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
        kinetic=float(th.kinetic(d0, gv)),
        tau_R=float(tau_R),
        tau_max=float(tau_max),
        dtau=float(dtau),
        info={
            "method": "ode",
            "tau_switch_to_tail": float(t_end),
            "root_iterations": float(rr.iterations),
            "ode_nfev": float(sol.nfev),
        },
        _grid=(tau_grid, delta),
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
    """⟨x²⟩(t)/⟨x²⟩(0) = e^{−2t} I_0(2gt) (compiled from :func:`quiescent_decay_derivation`).

    The compiled closed form overflows once 2gt > 700 (I_0 and e^{2t} both beyond float range);
    there the same function is evaluated as i0e(2gt)·e^{2(g−1)t} (SciPy's exponentially scaled
    Bessel function), which stays finite for every g and t ≥ 0.
    """
    import math

    if not (isinstance(gain, (int, float, np.integer, np.floating)) and 0 < gain < math.inf):
        raise ParameterError("g", gain, "a finite g > 0")
    tt = np.asarray(times, dtype=float)
    if not np.all(np.isfinite(tt)) or np.any(tt < 0):
        raise ParameterError("times", times, "finite times t >= 0")
    f = compile_function(quiescent_decay_derivation().rhs("closed_form"), [g, t])
    small = 2.0 * gain * tt <= 700.0
    out = np.asarray(f(gain, np.where(small, tt, 0.0)), dtype=float)
    if not np.all(small):
        from scipy.special import i0e

        with np.errstate(over="ignore"):
            scaled = i0e(2.0 * gain * tt) * np.exp(2.0 * (gain - 1.0) * tt)
        out = np.where(small, out, scaled)
    return out
