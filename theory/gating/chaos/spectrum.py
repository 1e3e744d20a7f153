r"""Support of the Jacobian spectrum (random-matrix theory), derived by SymPy, solved by root finding.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IV, Eqs. (11)–(13) (spectral support of
the Jacobian; fixed-point form) and Sec. V (marginal stability, slow modes). The general boundary
away from fixed points (E ≠ 0) is our derivation (derivation ``gated_jacobian_spectrum``, step
``boundary``); it reduces to the paper's fixed-point form (step ``boundary_fixed_point``).

Write the Jacobian (:mod:`theory.gating.chaos.jacobian`) as :math:`\mathcal D=D_0+\sum_kL_kJ_kR_k`
(k = h, z, r), with per-neuron 3 × 3 diagonal block :math:`D_0` and injection/read-out vectors
:math:`L_k,R_k`. Hermitisation gives the edge of the support where the Perron root of
:math:`K_{kl}(\lambda)=\langle|R_kG_0L_l|^2\rangle`, :math:`G_0=(\lambda-D_0)^{-1}`, equals one.
:func:`spectrum_derivation` computes :math:`G_0` and every :math:`|R_kG_0L_l|^2` symbolically,
solves :math:`\det(1-K)=0` for the boundary

.. math:: K_{hh}+\frac{(K_{hz}+K_{hr})K_{zh}}{1-K_{zz}}=1\qquad(\lambda\text{ inside}\iff\text{LHS}>1),

and reduces it at a fixed point (e = 0, h, z, r independent) to

.. math:: \Big\langle\frac{\sigma_z^2}{|\lambda+\sigma_z|^2}\Big\rangle\Big[\langle\sigma_r^2\rangle
   \langle\phi'^2\rangle+\frac{\langle\sigma_r'^2\rangle\langle\phi^2\rangle\langle\phi'^2\rangle}
   {|1+\lambda\tau_r|^2}\Big]=1 .

Numerics: :class:`BoundaryModel` evaluates the left side from per-neuron samples (general E ≠ 0
form; any joint law of (h, z, r, e)) or from 1-D Gaussian quadrature (fixed-point form);
:func:`spectral_abscissa` and :func:`support_height` find the boundary by Brent's method.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize as so
import sympy as sp
from scipy.special import ndtr

from theory.errors import ConvergenceError, ParameterError, require
from theory.gating.chaos import jacobian as jac
from theory.gating.model import GatedParams
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation, prove_equal
from theory.symbolic.gaussian import expect
from theory.symbolic.printing import tex_name

__all__ = [
    "spectrum_derivation",
    "BoundaryModel",
    "spectral_abscissa",
    "support_height",
    "slow_mode_fraction",
    "SPECTRUM_REF",
]

SPECTRUM_REF = Reference(key="krishnamurthy2022", where="Sec. IV, Eqs. (11)--(13); Sec. V")

# per-neuron symbols
a = sp.Symbol("sigma_z", positive=True)
c = sp.Symbol("c", real=True)  # σ_z'(z) e
sr = sp.Symbol("sigma_r", positive=True)
srp = tex_name(sp.Symbol("sigma_r'", nonnegative=True), r"\sigma_r'")
ph = sp.Symbol("phi", real=True)
php = tex_name(sp.Symbol("phi'", nonnegative=True), r"\phi'")
x, y = sp.symbols("x y", real=True)  # λ = x + i y
tz, tr = jac.tau_z, jac.tau_r
KS = {
    n: sp.Symbol(f"K_{n}", nonnegative=True)
    for n in ("hh", "hz", "hr", "zh", "zz", "zr", "rh", "rz", "rr")
}
# averages for the fixed-point form
M = {
    n: sp.Symbol(rf"\langle {t}\rangle", positive=True)
    for n, t in (
        ("F", r"\sigma_z^2/|\lambda+\sigma_z|^2"),
        ("sr2", r"\sigma_r^2"),
        ("srp2", r"\sigma_r'^2"),
        ("ph2", r"\phi^2"),
        ("php2", r"\phi'^2"),
    )
}


def _abs2(w: sp.Expr) -> sp.Expr:
    w = sp.expand_complex(sp.together(w))
    re, im = w.as_real_imag()
    return sp.simplify(sp.together(re**2 + im**2))


@functools.cache
def spectrum_derivation() -> Derivation:
    """Perron-root condition → boundary of the support (general and fixed-point forms)."""
    lam = x + sp.I * y
    D0 = sp.Matrix([[-a, c, 0], [0, -1 / tz, 0], [0, 0, -1 / tr]])
    G0 = sp.simplify((lam * sp.eye(3) - D0).inv())
    L = {"h": sp.Matrix([a, 0, 0]), "z": sp.Matrix([0, 1 / tz, 0]), "r": sp.Matrix([0, 0, 1 / tr])}
    R = {
        "h": sp.Matrix([[sr * php, 0, srp * ph]]),
        "z": sp.Matrix([[php, 0, 0]]),
        "r": sp.Matrix([[php, 0, 0]]),
    }
    k = {}
    for kk in "hzr":
        for ll in "hzr":
            k[kk + ll] = _abs2((R[kk] * G0 * L[ll])[0, 0])
    # structure: rows z and r read out the same P' ⇒ K_r· = K_z·; nothing reaches r-columns but h
    assert sp.simplify(k["rh"] - k["zh"]) == 0 and sp.simplify(k["rz"] - k["zz"]) == 0
    assert k["zr"] == 0 and k["rr"] == 0
    Kmat = sp.Matrix(
        [[KS["hh"], KS["hz"], KS["hr"]], [KS["zh"], KS["zz"], 0], [KS["zh"], KS["zz"], 0]]
    )
    det = sp.factor(sp.expand((sp.eye(3) - Kmat).det()))
    sol = sp.solve(sp.Eq(det, 0), KS["hh"])
    if len(sol) != 1:
        raise AssertionError(f"boundary: expected one solution for K_hh, got {sol}")
    lhs_general = prove_equal(
        sp.simplify(KS["hh"] + (1 - sol[0])),
        KS["hh"] + (KS["hz"] + KS["hr"]) * KS["zh"] / (1 - KS["zz"]),
        "boundary",
    )
    # fixed point: c = 0 and independent h, z, r: averages factor
    k0 = {n: sp.simplify(v.subs(c, 0)) for n, v in k.items()}
    Fz = sp.simplify(a**2 / ((x + a) ** 2 + y**2))
    assert sp.simplify(k0["hh"] - Fz * sr**2 * php**2) == 0
    assert sp.simplify(k0["zh"] - Fz * php**2) == 0
    assert k0["hz"] == 0 and k0["zz"] == 0
    hr_factor = sp.simplify(k0["hr"] / (srp**2 * ph**2))
    lhs_fp = M["F"] * (M["sr2"] * M["php2"] + M["srp2"] * M["ph2"] * M["php2"] * hr_factor)
    check = lhs_general.subs({KS["hz"]: 0, KS["zz"]: 0}).subs(
        {
            KS["hh"]: M["F"] * M["sr2"] * M["php2"],
            KS["zh"]: M["F"] * M["php2"],
            KS["hr"]: M["srp2"] * M["ph2"] * hr_factor,
        }
    )
    if sp.simplify(check - lhs_fp) != 0:
        raise AssertionError("fixed-point form does not follow from the general boundary")
    lhs_real_axis = sp.simplify(lhs_fp.subs(y, 0))
    # the resolvent in terms of λ (display form), equal to G0 at λ = x + iy
    lam_s = sp.Symbol("lambda", complex=True)
    G0_lam = sp.Matrix(
        [
            [1 / (lam_s + a), c * tz / ((lam_s + a) * (tz * lam_s + 1)), 0],
            [0, tz / (tz * lam_s + 1), 0],
            [0, 0, tr / (tr * lam_s + 1)],
        ]
    )
    if sp.simplify(G0_lam.subs(lam_s, lam) - G0) != sp.zeros(3, 3):
        raise AssertionError("resolvent in lambda form differs from G_0")

    def k_lhs(n: str) -> sp.Symbol:
        return sp.Symbol(rf"|R_{n[0]}G_0L_{n[1]}|^2", nonnegative=True)

    steps = [
        Step(
            "bare_resolvent",
            sp.Eq(sp.MatrixSymbol("G_0", 3, 3), G0_lam, evaluate=False),
            r"Per unit the Jacobian has the diagonal block $D_0$ (with $c=\sigma_z'(z)e$); its "
            r"resolvent $G_0=(\lambda-D_0)^{-1}$ at $\lambda=x+iy$ is",
            title="Resolvent of the diagonal part",
        ),
        *[
            Step(
                f"k_{n}",
                sp.Eq(k_lhs(n), k[n]),
                r"The gains $K_{kl}$ are population averages of $|R_kG_0L_l|^2$ over the units:"
                if n == "hh"
                else "",
                title="Gains" if n == "hh" else "",
            )
            for n in ("hh", "hz", "hr", "zh", "zz")
        ],
        Step(
            "perron_determinant",
            sp.Eq(sp.Symbol(r"\det(1-K)", real=True), det),
            r"SymPy finds that the rows of $z$ and $r$ coincide ($K_{r\cdot}=K_{z\cdot}$) and "
            r"$K_{zr}=K_{rr}=0$, so $K$ has rows $(K_{hh},K_{hz},K_{hr})$, $(K_{zh},K_{zz},0)$, "
            r"$(K_{zh},K_{zz},0)$; its Perron root is 1 where",
            title="Perron condition",
        ),
        Step(
            "boundary",
            sp.Eq(lhs_general, 1),
            r"Solved for $K_{hh}$: the boundary of the support for a general state ($E\neq0$, our "
            r"derivation); $\lambda$ lies inside where the left side exceeds 1.",
            title="Boundary of the support",
        ),
        Step(
            "boundary_fixed_point",
            sp.Eq(lhs_fp, 1),
            r"At a fixed point ($e=0$, and $h,z,r$ independent) the averages factor; SymPy checks "
            r"that this follows from \stepref{boundary}.",
            "Eq. (12)",
            title="Fixed-point form",
        ),
        Step(
            "abscissa_condition",
            sp.Eq(lhs_real_axis, 1),
            r"The spectral abscissa is the largest real root of the boundary on $y=0$.",
            "Eq. (13)",
            title="Spectral abscissa",
        ),
        Step(
            "slow_modes",
            sp.Eq(
                sp.Symbol(r"P(|\lambda|<\delta)", nonnegative=True),
                sp.Symbol(r"P(\sigma_z<\delta)", nonnegative=True),
            ),
            r"As $\alpha_z$ grows, $\langle\sigma_z^2/|\lambda+\sigma_z|^2\rangle$ falls from 1 to "
            r"$P(\sigma_z\gtrsim|\lambda|)$ within an exponentially small range: the support "
            r"pinches at 0 and each closed gate contributes an eigenvalue near $-\sigma_z$.",
            "Sec. V",
            title="Slow modes",
        ),
    ]
    return Derivation(
        name="gated_jacobian_spectrum",
        title="Support of the Jacobian spectrum of the gated RNN",
        steps=steps,
        references=[SPECTRUM_REF, Reference(key="feinberg1997")],
        summary=(
            r"Write the Jacobian \derivref{gated_jacobian} as $\mathcal D=D_0+\sum_kL_kJ_kR_k$ "
            r"($k=h,z,r$) with a $3\times3$ diagonal block $D_0$ per unit and injection and "
            r"read-out vectors $L_k,R_k$. Hermitisation \cite{feinberg1997} puts the boundary of "
            r"the support of the spectrum where the Perron root of the gain matrix "
            r"$K_{kl}(\lambda)=\langle|R_kG_0L_l|^2\rangle$ equals one \cite{krishnamurthy2022}."
        ),
        notation=[
            (
                r"\sigma_z,\sigma_z',\sigma_r,\sigma_r',\phi,\phi'",
                "the gate and nonlinearity values of a unit",
            ),
            (r"\langle\cdot\rangle", "the average over the units"),
        ],
    )


@derivation("gated_jacobian_spectrum", theory="gating")
def _registered_spectrum() -> Derivation:
    return spectrum_derivation()


# --------------------------------------------------------------------------- compiled
def _compiled_for(params: GatedParams) -> dict[str, CompiledFunction]:
    """:func:`_compiled`, specialised to the model's own φ and gates when it has user shapes
    (:func:`theory.gating.chaos.jacobian.specialise_model`; same steps of the derivation)."""
    from theory.gating.model import has_user_functions

    return _compiled(params if has_user_functions(params) else None)


@functools.cache
def _compiled(params: GatedParams | None = None) -> dict[str, CompiledFunction]:
    d = spectrum_derivation()
    hs, zs, rs, es = (sp.Symbol(n, real=True) for n in ("h", "z", "r", "e"))
    sz = jac.sigma_z_sym(zs)
    srr = jac.sigma_r_sym(rs)
    sub = {
        a: sz,
        c: sp.diff(sz, zs) * es,
        sr: srr,
        srp: sp.diff(srr, rs),
        ph: jac.phi_sym(hs),
        php: sp.diff(jac.phi_sym(hs), hs),
    }
    args = [hs, zs, rs, es, x, y, *jac.PARAM_SYMBOLS, tz, tr]

    def own(e: sp.Expr) -> sp.Expr:
        return e if params is None else jac.specialise_model(e, params)

    out = {
        n: compile_function(own(d.rhs(f"k_{n}").subs(sub)), args)
        for n in ("hh", "hz", "hr", "zh", "zz")
    }
    # fixed-point form: the z-average F and the r-factor
    out["F"] = compile_function(
        own(sp.simplify(a**2 / ((x + a) ** 2 + y**2)).subs(a, sz)), [zs, x, y, *jac.PARAM_SYMBOLS]
    )
    out["hr_factor"] = compile_function(sp.simplify(d.rhs("k_hr") / (srp**2 * ph**2)), [x, y, tr])
    out["sr2"] = compile_function(own(srr**2), [rs, *jac.PARAM_SYMBOLS])
    out["srp2"] = compile_function(own(sp.diff(srr, rs) ** 2), [rs, *jac.PARAM_SYMBOLS])
    out["ph2"] = compile_function(own(jac.phi_sym(hs) ** 2), [hs, *jac.PARAM_SYMBOLS])
    out["php2"] = compile_function(own(sp.diff(jac.phi_sym(hs), hs) ** 2), [hs, *jac.PARAM_SYMBOLS])
    return out


@dataclass(frozen=True)
class BoundaryModel:
    """Left side of the support boundary, LHS(λ) (inside the support iff LHS > 1).

    Create with :meth:`from_samples` (general E ≠ 0 form: averages over per-neuron samples of
    (h, z, r, e), e.g. a simulated state or Monte-Carlo draws of a mean-field law) or
    :meth:`fixed_point` (independent Gaussians h ~ N(0, Δ_h), z ~ N(0, Δ_z), r ~ N(0, Δ_r),
    e = 0; 1-D quadrature).
    """

    params: GatedParams
    kind: str
    samples: tuple[np.ndarray, ...] | None = field(default=None, repr=False)
    moments: dict[str, float] = field(default_factory=dict)
    variances: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @classmethod
    def from_samples(
        cls, params: GatedParams, h: np.ndarray, z: np.ndarray, r: np.ndarray, e: np.ndarray
    ) -> BoundaryModel:
        arrs = tuple(np.asarray(v, dtype=float).ravel() for v in (h, z, r, e))
        require(
            len({v.size for v in arrs}) == 1 and arrs[0].size >= 2,
            "samples",
            [v.size for v in arrs],
            "equal-length arrays of >= 2 samples",
        )
        for name, v in zip("hzre", arrs, strict=True):
            if not np.all(np.isfinite(v)):
                raise ParameterError(name, "array with NaN/inf", "finite samples")
        return cls(params, "samples", arrs)

    @classmethod
    def fixed_point(
        cls, params: GatedParams, delta_h: float, delta_z: float, delta_r: float
    ) -> BoundaryModel:
        for n, v in (("delta_h", delta_h), ("delta_z", delta_z), ("delta_r", delta_r)):
            require(np.isfinite(v) and v >= 0, n, v, "a finite variance >= 0")
        f = _compiled_for(params)
        pv = jac.param_values(params)
        if params.phi is not None or params.gate_r is not None:
            return cls(
                params,
                "fixed_point",
                None,
                _user_moments(params, f, pv, delta_h, delta_r),
                (float(delta_h), float(delta_z), float(delta_r)),
            )
        from theory.gating.dmft.closures import gate_strip, phi_strip
        from theory.numerics.quadrature import strip_step

        # trapezoid steps from the analyticity strips (error ~ e^-49; theory.gating.dmft.closures)
        step_r = strip_step(gate_strip(params.alpha_r))
        step_h = strip_step(phi_strip(params))
        # where the trapezoid rule would be too long (sharp gate, large gain, huge variance),
        # grade the rule towards the step of σ_r (at β_r/α_r) or φ (at −β_h/g)
        gain = params.g_h if params.convention == "A" else 1.0
        feat_r = (params.beta_r / params.alpha_r, 1.0 / params.alpha_r) if params.alpha_r else None
        feat_h = (-params.beta_h / gain, 1.0 / gain)
        m = {
            "sr2": float(expect(lambda u: f["sr2"](u, *pv), delta_r, step=step_r, feature=feat_r)),
            "srp2": float(
                expect(lambda u: f["srp2"](u, *pv), delta_r, step=step_r, feature=feat_r)
            ),
            "ph2": float(expect(lambda u: f["ph2"](u, *pv), delta_h, step=step_h, feature=feat_h)),
            "php2": float(
                expect(lambda u: f["php2"](u, *pv), delta_h, step=step_h, feature=feat_h)
            ),
        }
        return cls(params, "fixed_point", None, m, (float(delta_h), float(delta_z), float(delta_r)))

    def lhs(self, xv: np.ndarray | float, yv: np.ndarray | float = 0.0) -> np.ndarray:
        """LHS(x + iy), vectorised over broadcast x, y."""
        xv, yv = np.broadcast_arrays(np.asarray(xv, dtype=float), np.asarray(yv, dtype=float))
        f = _compiled_for(self.params)
        p = self.params
        pv = jac.param_values(p)
        out = np.empty(xv.shape)
        flat_x, flat_y = xv.ravel(), yv.ravel()
        res = out.ravel()
        for i in range(flat_x.size):
            X, Y = flat_x[i], flat_y[i]
            if self.kind == "samples":
                assert self.samples is not None  # from_samples sets them with kind "samples"
                h, z, r, e = self.samples
                args = (h, z, r, e, X, Y, *pv, p.tau_z, p.tau_r)
                with np.errstate(invalid="ignore"):
                    K = {n: f[n](*args) for n in ("hh", "hz", "hr", "zh", "zz")}
                if (
                    np.isnan(K["hh"]).any() or np.isnan(K["zh"]).any()
                ):  # σ_z underflow at λ = 0: limit σ_z²/|σ_z|² = 1
                    _a, _zpe, col_hh, _col_hr, col_gate = jac.JacobianFactors.for_params(p).fused(
                        h, z, r, e, *pv
                    )
                    K["hh"] = np.where(np.isnan(K["hh"]), col_hh**2, K["hh"])
                    K["zh"] = np.where(np.isnan(K["zh"]), col_gate**2, K["zh"])
                K = {n: float(np.mean(v)) for n, v in K.items()}
                res[i] = (
                    np.inf
                    if K["zz"] >= 1
                    else K["hh"] + (K["hz"] + K["hr"]) * K["zh"] / (1 - K["zz"])
                )
            else:
                dz = self.variances[1]
                step_z = 0.02 / max(1.0, p.alpha_z)

                def integrand(u: np.ndarray, X: float = X, Y: float = Y) -> np.ndarray:
                    return _F_limit(f["F"](u, X, Y, *pv))

                with np.errstate(invalid="ignore"):
                    F = float(_expect_gate(integrand, dz, step_z, p.alpha_z, p.beta_z))
                m = self.moments
                res[i] = F * (
                    m["sr2"] * m["php2"]
                    + m["srp2"] * m["ph2"] * m["php2"] * float(f["hr_factor"](X, Y, p.tau_r))
                )
        return out

    def stability_sum(self) -> float:
        """V_1 + V_2 = LHS(0) for the fixed-point form (derivation ``gating_fixed_points``)."""
        m = self.moments
        require(self.kind == "fixed_point", "kind", self.kind, "'fixed_point'")
        return m["sr2"] * m["php2"] + m["srp2"] * m["ph2"] * m["php2"]


def _user_moments(
    params: GatedParams, f: dict[str, Any], pv: tuple[float, ...], delta_h: float, delta_r: float
) -> dict[str, float]:
    """⟨σ_r²⟩, ⟨σ_r'²⟩, ⟨φ²⟩, ⟨φ'²⟩ of a model with a user φ or σ_r: the general rule of
    :func:`theory.gating.dmft.closures.general_mean` with panel ends at the kinks of the shapes."""
    from theory.gating.dmft.closures import feature_widths, general_mean, kink_points
    from theory.gating.model import gate_r_expr, phi_expr

    kr, kh = kink_points(gate_r_expr(params)), kink_points(phi_expr(params))
    w_phi, w_r = feature_widths(params)
    out = {}
    for name, kinks, var, w in (
        ("sr2", kr, delta_r, w_r),
        ("srp2", kr, delta_r, w_r),
        ("ph2", kh, delta_h, w_phi),
        ("php2", kh, delta_h, w_phi),
    ):
        fn = f[name]
        val = general_mean(lambda u, fn=fn: fn(u, *pv), kinks, var, width=w)
        out[name] = float(np.asarray(val).reshape(-1)[0])
    return out


def _expect_gate(f: Any, dz: float, step: float, alpha: float, beta: float) -> np.ndarray | float:
    """E[f(z)], z ~ N(0, Δ_z), for f a function of σ_z(z) = σ(α_z z − β_z) with features of width
    1/α_z within 40/α_z of the gate's center (σ_z and σ_z/|λ + σ_z|): the trapezoid rule, or,
    where it would need more than 2·10⁵ nodes, a rule graded towards the center with two-width
    panels over the 40 widths around it (:func:`theory.numerics.quadrature.graded_rule`)."""
    from theory.numerics.quadrature import TRUNCATION, graded_rule

    sd = math.sqrt(dz)
    if alpha == 0 or sd == 0 or 2 * TRUNCATION * sd / step <= 200_001:
        return expect(f, dz, step=step)
    u, w = graded_rule(beta / (alpha * sd), 1.0 / (alpha * sd), core=40.0)
    return float(np.asarray(f(sd * u)) @ w)


def _F_limit(v: np.ndarray) -> np.ndarray:
    """σ_z²/|λ + σ_z|² → 1 where σ_z underflows to 0 at λ = 0 (0/0)."""
    return np.where(np.isnan(v), 1.0, v)


def spectral_abscissa(
    model: BoundaryModel, *, x_max: float = 20.0, n_scan: int = 120, x_min: float | None = None
) -> float:
    """Rightmost point of the support on the real axis: the largest root of LHS(x) = 1.

    Scans x downward from ``x_max`` on a grid (geometric near the left end), then refines by
    Brent's method. The left end defaults to −min(σ_z-scale, 1/τ_r)-safe value −0.999·min(1, 1/τ_r).

    Raises
    ------
    ConvergenceError
        If LHS < 1 on the whole scan (no support to the right of ``x_min``) or LHS > 1 at x_max.
    """
    p = model.params
    lo = -0.999 * min(1.0, 1.0 / p.tau_r) if x_min is None else x_min
    require(
        math.isfinite(lo) and math.isfinite(x_max) and x_max > lo,
        "x_max",
        x_max,
        f"a finite x_max > x_min = {lo:.4g}",
    )
    require(
        isinstance(n_scan, (int, np.integer)) and 2 <= n_scan <= 100_000,
        "n_scan",
        n_scan,
        "an integer 2 <= n_scan <= 1e5",
    )
    if model.lhs(x_max) > 1:
        raise ConvergenceError(f"support extends beyond x_max={x_max}", float(model.lhs(x_max)))
    xs = (
        np.concatenate([np.geomspace(x_max, 1.0, 12), np.linspace(1.0, lo, n_scan)[1:]])
        if x_max > 1
        else np.linspace(x_max, lo, n_scan)
    )
    prev = x_max
    for xv in xs:
        if model.lhs(xv) > 1:
            return float(so.brentq(lambda t: float(model.lhs(t)) - 1.0, xv, prev, xtol=1e-12))
        prev = xv
    raise ConvergenceError(f"LHS < 1 on [{lo}, {x_max}]: no support found", float(model.lhs(lo)))


def support_height(model: BoundaryModel, x0: float, *, y_max: float = 50.0) -> float:
    """Top of the support at Re λ = x0: the root y > 0 of LHS(x0 + iy) = 1.

    Raises
    ------
    ParameterError
        If x0 is outside the support (LHS(x0) ≤ 1).
    """
    require(math.isfinite(x0), "x0", x0, "a finite real part")
    require(math.isfinite(y_max) and y_max > 0, "y_max", y_max, "a finite y_max > 0")
    l0 = float(model.lhs(x0, 0.0))
    if not l0 > 1:
        raise ParameterError("x0", x0, f"a real part inside the support (LHS(x0) = {l0:.4g} <= 1)")
    if model.lhs(x0, y_max) > 1:
        raise ConvergenceError(f"support extends beyond y_max={y_max}", float(model.lhs(x0, y_max)))
    return float(so.brentq(lambda t: float(model.lhs(x0, t)) - 1.0, 0.0, y_max, xtol=1e-12))


def slow_mode_fraction(params: GatedParams, delta_z: float, delta: float) -> float:
    r"""P(σ_z < δ) for z ~ N(0, Δ_z): :math:`\Phi_{\mathcal N}\big((\beta_z-\ln\frac{1-\delta}{\delta})/(\alpha_z\sqrt{\Delta_z})\big)`.

    Predicted fraction (per neuron, i.e. eigenvalues / N) of Jacobian eigenvalues with
    |λ| < δ at large α_z (step ``slow_modes`` of :func:`spectrum_derivation`; paper Sec. V).
    """
    require(0 < delta < 1, "delta", delta, "0 < delta < 1")
    require(math.isfinite(delta_z) and delta_z > 0, "delta_z", delta_z, "a finite delta_z > 0")
    require(
        params.gate_z is None,
        "gate_z",
        params.gate_z,
        "the default logistic update gate (the formula inverts sigmoid(alpha_z z - beta_z))",
    )
    if params.alpha_z == 0:
        return float(params.s_z < delta)
    return float(
        ndtr((params.beta_z - np.log((1 - delta) / delta)) / (params.alpha_z * np.sqrt(delta_z)))
    )
