r"""Gaussian closures of the gated DMFT: C_φ, C_{σ_r}, ⟨φ²⟩, ⟨σ_r²⟩ and their Price derivatives.

The DMFT of the gated RNN (Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. III) closes on
the Gaussian cross moments

.. math::
    C_F(c;c_0)=\mathbb E[F(x)F(y)],\quad \operatorname{Var}x=\operatorname{Var}y=c_0,\ \operatorname{Cov}(x,y)=c,
    \qquad \partial_c C_F=C_{F'}\ \text{(Price)},

for F = φ (on C_h) and F = σ_r (on C_r). They are the spine's SymPy classes
(:func:`theory.symbolic.gaussian.gaussian_cross`, :func:`~theory.symbolic.gaussian.gaussian_mean`),
specialised here to a quadrature *step* adapted to the sharpness of F: the trapezoid rule on R has
error O(exp(−2πa/step)) for F analytic in the strip |Im x| < a (Trefethen & Weideman 2014). For
tanh(g x + β) the strip is a = π/(2g), for the gate σ(αx − β) it is a = π/α; the step is chosen
so that 2πa/step ≥ 49, i.e. error ≈ e^{−49} (step = 0.2/g for φ, 0.4/α for σ_r). The default spine
step 0.2 would be wrong by O(10⁻²) for α_r = 20 (a pitfall we met: too coarse a rule visibly biases
the DMFT, and the Lyapunov exponent computed from it, at large α_r).

:class:`ClosureTable` evaluates C_F on many lags at once by interpolation in θ = arcsin(c/c_0) on
Chebyshev nodes (C_F is smooth in θ; for a Heaviside gate it is exactly affine in θ), so that the
solvers call the quadrature a few dozen times per iteration instead of once per lag.

**Sharp functions.** The trapezoid step 0.4/α needs ≈ 42·α√c₀ nodes per axis, i.e. (42·α√c₀)²
per cross moment: 110 ms per closure table at α_r = 20, 4.5 s at α_r = 100 and a 663 GiB array at
α_r = 10⁴ (likewise tanh(g_h x) at large g_h). Every φ and gate of the model is *logistic*,
F = A + B·S(x) with S(x) = 1/(1 + e^{−k(x − x_*)}) (tanh(gx + β) = 2S − 1 with k = 2g), and
for these :func:`logistic_cross` and :func:`logistic_mean` are exact in a form whose cost does
not grow with k. S(x) = P(L < k(x − x_*)) for a standard logistic L, so

.. math::
    \mathbb E[S(x)S(y)] = \mathbb E_{L_1,L_2}\,\Phi_2\big(-h(L_1), -h(L_2); \rho\big),
    \qquad h(L) = \frac{x_* + L/k}{\sqrt{c_0}},\ \rho = c/c_0,

an average of the bivariate normal CDF Φ₂ (Owen's T function) over two logistic variables. Its
integrand varies on the scale a√(1 − ρ²) (a = k√c₀) in L, so a Gauss rule for the logistic
weight (:func:`theory.numerics.quadrature.logistic_rule`, 24 nodes) is accurate when
a√(1 − ρ²) ≥ 4 — the sharp limit, whose k → ∞ value is the Heaviside closed form
P(x > x_*, y > x_*) (¼ + arcsin ρ/2π at x_* = 0). Otherwise (smooth F, or x and y nearly equal)
the conditional form E_u[S(x) E_v S(y)] is summed with a rule graded towards the step
(:func:`theory.numerics.quadrature.graded_rule`) in u and a trapezoid in v fine enough for S
at that width. Both branches are accurate to ~1e-12 (``tests/gating/dmft/test_closures.py``
compares them with each other and with brute-force quadrature), and a cross moment costs at most
≈ 10⁵ function values whatever k.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.cache import register_sympy_class
from theory.symbolic.compile import CompiledFunction
from theory.symbolic.gaussian import (
    GaussianCross,
    GaussianMean,
    diff_x,
    gaussian_cross,
    gaussian_mean,
)

__all__ = [
    "sharp_cross",
    "sharp_mean",
    "ClosureTable",
    "barycentric",
    "logistic_form",
    "logistic_cross",
    "logistic_mean",
    "phi_strip",
    "gate_strip",
    "kink_points",
    "general_mean",
    "general_cross",
    "general_cross_error",
    "general_mean_class",
    "general_cross_class",
    "model_cross",
    "model_mean",
    "expr_strip",
    "feature_widths",
]


def _step_tag(step: float) -> str:
    return f"{step:.3e}".replace(".", "p").replace("-", "m").replace("+", "")


@functools.cache
def _sharp_mean_class(F: sp.Expr, step: float) -> type[GaussianMean]:
    base = gaussian_mean(F)
    if step >= base.step:
        return base

    def fdiff(self: Any, argindex: int = 1) -> sp.Expr:
        return sharp_mean(diff_x(F, 2), step)(self.args[0]) / 2

    attrs: dict[str, Any] = {"step": step, "fdiff": fdiff}
    form = logistic_form(F)
    if form is not None:
        attrs["numeric_impl"] = _logistic_mean_impl(base, form, square=False)
    elif isinstance(F, sp.Pow) and logistic_form(sp.Pow(F.base, F.exp / 2)) is not None:
        # F = G² (SymPy writes σ·σ = (1 + e^{…})^{-2}, not (σ)²)
        attrs["numeric_impl"] = _logistic_mean_impl(
            base, logistic_form(sp.Pow(F.base, F.exp / 2)), square=True
        )
    cls = type(f"{base.__name__}_h{_step_tag(step)}", (base,), attrs)
    return register_sympy_class(cls)


def _logistic_mean_impl(base: Any, form: Any, *, square: bool) -> Any:
    """numeric_impl of ⟨F⟩ for F = A + B·S (``square=False``) or F = (A + B·S)² (True)."""
    A, B, k, xs = form
    parent = base.numeric_impl

    @classmethod  # type: ignore[misc]  # classmethod outside a class body (for type() below)
    def numeric_impl(cls: Any, backend: str) -> Any:
        if backend != "numpy":
            return parent.__func__(cls, backend)
        if not square:
            return lambda c0: logistic_mean(k, xs, c0, A, B)
        return lambda c0: logistic_cross(k, xs, c0, c0, A, B)

    return numeric_impl


def _logistic_cross_impl(
    base: Any,
    form: tuple[float, float, float, float],
    *,
    derivative: bool = False,
    small_variance: float | None = None,
) -> Any:
    """numeric_impl of C_F (or C_{F'}, ``derivative``) for F = A + B·S by :func:`logistic_cross`;
    ``small_variance=step``: the base class's trapezoid of that step while it needs at most
    :data:`~theory.symbolic.gaussian.STRUCTURED_MIN_NODES` nodes per axis, the logistic form
    beyond."""
    A, B, k, xs = form
    parent = base.numeric_impl

    @classmethod  # type: ignore[misc]  # classmethod outside a class body (for type() below)
    def numeric_impl(cls: Any, backend: str) -> Any:
        if backend != "numpy":
            return parent.__func__(cls, backend)
        if small_variance is not None:
            from theory.numerics.quadrature import TRUNCATION
            from theory.symbolic.gaussian import STRUCTURED_MIN_NODES

            trapezoid = parent.__func__(cls, backend)
            # c0 above which the trapezoid would need more than STRUCTURED_MIN_NODES nodes
            c0_max = (STRUCTURED_MIN_NODES * small_variance / (2.0 * TRUNCATION)) ** 2

            def cross(c: Any, c0: Any) -> Any:
                c0a = np.asarray(c0, dtype=float)
                if c0a.size and np.all(np.isfinite(c0a)) and float(c0a.max()) > c0_max:
                    return logistic_cross(k, xs, c, c0, A, B)
                return trapezoid(c, c0)

            return cross
        if derivative:
            return lambda c, c0: logistic_cross(k, xs, c, c0, A, B, derivative=True)
        return lambda c, c0: logistic_cross(k, xs, c, c0, A, B)

    return numeric_impl


def sharp_mean(F: sp.Expr, step: float) -> type[GaussianMean]:
    """⟨F⟩_{c0} as a SymPy function class whose quadrature uses spacing ``step`` in x."""
    return _sharp_mean_class(sp.sympify(F), float(step))


@functools.cache
def _sharp_cross_class(F: sp.Expr, G: sp.Expr, step: float) -> type[GaussianCross]:
    base = gaussian_cross(F, G)
    if step >= base.step:
        return _wide_cross_class(F) if F == G and logistic_form(F) is not None else base

    @classmethod  # type: ignore[misc]  # classmethod outside a class body (for type() below)
    def eval(cls: Any, c: sp.Expr, c0: sp.Expr) -> sp.Expr | None:
        if c == 0:
            return sharp_mean(F, step)(c0) * sharp_mean(G, step)(c0)
        if c == c0:
            return sharp_mean(F * G, step)(c0)
        return None

    def fdiff(self: Any, argindex: int = 1) -> sp.Expr:
        c, c0 = self.args
        if argindex == 1:  # Price's theorem with the same quadrature step
            return sharp_cross(diff_x(F), diff_x(G), step)(c, c0)
        if argindex == 2:
            return (
                sharp_cross(diff_x(F, 2), G, step)(c, c0)
                + sharp_cross(F, diff_x(G, 2), step)(c, c0)
            ) / 2
        raise sp.ArgumentIndexError(self, argindex)

    attrs: dict[str, Any] = {"step": step, "eval": eval, "fdiff": fdiff}
    form = logistic_form(F) if F == G else None
    if form is not None:
        attrs["numeric_impl"] = _logistic_cross_impl(base, form)
        dF = diff_x(F)
        _PRICE_FORMS[(sp.srepr(dF), sp.srepr(dF), step)] = form
    elif (sp.srepr(F), sp.srepr(G), step) in _PRICE_FORMS:
        attrs["numeric_impl"] = _logistic_cross_impl(
            base, _PRICE_FORMS[(sp.srepr(F), sp.srepr(G), step)], derivative=True
        )
    cls = type(f"{base.__name__}_h{_step_tag(step)}", (base,), attrs)
    return register_sympy_class(cls)


@functools.cache
def _wide_cross_class(F: sp.Expr) -> type[GaussianCross]:
    """C_F at the spine's step for a logistic F: the spine's trapezoid rule (bit for bit) up to
    STRUCTURED_MIN_NODES nodes per axis, the exact logistic form beyond (flat cost in c0: 15 ms per
    33-node closure table at c0 = 161, against 0.36 s for the structured rule and 0.9 s for the
    trapezoid)."""
    base = gaussian_cross(F)
    form = logistic_form(F)
    assert form is not None
    wide = {"numeric_impl": _logistic_cross_impl(base, form, small_variance=base.step)}
    return register_sympy_class(type(f"{base.__name__}_wide", (base,), wide))


#: (F', F', step) -> logistic form of F: the Price derivatives C_{F'} of logistic closures
_PRICE_FORMS: dict[tuple[str, str, float], tuple[float, float, float, float]] = {}


def sharp_cross(F: sp.Expr, G: sp.Expr | None = None, step: float = 0.2) -> type[GaussianCross]:
    """C_{F,G}(c; c0) as a SymPy function class whose quadrature uses spacing ``step`` in x.

    Same symbolic behaviour as :func:`theory.symbolic.gaussian.gaussian_cross` (Price derivative,
    factorisation at c = 0, reduction at c = c0), with the step carried into every derivative.
    """
    Fe = sp.sympify(F)
    Ge = Fe if G is None else sp.sympify(G)
    return _sharp_cross_class(Fe, Ge, float(step))


@dataclass(frozen=True)
class ClosureTable:
    """Fast evaluation of a compiled closure C(c; c0) on many covariances c at one variance c0.

    C is interpolated in θ = arcsin(c/c0) by piecewise Chebyshev polynomials on the range of the
    requested θ (the exact ends θ = ±π/2, i.e. c = ±c0, are evaluated directly). Panels are
    split in half until the last three Chebyshev coefficients of each are below ``tol`` (at most
    ``max_panels`` panels; the error estimate of the worst panel is kept in :attr:`last_error`).
    A single panel of 33 nodes suffices for smooth closures (θ-analytic; C_F is affine in θ for a
    Heaviside F), while sharp ones (a gate with α_r√C_r0 ≫ 1, tanh at large g_h) have features of
    width ~1/(α√c0) near θ = ±π/2 that a fixed 33-node table missed by 1.5e-7 at α_r = 20 and by
    2e-5 at α_r ≥ 100.

    Parameters
    ----------
    closure:
        Compiled function (c, c0) -> C(c; c0).
    n_nodes:
        Chebyshev–Lobatto nodes per panel (≥ 8).
    tol:
        Absolute tolerance of the interpolation (the tail of the Chebyshev coefficients).
    max_panels:
        Cap on the number of panels per call.
    """

    closure: CompiledFunction | Any
    n_nodes: int = 33
    tol: float = 1e-12
    max_panels: int = 64
    last_error: list[float] = field(default_factory=lambda: [0.0], compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.n_nodes, (int, np.integer)) and 8 <= self.n_nodes <= 257):
            raise ParameterError("table_nodes", self.n_nodes, "an integer 8 <= n <= 257")
        if not (self.tol > 0 and math.isfinite(self.tol)):
            raise ParameterError("tol", self.tol, "a finite tolerance > 0")
        if not (isinstance(self.max_panels, (int, np.integer)) and self.max_panels >= 1):
            raise ParameterError("max_panels", self.max_panels, "an integer >= 1")

    def __call__(self, c: np.ndarray, c0: float) -> np.ndarray:
        c = np.asarray(c, dtype=float)
        if not (np.isfinite(c0) and c0 > 0):
            raise ParameterError("c0", c0, "a finite variance c0 > 0")
        rho = np.clip(c / c0, -1.0, 1.0).ravel()
        theta = np.arcsin(rho)
        out = np.empty(rho.shape)
        end = np.abs(rho) >= 1.0
        if np.any(end):
            ends = np.unique(rho[end])
            vals = np.asarray(self.closure(c0 * ends, c0), dtype=float).reshape(-1)
            out[end] = vals[np.searchsorted(ends, rho[end])]
        inner = ~end
        self.last_error[0] = 0.0
        if np.any(inner):
            th = theta[inner]
            lo, hi = float(th.min()), float(th.max())
            if hi - lo < 1e-14:
                vals = np.asarray(self.closure(c0 * np.sin(th), c0), dtype=float).reshape(-1)
                out[inner] = vals
            else:
                out[inner] = self._piecewise(th, lo, hi, c0)
        return out.reshape(c.shape)

    def _piecewise(self, th: np.ndarray, lo: float, hi: float, c0: float) -> np.ndarray:
        m = int(self.n_nodes)
        x_ref, w_ref = _lobatto(m)
        x_ref = x_ref / (0.5 * np.pi)  # on [-1, 1]
        T = _cheb_matrix(m)
        pending = [(lo, hi)]
        done: list[tuple[float, float, np.ndarray]] = []
        worst = 0.0
        while pending:
            nodes = np.concatenate([0.5 * (a + b) + 0.5 * (b - a) * x_ref for a, b in pending])
            vals = np.asarray(self.closure(c0 * np.sin(nodes), c0), dtype=float).reshape(-1)
            nxt: list[tuple[float, float]] = []
            for j, (a, b) in enumerate(pending):
                f = vals[j * m : (j + 1) * m]
                coef = T @ f
                err = float(np.max(np.abs(coef[-3:])))
                scale = max(1.0, float(np.max(np.abs(f))))
                budget = self.max_panels - len(done) - len(nxt) - (len(pending) - j - 1)
                if err <= self.tol * scale or budget < 2 or b - a < 1e-9:
                    done.append((a, b, f))
                    worst = max(worst, err)
                else:
                    mid = 0.5 * (a + b)
                    nxt += [(a, mid), (mid, b)]
            pending = nxt
        self.last_error[0] = worst
        out = np.empty(th.shape)
        done.sort(key=lambda t: t[0])
        starts = np.array([d[0] for d in done])
        idx = np.clip(np.searchsorted(starts, th, side="right") - 1, 0, len(done) - 1)
        for j in np.unique(idx):
            a, b, f = done[j]
            sel = idx == j
            x = (th[sel] - 0.5 * (a + b)) / (0.5 * (b - a))
            out[sel] = barycentric(x_ref, w_ref, f, x)
        return out


@functools.lru_cache(maxsize=32)
def _cheb_matrix(m: int) -> np.ndarray:
    """Values at the Chebyshev–Lobatto nodes -> Chebyshev coefficients (DCT-I as a matrix)."""
    j = np.arange(m)
    x = -np.cos(np.pi * j / (m - 1))  # ascending, matching _lobatto
    k = np.arange(m)
    Tk = np.cos(np.outer(k, np.arccos(np.clip(x, -1, 1))))  # (k, j)
    w = np.full(m, 2.0 / (m - 1))
    w[0] = w[-1] = 1.0 / (m - 1)
    M = Tk * w[None, :]
    M[0] *= 0.5
    M[-1] *= 0.5
    return M


@functools.lru_cache(maxsize=32)
def _lobatto(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Chebyshev–Lobatto nodes on [−π/2, π/2] and their barycentric weights (−1)^k, halved at
    the ends (Berrut & Trefethen, SIAM Rev. 46, 501 (2004), Eq. 5.4)."""
    if n < 2:
        raise ParameterError("n_nodes", n, "an integer >= 2")
    k = np.arange(n)
    nodes = -0.5 * np.pi * np.cos(np.pi * k / (n - 1))
    w = (-1.0) ** k
    w[0] *= 0.5
    w[-1] *= 0.5
    nodes.flags.writeable = False
    w.flags.writeable = False
    return nodes, w


def barycentric(
    nodes: np.ndarray, weights: np.ndarray, values: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """Barycentric interpolation (second form) of ``values`` at ``nodes`` evaluated at ``x``.

    Deterministic (no random node permutation, unlike ``scipy.interpolate.BarycentricInterpolator``,
    whose weights depend on a random ordering and made repeated DMFT solves differ by 1e-16,
    amplified to 1e-10 by the fixed-point iteration); exact at the nodes.
    """
    x = np.asarray(x, dtype=float)
    flat = x.reshape(-1)
    d = flat[:, None] - nodes[None, :]
    hit = d == 0.0
    d[hit] = 1.0
    q = weights[None, :] / d
    out = (q @ values) / q.sum(axis=1)
    rows, cols = np.nonzero(hit)
    out[rows] = values[cols]
    return out.reshape(x.shape)


# ============================================================================ logistic closures
#: Gauss–logistic nodes per axis of the sharp branch of :func:`logistic_cross`.
LOGISTIC_NODES = 24
#: The sharp (Gauss–logistic) branch is used where a·sqrt(1 − ρ²) ≥ this value.
SHARP_THRESHOLD = 4.0


def _covariance_args(c: Any, c0: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(c broadcast, c flat, c0 flat) after checking a covariance: finite, c0 ≥ 0, |c| ≤ c0."""
    c, c0 = np.broadcast_arrays(np.asarray(c, dtype=float), np.asarray(c0, dtype=float))
    cf, c0f = c.ravel(), c0.ravel()
    if not (np.all(np.isfinite(cf)) and np.all(np.isfinite(c0f)) and np.all(c0f >= 0)):
        raise ParameterError("c, c0", (c, c0), "finite numbers with c0 >= 0")
    if np.any(np.abs(cf) > c0f * (1.0 + 1e-12) + 1e-300):
        raise ParameterError("c", c, "|c| <= c0 (a covariance)")
    return c, cf, c0f


def logistic_form(F: sp.Expr) -> tuple[float, float, float, float] | None:
    """(A, B, k, x_*) with F(x) = A + B/(1 + e^{−k(x − x_*)}), k > 0, if F is a tanh or a
    logistic of a linear function of :data:`~theory.symbolic.gaussian.X`; else None."""
    from theory.symbolic.gaussian import X

    F = sp.sympify(F)
    arg: sp.Expr | None = None
    if isinstance(F, sp.tanh):
        arg, A, B, scale = F.args[0], -1.0, 2.0, 2.0
    elif isinstance(F, sp.Pow) and F.exp == -1 and isinstance(F.base, sp.Add):
        terms = F.base.args
        ones = [t for t in terms if t == 1]
        exps = [t for t in terms if isinstance(t, sp.exp)]
        if len(terms) == 2 and len(ones) == 1 and len(exps) == 1:
            arg, A, B, scale = -exps[0].args[0], 0.0, 1.0, 1.0
    if arg is None:
        return None
    poly = sp.Poly(sp.expand(arg), X) if arg.free_symbols == {X} else None
    if poly is None or poly.degree() != 1:
        return None
    slope, const = (float(v) for v in poly.all_coeffs())
    if slope == 0.0 or not (math.isfinite(slope) and math.isfinite(const)):
        return None
    k, xs = scale * slope, -const / slope
    if k < 0:  # S(−|k|(x − x_*)) = 1 − S(|k|(x − x_*))
        A, B, k = A + B, -B, -k
    return A, B, k, xs


def _sig(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def logistic_mean(k: float, xs: float, c0: Any, A: float = 0.0, B: float = 1.0) -> np.ndarray:
    """E[F(x)], F = A + B·S, S(x) = 1/(1 + e^{−k(x − x_*)}), x ~ N(0, c₀) (vectorised, c₀ ≥ 0)."""
    from scipy.special import ndtr

    from theory.numerics.quadrature import graded_rule, logistic_rule

    c0 = np.asarray(c0, dtype=float)
    out = np.empty(c0.shape)
    flat, res = c0.ravel(), out.ravel()
    L, wL = logistic_rule(LOGISTIC_NODES)
    for i, v in enumerate(flat):
        if not (math.isfinite(v) and v >= 0):
            raise ParameterError("c0", v, "a finite variance >= 0")
        if v == 0.0:
            res[i] = A + B * float(_sig(np.asarray(-k * xs)))
            continue
        sd = math.sqrt(v)
        a, h0 = k * sd, xs / sd
        if a >= SHARP_THRESHOLD:
            res[i] = A + B * float(wL @ ndtr(-(h0 + L / a)))
        else:
            u, wu = graded_rule(h0, 1.0 / a)
            res[i] = float(wu @ (A + B * _sig(a * (u - h0))))
    return out


def logistic_cross(
    k: float,
    xs: float,
    c: Any,
    c0: Any,
    A: float = 0.0,
    B: float = 1.0,
    *,
    derivative: bool = False,
) -> np.ndarray:
    """E[F(x)F(y)], F = A + B·S, S(x) = 1/(1 + e^{−k(x − x_*)}), Var x = Var y = c₀, Cov = c
    (module docstring); with ``derivative=True`` the Price derivative E[F′(x)F′(y)] = ∂_c E[FF],
    whose sharp branch is the logistic average of the bivariate normal *density* φ₂/c₀.

    Vectorised over broadcast (c, c₀); |c| ≤ c₀. Cost per value ≤ ~10⁵ evaluations of S or Φ₂,
    independent of k (the trapezoid rule needs (42·k√c₀)²). The smooth branch sums F itself, so
    small moments such as ⟨tanh²(gx)⟩ ≈ g²c₀ at tiny c₀ keep their relative accuracy.
    """
    from theory.numerics.quadrature import bivariate_normal_cdf, graded_rule, logistic_rule

    c, cf, c0f = _covariance_args(c, c0)
    res = np.empty(cf.shape)
    zero = c0f == 0.0
    s0 = float(_sig(np.asarray(-k * xs)))
    res[zero] = (B * k * s0 * (1.0 - s0)) ** 2 if derivative else (A + B * s0) ** 2
    sd = np.sqrt(c0f)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(zero, 1.0, np.clip(cf / np.where(zero, 1.0, c0f), -1.0, 1.0))
    sq = np.sqrt(np.clip((1.0 - rho) * (1.0 + rho), 0.0, None))
    a = k * sd
    sharp = ~zero & (a * sq >= SHARP_THRESHOLD)
    if np.any(sharp):
        L, wL = logistic_rule(LOGISTIC_NODES)
        iu, ju = np.triu_indices(L.size)
        wpair = wL[iu] * wL[ju] * np.where(iu == ju, 1.0, 2.0)  # Φ₂ symmetric in (h1, h2)
        idx = np.nonzero(sharp)[0]
        for start in range(0, idx.size, 512):
            sel = idx[start : start + 512]
            h = -((xs / sd[sel])[:, None] + L[None, :] / a[sel][:, None])  # (n, 24)
            r = rho[sel][:, None]
            if derivative:
                x1, x2 = h[:, iu], h[:, ju]
                q2 = (1.0 - r) * (1.0 + r)
                dens = np.exp(-(x1 * x1 - 2.0 * r * x1 * x2 + x2 * x2) / (2.0 * q2)) / (
                    2.0 * math.pi * np.sqrt(q2)
                )
                res[sel] = B * B * (dens @ wpair) / c0f[sel]
            else:
                P = bivariate_normal_cdf(h[:, iu], h[:, ju], r)
                mean = np.array([float(wL @ _ndtr(-hr)) for hr in h])  # E[S] at each c0
                res[sel] = A * A + 2.0 * A * B * mean + B * B * (P @ wpair)
    for i in np.nonzero(~zero & ~sharp)[0]:
        # conditional form: y = ρu + √(1−ρ²)v in standard units; S(y) is smooth in v on the
        # scale 1/(a√(1−ρ²)) > 1/4: trapezoid step 0.5/max(1, a√(1−ρ²)) (error e^{−36})
        ai, h0, ri, q = float(a[i]), float(xs / sd[i]), float(rho[i]), float(sq[i])
        u, wu = graded_rule(h0, 1.0 / ai)
        hv = 0.5 / max(1.0, ai * q)
        vv, wv = _normal_trapezoid(hv)
        if derivative:  # F′ = B k S(1 − S)
            sy = _sig(ai * (ri * u[:, None] + q * vv[None, :] - h0))
            sx = _sig(ai * (u - h0))
            inner = (B * k * sy * (1.0 - sy)) @ wv
            res[i] = float(wu @ (B * k * sx * (1.0 - sx) * inner))
        else:
            inner = (A + B * _sig(ai * (ri * u[:, None] + q * vv[None, :] - h0))) @ wv
            res[i] = float(wu @ ((A + B * _sig(ai * (u - h0))) * inner))
    return res.reshape(c.shape)


def _ndtr(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(ndtr(x))


@functools.lru_cache(maxsize=64)
def _normal_trapezoid(h: float) -> tuple[np.ndarray, np.ndarray]:
    n = int(math.ceil(8.5 / h))
    v = np.arange(-n, n + 1) * h
    w = np.exp(-0.5 * v * v)
    w /= w.sum()
    return v, w


def phi_strip(params: Any) -> float:
    """Half-width of the analyticity strip of φ in h-units: π/(2 g_h) (A) or π/2 (B); for a
    user φ of logistic form π/k (:func:`expr_strip`), else that of tanh at the same gain (the
    general quadrature of a non-logistic φ does not use it)."""
    gain = params.g_h if params.convention == "A" else 1.0
    if getattr(params, "phi", None) is not None:
        from theory.gating.model import phi_expr

        strip = expr_strip(phi_expr(params))
        if strip is not None:
            return strip
    return math.pi / (2.0 * gain)


def gate_strip(alpha: float) -> float:
    """Half-width of the analyticity strip of σ(αx − β): π/α (∞ for α = 0 -> capped)."""
    return math.pi / alpha if alpha > 0 else 1e3


# ============================================================================ general closures
#: Panel width (standard units) and Gauss–Legendre nodes per panel of the general closures.
GENERAL_PANEL = 1.0
GENERAL_NODES = 10
#: Panels per feature width of the function (a user shape f(a x + b) has width 1/|a| in x) and
#: the smallest panel (standard units; at most 2·8.5/0.085 = 200 panels per axis).
PANELS_PER_WIDTH = 0.25
MIN_PANEL = 0.085


def _panel_for(panel: float, width: float, s: float) -> float:
    """Panel width in standard units: at most ``panel``, at most 4 feature widths (width/s)."""
    return max(MIN_PANEL, min(panel, width / (PANELS_PER_WIDTH * s)))


def kink_points(F: sp.Expr) -> tuple[float, ...]:
    """Real points where F or one of its derivatives may jump: zeros of the arguments of Abs,
    sign, Heaviside, of the differences of the arguments of Max/Min, and of the relations of a
    Piecewise (SymPy's ``solveset`` on the reals; a set it cannot list is skipped -- the a
    posteriori error estimate :func:`general_cross_error` then shows the loss of accuracy)."""
    from theory.symbolic.gaussian import X

    eqs: list[sp.Expr] = []
    for a in sp.sympify(F).atoms(sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise):
        if isinstance(a, (sp.Abs, sp.sign, sp.Heaviside)):
            eqs.append(a.args[0])
        elif isinstance(a, (sp.Max, sp.Min)):
            args = list(a.args)
            eqs += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
        else:
            for _e, cond in a.args:
                for rel in sp.sympify(cond).atoms(sp.core.relational.Relational):
                    eqs.append(rel.lhs - rel.rhs)
    pts: set[float] = set()
    for e in eqs:
        if not e.has(X):
            continue
        try:
            sol = sp.solveset(e, X, sp.S.Reals)
        except Exception:  # NotImplementedError and friends: no breakpoint from this term
            continue
        if isinstance(sol, sp.FiniteSet):
            pts |= {float(v) for v in sol if v.is_real and v.is_finite}
    return tuple(sorted(p for p in pts if math.isfinite(p)))


def _panel_nodes(breaks: np.ndarray, panel: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre nodes on [−T, T] (standard units) split at ``breaks`` (…, m):
    returns nodes and weights (times the standard normal density) of shape (…, P·n)."""
    from theory.numerics.quadrature import TRUNCATION, gauss_legendre

    T = TRUNCATION
    base = np.arange(-T, T + 1e-12, panel)
    base[-1] = T
    b = np.clip(breaks, -T, T)
    grid = np.sort(
        np.concatenate([np.broadcast_to(base, b.shape[:-1] + base.shape), b], axis=-1), axis=-1
    )
    lo, hi = grid[..., :-1], grid[..., 1:]
    t, w = gauss_legendre(n, 0.0, 1.0)
    width = (hi - lo)[..., None]
    nodes = (lo[..., None] + width * t).reshape(lo.shape[:-1] + (-1,))
    wts = (
        (width * w).reshape(lo.shape[:-1] + (-1,))
        * np.exp(-0.5 * nodes**2)
        / math.sqrt(2.0 * math.pi)
    )
    return nodes, wts


def general_mean(
    f: Any,
    kinks: tuple[float, ...],
    c0: Any,
    *,
    panel: float = GENERAL_PANEL,
    width: float = math.inf,
) -> np.ndarray:
    """E[f(x)], x ~ N(0, c₀): composite Gauss–Legendre (:data:`GENERAL_NODES` per panel of width
    ``panel`` standard deviations on [−8.5, 8.5]) with panel ends at the ``kinks`` of f, so that a
    piecewise-smooth f (hard sigmoid, |x|) is integrated to the accuracy of a smooth one."""
    c0 = np.asarray(c0, dtype=float)
    out = np.empty(c0.shape)
    flat, res = c0.ravel(), out.ravel()
    k = np.asarray(kinks, dtype=float)
    for i, v in enumerate(flat):
        if not (math.isfinite(v) and v >= 0):
            raise ParameterError("c0", v, "a finite variance >= 0")
        if v == 0.0:
            res[i] = float(np.asarray(f(np.zeros(1)), dtype=float).reshape(-1)[0])
            continue
        s = math.sqrt(v)
        u, w = _panel_nodes(k / s, _panel_for(panel, width, s), GENERAL_NODES)
        with np.errstate(all="ignore"):  # Piecewise/select evaluates every branch
            fu = np.broadcast_to(np.asarray(f(s * u), dtype=float), u.shape)
        res[i] = float(w @ fu)
    return out


def general_cross(
    f: Any,
    g: Any,
    kinks: tuple[float, ...],
    c: Any,
    c0: Any,
    *,
    panel: float = GENERAL_PANEL,
    width: float = math.inf,
) -> np.ndarray:
    """E[f(x)g(y)], Var x = Var y = c₀, Cov = c, for piecewise-smooth f, g with known ``kinks``.

    Conditional form x = s·u, y = s(ρu + qv) (s = √c₀, ρ = c/c₀, q = √(1 − ρ²)): the inner
    integral over v has panel ends at the kinks of g in v, (k/s − ρu)/q, different for every u;
    the outer one at the kinks of f, k/s, and around k/(sρ), where the inner integral has a
    feature of width q/|ρ| (extra ends at ±q/|ρ|·{1, 3, 9}). Composite Gauss–Legendre
    (:data:`GENERAL_NODES` per panel) against the normal density on [−8.5, 8.5]. Error: spectral
    on each smooth piece; :func:`general_cross_error` estimates it by halving the panels. Panels
    are at most ``panel`` standard deviations and at most 4 feature widths (``width``, in x) long.
    Vectorised over broadcast (c, c₀); |c| ≤ c₀.
    """
    c, cf, c0f = _covariance_args(c, c0)
    k = np.asarray(kinks, dtype=float)
    res = np.empty(cf.shape)
    zero = c0f == 0.0
    if np.any(zero):
        z0 = np.zeros(1)
        res[zero] = float(np.asarray(f(z0)).reshape(-1)[0]) * float(
            np.asarray(g(z0)).reshape(-1)[0]
        )
    for v0 in np.unique(c0f[~zero]):
        sel = np.nonzero((c0f == v0) & ~zero)[0]
        s = math.sqrt(v0)
        pan = _panel_for(panel, width, s)
        rho = np.clip(cf[sel] / v0, -1.0, 1.0)
        q = np.sqrt(np.clip((1.0 - rho) * (1.0 + rho), 0.0, None))
        ends = q < 1e-12
        if np.any(ends):  # y = ρx exactly: a one-dimensional mean
            u, w = _panel_nodes(np.concatenate([k / s, -k / s]), pan, GENERAL_NODES)
            with np.errstate(all="ignore"):  # Piecewise/select evaluates every branch
                fu = np.broadcast_to(np.asarray(f(s * u), dtype=float), u.shape)
                for j in np.nonzero(ends)[0]:
                    gu = np.broadcast_to(
                        np.asarray(g(s * np.sign(rho[j]) * u), dtype=float), u.shape
                    )
                    res[sel[j]] = float(w @ (fu * gu))
        # rows whose inner integral has a narrow feature (q/|ρ| < 0.3 panel) get extra ends
        narrow = ~ends & (q < 0.3 * pan * np.abs(rho))
        per_row = (2 * 8.5 / pan + 2 * k.size + 6) ** 2 * GENERAL_NODES**2
        chunk = int(max(1, min(16, 4e6 // per_row)))
        for group in (np.nonzero(~ends & ~narrow)[0], np.nonzero(narrow)[0]):
            for start in range(0, group.size, chunk):
                jj = group[start : start + chunk]
                res[sel[jj]] = _cross_rows(f, g, k, s, rho[jj], q[jj], pan, bool(narrow[jj[0]]))
    return res.reshape(c.shape)


def _cross_rows(
    f: Any,
    g: Any,
    k: np.ndarray,
    s: float,
    rho: np.ndarray,
    q: np.ndarray,
    panel: float,
    narrow: bool,
) -> np.ndarray:
    """The conditional-form sum of :func:`general_cross` for rows (ρ, q) at one s = √c₀."""
    r, qq = rho[:, None], q[:, None]
    n = rho.size
    centre = (k / s)[None, :] / np.where(np.abs(r) > 1e-12, r, np.inf)
    parts = [np.broadcast_to(k / s, (n, k.size)), centre]
    if narrow:
        ar = np.maximum(np.abs(r), 1e-300)
        spread = (qq / ar) * np.array([-9.0, -3.0, -1.0, 1.0, 3.0, 9.0])[None, :]
        parts.append((centre[:, :, None] + spread[:, None, :]).reshape(n, -1))
    outer_breaks = np.concatenate(parts, axis=1)
    u, wu = _panel_nodes(outer_breaks, panel, GENERAL_NODES)  # (n, U)
    vb = ((k / s)[None, None, :] - r[:, :, None] * u[:, :, None]) / qq[:, :, None]
    v, wv = _panel_nodes(vb, panel, GENERAL_NODES)  # (n, U, V)
    y = s * (r[:, :, None] * u[:, :, None] + qq[:, :, None] * v)
    with np.errstate(all="ignore"):  # Piecewise/select evaluates every branch
        gy = np.broadcast_to(np.asarray(g(y), dtype=float), y.shape)
        fu = np.broadcast_to(np.asarray(f(s * u), dtype=float), u.shape)
    G = np.einsum("nuv,nuv->nu", gy, wv)
    return np.einsum("nu,nu,nu->n", fu, G, wu)


def general_cross_error(F: sp.Expr, c: Any, c0: float, width: float = math.inf) -> float:
    """A posteriori error estimate of the general closure C_F(c; c₀): the largest difference
    between the rule of :func:`general_cross` and the same rule on panels of half the width."""
    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import X

    f = compile_function(F, [X])
    kinks = kink_points(F)
    a = general_cross(f, f, kinks, c, c0, width=width)
    pan = _panel_for(GENERAL_PANEL, width, math.sqrt(c0)) if c0 > 0 else GENERAL_PANEL
    b = general_cross(f, f, kinks, c, c0, panel=pan / 2)
    return float(np.max(np.abs(a - b))) if np.size(a) else 0.0


@functools.cache
def _general_mean_class(F: sp.Expr, kinks: tuple[float, ...], width: float) -> type[GaussianMean]:
    base = gaussian_mean(F)

    def fdiff(self: Any, argindex: int = 1) -> sp.Expr:
        return general_mean_class(diff_x(F, 2), kinks, width)(self.args[0]) / 2

    @classmethod  # type: ignore[misc]  # classmethod outside a class body (for type() below)
    def numeric_impl(cls: Any, backend: str) -> Any:
        if backend != "numpy":
            return base.numeric_impl.__func__(cls, backend)  # type: ignore[attr-defined]
        from theory.symbolic.compile import compile_function
        from theory.symbolic.gaussian import X

        f = compile_function(F, [X])
        return lambda c0: general_mean(f, kinks, c0, width=width)

    attrs: dict[str, Any] = {"fdiff": fdiff, "numeric_impl": numeric_impl, "kinks": kinks}
    cls = type(f"{base.__name__}_gl{_step_tag(min(width, 1e300))}", (base,), attrs)
    return register_sympy_class(cls)


def general_mean_class(
    F: sp.Expr, kinks: tuple[float, ...] | None = None, width: float = math.inf
) -> type[GaussianMean]:
    """⟨F⟩_{c0} as a SymPy function class evaluated by :func:`general_mean` (panel ends at the
    kinks of F, or at the given ``kinks`` of the function F was derived from; panels of at most
    4 feature ``width`` s)."""
    Fe = sp.sympify(F)
    k = kink_points(Fe) if kinks is None else tuple(kinks)
    return _general_mean_class(Fe, k, float(width))


@functools.cache
def _general_cross_class(
    F: sp.Expr, G: sp.Expr, kinks: tuple[float, ...], width: float
) -> type[GaussianCross]:
    base = gaussian_cross(F, G)

    @classmethod  # type: ignore[misc]  # classmethod outside a class body (for type() below)
    def eval(cls: Any, c: sp.Expr, c0: sp.Expr) -> sp.Expr | None:
        if c == 0:
            return general_mean_class(F, kinks, width)(c0) * general_mean_class(G, kinks, width)(c0)
        if c == c0:
            return general_mean_class(F * G, kinks, width)(c0)
        return None

    def fdiff(self: Any, argindex: int = 1) -> sp.Expr:
        c, c0 = self.args
        if argindex == 1:  # Price's theorem, same rule and breakpoints
            return general_cross_class(diff_x(F), diff_x(G), kinks, width)(c, c0)
        if argindex == 2:
            return (
                general_cross_class(diff_x(F, 2), G, kinks, width)(c, c0)
                + general_cross_class(F, diff_x(G, 2), kinks, width)(c, c0)
            ) / 2
        raise sp.ArgumentIndexError(self, argindex)

    @classmethod  # type: ignore[misc]  # classmethod outside a class body (for type() below)
    def numeric_impl(cls: Any, backend: str) -> Any:
        if backend != "numpy":
            return base.numeric_impl.__func__(cls, backend)  # type: ignore[attr-defined]
        from theory.symbolic.compile import compile_function
        from theory.symbolic.gaussian import X

        f = compile_function(F, [X])
        g = compile_function(G, [X])
        return lambda c, c0: general_cross(f, g, kinks, c, c0, width=width)

    attrs: dict[str, Any] = {
        "eval": eval,
        "fdiff": fdiff,
        "numeric_impl": numeric_impl,
        "kinks": kinks,
    }
    cls = type(f"{base.__name__}_gl{_step_tag(min(width, 1e300))}", (base,), attrs)
    return register_sympy_class(cls)


def general_cross_class(
    F: sp.Expr,
    G: sp.Expr | None = None,
    kinks: tuple[float, ...] | None = None,
    width: float = math.inf,
) -> type[GaussianCross]:
    """C_{F,G}(c; c0) as a SymPy function class evaluated by :func:`general_cross` (the general
    Gaussian-expectation quadrature of a user φ or gate that is not logistic); Price's theorem
    and the reductions at c = 0, c = c0 carry the same rule and breakpoints."""
    Fe = sp.sympify(F)
    Ge = Fe if G is None else sp.sympify(G)
    k = tuple(sorted(set(kink_points(Fe)) | set(kink_points(Ge)))) if kinks is None else kinks
    return _general_cross_class(Fe, Ge, tuple(k), float(width))


def expr_strip(F: sp.Expr) -> float | None:
    """Half-width π/k of the analyticity strip of a logistic-form F (:func:`logistic_form`),
    else None."""
    form = logistic_form(F)
    return None if form is None else math.pi / form[2]


def model_cross(
    F: sp.Expr, step: float, user: bool, width: float = math.inf
) -> type[GaussianCross]:
    """The closure class of a model function: :func:`sharp_cross` (trapezoid with ``step``, exact
    logistic fast path) for the default shapes and for user shapes of logistic form (step from
    their strip), else the general quadrature :func:`general_cross_class`."""
    if not user:
        return sharp_cross(F, None, step)
    strip = expr_strip(F)
    if strip is not None:
        from theory.numerics.quadrature import strip_step

        return sharp_cross(F, None, strip_step(strip))
    return general_cross_class(F, width=width)


def model_mean(
    G: sp.Expr, F: sp.Expr, step: float, user: bool, width: float = math.inf
) -> type[GaussianMean]:
    """⟨G⟩ for a function G derived from the model function F (F², F'²): :func:`sharp_mean` for
    the default shapes and logistic user shapes, else the general rule with the kinks of F."""
    if not user:
        return sharp_mean(G, step)
    strip = expr_strip(F)
    if strip is not None:
        from theory.numerics.quadrature import strip_step

        return sharp_mean(G, strip_step(strip))
    return general_mean_class(G, kink_points(F), width)


def feature_widths(params: Any) -> tuple[float, float]:
    """Feature widths (x-units) of φ and σ_r of a model with user shapes: 1/g_h (A) or 1 (B) for
    φ(x) = f(g_h x + β_h), 1/α_r for σ_r(x) = s(α_r x − β_r) (the shapes' own scale taken as 1)."""
    gain = params.g_h if params.convention == "A" else 1.0
    return 1.0 / gain, (1.0 / params.alpha_r if params.alpha_r > 0 else math.inf)
