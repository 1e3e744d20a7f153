"""Loss and gradients: compiled SymPy derivations vs hand formulas and quadrature."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

from theory.linear_memory import kernels as K
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
    # E-form of the gradients (LHEL Sec. 5; derivation linear_memory_loss_diagonal)
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


def test_gramian_gradients_vs_finite_differences() -> None:
    k = K.exponential_sum([1.0, 0.5], [1.0, 0.1])
    W = np.array([[-1.5, 0.4], [-0.2, -0.8]])
    U, c = np.array([1.0, -0.5]), np.array([0.3, 0.9])
    val = general_loss(k, LinearRNN(W, U, c))
    eps = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        dc = general_loss(k, LinearRNN(W, U, c + e)).J - general_loss(k, LinearRNN(W, U, c - e)).J
        dU = general_loss(k, LinearRNN(W, U + e, c)).J - general_loss(k, LinearRNN(W, U - e, c)).J
        assert val.grad_c[i] == pytest.approx(dc / (2 * eps), rel=1e-6, abs=1e-9)
        assert val.grad_U[i] == pytest.approx(dU / (2 * eps), rel=1e-6, abs=1e-9)


def test_zero_model_loss_is_the_target_norm() -> None:
    k = K.power_law(1.5)
    assert diagonal_loss(k).value(np.array([0.0]), np.array([1.0])) == pytest.approx(
        k.l2_norm_sq(), rel=1e-12
    )
    # (1+t)^-3 integrates to 1/2
    assert k.l2_norm_sq() == pytest.approx(0.5, rel=1e-12)
