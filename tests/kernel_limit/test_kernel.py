"""The tangent kernel: closed forms for linear σ, quadrature vs closed forms and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.kernel_limit.kernel import (
    kernel_monte_carlo,
    kernel_quadrature,
    linear_kernel,
    linear_kernel_derivation,
    memory_kernel_derivation,
    quadrature_nodes,
)
from theory.kernel_limit.model import KernelLimitParams
from theory.markov.chain import example_chain
from theory.markov.histories import HistoryChain


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


def test_quadrature_nodes_are_a_probability_rule() -> None:
    p = KernelLimitParams()
    W, B, b, w = quadrature_nodes(p)
    assert w.sum() == pytest.approx(1.0, rel=1e-14)
    assert np.all(w > 0)
    # second moments of the initial law: E W² = σ_w², E B² = b_max²/3, E b² = σ_b²
    assert w @ W**2 == pytest.approx(p.sigma_w**2, rel=1e-10)
    assert w @ B**2 == pytest.approx(p.b_max**2 / 3, rel=1e-12)
    assert w @ b**2 == pytest.approx(p.sigma_b**2, rel=1e-10)
    with pytest.raises(ParameterError, match="rule"):
        quadrature_nodes(p, rule="simpson")


def test_linear_kernel_needs_linear_sigma() -> None:
    with pytest.raises(ParameterError, match="linear"):
        linear_kernel(KernelLimitParams(), HistoryChain(example_chain(exact=False), 1))


def test_memory_kernel_derivation_contraction() -> None:
    d = memory_kernel_derivation()
    assert d.step_names()[:3] == ["fixed_point", "contraction", "truncation"]
    B = sp.Symbol("B", real=True)
    # ∂S/∂S(ξ⁻) = B σ'(u): the Lipschitz constant of the memory map
    assert d.rhs("contraction").has(B)
    assert "arXiv 2308.14555" in d.citation()
