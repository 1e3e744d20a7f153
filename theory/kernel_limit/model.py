"""Parameters and task of the kernel-limit RNN.

The network (N hidden units, diagonal recurrence, output scaling N^{−β}):

    u^i_k = W^i X_k + B^i S^i_k + b^i,    S^i_{k+1} = σ(u^i_k),    Ŷ_k = N^{−β} Σ_i C^i S^i_{k+1},

trained online by SGD with learning rate η_N = α N^{2β−2} on ½(Y_k − Ŷ_k)², t = k/N. The data
X_k is a finite Markov chain (:class:`theory.markov.chain.MarkovChain`) with scalar state values,
and Y_k = f(X_k, ..., X_{k−q}). Lam, Sirignano, Spiliopoulos, "Kernel limit of recurrent neural
networks trained on ergodic data sequences", arXiv:2308.14555 (2023) (:data:`LSS`): only the
abstract is public; the model and every equation of :mod:`theory.kernel_limit` are our reading of
it (derivations ``kernel_limit_rtrl``, ``kernel_limit_memory_kernel``, ``kernel_limit_ode``,
``kernel_limit_fluctuations``).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from theory.errors import ParameterError, require, require_generator
from theory.markov.chain import MarkovChain, example_chain
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Reference
from theory.symbolic.expressions import growth, is_smooth, registered_or_expression
from theory.symbolic.gaussian import X
from theory.symbolic.nonlinearities import Nonlinearity, get_nonlinearity

__all__ = [
    "KernelLimitParams",
    "Task",
    "example_task",
    "LSS",
    "ALLOWED_PHI",
    "sup_abs_derivative",
    "sigma_expression",
    "check_activation",
]

LSS = Reference(
    "Lam, Sirignano, Spiliopoulos, Kernel limit of recurrent neural networks trained on ergodic "
    "data sequences (2023), arXiv 2308.14555",
    key="lam2023",
)

#: Registered nonlinearities covered by the theory (bounded smooth) plus the linear case (closed
#: forms). Any other activation is accepted as an expression after its assumptions are checked
#: (:class:`KernelLimitParams`).
ALLOWED_PHI = ("tanh", "erf", "sigmoid", "linear")

#: Grid of the sup search (step 1e-4 on [−20, 20]) and log-spaced probes out to |x| = 1e8.
_SUP_GRID = np.linspace(-20, 20, 400001)
_FAR = np.geomspace(20.0, 1e8, 4001)[1:]
_FAR_PROBE = np.concatenate([-_FAR[::-1], _FAR])


def sigma_expression(phi: str | sp.Expr) -> sp.Expr:
    """σ as a SymPy expression in :data:`~theory.symbolic.gaussian.X` (a registered name or an
    expression, as stored in :attr:`KernelLimitParams.phi`)."""
    if isinstance(phi, str):
        return get_nonlinearity(phi).expr
    return phi


@functools.cache
def _derivative(phi: str | sp.Expr, order: int) -> sp.Expr:
    if order == 0:
        return sigma_expression(phi)
    if isinstance(phi, str) and order == 1:
        return get_nonlinearity(phi).derivative  # simplified (the numbers of the registry)
    return sp.diff(sigma_expression(phi), X, order)


def _sup_abs(expr: sp.Expr) -> float:
    """sup_x |f(x)| over the real line, numerically (``inf`` when f is not bounded or not finite).

    The maximum of |f| on the grid x ∈ [−20, 20] (step 1e-4) and on 8000 log-spaced probes out to
    |x| = 1e8 is refined by bounded Brent search around the 8 largest local maxima of the probed
    values, so a maximum away from 0 (a shifted activation, ``tanh(x − 50)``) is found to ~1e-12;
    the refined value replaces the grid value only when it is larger by a relative 1e-12 (so
    maxima hit exactly by the grid keep their exact value). A peak narrower than the probe spacing
    (1e-4 near 0, 0.4 % of |x| beyond 20) can be missed.
    """
    from scipy.optimize import minimize_scalar

    f = compile_function(expr, [X])
    xs = np.concatenate([_FAR_PROBE[: _FAR.size], _SUP_GRID, _FAR_PROBE[_FAR.size :]])
    with np.errstate(all="ignore"):
        vals = np.abs(np.broadcast_to(np.asarray(f(xs), dtype=float), xs.shape)).copy()
    bad = np.nonzero(~np.isfinite(vals))[0]
    if bad.size:  # overflow in float (exp(2 − x) at x = −1e8): evaluate there with mpmath
        import mpmath

        fm = compile_function(expr, [X], backend="mpmath")
        for i in bad:
            try:
                v = complex(fm(mpmath.mpf(float(xs[i]))))
                vals[i] = abs(v.real) if abs(v.imag) <= 1e-12 * (1 + abs(v.real)) else math.inf
            except (OverflowError, ValueError, ZeroDivisionError, TypeError):
                vals[i] = math.inf
        if not np.all(np.isfinite(vals)):
            return math.inf
    best = float(np.max(vals))
    inner = vals[1:-1]
    peaks = np.nonzero((inner >= vals[:-2]) & (inner >= vals[2:]))[0] + 1
    peaks = peaks[np.argsort(inner[peaks - 1])[::-1][:8]]
    refined = best

    def neg(t: float) -> float:
        with np.errstate(all="ignore"):
            v = float(np.abs(np.asarray(f(np.array([t])), dtype=float))[0])
        return -v if math.isfinite(v) else 0.0

    for i in peaks:
        lo, hi = float(xs[i - 1]), float(xs[i + 1])
        r = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
        refined = max(refined, -float(r.fun))
    return refined if refined > best * (1 + 1e-12) else best


@functools.cache
def sup_abs_derivative(phi: str | sp.Expr, order: int = 1) -> float:
    """sup_x |σ^{(order)}(x)| (``order`` 0: sup|σ|, 1: sup|σ'|, 2: sup|σ''|) over the real line.

    ``phi`` is a registered name or a SymPy expression in :data:`~theory.symbolic.gaussian.X`.
    The derivative is SymPy's; the sup is numerical (:func:`_sup_abs`: grid on [−20, 20], probes to
    |x| = 1e8, Brent refinement), ``inf`` for an unbounded function. Registered nonlinearities
    have their maximum of |σ'| at x = 0 (tanh, erf: 1; sigmoid: 1/4); ReLU and linear: 1.
    """
    if not (isinstance(phi, (str, sp.Expr)) and order in (0, 1, 2)):
        raise ParameterError(
            "phi, order", (phi, order), "a registered name or SymPy expression and order 0, 1 or 2"
        )
    if isinstance(phi, str) and order == 1:
        # the registered nonlinearities: the grid maximum (the values of earlier versions)
        d = compile_function(_derivative(phi, 1), [X])
        return float(np.max(np.abs(d(_SUP_GRID))))
    return _sup_abs(_derivative(phi, order))


def _lipschitz_jump(expr: sp.Expr) -> float | None:
    """Where σ' jumps (σ not C¹ with a Lipschitz derivative), else ``None``.

    The Lipschitz constant of σ' estimated from differences on the grid of step h = 1e-4 is
    compared with the one of step 10h: for a Lipschitz σ' both estimate sup|σ''|, a jump J makes
    them J/h and J/(10h) (ratio 10). Returns the location of the largest difference if the
    fine estimate exceeds twice the coarse one (plus 1e-6).
    """
    d = compile_function(_derivative(expr, 1), [X])
    with np.errstate(all="ignore"):
        v = np.broadcast_to(np.asarray(d(_SUP_GRID), dtype=float), _SUP_GRID.shape)
    if not np.all(np.isfinite(v)):
        return float(_SUP_GRID[np.argmin(np.isfinite(v))])
    h = _SUP_GRID[1] - _SUP_GRID[0]
    dv = np.abs(np.diff(v))
    fine = float(dv.max()) / h
    coarse = float(np.max(np.abs(np.diff(v[::10])))) / (10 * h)
    if fine > 2 * coarse + 1e-6:
        return float(_SUP_GRID[int(np.argmax(dv))])
    return None


def _bounded(expr: sp.Expr) -> bool:
    """Whether σ is bounded: :func:`~theory.symbolic.expressions.growth` says so (no growth of
    |σ| between |x| = 1e4 and 1e8), or, for an oscillating σ (sin x) whose values at those probes
    are not monotone, sup|σ| over |x| > 1e4 (log-spaced probes to 1e8) is at most 1.01 times
    sup|σ| over |x| <= 1e4."""
    if growth(expr).bounded:
        return True
    f = compile_function(expr, [X])
    near = np.linspace(-1e4, 1e4, 200001)
    far = np.concatenate([-_FAR[_FAR > 1e4], _FAR[_FAR > 1e4]])
    with np.errstate(all="ignore"):
        vn = np.abs(np.broadcast_to(np.asarray(f(near), dtype=float), near.shape))
        vf = np.abs(np.broadcast_to(np.asarray(f(far), dtype=float), far.shape))
    if not (np.all(np.isfinite(vn)) and np.all(np.isfinite(vf))):
        return False
    return bool(vf.max() <= 1.01 * vn.max() + 1e-9)


def check_activation(expr: sp.Expr) -> dict[str, float | str]:
    """Check the kernel-limit assumptions on σ (an expression) and return its constants.

    Assumptions (our reading of LSS; each failure is a :class:`ParameterError` on ``phi``):
    σ depends on x; σ is bounded (:func:`theory.symbolic.expressions.growth`, probed to
    |x| = 1e8); σ is C¹ with a bounded, Lipschitz derivative: sup|σ'| < ∞ and, for σ built from
    smooth functions, sup|σ''| < ∞ (C² with bounded derivatives, the LSS assumption); for σ with
    kinks (Abs, Max, Piecewise, …) σ' must be continuous and Lipschitz (:func:`_lipschitz_jump`),
    i.e. σ'' bounded where it exists. The softsign x/(1 + |x|) is such a case: σ'' jumps at 0
    (from 2 to −2) but σ' = 1/(1 + |x|)² is Lipschitz, which is what the objects of the limit
    need (the memory contraction and RTRL derivative use σ', the first-order Taylor remainder of
    the output in θ uses Lip(σ')); it is accepted, and the quadrature converges only
    algebraically for it (the kernel's error estimate says how well). The contraction
    ρ = b_max·sup|σ'| < 1 is checked by :class:`KernelLimitParams`.

    Returns ``{"sup_sigma", "sup_dsigma", "sup_d2sigma", "smoothness"}``.
    """
    if X not in expr.free_symbols:
        raise ParameterError(
            "phi", expr, "an activation that depends on x (a constant sigma has no memory)"
        )
    if not _bounded(expr):
        raise ParameterError(
            "phi",
            expr,
            "a bounded sigma (|sigma(x)| <= M for all real x; the kernel-limit theory assumes "
            "sigma bounded with bounded derivatives, and the growth probe to |x| = 1e8 found it "
            "unbounded; the linear case is the registered 'linear')",
        )
    s0 = sup_abs_derivative(expr, 0)
    s1 = sup_abs_derivative(expr, 1)
    if not math.isfinite(s1):
        raise ParameterError(
            "phi", expr, "a sigma with a bounded derivative (sup|sigma'| < infinity)"
        )
    if is_smooth(expr):
        s2 = sup_abs_derivative(expr, 2)
        if not math.isfinite(s2) or s2 > 1e6:
            raise ParameterError(
                "phi",
                expr,
                f"a C^2 sigma with bounded derivatives (sup|sigma''| = {s2:.3g} on the probe)",
            )
        smooth = "C2"
    else:
        where = _lipschitz_jump(expr)
        if where is not None:
            raise ParameterError(
                "phi",
                expr,
                "a continuously differentiable sigma with a Lipschitz derivative (sigma' jumps "
                f"near x = {where:.4g}): the memory derivative G = sigma'(u)[(x, S, 1) + B G] and "
                "the tangent kernel need sigma'; kinks like ReLU's are outside the theory",
            )
        dd = compile_function(_derivative(expr, 1), [X])
        with np.errstate(all="ignore"):
            v = np.broadcast_to(np.asarray(dd(_SUP_GRID), dtype=float), _SUP_GRID.shape)
        s2 = float(np.max(np.abs(np.diff(v)))) / float(_SUP_GRID[1] - _SUP_GRID[0])
        smooth = "C1 with Lipschitz derivative"
    return {"sup_sigma": s0, "sup_dsigma": s1, "sup_d2sigma": s2, "smoothness": smooth}


@dataclass(frozen=True)
class KernelLimitParams:
    """Parameters of the network and its initial law μ₀ (module docstring).

    Parameters
    ----------
    phi:
        The activation σ: a registered name (:data:`ALLOWED_PHI`: ``"tanh"``, ``"erf"`` =
        erf(√π x/2), ``"sigmoid"``, ``"linear"``), a SymPy expression in ``x``, a string SymPy
        parses (``"tanh(x - 0.3)"``, ``"x/(1 + Abs(x))"``), a Lambda or a callable on SymPy
        symbols (:func:`theory.symbolic.expressions.as_expression`). An expression equal to a
        registered one is stored under its name. Any other σ must satisfy the theory's
        assumptions, checked here (:func:`check_activation`): bounded, C¹ with a bounded
        Lipschitz derivative (C² with bounded derivatives for smooth expressions), and the
        contraction ρ = b_max·sup|σ'| < 1. ``"relu"`` only with ``allow_relu=True`` (outside the
        theory: a warning is issued).
    beta:
        Output scaling exponent, 1/2 < β < 1.
    alpha:
        Learning-rate constant, η_N = α N^{2β−2}; α > 0.
    b_max:
        B ~ Uniform[−b_max, b_max]; the contraction ρ = b_max·sup|σ'| must be < 1.
    sigma_w, sigma_b:
        W ~ N(0, σ_w²), b ~ N(0, σ_b²); σ_w > 0, σ_b >= 0.
    c_law:
        Law of C: ``"gaussian"`` (N(0, m_C)) or ``"rademacher"`` (±√m_C).
    m_C:
        E C² > 0.
    truncated_gradient:
        Drop the B G_k term of the RTRL recursion (truncated backpropagation; derivation
        ``kernel_limit_rtrl``).
    allow_relu:
        Explicit opt-in for ReLU.

    Raises
    ------
    ParameterError
        Naming the argument and the assumption: an unparsable σ or one with free symbols other
        than x, a non-callable, an unbounded σ or σ', a σ' that jumps, ρ ≥ 1 (on ``b_max``), and
        the ranges of the other parameters.
    """

    phi: Any = "tanh"
    beta: float = 0.75
    alpha: float = 1.0
    b_max: float = 0.5
    sigma_w: float = 1.0
    sigma_b: float = 0.5
    c_law: str = "gaussian"
    m_C: float = 1.0
    truncated_gradient: bool = False
    allow_relu: bool = False
    rho: float = field(init=False)

    def __post_init__(self) -> None:
        phi = registered_or_expression(self.phi, "phi")
        object.__setattr__(self, "phi", phi)
        if phi == "relu":
            require(
                self.allow_relu,
                "phi",
                "relu",
                f"one of {ALLOWED_PHI} or a bounded C1 expression; 'relu' (unbounded, not "
                "smooth) only with allow_relu=True",
            )
            warnings.warn(
                "phi='relu' is outside the kernel-limit theory (sigma must be bounded and smooth)",
                UserWarning,
                stacklevel=3,
            )
        elif not (isinstance(phi, str) and phi in ALLOWED_PHI):
            check_activation(sigma_expression(phi))
        for name in ("beta", "alpha", "b_max", "sigma_w", "sigma_b", "m_C"):
            v = getattr(self, name)
            require(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
                name,
                v,
                "a finite number",
            )
        require(0.5 < self.beta < 1.0, "beta", self.beta, "1/2 < beta < 1 (output scaling N^-beta)")
        require(
            self.alpha > 0, "alpha", self.alpha, "alpha > 0 (learning rate alpha N^(2 beta - 2))"
        )
        require(self.b_max >= 0, "b_max", self.b_max, "b_max >= 0")
        require(self.sigma_w > 0, "sigma_w", self.sigma_w, "sigma_w > 0")
        require(self.sigma_b >= 0, "sigma_b", self.sigma_b, "sigma_b >= 0")
        require(self.m_C > 0, "m_C", self.m_C, "m_C = E C^2 > 0")
        require(
            self.c_law in ("gaussian", "rademacher"),
            "c_law",
            self.c_law,
            "'gaussian' or 'rademacher'",
        )
        sup_d = sup_abs_derivative(phi)
        rho = self.b_max * sup_d
        require(
            rho < 1,
            "b_max",
            self.b_max,
            f"rho = b_max * sup|sigma'| = {rho:.4g} < 1 (contraction of the memory; sup|sigma'| = {sup_d:.4g} for {phi})",
        )
        object.__setattr__(self, "rho", float(rho))

    @property
    def sigma_expr(self) -> sp.Expr:
        """σ as a SymPy expression in :data:`~theory.symbolic.gaussian.X`."""
        return sigma_expression(self.phi)

    @property
    def nonlinearity(self) -> Nonlinearity:
        if isinstance(self.phi, str):
            return get_nonlinearity(self.phi)
        return Nonlinearity(str(self.phi), self.phi, r"\sigma", True, is_smooth(self.phi))

    @property
    def sigma(self) -> CompiledFunction:
        """σ compiled from its SymPy expression."""
        return compile_function(self.nonlinearity.expr, [X])

    @property
    def dsigma(self) -> CompiledFunction:
        """σ' compiled from the SymPy derivative."""
        return compile_function(self.nonlinearity.derivative, [X])

    @property
    def sup_sigma(self) -> float:
        """sup|σ| (bounds the memory; ∞ for linear/ReLU; numerical for an expression)."""
        if isinstance(self.phi, str):
            return {"tanh": 1.0, "erf": 1.0, "sigmoid": 1.0}.get(self.phi, math.inf)
        return sup_abs_derivative(self.phi, 0)

    def learning_rate(self, N: int) -> float:
        """η_N = α N^{2β−2}."""
        return self.alpha * float(N) ** (2 * self.beta - 2)

    def init(self, N: int, n_nets: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draw θ^i ~ μ₀ i.i.d. for ``n_nets`` networks of N units: arrays of shape (n_nets, N)."""
        require(isinstance(N, (int, np.integer)) and N >= 1, "N", N, "an integer N >= 1")
        require(
            isinstance(n_nets, (int, np.integer)) and n_nets >= 1,
            "n_nets",
            n_nets,
            "an integer >= 1",
        )
        require_generator(rng)
        shape = (n_nets, N)
        if self.c_law == "gaussian":
            C = rng.standard_normal(shape) * math.sqrt(self.m_C)
        else:
            C = rng.choice([-1.0, 1.0], size=shape) * math.sqrt(self.m_C)
        W = rng.standard_normal(shape) * self.sigma_w
        B = rng.uniform(-self.b_max, self.b_max, shape)
        b = rng.standard_normal(shape) * self.sigma_b
        return {"C": C, "W": W, "B": B, "b": b}


@dataclass(frozen=True, eq=False)
class Task:
    """Data and target: a chain with scalar states and Y_k = f(X_k, ..., X_{k−q}).

    Parameters
    ----------
    chain:
        The data chain (validated: stochastic, irreducible, aperiodic).
    target:
        SymPy expression of the target in the symbols ``lags`` (x_0 most recent).
    lags:
        Real symbols (x_0, x_{−1}, ..., x_{−q}).
    """

    chain: MarkovChain
    target: sp.Expr
    lags: tuple[sp.Symbol, ...]
    f: Callable[..., np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require(len(self.lags) >= 1, "lags", self.lags, "at least the symbol x_0")
        require(all(s.is_real for s in self.lags), "lags", self.lags, "real symbols")
        extra = sp.sympify(self.target).free_symbols - set(self.lags)
        require(
            not extra, "target", self.target, f"an expression in {self.lags} only (found {extra})"
        )
        object.__setattr__(self, "f", compile_function(self.target, list(self.lags)))

    @property
    def q(self) -> int:
        """The target's lag q (needs histories of length >= q + 1)."""
        return len(self.lags) - 1

    def y(self, values: np.ndarray) -> np.ndarray:
        """Target on histories ``values`` (..., L), L >= q + 1."""
        values = np.asarray(values, dtype=float)
        require(values.shape[-1] >= self.q + 1, "L", values.shape[-1], f"L >= q + 1 = {self.q + 1}")
        return self.f(*(values[..., j] for j in range(self.q + 1)))

    def targets(self, paths: np.ndarray) -> np.ndarray:
        """Y_k for k >= q along paths of state indices (S, n): shape (S, n − q)."""
        vals = self.chain.states[paths]
        n = vals.shape[1]
        return self.f(*(vals[:, self.q - j : n - j] for j in range(self.q + 1)))


def example_task(exact: bool = False) -> Task:
    """The example task of the checks: chain on (−1, 0, 1) and Y_k = 0.6 sin(2 X_k) + 0.4 X_{k−1}.

    The chain is :func:`theory.markov.chain.example_chain`.
    """
    x0, x1 = sp.symbols("x_0 x_{-1}", real=True)
    return Task(
        example_chain(exact=exact),
        sp.Rational(3, 5) * sp.sin(2 * x0) + sp.Rational(2, 5) * x1,
        (x0, x1),
    )
