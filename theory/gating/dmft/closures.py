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
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
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

__all__ = ["sharp_cross", "sharp_mean", "ClosureTable", "phi_strip", "gate_strip"]


def _step_tag(step: float) -> str:
    return f"{step:.3e}".replace(".", "p").replace("-", "m").replace("+", "")


@functools.cache
def _sharp_mean_class(F: sp.Expr, step: float) -> type[GaussianMean]:
    base = gaussian_mean(F)
    if step >= base.step:
        return base

    def fdiff(self: Any, argindex: int = 1) -> sp.Expr:
        return sharp_mean(diff_x(F, 2), step)(self.args[0]) / 2

    cls = type(f"{base.__name__}_h{_step_tag(step)}", (base,), {"step": step, "fdiff": fdiff})
    return register_sympy_class(cls)


def sharp_mean(F: sp.Expr, step: float) -> type[GaussianMean]:
    """⟨F⟩_{c0} as a SymPy function class whose quadrature uses spacing ``step`` in x."""
    return _sharp_mean_class(sp.sympify(F), float(step))


@functools.cache
def _sharp_cross_class(F: sp.Expr, G: sp.Expr, step: float) -> type[GaussianCross]:
    base = gaussian_cross(F, G)
    if step >= base.step:
        return base

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

    cls = type(
        f"{base.__name__}_h{_step_tag(step)}", (base,), {"step": step, "eval": eval, "fdiff": fdiff}
    )
    return register_sympy_class(cls)


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

    C is computed by the compiled SymPy closure at ``n_nodes`` Chebyshev nodes of
    θ = arcsin(c/c0) ∈ [−π/2, π/2] and interpolated barycentrically in θ (spectral accuracy for
    functions analytic in θ; C_F is affine in θ for a Heaviside F).

    Parameters
    ----------
    closure:
        Compiled function (c, c0) -> C(c; c0).
    n_nodes:
        Number of Chebyshev nodes (≥ 8).
    """

    closure: CompiledFunction
    n_nodes: int = 33

    def __call__(self, c: np.ndarray, c0: float) -> np.ndarray:
        from scipy.interpolate import BarycentricInterpolator

        c = np.asarray(c, dtype=float)
        if not (np.isfinite(c0) and c0 > 0):
            raise ParameterError("c0", c0, "a finite variance c0 > 0")
        k = np.arange(self.n_nodes)
        theta_nodes = -0.5 * np.pi * np.cos(np.pi * k / (self.n_nodes - 1))
        values = self.closure(c0 * np.sin(theta_nodes), c0)
        rho = np.clip(c / c0, -1.0, 1.0)
        interp = BarycentricInterpolator(theta_nodes, values)
        return np.asarray(interp(np.arcsin(rho)), dtype=float)


def phi_strip(params: Any) -> float:
    """Half-width of the analyticity strip of φ in h-units: π/(2 g_h) (A) or π/2 (B)."""
    gain = params.g_h if params.convention == "A" else 1.0
    return math.pi / (2.0 * gain)


def gate_strip(alpha: float) -> float:
    """Half-width of the analyticity strip of σ(αx − β): π/α (∞ for α = 0 -> capped)."""
    return math.pi / alpha if alpha > 0 else 1e3
