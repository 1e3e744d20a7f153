r"""Approximation of linear functionals by linear RNNs: the constructive Jackson-type rate, best
coefficients for given rates, and the stable-vs-free contrast on power-law memory.

LHEL = Li, Han, E, Li, "Approximation and optimization theory for linear continuous-time recurrent
neural networks", JMLR 23 (2022).

* **Constructive diagonal RNN** (our constructive proof of the mechanism of LHEL Thm 10):
  with u = e^{−β′t} and q(u) = e^{β′t} ρ(t), let P be the degree-(m−1) Chebyshev interpolant of q
  on [0, 1]; then ρ̂(t) = e^{−β′t} P(e^{−β′t}) = Σ_{j=1}^m p_{j−1} e^{−jβ′t} is a width-m diagonal RNN
  and ‖ρ − ρ̂‖_{L¹} = ∫ e^{−β′t}|q − P|(u) dt ≤ ‖q − P‖_∞ / β′ (derivation
  :func:`construction_derivation`).
* **Best coefficients** for fixed rates: minimising J = ∫(ρ̂ − ρ)² over a gives the Cauchy system
  Σ_k a_k/(w_i + w_k) = G(w_i) (the stationarity ∂J/∂a_i = 2E(w_i) = 0 of :mod:`.loss`), solved in
  mpmath because Cauchy matrices are exponentially ill-conditioned.
* **Stable class bound** (ours, the quantitative side of LHEL Thm 11 for nonnegative targets): if
  every rate is ≥ β and Σ|a_i| ≤ A, then |ρ̂(t)| ≤ A e^{−βt}, so for every width m
  ‖ρ − ρ̂‖_{L¹} ≥ ∫_0^∞ (ρ − A e^{−βt})_+ dt =: L(A, β); for ρ = (1+t)^{−p} beyond the last
  crossing T* this is derived by SymPy (:func:`stable_floor_derivation`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import scipy.optimize as so
import sympy as sp
from numpy.polynomial import chebyshev as C

from theory.errors import ConvergenceError, is_finite_number, require
from theory.linear_memory.kernels import LHEL, MemoryKernel, t
from theory.linear_memory.model import DiagonalRNN, check_width
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = [
    "ChebyshevApproximation",
    "chebyshev_construction",
    "BestFit",
    "best_coefficients",
    "construction_derivation",
    "stable_floor",
    "stable_floor_kernel",
    "stable_floor_derivation",
    "free_rates",
    "stable_rates",
    "nonnegative_fit",
]

beta = sp.Symbol("beta", positive=True)
u = sp.Symbol("u", positive=True)
A_ = sp.Symbol("A", positive=True)
p_ = sp.Symbol("p", positive=True)
T_ = sp.Symbol("T", positive=True)


# ============================================================================ derivations
@functools.cache
def construction_derivation() -> Derivation:
    """u = e^{−β′t}: exponential sums become polynomials; the L¹ error bound of the construction."""
    rho = sp.Function("rho", real=True)
    q = sp.Function("q", real=True)
    P = sp.Function("P", real=True)
    j = sp.Symbol("j", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    pj = sp.IndexedBase("p", real=True)
    Mq = sp.Symbol(r"\|q-P\|_\infty", nonnegative=True)
    # SymPy: dt = -du/(beta u) and e^{-beta t} = u; ∫_0^∞ e^{-βt} dt = 1/β
    t_of_u = sp.solve(sp.Eq(u, sp.exp(-beta * t)), t)[0]
    dt_du = sp.simplify(sp.diff(t_of_u, u))
    weight_int = sp.integrate(sp.exp(-beta * t), (t, 0, sp.oo))
    monomial = sp.simplify(sp.exp(-beta * t) * sp.exp(-beta * t) ** (j - 1))
    bound = Mq * weight_int
    steps = [
        Step(
            "change_of_variables",
            sp.Eq(t, t_of_u),
            r"The half line maps to $(0,1]$ by $u=e^{-\beta t}$, as in the proof of "
            r"\cite[Thm. 7]{li2022}:",
            title="Change of variables",
        ),
        Step("jacobian", sp.Eq(sp.Derivative(t, u), dt_du), "so that"),
        Step(
            "rescaled_target",
            sp.Eq(q(u), sp.exp(beta * t_of_u) * rho(t_of_u)),
            r"The rescaled target $q(u)=e^{\beta t}\rho(t)$ is continuous on $[0,1]$ with "
            r"$q(0)=0$ when $\beta$ is below the decay rate of $\rho$:",
            title="Rescaled target",
        ),
        Step(
            "monomial_is_neuron",
            sp.Eq(sp.exp(-beta * t) * u ** (j - 1), monomial),
            r"A monomial $u^{j-1}$ times the weight $e^{-\beta t}$ is one unit with decay rate "
            r"$j\beta$,",
            title="Polynomials are diagonal RNNs",
        ),
        Step(
            "model",
            sp.Eq(
                sp.Symbol(r"\hat\rho(t)", real=True),
                sp.Sum(pj[j - 1] * sp.exp(-j * beta * t), (j, 1, m)),
            ),
            r"so with $P(u)=\sum_{j<m}p_ju^j$ the Chebyshev interpolant of $q$, "
            r"$\hat\rho=e^{-\beta t}P(e^{-\beta t})$ is a diagonal RNN of width $m$:",
        ),
        Step(
            "weight_integral",
            sp.Eq(sp.Integral(sp.exp(-beta * t), (t, 0, sp.oo)), weight_int),
            r"The weight integrates to",
            title="Error bound",
        ),
        Step(
            "l1_bound",
            sp.Eq(
                sp.Symbol(r"\|\rho-\hat\rho\|_{L^1}", nonnegative=True),
                sp.Symbol(r"\int_0^\infty e^{-\beta t}|q-P|\,dt", nonnegative=True),
            ),
            r"Since $\rho-\hat\rho=e^{-\beta t}(q-P)(u)$,",
        ),
        Step(
            "bound",
            sp.Le(sp.Symbol(r"\int_0^\infty e^{-\beta t}|q-P|\,dt", nonnegative=True), bound),
            r"and the $L^1$ error is at most $\|q-P\|_\infty/\beta$; by Jackson's theorem "
            r"$\|q-P\|_\infty=O(m^{-\alpha}\log m)$ for $q\in C^\alpha$.",
        ),
    ]
    del P
    return Derivation(
        name="linear_memory_chebyshev_construction",
        title="Constructive diagonal RNN by Chebyshev interpolation, and its error bound",
        steps=steps,
        references=[
            Reference(LHEL.work, "Thm 7 (proof) and Thm 10", key="li2022"),
        ],
        summary=(
            r"The universal-approximation construction of \cite{li2022}, made constructive and "
            r"quantitative here: after the change of variables $u=e^{-\beta t}$ an exponential sum "
            r"is a polynomial, so Chebyshev interpolation (nodes of the first kind) gives a "
            r"diagonal RNN with an explicit $L^1$ error bound."
        ),
    )


@derivation("linear_memory_chebyshev_construction", theory="linear_memory")
def _registered_construction() -> Derivation:
    return construction_derivation()


@functools.cache
def stable_floor_derivation() -> Derivation:
    """L(A, β) for ρ = (1+t)^{−p}: the L¹ error no stable bounded RNN can beat."""
    tail = sp.integrate((1 + t) ** (-p_) - A_ * sp.exp(-beta * t), (t, T_, sp.oo), conds="none")
    tail = sp.simplify(tail)
    crossing = sp.Eq((1 + T_) ** (-p_), A_ * sp.exp(-beta * T_))
    steps = [
        Step(
            "envelope",
            sp.Le(sp.Abs(sp.Symbol(r"\hat\rho(t)", real=True)), A_ * sp.exp(-beta * t)),
            r"A stable model with rates $w_i\ge\beta$ and bounded coefficients $\sum_i|a_i|\le A$ "
            r"has, for every width $m$, an exponential envelope:",
            title="Envelope of stable models",
        ),
        Step(
            "crossing",
            crossing,
            r"The power law $\rho(t)=(1+t)^{-p}$ crosses it for the last time at $T=T^*$,",
        ),
        Step(
            "floor",
            sp.Eq(sp.Symbol("L", nonnegative=True), tail),
            r"so $\|\rho-\hat\rho\|_{L^1}\ge\int_{T^*}^\infty(\rho-Ae^{-\beta t})\,dt=L$ for "
            r"every $m$: stable approximation of power-law memory stalls, the curse of memory "
            r"\cite[Thm 11]{li2022}. SymPy integrates",
            title="Floor",
        ),
    ]
    return Derivation(
        name="linear_memory_stable_floor",
        title="Stable approximation of power-law memory stalls",
        steps=steps,
        references=[
            Reference(LHEL.work, "Thm 11", key="li2022"),
        ],
        summary=(
            r"A quantitative floor, our addition to the inverse (Bernstein-type) theorem of "
            r"\cite{li2022}: the $L^1$ error below which no model with rates bounded away from "
            r"zero and bounded coefficients can approximate a power-law memory."
        ),
    )


@derivation("linear_memory_stable_floor", theory="linear_memory")
def _registered_floor() -> Derivation:
    return stable_floor_derivation()


# ============================================================================ construction
@dataclass(frozen=True)
class ChebyshevApproximation:
    """Result of :func:`chebyshev_construction`.

    Attributes
    ----------
    m, beta:
        Width and rate scale β′.
    model:
        The diagonal RNN (rates jβ′, coefficients the monomial coefficients of P).
    l1_error:
        ‖ρ − ρ̂‖_{L¹} of the returned ``model`` (its float64 coefficients, evaluated as the RNN
        does, Σ_j a_j e^{−jβ′t}), by quadrature. The monomial coefficients grow like 3^m·‖q‖
        with alternating signs, so at large m this exceeds the error of the construction in
        exact arithmetic (``cheb_l1_error``): at m = 60 the coefficients reach 1e42 and the
        returned model is useless although the interpolant's error is 0.04.
    cheb_l1_error:
        ‖ρ − ρ̂‖_{L¹} of the interpolant in Chebyshev form (:meth:`kernel`, evaluated stably):
        the error of the construction in exact arithmetic, which the bound and the Jackson rate
        are about.
    bound:
        ‖q − P‖_∞ / β′, the sup estimated on 20 001 points of [0, 1] plus the Chebyshev extrema.
    coefficient_l1:
        Σ|a_j| of the model (its rounding error is ≈ 1e-16·Σ|a_j|/β′ in L¹).
    """

    m: int
    beta: float
    model: DiagonalRNN
    cheb: np.ndarray
    l1_error: float
    bound: float
    sup_qP: float
    cheb_l1_error: float = float("nan")
    coefficient_l1: float = float("nan")

    @property
    def reliable(self) -> bool:
        """Whether the returned model carries the construction (rounding below its error)."""
        return bool(self.l1_error <= 2.0 * self.cheb_l1_error + 1e-14)

    def kernel(self, tt: np.ndarray) -> np.ndarray:
        uu = np.exp(-self.beta * np.asarray(tt, dtype=float))
        return uu * C.chebval(2 * uu - 1, self.cheb)


def _q(kernel: MemoryKernel, beta_p: float, uu: np.ndarray) -> np.ndarray:
    uu = np.asarray(uu, dtype=float)
    out = np.zeros_like(uu)
    pos = uu > 1e-300
    tt = -np.log(uu[pos]) / beta_p
    out[pos] = kernel(tt) / uu[pos]
    return out


def chebyshev_construction(
    kernel: MemoryKernel, m: int, beta_p: float, *, with_error: bool = True
) -> ChebyshevApproximation:
    """The constructive width-m diagonal RNN (module docstring; derivation
    ``linear_memory_chebyshev_construction``).

    Parameters
    ----------
    kernel:
        Target ρ; β′ must lie below its exponential decay rate (so that q(0) = 0).
    m:
        Width 1 ≤ m ≤ 4096 (degree m − 1 interpolant).
    beta_p:
        β′ > 0.
    with_error:
        Compute ``l1_error`` and ``cheb_l1_error`` (else NaN placeholders: cheap bound only).

    Hypotheses (checked): ρ continuous on [0, ∞) (:meth:`MemoryKernel.regularity`: family,
    SymPy, declared or estimated) and β′ below its exponential decay rate (numerically, on the
    tail). The reported ``l1_error`` is that of the returned ``model`` against ``kernel``.

    Raises
    ------
    ParameterError
        For m outside [1, 4096], β′ ≤ 0, a kernel with a jump (``kernel``), or β′ not below the
        decay rate of ρ (q = e^{β′t}ρ(t) does not vanish as t → ∞: power laws have no exponential
        rate at all).

    Time: O(m² + 2·10⁴·m) (the quadrature of the error on 20 000 nodes).
    """
    m = check_width(m)
    require(m <= 4096, "m", m, "m <= 4096 (the float64 coefficients are meaningless far earlier)")
    require(math.isfinite(beta_p) and beta_p > 0, "beta_p", beta_p, "beta' > 0")
    _require_continuous(kernel)
    _require_decay(kernel, beta_p)
    k = np.arange(m)
    nodes = 0.5 * (1 + np.cos((2 * k + 1) * np.pi / (2 * m)))
    coef = C.chebfit(2 * nodes - 1, _q(kernel, beta_p, nodes), m - 1)
    # monomial coefficients in u (for the RNN parameters)
    mono = C.cheb2poly(coef)
    # shift x = 2u - 1 → polynomial in u
    poly_u = np.polynomial.Polynomial(mono)(np.polynomial.Polynomial([-1.0, 2.0])).coef
    poly_u = np.pad(poly_u, (0, max(0, m - poly_u.size)))[:m]
    model = DiagonalRNN(poly_u, beta_p * np.arange(1, m + 1))
    grid = np.concatenate(
        [np.linspace(0, 1, 20001), 0.5 * (1 + np.cos(np.pi * np.arange(4 * m + 1) / (4 * m)))]
    )
    sup = float(np.max(np.abs(_q(kernel, beta_p, grid) - C.chebval(2 * grid - 1, coef))))
    coef_l1 = float(np.sum(np.abs(poly_u)))
    nan = float("nan")
    approx = ChebyshevApproximation(m, beta_p, model, coef, nan, sup / beta_p, sup, nan, coef_l1)
    if with_error:
        # ρ − ρ̂ = e^{−β′t}(q − P)(u) and dt = du/(β′u):  ‖ρ − ρ̂‖₁ = (1/β′)∫_0^1 |q − P| du
        # (composite Gauss–Legendre, 2000 panels × 10 nodes; kinks of |q − P| cost O(h²))
        xg, wg = np.polynomial.legendre.leggauss(10)
        edges = np.linspace(0.0, 1.0, 2001)
        hh = edges[1] - edges[0]
        uu = (edges[:-1, None] + 0.5 * hh * (xg[None, :] + 1)).reshape(-1)
        ww = np.tile(0.5 * hh * wg, 2000)
        qv = _q(kernel, beta_p, uu)
        cheb_err = float(np.sum(ww * np.abs(qv - C.chebval(2 * uu - 1, coef)))) / beta_p
        # the returned RNN: P(u) = Σ_j a_j u^j with its float64 coefficients (Horner, as the
        # model's kernel Σ_j a_j e^{−jβ′t} = u·P(u) would be summed)
        with np.errstate(over="ignore", invalid="ignore"):
            model_err = float(
                np.sum(ww * np.abs(qv - np.polynomial.polynomial.polyval(uu, poly_u)))
            )
        model_err = model_err / beta_p if math.isfinite(model_err) else math.inf
        approx = ChebyshevApproximation(
            m, beta_p, model, coef, model_err, sup / beta_p, sup, cheb_err, coef_l1
        )
    return approx


def _require_continuous(kernel: MemoryKernel) -> None:
    """Hypothesis of the construction and of Jackson's theorem (LHEL Thm 10): q = e^{β′t}ρ(t) is
    continuous on [0, 1], i.e. ρ is continuous on [0, ∞) (a jump makes the Chebyshev interpolant
    oscillate without converging, Gibbs)."""
    reg = kernel.regularity()
    require(
        reg.continuous,
        "kernel",
        kernel.label,
        "a kernel continuous on [0, inf) (hypothesis of the Chebyshev construction and of "
        "Jackson's theorem, LHEL Thm 10: q = exp(beta' t) rho(t) continuous on [0, 1]); this one "
        f"jumps at t = {reg.jump_at:.4g} ({reg.how.get('continuous', 'family')})",
    )


def _require_decay(kernel: MemoryKernel, beta_p: float) -> None:
    """q(t) = e^{β′t}ρ(t) must vanish as t → ∞ (β′ below the exponential decay rate of ρ)."""
    tt = np.array([10.0, 20.0, 40.0, 80.0]) / beta_p
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rho = np.abs(np.asarray(kernel(tt), dtype=float))
        logq = beta_p * tt + np.log(np.where(rho > 0, rho, 1e-320))
    scale = float(np.max(np.abs(kernel(np.linspace(0.0, 10.0 / beta_p, 201)))))
    ok = (rho[-1] == 0.0) or (
        np.isfinite(logq[-1])
        and logq[-1] < logq[0]
        and logq[-1] < math.log(1e-6 * max(scale, 1e-300)) + 10.0
    )
    require(
        bool(ok),
        "beta_p",
        beta_p,
        "beta' below the exponential decay rate of rho (q = exp(beta' t) rho(t) must vanish as "
        f"t -> inf; here |q| at t = {tt[-1]:.3g} is exp({float(logq[-1]):.3g}))",
    )


# ============================================================================ best coefficients
@dataclass(frozen=True)
class BestFit:
    """Best L² coefficients for fixed rates (Cauchy system, mpmath).

    Attributes
    ----------
    model:
        DiagonalRNN with the optimal a.
    loss:
        J_min = ‖ρ‖² − aᵀG(w) in float (computed in mpmath).
    dps:
        Decimal digits used; ``residual`` is max_i |Σ_k a_k/(w_i+w_k) − G(w_i)| in mpmath.
    """

    model: DiagonalRNN
    loss: float
    dps: int
    residual: float
    #: J of the returned ``model`` (its float64 coefficients), in mpmath: what the construction
    #: actually delivers; ``loss`` is the minimum at the exact coefficients (J(a) − J_min =
    #: (a − a*)ᵀM(a − a*) ≥ 0, the rounding of a to float64)
    model_loss: float = float("nan")


def best_coefficients(kernel: MemoryKernel, w: np.ndarray, *, dps: int = 60) -> BestFit:
    """Solve the Cauchy system Σ_k a_k/(w_i+w_k) = G(w_i) (∂J/∂a = 0) in mpmath at ``dps`` digits.

    The solve is repeated at ``dps + 20`` digits; the coefficients and J_min must agree to 1e-12
    (relative), otherwise the precision was not enough for this (exponentially ill-conditioned)
    system and :class:`ConvergenceError` says so. J_min is a minimum of a nonnegative loss: a
    negative value (the result of too few digits) is refused the same way.

    Hypotheses: ρ ∈ L² (so that J is finite; integrable and bounded kernels are) and a closed-form
    G (the mpmath backend evaluates it; quadrature kernels are refused). ``model_loss`` is the loss
    of the returned float64 model, ``loss`` the exact minimum.

    Raises
    ------
    ParameterError
        Rates not finite, not positive or not distinct; ``dps`` not an integer in [15, 2000];
        kernel without closed-form G (mpmath needs it).
    ConvergenceError
        If the residual in mpmath exceeds 10^{−dps/3}, or the two precisions disagree.

    Time: O(m³) mpmath operations at ``dps`` digits, twice (m = 40: ≈ 3 s).
    """
    w = np.asarray(w, dtype=float).reshape(-1)
    check_width(w.size)
    require(bool(np.all(np.isfinite(w)) and np.all(w > 0)), "w", w, "finite rates w_i > 0")
    require(
        np.unique(w).size == w.size,
        "w",
        w,
        "distinct rates (the Cauchy matrix is singular otherwise)",
    )
    require(
        isinstance(dps, (int, np.integer)) and not isinstance(dps, bool) and 15 <= dps <= 2000,
        "dps",
        dps,
        "an integer 15 <= dps <= 2000 (decimal digits; fewer than float64's make no sense)",
    )
    norm = kernel.l2_norm_sq()

    def solve(digits: int) -> tuple[list[Any], Any, Any]:
        with mpmath.workdps(digits):
            wm = [mpmath.mpf(float(x)) for x in w]
            M = mpmath.matrix([[1 / (wi + wk) for wk in wm] for wi in wm])
            g = mpmath.matrix([kernel.laplace_mp(wi) for wi in wm])
            try:
                a = mpmath.lu_solve(M, g)
            except ZeroDivisionError:
                raise ConvergenceError(
                    f"Cauchy system numerically singular at dps = {digits}: increase dps",
                    float("inf"),
                ) from None
            res = max(abs(x) for x in (M * a - g))
            J = mpmath.mpf(norm) - sum(a[i] * g[i] for i in range(len(wm)))
            if res > mpmath.mpf(10) ** (-digits // 3):
                raise ConvergenceError(
                    f"Cauchy system not solved to precision at dps = {digits}: increase dps",
                    float(res),
                )
            return [a[i] for i in range(len(wm))], J, res

    a, J, res = solve(int(dps))
    a2, J2, _ = solve(int(dps) + 20)
    with mpmath.workdps(int(dps) + 20):
        scale_a = max(abs(x) for x in a2) or mpmath.mpf(1)
        da = max(abs(x - y) for x, y in zip(a, a2, strict=True)) / scale_a
        dJ = abs(J - J2) / max(mpmath.mpf(norm), mpmath.mpf("1e-300"))
    if da > 1e-12 or dJ > 1e-12:
        raise ConvergenceError(
            f"dps = {dps} digits are not enough for this Cauchy system (coefficients change by "
            f"{float(da):.2e}, J by {float(dJ):.2e} relative at dps + 20): increase dps",
            float(max(da, dJ)),
        )
    if float(J2) < -1e-12 * max(norm, 1.0):
        raise ConvergenceError(
            f"negative minimum J = {float(J2):.3e} of a nonnegative loss: increase dps",
            abs(float(J2)),
        )
    a_f = np.array([float(x) for x in a2])
    with mpmath.workdps(int(dps) + 20):
        wm = [mpmath.mpf(float(x)) for x in w]
        af = [mpmath.mpf(float(x)) for x in a_f]
        g = [kernel.laplace_mp(wi) for wi in wm]
        quad = sum(af[i] * af[k] / (wm[i] + wm[k]) for i in range(len(wm)) for k in range(len(wm)))
        J_model = mpmath.mpf(norm) - 2 * sum(af[i] * g[i] for i in range(len(wm))) + quad
    return BestFit(
        DiagonalRNN(a_f, w), max(float(J2), 0.0), int(dps), float(res), max(float(J_model), 0.0)
    )


def stable_rates(m: int, beta_min: float, w_max: float = 40.0) -> np.ndarray:
    """m rates geometric on [β, w_max] (bounded away from zero)."""
    m = check_width(m)
    require(
        math.isfinite(beta_min) and math.isfinite(w_max) and 0 < beta_min <= w_max,
        "beta_min",
        beta_min,
        f"0 < beta_min <= w_max = {w_max} (finite)",
    )
    return np.geomspace(beta_min, w_max, m) if m > 1 else np.array([beta_min])


def free_rates(m: int, w_max: float = 40.0) -> np.ndarray:
    """m rates geometric on [e^{−√(2m)}·w_max ... w_max]: the smallest rate → 0 as m grows
    (sinc-quadrature spacing h ∝ 1/√m of the Laplace representation of power laws)."""
    m = check_width(m)
    require(math.isfinite(w_max) and w_max > 0, "w_max", w_max, "a finite w_max > 0")
    lo = w_max * math.exp(-2.2 * math.sqrt(2 * m))
    return np.geomspace(lo, w_max, m) if m > 1 else np.array([1.0])


def nonnegative_fit(
    kernel: MemoryKernel, w: np.ndarray, *, T: float = 1e7, n: int = 3000
) -> DiagonalRNN:
    """Nonnegative least squares min_{a ≥ 0} ∫(Σ a_i e^{−w_i t} − ρ)² dt on a log grid in t
    (trapezoid weights in ln(1+t)); the stable bounded class of :func:`stable_floor`."""
    w = np.asarray(w, dtype=float).reshape(-1)
    check_width(w.size)
    require(bool(np.all(np.isfinite(w)) and np.all(w > 0)), "w", w, "finite rates w_i > 0")
    require(math.isfinite(T) and T > 0, "T", T, "a finite horizon T > 0")
    require(
        isinstance(n, (int, np.integer)) and 3 <= n <= 10**6, "n", n, "an integer 3 <= n <= 1e6"
    )
    uu = np.linspace(0, math.log1p(T), n)
    tt = np.expm1(uu)
    wq = np.gradient(uu) * (1 + tt)
    Phi = np.sqrt(wq)[:, None] * np.exp(-np.outer(tt, w))
    a, _ = so.nnls(Phi, np.sqrt(wq) * kernel(tt), maxiter=50 * len(w))
    return DiagonalRNN(a, np.asarray(w, dtype=float))


def stable_floor_kernel(
    kernel: MemoryKernel, A: float, beta_min: float, *, T: float = 1e8
) -> tuple[float, float]:
    """L(A, β) = ∫_0^∞ (|ρ| − A e^{−βt})_+ dt for any kernel, with an error estimate.

    The floor of :func:`stable_floor` without its power-law closed form: |ρ̂(t)| ≤ A e^{−βt} for
    every stable model with rates ≥ β and Σ|a_i| ≤ A, so ‖ρ − ρ̂‖_{L¹} ≥ L for every width.
    Hypothesis: ρ ∈ L¹ (:meth:`MemoryKernel.regularity`). Quadrature: Gauss–Legendre in
    v = ln(1+t) on [0, ln(1+T)], 3000 × 10 nodes; the error estimate is the difference to
    1500 panels plus the tail bound ∫_T^∞|ρ| of :func:`l1_distance` (the kinks of (·)_+ cost
    O(h²)).

    Returns
    -------
    (L, error estimate)

    Raises
    ------
    ParameterError
        A not finite > 0, β not finite > 0, or a kernel that is not integrable.
    """
    require(is_finite_number(A) and A > 0, "A", A, "a finite coefficient bound A > 0")
    require(
        is_finite_number(beta_min) and beta_min > 0,
        "beta_min",
        beta_min,
        "a finite rate bound beta > 0 (stable models: every rate >= beta > 0)",
    )
    require(is_finite_number(T) and T > 0, "T", T, "a finite horizon T > 0")
    reg = kernel.regularity()
    require(reg.integrable, "kernel", kernel.label, "an integrable kernel (rho in L^1)")

    def floor(panels: int) -> float:
        xg, wg = np.polynomial.legendre.leggauss(10)
        edges = np.linspace(0.0, math.log1p(T), panels + 1)
        h = edges[1] - edges[0]
        v = (edges[:-1, None] + 0.5 * h * (xg[None, :] + 1)).reshape(-1)
        x = np.expm1(v)
        gap = np.abs(kernel(x)) - A * np.exp(-beta_min * x)
        return float(np.sum(np.tile(0.5 * h * wg, panels) * (1 + x) * np.clip(gap, 0, None)))

    L = floor(3000)
    tail = _l1_tail(kernel, T)
    return L + tail, abs(L - floor(1500)) + tail


def _l1_tail(kernel: MemoryKernel, T: float) -> float:
    """∫_T^∞ |ρ| estimated from the tail exponent p: |ρ(T)|(1+T)/(p − 1) (0 for faster decay)."""
    reg = kernel.regularity()
    rT = abs(float(np.asarray(kernel(np.array([T])))[0]))
    if rT == 0.0 or not (1.0 < reg.tail_exponent < math.inf):
        return 0.0
    return rT * (1 + T) / (reg.tail_exponent - 1)


@functools.cache
def _floor_fn() -> CompiledFunction:
    d = stable_floor_derivation()
    return compile_function(d.rhs("floor"), [T_, p_, A_, beta])


def stable_floor(p: float, A: float, beta_min: float) -> tuple[float, float]:
    """L(A, β) for ρ = (1+t)^{−p} (compiled SymPy tail integral) and the crossing T*.

    Assumes ρ(0) = 1 ≤ A (then the only region where ρ > A e^{−βt} is t > T*).

    Raises
    ------
    ParameterError
        Unless 1 < p ≤ 150 (integrable power law; beyond 150 the compiled closed form's Γ
        functions overflow), 1 ≤ A < ∞ and 0 < β < ∞.
    """
    require(
        is_finite_number(p) and 1 < p <= 150,
        "p",
        p,
        "1 < p <= 150 (the power law (1+t)^-p is integrable; the closed form overflows beyond)",
    )
    require(is_finite_number(A) and A >= 1.0, "A", A, "a finite A >= rho(0) = 1")
    require(
        is_finite_number(beta_min) and beta_min > 0,
        "beta_min",
        beta_min,
        "a finite rate bound beta > 0 (stable models: every rate >= beta > 0)",
    )

    def gap(T: float) -> float:
        # log of ρ(T)/(A e^{−βT}) with the sign flipped: > 0 beyond the last crossing T*
        return -p * math.log1p(T) - (math.log(A) - beta_min * T)

    # gap is convex with gap(0) = −ln A ≤ 0: one crossing T* > 0, or T* = 0 when A = 1 and β ≥ p
    if A == 1.0 and beta_min >= p:
        Ts = 0.0
    else:
        hi = max(1.0, 2.0 * (math.log(A) + p) / beta_min)
        for _ in range(200):
            if gap(hi) > 0:
                break
            hi *= 2.0
        lo = 0.0
        if gap(lo) >= 0:  # A = 1 and β < p: gap dips below zero first
            lo = min(hi / 2, (p - beta_min) / (p * beta_min) if beta_min < p else hi / 2)
            while gap(lo) >= 0 and lo > 1e-300:
                lo /= 2.0
        Ts = so.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-14)
    return float(_floor_fn()(Ts, p, A, beta_min)), float(Ts)
