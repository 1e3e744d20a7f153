"""Kernel families: compiled SymPy transforms vs hand formulas and quadrature; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si
import scipy.special as sc

from theory.errors import ParameterError
from theory.linear_memory import kernels as K


def test_power_law_three_halves_laplace_hand_formula() -> None:
    s = np.array([0.05, 0.3, 1.0, 4.0, 20.0])
    hand = 2 - 2 * np.sqrt(np.pi * s) * np.exp(s) * sc.erfc(np.sqrt(s))
    np.testing.assert_allclose(K.power_law(1.5).laplace(s), hand, rtol=1e-10)


@pytest.mark.parametrize("p", [1.1, 1.5, 2.5, 3.0])
def test_power_law_laplace_and_derivative_vs_quadrature(p: float) -> None:
    k = K.power_law(p)
    for s in (0.2, 1.0, 3.0):
        G = si.quad(
            lambda t, s=s: (1 + t) ** (-p) * np.exp(-s * t), 0, np.inf, epsabs=1e-13, epsrel=1e-12
        )[0]
        dG = -si.quad(
            lambda t, s=s: t * (1 + t) ** (-p) * np.exp(-s * t),
            0,
            np.inf,
            epsabs=1e-13,
            epsrel=1e-12,
        )[0]
        assert k.laplace([s])[0] == pytest.approx(G, rel=1e-9)
        assert k.dlaplace([s])[0] == pytest.approx(dG, rel=1e-7)
    assert k.l1_norm() == pytest.approx(1 / (p - 1))
    assert k.l2_norm_sq() == pytest.approx(1 / (2 * p - 1))


def test_bump_window_exponential_airy_vs_quadrature() -> None:
    for k, f in [
        (K.gaussian_bump(0.7, 3.0), lambda t: 0.7 * np.exp(-((t - 3.0) ** 2))),
        (K.shifted_window(2.0, 1.5), lambda t: float(2.0 <= t <= 3.5)),
        (K.exponential_sum([1.0, -0.5], [1.0, 0.2]), lambda t: np.exp(-t) - 0.5 * np.exp(-0.2 * t)),
        (K.airy_kernel(3.0), lambda t: sc.airy(t - 3.0)[0]),
    ]:
        for s in (0.5, 1.5):
            G = si.quad(
                lambda t, f=f, s=s: f(t) * np.exp(-s * t), 0, 80, limit=400, points=[2.0, 3.5]
            )[0]
            assert k.laplace([s])[0] == pytest.approx(G, rel=1e-8, abs=1e-12)
        n2 = si.quad(lambda t, f=f: f(t) ** 2, 0, 80, limit=400, points=[2.0, 3.5])[0]
        assert k.l2_norm_sq() == pytest.approx(n2, rel=1e-8)


def test_user_expression_and_l1() -> None:
    k = K.from_expression("exp(-t)/(1+t)")
    assert k(np.array([0.0, 1.0]))[1] == pytest.approx(np.exp(-1) / 2)
    val = si.quad(lambda t: np.exp(-t) / (1 + t) * np.exp(-0.5 * t), 0, np.inf)[0]
    assert k.laplace([0.5])[0] == pytest.approx(val, rel=1e-8)
    assert K.l1_distance(k, lambda t: 0 * t) == pytest.approx(
        si.quad(lambda t: np.exp(-t) / (1 + t), 0, np.inf)[0], rel=1e-8
    )


def test_bad_kernels() -> None:
    with pytest.raises(ParameterError, match="p"):
        K.power_law(1.0)
    with pytest.raises(ParameterError, match="p"):
        K.power_law(0.5)
    with pytest.raises(ParameterError, match="free symbols"):
        K.from_expression("exp(-a*t)")
    with pytest.raises(ParameterError, match="integrable"):
        K.from_expression("1/(1+t)")
    with pytest.raises(ParameterError, match="mu"):
        K.gaussian_bump(1.0, -2.0)
    with pytest.raises(ParameterError, match="v"):
        K.exponential_sum([1.0], [-1.0])


def test_kernel_derivation_renders() -> None:
    d = K.kernel_family_derivation()
    tex = d.standalone()
    assert "\\begin{document}" in tex and "erfc" in tex
