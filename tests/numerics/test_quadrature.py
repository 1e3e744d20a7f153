"""Quadrature rules: exactness, the trapezoid rule's geometric convergence, interval rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.numerics.quadrature import (
    gauss_legendre,
    normal_rule,
    strip_step,
    trapezoid_rule,
    trapezoid_weights,
)


def test_hermite_rule_is_exact_for_gaussian_moments() -> None:
    u, w = normal_rule(10)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    for k, m in ((2, 1.0), (4, 3.0), (6, 15.0), (18, math.prod(range(1, 18, 2)))):
        assert w @ u**k == pytest.approx(m, rel=1e-12)
    with pytest.raises(ParameterError):
        normal_rule(0)


def test_trapezoid_rule_error_falls_geometrically_with_the_step() -> None:
    import mpmath

    exact = float(
        mpmath.quad(lambda x: mpmath.tanh(2 * x) ** 2 * mpmath.npdf(x), [-mpmath.inf, mpmath.inf])
    )
    steps = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    errs = []
    for step in steps:
        u, w = trapezoid_rule(2.0, step)
        errs.append(abs(w @ np.tanh(2 * u) ** 2 - exact))
    # tanh^2 is analytic in |Im x| < a = pi/2: error ~ C exp(-2 pi a / step), so log(error) is
    # linear in 1/step with slope -pi^2 (Trefethen & Weideman 2014, Thm 5.1); fitted within 10 %
    slope = np.polyfit(1 / steps, np.log(errs), 1)[0]
    assert abs(slope / -(np.pi**2) - 1) < 0.1, slope
    u, w = trapezoid_rule(2.0, 0.2)
    assert abs(w @ np.tanh(2 * u) ** 2 - exact) < 1e-13


def test_strip_step() -> None:
    assert strip_step(math.pi / 2) == pytest.approx(0.2)  # capped at 0.2
    assert strip_step(0.1) == pytest.approx(2 * math.pi * 0.1 / 49)
    with pytest.raises(ParameterError):
        strip_step(0.0)


def test_trapezoid_weights_integrate_a_parabola_to_second_order() -> None:
    errs = []
    for n in (11, 21, 41):
        t = np.linspace(0, 1, n)
        errs.append(abs(trapezoid_weights(n, 1 / (n - 1)) @ t**2 - 1 / 3))
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=1e-6) and errs[1] / errs[2] == pytest.approx(
        4.0, rel=1e-6
    )
    with pytest.raises(ParameterError):
        trapezoid_weights(1, 0.1)


def test_gauss_legendre_on_an_interval() -> None:
    x, w = gauss_legendre(5, 1.0, 3.0)
    assert w @ x**9 == pytest.approx((3**10 - 1) / 10, rel=1e-13)
    assert x.min() > 1.0 and x.max() < 3.0
    with pytest.raises(ParameterError):
        gauss_legendre(3, 2.0, 1.0)


@pytest.mark.parametrize("center", [0.0, 5.0, 9.0, 12.0, 200.0, -300.0])
@pytest.mark.parametrize("width", [1e-4, 0.3, 50.0])
def test_graded_rule_integrates_the_density_wherever_the_feature_lies(center, width):
    """E[1] = 1 and E[u²] = 1 to rounding for a feature inside or far outside the truncation.

    Error model: unit panels with 10 Gauss–Legendre nodes integrate the normal density to
    ~1e-15 per panel; the tail beyond the truncation is e^{-T²/2}. A feature beyond the
    truncation used to leave one panel over the whole interval (E[1] off by 10 %).
    """
    from theory.numerics.quadrature import graded_rule

    u, w = graded_rule(center, width)
    assert abs(w.sum() - 1.0) < 1e-12
    assert abs(w @ (u * u) - 1.0) < 1e-11


# ---------------------------------------------------------------------------- structured rule
@pytest.mark.parametrize(
    ("mean", "sd"), [(0.0, 40.0), (0.3, 7.0), (2.0, 100.0), (-5.0, 0.5), (0.0, 1e-9), (1.0, 0.0)]
)
def test_structured_normal_rule_matches_a_fine_trapezoid(mean, sd):
    """Error model: GL-10 per panel with the nearest singularity ≥ 3 panel half-lengths away gives
    ≲ 1e-10 relative (docstring); the reference is the trapezoid rule at spacing 0.02 in x
    (e^{-2π(π/2)/0.02}, exact to rounding). Tolerance 1e-10·(1 + |E|)."""
    from theory.numerics.quadrature import structured_normal_rule

    x, w = structured_normal_rule(mean, sd, (-3.5, 3.5))
    assert x.shape == w.shape and x.shape[0] == 1
    assert np.all(w >= 0) and abs(w.sum() - 1.0) < 1e-14
    fns = [lambda t: np.tanh(t - 0.5), lambda t: np.logaddexp(t, -t), lambda t: np.tanh(t) ** 2]
    if sd > 0:
        u, wt = trapezoid_rule(sd, 0.02)
        nodes = mean + sd * u
    else:
        nodes, wt = np.array([mean]), np.ones(1)
    for f in fns:
        ref = float(f(nodes) @ wt)
        assert abs(float(f(x[0]) @ w[0]) - ref) <= 1e-10 * (1.0 + abs(ref))


def test_structured_normal_rule_node_count_is_flat_in_the_scale():
    from theory.numerics.quadrature import structured_normal_rule

    counts = [structured_normal_rule(0.0, s, (-3.5, 3.5))[0].shape[1] for s in (10, 1e3, 1e5)]
    # geometric tails: ~2·order nodes per factor 2 of the scale, not 85 nodes per unit of s
    assert counts[-1] - counts[0] <= 2 * 10 * math.ceil(math.log2(1e4)) + 10
    assert counts[-1] < 1000


def test_structured_normal_rule_rows_are_independent_of_the_batch():
    from theory.numerics.quadrature import structured_normal_rule

    f = np.tanh
    alone = [
        float(f(x[0]) @ w[0])
        for x, w in (structured_normal_rule(m, 30.0, (-3, 3)) for m in (0.0, 50.0))
    ]
    x, w = structured_normal_rule(np.array([0.0, 50.0]), 30.0, (-3, 3))
    batch = np.einsum("kn,kn->k", f(x), w)
    assert abs(batch[0] - alone[0]) < 1e-15 and abs(batch[1] - alone[1]) < 1e-15


def test_structured_normal_rule_rejects_bad_input():
    from theory.numerics.quadrature import structured_normal_rule

    with pytest.raises(ParameterError):
        structured_normal_rule(0.0, -1.0, (-1, 1))
    with pytest.raises(ParameterError):
        structured_normal_rule(np.nan, 1.0, (-1, 1))
    with pytest.raises(ParameterError):
        structured_normal_rule(0.0, 1.0, (1, -1))
