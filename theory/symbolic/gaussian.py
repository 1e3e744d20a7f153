r"""Gaussian expectations: closed forms where SymPy finds them, Gauss–Hermite quadrature otherwise.

Two objects appear in every mean-field theory of this workbench:

* the mean :math:`\langle F\rangle_{c_0}=\mathbb E[F(x)]`, :math:`x\sim\mathcal N(0,c_0)`;
* the cross moment :math:`C_{F,G}(c;c_0)=\mathbb E[F(x)G(y)]` for :math:`(x,y)` jointly Gaussian,
  zero mean, both variances :math:`c_0` and covariance :math:`c` (:math:`|c|\le c_0`). For
  :math:`0\le c\le c_0` this is :math:`\int Dz\,[\int Dx\,F(\sqrt{c_0-c}\,x+\sqrt c\,z)]^2` when
  F = G (Sompolinsky, Crisanti & Sommers, PRL 61, 259 (1988)).

Both are SymPy function classes (:class:`GaussianMean`, made by :func:`gaussian_mean`, and the
classes made by :func:`gaussian_cross`), so derivations manipulate them symbolically:

* **Price's theorem** is their derivative: :math:`\partial_c C_{F,G}=C_{F',G'}` and
  :math:`\partial_{c_0}C_{F,G}=\tfrac12(C_{F'',G}+C_{F,G''})` (Price 1958; Papoulis, *Probability,
  Random Variables and Stochastic Processes*, §6-4);
* at :math:`c=0` they factor, :math:`C_{F,G}(0;c_0)=\langle F\rangle\langle G\rangle`, and at
  :math:`c=c_0` they reduce to :math:`\langle FG\rangle_{c_0}`;
* :meth:`closed_form` returns an exact expression when SymPy can derive one: directly for
  polynomial and Gaussian-bump integrands, and otherwise by integrating Price's theorem in
  :math:`c` from 0 (this is how the erf kernel :math:`\tfrac2\pi\arcsin\frac{2a^2c}{1+2a^2c_0}` and
  the ReLU arc-cosine kernel come out);
* compiled (:mod:`theory.symbolic.compile`) they evaluate by quadrature: by default the trapezoid
  rule on the real line with spacing 0.2 in x (error O(e^{−2πa/0.2}) for integrands analytic in
  the strip |Im x| < a: e^{−49} for tanh and log cosh, a = π/2), or Gauss–Hermite of a stated
  order (``rule="hermite"``: exact for polynomials of degree ≤ 2·order − 1, but only
  root-exponential for tanh at large variance: at Δ0 = 5.4, 64 nodes err by 4e-4).
  :func:`expect2` can report the difference to a twice-refined rule as an error estimate.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from theory.errors import ParameterError
from theory.numerics import quadrature as _quad
from theory.symbolic.cache import register_sympy_class, symbolic_cache
from theory.symbolic.compile import DefinedFunction, NumericFunction, compile_function

__all__ = [
    "diff_x",
    "X",
    "normal_rule",
    "expect",
    "expect2",
    "gaussian_mean",
    "gaussian_cross",
    "GaussianMean",
    "name_function",
    "closed_form",
    "DEFAULT_ORDER",
    "DEFAULT_STEP",
    "trapezoid_rule",
    "expect_shifted",
    "expect2_shifted",
    "shifted_gaussian_mean",
    "shifted_gaussian_cross",
    "ShiftedGaussianMean",
    "ShiftedGaussianCross",
    "MAX_NODES_1D",
    "MAX_NODES_2D",
    "structure_core",
    "STRUCTURED_MIN_NODES",
]

#: Canonical real variable in which one-argument functions (Lambdas) are written.
X = sp.Symbol("x", real=True)
#: Default Gauss–Hermite order (nodes per axis).
DEFAULT_ORDER = 64
#: Largest trapezoid rule of :func:`expect` (nodes) before it needs a ``feature`` to grade towards.
MAX_NODES_1D = 200_001
#: Largest trapezoid rule per axis of :func:`expect2` (its tensor rule has this squared).
MAX_NODES_2D = 4001


# ============================================================================ numerics
# the quadrature rules live in the theory-free numerics package
DEFAULT_STEP = _quad.DEFAULT_STEP
normal_rule = _quad.normal_rule
trapezoid_rule = _quad.trapezoid_rule


def _rule(scale: float, rule: str, order: int, step: float) -> tuple[np.ndarray, np.ndarray]:
    if rule == "trapezoid":
        return trapezoid_rule(scale, step)
    if rule == "hermite":
        return normal_rule(order)
    raise ParameterError("rule", rule, "'trapezoid' or 'hermite'")


def expect(
    f: Callable[[np.ndarray], np.ndarray],
    var: Any,
    *,
    rule: str = "trapezoid",
    order: int = DEFAULT_ORDER,
    step: float = DEFAULT_STEP,
    feature: tuple[float, float] | None = None,
) -> np.ndarray:
    """:math:`\\mathbb E[f(x)]`, :math:`x\\sim\\mathcal N(0, \\mathrm{var})`, vectorised over ``var``.

    Parameters
    ----------
    f:
        Vectorised function of one array.
    var:
        Variance(s), any shape, ≥ 0.
    rule:
        ``"trapezoid"`` (default; spacing ``step`` in x, see :func:`trapezoid_rule`) or
        ``"hermite"`` (Gauss–Hermite of ``order`` nodes).
    feature:
        ``(center, width)`` in x of the sharpest feature of f (a logistic step): where the
        trapezoid rule would need more than :data:`MAX_NODES_1D` nodes, a rule graded towards it
        (:func:`theory.numerics.quadrature.graded_rule`, O(log(1/width)) nodes) is used instead.

    Raises
    ------
    ParameterError
        For invalid variances, or a trapezoid rule beyond :data:`MAX_NODES_1D` nodes without a
        ``feature`` to grade towards (memory would grow like 1/step).
    """
    v = np.asarray(var, dtype=float)
    if np.any(v < 0) or not np.all(np.isfinite(v)):
        raise ParameterError("var", var, "finite variances >= 0")
    scale = float(np.sqrt(v.max())) if v.size else 1.0
    if rule == "trapezoid" and scale > 0 and 2.0 * _quad.TRUNCATION * scale / step > MAX_NODES_1D:
        if feature is None:
            raise ParameterError(
                "step",
                step,
                f"a trapezoid step with at most {MAX_NODES_1D} nodes at standard deviation "
                f"{scale:.3g} (or a feature=(center, width) to grade the rule towards)",
            )
        center, width = feature
        out = np.empty(v.shape)
        flat, res = v.ravel(), out.ravel()
        for i, vi in enumerate(flat):
            sd = math.sqrt(vi)
            if sd == 0.0:
                res[i] = float(np.asarray(f(np.zeros(1)))[0])
                continue
            u, w = _quad.graded_rule(center / sd, width / sd)
            res[i] = float(np.asarray(f(sd * u)) @ w)
        return out
    u, w = _rule(scale if v.size else 1.0, rule, order, step)
    vals = f(np.sqrt(v)[..., None] * u)
    return np.asarray(vals @ w)


def expect2(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray] | None,
    c: Any,
    c0: Any,
    c0b: Any = None,
    *,
    rule: str = "trapezoid",
    order: int = DEFAULT_ORDER,
    step: float = DEFAULT_STEP,
    return_error: bool = False,
    cores: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
) -> Any:
    """:math:`\\mathbb E[f(x)g(y)]` for zero-mean Gaussians with Var x = c0, Var y = c0b, Cov = c.

    Vectorised over broadcast ``c, c0, c0b``; evaluated in chunks to bound memory. Uses the
    Cholesky form :math:`x=\\sqrt{c_0}u`, :math:`y=(c/\\sqrt{c_0})u+\\sqrt{c_{0b}-c^2/c_0}\\,v`
    (valid for either sign of c) with a tensor rule (trapezoid or Gauss–Hermite, see :func:`expect`).

    Parameters
    ----------
    return_error:
        Also return the difference to the same rule refined twice (half step, doubled order),
        an a-posteriori estimate of the quadrature error.
    cores:
        The structure intervals of f and g (:func:`structure_core`, which validated the
        structured rule against a fine reference). Given, a trapezoid rule of more than
        :data:`STRUCTURED_MIN_NODES` nodes per axis (standard deviation above 4.7 at the default
        step) is replaced by :func:`~theory.numerics.quadrature.structured_normal_rule` (as in
        :func:`expect2_shifted`): its node count grows like log(sd) instead of sd (the trapezoid
        needs 1080 nodes per axis at sd 12.7, 3400 at sd 40), error ≈ 1e-10 relative. Its
        ``return_error`` is the difference to the structured rule at twice the order and half
        the core step.

    Raises
    ------
    ParameterError
        If a variance is negative or ``c² > c0·c0b`` beyond rounding (not a covariance matrix).
    """
    g = f if g is None else g
    c = np.asarray(c, dtype=float)
    c0 = np.asarray(c0, dtype=float)
    c0b = c0 if c0b is None else np.asarray(c0b, dtype=float)
    c, c0, c0b = np.broadcast_arrays(c, c0, c0b)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(c0)) and np.all(np.isfinite(c0b))):
        raise ParameterError("c, c0", (c, c0), "finite numbers")
    if np.any(c0 < 0) or np.any(c0b < 0):
        raise ParameterError("c0", c0, "variances >= 0")
    slack = 1e-12 * np.maximum(c0 * c0b, 1e-300)
    if np.any(c * c > c0 * c0b + slack):
        raise ParameterError("c", c, "|c| <= sqrt(c0*c0b) (a covariance matrix)")
    scale = float(np.sqrt(max(c0.max(), c0b.max()))) if c.size else 1.0
    nodes = 2.0 * _quad.TRUNCATION * scale / step
    if rule == "trapezoid" and cores is not None and nodes > STRUCTURED_MIN_NODES:
        zero = np.zeros(c.shape)
        value = _expect2_structured(f, g, c, c0, c0b, zero, cores)
        if return_error:
            fine = _expect2_structured(f, g, c, c0, c0b, zero, cores, refine=True)
            return value, np.abs(value - fine)
        return value
    if rule == "trapezoid" and nodes > MAX_NODES_2D:
        raise ParameterError(
            "step",
            step,
            f"a trapezoid step with at most {MAX_NODES_2D} nodes per axis at standard deviation "
            f"{scale:.3g} (memory grows like 1/step²; sharp logistic closures use "
            "theory.gating.dmft.closures.logistic_cross)",
        )
    value = _expect2_rule(f, g, c, c0, c0b, _rule(scale, rule, order, step))
    if return_error:
        fine = _expect2_rule(f, g, c, c0, c0b, _rule(scale, rule, min(2 * order, 400), step / 2))
        return value, np.abs(value - fine)
    return value


def _expect2_rule(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray],
    c: np.ndarray,
    c0: np.ndarray,
    c0b: np.ndarray,
    uw: tuple[np.ndarray, np.ndarray],
    mean: np.ndarray | None = None,
) -> np.ndarray:
    """E f(m + x) g(m + y) by the Cholesky form x = a·u, y = slope·u + resid·v on the rule ``uw``
    (in chunks of ~2e6 evaluations); m = ``mean`` (broadcast like c) or 0."""
    u, w = uw
    n = u.size
    shape = c.shape
    cf, c0f, c0bf = c.ravel(), c0.ravel(), c0b.ravel()
    mf = None if mean is None else mean.ravel()
    out = np.empty(cf.shape, dtype=float)
    chunk = max(1, 2_000_000 // (n * n))
    for start in range(0, cf.size, chunk):
        sl = slice(start, start + chunk)
        a = np.sqrt(c0f[sl])
        safe_a = np.where(a > 0, a, 1.0)
        slope = np.where(a > 0, cf[sl] / safe_a, 0.0)
        resid = np.sqrt(np.clip(c0bf[sl] - slope**2, 0.0, None))
        su = slope[:, None, None] * u[None, :, None]
        rv = resid[:, None, None] * u[None, None, :]
        if mf is None:
            x = a[:, None] * u[None, :]  # (k, n)
            y = su + rv
        else:
            mm = mf[sl]
            x = mm[:, None] + a[:, None] * u[None, :]
            y = mm[:, None, None] + su + rv
        inner = g(y) @ w  # (k, n): E_v g(y | u)
        out[sl] = np.einsum("kn,kn,n->k", f(x), inner, w)
    return out.reshape(shape)


# ============================================================================ symbolic
_LABELS: dict[str, str] = {}
#: srepr -> (expression, label): the labelled functions, for powers of them
_LABELLED: dict[str, tuple[sp.Expr, str]] = {}


def _canon(F: sp.Lambda | Callable[[sp.Symbol], sp.Expr] | sp.Expr) -> sp.Expr:
    """Expression of a one-argument function in the canonical variable :data:`X`."""
    if isinstance(F, sp.Lambda):
        (v,) = F.variables
        return F.expr.subs(v, X)
    if isinstance(F, sp.Expr):
        free = F.free_symbols
        if free - {X}:
            raise ParameterError("F", F, f"an expression of the canonical variable {X} only")
        return F
    return sp.sympify(F(X))


def name_function(F: Any, label: str) -> None:
    """Give a one-argument function a LaTeX label used by Gaussian-expectation symbols.

    Example: ``name_function(sp.tanh(X), r"\\phi")`` makes :math:`C_{\\phi}` print as such.
    """
    e = _canon(F)
    _LABELS[sp.srepr(e)] = label
    _LABELLED[sp.srepr(e)] = (e, label)
    if not (e.has(sp.DiracDelta) or e.has(sp.Heaviside)):
        _LABELS[sp.srepr(sp.simplify(e))] = label


def _known_label(expr: sp.Expr) -> str | None:
    key = sp.srepr(expr)
    if key in _LABELS:
        return _LABELS[key]
    if isinstance(expr, DefinedFunction) and expr.args == (X,) and hasattr(type(expr), "head"):
        return str(type(expr).head())  # a named function of the canonical variable: φ, σ_r'
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and int(expr.exp) > 1:
        base = _known_label(expr.base)
        if base is not None:
            return f"{base}^{{{int(expr.exp)}}}"
    if isinstance(expr, sp.Pow | sp.Mul):
        # (1 + e^{-x})^{-2} is σ² for σ = (1 + e^{-x})^{-1}: SymPy merges the powers
        for e, label in _LABELLED.values():
            if "^" in label:
                continue
            for n in (2, 3, 4):
                if e**n == expr:
                    return f"{label}^{{{n}}}"
    if isinstance(expr, sp.Mul):
        coeff, factors = expr.as_coeff_mul()
        parts = [_known_label(f) for f in factors]
        if coeff == 1 and all(p is not None for p in parts):
            return " ".join(p for p in parts if p is not None)
    return None


def _label(expr: sp.Expr) -> str:
    """LaTeX name of a one-argument function F(x) inside an expectation.

    Registered names first (:func:`name_function`), then powers and products of named parts
    (φ² prints ``\\phi^{2}``, σ_r'φ prints ``\\sigma_r' \\phi``), named functions of the canonical
    variable by their name; otherwise the expression itself.
    """
    known = _known_label(expr)
    if known is not None:
        return known
    from theory.symbolic.printing import tex

    return tex(expr)


class GaussianMean(NumericFunction):
    """Base of the classes made by :func:`gaussian_mean`: :math:`\\langle F\\rangle_{c_0}`."""

    F: ClassVar[sp.Expr]
    step: ClassVar[float] = DEFAULT_STEP
    nargs = 1

    @classmethod
    def eval(cls, c0: sp.Expr) -> sp.Expr | None:
        if cls.F.is_constant(X):
            return cls.F
        if _is_odd(cls.F):
            return sp.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        # d/dc0 E[F(sqrt(c0) u)] = E[F''(x)]/2  (heat equation / Price)
        return gaussian_mean(diff_x(self.F, 2))(self.args[0]) / 2

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        out = rf"\left\langle {_label(self.F)} \right\rangle_{{{printer._print(self.args[0])}}}"
        return out if exp is None else rf"{out}^{{{exp}}}"

    @classmethod
    def numeric_impl(cls, backend: str) -> Callable[..., Any]:
        if backend == "mpmath":
            f_mp = compile_function(cls.F, [X], backend="mpmath")
            import mpmath

            def mean_mp(c0: Any) -> Any:
                s = mpmath.sqrt(c0)
                return mpmath.quad(
                    lambda u: f_mp(s * u) * mpmath.npdf(u), [-mpmath.inf, 0, mpmath.inf]
                )

            return mean_mp
        f_np = compile_function(cls.F, [X])
        step = cls.step
        return lambda c0: expect(f_np, c0, step=step)

    @classmethod
    def closed_form(cls) -> sp.Expr | None:
        """Exact :math:`\\langle F\\rangle_{c_0}` as an expression of ``C0`` (or None)."""
        return _mean_closed(cls.F)


class GaussianCross(NumericFunction):
    """Base of the classes made by :func:`gaussian_cross`: :math:`C_{F,G}(c;c_0)`."""

    F: ClassVar[sp.Expr]
    G: ClassVar[sp.Expr]
    step: ClassVar[float] = DEFAULT_STEP
    nargs = 2

    @classmethod
    def eval(cls, c: sp.Expr, c0: sp.Expr) -> sp.Expr | None:
        if c == 0:
            return gaussian_mean(cls.F)(c0) * gaussian_mean(cls.G)(c0)
        if c == c0:
            return gaussian_mean(cls.F * cls.G)(c0)
        if cls.F.is_constant(X) or cls.G.is_constant(X):
            return gaussian_mean(cls.F)(c0) * gaussian_mean(cls.G)(c0)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        c, c0 = self.args
        Fp, Gp = diff_x(self.F), diff_x(self.G)
        if argindex == 1:  # Price's theorem
            return gaussian_cross(Fp, Gp)(c, c0)
        if argindex == 2:  # both variances move together
            Fpp, Gpp = diff_x(Fp), diff_x(Gp)
            return (gaussian_cross(Fpp, self.G)(c, c0) + gaussian_cross(self.F, Gpp)(c, c0)) / 2
        raise sp.ArgumentIndexError(self, argindex)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        c, c0 = (printer._print(a) for a in self.args)
        if self.F == self.G:
            sub = _label(self.F)
        else:
            sub = f"{_label(self.F)},{_label(self.G)}"
        out = rf"C_{{{sub}}}\left({c};\,{c0}\right)"
        return out if exp is None else rf"\left[{out}\right]^{{{exp}}}"

    @classmethod
    def numeric_impl(cls, backend: str) -> Callable[..., Any]:
        if backend == "mpmath":
            import mpmath

            f_mp = compile_function(cls.F, [X], backend="mpmath")
            g_mp = compile_function(cls.G, [X], backend="mpmath")

            def cross_mp(c: Any, c0: Any) -> Any:
                a = mpmath.sqrt(c0)
                slope = c / a
                resid = mpmath.sqrt(max(c0 - slope**2, 0))

                def inner(u: Any) -> Any:
                    return mpmath.quad(
                        lambda v: g_mp(slope * u + resid * v) * mpmath.npdf(v),
                        [-mpmath.inf, 0, mpmath.inf],
                    )

                return mpmath.quad(
                    lambda u: f_mp(a * u) * inner(u) * mpmath.npdf(u), [-mpmath.inf, 0, mpmath.inf]
                )

            return cross_mp
        f_np = compile_function(cls.F, [X])
        g_np = compile_function(cls.G, [X])
        step = cls.step
        F, G = cls.F, cls.G

        def cross(c: Any, c0: Any) -> Any:
            # the structure cores are found (and the structured rule validated) only when a
            # variance needs more than STRUCTURED_MIN_NODES trapezoid nodes
            c0_ = np.asarray(c0, dtype=float)
            top = float(c0_.max()) if c0_.size and np.all(np.isfinite(c0_)) else 0.0
            nodes = 2.0 * _quad.TRUNCATION * math.sqrt(max(top, 0.0)) / step
            cores = _cross_cores(F, G) if nodes > STRUCTURED_MIN_NODES else None
            return expect2(f_np, g_np, c, c0, step=step, cores=cores)

        return cross

    @classmethod
    def closed_form(cls) -> sp.Expr | None:
        """Exact :math:`C_{F,G}(c;c_0)` in the symbols ``C`` and ``C0`` (or None)."""
        return _cross_closed(cls.F, cls.G)


@functools.lru_cache(maxsize=1024)
def diff_x(e: sp.Expr, n: int = 1) -> sp.Expr:
    """n-th derivative in X, simplified (so d/dx log cosh x prints as tanh x), with the
    distributional rule x^k δ(x) = 0 (k ≥ 1) applied."""
    out = sp.diff(e, X, n)
    out = sp.expand(out)
    out = out.replace(
        lambda t: (
            isinstance(t, sp.Mul) and t.has(sp.DiracDelta(X)) and t.as_coeff_exponent(X)[1] != 0
        ),
        lambda t: sp.Integer(0),
    )
    out = out.subs(X * sp.DiracDelta(X), 0)
    if out.has(sp.DiracDelta) or out.has(sp.Heaviside):
        return out
    return sp.simplify(out)


def _is_odd(e: sp.Expr) -> bool:
    try:
        return sp.simplify(e.subs(X, -X) + e) == 0
    except Exception:  # pragma: no cover
        return False


def _class_name(prefix: str, *exprs: sp.Expr) -> str:
    import hashlib

    h = hashlib.sha1("|".join(sp.srepr(e) for e in exprs).encode()).hexdigest()[:10]
    return f"{prefix}_{h}"


@functools.cache
def _mean_class(key: str, F: sp.Expr) -> type[GaussianMean]:
    cls = type(_class_name("GaussMean", F), (GaussianMean,), {"F": F})
    return register_sympy_class(cls)


@functools.cache
def _cross_class(key: str, F: sp.Expr, G: sp.Expr) -> type[GaussianCross]:
    cls = type(_class_name("GaussCross", F, G), (GaussianCross,), {"F": F, "G": G})
    return register_sympy_class(cls)


def gaussian_mean(F: Any) -> type[GaussianMean]:
    """The SymPy function class :math:`c_0\\mapsto\\langle F\\rangle_{c_0}` for a one-argument F.

    ``F`` is a :class:`sympy.Lambda`, an expression in :data:`X`, or a Python callable on symbols.
    """
    e = sp.simplify(_canon(F)) if not isinstance(F, sp.Expr) else _canon(F)
    return _mean_class(sp.srepr(e), e)


def gaussian_cross(F: Any, G: Any = None) -> type[GaussianCross]:
    """The SymPy function class :math:`(c, c_0)\\mapsto C_{F,G}(c;c_0)` (G defaults to F)."""
    Fe = _canon(F)
    Ge = Fe if G is None else _canon(G)
    return _cross_class(sp.srepr(Fe) + "|" + sp.srepr(Ge), Fe, Ge)


# ------------------------------------------------------------------ closed forms
#: Symbols in which closed forms are returned.
C = sp.Symbol("c", real=True)
C0 = sp.Symbol("c_0", positive=True)
_S = sp.Symbol("s", real=True)
_U = sp.Symbol("u", real=True)

_INTEGRABLE = (sp.exp, sp.erf, sp.Heaviside, sp.DiracDelta)


def _integrable(e: sp.Expr) -> bool:
    funcs = {type(f) for f in e.atoms(sp.Function)}
    return all(issubclass(f, _INTEGRABLE) for f in funcs)


@symbolic_cache
def _mean_closed(F: sp.Expr) -> sp.Expr | None:
    F = F.rewrite(sp.Heaviside)
    if F.is_constant(X):
        return F
    if _is_odd(F):
        return sp.Integer(0)
    if not _integrable(F):
        return None
    if isinstance(F, sp.DiracDelta) and F.args == (X,):
        return 1 / sp.sqrt(2 * sp.pi * C0)
    integrand = F.subs(X, sp.sqrt(C0) * _U) * sp.exp(-(_U**2) / 2) / sp.sqrt(2 * sp.pi)
    res = sp.integrate(integrand, (_U, -sp.oo, sp.oo), conds="none")
    if res.has(sp.Integral) or res.has(sp.nan):
        return None
    return sp.simplify(res)


def _bump(e: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """Match ``k·exp(-a·x²)``; return (k, a) or None."""
    k = sp.Wild("k", exclude=[X])
    a = sp.Wild("a", exclude=[X])
    m = e.match(k * sp.exp(-a * X**2))
    if m and m[k] != 0:
        return m[k], m[a]
    return None


@symbolic_cache
def _cross_closed(F: sp.Expr, G: sp.Expr, depth: int = 0) -> sp.Expr | None:
    F = F.rewrite(sp.Heaviside)
    G = G.rewrite(sp.Heaviside)
    if F.is_constant(X) or G.is_constant(X):
        mf, mg = _mean_closed(F), _mean_closed(G)
        return None if mf is None or mg is None else sp.simplify(mf * mg)
    if not (_integrable(F) and _integrable(G)) and not (F.is_polynomial(X) and G.is_polynomial(X)):
        return None
    if F == sp.DiracDelta(X) and G == sp.DiracDelta(X):
        return 1 / (2 * sp.pi * sp.sqrt(C0**2 - C**2))
    bf, bg = _bump(F), _bump(G)
    if bf and bg:
        # E[exp(-½ zᵀ A z)] = det(I + Σ A)^(-1/2),  A = diag(2a_f, 2a_g)
        Sigma = sp.Matrix([[C0, C], [C, C0]])
        A = sp.diag(2 * bf[1], 2 * bg[1])
        det = sp.expand((sp.eye(2) + Sigma * A).det())
        return sp.simplify(bf[0] * bg[0] / sp.sqrt(det))
    if depth >= 2:
        return None
    inner = _cross_closed(diff_x(F), diff_x(G), depth + 1)
    if inner is None:
        return None
    mf, mg = _mean_closed(F), _mean_closed(G)
    if mf is None or mg is None:
        return None
    integral = sp.integrate(inner.subs(C, _S), (_S, 0, C), conds="none")
    if integral.has(sp.Integral):
        return None
    out = sp.simplify(mf * mg + integral)
    return out


def closed_form(expr: sp.Expr, c: sp.Symbol | None = None, c0: sp.Symbol | None = None) -> sp.Expr:
    """Replace every Gaussian expectation in ``expr`` that has a closed form by it.

    Expectations without a closed form are left as they are (they still compile to quadrature).
    """

    def repl_cross(f: GaussianCross) -> sp.Expr:
        cf = type(f).closed_form()
        if cf is None:
            return f
        return cf.subs({C: f.args[0], C0: f.args[1]})

    def repl_mean(f: GaussianMean) -> sp.Expr:
        cf = type(f).closed_form()
        if cf is None:
            return f
        return cf.subs({C0: f.args[0]})

    out = expr.replace(lambda e: isinstance(e, GaussianCross), repl_cross)
    return out.replace(lambda e: isinstance(e, GaussianMean), repl_mean)


# ============================================================================ mean shift
# Gaussian fields with a nonzero mean m (the self-consistent mean of a mean-field theory):
# ⟨F⟩_{c0,m} = E F(m + x) and C_{F,G}(c; c0, m) = E F(m + x) G(m + y), (x, y) as above.
def expect_shifted(
    f: Callable[[np.ndarray], np.ndarray], var: Any, mean: Any, *, step: float = DEFAULT_STEP
) -> np.ndarray:
    """:math:`\\mathbb E[f(m+x)]`, :math:`x\\sim\\mathcal N(0,\\mathrm{var})`, broadcast over
    ``var`` and ``mean`` (trapezoid rule of :func:`trapezoid_rule`, spacing ``step`` in x)."""
    v, m = np.broadcast_arrays(np.asarray(var, dtype=float), np.asarray(mean, dtype=float))
    if np.any(v < 0) or not (np.all(np.isfinite(v)) and np.all(np.isfinite(m))):
        raise ParameterError("var, mean", (var, mean), "finite variances >= 0 and finite means")
    u, w = trapezoid_rule(float(np.sqrt(v.max())) if v.size else 1.0, step)
    return np.asarray(f(m[..., None] + np.sqrt(v)[..., None] * u) @ w)


def expect2_shifted(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray] | None,
    c: Any,
    c0: Any,
    mean: Any,
    *,
    step: float = DEFAULT_STEP,
    cores: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
) -> np.ndarray:
    """:math:`\\mathbb E[f(m+x)g(m+y)]`, Var x = Var y = c0, Cov(x, y) = c, broadcast over
    ``c, c0, mean`` (the Cholesky form and trapezoid rule of :func:`expect2`).

    ``cores``: the structure intervals of f and g (:func:`structure_core`); given, a standard
    deviation beyond :data:`STRUCTURED_MIN_NODES` trapezoid nodes switches to the structured rule
    (node count flat in c0 instead of growing like c0).

    Raises
    ------
    ParameterError
        Non-finite arguments, a negative variance, or ``|c| > c0`` beyond rounding.
    """
    g = f if g is None else g
    c, c0, m = np.broadcast_arrays(
        np.asarray(c, dtype=float), np.asarray(c0, dtype=float), np.asarray(mean, dtype=float)
    )
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(c0)) and np.all(np.isfinite(m))):
        raise ParameterError("c, c0, mean", (c, c0, m), "finite numbers")
    if np.any(c0 < 0):
        raise ParameterError("c0", c0, "variances >= 0")
    if np.any(np.abs(c) > c0 * (1 + 1e-12) + 1e-300):
        raise ParameterError("c", c, "|c| <= c0 (a covariance matrix)")
    scale = float(np.sqrt(c0.max())) if c.size else 1.0
    if cores is not None and 2.0 * _quad.TRUNCATION * scale / step > STRUCTURED_MIN_NODES:
        return _expect2_structured(f, g, c, c0, c0, m, cores)
    uw = trapezoid_rule(scale, step)
    return _expect2_rule(f, g, c, c0, c0, uw, mean=m)


#: Trapezoid nodes per axis above which :func:`expect2_shifted` and :func:`expect2` (given
#: ``cores``; the compiled :func:`gaussian_cross` always) switch to the structured rule
#: (standard deviations above 4.7 at the default step 0.2).
STRUCTURED_MIN_NODES = 400
#: Relative agreement with a fine trapezoid rule that :func:`structure_core` requires.
_STRUCTURE_TOL = 1e-10


def _expect2_structured(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray],
    c: np.ndarray,
    c0: np.ndarray,
    c0b: np.ndarray,
    m: np.ndarray,
    cores: tuple[tuple[float, ...], tuple[float, ...]],
    *,
    refine: bool = False,
) -> np.ndarray:
    """E f(m + x) g(m + y), Var x = c0, Var y = c0b, Cov = c, element by element on
    :func:`~theory.numerics.quadrature.structured_normal_rule`: x = a·u (outer rule graded to f's
    core), y | u ~ N(m + slope·u, resid²) (inner rules, one row per outer node, graded to g's
    core); ``refine``: the rule at twice the order and half the core step (an error estimate).
    Each element is computed alone (batch-independent bits)."""
    kw: dict[str, Any] = {"core_step": 0.25, "order": 20} if refine else {}
    out = np.empty(c.shape)
    for idx in np.ndindex(c.shape):
        a = math.sqrt(float(c0[idx]))
        mm = float(m[idx])
        slope = float(c[idx]) / a if a > 0.0 else 0.0
        resid = math.sqrt(max(float(c0b[idx]) - slope * slope, 0.0))
        if a == 0.0 and resid == 0.0:
            out[idx] = float(np.asarray(f(np.array([mm])))[0] * np.asarray(g(np.array([mm])))[0])
            continue
        if a == 0.0:  # x = m: E g(m + resid·v) alone
            gy = _quad.structured_normal_rule(mm, resid, cores[1], **kw)
            inner0 = float(np.asarray(g(gy[0][0])) @ gy[1][0])
            out[idx] = float(np.asarray(f(np.array([mm])))[0]) * inner0
            continue
        xo, wo = _quad.structured_normal_rule(mm, a, cores[0], **kw)
        u = (xo[0] - mm) / a
        xi, wi = _quad.structured_normal_rule(mm + slope * u, resid, cores[1], **kw)
        inner = np.einsum("ij,ij->i", g(xi), wi)
        out[idx] = float(np.dot(f(xo[0]) * wo[0], inner))
    return out


def _kinks(F: sp.Expr) -> list[float] | None:
    """The real points where a non-smooth atom of F (Abs, Max, Min, Heaviside, sign, Piecewise)
    switches, or None when they are not a finite set SymPy can solve for."""
    from theory.symbolic.expressions import Primitive

    args: list[sp.Expr] = []
    for p in F.atoms(Primitive):  # ∫_0^x φ is kinked where φ is
        if p.args != (X,):
            return None
        inner = _kinks(type(p).F)
        if inner is None:
            return None
        args.extend(X - k for k in inner)
    for a in F.atoms(sp.Abs, sp.Heaviside, sp.sign):
        args.append(a.args[0])
    for a in F.atoms(sp.Max, sp.Min):
        args.extend(p - q for i, p in enumerate(a.args) for q in a.args[i + 1 :])
    for a in F.atoms(sp.Piecewise):
        for _, cond in a.args:
            if isinstance(cond, sp.core.relational.Relational):
                args.append(cond.lhs - cond.rhs)
            elif cond is not sp.true:
                return None
    if F.has(sp.floor, sp.ceiling):
        return None
    points: set[float] = set()
    for e in args:
        try:
            sol = sp.solveset(e, X, domain=sp.S.Reals)
        except Exception:  # SymPy cannot solve it: no structured rule
            return None
        if not isinstance(sol, sp.FiniteSet):
            return None
        points.update(float(v) for v in sol)
    return sorted(points)


@functools.cache
def _structure_core(key: str, F: sp.Expr) -> tuple[float, ...] | None:
    from theory.symbolic.expressions import Primitive, is_smooth

    grid = np.linspace(-200.0, 200.0, 80001)
    smooth = is_smooth(F) and all(is_smooth(type(p).F) for p in F.atoms(Primitive))
    kinks: list[float] = []
    try:
        f = compile_function(F, [X])
        with np.errstate(all="ignore"):
            if smooth:
                d2 = np.abs(np.asarray(compile_function(sp.diff(F, X, 2), [X])(grid), dtype=float))
            else:  # finite differences: jumps of f' show as spikes at the kinks, made edges below
                found = _kinks(F)
                if found is None or any(abs(k) > 100.0 for k in found):
                    return None
                kinks = found
                h = grid[1] - grid[0]
                fx = np.asarray(f(grid), dtype=float)
                d2 = np.zeros_like(grid)
                d2[1:-1] = np.abs(fx[2:] - 2 * fx[1:-1] + fx[:-2]) / h**2
    except Exception:  # a derivative SymPy cannot lambdify: no structured rule
        return None
    d2 = np.broadcast_to(d2, grid.shape)
    if not np.all(np.isfinite(d2)):
        return None
    top = float(d2.max())
    if top == 0.0:
        return (0.0, 0.0)
    if np.max(d2[np.abs(grid) >= 100.0]) > 1e-3 * top:
        return None  # F'' does not decay: not asymptotically affine (the test below decides)
    big = np.nonzero(d2 > 1e-2 * top)[0]
    lo = min([float(grid[big[0]]), *kinks])
    hi = max([float(grid[big[-1]]), *kinks])
    core = (lo, hi, *kinks)
    # the rule's premise, tested at large scales: against a fine trapezoid rule (smooth F), or
    # against the same rule at twice the order and half the core step (kinks: the trapezoid rule
    # is only O(h²) there)
    for mm, sd in ((0.0, 12.0), (0.7, 40.0), (-3.0, 5.0)):
        x, w = _quad.structured_normal_rule(mm, sd, core)
        with np.errstate(all="ignore"):
            val = float(np.asarray(f(x[0])) @ w[0])
            if smooth:
                u, wt = trapezoid_rule(sd, 0.02)
                fine = float(np.asarray(f(mm + sd * u)) @ wt)
            else:
                xf, wf = _quad.structured_normal_rule(mm, sd, core, core_step=0.25, order=20)
                fine = float(np.asarray(f(xf[0])) @ wf[0])
        if not (math.isfinite(val) and abs(val - fine) <= _STRUCTURE_TOL * (1.0 + abs(fine))):
            return None
    return core


def structure_core(F: Any) -> tuple[float, ...] | None:
    """The interval [x_lo, x_hi] holding F's non-affine structure (|F''| > 1% of its maximum),
    followed by F's kinks (the switching points of Abs, Max, Min, Heaviside, sign, Piecewise), for
    :func:`~theory.numerics.quadrature.structured_normal_rule`; None when the kinks are not a
    finite set SymPy solves for, F'' does not decay (below 1e-3 of its maximum beyond |x| = 100),
    or the structured rule does not reproduce a reference to 1e-10 at scales 5-40 (a fine
    trapezoid rule for smooth F, the rule at twice the order for kinked F); then the trapezoid
    rule is used."""
    e = _canon(F)
    return _structure_core(sp.srepr(e), e)


def _cross_cores(F: sp.Expr, G: sp.Expr) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """(structure_core(F), structure_core(G)), or None when either has none (trapezoid rule)."""
    core_f, core_g = structure_core(F), structure_core(G)
    return None if core_f is None or core_g is None else (core_f, core_g)


class ShiftedGaussianMean(NumericFunction):
    """Base of the classes made by :func:`shifted_gaussian_mean`: :math:`\\langle F\\rangle_{c_0,m}`.

    Derivatives (heat equation / Price's theorem): :math:`\\partial_{c_0}=\\tfrac12\\langle F''\\rangle`,
    :math:`\\partial_m=\\langle F'\\rangle`.
    """

    F: ClassVar[sp.Expr]
    step: ClassVar[float] = DEFAULT_STEP
    nargs = 2

    @classmethod
    def eval(cls, c0: sp.Expr, m: sp.Expr) -> sp.Expr | None:
        if cls.F.is_constant(X):
            return cls.F
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        c0, m = self.args
        if argindex == 1:
            return shifted_gaussian_mean(diff_x(self.F, 2), self.step)(c0, m) / 2
        if argindex == 2:
            return shifted_gaussian_mean(diff_x(self.F), self.step)(c0, m)
        raise sp.ArgumentIndexError(self, argindex)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        c0, m = (printer._print(a) for a in self.args)
        out = rf"\left\langle {_label(self.F)} \right\rangle_{{{m},\,{c0}}}"
        return out if exp is None else rf"{out}^{{{exp}}}"

    @classmethod
    def numeric_impl(cls, backend: str) -> Callable[..., Any]:
        if backend == "mpmath":
            import mpmath

            f_mp = compile_function(cls.F, [X], backend="mpmath")

            def mean_mp(c0: Any, m: Any) -> Any:
                s = mpmath.sqrt(c0)
                return mpmath.quad(
                    lambda u: f_mp(m + s * u) * mpmath.npdf(u), [-mpmath.inf, 0, mpmath.inf]
                )

            return mean_mp
        f_np = compile_function(cls.F, [X])
        step = cls.step
        return lambda c0, m: expect_shifted(f_np, c0, m, step=step)


class ShiftedGaussianCross(NumericFunction):
    """Base of the classes made by :func:`shifted_gaussian_cross`: :math:`C_{F,G}(c;c_0,m)`.

    Price's theorem: :math:`\\partial_c C_{F,G}=C_{F',G'}`, :math:`\\partial_{c_0}C_{F,G}=
    \\tfrac12(C_{F'',G}+C_{F,G''})`, and the mean shift :math:`\\partial_m C_{F,G}=C_{F',G}+C_{F,G'}`.
    At :math:`c=0` it factors into means, at :math:`c=c_0` it is :math:`\\langle FG\\rangle_{c_0,m}`.
    """

    F: ClassVar[sp.Expr]
    G: ClassVar[sp.Expr]
    step: ClassVar[float] = DEFAULT_STEP
    nargs = 3

    @classmethod
    def eval(cls, c: sp.Expr, c0: sp.Expr, m: sp.Expr) -> sp.Expr | None:
        mean = functools.partial(shifted_gaussian_mean, step=cls.step)
        if c == 0 or cls.F.is_constant(X) or cls.G.is_constant(X):
            return mean(cls.F)(c0, m) * mean(cls.G)(c0, m)
        if c == c0:
            return mean(cls.F * cls.G)(c0, m)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        c, c0, m = self.args
        Fp, Gp = diff_x(self.F), diff_x(self.G)
        cross = functools.partial(shifted_gaussian_cross, step=self.step)
        if argindex == 1:
            return cross(Fp, Gp)(c, c0, m)
        if argindex == 2:
            Fpp, Gpp = diff_x(Fp), diff_x(Gp)
            return (cross(Fpp, self.G)(c, c0, m) + cross(self.F, Gpp)(c, c0, m)) / 2
        if argindex == 3:
            return cross(Fp, self.G)(c, c0, m) + cross(self.F, Gp)(c, c0, m)
        raise sp.ArgumentIndexError(self, argindex)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        c, c0, m = (printer._print(a) for a in self.args)
        sub = _label(self.F) if self.F == self.G else f"{_label(self.F)},{_label(self.G)}"
        out = rf"C_{{{sub}}}\left({c};\,{c0},\,{m}\right)"
        return out if exp is None else rf"\left[{out}\right]^{{{exp}}}"

    @classmethod
    def numeric_impl(cls, backend: str) -> Callable[..., Any]:
        if backend == "mpmath":
            import mpmath

            f_mp = compile_function(cls.F, [X], backend="mpmath")
            g_mp = compile_function(cls.G, [X], backend="mpmath")

            def cross_mp(c: Any, c0: Any, m: Any) -> Any:
                a = mpmath.sqrt(c0)
                slope = c / a
                resid = mpmath.sqrt(max(c0 - slope**2, 0))

                def inner(u: Any) -> Any:
                    return mpmath.quad(
                        lambda v: g_mp(m + slope * u + resid * v) * mpmath.npdf(v),
                        [-mpmath.inf, 0, mpmath.inf],
                    )

                return mpmath.quad(
                    lambda u: f_mp(m + a * u) * inner(u) * mpmath.npdf(u),
                    [-mpmath.inf, 0, mpmath.inf],
                )

            return cross_mp
        f_np = compile_function(cls.F, [X])
        g_np = compile_function(cls.G, [X])
        step = cls.step
        core_f, core_g = structure_core(cls.F), structure_core(cls.G)
        cores = None if core_f is None or core_g is None else (core_f, core_g)
        return lambda c, c0, m: expect2_shifted(f_np, g_np, c, c0, m, step=step, cores=cores)


@functools.cache
def _shifted_mean_class(key: str, F: sp.Expr, step: float) -> type[ShiftedGaussianMean]:
    name = _class_name("ShiftMean", F) + ("" if step == DEFAULT_STEP else f"_s{step:g}")
    cls = type(name.replace(".", "p"), (ShiftedGaussianMean,), {"F": F, "step": step})
    return register_sympy_class(cls)


@functools.cache
def _shifted_cross_class(
    key: str, F: sp.Expr, G: sp.Expr, step: float
) -> type[ShiftedGaussianCross]:
    name = _class_name("ShiftCross", F, G) + ("" if step == DEFAULT_STEP else f"_s{step:g}")
    cls = type(name.replace(".", "p"), (ShiftedGaussianCross,), {"F": F, "G": G, "step": step})
    return register_sympy_class(cls)


def shifted_gaussian_mean(F: Any, step: float = DEFAULT_STEP) -> type[ShiftedGaussianMean]:
    """The SymPy function class :math:`(c_0, m)\\mapsto\\langle F\\rangle_{c_0,m}=\\mathbb E F(m+\\sqrt{c_0}u)`.

    ``step`` is the trapezoid spacing (in x) of its quadrature: the default 0.2 errs by about
    e^{−2πa/0.2} for F analytic in the strip |Im x| < a; use a smaller one for a kink (O(step²)).
    """
    e = _canon(F)
    return _shifted_mean_class(sp.srepr(e), e, float(step))


def shifted_gaussian_cross(
    F: Any, G: Any = None, step: float = DEFAULT_STEP
) -> type[ShiftedGaussianCross]:
    """The SymPy function class :math:`(c, c_0, m)\\mapsto C_{F,G}(c;c_0,m)` (G defaults to F)."""
    Fe = _canon(F)
    Ge = Fe if G is None else _canon(G)
    return _shifted_cross_class(sp.srepr(Fe) + "|" + sp.srepr(Ge), Fe, Ge, float(step))
