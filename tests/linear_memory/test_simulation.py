"""The discretised linear RNN: zero-order hold, inputs, targets, Monte-Carlo MSE, SGD, worst case."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

from theory.checks import mean_sem
from theory.errors import ParameterError
from theory.linear_memory import kernels as K
from theory.linear_memory import simulation as sim
from theory.linear_memory.checks import discrete_loss
from theory.linear_memory.loss import diagonal_loss
from theory.linear_memory.model import DiagonalRNN, LinearRNN


def test_zoh_matches_inverse_formula() -> None:
    W = np.array([[-1.0, 0.3], [0.0, -2.0]])
    m = LinearRNN(W, np.array([1.0, 2.0]), np.ones(2))
    A, b = sim.zoh(m, 0.1)
    np.testing.assert_allclose(A, sl.expm(0.1 * W))
    np.testing.assert_allclose(b, np.linalg.solve(W, (sl.expm(0.1 * W) - np.eye(2)) @ m.U))


def test_noise_statistics() -> None:
    rng = np.random.default_rng(0)
    x = sim.white_noise(rng, 50, 2000, 0.04)
    assert x.var() == pytest.approx(1 / 0.04, rel=0.02)
    theta, dt = 2.0, 0.05
    z = sim.ou_noise(rng, 400, 400, dt, theta)
    assert z[:, 0].var() == pytest.approx(1.0, rel=0.2)  # stationary from the first sample
    assert z.var() == pytest.approx(1.0, rel=0.05)
    lag1 = np.mean(z[:, 1:] * z[:, :-1])
    assert lag1 == pytest.approx(np.exp(-theta * dt), abs=0.02)


def test_target_outputs_is_riemann_convolution() -> None:
    rng = np.random.default_rng(1)
    k = K.exponential_sum([1.0, -0.5], [0.8, 3.0])
    dt, n = 0.1, 60
    x = rng.standard_normal((2, n))
    y = sim.target_outputs(k, x, dt, n)
    taps = dt * k(np.arange(n) * dt)
    direct = np.array([[taps[: j + 1][::-1] @ x[b, : j + 1] for j in range(n)] for b in range(2)])
    np.testing.assert_allclose(y, direct, atol=1e-12)


def test_diagonal_recursion_matches_general_time_loop() -> None:
    rng = np.random.default_rng(2)
    d = DiagonalRNN([0.7, -0.3], [1.3, 0.4])
    x = rng.standard_normal((3, 80))
    y_diag = sim.diagonal_outputs(d, x, 0.05)[0]
    y_gen = sim.model_outputs(LinearRNN.from_diagonal(d), x, 0.05)
    np.testing.assert_allclose(y_diag, y_gen, rtol=1e-10, atol=1e-12)


def test_sensitivities_are_derivatives() -> None:
    rng = np.random.default_rng(3)
    d = DiagonalRNN([0.7, -0.3], [1.3, 0.4])
    x = rng.standard_normal((2, 50))
    dt, eps = 0.05, 1e-6
    _, H, S = sim.diagonal_outputs(d, x, dt, sensitivities=True)
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        dw = (
            sim.diagonal_outputs(DiagonalRNN(d.a, d.w + e), x, dt)[0]
            - sim.diagonal_outputs(DiagonalRNN(d.a, d.w - e), x, dt)[0]
        ) / (2 * eps)
        da = (
            sim.diagonal_outputs(DiagonalRNN(d.a + e, d.w), x, dt)[0]
            - sim.diagonal_outputs(DiagonalRNN(d.a - e, d.w), x, dt)[0]
        ) / (2 * eps)
        np.testing.assert_allclose(S[i], dw, atol=1e-7)
        np.testing.assert_allclose(H[i], da, atol=1e-7)


def test_monte_carlo_mse_matches_exact_discrete_loss() -> None:
    """Simulated MSE over fresh sequences vs the exact stationary MSE of the simulated pair."""
    k = K.exponential_sum([1.0, 0.5], [1.0, 0.4])
    d = DiagonalRNN([0.7, 0.2], [1.3, 0.3])
    dt, T_burn = 0.05, 60.0
    v = sim.monte_carlo_mse(
        k, d, dt=dt, T_burn=T_burn, T_obs=200.0, batch=32, rng=np.random.default_rng(4)
    )
    m, sem = mean_sem(v)
    exact = discrete_loss(k, d, dt, T_burn)
    assert abs(m - exact) < 5 * sem
    # and the simulated pair tends to the continuous-time loss at first order in dt
    J = diagonal_loss(k).value(d.a, d.w)
    bias = [discrete_loss(k, d, h, T_burn) - J for h in (dt, dt / 2, dt / 4)]
    assert bias[0] / bias[1] == pytest.approx(2.0, rel=0.05)
    assert bias[1] / bias[2] == pytest.approx(2.0, rel=0.05)


def test_sgd_reduces_the_loss_and_reports_flow_time() -> None:
    k = K.exponential_sum([0.8], [0.5])
    d0 = DiagonalRNN([0.1], [1.0])
    r = sim.sgd_train(
        k,
        d0,
        lr=0.2,
        steps=40,
        batch=8,
        dt=0.1,
        T_burn=12.0,
        T_obs=4.0,
        rng=np.random.default_rng(5),
    )
    assert r.theta.shape == (41, 2)
    np.testing.assert_allclose(r.tau(), 0.2 * np.arange(41))
    lo = diagonal_loss(k)
    J0 = lo.value(r.theta[0, :1], r.theta[0, 1:])
    J1 = lo.value(r.theta[-1, :1], r.theta[-1, 1:])
    assert J1 < 0.5 * J0


def test_worst_case_gap_of_zero_model_is_l1_norm() -> None:
    """With ρ̂ = 0 the smoothed sign input is 1 and the gap is Δ Σ_j ρ(jΔ) → ‖ρ‖_{L¹}."""
    k = K.exponential_sum([1.0], [1.0])
    zero = DiagonalRNN([0.0], [1.0])
    dt = 0.01
    gap = sim.worst_case_gap(k, zero, dt=dt, T=40.0, delta=1e-12)
    riemann = dt * -np.expm1(-40.0) / -np.expm1(-dt)  # Δ Σ_{j<T/Δ} e^{-jΔ}
    assert gap == pytest.approx(riemann, rel=1e-11)
    assert gap == pytest.approx(k.l1_norm(), abs=dt)


def test_invalid_steps() -> None:
    k = K.exponential_sum([1.0], [1.0])
    d = DiagonalRNN([1.0], [1.0])
    rng = np.random.default_rng(0)
    with pytest.raises(ParameterError, match="dt"):
        sim.monte_carlo_mse(k, d, dt=-0.1, T_burn=10, T_obs=10, batch=2, rng=rng)
    with pytest.raises(ParameterError, match="T_obs"):
        sim.monte_carlo_mse(k, d, dt=0.1, T_burn=10, T_obs=-5, batch=2, rng=rng)
    with pytest.raises(ParameterError, match="theta"):
        sim.ou_noise(rng, 1, 10, 0.1, -1.0)
    with pytest.raises(ParameterError, match="lr"):
        sim.sgd_train(k, d, lr=0.0, steps=1, batch=1, dt=0.1, T_burn=1.0, T_obs=1.0, rng=rng)
    with pytest.raises(ParameterError, match="delta"):
        sim.worst_case_gap(k, d, dt=0.1, T=10.0, delta=0.0)
