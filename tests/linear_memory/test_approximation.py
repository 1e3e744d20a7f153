"""Approximation: the Chebyshev construction (spec reference numbers), best coefficients, Hankel."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.integrate as si

from theory.errors import ParameterError
from theory.linear_memory import approximation as ap
from theory.linear_memory import hankel as hk
from theory.linear_memory import kernels as K


def test_chebyshev_spec_reference_numbers() -> None:
    k = K.from_expression("exp(-t)/(1+t)")
    ref = {1: 4.39e-1, 2: 1.67e-1, 4: 9.31e-3, 8: 5.70e-5}
    for m, e in ref.items():
        r = ap.chebyshev_construction(k, m, 0.5)
        assert r.l1_error == pytest.approx(e, rel=1e-2)  # spec gives 3 digits
        assert r.l1_error <= r.bound
        # the diagonal RNN (monomial coefficients, rates j*beta') is the same kernel
        tt = np.linspace(0, 20, 50)
        np.testing.assert_allclose(r.model.kernel(tt), r.kernel(tt), atol=1e-9)


def test_hankel_spec_values() -> None:
    np.testing.assert_allclose(
        hk.hankel_singular_values_exp([1.0, 0.5], [1.0, 0.1]), [2.68879, 0.31121], atol=5e-6
    )


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
