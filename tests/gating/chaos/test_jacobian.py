"""Jacobian of the gated RNN: compiled SymPy factors vs finite differences of the vector field."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.chaos.jacobian import (
    jacobian_derivation,
    jacobian_matrix,
    state_factors,
    tangent_map,
)
from theory.gating.model import GatedNetwork, GatedParams


def _fd_jacobian(net: GatedNetwork, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    n = x.size
    out = np.empty((n, n))
    for k in range(n):
        d = np.zeros(n)
        d[k] = eps
        out[:, k] = (
            (net.rhs(x + d.reshape(x.shape)) - net.rhs(x - d.reshape(x.shape))) / (2 * eps)
        ).ravel()
    return out


@pytest.mark.parametrize("conv", ["A", "B"])
def test_jacobian_matches_finite_differences(conv):
    p = GatedParams(
        g_h=2.5,
        beta_h=0.2,
        alpha_z=4.0,
        beta_z=0.5,
        alpha_r=6.0,
        beta_r=-0.3,
        tau_z=2.0,
        tau_r=0.5,
        sigma_h=0.3,
        convention=conv,
    )
    net = GatedNetwork.sample(p, 25, np.random.default_rng(0))
    x = net.initial_state(np.random.default_rng(1), 0.7)
    D = jacobian_matrix(net, x)
    np.testing.assert_allclose(D, _fd_jacobian(net, x), atol=1e-7)


def test_tangent_map_equals_dense_product():
    p = GatedParams(g_h=3.0, alpha_z=5.0, alpha_r=2.0)
    net = GatedNetwork.sample(p, 30, np.random.default_rng(2))
    x = net.initial_state(np.random.default_rng(3))
    Q = np.random.default_rng(4).standard_normal((3, 30, 5))
    dense = jacobian_matrix(net, x) @ Q.reshape(90, 5)
    np.testing.assert_allclose(
        tangent_map(net, state_factors(net, x), Q).reshape(90, 5), dense, atol=1e-12
    )


def test_fixed_point_structure_eigenvalues_at_minus_one_over_tau_z():
    """E = 0: the z block feeds nothing back, so N eigenvalues sit exactly at -1/tau_z (spec 4.1)."""
    p = GatedParams(g_h=3.0, alpha_z=8.0, alpha_r=5.0, tau_z=2.0)
    N = 40
    rng = np.random.default_rng(5)
    net = GatedNetwork.sample(p, N, rng)
    st = rng.standard_normal((3, N)) * 0.5
    ev = np.linalg.eigvals(jacobian_matrix(net, st, np.zeros(N)))
    assert np.sum(np.abs(ev + 0.5) < 1e-8) == N


def test_derivation_factorises_and_has_references():
    d = jacobian_derivation()
    assert "col_hh" in d.step_names() and d.references
    assert "Eq. (10)" in d.citation()


def test_nan_state_is_rejected():
    net = GatedNetwork.sample(GatedParams(g_h=2.0), 10, np.random.default_rng(0))
    x = np.zeros((3, 10))
    x[0, 3] = np.nan
    with pytest.raises(ParameterError, match="state"):
        jacobian_matrix(net, x)
    with pytest.raises(ParameterError):
        jacobian_matrix(net, np.zeros((3, 9)))
