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

import numpy as np
import sympy as sp

from theory.errors import require, require_generator
from theory.markov.chain import MarkovChain, example_chain
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Reference
from theory.symbolic.gaussian import X
from theory.symbolic.nonlinearities import Nonlinearity, get_nonlinearity

__all__ = ["KernelLimitParams", "Task", "example_task", "LSS", "ALLOWED_PHI", "sup_abs_derivative"]

LSS = Reference(
    "Lam, Sirignano, Spiliopoulos, Kernel limit of recurrent neural networks trained on ergodic "
    "data sequences (2023), arXiv 2308.14555",
    key="lam2023",
)

#: Nonlinearities covered by the theory (bounded smooth) plus the linear case (closed forms).
ALLOWED_PHI = ("tanh", "erf", "sigmoid", "linear")


@functools.cache
def sup_abs_derivative(phi: str) -> float:
    """sup_x |σ'(x)|, from the SymPy derivative (maximised on a fine grid, x ∈ [−20, 20]).

    For the registered nonlinearities the maximum sits at x = 0 (tanh, erf: 1; sigmoid: 1/4);
    ReLU and linear: 1.
    """
    nl = get_nonlinearity(phi)
    d = compile_function(nl.derivative, [X])
    grid = np.linspace(-20, 20, 400001)
    return float(np.max(np.abs(d(grid))))


@dataclass(frozen=True)
class KernelLimitParams:
    """Parameters of the network and its initial law μ₀ (module docstring).

    Parameters
    ----------
    phi:
        Nonlinearity, one of :data:`ALLOWED_PHI`; ``"relu"`` only with ``allow_relu=True`` (outside
        the theory: a warning is issued).
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
    """

    phi: str = "tanh"
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
        if self.phi == "relu":
            require(
                self.allow_relu,
                "phi",
                "relu",
                f"one of {ALLOWED_PHI}; 'relu' (unbounded, not smooth) only with allow_relu=True",
            )
            warnings.warn(
                "phi='relu' is outside the kernel-limit theory (sigma must be bounded and smooth)",
                UserWarning,
                stacklevel=3,
            )
        else:
            require(
                self.phi in ALLOWED_PHI,
                "phi",
                self.phi,
                f"one of {ALLOWED_PHI} ('relu' only with allow_relu=True)",
            )
        for name in ("beta", "alpha", "b_max", "sigma_w", "sigma_b", "m_C"):
            v = getattr(self, name)
            require(isinstance(v, (int, float)) and math.isfinite(v), name, v, "a finite number")
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
        rho = self.b_max * sup_abs_derivative(self.phi)
        require(
            rho < 1,
            "b_max",
            self.b_max,
            f"rho = b_max * sup|sigma'| = {rho:.4g} < 1 (contraction of the memory; sup|sigma'| = {sup_abs_derivative(self.phi):.4g} for {self.phi})",
        )
        object.__setattr__(self, "rho", float(rho))

    @property
    def nonlinearity(self) -> Nonlinearity:
        return get_nonlinearity(self.phi)

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
        """sup|σ| (bounds the memory; ∞ for linear/ReLU)."""
        return {"tanh": 1.0, "erf": 1.0, "sigmoid": 1.0}.get(self.phi, math.inf)

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
