r"""Quadrature rules and weights.

* :func:`normal_rule` — Gauss–Hermite nodes and weights for E[f(u)], u ~ N(0, 1) (exact for
  polynomials of degree ≤ 2·order − 1);
* :func:`trapezoid_rule` — the trapezoid rule on the real line for E[f(scale·u)], truncated at
  ±8.5 standard deviations: error O(exp(−2πa/step)) for f analytic in the strip |Im x| < a
  (Trefethen & Weideman, SIAM Rev. 56, 385 (2014), Thm 5.1), O(step²) for a kink;
* :func:`strip_step` — the step that makes that error ≈ e^{−49} for a given strip half-width;
* :func:`trapezoid_weights` — the composite trapezoid rule on an equally spaced grid (O(dt²));
* :func:`gauss_legendre` — Gauss–Legendre nodes and weights on [a, b];
* :func:`sinh_normal_rule` — E[f(x)], x ~ N(0, v), with a node count flat in the scale of v
  (sinh-mapped trapezoid rule);
* :class:`LocalizedCrossMoment` — E[f(x)f(y)] for jointly Gaussian (x, y) and a localised f, at a
  cost flat in the variances (rotated coordinates, kernel tabulated once).
* :func:`logistic_rule` — Gauss nodes and weights for E[f(L)], L standard logistic (density
  e^{−L}/(1 + e^{−L})²), built by the discretised Stieltjes procedure (Gautschi, *Orthogonal
  Polynomials: Computation and Approximation*, 2004, Sec. 2.2);
* :func:`graded_rule` — composite Gauss–Legendre for E[f(u)], u ~ N(0, 1), with panels graded
  geometrically towards a point where f has a feature of a given width (a sharp step): the number
  of nodes grows like log(1/width), not like 1/width;
* :func:`structured_normal_rule` — E[f(m + s·u)], u ~ N(0, 1), row by row, with panels that
  resolve a function's structure at fixed places in x (a core and geometric tails around it) and
  the Gaussian in u: the node count does not grow with s (for means and cross moments of a
  saturating or asymptotically affine φ at large variance);
* :func:`bivariate_normal_cdf` — P(X ≤ h, Y ≤ k) for standard normals with correlation ρ, by
  Owen's T function (Owen, Ann. Math. Stat. 27, 1075 (1956), Eq. 3.1).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from theory.errors import ParameterError

__all__ = [
    "normal_rule",
    "trapezoid_rule",
    "strip_step",
    "trapezoid_weights",
    "gauss_legendre",
    "logistic_rule",
    "graded_rule",
    "structured_normal_rule",
    "bivariate_normal_cdf",
    "DEFAULT_STEP",
    "TRUNCATION",
    "TARGET_EXPONENT",
    "sinh_normal_rule",
    "LocalizedCrossMoment",
    "SINH_STEP",
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


# ============================================================================ multiscale Gaussian rules
#: Step of :func:`sinh_normal_rule` in the mapped variable (error ≈ e^{−π²/(2h)} ≈ 1e-18).
SINH_STEP = 0.12


def sinh_normal_rule(
    variance: np.ndarray | float,
    *,
    feature: float = 1.0,
    step: float = SINH_STEP,
    truncation: float = 9.5,
    max_variance: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights for :math:`\mathbb E[f(x)]`, :math:`x\sim\mathcal N(0,v)`, uniform in the scale of v.

    The trapezoid rule in t after the map :math:`x=a\sinh t`, :math:`a=\min(\sqrt v,\ \text{feature})`:
    the nodes are spaced ≈ a·step near 0 (resolving structure of f on the scale ``feature``) and
    geometrically beyond (resolving the Gaussian of width √v), so the node count grows only like
    log(√v/feature): 51 nodes at v ≤ feature², 163 at v = 10⁶. For f analytic in the strip
    |Im x| < feature·π/2 the transformed integrand is analytic in |Im t| < π/4 (where the mapped
    Gaussian still decays), so the error is O(exp(−π²/(2·step))) ≈ 1e-18 for the default step
    (Trefethen & Weideman, SIAM Rev. 56, 385 (2014), Thm 5.1; Tanaka et al., Numer. Math. 111, 631
    (2009) for the single-exponential sinh map). The mapped domain is cut where |x| = truncation·√v
    (tail mass e^{−truncation²/2} ≈ 2e-20 times the growth of f).

    Parameters
    ----------
    variance:
        Variance(s) v > 0, any shape (G,) after ``atleast_1d``.
    feature:
        Scale of the structure of f near x = 0 (1 for tanh and the erf of this package).
    max_variance:
        Size the node count for this variance (default: the largest of ``variance``). Passing a
        fixed bound makes each row independent of the others (bitwise-identical results whether
        a variance is evaluated alone or in a batch).

    Returns
    -------
    (x, w):
        Arrays of shape (G, n) (one row per variance, the same n for all rows): E[f] ≈ Σ_k w_k f(x_k).
    """
    v = np.atleast_1d(np.asarray(variance, dtype=float))
    vmin, vmax_in = (float(v.min()), float(v.max())) if v.size else (1.0, 1.0)
    if v.ndim != 1 or not (vmin > 0 and math.isfinite(vmax_in)):
        raise ParameterError("variance", variance, "finite variances > 0 (a 1-d array)")
    if not (step > 0 and feature > 0 and truncation > 0):
        raise ParameterError("step, feature, truncation", (step, feature, truncation), "> 0")
    vmax = vmax_in if max_variance is None else float(max_variance)
    if not vmax >= vmax_in:
        raise ParameterError("max_variance", max_variance, f">= the largest variance {vmax_in:g}")
    smax = math.sqrt(vmax)
    n = max(2, int(math.ceil(math.asinh(truncation * smax / min(smax, feature)) / step)))
    s = np.sqrt(v)
    a = np.minimum(s, feature)
    h = (np.arcsinh(truncation * s / a) / n)[:, None]
    et = np.exp(h * _sinh_steps(n)[None, :])  # e^t
    ie = 1.0 / et
    x = (0.5 * a)[:, None] * (et - ie)  # a sinh t
    z = x / s[:, None]
    w = (h * (0.5 / _SQRT2PI) * (a / s)[:, None]) * (et + ie) * np.exp(-0.5 * z * z)
    return x, w


@functools.lru_cache(maxsize=16)
def _sinh_steps(n: int) -> np.ndarray:
    k = np.arange(-n, n + 1, dtype=float)
    k.flags.writeable = False
    return k


_SQRT2PI = math.sqrt(2.0 * math.pi)


class LocalizedCrossMoment:
    r""":math:`C_f(c;c_0)=\mathbb E[f(x)f(y)]` for an even, localised, analytic f, at any variance.

    (x, y) are zero-mean Gaussians with variances c0 and covariance c, |c| ≤ c0. In the rotated
    coordinates S = (x + y)/√2, D = (x − y)/√2, which are independent with variances c0 + c and
    c0 − c,

    .. math::
        C_f(c;c_0)=\iint K(S,D)\,\mathcal N(S;0,c_0+c)\,\mathcal N(D;0,c_0-c)\,dS\,dD,\qquad
        K(S,D)=f\big(\tfrac{S+D}{\sqrt2}\big)f\big(\tfrac{S-D}{\sqrt2}\big).

    K does not depend on (c, c0), and vanishes outside |S|, |D| ≤ R when f is localised, so on an
    axis whose Gaussian is wider than ``min_width`` the trapezoid rule on the fixed grid
    (step ``step``, K tabulated once) is exact to O(e^{−2πa/step}) (a the strip half-width of K),
    and each (c, c0) costs two vectors of Gaussian weights and one small matrix product, whatever
    the scale of c0 (the cost is flat from c0 = 10⁻⁶ to 10⁶). On an axis whose Gaussian is
    narrower, the rule is Gauss–Hermite in the scaled variable (K smooth on that scale). This is
    how the classical DMFT evaluates C_{φ'} at gains up to 10³, where Δ0 ≈ 7·10⁵ and the
    cross-moment quadrature of :mod:`theory.symbolic.gaussian` (grid spacing 0.2 in x over ±8.5√c0)
    would need 10⁵ nodes per axis.

    Error: on a fixed axis the trapezoid error is ≈ exp(a²/(2w²) + γa² − 2πa/h) at the best strip
    half-width a, with w ≥ ``min_width`` = 0.35 the Gaussian's width, h = 0.25 the step and γa²
    the growth of K in the strip: ≤ e^{−34} for sech² (a ≤ π/(2√2)), ≤ e^{−32} for a Gaussian bump
    e^{−πx²/4} (γ = π/4). On a scaled axis, Gauss–Hermite of order 25 on a function analytic in a
    strip ≥ 6 standard deviations wide: below 1e-14.

    Parameters
    ----------
    f:
        Vectorised even function decaying so that f(x)² ≤ tol·max f² for |x| ≥ R/√2 with R < 140
        (sets the radius R of the grid); analytic in a strip around the real axis.
    tol:
        Relative size of K at which the grid is cut.
    hermite_order:
        Gauss–Hermite order on scaled axes.
    """

    def __init__(self, f: Any, *, tol: float = 1e-17, hermite_order: int = 25) -> None:
        self.f = f
        self.step = 0.25
        self.min_width = 0.35
        scan = np.arange(0.0, 200.0, 0.25)
        f0 = float(np.max(np.abs(f(scan[:8]))))
        fx = np.abs(f(scan / math.sqrt(2.0)))
        # K(S, 0) = f(S/√2)² bounds K on the square's edge |S| = R (the slowest direction)
        small = np.nonzero(fx**2 <= tol * f0**2)[0]
        if small.size == 0:
            raise ParameterError("f", f, "a function decaying below tol within |x| < 140")
        self.radius = float(scan[small[0]])
        u = np.arange(0.0, self.radius + self.step / 2, self.step)
        self.u = u
        self.wu = np.full(u.size, 2.0 * self.step)
        self.wu[0] = self.step  # even integrand: Σ_Z h f(kh) = h f(0) + 2h Σ_{k>0} f(kh)
        r2 = 1.0 / math.sqrt(2.0)
        self.K = f((u[:, None] + u[None, :]) * r2) * f((u[:, None] - u[None, :]) * r2)
        eta, weta = normal_rule(int(hermite_order))
        keep = eta >= 0
        self.eta = np.ascontiguousarray(eta[keep])
        self.weta = np.where(eta[keep] > 0, 2.0 * weta[keep], weta[keep])

    def _fixed(self, width: np.ndarray) -> np.ndarray:
        z = self.u[None, :] / width[:, None]
        return self.wu[None, :] * np.exp(-0.5 * z * z) / (width[:, None] * _SQRT2PI)

    def _kernel(self, S: np.ndarray, D: np.ndarray) -> np.ndarray:
        r2 = 1.0 / math.sqrt(2.0)
        return self.f((S + D) * r2) * self.f((S - D) * r2)

    def __call__(self, c: Any, c0: Any) -> np.ndarray:
        """C_f(c; c0), broadcast over ``c`` and ``c0`` (|c| ≤ c0, c0 ≥ 0)."""
        c_arr, c0_arr = np.broadcast_arrays(np.asarray(c, dtype=float), np.asarray(c0, dtype=float))
        shape = c_arr.shape
        cf, c0f = c_arr.ravel(), c0_arr.ravel()
        if not (np.all(np.isfinite(cf)) and np.all(np.isfinite(c0f)) and np.all(c0f >= 0)):
            raise ParameterError("c, c0", (c, c0), "finite c and c0 >= 0")
        if np.any(np.abs(cf) > c0f * (1 + 1e-12) + 1e-300):
            raise ParameterError("c", c, "|c| <= c0 (a covariance matrix)")
        wS = np.sqrt(np.clip(c0f + cf, 0.0, None))
        wD = np.sqrt(np.clip(c0f - cf, 0.0, None))
        out = np.empty(cf.shape)
        fS, fD = wS >= self.min_width, wD >= self.min_width
        m = fS & fD
        if m.any():
            out[m] = np.einsum("mj,mj->m", self._fixed(wS[m]) @ self.K, self._fixed(wD[m]))
        m = fS & ~fD
        if m.any():
            D = wD[m][:, None, None] * self.eta[None, None, :]
            K = self._kernel(self.u[None, :, None], D)
            out[m] = np.einsum("mi,mij,j->m", self._fixed(wS[m]), K, self.weta)
        m = ~fS & fD
        if m.any():
            S = wS[m][:, None, None] * self.eta[None, :, None]
            K = self._kernel(S, self.u[None, None, :])
            out[m] = np.einsum("i,mij,mj->m", self.weta, K, self._fixed(wD[m]))
        m = ~fS & ~fD
        if m.any():
            S = wS[m][:, None, None] * self.eta[None, :, None]
            D = wD[m][:, None, None] * self.eta[None, None, :]
            out[m] = np.einsum("i,mij,j->m", self.weta, self._kernel(S, D), self.weta)
        return out.reshape(shape)


@functools.lru_cache(maxsize=16)
def logistic_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss nodes and weights for E[f(L)], L standard logistic: exact for polynomials of degree
    ≤ 2n − 1, and spectrally accurate for f smooth on the scale of the logistic's width.

    The recurrence coefficients come from the discretised Stieltjes procedure on the trapezoid
    rule with step 0.05 on [−50, 50] (error e^{−2π²/0.05} for the density, analytic in
    |Im L| < π, plus the tail e^{−50}), the nodes from the Jacobi matrix (Golub–Welsch).
    """
    if not (isinstance(n, (int, np.integer)) and 1 <= n <= 80):
        raise ParameterError("n", n, "an integer 1 <= n <= 80")
    x = np.arange(-1000, 1001) * 0.05
    w = 0.05 * 0.25 / np.cosh(0.5 * x) ** 2
    w /= w.sum()
    # Stieltjes: p_{k+1} = x p_k - b_k p_{k-1} (symmetric weight: a_k = 0), normalised each step
    b = np.zeros(n)
    p_prev = np.zeros_like(x)
    p = np.ones_like(x)
    norm_prev = 1.0
    for k in range(n):
        norm = float(np.sum(w * p * p))
        if k > 0:
            b[k] = norm / norm_prev
        p_next = x * p - (b[k] * p_prev if k > 0 else 0.0)
        p_prev, p, norm_prev = p / np.sqrt(norm), p_next / np.sqrt(norm), 1.0
        # after rescaling by sqrt(norm) the previous polynomial has unit norm
    from scipy.linalg import eigh_tridiagonal

    nodes, vecs = eigh_tridiagonal(np.zeros(n), np.sqrt(b[1:]))
    weights = vecs[0] ** 2
    nodes = 0.5 * (nodes - nodes[::-1])  # exact symmetry
    weights = 0.5 * (weights + weights[::-1])
    weights /= weights.sum()
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


@functools.lru_cache(maxsize=256)
def graded_rule(
    center: float,
    width: float,
    *,
    lo: float = -TRUNCATION,
    hi: float = TRUNCATION,
    order: int = 10,
    ratio: float = 2.0,
    core: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[f(u)], u ~ N(0, 1), f with a sharp feature of ``width`` at ``center``.

    Panels on [lo, hi] have edges ``center ± width·ratio^j`` (j = 0, 1, ...) until they reach
    length 1, then unit length; each panel carries Gauss–Legendre of ``order`` nodes, and the
    weights include the normal density. For f analytic except for poles at distance ≈ width from
    ``center`` (a logistic step), each panel sees its nearest singularity at a distance comparable
    to its length, so the error per panel is ≈ ρ^{−2·order} with ρ ≈ 3 (1e-10 at order 10),
    uniformly in ``width``: ~2·order·log2(1/width) nodes, not 1/width. With ``core`` > 0 the
    panels are two widths long out to ``core`` widths from the center before they start to grow
    (for integrands with further features of the same width within ``core`` widths, such as
    σ(ℓ)/|λ + σ(ℓ)| with ℓ = αz − β, whose second feature sits at ℓ ≈ ln|λ|).
    """
    if not (math.isfinite(center) and math.isfinite(width) and width > 0):
        raise ParameterError("width", width, "a finite width > 0 (and a finite center)")
    edges = {lo, hi}
    for sgn in (-1.0, 1.0):
        d = min(width, 1.0)
        j = 1
        while core > 0 and 2.0 * j * width <= min(core * width, 1.0):
            e = center + sgn * 2.0 * j * width
            if lo < e < hi:
                edges.add(e)
            d = 2.0 * j * width
            j += 1
        while d < 1.0:
            e = center + sgn * d
            if lo < e < hi:
                edges.add(e)
            d *= ratio
        e = center + sgn * d
        while lo < e < hi:
            edges.add(e)
            e += sgn
    if lo < center < hi:
        edges.add(center)
    # panels at most one unit long everywhere (the normal density itself needs them): a center
    # beyond [lo, hi] adds no edges above, and a single panel over [lo, hi] would integrate the
    # density with `order` nodes only
    ed_l = sorted(edges)
    for x0, x1 in zip(ed_l[:-1], ed_l[1:], strict=True):
        m = math.ceil((x1 - x0) - 1e-12)
        for j in range(1, m):
            edges.add(x0 + (x1 - x0) * j / m)
    ed = np.array(sorted(edges))
    xg, wg = _legendre(int(order))
    a, bb = ed[:-1, None], ed[1:, None]
    u = (a + 0.5 * (bb - a) * (xg[None, :] + 1.0)).ravel()
    wu = (0.5 * (bb - a) * wg[None, :]).ravel() * np.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)
    u.flags.writeable = False
    wu.flags.writeable = False
    return u, wu


def structured_normal_rule(
    mean: Any,
    sd: Any,
    core: tuple[float, ...],
    *,
    core_step: float = 0.5,
    order: int = 10,
    truncation: float = TRUNCATION,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights for :math:`\mathbb E[f(m_i+s_i u)]`, u ~ N(0, 1), one row per (m_i, s_i).

    For f whose non-affine structure lies in the ``core`` interval [x_lo, x_hi] of x (f'' small
    outside it, decaying away from it) at any scale s of the Gaussian. ``core`` may list break
    points after the interval, ``(x_lo, x_hi, b_1, …)``: points where f or a derivative jumps (the
    kink of a ReLU or a softsign), made panel edges so that each panel sees a smooth f. The panel
    edges of a row are the union, mapped to u = (x − m)/s and clipped to ±``truncation``, of

    * unit panels in u on [−truncation, truncation] (the Gaussian, whatever s);
    * panels of ``core_step`` in x across the core (the structure of f);
    * geometric tails x_hi + core_step·2^j, x_lo − core_step·2^j, j = 0, 1, … until they pass the
      row's window m ± truncation·s (panels growing with the distance from the core, where f is
      ever closer to affine);

    each panel carries Gauss–Legendre of ``order`` nodes, weighted by the normal density, and the
    weights of a row are normalised to sum to one. A row's edges depend only on its own (m, s);
    rows with fewer edges are padded with zero-length panels at the window's end (zero weight).
    Each panel sees f analytic at a distance comparable to its length (a pole of tanh at π/2 from
    a panel of half-length 1/4, or the decaying structure of the tail from a panel as long as its
    distance to the core): the error per panel is ≈ ρ^{−2·order} with ρ ≳ 3, about 1e-10
    relative at order 10, uniformly in s. Nodes: order·(2·truncation + (x_hi − x_lo)/core_step +
    2·log2(truncation·s/core_step)), about 480 at s = 40, against 2·truncation·s/step = 3400 for a
    trapezoid rule of spacing 0.2 in x.

    Returns
    -------
    (x, w):
        Arrays of shape (k, n): the nodes in x (= m_i + s_i·u) and the weights.
    """
    m = np.atleast_1d(np.asarray(mean, dtype=float))
    s = np.atleast_1d(np.asarray(sd, dtype=float))
    m, s = np.broadcast_arrays(m, s)
    lo, hi = float(core[0]), float(core[1])
    breaks = np.asarray(core[2:], dtype=float)
    if m.ndim != 1 or not (np.all(np.isfinite(m)) and np.all(np.isfinite(s)) and np.all(s >= 0)):
        raise ParameterError("mean, sd", (mean, sd), "finite means and standard deviations >= 0")
    if not (math.isfinite(lo) and math.isfinite(hi) and hi >= lo and core_step > 0) or not np.all(
        (breaks >= lo) & (breaks <= hi)
    ):
        raise ParameterError(
            "core",
            core,
            "a finite interval x_lo <= x_hi (then break points inside it), core_step > 0",
        )
    n_core = max(1, int(math.ceil((hi - lo) / core_step)))
    reach = np.maximum(np.maximum(m + truncation * s - hi, lo - m + truncation * s), core_step)
    levels = np.ceil(np.log2(reach / core_step)).astype(int) + 1  # tails pass the window
    j = np.arange(int(levels.max()) + 1)
    tails = np.where(j[None, :] <= levels[:, None], core_step * 2.0 ** j[None, :], np.inf)
    core_x = np.concatenate([np.linspace(lo, hi, n_core + 1), breaks])
    core_edges = np.broadcast_to(core_x, (m.size, core_x.size))
    x_edges = np.concatenate([core_edges, hi + tails, lo - tails], axis=1)
    unit = np.arange(-truncation, truncation + 0.5, 1.0)
    unit[-1] = truncation
    safe = np.maximum(s, 1e-300)
    with np.errstate(over="ignore", invalid="ignore"):
        ue = np.clip((x_edges - m[:, None]) / safe[:, None], -truncation, truncation)
    edges = np.sort(np.concatenate([np.broadcast_to(unit, (m.size, unit.size)), ue], axis=1))
    left, half = edges[:, :-1], 0.5 * (edges[:, 1:] - edges[:, :-1])
    xi, wi = _legendre(int(order))
    u = left[:, :, None] + half[:, :, None] * (xi + 1.0)
    w = half[:, :, None] * wi * np.exp(-0.5 * u * u)
    u = u.reshape(m.size, -1)
    w = w.reshape(m.size, -1)
    w /= w.sum(axis=1, keepdims=True)
    return m[:, None] + s[:, None] * u, w


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """P(X ≤ h, Y ≤ k) for standard normals X, Y with correlation ρ (broadcast, vectorised).

    Owen (1956): Φ₂ = ½Φ(h) + ½Φ(k) − T(h, a_h) − T(k, a_k) − β with
    a_h = (k − ρh)/(h√(1−ρ²)), a_k = (h − ρk)/(k√(1−ρ²)), β = ½ if hk < 0 or (hk = 0 and
    h + k < 0), else 0; T is Owen's T function (``scipy.special.owens_t``). |ρ| = 1 uses the
    degenerate limits Φ(min(h, k)) and max(0, Φ(h) + Φ(k) − 1).
    """
    import scipy.special as sc

    h, k, rho = np.broadcast_arrays(
        np.asarray(h, dtype=float), np.asarray(k, dtype=float), np.asarray(rho, dtype=float)
    )
    out = np.empty(h.shape)
    r = np.clip(rho, -1.0, 1.0)
    deg_p = r >= 1.0
    deg_m = r <= -1.0
    gen = ~(deg_p | deg_m)
    out[deg_p] = sc.ndtr(np.minimum(h[deg_p], k[deg_p]))
    out[deg_m] = np.maximum(0.0, sc.ndtr(h[deg_m]) + sc.ndtr(k[deg_m]) - 1.0)
    if np.any(gen):
        hh, kk, rr = h[gen], k[gen], r[gen]
        tiny = 1e-300
        hs = np.where(hh == 0.0, np.where(kk >= 0, tiny, -tiny), hh)
        ks = np.where(kk == 0.0, np.where(hh >= 0, tiny, -tiny), kk)
        sq = np.sqrt((1.0 - rr) * (1.0 + rr))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ah = (kk - rr * hh) / (hs * sq)
            ak = (hh - rr * kk) / (ks * sq)
        ah = np.nan_to_num(ah, nan=0.0, posinf=1e300, neginf=-1e300)
        ak = np.nan_to_num(ak, nan=0.0, posinf=1e300, neginf=-1e300)
        beta = np.where((hs * ks < 0), 0.5, 0.0)
        val = 0.5 * sc.ndtr(hh) + 0.5 * sc.ndtr(kk) - sc.owens_t(hs, ah) - sc.owens_t(ks, ak) - beta
        both0 = (hh == 0.0) & (kk == 0.0)
        val = np.where(both0, 0.25 + np.arcsin(rr) / (2.0 * math.pi), val)
        out[gen] = np.clip(val, 0.0, 1.0)
    return out
