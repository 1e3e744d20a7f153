"""Classical RNN simulator: bad input, reproducibility, integrator order, autocorrelation estimator."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.classical.model import ClassicalParams
from theory.gating.classical.simulation import simulate_classical
from theory.numerics.timeseries import autocorrelation_fft


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(N=1, T=10, burn_in=1), "N"),
        (dict(N=10, T=10, burn_in=1, dt=0.0), "dt"),
        (dict(N=10, T=10, burn_in=1, dt=-0.1), "dt"),
        (dict(N=10, T=5, burn_in=5), "T"),
        (dict(N=10, T=5, burn_in=-1), "burn_in"),
        (dict(N=10, T=5, burn_in=1, method="euler"), "method"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        simulate_classical(ClassicalParams(2.0), **kwargs)


def test_seeded_and_reproducible() -> None:
    a = simulate_classical(ClassicalParams(2.0), 50, T=5.0, burn_in=1.0, seed=3)
    b = simulate_classical(ClassicalParams(2.0), 50, T=5.0, burn_in=1.0, seed=3)
    c = simulate_classical(ClassicalParams(2.0), 50, T=5.0, burn_in=1.0, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_rk4_fourth_order() -> None:
    """Halving dt divides the end-point error by ~16 (RK4) and ~4 (Heun)."""
    p = ClassicalParams(1.5)
    ref = simulate_classical(p, 40, T=3.5, burn_in=3.0, dt=0.0025, seed=1).x[0]
    for method, order in (("rk4", 4), ("heun", 2)):
        e1 = np.abs(
            simulate_classical(p, 40, T=3.5, burn_in=3.0, dt=0.1, seed=1, method=method).x[0] - ref
        ).max()
        e2 = np.abs(
            simulate_classical(p, 40, T=3.5, burn_in=3.0, dt=0.05, seed=1, method=method).x[0] - ref
        ).max()
        assert np.log2(e1 / e2) == pytest.approx(order, abs=0.6)


def test_autocorrelation_fft_matches_direct_sum() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 7))
    ac = autocorrelation_fft(x, 20, chunk=3)
    direct = [
        np.mean([np.dot(x[: 300 - k, i], x[k:, i]) / (300 - k) for i in range(7)])
        for k in range(21)
    ]
    np.testing.assert_allclose(ac, direct, rtol=1e-10)
    with pytest.raises(ParameterError, match="max_lag"):
        autocorrelation_fft(x, 300)


def test_mean_coupling_biases_and_expression_phi() -> None:
    """The general model: phi compiled from its expression, J0/N added to J, quenched inputs drawn
    after J and x(0); the SCS networks of a seed are unchanged. At a fixed point (g = 0.5, linear
    phi) x* = (1 - J)^{-1} theta exactly, with the J and theta the simulator drew."""
    base = simulate_classical(ClassicalParams(2.0), 50, T=2.0, burn_in=1.0, seed=3)
    same = simulate_classical(ClassicalParams(2.0, phi="tanh(x)"), 50, T=2.0, burn_in=1.0, seed=3)
    np.testing.assert_array_equal(base.x, same.x)
    p = ClassicalParams(0.5, phi="linear", J0=0.5, I=0.3, I_std=0.7)
    tr = simulate_classical(p, 60, T=150.0, burn_in=149.0, seed=5)
    rng = np.random.default_rng(5)
    J = rng.standard_normal((60, 60)) * 0.5 / np.sqrt(60) + 0.5 / 60
    rng.standard_normal(60)  # x(0)
    theta = 0.3 + 0.7 * rng.standard_normal(60)
    np.testing.assert_allclose(tr.x[-1], np.linalg.solve(np.eye(60) - J, theta), atol=1e-5)


def test_lyapunov_of_a_linear_network_is_its_top_eigenvalue() -> None:
    """phi = x: the tangent vector is the state, lambda_1 = max Re eig(J) - 1 exactly (same J)."""
    from theory.gating.classical.lyapunov import max_lyapunov_classical

    p = ClassicalParams(0.9, phi="linear")
    est = max_lyapunov_classical(p, 80, T=150.0, transient=100.0, seed=2)
    J = np.random.default_rng(2).standard_normal((80, 80)) * 0.9 / np.sqrt(80)
    top = float(np.max(np.linalg.eigvals(J).real)) - 1.0
    assert est.value == pytest.approx(top, abs=max(4 * est.sem, 2e-3))
    with pytest.raises(ParameterError):
        max_lyapunov_classical(p, 80, T=150.0, transient=10.0, t_renorm=0.01)


def test_float32_integration_follows_float64() -> None:
    """dtype=float32: the same network (J drawn in float64 and rounded) and the same trajectory
    up to rounding, ≈ 6e-8 relative per step amplified by at most e^{(1+g) t} (here t ≤ 5, and
    the measured growth is far slower: ~1e-6); records stay float32; other dtypes raise."""
    p = ClassicalParams(2.0, phi="tanh(x - 0.5)", I=0.2, I_std=0.3)
    a = simulate_classical(p, 200, T=5.0, burn_in=0.0, seed=7)
    b = simulate_classical(p, 200, T=5.0, burn_in=0.0, seed=7, dtype=np.float32)
    assert b.x.dtype == np.float32
    np.testing.assert_allclose(b.x, a.x, rtol=0, atol=1e-4)
    np.testing.assert_allclose(b.xdot, a.xdot, rtol=0, atol=1e-4)
    with pytest.raises(ParameterError, match="dtype"):
        simulate_classical(p, 20, T=2.0, burn_in=0.0, dtype=np.int64)
