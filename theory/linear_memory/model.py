r"""The continuous-time linear RNN and its diagonal special case.

    dh/dt = W h + U x,   ŷ_t = cᵀ h_t,   W Hurwitz,

has the memory kernel ρ̂(s) = cᵀ e^{Ws} U and transfer function cᵀ(sI − W)^{-1}U
(LHEL = Li, Han, E, Li, "Approximation and optimization theory for linear continuous-time
recurrent neural networks", JMLR 23 (2022), Sec. 3, Eq. (3)). The diagonal model W = −diag(w),
w_i > 0, a_i = c_i u_i has ρ̂(t) = Σ_i a_i e^{−w_i t} (the model analysed in LHEL Sec. 5, and the
one of the derivations ``linear_memory_loss_diagonal`` and ``linear_memory_plateau``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as sl
from numpy.typing import ArrayLike

from theory.errors import ParameterError, require, require_finite

__all__ = ["LinearRNN", "DiagonalRNN", "check_width"]


def check_width(m: int, name: str = "m") -> int:
    """Validate a width m ≥ 1."""
    require(
        isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 1,
        name,
        m,
        "an integer width m >= 1",
    )
    return int(m)


@dataclass(frozen=True, eq=False)
class LinearRNN:
    """Continuous-time linear RNN (d = 1 input) with parameters (W, U, c).

    Parameters
    ----------
    W:
        (m, m) recurrent matrix; must be Hurwitz (every eigenvalue has Re λ < 0).
    U:
        (m,) input weights.
    c:
        (m,) readout weights.

    Raises
    ------
    ParameterError
        Shapes inconsistent, non-finite entries, or W not Hurwitz (the spectral abscissa is given).
    """

    W: np.ndarray
    U: np.ndarray
    c: np.ndarray

    if TYPE_CHECKING:
        # The dataclass __init__ accepts anything array-like; __post_init__ stores float arrays.
        def __init__(self, W: ArrayLike, U: ArrayLike, c: ArrayLike) -> None: ...

    def __post_init__(self) -> None:
        W = np.atleast_2d(np.asarray(self.W, dtype=float))
        U = np.asarray(self.U, dtype=float).reshape(-1)
        c = np.asarray(self.c, dtype=float).reshape(-1)
        require(
            W.ndim == 2 and W.shape[0] == W.shape[1] and W.shape[0] >= 1,
            "W",
            W.shape,
            "a square (m, m) matrix with m >= 1",
        )
        m = W.shape[0]
        require(U.shape == (m,), "U", U.shape, f"shape ({m},)")
        require(c.shape == (m,), "c", c.shape, f"shape ({m},)")
        for name, arr in (("W", W), ("U", U), ("c", c)):
            require_finite(name, arr)
        abscissa = float(np.max(np.linalg.eigvals(W).real))
        if not abscissa < 0:
            raise ParameterError(
                "W",
                f"matrix with spectral abscissa {abscissa:.4g}",
                "a Hurwitz matrix: every eigenvalue with Re(lambda) < 0",
            )
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "U", U)
        object.__setattr__(self, "c", c)

    @property
    def m(self) -> int:
        return self.W.shape[0]

    def kernel(self, tt: np.ndarray) -> np.ndarray:
        """ρ̂(t) = cᵀ e^{Wt} U, shape of ``tt`` (eigendecomposition; falls back to expm)."""
        tt = np.asarray(tt, dtype=float)
        lam, V = np.linalg.eig(self.W)
        if np.linalg.cond(V) < 1e8:
            left = self.c @ V
            right = np.linalg.solve(V, self.U.astype(complex))
            return np.real(np.exp(np.multiply.outer(tt, lam)) @ (left * right))
        flat = tt.reshape(-1)
        out = np.array([self.c @ sl.expm(self.W * x) @ self.U for x in flat])
        return out.reshape(tt.shape)

    def transfer(self, ss: complex) -> complex:
        """cᵀ(sI − W)^{-1}U, the Laplace transform of ρ̂."""
        return complex(
            self.c @ np.linalg.solve(ss * np.eye(self.m) - self.W, self.U.astype(complex))
        )

    @classmethod
    def from_diagonal(cls, model: DiagonalRNN) -> LinearRNN:
        return cls(-np.diag(model.w), np.ones(model.m), model.a.copy())


@dataclass(frozen=True, eq=False)
class DiagonalRNN:
    """Diagonal linear RNN ρ̂(t) = Σ_i a_i e^{−w_i t} (W = −diag(w), a_i = c_i u_i).

    Parameters
    ----------
    a:
        (m,) output coefficients.
    w:
        (m,) decay rates, w_i > 0 (W Hurwitz).
    """

    a: np.ndarray
    w: np.ndarray

    if TYPE_CHECKING:
        # The dataclass __init__ accepts anything array-like; __post_init__ stores float arrays.
        def __init__(self, a: ArrayLike, w: ArrayLike) -> None: ...

    def __post_init__(self) -> None:
        a = np.atleast_1d(np.asarray(self.a, dtype=float))
        w = np.atleast_1d(np.asarray(self.w, dtype=float))
        require(
            a.ndim == 1 and a.shape == w.shape,
            "a, w",
            (a.shape, w.shape),
            "1-d arrays of equal length",
        )
        check_width(a.size)
        require_finite("a", a)
        require_finite("w", w)
        if not np.all(w > 0):
            raise ParameterError("w", w, "decay rates w_i > 0 (W = -diag(w) must be Hurwitz)")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "w", w)

    @property
    def m(self) -> int:
        return self.a.size

    def kernel(self, tt: np.ndarray) -> np.ndarray:
        """ρ̂(t) = Σ_i a_i e^{−w_i t}."""
        tt = np.asarray(tt, dtype=float)
        return np.exp(-np.multiply.outer(tt, self.w)) @ self.a

    def __call__(self, tt: np.ndarray) -> np.ndarray:
        return self.kernel(tt)

    def spectral_abscissa(self) -> float:
        return -float(np.min(self.w))

    @property
    def params(self) -> np.ndarray:
        """θ = (a_1..a_m, w_1..w_m)."""
        return np.concatenate([self.a, self.w])

    @classmethod
    def from_params(cls, theta: np.ndarray) -> DiagonalRNN:
        theta = np.asarray(theta, dtype=float)
        require(theta.size % 2 == 0 and theta.size >= 2, "theta", theta.shape, "(2m,) = (a, w)")
        m = theta.size // 2
        return cls(theta[:m], theta[m:])
