"""Adjoint gradients of finite networks: finite differences, the transpose map, the backward growth
rate near a stable state, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.chaos.jacobian import jacobian_matrix, state_factors
from theory.gating.gradients.adjoint import (
    adjoint_derivation,
    adjoint_gradients,
    adjoint_growth_rate,
    loss_only,
    transpose_map,
)
from theory.gating.model import GatedNetwork, GatedParams


def test_adjoint_gradient_matches_finite_differences():
    p = GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=3.0, beta_h=0.1)
    net = GatedNetwork.sample(p, 15, np.random.default_rng(0))
    x0 = net.initial_state(np.random.default_rng(1))
    res = adjoint_gradients(net, x0, T=3.0, dt=0.01)
    D = np.random.default_rng(2).standard_normal((15, 15))
    eps = 1e-5
    fd = (
        loss_only(replace(net, J_h=net.J_h + eps * D), x0, T=3.0, dt=0.01)
        - loss_only(replace(net, J_h=net.J_h - eps * D), x0, T=3.0, dt=0.01)
    ) / (2 * eps)
    assert np.sum(res.grad_Jh * D) == pytest.approx(fd, rel=1e-4)


def test_readout_gradient_wrt_gate_couplings_matches_finite_differences():
    p = GatedParams(g_h=2.5, alpha_z=3.0, alpha_r=2.0, tau_z=2.0, tau_r=0.5)
    net = GatedNetwork.sample(p, 12, np.random.default_rng(3))
    x0 = net.initial_state(np.random.default_rng(4))
    w = np.random.default_rng(5).standard_normal(12)
    kw = dict(T=2.0, dt=0.01, running=0.0, readout=w)
    res = adjoint_gradients(net, x0, **kw)
    rng = np.random.default_rng(6)
    for name, grad in (("J_z", res.grad_Jz), ("J_r", res.grad_Jr)):
        D = rng.standard_normal((12, 12))
        eps = 1e-5
        fd = (
            loss_only(replace(net, **{name: getattr(net, name) + eps * D}), x0, **kw)
            - loss_only(replace(net, **{name: getattr(net, name) - eps * D}), x0, **kw)
        ) / (2 * eps)
        assert np.sum(grad * D) == pytest.approx(fd, rel=1e-4), name
    # a read-out loss only: the loss is w.h(T)/N of the forward trajectory, the adjoint starts at w/N
    assert res.adjoint[-1, 0] == pytest.approx(w / 12)
    assert np.all(res.adjoint[-1, 1:] == 0)


def test_transpose_map_is_the_transposed_jacobian():
    p = GatedParams(g_h=3.0, alpha_z=4.0, alpha_r=5.0, beta_r=0.3, tau_z=2.0, tau_r=0.7)
    net = GatedNetwork.sample(p, 20, np.random.default_rng(7))
    x = net.initial_state(np.random.default_rng(8), 0.8)
    a = np.random.default_rng(9).standard_normal((3, 20))
    dense = jacobian_matrix(net, x).T @ a.reshape(60)
    np.testing.assert_allclose(
        transpose_map(net, state_factors(net, x), a).reshape(60), dense, atol=1e-12
    )


def test_growth_rate_near_stable_zero_state_is_the_top_eigenvalue():
    """Near the stable zero state the backward adjoint grows at max Re of the Jacobian's spectrum."""
    p = GatedParams(g_h=1.2, alpha_z=3.0, alpha_r=2.0)
    N = 30
    net = GatedNetwork.sample(p, N, np.random.default_rng(0))
    top = float(np.max(np.linalg.eigvals(jacobian_matrix(net, np.zeros((3, N)))).real))
    assert top < 0  # stable zero state
    g = adjoint_growth_rate(net, T=150.0, transient=40.0, rng=np.random.default_rng(1))
    assert g.rate == pytest.approx(top, abs=0.01)
    assert g.block_rates.shape == (10,) and g.sem >= 0


def test_adjoint_derivation_builds():
    assert "grad_Jh" in adjoint_derivation().step_names()


def test_bad_input():
    net = GatedNetwork.sample(GatedParams(g_h=2.0), 6, np.random.default_rng(0))
    x0 = np.zeros((3, 6))
    with pytest.raises(ParameterError, match="running"):
        adjoint_gradients(net, x0, T=1.0, running=0.0)  # no loss at all
    with pytest.raises(ParameterError, match="running"):
        adjoint_gradients(net, x0, T=1.0, running=-1.0)
    with pytest.raises(ParameterError, match="readout"):
        adjoint_gradients(net, x0, T=1.0, readout=np.ones(5))
    with pytest.raises(ParameterError, match="x0"):
        adjoint_gradients(net, np.zeros((3, 5)), T=1.0)
    bad = x0.copy()
    bad[2, 1] = np.inf
    with pytest.raises(ParameterError, match="x0"):
        adjoint_gradients(net, bad, T=1.0)
    with pytest.raises(ParameterError, match="dt"):
        adjoint_gradients(net, x0, T=1.0, dt=2.0)
    with pytest.raises(ParameterError):
        loss_only(net, x0, T=1.0, running=0.0)
    with pytest.raises(ParameterError, match="t_renorm"):
        adjoint_growth_rate(net, T=10.0, transient=0.0, rng=np.random.default_rng(0), t_renorm=0.01)
