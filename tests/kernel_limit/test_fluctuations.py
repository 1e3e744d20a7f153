"""Poisson corrector: kernel dynamics along data paths vs the predicted covariance."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.kernel_limit import fluctuations as fl
from theory.kernel_limit.kernel import kernel_quadrature
from theory.kernel_limit.limit_ode import LimitODE
from theory.kernel_limit.model import KernelLimitParams, example_task
from theory.markov.histories import HistoryChain


@pytest.fixture(scope="module")
def setup() -> tuple:
    task = example_task()
    hc = HistoryChain(task.chain, 3)
    A = kernel_quadrature(KernelLimitParams(), hc)
    return hc, A, task.y(hc.values)


def test_mode_variance_hand() -> None:
    a, lam, s2, N, T = 1.2, 0.3, 0.8, 500.0, 2.0
    hand = a * s2 * (1 - np.exp(-2 * a * lam * T)) / (2 * lam * N)
    assert float(fl.mode_variance()(a, lam, s2, N, T)) == pytest.approx(hand, rel=1e-12)


def test_derivation_stationary_variance() -> None:
    d = fl.fluctuation_derivation()
    expected = fl.alpha_s * fl.sig2_s / (2 * fl.lam_s * fl.N_s)
    assert sp.simplify(d.rhs("stationary_variance") - expected) == 0
    assert "arXiv 2308.14555" in d.citation() and "Meyn" in d.citation()


def test_kernel_dynamics_one_step_by_hand() -> None:
    K = np.array([[2.0, 0.5], [0.5, 1.0]])
    y = np.array([1.0, -1.0])
    g = fl.kernel_dynamics(K, y, np.array([[1, 0]]), 0.5, 10)
    g1 = 0.05 * (y[1] - 0.0) * K[:, 1]
    g2 = g1 + 0.05 * (y[0] - g1[0]) * K[:, 0]
    np.testing.assert_allclose(g[0], g2, rtol=1e-14)


def test_kernel_dynamics_initial_output_is_affine(setup: tuple) -> None:
    """g0 enters affinely: kd(g0) − kd(0) is linear in g0 (one path), and its mean over paths is
    the limit ODE's flow e^{−αTKD} g0 (within the path fluctuation, O(N^{-1/2}) relative)."""
    hc, A, y = setup
    ode = LimitODE(A, hc.Pi, y, 1.0)
    N, T, R = 400, 1.0, 64
    rng = np.random.default_rng(5)
    paths = hc.chain.sample(int(N * T), R, rng)
    a, b = rng.normal(size=hc.H), rng.normal(size=(R, hc.H))
    base = fl.kernel_dynamics(A, y, paths, 1.0, N)
    da = fl.kernel_dynamics(A, y, paths, 1.0, N, g0=a) - base
    db = fl.kernel_dynamics(A, y, paths, 1.0, N, g0=b) - base
    dab = fl.kernel_dynamics(A, y, paths, 1.0, N, g0=a + 2 * b) - base
    np.testing.assert_allclose(dab, da + 2 * db, atol=1e-12)
    flow = ode.propagator(T) @ a
    spread = np.sqrt(np.mean((da - da.mean(0)) ** 2, axis=0) / R)
    assert np.max(np.abs(da.mean(0) - flow) / (spread + 1e-3 * np.abs(flow).max())) < 5.0
    with pytest.raises(ParameterError):
        fl.kernel_dynamics(A, y, paths, 1.0, N, g0=np.zeros(hc.H + 1))


def test_kernel_dynamics_mean_and_covariance(setup: tuple) -> None:
    hc, A, y = setup
    ode = LimitODE(A, hc.Pi, y, 1.0)
    N, T, R = 400, 1.0, 200
    paths = hc.chain.sample(int(N * T), R, np.random.default_rng(4))
    g = fl.kernel_dynamics(A, y, paths, 1.0, N)
    cov = fl.predicted_covariance(ode, hc, T, N)
    np.testing.assert_allclose(cov, cov.T, atol=1e-14)
    assert np.linalg.eigvalsh(cov).min() > -1e-12
    # mean within 5 standard errors of the ODE at every history
    se = np.sqrt(np.diag(cov) / R)
    assert np.max(np.abs(g.mean(0) - ode.g(T)) / se) < 5.0
    # covariance scales as 1/N
    np.testing.assert_allclose(fl.predicted_covariance(ode, hc, T, 2 * N), cov / 2, rtol=1e-12)
