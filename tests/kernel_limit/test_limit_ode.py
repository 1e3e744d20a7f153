"""Limit ODE and Poisson corrector: compiled SymPy solutions vs hand formulas."""

from __future__ import annotations

import numpy as np
import pytest

from theory.kernel_limit.fluctuations import kernel_dynamics, mode_variance, predicted_covariance
from theory.kernel_limit.kernel import kernel_quadrature
from theory.kernel_limit.limit_ode import LimitODE, mode_solution
from theory.kernel_limit.model import KernelLimitParams, example_task
from theory.markov.histories import HistoryChain


@pytest.fixture(scope="module")
def setup() -> tuple:
    task = example_task()
    hc = HistoryChain(task.chain, 3)
    A = kernel_quadrature(KernelLimitParams(), hc)
    return hc, A, task.y(hc.values)


def test_mode_solution_hand() -> None:
    t, a, lam, y = 0.7, 1.3, 0.4, -2.0
    assert float(mode_solution()(t, a, lam, y)) == pytest.approx(
        y * (1 - np.exp(-a * lam * t)), rel=1e-14
    )


def test_mode_variance_hand() -> None:
    a, lam, s2, N, T = 1.2, 0.3, 0.8, 500.0, 2.0
    hand = a * s2 * (1 - np.exp(-2 * a * lam * T)) / (2 * lam * N)
    assert float(mode_variance()(a, lam, s2, N, T)) == pytest.approx(hand, rel=1e-12)


def test_ode_eigh_vs_expm_and_equation(setup: tuple) -> None:
    hc, A, y = setup
    ode = LimitODE(A, hc.Pi, y, 1.0)
    ode2 = LimitODE(A, hc.Pi, y, 1.0, method="expm")
    for t in (0.0, 0.3, 2.0):
        np.testing.assert_allclose(ode.g(t), ode2.g(t), atol=1e-12)
    h = 1e-5
    dg = (ode.g(1.0 + h) - ode.g(1.0 - h)) / (2 * h)
    np.testing.assert_allclose(dg, A @ (hc.Pi * (y - ode.g(1.0))), atol=1e-8)
    assert np.allclose(ode.g(0.0), 0.0)


def test_bad_ode_inputs(setup: tuple) -> None:
    hc, A, y = setup
    from theory.errors import ParameterError

    with pytest.raises(ParameterError, match="alpha"):
        LimitODE(A, hc.Pi, y, 0.0)
    with pytest.raises(ParameterError, match="Pi"):
        LimitODE(A, -hc.Pi, y, 1.0)


def test_kernel_dynamics_mean_and_covariance(setup: tuple) -> None:
    hc, A, y = setup
    ode = LimitODE(A, hc.Pi, y, 1.0)
    N, T, R = 400, 1.0, 200
    paths = hc.chain.sample(int(N * T), R, np.random.default_rng(4))
    g = kernel_dynamics(A, y, paths, 1.0, N)
    cov = predicted_covariance(ode, hc, T, N)
    np.testing.assert_allclose(cov, cov.T, atol=1e-14)
    assert np.linalg.eigvalsh(cov).min() > -1e-12
    # mean within 5 standard errors of the ODE at every history
    se = np.sqrt(np.diag(cov) / R)
    assert np.max(np.abs(g.mean(0) - ode.g(T)) / se) < 5.0
