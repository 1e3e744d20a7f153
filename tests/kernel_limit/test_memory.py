"""Memory fixed point S(θ; ξ) and forward derivative G(θ; ξ) on truncated histories."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.kernel_limit.memory import memory_on_histories, memory_on_history, truncation_bound
from theory.kernel_limit.model import KernelLimitParams
from theory.markov.chain import example_chain
from theory.markov.histories import HistoryChain


def _points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return rng.normal(size=n), rng.uniform(-0.5, 0.5, n), rng.normal(size=n) * 0.5


def test_trie_matches_direct_recursion() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_chain(exact=False), 3)
    W, B, b = _points(np.random.default_rng(1), 5)
    S, G = memory_on_histories(p, hc, W, B, b)
    assert S.shape == (hc.H, 5) and G.shape == (3, hc.H, 5)
    for h in (0, 7, 26):
        s1, g1 = memory_on_history(p, hc.values[h], W, B, b)
        np.testing.assert_allclose(S[h], s1, atol=1e-15)
        np.testing.assert_allclose(G[:, h], g1, atol=1e-15)


def test_one_step_memory_is_sigma_of_input() -> None:
    p = KernelLimitParams()
    W, B, b = _points(np.random.default_rng(5), 4)
    S, G = memory_on_history(p, np.array([0.7]), W, B, b)
    np.testing.assert_allclose(S, np.tanh(0.7 * W + b), rtol=1e-14)
    d = 1 - np.tanh(0.7 * W + b) ** 2
    np.testing.assert_allclose(G, [0.7 * d, 0 * d, d], rtol=1e-14, atol=1e-16)


def test_truncation_bound_holds_and_is_sup_sigma_rho_L() -> None:
    p = KernelLimitParams()
    assert truncation_bound(p, 3) == pytest.approx(1.0 * 0.5**3)
    rng = np.random.default_rng(2)
    hist = rng.choice([-1.0, 0.0, 1.0], size=40)
    W, B, b = _points(rng, 200)
    full, _ = memory_on_history(p, hist, W, B, b)
    for L in (1, 3, 6, 10):
        sL, _ = memory_on_history(p, hist[:L], W, B, b)
        assert np.max(np.abs(full - sL)) <= truncation_bound(p, L)


def test_forward_derivative_is_the_gradient_of_the_memory() -> None:
    p = KernelLimitParams()
    hist = np.array([1.0, -1.0, 0.0, 1.0, 1.0])
    W, B, b = _points(np.random.default_rng(3), 3)
    _, G = memory_on_history(p, hist, W, B, b)
    eps = 1e-6
    dW = (
        memory_on_history(p, hist, W + eps, B, b)[0] - memory_on_history(p, hist, W - eps, B, b)[0]
    ) / (2 * eps)
    dB = (
        memory_on_history(p, hist, W, B + eps, b)[0] - memory_on_history(p, hist, W, B - eps, b)[0]
    ) / (2 * eps)
    np.testing.assert_allclose(G[0], dW, atol=1e-8)
    np.testing.assert_allclose(G[1], dB, atol=1e-8)


def test_truncated_gradient_keeps_memory_drops_recurrent_term() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_chain(exact=False), 3)
    W, B, b = _points(np.random.default_rng(4), 6)
    S, G = memory_on_histories(p, hc, W, B, b)
    St, Gt = memory_on_histories(p, hc, W, B, b, truncated_gradient=True)
    np.testing.assert_array_equal(S, St)
    assert np.max(np.abs(G - Gt)) > 1e-3


def test_shapes_must_agree() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_chain(exact=False), 2)
    with pytest.raises(ParameterError, match="W, B, b"):
        memory_on_histories(p, hc, np.zeros(3), np.zeros(2), np.zeros(3))
