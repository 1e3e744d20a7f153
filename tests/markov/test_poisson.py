"""Poisson equation: exact vs numeric, compiled two-state closed forms vs hand formulas."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.markov.chain import MarkovChain, example_chain
from theory.markov.histories import HistoryChain
from theory.markov.poisson import (
    asymptotic_covariance,
    asymptotic_variance,
    asymptotic_variance_exact,
    finite_n_variance,
    fundamental_exact,
    poisson_derivation,
    poisson_exact,
    poisson_numeric,
    two_state_closed_forms,
)


def test_exact_vs_numeric_example() -> None:
    c = example_chain()
    F = [sp.Integer(-1), sp.Integer(0), sp.Integer(1)]
    v_e = np.array(poisson_exact(c, F), dtype=float).ravel()
    for method in ("direct", "iterative"):
        sol = poisson_numeric(c, c.states, method=method)
        np.testing.assert_allclose(sol.v, v_e, atol=1e-12)
        assert abs(sol.pi @ sol.v) < 1e-13
    assert asymptotic_variance(c, c.states) == pytest.approx(
        float(asymptotic_variance_exact(c, F)), abs=1e-13
    )
    Z = fundamental_exact(c)
    assert sp.simplify(
        Z * (sp.eye(3) - c.exact + sp.ones(3, 1) * sp.Matrix([[15, 24, 17]]) / 56)
    ) == sp.eye(3)


@pytest.mark.parametrize(("p", "q"), [(0.3, 0.2), (0.9, 0.7), (0.05, 0.5)])
def test_two_state_closed_form_vs_hand_and_numeric(p: float, q: float) -> None:
    f = two_state_closed_forms()
    f1, f2 = 1.3, -0.4
    hand = (f1 - f2) ** 2 * p * q * (2 - p - q) / (p + q) ** 3  # Var_pi(F)(1+lam)/(1-lam)
    assert float(f["sigma2"](p, q, f1, f2)) == pytest.approx(hand, rel=1e-12)
    c = MarkovChain(np.array([[1 - p, p], [q, 1 - q]]))
    assert asymptotic_variance(c, np.array([f1, f2])) == pytest.approx(hand, rel=1e-10)
    np.testing.assert_allclose(np.array(f["pi"](p, q)), [q / (p + q), p / (p + q)], rtol=1e-13)
    np.testing.assert_allclose(
        np.array(f["v"](p, q, f1, f2)), poisson_numeric(c, np.array([f1, f2])).v, atol=1e-12
    )


def test_derivation_steps_and_latex() -> None:
    d = poisson_derivation()
    assert "asymptotic_variance" in d.step_names()
    assert "\\begin{align}" in d.latex()


def test_vector_covariance_diagonal_matches_scalar() -> None:
    hc = HistoryChain(example_chain(exact=False), 2)
    F = np.stack([hc.values[:, 0], np.sin(hc.values[:, 1])], axis=1)
    S = asymptotic_covariance(hc.chain, F)
    assert S[0, 0] == pytest.approx(asymptotic_variance(hc.chain, F[:, 0]), rel=1e-12)
    assert S[0, 1] == pytest.approx(S[1, 0], rel=1e-12)


def test_finite_n_variance_converges() -> None:
    c = example_chain(exact=False)
    s2 = asymptotic_variance(c, c.states)
    assert abs(finite_n_variance(c, c.states, 10_000) - s2) < 1e-3
    assert abs(finite_n_variance(c, c.states, 10) - s2) > abs(
        finite_n_variance(c, c.states, 100) - s2
    )
