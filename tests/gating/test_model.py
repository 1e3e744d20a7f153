"""The gated network's definition: parameter validation, gates, conventions A/B, the vector field
and its Runge-Kutta step, the SymPy forms of phi and the gates."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.gating.model import GatedNetwork, GatedParams, gate_expr, phi_expr, sigmoid_gate
from theory.symbolic.gaussian import X


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(g_h=0.0), "g_h"),
        (dict(g_h=-1.0), "g_h"),
        (dict(g_h=float("nan")), "g_h"),
        (dict(g_h=2.0, tau_z=-1.0), "tau_z"),  # (was in the DMFT bad-input test)
        (dict(g_h=2.0, tau_r=0.0), "tau_r"),
        (dict(g_h=2.0, alpha_z=-1.0), "alpha_z"),
        (dict(g_h=2.0, alpha_r=float("inf")), "alpha_r"),
        (dict(g_h=2.0, sigma_h=-0.1), "sigma_h"),
        (dict(g_h=2.0, beta_r=float("nan")), "beta_r"),
        (dict(g_h=2.0, convention="C"), "convention"),
        (dict(g_h="2"), "g_h"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        GatedParams(**kwargs)


def test_gate_values_at_zero_and_conventions():
    p = GatedParams(g_h=2.5, beta_z=-1.0, beta_r=1.0, alpha_r=20.0)
    assert p.s_z == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert p.s_r == pytest.approx(1 / (1 + math.e))
    assert GatedParams(g_h=1.0).s_z == 0.5
    b = p.to_convention("B")
    assert b.convention == "B" and dataclasses.replace(b, convention="A") == p
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.g_h = 3.0  # type: ignore[misc]


def test_sigmoid_gate_is_stable_and_matches_the_logistic():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(
        sigmoid_gate(x, 2.0, 0.5), 1 / (1 + np.exp(-2.0 * x + 0.5)), rtol=1e-12
    )
    big = sigmoid_gate(np.array([-1e3, 1e3]), 50.0, 0.0)
    assert np.all(np.isfinite(big)) and big[0] == 0.0 and big[1] == 1.0
    assert isinstance(sigmoid_gate(0.3, 1.0, 0.0), float)


@pytest.mark.parametrize("conv", ["A", "B"])
def test_sympy_forms_are_the_network_nonlinearities(conv):
    p = GatedParams(
        g_h=2.5, beta_h=0.2, alpha_z=3.0, beta_z=0.5, alpha_r=4.0, beta_r=-0.3, convention=conv
    )
    net = GatedNetwork.sample(p, 4, np.random.default_rng(0))
    x = np.linspace(-2, 2, 21)
    num = lambda e: sp.lambdify(X, e, "numpy")(x)  # noqa: E731
    np.testing.assert_allclose(num(phi_expr(p)), net.phi(x), atol=1e-14)
    np.testing.assert_allclose(num(sp.diff(phi_expr(p), X)), net.dphi(x), atol=1e-13)
    np.testing.assert_allclose(num(gate_expr(3.0, 0.5)), net.sigma_z(x), atol=1e-14)
    np.testing.assert_allclose(num(sp.diff(gate_expr(3.0, 0.5), X)), net.dsigma_z(x), atol=1e-13)
    np.testing.assert_allclose(num(sp.diff(gate_expr(4.0, -0.3), X)), net.dsigma_r(x), atol=1e-13)
    assert not gate_expr(0.5, 0.25).atoms(sp.Float)  # exact rationals where possible


def test_sample_variances_and_convention_b_scaling():
    p = GatedParams(g_h=2.5, sigma_h=0.3, sigma_z=0.2)
    N = 400
    a = GatedNetwork.sample(p, N, np.random.default_rng(1))
    b = GatedNetwork.sample(p.to_convention("B"), N, np.random.default_rng(1))
    assert a.J_h.shape == (N, N) and a.I_h.shape == (N,)
    assert np.var(a.J_h) * N == pytest.approx(1.0, rel=0.02)
    assert np.var(a.I_z) == pytest.approx(0.04, rel=0.25)
    assert np.all(a.I_r == 0)
    # the same draws: J^h and the h-input scale by g_h in convention B, nothing else changes
    np.testing.assert_allclose(b.J_h, 2.5 * a.J_h)
    np.testing.assert_allclose(b.I_h, 2.5 * a.I_h)
    np.testing.assert_array_equal(b.J_z, a.J_z)
    with pytest.raises(ParameterError, match="N"):
        GatedNetwork.sample(p, 1, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="rng"):
        GatedNetwork.sample(p, 10, 0)  # type: ignore[arg-type]


def test_rhs_by_hand_and_batched():
    p = GatedParams(
        g_h=2.0, beta_h=0.1, alpha_z=2.0, alpha_r=3.0, tau_z=2.0, tau_r=0.5, sigma_h=0.2
    )
    net = GatedNetwork.sample(p, 8, np.random.default_rng(2))
    x = net.initial_state(np.random.default_rng(3))
    h, z, r = x
    ph = np.tanh(2.0 * h + 0.1)
    sz, sr = 1 / (1 + np.exp(-2.0 * z)), 1 / (1 + np.exp(-3.0 * r))
    want = np.stack(
        [
            sz * (-h + net.J_h @ (sr * ph) + net.I_h),
            (-z + net.J_z @ ph) / 2.0,
            (-r + net.J_r @ ph) / 0.5,
        ]
    )
    np.testing.assert_allclose(net.rhs(x), want, atol=1e-13)
    batch = net.initial_state(np.random.default_rng(4), 0.5, batch=3)
    assert batch.shape == (3, 8, 3)
    out = net.rhs(batch)
    for k in range(3):
        np.testing.assert_allclose(out[..., k], net.rhs(batch[..., k]), atol=1e-13)


def test_step_is_fourth_order():
    net = GatedNetwork.sample(
        GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=3.0), 10, np.random.default_rng(5)
    )
    x0 = net.initial_state(np.random.default_rng(6))

    def run(dt, T=1.0):
        x = x0
        for _ in range(int(round(T / dt))):
            x = net.step(x, dt)
        return x

    ref = run(0.005)
    e1, e2 = np.abs(run(0.1) - ref).max(), np.abs(run(0.05) - ref).max()
    assert np.log2(e1 / e2) == pytest.approx(4.0, abs=0.5)
    # the Euler step is first order
    assert np.allclose(net.step(x0, 1e-3, method="euler"), x0 + 1e-3 * net.rhs(x0))
