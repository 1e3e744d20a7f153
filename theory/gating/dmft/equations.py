r"""DMFT of the gated RNN: derivation (SymPy), compiled closures, and the Fourier solver (α_z = 0).

Krishnamurthy, Can & Schwab, *Theory of gating in recurrent neural networks*, PRX 12, 011011 (2022),
Sec. III (dynamical mean-field theory), as re-derived by us in the derivation ``gating_dmft`` (we
could not read the paper's own equation numbers and cite its section instead). At N → ∞ each unit
obeys

.. math::
    \dot h=\sigma_z(z)\,[-h+\eta_h+I^h],\qquad \tau_z\dot z=-z+\eta_z,\qquad \tau_r\dot r=-r+\eta_r,

with independent zero-mean Gaussian fields whose covariances are *raw* moments of the single-site
process itself, :math:`\langle\eta_h\eta_h\rangle=g_J\,C_{\sigma_r}C_\phi+\sigma_{I_h}^2`,
:math:`\langle\eta_{z,r}\eta_{z,r}\rangle=C_\phi+\sigma_{I_{z,r}}^2` (g_J = 1 in convention A,
g_h² in B). In the stationary state, for α_z = 0 (σ_z ≡ s_z), every variable is a linear filter
``ẋ = a(−x + η)`` of its field, whose power spectrum SymPy derives as a²/(a² + ω²) — hence the
Fourier fixed point :func:`solve_dmft_fourier` (solver A; solver B, the Monte-Carlo DMFT for
α_z ≠ 0, is :mod:`theory.gating.dmft.montecarlo`). Every formula the solver
evaluates is a compiled step of :func:`gated_dmft_derivation`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from theory.errors import is_real, require
from theory.gating.dmft.closures import (
    feature_widths,
    gate_strip,
    model_cross,
    model_mean,
    phi_strip,
    sharp_cross,
)
from theory.gating.model import GatedParams, gate_r_expr, phi_expr, phi_is_odd
from theory.numerics.quadrature import strip_step
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.gaussian import diff_x, name_function
from theory.symbolic.printing import tex, tex_name

__all__ = [
    "KCS",
    "gated_dmft_derivation",
    "GatedDMFT",
    "GatedDMFTSolution",
    "REFERENCE_PARAMS",
    "closure_params",
    "compiled_theory",
    "coupling_variance",
    "input_variances",
    "phi_moments",
    "tail_decay",
    "check_grid",
    "check_fourier_options",
    "check_fourier_params",
    "check_init_amplitudes",
    "closure_error_bound",
]

KCS = Reference(key="krishnamurthy2022", where="Sec. III")

#: Parameters of the exported (registered) instance of the derivation: our reference case
#: (β = 0, τ_z = τ_r = 1, α_z = 0; g_h = 2.5, α_r = 20).
REFERENCE_PARAMS = GatedParams(g_h=2.5, alpha_r=20.0)

# ------------------------------------------------------------------ symbols (all with assumptions)
t = sp.Symbol("t", real=True)
tau = sp.Symbol("tau", real=True)
omega = sp.Symbol("omega", real=True)
a_rate = sp.Symbol("a", positive=True)
s_z = sp.Symbol("s_z", positive=True)
tau_z = sp.Symbol("tau_z", positive=True)
tau_r = sp.Symbol("tau_r", positive=True)
g_J = sp.Symbol("g_J", positive=True)
sig_h = tex_name(sp.Symbol("sigma_{I_h}", nonnegative=True), r"\sigma_{I_h}")
sig_z = tex_name(sp.Symbol("sigma_{I_z}", nonnegative=True), r"\sigma_{I_z}")
sig_r = tex_name(sp.Symbol("sigma_{I_r}", nonnegative=True), r"\sigma_{I_r}")
I_h = sp.Symbol("I^h", real=True)
c = sp.Symbol("c", real=True)
c0 = sp.Symbol("c_0", positive=True)
Ch0 = tex_name(sp.Symbol("C_h0", positive=True), "C_{h0}")
Cr0 = tex_name(sp.Symbol("C_r0", positive=True), "C_{r0}")
hdot2 = sp.Symbol(r"\langle\dot h^2\rangle", nonnegative=True)

hF, zF, rF = (sp.Function(n, real=True) for n in ("h", "z", "r"))
eta_h, eta_z, eta_r = (sp.Function(n, real=True) for n in ("eta_h", "eta_z", "eta_r"))
xF, etaF = sp.Function("x", real=True), sp.Function("eta", real=True)
sigma_zF = sp.Function("sigma_z", positive=True)
ChF, CzF, CrF = (sp.Function(n, real=True) for n in ("C_h", "C_z", "C_r"))
CehF, CezF, CerF = (
    sp.Function(n, real=True) for n in (r"C_{\eta_h}", r"C_{\eta_z}", r"C_{\eta_r}")
)
SxF, SetaF = sp.Function(r"\hat C_x", real=True), sp.Function(r"\hat C_\eta", real=True)
Xhat, Hhat = sp.symbols(r"\hat{x} \hat{\eta}", complex=True)


def _closure_classes(params: GatedParams) -> tuple[Any, Any, sp.Expr, sp.Expr]:
    """Sharp-step closure classes C_φ, C_{σ_r} for ``params`` and the expressions φ, σ_r."""
    phi = phi_expr(params)
    sr = gate_r_expr(params)
    name_function(phi, r"\phi")
    name_function(sr, r"\sigma_r")
    name_function(diff_x(phi), r"\phi'")
    if params.alpha_r > 0:
        name_function(diff_x(sr), r"\sigma_r'")
    # default shapes: trapezoid with the strip step (exact logistic fast path); user shapes:
    # the same when they are logistic, else the general quadrature with panel ends at the kinks
    w_phi, w_r = feature_widths(params)
    C_phi = model_cross(phi, strip_step(phi_strip(params)), params.phi is not None, w_phi)
    C_sr = model_cross(sr, strip_step(gate_strip(params.alpha_r)), params.gate_r is not None, w_r)
    return C_phi, C_sr, phi, sr


def _operator_from_multiplier(mult: sp.Expr, f: Any) -> sp.Expr:
    """Time-domain operator of a spectral multiplier 1/M(ω) polynomial in ω²: ω² -> −∂_τ²."""
    poly = sp.Poly(sp.expand(1 / mult), omega)
    out = sp.Integer(0)
    for (k,), coef in poly.terms():
        if k % 2:
            raise AssertionError("odd power of omega in a stationary covariance operator")
        n = k // 2
        term = f(tau) if n == 0 else sp.Derivative(f(tau), (tau, 2 * n))
        out += coef * (-1) ** n * term
    return out


@functools.cache
def gated_dmft_derivation(params: GatedParams = REFERENCE_PARAMS) -> Derivation:
    """The stationary DMFT of the gated RNN, step by step (module docstring).

    The closures C_φ, C_{σ_r} are the Gaussian cross moments of this ``params``' φ and σ_r
    (printed as :math:`C_\\phi`, :math:`C_{\\sigma_r}`); the rest is symbolic in s_z, τ's, g_J.
    """
    C_phi, C_sr, phi, sr = _closure_classes(params)
    # --- spectrum of a linear filter ẋ = a(−x + η): SymPy solves iω x̂ = a(−x̂ + η̂)
    xhat_sol = sp.solve(sp.Eq(sp.I * omega * Xhat, a_rate * (-Xhat + Hhat)), Xhat)[0]
    transfer = sp.simplify(xhat_sol / Hhat)
    mult = sp.simplify(sp.expand(transfer * sp.conjugate(transfer)))
    mult = sp.factor(sp.simplify(mult))
    mult_h = mult.subs(a_rate, s_z)
    mult_z = sp.simplify(mult.subs(a_rate, 1 / tau_z))
    mult_r = sp.simplify(mult.subs(a_rate, 1 / tau_r))
    op_z = _operator_from_multiplier(mult_z, CzF)
    op_r = _operator_from_multiplier(mult_r, CrF)
    op_h = sp.expand(_operator_from_multiplier(mult_h, ChF))

    field_h = g_J * C_sr(CrF(tau), CrF(0)) * C_phi(ChF(tau), ChF(0)) + sig_h**2
    field_z = C_phi(ChF(tau), ChF(0)) + sig_z**2
    field_r = C_phi(ChF(tau), ChF(0)) + sig_r**2
    # kinetic identity: solve the h-equation for C_h'' and evaluate at τ = 0, ⟨ḣ²⟩ = −C_h''(0)
    d2 = sp.Derivative(ChF(tau), (tau, 2))
    d2_sol = sp.solve(sp.Eq(op_h, field_h), d2)[0]
    kinetic = sp.expand(-d2_sol.subs(tau, 0)).subs({ChF(0): Ch0, CrF(0): Cr0})
    # Price's theorem for the closures (derivatives carried by the SymPy classes)
    price_phi = sp.diff(C_phi(c, c0), c)
    price_sr = sp.diff(C_sr(c, c0), c)
    steps = [
        Step(
            "single_site_h",
            sp.Eq(sp.Derivative(hF(t), t), sigma_zF(zF(t)) * (-hF(t) + eta_h(t) + I_h)),
            r"At $N\to\infty$ the recurrent inputs $\sum_jJ^h_{ij}\sigma_r(r_j)\phi(h_j)$, "
            r"$\sum_jJ^{z}_{ij}\phi(h_j)$, $\sum_jJ^{r}_{ij}\phi(h_j)$ of a unit become Gaussian "
            r"fields $\eta_h,\eta_z,\eta_r$; the couplings are i.i.d.\ and fully asymmetric, so "
            r"there are no response terms.",
            "Sec. III",
            title="Single-site process",
        ),
        Step("single_site_z", sp.Eq(tau_z * sp.Derivative(zF(t), t), -zF(t) + eta_z(t))),
        Step(
            "single_site_r",
            sp.Eq(tau_r * sp.Derivative(rF(t), t), -rF(t) + eta_r(t)),
            r"The output gate $r$ is independent of $(h,z)$.",
        ),
        Step(
            "field_h",
            sp.Eq(CehF(tau), field_h),
            r"The field covariances are raw moments of the single-site process, closed by the "
            r"Gaussian cross moments $C_F(c;c_0)=\mathbb E[F(x)F(y)]$ of a pair with variances "
            r"$c_0$ and covariance $c$; $g_J=1$ in convention A, $g_h^2$ in convention B.",
            "Sec. III",
            title="Self-consistent field covariances",
        ),
        Step("field_z", sp.Eq(CezF(tau), field_z)),
        Step("field_r", sp.Eq(CerF(tau), field_r)),
        Step(
            "price_phi",
            sp.Eq(sp.Derivative(sp.Function(r"C_{\phi}", real=True)(c, c0), c), price_phi),
            r"Derivatives of the closures in the covariance \cite{price1958}; SymPy's closure "
            r"classes carry this rule.",
            title="Price's theorem",
        ),
        Step(
            "price_sigma_r",
            sp.Eq(sp.Derivative(sp.Function(r"C_{\sigma_r}", real=True)(c, c0), c), price_sr),
        ),
        Step(
            "filter_spectrum",
            sp.Eq(SxF(omega), mult * SetaF(omega)),
            r"Each variable is a linear filter $\dot x=a(-x+\eta)$ of its field: SymPy solves "
            r"$i\omega\hat x=a(-\hat x+\hat\eta)$ and takes $|\hat x/\hat\eta|^2$.",
            "Sec. III",
            title="Spectrum of a linear filter",
        ),
        Step(
            "spectrum_z",
            sp.Eq(
                sp.Function(r"\hat C_z", real=True)(omega),
                mult_z * sp.Function(r"\hat C_{\eta_z}", real=True)(omega),
            ),
            r"With $a=1/\tau_z$, $a=1/\tau_r$ for the gates and, for $\alpha_z=0$, the constant "
            r"rate $a=s_z=\sigma_z(0)$ for the state:",
            title="Stationary spectra",
        ),
        Step(
            "spectrum_r",
            sp.Eq(
                sp.Function(r"\hat C_r", real=True)(omega),
                mult_r * sp.Function(r"\hat C_{\eta_r}", real=True)(omega),
            ),
        ),
        Step(
            "spectrum_h",
            sp.Eq(
                sp.Function(r"\hat C_h", real=True)(omega),
                mult_h * sp.Function(r"\hat C_{\eta_h}", real=True)(omega),
            ),
        ),
        Step(
            "stationary_z",
            sp.Eq(op_z, CezF(tau)),
            r"Back in the time domain ($\omega^2\to-\partial_\tau^2$):",
            title="Stationary equations",
        ),
        Step("stationary_r", sp.Eq(op_r, CerF(tau))),
        Step(
            "stationary_h",
            sp.Eq(op_h, field_h),
            r"and, for $\alpha_z=0$, with the closure inserted,",
        ),
        Step(
            "kinetic_identity",
            sp.Eq(hdot2, kinetic),
            r"SymPy solves \stepref{stationary_h} for $\partial_\tau^2C_h$ at $\tau=0$: "
            r"$\langle\dot h^2\rangle=-\partial_\tau^2C_h(0)$, with $C_h(0)=C_{h0}$, "
            r"$C_r(0)=C_{r0}$ and $C_F(c_0;c_0)=\langle F^2\rangle_{c_0}$.",
            title="Kinetic identity",
        ),
    ]
    return Derivation(
        name="gating_dmft" if params == REFERENCE_PARAMS else "gating_dmft_custom",
        title=r"Stationary DMFT of the gated RNN",
        steps=steps,
        references=[KCS],
        summary=(
            r"The dynamical mean-field theory of the gated network \cite{krishnamurthy2022} as "
            r"re-derived here: the single-site process, its self-consistent field covariances, the "
            r"Gaussian closures with Price's theorem, and the stationary equations for $C_z$, $C_r$ "
            r"and (for $\alpha_z=0$) $C_h$, which the Fourier solver iterates. The closures are "
            r"written for the model's $\phi$ and $\sigma_r$; the exported instance has "
            rf"$\phi(x)={tex(phi)}$ and $\sigma_r(x)={tex(sr)}$ ($g_h=5/2$, $\alpha_r=20$)."
        ),
        notation=[
            (r"C_h,C_z,C_r", r"the stationary autocorrelations of $h,z,r$ at lag $\tau$"),
            (r"C_{\eta_h},C_{\eta_z},C_{\eta_r}", "those of the fields"),
            (r"\hat C", "a power spectrum"),
            (
                r"\sigma_{I_h},\sigma_{I_z},\sigma_{I_r}",
                "the standard deviations of the static inputs",
            ),
            (r"\tau_z,\tau_r>0", "the time constants of the gates"),
        ],
    )


@derivation("gating_dmft", theory="gating")
def _registered_gating_dmft() -> Derivation:
    return gated_dmft_derivation(REFERENCE_PARAMS)


# ============================================================================ compiled theory
@dataclass(frozen=True)
class GatedDMFT:
    """Compiled functions of :func:`gated_dmft_derivation` for one parameter set.

    Attributes
    ----------
    mult_h, mult_z, mult_r:
        Spectral multipliers of (S2), (S1): functions of (ω, s_z), (ω, τ_z), (ω, τ_r).
    C_phi, C_sigma_r:
        Closures (c, c0) -> C(c; c0).
    dC_phi, dC_sigma_r:
        Their Price derivatives C_{φ'}, C_{σ_r'} (c, c0).
    kinetic:
        ⟨ḣ²⟩ as a function of (C_h0, C_r0, s_z, g_J, σ_Ih).
    """

    params: GatedParams
    mult_h: CompiledFunction
    mult_z: CompiledFunction
    mult_r: CompiledFunction
    C_phi: CompiledFunction
    C_sigma_r: CompiledFunction
    dC_phi: CompiledFunction
    dC_sigma_r: CompiledFunction
    kinetic: CompiledFunction

    @classmethod
    @functools.cache
    def for_params(cls, params: GatedParams) -> GatedDMFT:
        d = gated_dmft_derivation(params)
        C_phi, C_sr, _phi, _sr = _closure_classes(params)
        return cls(
            params=params,
            mult_h=compile_function(_multiplier(d, "spectrum_h"), [omega, s_z]),
            mult_z=compile_function(_multiplier(d, "spectrum_z"), [omega, tau_z]),
            mult_r=compile_function(_multiplier(d, "spectrum_r"), [omega, tau_r]),
            C_phi=compile_function(C_phi(c, c0), [c, c0]),
            C_sigma_r=compile_function(C_sr(c, c0), [c, c0]),
            dC_phi=compile_function(d.rhs("price_phi"), [c, c0]),
            dC_sigma_r=compile_function(d.rhs("price_sigma_r"), [c, c0]),
            kinetic=compile_function(d.rhs("kinetic_identity"), [Ch0, Cr0, s_z, g_J, sig_h]),
        )


def _multiplier(d: Derivation, step: str) -> sp.Expr:
    rhs = d.rhs(step)
    funcs = [f for f in rhs.atoms(sp.Function) if f.args == (omega,)]
    return sp.simplify(rhs / funcs[0])


def coupling_variance(params: GatedParams) -> float:
    """g_J: variance scale of J^h (1 in convention A, g_h² in B)."""
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    return 1.0 if params.convention == "A" else params.g_h**2


def input_variances(params: GatedParams) -> tuple[float, float, float]:
    """Variances of the static inputs seen by h, z, r (the h-input scales by g_h in convention B)."""
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    sh = params.sigma_h * (params.g_h if params.convention == "B" else 1.0)
    return sh**2, params.sigma_z**2, params.sigma_r**2


# ============================================================================ solution
@dataclass(frozen=True)
class GatedDMFTSolution:
    """Stationary DMFT correlation functions of the gated RNN (raw moments, lags τ ≥ 0).

    Attributes
    ----------
    params:
        Parameters solved for.
    tau:
        Lags, shape (K,), from 0 to half the periodic window.
    C_h, C_z, C_r:
        ⟨h(t)h(t+τ)⟩, ⟨z z⟩, ⟨r r⟩ on ``tau``.
    C_phi, C_sigma_r:
        ⟨φ(h)φ(h)⟩ and ⟨σ_r(r)σ_r(r)⟩ on ``tau``.
    converged:
        Whether the iteration met its tolerance *and* the correlations decayed inside the window.
    residual:
        Last sup-norm change of (C_h, C_r) between iterations (solver A) or the Monte-Carlo
        standard error of C_h(0) (solver B).
    iterations:
        Iterations performed.
    method:
        ``"fourier"`` (solver A) or ``"montecarlo"`` (solver B).
    kinetic:
        ⟨ḣ²⟩ (kinetic identity for solver A; path estimate for solver B).
    message:
        Why the result is flagged not converged ("" when converged).
    C_h_err, C_phi_err:
        Monte-Carlo standard errors (solver B) on ``tau``; None for solver A.
    info:
        Diagnostics (window, grid, tail decay, timings...).
    """

    params: GatedParams
    tau: np.ndarray
    C_h: np.ndarray
    C_z: np.ndarray
    C_r: np.ndarray
    C_phi: np.ndarray
    C_sigma_r: np.ndarray
    converged: bool
    residual: float
    iterations: int
    method: str = "fourier"
    kinetic: float = float("nan")
    message: str = ""
    C_h_err: np.ndarray | None = None
    C_phi_err: np.ndarray | None = None
    residual_history: tuple[float, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def C_h0(self) -> float:
        return float(self.C_h[0])

    def at(self, name: str, lags: np.ndarray) -> np.ndarray:
        """Correlation ``name`` ∈ {C_h, C_z, C_r, C_phi, C_sigma_r} at |lags| (linear interpolation)."""
        require(
            name in ("C_h", "C_z", "C_r", "C_phi", "C_sigma_r"),
            "name",
            name,
            "C_h, C_z, C_r, C_phi or C_sigma_r",
        )
        lags = np.abs(np.asarray(lags, dtype=float))
        require(
            bool(np.all(lags <= self.tau[-1])),
            "lags",
            float(lags.max()),
            f"|lag| <= {self.tau[-1]:.4g} (half the window)",
        )
        return np.interp(lags, self.tau, getattr(self, name))

    def correlation_time(self, name: str = "C_h") -> float:
        r"""Integral correlation time :math:`\int_0^{L/2}[C(\tau)-C(L/2)]d\tau/[C(0)-C(L/2)]`."""
        y = getattr(self, name)
        conn = y - y[-1]
        return float(np.trapezoid(conn, self.tau) / conn[0]) if conn[0] > 0 else 0.0


# ============================================================================ grids
def check_grid(dtau: float, n: int) -> None:
    """Validate a periodic lag grid: spacing ``dtau`` > 0 and an even number ``n`` ≥ 64 of points."""
    require(is_real(dtau) and np.isfinite(dtau) and dtau > 0, "dtau", dtau, "a finite dtau > 0")
    require(
        isinstance(n, (int, np.integer)) and n >= 64 and n % 2 == 0,
        "n",
        n,
        "an even integer n >= 64",
    )


def check_fourier_params(params: Any) -> None:
    """Validate one parameter point of a Fourier solver (point by point or batched): a
    :class:`~theory.gating.model.GatedParams` with α_z = 0."""
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    require(
        params.alpha_z == 0.0,
        "alpha_z",
        params.alpha_z,
        "alpha_z = 0 for the Fourier solver (use solve_dmft_montecarlo)",
    )


def check_fourier_options(
    *,
    dtau: Any,
    n: Any,
    damping: Any,
    tol: Any,
    max_iter: Any,
    anderson: Any,
    table_nodes: Any,
) -> None:
    """Validate the options shared by the Fourier solvers (point by point,
    :func:`~theory.gating.dmft.fourier.solve_dmft_fourier`, and batched,
    :class:`~theory.gating.dmft.batched.FourierPool`), so that both refuse the same inputs with
    the same :class:`~theory.errors.ParameterError`: the grid (:func:`check_grid`, at most 2**20
    points), 0 < damping ≤ 1, 0 < tol < 1, integers max_iter ≥ 1 and anderson ≥ 0, and an integer
    8 ≤ table_nodes ≤ 257 (the closure tables' Chebyshev nodes)."""
    check_grid(dtau, n)
    require(n <= 2**20, "n", n, "n <= 2**20 grid points")
    require(is_real(damping) and 0 < damping <= 1, "damping", damping, "0 < damping <= 1")
    require(is_real(tol) and 0 < tol < 1, "tol", tol, "0 < tol < 1")
    for name, value, low in (("max_iter", max_iter, 1), ("anderson", anderson, 0)):
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        require(ok and value >= low, name, value, f"an integer >= {low}")
    ok = isinstance(table_nodes, (int, np.integer)) and not isinstance(table_nodes, bool)
    require(ok and 8 <= table_nodes <= 257, "table_nodes", table_nodes, "an integer 8 <= n <= 257")


def check_init_amplitudes(init: Any, shown: Any = None) -> tuple[float, float]:
    """The initial amplitudes (C_h(0), C_r(0)) of a Fourier solve, validated: two real numbers
    0 < a ≤ 1e6 (``shown``: the value the error message names, default ``init``)."""
    ok = isinstance(init, (tuple, list, np.ndarray)) and len(init) == 2
    ok = ok and all(is_real(v) and np.isfinite(v) and 0 < v <= 1e6 for v in init)
    require(ok, "init", init if shown is None else shown, "two amplitudes 0 < a <= 1e6")
    return float(init[0]), float(init[1])


def tail_decay(y: np.ndarray) -> float:
    """Relative variation over the last eighth of the half-window: |C(τ) − C(L/2)| / (C(0) − C(L/2)).

    A correlation that has not decayed at the window edge makes the periodic solution wrong
    (the grid is too short for the correlation time); the solvers flag it when this exceeds 1e-3.
    A static solution (C flat up to the iteration's rounding, span ≤ 1e-7·|C(0)|) has no
    correlation time to resolve: 0.
    """
    K = y.size
    span = float(y[0] - y[-1])
    if span <= 1e-7 * abs(float(y[0])):
        return 0.0
    tail = y[-max(2, K // 8) :]
    return float(np.max(np.abs(tail - y[-1])) / span)


def nyquist_fraction(half: np.ndarray, n: int) -> float:
    """|Ĉ| at the Nyquist frequency relative to its maximum (aliasing of a too coarse grid)."""
    from theory.numerics.timeseries import even_extend

    spec = np.abs(np.fft.rfft(even_extend(half, n)).real)
    top = float(spec.max())
    return float(spec[-1] / top) if top > 0 else 0.0


def grid_diagnostics(
    ch: np.ndarray, cr: np.ndarray, params: GatedParams, n: int, dtau: float
) -> tuple[list[str], float, float]:
    """Why a periodic solution on the grid (n, dtau) does not represent the stationary one.

    Returns (messages, decay, alias): "window too short" when the correlations have not decayed
    at the window edge (:func:`tail_decay` > 1e-3; for odd φ without h-input the stationary
    chaotic solution has no static part, so a correlation left at the edge counts too: the
    periodic iteration then collapses onto a spurious static solution), "grid too coarse" when
    the spectrum at the Nyquist frequency exceeds 1e-3 of its peak (aliasing). Both Fourier
    solvers (point by point and batched) use it, so they flag the same solutions.
    """
    messages = []
    decay = max(tail_decay(ch), tail_decay(cr))
    if phi_is_odd(params) and params.sigma_h == 0.0 and ch[0] > 1e-12:
        decay = max(decay, float(abs(ch[-1]) / ch[0]))
    if decay > 1e-3:
        messages.append(
            f"window too short: correlation not decayed at the window edge (tail variation "
            f"{decay:.2e} > 1e-3); increase n*dtau = {n * dtau:g}"
        )
    alias = max(nyquist_fraction(ch, n), nyquist_fraction(cr, n))
    if alias > 1e-3:
        messages.append(
            f"grid too coarse: the spectrum at the Nyquist frequency is {alias:.2e} of its peak "
            f"(> 1e-3, aliasing); decrease dtau = {dtau:g}"
        )
    return messages, decay, alias


def closure_params(params: GatedParams) -> GatedParams:
    """The parameters the compiled theory depends on: those of the closures φ and σ_r.

    Everything else (s_z, τ's, g_J, input variances, α_z) is a symbol of the derivation, so
    parameter sets that agree here share one SymPy derivation and one compile. In convention B
    φ = tanh(h + β_h) does not contain g_h (g_h only scales Var J^h, i.e. g_J), so a sweep over g_h
    in convention B compiles once per (β_h, α_r, β_r).
    """
    g = params.g_h if params.convention == "A" else 1.0
    return GatedParams(
        g_h=g,
        beta_h=params.beta_h,
        alpha_r=params.alpha_r,
        beta_r=params.beta_r,
        convention=params.convention,
        phi=params.phi,
        gate_r=params.gate_r,
    )


@functools.cache
def compiled_theory(params: GatedParams, quad_step: float | None = None) -> GatedDMFT:
    """The compiled DMFT of :func:`gated_dmft_derivation`, shared by every parameter set with the
    same :func:`closure_params` (memoised); ``quad_step`` overrides the closures' quadrature step."""
    key = closure_params(params)
    if key != params:
        return compiled_theory(key, quad_step)
    if quad_step is None:
        return GatedDMFT.for_params(params)
    C_phi, C_sr, _phi, _sr = _closure_classes(params)
    base = GatedDMFT.for_params(params)
    phi = phi_expr(params)
    sr = gate_r_expr(params)
    del C_phi, C_sr
    # quad_step sets the trapezoid of the default and logistic closures; the general quadrature
    # of a non-logistic user shape has no step (its error estimate is general_cross_error)
    w_phi, w_r = feature_widths(params)
    cp = _with_step(phi, quad_step, params.phi is not None, w_phi)
    cs = _with_step(sr, quad_step, params.gate_r is not None, w_r)
    return GatedDMFT(
        params=params,
        mult_h=base.mult_h,
        mult_z=base.mult_z,
        mult_r=base.mult_r,
        C_phi=compile_function(cp(c, c0), [c, c0]),
        C_sigma_r=compile_function(cs(c, c0), [c, c0]),
        dC_phi=compile_function(sp.diff(cp(c, c0), c), [c, c0]),
        dC_sigma_r=compile_function(sp.diff(cs(c, c0), c), [c, c0]),
        kinetic=base.kinetic,
    )


def closure_error_bound(params: GatedParams, ch: np.ndarray, cr: np.ndarray) -> float:
    """Error estimate of the general quadrature closures at a solution (C_h, C_r on the lags):
    :func:`~theory.gating.dmft.closures.general_cross_error` of C_φ and C_{σ_r} at 17 lags each,
    for the user shapes that are not logistic (0 for the default and logistic closures, whose
    trapezoid or logistic rules err by ~e^{−49})."""
    from theory.gating.dmft.closures import expr_strip, general_cross_error

    err = 0.0
    w_phi, w_r = feature_widths(params)
    cases = (
        (params.phi is not None, phi_expr(params), ch, w_phi),
        (params.gate_r is not None, gate_r_expr(params), cr, w_r),
    )
    for user, F, y, w in cases:
        if user and expr_strip(F) is None and y[0] > 0:
            idx = np.unique(np.linspace(0, y.size - 1, 17).astype(int))
            c_ = np.clip(y[idx], -y[0], y[0])
            err = max(err, general_cross_error(F, c_, float(y[0]), w))
    return err


def _with_step(F: sp.Expr, step: float, user: bool, width: float) -> Any:
    from theory.gating.dmft.closures import expr_strip, general_cross_class

    if user and expr_strip(F) is None:
        return general_cross_class(F, width=width)
    return sharp_cross(F, None, step)


def phi_moments(params: GatedParams, c_h0: float) -> dict[str, float]:
    """⟨φ²⟩, ⟨φ'²⟩ at Var h = c_h0 (compiled sharp-step Gaussian means)."""
    phi = phi_expr(params)
    step = strip_step(phi_strip(params))
    user = params.phi is not None
    w = feature_widths(params)[0]
    f2 = compile_function(model_mean(phi**2, phi, step, user, w)(c0), [c0])
    fp2 = compile_function(model_mean(diff_x(phi) ** 2, phi, step, user, w)(c0), [c0])
    return {"phi2": float(f2(c_h0)), "dphi2": float(fp2(c_h0))}
