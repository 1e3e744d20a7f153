r"""Quadrature rules and weights.

* :func:`normal_rule` — Gauss–Hermite nodes and weights for E[f(u)], u ~ N(0, 1) (exact for
  polynomials of degree ≤ 2·order − 1);
* :func:`trapezoid_rule` — the trapezoid rule on the real line for E[f(scale·u)], truncated at
  ±8.5 standard deviations: error O(exp(−2πa/step)) for f analytic in the strip |Im x| < a
  (Trefethen & Weideman, SIAM Rev. 56, 385 (2014), Thm 5.1), O(step²) for a kink;
* :func:`strip_step` — the step that makes that error ≈ e^{−49} for a given strip half-width;
* :func:`trapezoid_weights` — the composite trapezoid rule on an equally spaced grid (O(dt²));
* :func:`gauss_legendre` — Gauss–Legendre nodes and weights on [a, b].
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from theory.errors import ParameterError

__all__ = [
    "normal_rule",
    "trapezoid_rule",
    "strip_step",
    "trapezoid_weights",
    "gauss_legendre",
    "DEFAULT_STEP",
    "TRUNCATION",
    "TARGET_EXPONENT",
]

#: Default step (in units of the integration variable x) of the Gaussian trapezoid rule.
DEFAULT_STEP = 0.2
#: Half-width of the truncated domain, in standard deviations (tail mass e^{-8.5²/2} ≈ 2e-16).
TRUNCATION = 8.5


@functools.lru_cache(maxsize=64)
def normal_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes and weights for :math:`\\mathbb E[f(u)]`, :math:`u\\sim\\mathcal N(0,1)`.

    Exact for polynomials of degree ≤ 2·order − 1; weights sum to one. (numpy's construction
    overflows beyond order ≈ 400.)
    """
    if not (isinstance(order, (int, np.integer)) and 1 <= order <= 400):
        raise ParameterError("order", order, "an integer 1 <= order <= 400")
    nodes, weights = hermegauss(int(order))
    weights = weights / np.sqrt(2.0 * np.pi)
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


@functools.lru_cache(maxsize=256)
def _trapezoid_nodes(hu: float) -> tuple[np.ndarray, np.ndarray]:
    n = int(np.ceil(TRUNCATION / hu))
    u = np.arange(-n, n + 1) * hu
    w = np.exp(-(u**2) / 2)
    w /= w.sum()
    u.flags.writeable = False
    w.flags.writeable = False
    return u, w


def trapezoid_rule(scale: float, step: float = DEFAULT_STEP) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoid nodes/weights for :math:`\\mathbb E[f(\\text{scale}\\cdot u)]`, u ~ N(0, 1).

    The spacing in x = scale·u is ``step`` (at most 0.5 in u). For f analytic in the strip
    |Im x| < a the error is O(exp(−2πa/step)) (trapezoid rule on R; Trefethen & Weideman, SIAM
    Rev. 56, 385 (2014), Thm 5.1): for tanh and log cosh, a = π/2 and step 0.2 give e^{−49}.
    For a kink (ReLU) the error is O(step²).
    """
    if not step > 0:
        raise ParameterError("step", step, "step > 0")
    hu = min(0.5, step / scale) if scale > 0 else 0.5
    hu = float(f"{hu:.2g}")  # 2 significant digits: reuse cached grids across nearby scales
    return _trapezoid_nodes(hu)


#: Target exponent of the trapezoid-rule error e^{-2πa/step} of :func:`strip_step`.
TARGET_EXPONENT = 49.0


def strip_step(strip_halfwidth: float) -> float:
    """Trapezoid step (in x-units) with error ≈ e^{−49} for f analytic in |Im x| < a; at most 0.2."""
    if not strip_halfwidth > 0:
        raise ParameterError("strip_halfwidth", strip_halfwidth, "a > 0")
    return float(min(0.2, 2.0 * math.pi * strip_halfwidth / TARGET_EXPONENT))


def trapezoid_weights(n_points: int, dt: float) -> np.ndarray:
    """Weights of the composite trapezoid rule on ``n_points`` equally spaced nodes (step ``dt``)."""
    if not (isinstance(n_points, (int, np.integer)) and n_points >= 2):
        raise ParameterError("n_points", n_points, "an integer >= 2")
    w = np.full(n_points, float(dt))
    w[0] = w[-1] = dt / 2
    return w


@functools.lru_cache(maxsize=64)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def gauss_legendre(n: int, a: float = -1.0, b: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [a, b] (exact for polynomials of degree ≤ 2n − 1)."""
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ParameterError("n", n, "an integer >= 1")
    if not (math.isfinite(a) and math.isfinite(b) and b > a):
        raise ParameterError("[a, b]", (a, b), "a finite interval with b > a")
    x, w = _legendre(int(n))
    half = 0.5 * (b - a)
    return a + half * (x + 1.0), half * w
