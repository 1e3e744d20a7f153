"""Loss and gradients: compiled SymPy derivations vs the spec's hand formulas and quadrature."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

from theory.errors import ParameterError
from theory.linear_memory import kernels as K
from theory.linear_memory import simulation as sim
from theory.linear_memory.gradient_flow import gradient_flow
from theory.linear_memory.loss import OULoss, diagonal_loss, general_loss
from theory.linear_memory.model import DiagonalRNN, LinearRNN


def test_diagonal_loss_hand_formula_and_quadrature() -> None:
    k = K.exponential_sum([1.0], [1.0]) + K.gaussian_bump(1.0, 3.0)
    a, w = np.array([0.5, -0.2, 0.9]), np.array([0.4, 1.1, 2.5])
    lo = diagonal_loss(k)
    G = k.laplace(w)
    hand = np.sum(np.outer(a, a) / (w[:, None] + w[None, :])) - 2 * a @ G + k.l2_norm_sq()
    assert lo.value(a, w) == pytest.approx(hand, rel=1e-12)
    quad = si.quad(lambda t: (np.exp(-w * t) @ a - k(np.array(t))) ** 2, 0, 80, limit=400)[0]
    assert lo.value(a, w) == pytest.approx(quad, rel=1e-8)
    # E-form of the gradients (spec §3)
    ga, gw = lo.gradient(a, w)
    E = np.array([np.sum(a / (s + w)) for s in w]) - G
    dE = np.array([-np.sum(a / (s + w) ** 2) for s in w]) - k.dlaplace(w)
    np.testing.assert_allclose(ga, 2 * E, rtol=1e-12)
    np.testing.assert_allclose(gw, 2 * a * dE, rtol=1e-12)


def test_general_loss_matches_diagonal() -> None:
    k = K.exponential_sum([1.0, 0.5], [1.0, 0.1])
    d = DiagonalRNN([0.7, 0.2], [1.3, 0.3])
    g = general_loss(k, LinearRNN.from_diagonal(d))
    assert g.J == pytest.approx(diagonal_loss(k).value(d.a, d.w), rel=1e-12)
    np.testing.assert_allclose(g.grad_c, diagonal_loss(k).gradient(d.a, d.w)[0], rtol=1e-10)


def test_ou_pair_kernel_hand_formula() -> None:
    k = K.exponential_sum([1.0], [0.4])
    th = 1.7
    lo = OULoss(k, th)
    a, w = np.array([1.0]), np.array([0.9])

    def K2(x: float, y: float) -> float:
        return (2 * th + x + y) / ((x + y) * (th + x) * (th + y))

    hand = K2(0.9, 0.9) - 2 * K2(0.9, 0.4) + K2(0.4, 0.4)
    assert lo.value(a, w) == pytest.approx(hand, rel=1e-12)


def test_bad_models_and_steps() -> None:
    with pytest.raises(ParameterError, match="Hurwitz"):
        LinearRNN(np.array([[0.1, 0.0], [0.0, -1.0]]), np.ones(2), np.ones(2))
    with pytest.raises(ParameterError, match="w"):
        DiagonalRNN([1.0], [-0.5])
    with pytest.raises(ParameterError, match="m"):
        DiagonalRNN([], [])
    k = K.exponential_sum([1.0], [1.0])
    with pytest.raises(ParameterError, match="dt"):
        sim.monte_carlo_mse(
            k,
            DiagonalRNN([1.0], [1.0]),
            dt=-0.1,
            T_burn=10,
            T_obs=10,
            batch=2,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ParameterError, match="T_obs"):
        sim.monte_carlo_mse(
            k,
            DiagonalRNN([1.0], [1.0]),
            dt=0.1,
            T_burn=10,
            T_obs=-5,
            batch=2,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ParameterError, match="tau_max"):
        gradient_flow(diagonal_loss(k), DiagonalRNN([1.0], [1.0]), -1.0)


def test_zoh_matches_inverse_formula() -> None:
    W = np.array([[-1.0, 0.3], [0.0, -2.0]])
    m = LinearRNN(W, np.array([1.0, 2.0]), np.ones(2))
    A, b = sim.zoh(m, 0.1)
    import scipy.linalg as sl

    np.testing.assert_allclose(A, sl.expm(0.1 * W))
    np.testing.assert_allclose(b, np.linalg.solve(W, (sl.expm(0.1 * W) - np.eye(2)) @ m.U))


def test_gradient_flow_fast_and_plateau_reference() -> None:
    from theory.linear_memory import plateau as pl

    r = pl.escape_time(*pl.delayed_target(8.0))
    assert r.tau_exit == pytest.approx(1.0e3, rel=0.05)
    assert pl.quasi_static_tau(10.0) == pytest.approx(np.exp(19.5) / (8 * np.pi * 100), rel=1e-12)
