"""Hankel singular values (compiled Gramians and Nyström) and the AAK lower bound."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.linear_memory import approximation as ap
from theory.linear_memory import hankel as hk
from theory.linear_memory import kernels as K


def test_gramian_values_of_two_exponentials() -> None:
    np.testing.assert_allclose(
        hk.hankel_singular_values_exp([1.0, 0.5], [1.0, 0.1]), [2.68879, 0.31121], atol=5e-6
    )


@pytest.mark.parametrize(("b", "v"), [(2.0, 0.5), (-0.3, 4.0)])
def test_single_exponential_closed_form(b: float, v: float) -> None:
    # one state: P = 1/(2v), Q = b²/(2v), so σ₁ = |b|/(2v)
    np.testing.assert_allclose(hk.hankel_singular_values_exp([b], [v]), [abs(b) / (2 * v)])
    ny = hk.hankel_singular_values(K.exponential_sum([b], [v]), n=200, T=60.0 / v)
    assert ny[0] == pytest.approx(abs(b) / (2 * v), rel=1e-8)
    assert ny[1] < 1e-10  # rank one


def test_nystrom_converges_to_gramian_values() -> None:
    b, v = [1.0, 0.5], [1.0, 0.1]
    exact = hk.hankel_singular_values_exp(b, v)
    ny = hk.hankel_singular_values(K.exponential_sum(b, v), n=200, T=600.0)
    np.testing.assert_allclose(ny[:2], exact, rtol=1e-9)
    assert ny[2] < 1e-12 * ny[0]  # an exponential sum of two terms has Hankel rank two
    assert np.all(np.diff(ny) <= 0)


def test_aak_bound_below_achieved_errors() -> None:
    k = K.from_expression("exp(-t)/(1+t)")
    sig = hk.hankel_singular_values(k, T=60.0, n=300)
    for m in (1, 2, 3, 4):
        assert sig[m] <= ap.chebyshev_construction(k, m, 0.5).l1_error


def test_derivation_gramian_and_citation() -> None:
    d = hk.hankel_derivation()
    assert d.step_names() == [
        "controllability_gramian",
        "observability_gramian",
        "singular_values",
        "aak_bound",
    ]
    assert sp.simplify(d.rhs("controllability_gramian") - 1 / (hk.vi + hk.vj)) == 0
    assert sp.simplify(d.rhs("observability_gramian") - hk.bi * hk.bj / (hk.vi + hk.vj)) == 0
    assert "Glover" in d.citation() and "JMLR 23 (2022)" in d.citation()


def test_rates_must_be_positive() -> None:
    with pytest.raises(ParameterError, match="v"):
        hk.hankel_singular_values_exp([1.0], [-1.0])
