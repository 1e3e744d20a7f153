r"""The limit ODE on histories, solved exactly.

Our reading of Lam, Sirignano, Spiliopoulos, "Kernel limit of recurrent neural networks trained on
ergodic data sequences", arXiv:2308.14555 (2023); derivation ``kernel_limit_ode``:

.. math::
    \partial_t g_t(\xi) = \alpha\sum_{\xi'}\big(y(\xi')-g_t(\xi')\big)A(\xi,\xi')\Pi(\xi'),\qquad g_0=0,

a linear ODE on the H = m^L histories with solution :math:`g_t=(I-e^{-\alpha tKD})y`,
K the kernel matrix and D = diag(Π). SymPy solves the scalar mode equation
(:func:`limit_ode_derivation`); the matrix solution is evaluated either by the eigendecomposition of
the symmetric :math:`M=D^{1/2}KD^{1/2}=V\Lambda V^\top` (``method="eigh"``):
:math:`g_t=D^{-1/2}V(1-e^{-\alpha t\Lambda})V^\top D^{1/2}y`, or by the action of the matrix
exponential (``scipy.sparse.linalg.expm_multiply``, ``method="expm"``) for large H. No time stepper.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla
import sympy as sp

from theory.errors import require, require_finite
from theory.kernel_limit.model import LSS
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Step, derivation

__all__ = ["LimitODE", "limit_ode_derivation", "mode_solution"]

t_s = sp.Symbol("t", nonnegative=True)
alpha_s = sp.Symbol("alpha", positive=True)
lam_s = sp.Symbol("lambda", nonnegative=True)
y_s = sp.Symbol("y", real=True)


@functools.cache
def limit_ode_derivation() -> Derivation:
    """The limit ODE, its scalar mode solved by SymPy's ``dsolve``, and the matrix solution."""
    gF = sp.Function("g", real=True)
    ode = sp.Eq(sp.Derivative(gF(t_s), t_s), alpha_s * lam_s * (y_s - gF(t_s)))
    sol = sp.dsolve(ode, gF(t_s), ics={gF(0): 0})
    mode = sp.simplify(sol.rhs)
    if (
        sp.simplify(sp.diff(mode, t_s) - alpha_s * lam_s * (y_s - mode)) != 0
        or mode.subs(t_s, 0) != 0
    ):
        raise AssertionError("dsolve result does not solve the mode equation")
    xi, xip = sp.Symbol("xi", real=True), sp.Symbol(r"\xi'", real=True)
    A, Pi, yF, g = (
        sp.Function("A", real=True),
        sp.Function("Pi", nonnegative=True),
        sp.Function("y", real=True),
        sp.Function("g_t", real=True),
    )
    return Derivation(
        name="kernel_limit_ode",
        title="Limit ODE of the RNN trained online on Markov data, and its exact solution",
        steps=[
            Step(
                "ode",
                sp.Eq(
                    sp.Derivative(g(xi), t_s),
                    alpha_s
                    * sp.Sum(
                        (yF(xip) - g(xip)) * A(xi, xip) * Pi(xip),
                        (xip, 1, sp.Symbol("H", integer=True, positive=True)),
                    ),
                ),
                r"On the $H=m^L$ histories $\xi$ of length $L$, in the time $t=k/N$, starting from "
                r"$g_0=0$, the trained output follows the tangent kernel $A$ weighted by the "
                r"stationary law $\Pi$ of the histories.",
                title="Limit ODE",
            ),
            Step(
                "mode_equation",
                ode,
                r"In the eigenbasis of $D^{1/2}KD^{1/2}$ (eigenvalue $\lambda\ge0$) each mode obeys a scalar linear ODE.",
                title="One mode",
            ),
            Step(
                "mode_solution",
                sp.Eq(gF(t_s), mode),
                r"SymPy's \texttt{dsolve} with $g(0)=0$ (and verifies it).",
                title="Solution of a mode",
            ),
            Step(
                "matrix_solution",
                sp.Eq(
                    sp.Symbol("g_t", real=True),
                    (1 - sp.exp(-alpha_s * t_s * sp.Symbol("KD", real=True)))
                    * sp.Symbol("y", real=True),
                ),
                r"Hence $g_t=(I-e^{-\alpha tKD})y$ on the histories, evaluated by eigendecomposition or \texttt{expm\_multiply}.",
                title="Solution on the histories",
            ),
            Step(
                "symmetrisation",
                sp.Eq(
                    sp.Symbol("KD", real=True),
                    sp.Symbol(r"D^{-1/2}(D^{1/2}KD^{1/2})D^{1/2}", real=True),
                ),
                r"$KD$ is similar to the symmetric positive semidefinite $D^{1/2}KD^{1/2}$: real non-negative spectrum, $g_t\to$ the $\Pi$-weighted kernel regression of $y$.",
                title="Spectrum of the kernel operator",
            ),
        ],
        references=[LSS],
        summary=(
            r"The infinite-width dynamics of the output of the RNN trained online on Markov data, "
            r"in our reading of \cite{lam2023} (only its abstract is public): a linear ODE on the "
            r"histories driven by the tangent kernel \derivref{kernel_limit_memory_kernel} and "
            r"the stationary law of the histories, solved exactly."
        ),
        notation=[
            (r"K=(A(\xi,\xi'))", "the kernel matrix on the histories"),
            (r"D=\operatorname{diag}\Pi", "their stationary probabilities"),
            (r"y", "the target on the histories"),
            (alpha_s, "the learning-rate constant"),
        ],
    )


@derivation("kernel_limit_ode", theory="kernel_limit")
def _registered_ode() -> Derivation:
    return limit_ode_derivation()


@functools.cache
def mode_solution() -> CompiledFunction:
    """Compiled scalar mode g(t; α, λ, y) from :func:`limit_ode_derivation`."""
    return compile_function(limit_ode_derivation().rhs("mode_solution"), [t_s, alpha_s, lam_s, y_s])


@dataclass(frozen=True, eq=False)
class LimitODE:
    """g_t = (I − exp(−αtKD)) y on H histories.

    Parameters
    ----------
    K:
        Kernel matrix (H, H), symmetric positive semidefinite (checked: symmetric within 1e-10
        relative, smallest eigenvalue of D^{1/2}KD^{1/2} ≥ −1e-10 of the largest; a kernel that
        is not PSD makes the "limit" grow instead of converge).
    Pi:
        Stationary law of histories (H,), positive, summing to one (within 1e-10).
    y:
        Target on histories (H,).
    alpha:
        Learning-rate constant α > 0.
    method:
        ``"eigh"`` (dense, exact at every t) or ``"expm"`` (expm_multiply; large H).
    """

    K: np.ndarray
    Pi: np.ndarray
    y: np.ndarray
    alpha: float
    method: str = "eigh"
    _eig: tuple[np.ndarray, np.ndarray] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        K = np.asarray(self.K, dtype=float)
        H = K.shape[0]
        require(K.shape == (H, H), "K", K.shape, "a square (H, H) kernel matrix")
        require(
            np.shape(self.Pi) == (H,) and bool(np.all(np.asarray(self.Pi) > 0)),
            "Pi",
            np.shape(self.Pi),
            f"({H},) positive stationary masses",
        )
        require(np.shape(self.y) == (H,), "y", np.shape(self.y), f"shape ({H},)")
        require(
            isinstance(self.alpha, (int, float, np.integer, np.floating))
            and np.isfinite(self.alpha)
            and self.alpha > 0,
            "alpha",
            self.alpha,
            "a finite alpha > 0",
        )
        require(self.method in ("eigh", "expm"), "method", self.method, "'eigh' or 'expm'")
        require_finite("K", K)
        require_finite("y", self.y)
        Pi = np.asarray(self.Pi, dtype=float)
        require_finite("Pi", Pi)
        require(
            abs(float(Pi.sum()) - 1.0) <= 1e-10,
            "Pi",
            f"masses summing to {Pi.sum():.12g}",
            "a probability vector (positive, summing to 1 within 1e-10)",
        )
        scale = max(float(np.max(np.abs(K))), 1e-300)
        asym = float(np.max(np.abs(K - K.T)))
        require(
            asym <= 1e-10 * scale,
            "K",
            f"a matrix with max|K - K^T| = {asym:.3g}",
            "a symmetric kernel matrix (within 1e-10 relative)",
        )
        object.__setattr__(self, "K", K)
        object.__setattr__(self, "Pi", Pi)
        object.__setattr__(self, "y", np.asarray(self.y, dtype=float))
        d = np.sqrt(Pi)
        if self.method == "eigh" or H <= 2000:
            M = d[:, None] * (0.5 * (K + K.T)) * d[None, :]
            lam, V = np.linalg.eigh(M)
            top = max(float(lam[-1]), 0.0)
            require(
                float(lam[0]) >= -1e-10 * max(top, 1e-300),
                "K",
                f"a kernel with eigenvalue {float(lam[0]):.3g} (largest {top:.3g})",
                "a positive semi-definite kernel (eigenvalues of D^1/2 K D^1/2 >= -1e-10 of the largest)",
            )
            if self.method == "eigh":
                object.__setattr__(self, "_eig", (np.clip(lam, 0.0, None), V))

    @property
    def eigenvalues(self) -> np.ndarray:
        """Spectrum of KD (ascending), from the symmetric form (eigh) or computed on demand."""
        if self._eig is not None:
            return self._eig[0]
        d = np.sqrt(self.Pi)
        return np.clip(np.linalg.eigvalsh(d[:, None] * self.K * d[None, :]), 0.0, None)

    def propagator(self, tau: float) -> np.ndarray:
        """exp(−ατKD) as a dense matrix (eigh method)."""
        require(self._eig is not None, "method", self.method, "'eigh' for the dense propagator")
        assert self._eig is not None  # require() above raised otherwise
        lam, V = self._eig
        d = np.sqrt(self.Pi)
        return (V * np.exp(-self.alpha * tau * lam)[None, :] / d[:, None]) @ (V.T * d[None, :])

    def g(self, t: float | np.ndarray) -> np.ndarray:
        """g_t on the histories; shape (H,) for scalar t, (len(t), H) for an array of times."""
        ts = np.atleast_1d(np.asarray(t, dtype=float))
        require(bool(np.all(ts >= 0) and np.all(np.isfinite(ts))), "t", t, "finite times t >= 0")
        if self.method == "eigh":
            assert self._eig is not None  # set by __post_init__ for method "eigh"
            lam, V = self._eig
            d = np.sqrt(self.Pi)
            c = V.T @ (d * self.y)
            modes = mode_solution()(ts[:, None], self.alpha, lam[None, :], c[None, :])  # (T, H)
            out = (modes @ V.T) / d[None, :]
        else:
            KD = self.K * self.Pi[None, :]
            out = np.empty((ts.size, self.y.size))
            for i, tt in enumerate(ts):
                out[i] = self.y - spla.expm_multiply(-self.alpha * tt * KD, self.y)
        return out[0] if np.ndim(t) == 0 else out
