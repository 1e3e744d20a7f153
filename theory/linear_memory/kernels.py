r"""Memory kernels ρ of linear functionals H_t(x) = ∫_0^∞ x_{t−s} ρ(s) ds, with their Laplace
transforms and norms derived by SymPy.

Li, Han, E, Li, *Approximation and optimization theory for linear continuous-time recurrent
neural networks*, JMLR 23 (2022) [LHEL], Sec. 3 (Riesz representation, sup_t ‖H_t‖ = ‖ρ‖_{L¹});
the transforms and norms below are re-derived with SymPy (derivation ``linear_memory_kernels``).

Families (each a SymPy expression in ``t`` with positive parameters):

* ``exponential``  b e^{−v t}                 G(s) = b/(s+v)
* ``power_law``    (1+t)^{−p}, p > 1          G(s) = s^{p−1} e^{s} Γ(1−p, s)
* ``gaussian_bump`` A e^{−(t−μ)²}             G(s) = (A√π/2) e^{s²/4−sμ} erfc(s/2−μ)
* ``window``       1 on [t₀, t₀+L] (shifted window)  G(s) = (e^{−s t₀} − e^{−s(t₀+L)})/s
* ``airy``         Ai(s₀(t − t₀))             no closed form on the half line → Gauss–Legendre quadrature
* ``user``         any SymPy expression in t  (SymPy's Laplace transform when it finds an
  elementary/special-function form, quadrature otherwise; the method used is recorded), or a
  Python callable (:func:`from_callable`: quadrature, with :func:`laplace_quadrature_error`).

Every kernel states its :class:`Regularity` (:meth:`MemoryKernel.regularity`: integrable,
continuous, exponential rate, tail exponent; from the family, checked by SymPy, declared by the
user or estimated from samples), and the constructions check the hypotheses of their theorems
against it.

A :class:`MemoryKernel` is a finite sum of family terms; its G, G′, ‖ρ‖₁ and ‖ρ‖₂² come from the
compiled derivations (:func:`kernel_family_derivation`) or, where no closed form exists, from
quadrature, and ``kernel.methods`` says which.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import scipy.integrate as si
import sympy as sp
from sympy.calculus.util import continuous_domain

from theory.errors import ParameterError, require
from theory.symbolic.cache import register_sympy_class, symbolic_cache
from theory.symbolic.compile import CompiledFunction, NumericFunction, compile_function, upper_gamma
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = [
    "t",
    "s",
    "LHEL",
    "KernelFamily",
    "FAMILIES",
    "MemoryKernel",
    "exponential_sum",
    "power_law",
    "gaussian_bump",
    "airy_kernel",
    "shifted_window",
    "from_expression",
    "from_callable",
    "Regularity",
    "estimate_regularity",
    "laplace_quadrature_error",
    "UpperGamma",
    "kernel_family_derivation",
]

LHEL = Reference(
    "Li, Han, E, Li, Approximation and optimization theory for linear continuous-time recurrent "
    "neural networks, JMLR 23 (2022); arXiv 2009.07799",
    key="li2022",
)

#: Time (lag) and Laplace variable.
t = sp.Symbol("t", nonnegative=True)
s = sp.Symbol("s", positive=True)

# family parameters
b_ = sp.Symbol("b", real=True)
v_ = sp.Symbol("v", positive=True)
p_ = sp.Symbol("p", positive=True)
A_ = sp.Symbol("A", real=True)
mu_ = sp.Symbol("mu", positive=True)
t0_ = sp.Symbol("t_0", positive=True)
L_ = sp.Symbol("L", positive=True)
s0_ = sp.Symbol("s_0", positive=True)


# ============================================================================ numeric Γ(a, x)
# the numeric Γ(a, x) for all real a lives in the spine (theory.symbolic.compile.upper_gamma)
_upper_gamma_numpy = upper_gamma


@register_sympy_class
class UpperGamma(NumericFunction):
    """Γ(a, x) with a numeric implementation valid for a ≤ 0 (the spine maps ``uppergamma`` through
    ``gammaincc``, defined only for a > 0)."""

    nargs = 2

    @classmethod
    def numeric_impl(cls, backend: str) -> Callable[..., Any]:
        if backend == "mpmath":
            import mpmath

            return lambda a, x: mpmath.gammainc(a, x)
        return _upper_gamma_numpy

    def _latex(self, printer: Any) -> str:
        a, x = self.args
        return rf"\Gamma\left({printer._print(a)}, {printer._print(x)}\right)"

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, x = self.args
        if argindex == 2:
            return -(x ** (a - 1)) * sp.exp(-x)
        raise sp.ArgumentIndexError(self, argindex)


def _numeric_form(expr: sp.Expr) -> sp.Expr:
    return expr.replace(sp.uppergamma, UpperGamma)


# ============================================================================ symbolic steps
@symbolic_cache
def _laplace(rho: sp.Expr) -> sp.Expr | None:
    """SymPy's ∫_0^∞ ρ(t) e^{−st} dt, or None if it has no closed form (unevaluated / Meijer G)."""
    try:
        G = sp.integrate(rho * sp.exp(-s * t), (t, 0, sp.oo), conds="none")
    except Exception:  # pragma: no cover - SymPy internal failures count as "no closed form"
        return None
    G = sp.hyperexpand(G)
    if G.has(sp.Integral) or G.has(sp.meijerg) or G.has(sp.nan) or G.has(sp.oo):
        return None
    return sp.simplify(G)


@symbolic_cache
def _integral(integrand: sp.Expr) -> sp.Expr | None:
    """SymPy's ∫_0^∞ integrand dt, or None."""
    try:
        val = sp.integrate(integrand, (t, 0, sp.oo), conds="none")
    except Exception:  # pragma: no cover
        return None
    val = sp.hyperexpand(val)
    if val.has(sp.Integral) or val.has(sp.meijerg) or val.has(sp.nan) or val.has(sp.oo):
        return None
    return sp.simplify(val)


# ============================================================================ regularity
@dataclass(frozen=True)
class Regularity:
    """What is known of a kernel ρ: the hypotheses the theorems of this package use.

    Attributes
    ----------
    integrable:
        ρ ∈ L¹(0, ∞) (every construction and norm needs it).
    continuous:
        ρ continuous on [0, ∞) (the Chebyshev construction and Jackson's theorem need it);
        ``jump_at`` is a lag where a jump was found, NaN otherwise.
    rate:
        Exponential decay rate r: |ρ(t)| ≲ e^{−rt} (inf: faster than any exponential; 0: slower,
        e.g. a power law).
    tail_exponent:
        p with |ρ(t)| ~ t^{−p} at large t (inf when ρ decays faster than any power).
    how:
        For each property, how it was established: ``"family"`` (a shipped family),
        ``"symbolic"`` (SymPy), ``"declared"`` (by the user), ``"estimated"`` (numerically, from
        samples of ρ; see :func:`estimate_regularity`).
    """

    integrable: bool
    continuous: bool
    rate: float
    tail_exponent: float
    jump_at: float = math.nan
    how: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def combine(self, other: Regularity) -> Regularity:
        """The regularity of a sum of two kernels."""
        how = {
            k: "/".join(sorted({self.how.get(k, ""), other.how.get(k, "")} - {""}))
            for k in set(self.how) | set(other.how)
        }
        return Regularity(
            self.integrable and other.integrable,
            self.continuous and other.continuous,
            min(self.rate, other.rate),
            min(self.tail_exponent, other.tail_exponent),
            self.jump_at if not self.continuous else other.jump_at,
            how,
        )


def _envelope(f: Callable[[np.ndarray], np.ndarray], T: float) -> float:
    """max |ρ| on 64 points of [T, 2T]."""
    return float(np.max(np.abs(f(np.linspace(T, 2 * T, 64)))))


def estimate_regularity(
    f: Callable[[np.ndarray], np.ndarray],
    *,
    continuous: bool | None = None,
    rate: float | None = None,
    tail_exponent: float | None = None,
) -> Regularity:
    r"""Estimate the regularity of ρ from samples (declared values are kept and marked so).

    * tail exponent: p̂ = log₁₀(E(10⁶)/E(10⁷)) with E(T) = max_{[T, 2T]} |ρ| (inf when both
      vanish); integrable iff p̂ > 1 (a power tail with p̂ ≤ 1 is not);
    * rate: r̂ = ln(E(T)/E(2T))/T at the largest T ∈ {10, 20, 40, ...} with E(2T) > 10⁻²⁰⁰E(0)
      (0 when p̂ < 50, i.e. a power-law tail);
    * continuity: the largest step max|ρ(t_{i+1}) − ρ(t_i)| on a grid uniform in ln(1+t) over
      [0, ln(1 + T_c)] (T_c = min(40/r̂, 10⁴)) with 2·10⁴ and 8·10⁴ points: it shrinks ≥ 2× for
      a continuous (Lipschitz or Hölder-½) ρ, stays for a jump (reported in ``jump_at``).
      A jump narrower than the grid step can be missed: declare ``continuous`` when known.
    """
    how: dict[str, str] = {}
    with np.errstate(all="ignore"):
        if tail_exponent is None:
            e6, e7 = _envelope(f, 1e6), _envelope(f, 1e7)
            p_hat = math.inf if e7 == 0.0 else math.log10(e6 / e7) if e6 > 0 else math.inf
            how["tail_exponent"] = "estimated"
        else:
            p_hat = float(tail_exponent)
            how["tail_exponent"] = "declared"
        if rate is None:
            if p_hat < 50:
                r_hat = 0.0
            else:
                scale = max(float(np.max(np.abs(f(np.linspace(0.0, 5.0, 101))))), 1e-300)
                r_hat = math.inf
                T = 10.0
                while T < 1e6:
                    e1, e2 = _envelope(f, T), _envelope(f, 2 * T)
                    if e2 <= 1e-200 * scale or e1 == 0.0:
                        break
                    r_hat = math.log(e1 / e2) / T
                    T *= 2
            how["rate"] = "estimated"
        else:
            r_hat = float(rate)
            how["rate"] = "declared"
        jump = math.nan
        if continuous is None:
            Tc = min(40.0 / r_hat, 1e4) if r_hat > 0 else 1e4
            steps = []
            for n in (20001, 80001):
                tt = np.expm1(np.linspace(0.0, math.log1p(Tc), n))
                d = np.abs(np.diff(f(tt)))
                steps.append((float(np.max(d)), float(tt[int(np.argmax(d))])))
            cont = not (steps[1][0] > 0.5 * steps[0][0] and steps[1][0] > 1e-12)
            if not cont:
                jump = steps[1][1]
            how["continuous"] = "estimated"
        else:
            cont = bool(continuous)
            how["continuous"] = "declared"
    how.setdefault("integrable", how["tail_exponent"])
    return Regularity(p_hat > 1, cont, r_hat, p_hat, jump, how)


_FAMILY_REGULARITY: dict[str, Callable[..., tuple[bool, float, float]]] = {
    # name → (continuous, rate, tail exponent) of one term with these parameter values
    "exponential": lambda b, v: (True, v, math.inf),
    "power_law": lambda p: (True, 0.0, p),
    "gaussian_bump": lambda A, mu: (True, math.inf, math.inf),
    "window": lambda t0, L: (False, math.inf, math.inf),
    "airy": lambda s0, t0: (True, math.inf, math.inf),
}


# ============================================================================ families
@dataclass(frozen=True)
class KernelFamily:
    """A parametrised memory kernel ρ(t; θ) with its derived transforms.

    Attributes
    ----------
    name:
        Family key (``"power_law"``).
    params:
        Parameter symbols θ, in call order.
    rho:
        ρ(t; θ).
    laplace:
        G(s; θ) = ∫_0^∞ ρ e^{−st} dt derived by SymPy, or None (quadrature).
    l1, l2sq:
        ‖ρ‖₁ and ‖ρ‖₂² derived by SymPy, or None (quadrature).
    nonnegative:
        ρ ≥ 0 (then ‖ρ‖₁ = G(0⁺)).
    support:
        A lag beyond which |ρ| is below 1e-17 of its scale (for quadrature), as a function of θ,
        or None for heavy tails.
    """

    name: str
    params: tuple[sp.Symbol, ...]
    rho: sp.Expr
    laplace: sp.Expr | None
    l1: sp.Expr | None
    l2sq: sp.Expr | None
    nonnegative: bool
    support: Callable[..., float] | None = None
    #: for user kernels (:func:`from_expression`, :func:`from_callable`): what is known of ρ
    regularity: Regularity | None = field(default=None, compare=False)

    @functools.cached_property
    def rho_fn(self) -> CompiledFunction | Callable[..., np.ndarray]:
        return compile_function(self.rho, [t, *self.params])

    @functools.cached_property
    def G_fn(self) -> CompiledFunction | None:
        if self.laplace is None:
            return None
        return compile_function(_numeric_form(self.laplace), [s, *self.params])

    @functools.cached_property
    def dG_fn(self) -> CompiledFunction | None:
        if self.laplace is None:
            return None
        return compile_function(_numeric_form(sp.diff(self.laplace, s)), [s, *self.params])

    @functools.cached_property
    def GdG_fn(self) -> CompiledFunction | None:
        """(G, G′) in one compiled call (hot loop of the gradient flow)."""
        if self.laplace is None:
            return None
        return compile_function(
            (_numeric_form(self.laplace), _numeric_form(sp.diff(self.laplace, s))),
            [s, *self.params],
        )

    @functools.cached_property
    def G_mp(self) -> CompiledFunction | None:
        if self.laplace is None:
            return None
        return compile_function(_numeric_form(self.laplace), [s, *self.params], backend="mpmath")


def _build_family(
    name: str,
    params: Sequence[sp.Symbol],
    rho: sp.Expr,
    *,
    nonnegative: bool,
    closed: bool = True,
    support: Callable[..., float] | None = None,
) -> KernelFamily:
    G = _laplace(rho) if closed else None
    if closed and nonnegative:
        l1 = _integral(rho)
    else:
        l1 = None
    l2sq = _integral(rho**2) if closed else None
    return KernelFamily(name, tuple(params), rho, G, l1, l2sq, nonnegative, support)


@functools.cache
def _family(name: str) -> KernelFamily:
    if name == "exponential":
        return KernelFamily(
            "exponential",
            (b_, v_),
            b_ * sp.exp(-v_ * t),
            _laplace(b_ * sp.exp(-v_ * t)),
            None,
            _integral((b_ * sp.exp(-v_ * t)) ** 2),
            False,
            lambda b, v: 45.0 / v,
        )
    if name == "power_law":
        return _build_family("power_law", (p_,), (1 + t) ** (-p_), nonnegative=True)
    if name == "gaussian_bump":
        # A may be negative: derive for A > 0 and keep the (linear in A) result
        Ap = sp.Symbol("A", positive=True)
        fam = _build_family(
            "gaussian_bump",
            (Ap, mu_),
            Ap * sp.exp(-((t - mu_) ** 2)),
            nonnegative=True,
            support=lambda A, mu: mu + 9.0,
        )
        return fam
    if name == "window":
        rho = sp.Heaviside(t - t0_, 1) * sp.Heaviside(t0_ + L_ - t, 1)
        G = sp.simplify((sp.exp(-s * t0_) - sp.exp(-s * (t0_ + L_))) / s)
        # verify SymPy's transform of the window equals the difference of shifted step transforms
        G_sym = sp.integrate(sp.exp(-s * t), (t, t0_, t0_ + L_))
        if sp.simplify(G_sym - G) != 0:  # pragma: no cover - the derivation validates itself
            raise AssertionError(f"window Laplace transform {G_sym} != {G}")
        return KernelFamily("window", (t0_, L_), rho, G, L_, L_, True, lambda t0, L: t0 + L)
    if name == "airy":
        rho = sp.airyai(s0_ * (t - t0_))
        return KernelFamily(
            "airy", (s0_, t0_), rho, None, None, None, False, lambda s0, t0: t0 + 20.0 / s0
        )
    raise ParameterError("family", name, f"one of {sorted(FAMILIES)}")


FAMILIES = ("exponential", "power_law", "gaussian_bump", "window", "airy")


def family(name: str) -> KernelFamily:
    """The :class:`KernelFamily` called ``name`` (derived on first use, cached on disk)."""
    return _family(name)


# ============================================================================ kernels
@dataclass(frozen=True)
class _Term:
    family: KernelFamily
    values: tuple[float, ...]


@dataclass(frozen=True)
class MemoryKernel:
    """A memory kernel ρ = Σ_k ρ_k(t; θ_k), a sum of family terms.

    Use the constructors :func:`exponential_sum`, :func:`power_law`, :func:`gaussian_bump`,
    :func:`airy_kernel`, :func:`shifted_window`, :func:`from_expression`, and ``+`` to add kernels.

    Attributes
    ----------
    terms:
        The family terms.
    label:
        Human-readable label.
    """

    terms: tuple[_Term, ...]
    label: str
    methods: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __add__(self, other: MemoryKernel) -> MemoryKernel:
        return MemoryKernel(self.terms + other.terms, f"{self.label} + {other.label}")

    # ----------------------------------------------------------------- evaluation
    @property
    def expr(self) -> sp.Expr:
        """ρ(t) as a SymPy expression with the parameter values substituted."""
        return sp.Add(
            *[
                tm.family.rho.subs(
                    dict(zip(tm.family.params, map(sp.nsimplify, tm.values), strict=True))
                )
                for tm in self.terms
            ]
        )

    def __call__(self, tt: Any) -> np.ndarray:
        """ρ(t) for lags t ≥ 0, vectorised (compiled family expressions).

        Raises
        ------
        ParameterError
            For a negative or non-finite lag (ρ is defined on t ≥ 0).
        """
        tt = np.asarray(tt, dtype=float)
        if not np.all(tt >= 0):  # also catches NaN
            raise ParameterError("t", tt, "lags t >= 0 (finite; rho is defined on t >= 0)")
        return cast(np.ndarray, sum(tm.family.rho_fn(tt, *tm.values) for tm in self.terms))

    def regularity(self) -> Regularity:
        """What is known of ρ (:class:`Regularity`): from the family for shipped kernels, checked
        symbolically or estimated numerically (or declared) for user kernels."""
        out: Regularity | None = None
        for tm in self.terms:
            if tm.family.regularity is not None:
                r = tm.family.regularity
            else:
                cont, rate, p = _FAMILY_REGULARITY[tm.family.name](*tm.values)
                jump = tm.values[0] if tm.family.name == "window" else math.nan
                r = Regularity(
                    True,
                    cont,
                    rate,
                    p,
                    jump,
                    dict.fromkeys(("integrable", "continuous", "rate", "tail_exponent"), "family"),
                )
            out = r if out is None else out.combine(r)
        assert out is not None  # a kernel has >= 1 term
        return out

    @property
    def closed_form(self) -> bool:
        """Whether G(s) is a compiled SymPy closed form for every term."""
        return all(tm.family.G_fn is not None for tm in self.terms)

    @property
    def heavy_tail(self) -> bool:
        return any(tm.family.support is None for tm in self.terms)

    def support(self) -> float:
        """A lag beyond which the kernel is negligible (inf for heavy tails)."""
        if self.heavy_tail:
            return math.inf
        # not heavy_tail: every support is not None (mypy cannot narrow through any())
        return max(cast(Callable[..., float], tm.family.support)(*tm.values) for tm in self.terms)

    def laplace(self, ss: Any) -> np.ndarray:
        """G(s) = ∫_0^∞ ρ(t) e^{−st} dt for s > 0 (compiled closed form; Gauss–Legendre otherwise;
        where a closed form overflows, e.g. s^{p−1}e^{s}Γ(1−p, s) at s ≳ 700, Gauss–Laguerre in
        u = st, exact as s → ∞).

        Raises
        ------
        ParameterError
            Unless every s is finite and > 0 (G(0) = ∫ρ may diverge; s < 0 diverges).
        """
        ss = _check_s(ss)
        out = np.zeros(ss.shape)
        for tm in self.terms:
            if tm.family.G_fn is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    out = out + _finite_or_laguerre(tm.family.G_fn(ss, *tm.values), tm, ss, 0)
            else:
                out = out + _quad_laplace(tm, ss, 0)
        return out

    def dlaplace(self, ss: Any) -> np.ndarray:
        """G′(s) = −∫_0^∞ t ρ(t) e^{−st} dt for s > 0 (as :meth:`laplace`)."""
        ss = _check_s(ss)
        out = np.zeros(ss.shape)
        for tm in self.terms:
            if tm.family.dG_fn is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    out = out + _finite_or_laguerre(tm.family.dG_fn(ss, *tm.values), tm, ss, 1)
            else:
                out = out - _quad_laplace(tm, ss, 1)
        return out

    def laplace_and_derivative(self, ss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(G(s), G′(s)) with one compiled call per term."""
        ss = np.asarray(ss, dtype=float)
        G = np.zeros(ss.shape)
        dG = np.zeros(ss.shape)
        for tm in self.terms:
            f = tm.family.GdG_fn
            if f is not None:
                # hot loop: the raw lambdified function (float arrays in, same shape out)
                g0, g1 = f.func(ss, *tm.values)
            else:
                g0, g1 = _quad_laplace(tm, ss, 0), -_quad_laplace(tm, ss, 1)
            G = G + g0
            dG = dG + g1
        return G, dG

    def laplace_mp(self, sv: Any) -> Any:
        """G(s) in mpmath precision (closed forms only)."""
        import mpmath

        total = mpmath.mpf(0)
        for tm in self.terms:
            if tm.family.G_mp is None:
                raise ParameterError(
                    "kernel",
                    self.label,
                    "a kernel whose Laplace transform has a closed form (mpmath backend)",
                )
            total += tm.family.G_mp(sv, *[mpmath.mpf(x) for x in tm.values])
        return total

    def l1_norm(self) -> float:
        """‖ρ‖_{L¹} = sup_t ‖H_t‖ (LHEL Sec. 3): closed form when every term is nonnegative, else quadrature."""
        if all(
            tm.family.nonnegative
            and tm.family.l1 is not None
            and (tm.family.name != "gaussian_bump" or tm.values[0] > 0)
            for tm in self.terms
        ):
            self.methods["l1"] = "closed form"
            # every l1 is not None (checked just above; mypy cannot narrow through all())
            return float(
                sum(
                    float(
                        cast(sp.Expr, tm.family.l1).subs(
                            dict(zip(tm.family.params, tm.values, strict=True))
                        )
                    )
                    for tm in self.terms
                )
            )
        self.methods["l1"] = "quadrature"
        return l1_distance(self, lambda x: np.zeros_like(x))

    def l2_norm_sq(self) -> float:
        """‖ρ‖²_{L²} = ∫_0^∞ ρ² (closed-form squares; cross terms with exponentials via G; quadrature otherwise)."""
        total = 0.0
        n = len(self.terms)
        exact = True
        for i in range(n):
            ti = self.terms[i]
            if ti.family.l2sq is not None:
                total += float(
                    ti.family.l2sq.subs(dict(zip(ti.family.params, ti.values, strict=True)))
                )
            else:
                exact = False
                total += _quad_product(ti, ti)
            for j in range(i + 1, n):
                tj = self.terms[j]
                if ti.family.name == "exponential" and tj.family.G_fn is not None:
                    total += 2 * ti.values[0] * float(tj.family.G_fn(ti.values[1], *tj.values))
                elif tj.family.name == "exponential" and ti.family.G_fn is not None:
                    total += 2 * tj.values[0] * float(ti.family.G_fn(tj.values[1], *ti.values))
                else:
                    exact = False
                    total += 2 * _quad_product(ti, tj)
        self.methods["l2"] = "closed form" if exact else "quadrature (some terms)"
        return total


def _check_s(ss: Any) -> np.ndarray:
    ss = np.asarray(ss, dtype=float)
    if not (np.all(np.isfinite(ss)) and np.all(ss > 0)):
        raise ParameterError("s", ss, "finite Laplace variables s > 0")
    return ss


def _finite_or_laguerre(vals: np.ndarray, tm: _Term, ss: np.ndarray, moment: int) -> np.ndarray:
    """Closed-form values, with non-finite entries (overflow of e^{s}Γ(·, s) at large s) replaced
    by Gauss–Laguerre in u = st: ∫ t^m ρ(t) e^{−st} dt = s^{−1−m} ∫ u^m ρ(u/s) e^{−u} du (60 nodes;
    accurate when ρ is smooth on the scale 1/s, i.e. exactly where the closed form overflows)."""
    vals = np.array(vals, dtype=float)
    bad = ~np.isfinite(vals)
    if np.any(bad):
        u, w = np.polynomial.laguerre.laggauss(60)
        sb = ss[bad]
        rho = tm.family.rho_fn(np.divide.outer(u, sb), *tm.values)  # (60, nb)
        val = (w * u**moment) @ rho / sb ** (1 + moment)
        vals[bad] = -val if moment == 1 else val
    return vals


@functools.lru_cache(maxsize=64)
def _gl_grid_cached(T: float, order: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre on [0, T]: panels of length ≤ 2, ``order`` nodes each."""
    panels = max(1, int(np.ceil(T / 2.0)))
    edges = np.linspace(0.0, T, panels + 1)
    xg, wg = np.polynomial.legendre.leggauss(order)
    h = edges[1] - edges[0]
    x = (edges[:-1, None] + 0.5 * h * (xg[None, :] + 1)).reshape(-1)
    w = np.tile(0.5 * h * wg, panels)
    return x, w


def _gl_grid(tm: _Term) -> tuple[np.ndarray, np.ndarray]:
    T = float(tm.family.support(*tm.values)) if tm.family.support else 200.0
    return _gl_grid_cached(T)


def _quad_laplace(tm: _Term, ss: np.ndarray, moment: int) -> np.ndarray:
    """∫_0^T t^moment ρ(t) e^{−st} dt by composite Gauss–Legendre (panels of length 2, 24 nodes; T =
    support, beyond which Ai decays like e^{−(2/3)x^{3/2}}: error < 1e-13 for the Airy family).

    User kernels that decay slowly (rate·200 < 40, e.g. power tails) use :func:`_quad_laplace_log`
    instead: the cut at T = 200 would miss their tail."""
    reg = tm.family.regularity
    if reg is not None and reg.rate * 200.0 < 40.0:
        return _quad_laplace_log(tm, ss, moment)
    x, vals = _gl_weights(tm, moment)
    return np.exp(-np.multiply.outer(ss, x)) @ vals


_LOG_T = 1e8  # horizon of the log-grid quadrature of slowly decaying user kernels


def _log_grid(panels: int, order: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre in v = ln(1+t) on [0, ln(1+10⁸)]: nodes t and weights dt."""
    x, w = _gl_grid_log_cached(panels, order)
    return x, w


@functools.lru_cache(maxsize=8)
def _gl_grid_log_cached(panels: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    V = math.log1p(_LOG_T)
    xg, wg = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(0.0, V, panels + 1)
    h = edges[1] - edges[0]
    v = (edges[:-1, None] + 0.5 * h * (xg[None, :] + 1)).reshape(-1)
    tt = np.expm1(v)
    return tt, np.tile(0.5 * h * wg, panels) * (1 + tt)


def _quad_laplace_log(tm: _Term, ss: np.ndarray, moment: int) -> np.ndarray:
    """∫_0^∞ t^m ρ(t) e^{−st} dt for a slowly decaying ρ: Gauss–Legendre in v = ln(1+t) (400
    panels × 16 nodes on [0, ln(1+10⁸)]), spectrally accurate for ρ smooth in v. Error estimate:
    the difference to 200 panels (recorded by :func:`laplace_quadrature_error`). The part beyond
    t = 10⁸ is below e^{−10⁸s}∫_{10⁸}^∞|ρ|, negligible for s ≫ 10⁻⁷."""
    x, w = _log_grid(400)
    vals = tm.family.rho_fn(x, *tm.values) * w * x**moment
    return np.exp(-np.multiply.outer(ss, x)) @ vals


def laplace_quadrature_error(kernel: MemoryKernel, ss: Any) -> np.ndarray:
    """Error estimate of :meth:`MemoryKernel.laplace` at ``ss`` for the terms computed by
    quadrature: |Q_400 − Q_200| for log-grid terms, |Q − Q_{2×}| (panels halved) for the
    composite Gauss–Legendre terms (12 instead of 24 nodes per panel); 0 for closed forms."""
    ss = _check_s(ss)
    err = np.zeros(ss.shape)
    for tm in kernel.terms:
        if tm.family.G_fn is not None:
            continue
        reg = tm.family.regularity
        if reg is not None and reg.rate * 200.0 < 40.0:
            x, w = _log_grid(200)
            coarse = np.exp(-np.multiply.outer(ss, x)) @ (tm.family.rho_fn(x, *tm.values) * w)
            err += np.abs(coarse - _quad_laplace_log(tm, ss, 0))
        else:
            T = float(tm.family.support(*tm.values)) if tm.family.support else 200.0
            x, w = _gl_grid_cached(T, 12)
            coarse = np.exp(-np.multiply.outer(ss, x)) @ (tm.family.rho_fn(x, *tm.values) * w)
            err += np.abs(coarse - _quad_laplace(tm, ss, 0))
    return err


_GL_WEIGHTS: dict[tuple[str, tuple[float, ...], int], tuple[np.ndarray, np.ndarray]] = {}


def _gl_weights(tm: _Term, moment: int) -> tuple[np.ndarray, np.ndarray]:
    if tm.family.regularity is not None:
        # user families share the name "user": cache on the family object itself
        own = tm.family.__dict__.setdefault("_gl_weights", {})
        if (tm.values, moment) not in own:
            x, w = _gl_grid(tm)
            own[(tm.values, moment)] = (x, tm.family.rho_fn(x, *tm.values) * w * x**moment)
        return cast(tuple[np.ndarray, np.ndarray], own[(tm.values, moment)])
    key = (tm.family.name, tm.values, moment)
    if key not in _GL_WEIGHTS:
        x, w = _gl_grid(tm)
        _GL_WEIGHTS[key] = (x, tm.family.rho_fn(x, *tm.values) * w * x**moment)
    return _GL_WEIGHTS[key]


def _quad_product(a: _Term, b: _Term) -> float:
    T = max(
        float(a.family.support(*a.values)) if a.family.support else math.inf,
        float(b.family.support(*b.values)) if b.family.support else math.inf,
    )

    def f(x: float) -> float:
        return float(a.family.rho_fn(x, *a.values) * b.family.rho_fn(x, *b.values))

    val, _ = si.quad(f, 0, T, limit=400, epsabs=1e-13, epsrel=1e-11)
    return float(val)


def l1_distance(
    kernel: MemoryKernel,
    other: Callable[[np.ndarray], np.ndarray],
    *,
    T: float | None = None,
    panels: int = 3000,
    order: int = 10,
) -> float:
    r"""‖ρ − ρ̂‖_{L¹} = ∫_0^∞ |ρ − ρ̂| dt — the approximation error sup_t ‖H_t − Ĥ_t‖ (LHEL Sec. 3).

    Composite Gauss–Legendre (``panels`` × ``order`` nodes) in v = ln(1+t) on [0, ln(1+T)].
    Error model: the integrand is smooth except at the zero crossings of ρ − ρ̂ (kinks of |·|),
    each costing O(h²·|e′|) with h = ln(1+T)/panels, well below 1e-8 relative for the kernels used
    here. For heavy tails T = 1e8 and the power-law tail ∫_T^∞ (1+t)^{−p} = (1+T)^{1−p}/(p−1) is
    added exactly (ρ̂, a finite exponential sum with rates ≫ 1/T, is negligible there).
    """
    Tc = T if T is not None else (kernel.support() if not kernel.heavy_tail else 1e8)
    V = math.log1p(Tc)
    xg, wg = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(0.0, V, panels + 1)
    h = edges[1] - edges[0]
    v = (edges[:-1, None] + 0.5 * h * (xg[None, :] + 1)).reshape(-1)
    wv = np.tile(0.5 * h * wg, panels)
    x = np.expm1(v)
    total = float(np.sum(wv * (1 + x) * np.abs(kernel(x) - other(x))))
    if kernel.heavy_tail and T is None:
        for tm in kernel.terms:
            if tm.family.name == "power_law":
                p = tm.values[0]
                total += (1 + Tc) ** (1 - p) / (p - 1)
            elif tm.family.regularity is not None:
                # user term: the tail of |ρ| beyond T as that of a power law with the estimated
                # (or declared) exponent p > 1: |ρ(T)|(1+T)/(p−1) (exact for (1+t)^{−p})
                reg = tm.family.regularity
                rT = abs(float(tm.family.rho_fn(np.array([Tc]), *tm.values)[0]))
                if rT > 0.0 and 1.0 < reg.tail_exponent < math.inf:
                    total += rT * (1 + Tc) / (reg.tail_exponent - 1)
    return total


# ============================================================================ constructors
def _pos(name: str, x: float) -> float:
    require(
        isinstance(x, (int, float, np.floating)) and math.isfinite(x) and x > 0,
        name,
        x,
        f"a finite number {name} > 0",
    )
    return float(x)


def exponential_sum(b: Sequence[float], v: Sequence[float]) -> MemoryKernel:
    """ρ(t) = Σ_j b_j e^{−v_j t}, v_j > 0."""
    b = [float(x) for x in np.atleast_1d(b)]
    v = [float(x) for x in np.atleast_1d(v)]
    require(len(b) == len(v) and len(b) >= 1, "b, v", (b, v), "sequences of equal length >= 1")
    for x in b:
        require(math.isfinite(x), "b", b, "finite coefficients")
    for x in v:
        require(math.isfinite(x) and x > 0, "v", v, "decay rates v_j > 0 (integrable kernel)")
    fam = family("exponential")
    label = " + ".join(f"{bj:g}e^(-{vj:g}t)" for bj, vj in zip(b, v, strict=True))
    return MemoryKernel(tuple(_Term(fam, (bj, vj)) for bj, vj in zip(b, v, strict=True)), label)


def power_law(p: float) -> MemoryKernel:
    """ρ(t) = (1+t)^{−p}; integrable only for p > 1 (ρ ∈ L¹ is required, LHEL Sec. 3)."""
    require(
        isinstance(p, (int, float)) and math.isfinite(p) and p > 1,
        "p",
        p,
        "p > 1 (for p <= 1 the kernel (1+t)^-p is not integrable)",
    )
    return MemoryKernel((_Term(family("power_law"), (float(p),)),), f"(1+t)^-{p:g}")


def gaussian_bump(A: float, mu: float) -> MemoryKernel:
    """ρ(t) = A e^{−(t−μ)²}: memory concentrated at lag μ (the delayed-memory target of
    derivation ``linear_memory_plateau``)."""
    require(math.isfinite(A) and A != 0, "A", A, "a finite nonzero amplitude")
    return MemoryKernel(
        (_Term(family("gaussian_bump"), (float(A), _pos("mu", mu))),), f"{A:g}exp(-(t-{mu:g})^2)"
    )


def airy_kernel(t0: float, s0: float = 1.0) -> MemoryKernel:
    """ρ(t) = Ai(s₀(t − t₀)): no closed-form Laplace transform on the half line (quadrature)."""
    return MemoryKernel(
        (_Term(family("airy"), (_pos("s0", s0), _pos("t0", t0))),), f"Ai({s0:g}(t-{t0:g}))"
    )


def shifted_window(t0: float, L: float) -> MemoryKernel:
    """ρ(t) = 1 on [t₀, t₀+L], 0 elsewhere (memory at a fixed lag window)."""
    return MemoryKernel(
        (_Term(family("window"), (_pos("t0", t0), _pos("L", L))),), f"1[{t0:g},{t0 + L:g}]"
    )


def from_expression(
    expr: str | sp.Expr | Callable[[np.ndarray], Any],
    *,
    name: str = "user",
    derive_transforms: bool = True,
    **regularity: Any,
) -> MemoryKernel:
    """A user-supplied kernel: a SymPy expression (or string) whose only free symbol is ``t``, or
    a Python callable ρ(t) (passed on to :func:`from_callable` with ``regularity``).

    Integrability is required: t^{1+1/100} ρ(t) → 0 as t → ∞ (checked by ``sympy.limit``),
    which excludes e.g. (1+t)^{−p}, p ≤ 1.01; ρ must be finite on [0, ∞) (jumps allowed:
    continuity is checked by SymPy's ``continuous_domain`` where it can decide, estimated
    numerically otherwise, and recorded in :meth:`MemoryKernel.regularity`).
    ``derive_transforms=False`` skips SymPy's Laplace transform (slow for piecewise expressions);
    G then comes from quadrature.

    Raises
    ------
    ParameterError
        Not an expression, string or callable; free symbols other than t; a kernel that is not
        integrable; not finite at t = 0 or somewhere on t ≥ 0 (NaN, a pole).
    """
    if callable(expr) and not isinstance(expr, sp.Basic):
        return from_callable(expr, name=name, **regularity)
    require(
        not regularity,
        "regularity",
        sorted(regularity),
        "no regularity keywords for an expression (SymPy checks it); they are for callables",
    )
    if isinstance(expr, str):
        tt = sp.Symbol("t")
        try:
            e = sp.sympify(expr, locals={"t": tt}).subs(tt, t)
        except (sp.SympifyError, SyntaxError, TypeError, ValueError, AttributeError) as exc:
            raise ParameterError(
                "expr", expr, f"a SymPy expression in t (could not parse: {exc})"
            ) from None
    elif isinstance(expr, (sp.Expr, int, float)):
        e = sp.sympify(expr)
        e = e.subs({sym: t for sym in e.free_symbols if sym.name == "t" and sym != t})
    else:
        raise ParameterError(
            "expr",
            repr(expr)[:80],
            "a SymPy expression in t, a string SymPy parses, or a callable rho(t)",
        )
    require(isinstance(e, sp.Expr), "expr", str(expr), "a scalar SymPy expression in t")
    extra = sorted(str(x) for x in e.free_symbols if x != t)
    require(
        not extra,
        "expr",
        str(expr),
        f"an expression in t only; free symbols {extra} must be given values",
    )
    require(e.free_symbols == {t}, "expr", str(expr), "an expression depending on t")
    try:
        lim = sp.limit(t ** sp.Rational(101, 100) * e, t, sp.oo)
    except Exception:  # noqa: BLE001 - SymPy cannot decide: judged from the numeric tail below
        lim = None
    require(
        lim is None or lim == 0,
        "expr",
        str(expr),
        "an integrable kernel: t^1.01 rho(t) -> 0 as t -> oo (rho in L^1)",
    )
    v0 = e.subs(t, 0)
    require(
        bool(v0.is_finite) or v0.is_finite is None, "expr", str(expr), "a kernel finite at t = 0"
    )
    fn = compile_function(e, [t])
    _require_finite_samples(fn, "expr", str(expr))
    # continuity on [0, ∞): SymPy where it decides, estimated otherwise
    cont: bool | None
    try:
        dom = continuous_domain(e, t, sp.Interval(0, sp.oo))
    except (NotImplementedError, ValueError, TypeError):
        cont = None  # SymPy cannot decide (Heaviside, Piecewise, ...): estimated below
    else:
        cont = bool(dom == sp.Interval(0, sp.oo))
        require(
            cont or e.has(sp.Piecewise, sp.Heaviside, sp.sign, sp.floor, sp.ceiling, sp.frac),
            "expr",
            str(expr),
            f"a kernel finite on t >= 0 (SymPy finds it continuous only on {dom})",
        )
    reg = estimate_regularity(fn, continuous=cont)
    how = dict(reg.how)
    how["integrable"] = "symbolic" if lim is not None else how["integrable"]
    if cont is not None:
        how["continuous"] = "symbolic"
    reg = Regularity(
        lim is not None or reg.integrable,
        reg.continuous,
        reg.rate,
        reg.tail_exponent,
        reg.jump_at,
        how,
    )
    require(
        reg.integrable,
        "expr",
        str(expr),
        f"an integrable kernel (rho in L^1); its tail decays like t^-{reg.tail_exponent:.3g}",
    )
    G = _laplace(e) if derive_transforms else None
    l2 = _integral(e**2) if G is not None else None
    fam = KernelFamily(name, (), e, G, None, l2, False, None, reg)
    kern = MemoryKernel((_Term(fam, ()),), str(e))
    kern.methods["laplace"] = "closed form" if G is not None else "quadrature"
    return kern


def _require_finite_samples(f: Callable[[np.ndarray], Any], arg: str, shown: Any) -> None:
    """ρ finite at 0 and on 2001 points uniform in ln(1+t) up to t = 10⁸ (NaN, inf, complex or a
    wrong shape are refused)."""
    tt = np.concatenate([[0.0], np.expm1(np.linspace(0.0, math.log1p(1e8), 2001))])
    try:
        with np.errstate(all="ignore"):
            vals = np.asarray(f(tt))
    except Exception as exc:  # noqa: BLE001 - a user callable may raise anything
        raise ParameterError(
            arg, shown, f"a kernel rho(t) evaluable on arrays of lags t >= 0 (raised {exc!r})"
        ) from None
    require(
        vals.shape == tt.shape and np.isrealobj(vals),
        arg,
        shown,
        f"real values of the shape of t (got shape {vals.shape}, dtype {vals.dtype})",
    )
    bad = ~np.isfinite(vals.astype(float))
    require(
        not bool(np.any(bad)),
        arg,
        shown,
        "a kernel finite for every t >= 0 "
        f"(non-finite at t = {tt[bad][:3].tolist() if np.any(bad) else []})",
    )


class _UserCallable:
    """A user's ρ(t) as the workbench calls it: float arrays in, float arrays of the same shape
    out; a non-finite value raises ParameterError (never a silent NaN)."""

    def __init__(self, fn: Callable[[np.ndarray], Any], label: str) -> None:
        self.fn = fn
        self.label = label

    def __call__(self, tt: Any, *params: Any) -> np.ndarray:
        tt = np.asarray(tt, dtype=float)
        with np.errstate(all="ignore"):
            out = np.asarray(self.fn(tt), dtype=float)
        out = np.broadcast_to(out, tt.shape)
        if not np.all(np.isfinite(out)):
            bad = tt[~np.isfinite(out)] if tt.ndim else tt
            raise ParameterError(
                "rho", self.label, f"a callable finite for every t >= 0 (NaN/inf at t = {bad})"
            )
        return out


@dataclass(frozen=True, eq=False)
class _CallableFamily(KernelFamily):
    """A user callable as a family; compared by identity (two callables may share a name)."""

    fn: Callable[..., Any] | None = field(default=None, compare=False)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    @functools.cached_property
    def rho_fn(self) -> Callable[..., np.ndarray]:
        assert self.fn is not None
        return _UserCallable(self.fn, self.name)


def from_callable(
    fn: Callable[[np.ndarray], Any],
    *,
    name: str = "user",
    continuous: bool | None = None,
    rate: float | None = None,
    tail_exponent: float | None = None,
) -> MemoryKernel:
    """A user kernel given as a Python callable ρ(t) (vectorised over a float array of lags).

    Its regularity is declared (``continuous``: ρ continuous on [0, ∞); ``rate``: exponential
    decay rate; ``tail_exponent``: p with |ρ| ~ t^{−p}) or else estimated from samples
    (:func:`estimate_regularity`) and reported in :meth:`MemoryKernel.regularity`, marked
    ``"declared"`` or ``"estimated"``. Transforms and norms come from quadrature
    (``kernel.methods``; :func:`laplace_quadrature_error` estimates the Laplace error).

    Raises
    ------
    ParameterError
        ``fn`` not callable; not evaluable on arrays, or non-finite (NaN/inf) somewhere on
        [0, 10⁸]; a tail exponent ≤ 1 (not integrable), declared or estimated; a declared rate or
        exponent that is not a number ≥ 0.
    """
    require(callable(fn), "fn", repr(fn)[:80], "a callable rho(t) of an array of lags t >= 0")
    require(isinstance(name, str) and name != "", "name", name, "a non-empty string")
    for arg, val in (("rate", rate), ("tail_exponent", tail_exponent)):
        require(
            val is None or (isinstance(val, (int, float)) and not math.isnan(val) and val >= 0),
            arg,
            val,
            "None (estimated) or a number >= 0",
        )
    require(
        continuous is None or isinstance(continuous, bool),
        "continuous",
        continuous,
        "None (estimated) or a bool",
    )
    _require_finite_samples(fn, "fn", getattr(fn, "__name__", repr(fn)[:60]))
    wrapped = _UserCallable(fn, name)
    reg = estimate_regularity(
        wrapped, continuous=continuous, rate=rate, tail_exponent=tail_exponent
    )
    require(
        reg.integrable,
        "fn",
        getattr(fn, "__name__", repr(fn)[:60]),
        f"an integrable kernel (rho in L^1): its tail decays like t^-{reg.tail_exponent:.3g} "
        f"({reg.how['tail_exponent']}); an exponent > 1 is required",
    )
    fam = _CallableFamily(
        name, (), sp.Function(name, real=True)(t), None, None, None, False, None, reg, fn
    )
    kern = MemoryKernel((_Term(fam, ()),), name)
    kern.methods["laplace"] = "quadrature"
    return kern


# ============================================================================ derivation
@functools.cache
def kernel_family_derivation() -> Derivation:
    """Laplace transforms and norms of the kernel families, derived by SymPy."""
    steps: list[Step] = []
    Gf = sp.Function("G", real=True)
    rho_f = sp.Function("rho", real=True)
    n1 = sp.Symbol(r"\|\rho\|_{1}", nonnegative=True)
    n2 = sp.Symbol(r"\|\rho\|_{2}^{2}", nonnegative=True)
    for name, title in [
        ("exponential", "Exponential kernel"),
        ("power_law", "Power law"),
        ("gaussian_bump", "Gaussian bump"),
        ("window", "Shifted window"),
    ]:
        fam = family(name)
        steps.append(Step(f"{name}_kernel", sp.Eq(rho_f(t), fam.rho), title=title))
        steps.append(
            Step(
                f"{name}_laplace",
                sp.Eq(Gf(s), fam.laplace),
                r"Laplace transform:" if name == "exponential" else "",
            )
        )
        if fam.l1 is not None:
            steps.append(
                Step(
                    f"{name}_l1",
                    sp.Eq(n1, fam.l1),
                    r"$L^1$ norm, the norm $\sup_t\|H_t\|$ of the functional:"
                    if name == "power_law"
                    else "",
                )
            )
        if fam.l2sq is not None:
            steps.append(
                Step(
                    f"{name}_l2",
                    sp.Eq(n2, fam.l2sq),
                    r"squared $L^2$ norm, the white-noise loss of the zero model:"
                    if name == "exponential"
                    else "",
                )
            )
    pl32 = sp.simplify(_laplace((1 + t) ** sp.Rational(-3, 2)))
    steps.append(
        Step(
            "power_law_three_halves",
            sp.Eq(Gf(s), pl32),
            r"At $p=3/2$ SymPy reduces $\Gamma(-\tfrac12,s)$ to the complementary error function:",
            title="Power law with exponent 3/2",
        )
    )
    airy = family("airy")
    steps.append(
        Step(
            "airy_kernel",
            sp.Eq(rho_f(t), airy.rho),
            r"The Airy family has no closed-form Laplace transform on the half line; $G$ and "
            r"$G'$ are computed by panel Gauss--Legendre quadrature on $[0,t_0+20/s_0]$.",
            title="Airy kernel",
        )
    )
    return Derivation(
        name="linear_memory_kernels",
        title="Memory kernels: Laplace transforms and norms",
        steps=steps,
        references=[Reference(LHEL.work, "Sec. 3", key="li2022")],
        summary=(
            r"The targets are linear functionals $H_t(x)=\int_0^\infty x_{t-s}\rho(s)\,ds$ with a "
            r"memory kernel $\rho$ (Riesz representation, \cite[Sec. 3]{li2022}). For each family "
            r"of kernels SymPy derives the Laplace transform $G(s)=\int_0^\infty\rho(t)e^{-st}dt$, "
            r"the $L^1$ norm and the squared $L^2$ norm; the solvers compile these expressions."
        ),
    )


@derivation("linear_memory_kernels", theory="linear_memory")
def _registered_kernels() -> Derivation:
    return kernel_family_derivation()
