"""Gated simulator: bad input, A/B trajectory identity, time-dependent inputs, checks can fail."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theory.checks import CheckContext
from theory.errors import ParameterError
from theory.gating.dmft import checks as gchecks
from theory.gating.model import GatedParams
from theory.gating.simulation import simulate_gated


def test_bad_input():
    p = GatedParams(g_h=2.0)
    with pytest.raises(ParameterError, match="N"):
        simulate_gated(p, 1, T=10, burn_in=1)
    with pytest.raises(ParameterError, match="dt"):
        simulate_gated(p, 10, T=10, burn_in=1, dt=-0.1)
    with pytest.raises(ParameterError, match="T"):
        simulate_gated(p, 10, T=1, burn_in=5)


def test_convention_B_is_rescaled_A():
    pA = GatedParams(g_h=2.5, alpha_r=5.0, alpha_z=1.0, sigma_h=0.1)
    a = simulate_gated(
        pA, 60, T=5.0, burn_in=0.0, seed=4, x0_scale=0.0, initial_state=np.ones((3, 60)) * 0.1
    )
    x0 = np.ones((3, 60)) * 0.1
    x0[0] *= pA.g_h
    b = simulate_gated(pA.to_convention("B"), 60, T=5.0, burn_in=0.0, seed=4, initial_state=x0)
    assert np.allclose(b.h, pA.g_h * a.h, atol=1e-4)
    assert np.allclose(b.r, a.r, atol=1e-5)


def test_rhs_matches_model_vector_field():
    p = GatedParams(g_h=2.0, alpha_z=2.0, alpha_r=3.0, beta_z=0.3)
    tr = simulate_gated(p, 40, T=1.0, burn_in=0.0, seed=1, dt=0.01)
    state = np.stack([tr.h[5], tr.z[5], tr.r[5]]).astype(float)
    assert np.allclose(tr.network.rhs(state)[0], tr.hdot[5], atol=1e-5)


def test_time_dependent_input_changes_dynamics():
    p = GatedParams(g_h=0.5)
    tr = simulate_gated(
        p, 20, T=20.0, burn_in=15.0, seed=2, x0_scale=0.0, inputs=lambda t: (1.0, 0.0, 0.0)
    )
    assert tr.second_moment("h") > 0.1  # driven to ~ the input level


def test_perturbed_prediction_fails():
    """A check must be able to fail: shift the theory by 20% and the moment check rejects it."""
    st = gchecks.gated_statistics(GatedParams(g_h=2.5, alpha_r=20.0), 300, 60.0, 10.0, 4, 5, 5.0)
    good = gchecks._moment_check(float(np.mean(st.m_h)), st.m_h, st.N)
    bad = gchecks._moment_check(1.2 * float(np.mean(st.m_h)) + 0.05, st.m_h, st.N)
    assert good.passed and not bad.passed


def test_zero_fp_check_fails_with_wrong_threshold(monkeypatch):
    monkeypatch.setattr(gchecks, "zero_fp_threshold", lambda p: 0.8 * (1 + np.exp(p.beta_r)))
    res = gchecks._check_zero_fp(
        GatedParams(g_h=1.8), 0, dataclasses.replace(CheckContext(quick=True))
    )
    assert not res.passed
