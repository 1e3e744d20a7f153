r"""Fixed points of the gated RNN: zero-FP threshold, fixed-point DMFT branches, tricritical α_r*, stability.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Secs. IV–VI (Jacobian spectrum at fixed points,
topological complexity and the discontinuous transition), as re-derived by us in the derivation
``gating_fixed_points`` (we cite sections because we could not read the paper's equation numbers;
the small-Δ expansion giving α_r* is our own).

* **Zero fixed point** (β_h = 0, σ_{I_h} = 0): its h-block is A(−1 + g_h J^h R) with R = σ_r(I^r);
  by the circular law and the λ = 0 boundary of the Jacobian spectrum (the paper's Sec. IV;
  :mod:`theory.gating.chaos.spectrum`) it is stable iff
  g_J φ'(0)² ⟨σ_r(I^r)²⟩ < 1, i.e. g_h σ_r(0) < 1 ⟺ g_h < 1 + e^{β_r} without gate inputs.
* **Fixed-point DMFT** (FP): Δ_h = g_J⟨σ_r²⟩_{Δ_r}⟨φ²⟩_{Δ_h} + σ_{I_h}², Δ_z = Δ_r = ⟨φ²⟩_{Δ_h}
  (+ gate-input variances), independent of α_z, β_z and the τ's.
* **Tricritical α_r*** from the small-Δ expansion of (FP) at g_h = 1/s, s = σ_r(0):
  the branch from zero is subcritical iff α_r > √(2/((1 − s)(2 − 3s))).
* **Bulk stability** of a nonzero fixed point: V_1 + V_2 < 1, V_1 = g_J⟨σ_r²⟩⟨φ'²⟩,
  V_2 = g_J⟨σ_r'²⟩⟨φ²⟩⟨φ'²⟩.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.optimize as so
import sympy as sp

from theory.errors import ParameterError, require
from theory.gating.dmft.closures import feature_widths, gate_strip, model_mean, phi_strip
from theory.gating.dmft.equations import REFERENCE_PARAMS, coupling_variance, input_variances
from theory.gating.model import GatedParams, gate_r_expr, phi_expr
from theory.numerics.quadrature import strip_step
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.gaussian import X, diff_x, name_function
from theory.symbolic.printing import tex, tex_name

__all__ = [
    "fixed_point_derivation",
    "FixedPointSolution",
    "solve_fixed_point_dmft",
    "fixed_point_branches",
    "zero_fp_threshold",
    "tricritical_alpha_r",
]

FP_REF = Reference(key="krishnamurthy2022", where="Secs. IV--VI")

Dh = sp.Symbol("Delta_h", positive=True)
Dz = sp.Symbol("Delta_z", positive=True)
Dr = sp.Symbol("Delta_r", positive=True)
g_J = sp.Symbol("g_J", positive=True)
sig_h = tex_name(sp.Symbol("sigma_{I_h}", nonnegative=True), r"\sigma_{I_h}")
sig_z = tex_name(sp.Symbol("sigma_{I_z}", nonnegative=True), r"\sigma_{I_z}")
sig_r = tex_name(sp.Symbol("sigma_{I_r}", nonnegative=True), r"\sigma_{I_r}")
g_h = sp.Symbol("g_h", positive=True)
alpha = sp.Symbol("alpha_r", nonnegative=True)
beta = sp.Symbol("beta_r", real=True)
s = sp.Symbol("s", positive=True)
Delta = sp.Symbol("Delta", positive=True)
V1s, V2s = sp.symbols("V_1 V_2", nonnegative=True)
u = sp.Symbol("u", real=True)


def _gauss_poly_mean(poly: sp.Expr, var: sp.Expr) -> sp.Expr:
    """E[p(x)] for x ~ N(0, var) and a polynomial p (moments (k−1)!! var^{k/2})."""
    p = sp.Poly(sp.expand(poly), X)
    out = sp.Integer(0)
    for (k,), coef in p.terms():
        if k % 2 == 0:
            out += coef * sp.factorial2(k - 1) * var ** sp.Rational(k, 2)
    return sp.expand(out)


@functools.cache
def _small_delta_expansion() -> dict[str, sp.Expr]:
    """Symbolic small-Δ expansion of (FP) (β_h = 0, convention A, no inputs)."""
    gate = 1 / (1 + sp.exp(-alpha * X + beta))
    # Taylor series of the gate, with e^{β} = (1 − s)/s so that σ(0) = s
    ser = sp.series(gate, X, 0, 3).removeO()
    ser = sp.simplify(ser.subs(sp.exp(beta), (1 - s) / s))
    sig2 = _gauss_poly_mean(sp.expand(ser**2), Dr)
    sig2 = sp.expand(sp.series(sig2, Dr, 0, 2).removeO())
    phi_ser = sp.series(sp.tanh(g_h * X), X, 0, 5).removeO()
    phi2 = sp.expand(
        sp.series(_gauss_poly_mean(sp.expand(phi_ser**2), Delta), Delta, 0, 3).removeO()
    )
    ratio = sp.expand(sig2.subs(Dr, phi2) * phi2 / Delta)  # Δ_h' / Δ_h on the FP map
    ratio = sp.expand(sp.series(ratio, Delta, 0, 2).removeO())
    linear = sp.factor(ratio.coeff(Delta, 0))
    cubic = sp.factor(sp.simplify(ratio.coeff(Delta, 1).subs(g_h, 1 / s)))
    a2 = sp.Symbol("A", positive=True)  # α_r² (the expansion is even in α_r)
    a2_star = sp.factor(sp.solve(sp.Eq(cubic.subs(alpha**2, a2), 0), a2)[0])
    a_star = sp.sqrt(a2_star)
    return {
        "sigma2": sp.factor(sig2),
        "phi2": phi2,
        "linear": linear,
        "cubic": cubic,
        "alpha_star": a_star,
    }


@functools.cache
def _zero_fp_radius_threshold() -> tuple[sp.Expr, sp.Expr]:
    """Steps ``zero_fp_radius`` and ``zero_fp_threshold`` of :func:`fixed_point_derivation` (the
    right-hand sides), derived alone so that :func:`zero_fp_threshold` does not build the whole
    derivation (its moments and small-Δ expansion cost seconds of SymPy in a cold process)."""
    # zero fixed point: spectral radius of g_J^{1/2} φ'(0) σ_r(0) J (circular law), symbolic gate
    gate_sym = 1 / (1 + sp.exp(-alpha * X + beta))
    s_r0 = sp.simplify(gate_sym.subs(X, 0))
    radius = g_h * s_r0  # φ'(0) = g_h for φ = tanh(g_h x) (A); √g_J = g_h, φ'(0) = 1 (B)
    threshold = sp.solve(sp.Eq(radius, 1), g_h)[0]
    return radius, threshold


@functools.cache
def fixed_point_derivation(params: GatedParams = REFERENCE_PARAMS) -> Derivation:
    """Fixed-point DMFT, zero-FP threshold, tricritical α_r* and V_1 + V_2 (module docstring)."""
    phi = phi_expr(params)
    sr = gate_r_expr(params)
    name_function(phi, r"\phi")
    name_function(sr, r"\sigma_r")
    name_function(diff_x(phi), r"\phi'")
    if params.alpha_r > 0:
        name_function(diff_x(sr), r"\sigma_r'")
    step_phi = strip_step(phi_strip(params))
    step_sr = strip_step(gate_strip(params.alpha_r))
    user_phi, user_r = params.phi is not None, params.gate_r is not None
    w_phi, w_r = feature_widths(params)
    phi2 = model_mean(phi**2, phi, step_phi, user_phi, w_phi)(Dh)
    dphi2 = model_mean(diff_x(phi) ** 2, phi, step_phi, user_phi, w_phi)(Dh)
    sr2 = model_mean(sr**2, sr, step_sr, user_r, w_r)(Dr)
    dsr2 = model_mean(diff_x(sr) ** 2, sr, step_sr, user_r, w_r)(Dr)
    radius, threshold = _zero_fp_radius_threshold()
    exp_ = _small_delta_expansion()
    steps = [
        Step(
            "moment_phi2",
            sp.Eq(sp.Symbol(r"\langle\phi^2\rangle", nonnegative=True), phi2),
            r"Means over $h\sim\mathcal N(0,\Delta_h)$ and $r\sim\mathcal N(0,\Delta_r)$ "
            r"(compiled to quadrature with a step adapted to the sharpness of $\phi$ and "
            r"$\sigma_r$).",
            "Secs. IV--VI",
            title="Gaussian moments",
        ),
        Step("moment_dphi2", sp.Eq(sp.Symbol(r"\langle\phi'^2\rangle", nonnegative=True), dphi2)),
        Step(
            "moment_sigma_r2", sp.Eq(sp.Symbol(r"\langle\sigma_r^2\rangle", nonnegative=True), sr2)
        ),
        Step(
            "moment_dsigma_r2",
            sp.Eq(sp.Symbol(r"\langle\sigma_r'^2\rangle", nonnegative=True), dsr2),
        ),
        Step(
            "fp_h",
            sp.Eq(Dh, g_J * sr2 * phi2 + sig_h**2),
            r"At a fixed point the inputs $h_i=\sum_jJ^h_{ij}\sigma_r(r_j)\phi(h_j)+I^h_i$, "
            r"$z_i=\sum_jJ^z_{ij}\phi(h_j)+I^z_i$ and $r_i=\sum_jJ^r_{ij}\phi(h_j)+I^r_i$ are "
            r"static Gaussian fields whose variances close on the moments:",
            "Secs. IV--VI",
            title="Static mean-field equations",
        ),
        Step("fp_z", sp.Eq(Dz, phi2.subs(Dh, Dh) + sig_z**2)),
        Step(
            "fp_r",
            sp.Eq(Dr, phi2 + sig_r**2),
            r"None of them depends on $\alpha_z$, $\beta_z$ or the time constants.",
        ),
        Step(
            "V1",
            sp.Eq(V1s, g_J * sr2 * dphi2),
            r"At $\lambda=0$ the boundary of the spectral support \derivref{gated_jacobian_spectrum} "
            r"has two terms, from the block $J^hRP'$ and from the loop $J^hR'P\cdot J^rP'$,",
            "Sec. IV",
            title="Stability of a nonzero fixed point",
        ),
        Step("V2", sp.Eq(V2s, g_J * dsr2 * phi2 * dphi2)),
        Step(
            "bulk_stability",
            sp.StrictLessThan(V1s + V2s, 1),
            r"and a nonzero fixed point (all $\sigma_z>0$) is stable in the bulk iff",
        ),
        Step(
            "zero_fp_radius",
            sp.Eq(sp.Symbol("rho_0", positive=True), radius),
            r"At $h=z=r=0$ (and $\beta_h=0$) the Jacobian's $h$ block is $g_h\sigma_r(0)J^h$; by "
            r"the circular law \cite{girko1985} its spectral radius is",
            title="Stability of the zero fixed point",
        ),
        Step(
            "zero_fp_threshold",
            sp.Eq(sp.Symbol("g_h^c", positive=True), threshold),
            r"so the zero fixed point is stable iff $g_h<g_h^c$, independently of $\alpha_z$, "
            r"$\alpha_r$ and the time constants:",
        ),
        Step(
            "gate_second_moment",
            sp.Eq(
                sp.Symbol(r"\langle\sigma_r^2\rangle_{\Delta_r\to0}", positive=True), exp_["sigma2"]
            ),
            r"The Taylor series of the gate about $s=\sigma_r(0)$ and of $\phi(x)=\tanh(g_hx)$ "
            r"give, to leading orders in the variances,",
            title="Expansion at small variance",
        ),
        Step(
            "phi_second_moment",
            sp.Eq(sp.Symbol(r"\langle\phi^2\rangle_{\Delta\to0}", positive=True), exp_["phi2"]),
        ),
        Step(
            "fp_map_linear",
            sp.Eq(sp.Symbol("m_0", real=True), exp_["linear"]),
            r"On the map $\Delta_h\mapsto\Delta_h'$ of \stepref{fp_h} (no inputs), "
            r"$\Delta_h'/\Delta_h=m_0+m_1\Delta_h+O(\Delta_h^2)$ with",
        ),
        Step(
            "fp_map_cubic",
            sp.Eq(sp.Symbol("m_1", real=True), exp_["cubic"]),
            r"and, at the threshold $g_h=1/s$ where $m_0=1$,",
        ),
        Step(
            "tricritical",
            sp.Eq(sp.Symbol("alpha_r^*", positive=True), exp_["alpha_star"]),
            r"The branch of nonzero fixed points leaves zero subcritically iff $m_1>0$; $m_1=0$ "
            r"gives the tricritical gate sharpness ($2\sqrt2$ at $s=1/2$).",
            title="Tricritical point",
        ),
    ]
    return Derivation(
        name="gating_fixed_points" if params == REFERENCE_PARAMS else "gating_fixed_points_custom",
        title="Fixed points of the gated RNN: threshold, branches, tricritical point, stability",
        steps=steps,
        references=[FP_REF, Reference(key="wainrib2013")],
        summary=(
            r"The time-independent mean-field theory of the gated network "
            r"\cite{krishnamurthy2022}, the stability of its fixed points, and the small-variance "
            r"expansion that locates the threshold and the tricritical point of the branch of "
            r"nonzero fixed points (our re-derivation; a nonzero static solution marks the onset of "
            r"exponentially many fixed points \cite{wainrib2013}). The moments are written for the "
            rf"model's $\phi$ and $\sigma_r$; the exported instance has $\phi(x)={tex(phi)}$ and "
            rf"$\sigma_r(x)={tex(sr)}$."
        ),
        notation=[
            (r"\Delta_h,\Delta_z,\Delta_r", r"the static variances of $h,z,r$"),
            (g_J, r"the variance scale of $J^h$ (1 in convention A, $g_h^2$ in B)"),
            (r"\sigma_{I_h},\sigma_{I_z},\sigma_{I_r}", "the input standard deviations"),
        ],
    )


@derivation("gating_fixed_points", theory="gating")
def _registered_fp() -> Derivation:
    return fixed_point_derivation(REFERENCE_PARAMS)


@dataclass(frozen=True)
class _FPCompiled:
    phi2: CompiledFunction
    dphi2: CompiledFunction
    sr2: CompiledFunction
    dsr2: CompiledFunction


@functools.cache
def _compiled(params: GatedParams) -> _FPCompiled:
    d = fixed_point_derivation(params)
    phi2, dphi2 = d.rhs("moment_phi2"), d.rhs("moment_dphi2")
    sr2, dsr2 = d.rhs("moment_sigma_r2"), d.rhs("moment_dsigma_r2")
    return _FPCompiled(
        phi2=compile_function(phi2, [Dh]),
        dphi2=compile_function(dphi2, [Dh]),
        sr2=compile_function(sr2, [Dr]),
        dsr2=compile_function(dsr2, [Dr]),
    )


@dataclass(frozen=True)
class FixedPointSolution:
    """A solution of the fixed-point DMFT (FP) and its bulk stability.

    Attributes
    ----------
    Delta_h, Delta_z, Delta_r:
        Variances of h, z, r over units at the fixed point (0 for the zero fixed point).
    V1, V2:
        Stability terms; the fixed point is bulk-stable iff V1 + V2 < 1.
    exists:
        False when (FP) has no solution on the requested branch (then Δ's are 0 and V's are
        those of the zero state).
    converged, residual:
        Root-finding status; residual = |Δ_h − FP(Δ_h)|.
    branch:
        ``"upper"`` (largest Δ_h) or ``"lower"`` (smallest nonzero Δ_h).
    n_solutions:
        Number of nonzero solutions found on the scan.
    """

    params: GatedParams
    Delta_h: float
    Delta_z: float
    Delta_r: float
    V1: float
    V2: float
    exists: bool
    converged: bool
    residual: float
    branch: str
    n_solutions: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def stable(self) -> bool:
        """Bulk stability V1 + V2 < 1."""
        return self.V1 + self.V2 < 1.0


def _fp_map(params: GatedParams, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    th = _compiled(params)
    gJ = coupling_variance(params)
    vh, _vz, vr = input_variances(params)
    p2 = th.phi2(dh)
    dr = p2 + vr
    return gJ * th.sr2(dr) * p2 + vh, dr


def fixed_point_branches(
    params: GatedParams, *, n_grid: int = 400, xtol: float = 1e-14
) -> list[float]:
    """All nonzero solutions Δ_h of (FP), ascending (scan on a log grid + Brent refinement)."""
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    require(
        isinstance(n_grid, (int, np.integer)) and n_grid >= 20, "n_grid", n_grid, "an integer >= 20"
    )
    require(
        isinstance(xtol, (int, float, np.floating)) and 1e-15 <= xtol <= 1e-3,
        "xtol",
        xtol,
        "a relative tolerance 1e-15 <= xtol <= 1e-3",
    )
    gJ = coupling_variance(params)
    vh, _, _ = input_variances(params)
    top = gJ * _phi_sup(params) ** 2 + vh + 1.0  # ⟨σ_r²⟩ ≤ 1, ⟨φ²⟩ ≤ sup φ² (1 for tanh)
    grid = np.logspace(-9, math.log10(top), n_grid)

    def f(d: np.ndarray | float) -> np.ndarray:
        d = np.asarray(d, dtype=float)
        return (_fp_map(params, d)[0] - d) / d

    vals = f(grid)
    roots = []
    for i in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
        r = so.brentq(lambda x: float(f(x)), grid[i], grid[i + 1], xtol=xtol * grid[i], rtol=1e-13)
        roots.append(float(r))
    return roots


def solve_fixed_point_dmft(
    params: GatedParams,
    *,
    branch: Literal["upper", "lower"] = "upper",
    n_grid: int = 400,
) -> FixedPointSolution:
    """Solve the fixed-point DMFT (FP) on the ``branch`` and evaluate V_1, V_2 (module docstring).

    Returns the largest (``"upper"``) or smallest (``"lower"``) nonzero solution; in the
    subcritical regime (α_r > α_r*, g_h^FP < g_h < 1/σ_r(0)) both exist and differ. When no
    nonzero solution exists the result has ``exists=False`` and the zero state's V_1, V_2.

    Raises
    ------
    ParameterError
        For an unknown branch.
    """
    require(branch in ("upper", "lower"), "branch", branch, "'upper' or 'lower'")
    roots = fixed_point_branches(params, n_grid=n_grid)
    th = _compiled(params)
    gJ = coupling_variance(params)
    _vh, vz, vr = input_variances(params)
    if not roots:
        dh = 0.0
        exists = False
    else:
        dh = roots[-1] if branch == "upper" else roots[0]
        exists = True
    p2 = float(th.phi2(dh)) if dh > 0 else 0.0
    dr = p2 + vr
    dz = p2 + vz
    sr2 = float(th.sr2(dr)) if dr > 0 else float(params.s_r**2)
    if dr > 0:
        dsr2 = float(th.dsr2(dr))
    elif params.gate_r is not None:
        dsr2 = float(_model_derivative_at_zero(params, "dr") ** 2)
    else:
        dsr2 = float((params.alpha_r * params.s_r * (1 - params.s_r)) ** 2)
    dp2 = float(th.dphi2(dh)) if dh > 0 else float(_dphi0(params) ** 2)
    V1 = gJ * sr2 * dp2
    V2 = gJ * dsr2 * p2 * dp2
    residual = abs(float(_fp_map(params, np.array(dh))[0]) - dh) if exists else 0.0
    return FixedPointSolution(
        params=params,
        Delta_h=float(dh),
        Delta_z=float(dz),
        Delta_r=float(dr),
        V1=float(V1),
        V2=float(V2),
        exists=exists,
        converged=bool(residual < 1e-10 * max(1.0, dh)),
        residual=float(residual),
        branch=branch,
        n_solutions=len(roots),
        info={"all_solutions": tuple(roots)},
    )


def _dphi0(params: GatedParams) -> float:
    if params.phi is not None:
        return _model_derivative_at_zero(params, "dphi")
    gain = params.g_h if params.convention == "A" else 1.0
    return gain * (1.0 - math.tanh(params.beta_h) ** 2)


def _model_derivative_at_zero(params: GatedParams, key: str) -> float:
    """φ(0), φ'(0), σ_r'(0), ... of a user model (its compiled expressions)."""
    from theory.gating.model import compiled_model

    with np.errstate(all="ignore"):  # a Piecewise (select) evaluates every branch
        return float(np.asarray(compiled_model(params)[key](np.zeros(1))).reshape(-1)[0])


def _phi_sup(params: GatedParams) -> float:
    """sup |φ| (1 for tanh; the probed supremum of a user φ, bounded by assumption)."""
    if params.phi is None:
        return 1.0
    from theory.symbolic.expressions import growth

    return float(growth(params.phi).sup)


def zero_is_fixed_point(params: GatedParams) -> bool:
    """Whether h = z = r = 0 is a fixed point of every sample: φ(0) = 0 and no h-input
    (β_h = 0 for tanh; the user φ evaluated at 0 otherwise)."""
    if params.sigma_h != 0.0:
        return False
    if params.phi is None:
        return params.beta_h == 0.0
    return abs(_model_derivative_at_zero(params, "phi")) <= 1e-14


@functools.cache
def _threshold_function() -> CompiledFunction:
    # the step zero_fp_threshold of fixed_point_derivation (same expression, tested)
    return compile_function(_zero_fp_radius_threshold()[1], [beta])


def zero_fp_threshold(params: GatedParams) -> float:
    """g_h above which the zero fixed point is unstable: 1 + e^{β_r} without gate input.

    Step ``zero_fp_threshold`` of :func:`fixed_point_derivation`. With a static output-gate input
    I^r ~ N(0, σ_{I_r}²) the gate at the zero state is σ_r(I^r) and the threshold is
    1/√⟨σ_r(I^r)²⟩ (the λ = 0 boundary of the Jacobian spectrum). Independent of α_z, β_z, the
    τ's and the convention.

    For a user φ (shape f) the zero state needs φ(0) = 0 and the threshold is
    1/(f'(β_h)·√⟨σ_r(I^r)²⟩) (φ'(0) = g_h f'(β_h) in A; √g_J = g_h, φ'(0) = f'(β_h) in B).

    Raises
    ------
    ParameterError
        If β_h ≠ 0 or σ_{I_h} > 0 (then h = 0 is not a fixed point); for a user φ, if φ(0) ≠ 0.
    """
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    if params.phi is not None or params.gate_r is not None:
        require(
            zero_is_fixed_point(params),
            "phi" if params.sigma_h == 0.0 else "sigma_h",
            params.phi if params.sigma_h == 0.0 else params.sigma_h,
            "phi(0) = 0 and sigma_h = 0 (otherwise h = 0 is not a fixed point)",
        )
        gain = params.g_h if params.convention == "A" else 1.0
        fprime = _dphi0(params) / gain
        if params.sigma_r == 0.0:
            sr_rms = abs(params.s_r)
        else:
            sr_rms = math.sqrt(float(_compiled(params).sr2(params.sigma_r**2)))
        return float(1.0 / (fprime * sr_rms)) if fprime * sr_rms > 0 else math.inf
    require(
        params.beta_h == 0.0,
        "beta_h",
        params.beta_h,
        "beta_h = 0 (otherwise h = 0 is not a fixed point)",
    )
    require(
        params.sigma_h == 0.0,
        "sigma_h",
        params.sigma_h,
        "sigma_h = 0 (otherwise h = 0 is not a fixed point)",
    )
    if params.sigma_r == 0.0:
        return float(_threshold_function()(params.beta_r))
    th = _compiled(params)
    return float(1.0 / math.sqrt(float(th.sr2(params.sigma_r**2))))


@functools.cache
def _alpha_star_function() -> CompiledFunction:
    d = fixed_point_derivation(REFERENCE_PARAMS)
    return compile_function(d.rhs("tricritical"), [s])


def tricritical_alpha_r(beta_r: float) -> float:
    """α_r* = √(2/((1 − s)(2 − 3s))), s = 1/(1 + e^{β_r}) (compiled from the small-Δ expansion).

    Returns ``math.inf`` when s ≥ 2/3 (β_r ≤ −ln 2): the branch is supercritical at this order
    for every α_r.
    """
    if not (isinstance(beta_r, (int, float, np.floating)) and math.isfinite(beta_r)):
        raise ParameterError("beta_r", beta_r, "a finite number")
    sv = 1.0 / (1.0 + math.exp(beta_r))
    if sv >= 2.0 / 3.0:
        return math.inf
    return float(_alpha_star_function()(sv))
