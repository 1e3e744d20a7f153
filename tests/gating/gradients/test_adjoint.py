"""Adjoint gradients vs finite differences; transition lines; chaos checks registry."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from theory.checks import CheckContext, run_checks
from theory.gating.chaos import checks as chaos_checks
from theory.gating.gradients.adjoint import adjoint_derivation, adjoint_gradients, loss_only
from theory.gating.model import GatedNetwork, GatedParams
from theory.gating.chaos.transitions import line_l1


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


def test_adjoint_derivation_builds():
    assert "grad_Jh" in adjoint_derivation().step_names()


def test_adjoint_fd_check_can_fail():
    ctx = CheckContext(quick=True)
    assert chaos_checks._check_adjoint_fd(ctx).passed
    assert not chaos_checks._check_adjoint_fd(ctx, perturb=0.01).passed


def test_l1():
    assert line_l1(0.0) == pytest.approx(2.0)
    assert line_l1(20.0, beta_r=1.0) == pytest.approx(1 + np.e)


@pytest.mark.slow
def test_l2_l3_order_at_large_alpha_r():
    from theory.gating.chaos.transitions import line_l2, line_l3

    l2, l3 = line_l2(20.0), line_l3(20.0)
    assert 1.41 < l2 < l3 < 2.0
    assert line_l2(2.0) == pytest.approx(2.0)  # below alpha_r* = 2 sqrt 2: supercritical


@pytest.mark.slow
def test_all_chaos_checks_pass_quick():
    res = run_checks(["chaos."], quick=True, progress=False)
    assert res and all(r.passed for r in res), [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in res if not r.passed
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["_check_lyapunov", "_check_adjoint_growth"])
def test_lyapunov_checks_can_fail(name):
    ctx = CheckContext(quick=True)
    assert not getattr(chaos_checks, name)(
        GatedParams(g_h=2.5, alpha_r=20.0), ctx, perturb=0.3
    ).passed
