"""Memory fixed point and kernel: trie vs direct, truncation bound, quadrature vs closed forms and MC."""

from __future__ import annotations

import numpy as np

from theory.kernel_limit.kernel import (
    kernel_monte_carlo,
    kernel_quadrature,
    linear_kernel,
    linear_kernel_derivation,
)
from theory.kernel_limit.memory import memory_on_histories, memory_on_history, truncation_bound
from theory.kernel_limit.model import KernelLimitParams
from theory.markov.chain import example_chain
from theory.markov.histories import HistoryChain


def test_trie_matches_direct_recursion() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_chain(exact=False), 3)
    rng = np.random.default_rng(1)
    W, B, b = rng.normal(size=5), rng.uniform(-0.5, 0.5, 5), rng.normal(size=5) * 0.5
    S, G = memory_on_histories(p, hc, W, B, b)
    for h in (0, 7, 26):
        s1, g1 = memory_on_history(p, hc.values[h], W, B, b)
        np.testing.assert_allclose(S[h], s1, atol=1e-15)
        np.testing.assert_allclose(G[:, h], g1, atol=1e-15)


def test_truncation_bound_holds() -> None:
    p = KernelLimitParams()
    rng = np.random.default_rng(2)
    hist = rng.choice([-1.0, 0.0, 1.0], size=40)
    W, B, b = rng.normal(size=200), rng.uniform(-0.5, 0.5, 200), rng.normal(size=200) * 0.5
    full, _ = memory_on_history(p, hist, W, B, b)
    for L in (1, 3, 6, 10):
        sL, _ = memory_on_history(p, hist[:L], W, B, b)
        assert np.max(np.abs(full - sL)) <= truncation_bound(p, L)


def test_linear_kernel_L1_hand_formula() -> None:
    p = KernelLimitParams(phi="linear", b_max=0.3, sigma_w=0.7, sigma_b=0.3, m_C=2.0)
    hc = HistoryChain(example_chain(exact=False), 1)
    x = hc.values[:, 0]
    hand = p.sigma_w**2 * np.outer(x, x) + p.sigma_b**2 + p.m_C * (np.outer(x, x) + 1.0)
    np.testing.assert_allclose(linear_kernel(p, hc), hand, atol=1e-14)


def test_linear_kernel_closed_form_vs_quadrature() -> None:
    p = KernelLimitParams(phi="linear", b_max=0.3, sigma_w=0.7, sigma_b=0.3)
    hc = HistoryChain(example_chain(exact=False), 3)
    np.testing.assert_allclose(
        linear_kernel(p, hc), kernel_quadrature(p, hc, n_B=6, rule="hermite", order=3), atol=1e-12
    )
    assert "kernel" in linear_kernel_derivation(3).step_names()


def test_quadrature_converges_and_mc_agrees() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_chain(exact=False), 2)
    A, err = kernel_quadrature(p, hc, estimate_error=True)
    assert err < 1e-3
    np.testing.assert_allclose(A, A.T, atol=1e-12)
    assert np.linalg.eigvalsh(A).min() > -1e-10
    est = kernel_monte_carlo(p, hc, 40_000, np.random.default_rng(3))
    assert np.max(np.abs(est.mean - A) / est.sem) < 6.0
