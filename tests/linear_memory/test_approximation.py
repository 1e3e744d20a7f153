"""Approximation: the Chebyshev construction (reference numbers), best coefficients, stable floor."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.integrate as si

from theory.errors import ParameterError
from theory.linear_memory import approximation as ap
from theory.linear_memory import kernels as K


def test_chebyshev_reference_numbers() -> None:
    k = K.from_expression("exp(-t)/(1+t)")
    ref = {1: 4.39e-1, 2: 1.67e-1, 4: 9.31e-3, 8: 5.70e-5}
    for m, e in ref.items():
        r = ap.chebyshev_construction(k, m, 0.5)
        assert r.l1_error == pytest.approx(e, rel=1e-2)  # references quoted to 3 digits
        assert r.l1_error <= r.bound
        # the diagonal RNN (monomial coefficients, rates j*beta') is the same kernel
        tt = np.linspace(0, 20, 50)
        np.testing.assert_allclose(r.model.kernel(tt), r.kernel(tt), atol=1e-9)


def test_best_coefficients_m24_mpmath() -> None:
    k = K.power_law(1.5)
    t0 = time.perf_counter()
    fit = ap.best_coefficients(k, ap.free_rates(24))
    elapsed = time.perf_counter() - t0
    assert fit.residual < 1e-30
    # J_min from mpmath equals the compiled loss at the fitted model (independent route)
    from theory.linear_memory.loss import diagonal_loss

    J = diagonal_loss(k).value(fit.model.a, fit.model.w)
    assert fit.loss == pytest.approx(J, abs=1e-9)
    assert elapsed < 30  # informational bound only (the benchmark reports the time)


def test_stable_floor_vs_quadrature() -> None:
    L, Ts = ap.stable_floor(1.5, 1.2, 0.5)
    q = si.quad(lambda t: (1 + t) ** -1.5 - 1.2 * np.exp(-0.5 * t), Ts, np.inf, limit=400)[0]
    assert (1 + Ts) ** -1.5 == pytest.approx(1.2 * np.exp(-0.5 * Ts), rel=1e-10)
    assert L == pytest.approx(q, rel=1e-7)


def test_bad_widths_and_rates() -> None:
    k = K.from_expression("exp(-t)/(1+t)")
    with pytest.raises(ParameterError, match="m"):
        ap.chebyshev_construction(k, 0, 0.5)
    with pytest.raises(ParameterError, match="beta"):
        ap.chebyshev_construction(k, 3, -1.0)
    with pytest.raises(ParameterError, match="w"):
        ap.best_coefficients(K.power_law(1.5), np.array([1.0, 1.0]))


def test_construction_derivation_steps() -> None:
    import sympy as sp

    d = ap.construction_derivation()
    assert d.name == "linear_memory_chebyshev_construction"
    # SymPy's weight integral is 1/beta', the factor of the L1 bound
    assert sp.simplify(d.rhs("weight_integral") - 1 / ap.beta) == 0
    assert "JMLR 23 (2022)" in d.citation()


def test_free_rates_reach_zero_stable_rates_do_not() -> None:
    assert ap.free_rates(24).min() < ap.free_rates(4).min() < 1.0
    for m in (1, 4, 24):
        assert ap.stable_rates(m, 0.5).min() == pytest.approx(0.5)


def test_nonnegative_fit_is_nonnegative_and_exact_on_its_class() -> None:
    k = K.exponential_sum([0.6, 0.3], [1.0, 4.0])
    fit = ap.nonnegative_fit(k, np.array([0.5, 1.0, 4.0]))
    assert np.all(fit.a >= 0)
    np.testing.assert_allclose(fit.a, [0.0, 0.6, 0.3], atol=1e-6)
