"""Gated simulator: bad input, A/B trajectory identity, the recorded vector field, inputs, RK4 order."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.model import GatedNetwork, GatedParams
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


def test_seeded_and_reproducible():
    p = GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=5.0)
    a = simulate_gated(p, 30, T=3.0, burn_in=1.0, seed=3)
    b = simulate_gated(p, 30, T=3.0, burn_in=1.0, seed=3)
    c = simulate_gated(p, 30, T=3.0, burn_in=1.0, seed=4)
    np.testing.assert_array_equal(a.h, b.h)
    assert not np.array_equal(a.h, c.h)
    # the seed draws the couplings first; a network passed in replaces them
    net = GatedNetwork.sample(p, 30, np.random.default_rng(3))
    np.testing.assert_array_equal(a.network.J_h, net.J_h)
    np.testing.assert_array_equal(a.network.J_r, net.J_r)
    x0 = net.initial_state(np.random.default_rng(9))
    d = simulate_gated(p, 30, T=3.0, burn_in=1.0, seed=3, initial_state=x0)
    e = simulate_gated(p, 30, T=3.0, burn_in=1.0, seed=7, initial_state=x0, network=net)
    np.testing.assert_array_equal(d.h, e.h)
    with pytest.raises(ParameterError, match="network"):
        simulate_gated(GatedParams(g_h=2.0), 30, T=3.0, burn_in=1.0, network=a.network)
    with pytest.raises(ParameterError, match="initial_state"):
        simulate_gated(p, 30, T=3.0, burn_in=1.0, initial_state=np.zeros((3, 29)))


def test_rk4_fourth_order():
    """Halving dt divides the error of the state at t = 1.6 by ~16."""
    p = GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=3.0)
    kw = dict(T=2.0, burn_in=1.6, seed=1)

    def state_at_burn_in(dt):
        tr = simulate_gated(p, 30, dt=dt, **kw)
        assert tr.t[0] == pytest.approx(1.6)
        return np.stack([tr.h[0], tr.z[0], tr.r[0]]).astype(float)

    ref = state_at_burn_in(0.0025)
    e1 = np.abs(state_at_burn_in(0.2) - ref).max()
    e2 = np.abs(state_at_burn_in(0.1) - ref).max()
    assert np.log2(e1 / e2) == pytest.approx(4.0, abs=0.6), (e1, e2)


def test_records_and_statistics():
    p = GatedParams(g_h=2.5, alpha_r=5.0)
    tr = simulate_gated(p, 40, T=12.0, burn_in=2.0, dt=0.1, seed=0, record_every=4)
    assert tr.h.shape == (25, 40) and tr.h.dtype == np.float32
    np.testing.assert_allclose(np.diff(tr.t), 0.4)
    assert tr.t[0] == pytest.approx(2.0) and tr.dt_record == pytest.approx(0.4)
    lags, ac = tr.autocorrelation("h", 2.0)
    np.testing.assert_allclose(lags, 0.4 * np.arange(6))
    assert ac[0] == pytest.approx(tr.second_moment("h"), rel=1e-6)
    np.testing.assert_allclose(tr.series("phi"), np.tanh(2.5 * tr.h), atol=1e-6)
    assert tr.velocity_second_moment() > 0
    with pytest.raises(ParameterError, match="var"):
        tr.series("x")  # type: ignore[arg-type]


def test_float32_couplings_track_float64():
    p = GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=3.0)
    a = simulate_gated(p, 50, T=2.0, burn_in=0.0, seed=2)
    b = simulate_gated(p, 50, T=2.0, burn_in=0.0, seed=2, precision="float32")
    np.testing.assert_allclose(b.h, a.h, atol=1e-4)
    with pytest.raises(ParameterError, match="precision"):
        simulate_gated(p, 50, T=2.0, burn_in=0.0, precision="float16")  # type: ignore[arg-type]


def test_divergence_is_reported():
    # a gate time constant far below the step: RK4 would be unstable (dt * 1/tau_r = 500 > 2.785)
    # and the state would blow up; the step guard refuses the step first, naming dt and the limit
    p = GatedParams(g_h=2.0, tau_r=1e-3)
    with pytest.raises(ParameterError, match=r"dt <= 0\.002785") as info:
        simulate_gated(p, 10, T=30.0, burn_in=0.0, dt=0.5, seed=0)
    assert info.value.name == "dt"


def test_rk4_local_step_error_at_dt_0_1_is_small() -> None:
    """The claim of simulate_gated's docstring: one dt = 0.1 step vs two half steps < 1e-6."""
    import numpy as np

    from theory.gating import GatedNetwork, GatedParams

    net = GatedNetwork.sample(GatedParams(g_h=2.5, alpha_r=20.0), 500, np.random.default_rng(3))
    x = net.initial_state(np.random.default_rng(4))
    for _ in range(300):  # onto the chaotic attractor
        x = net.step(x, 0.1)
    one = net.step(x, 0.1)
    two = net.step(net.step(x, 0.05), 0.05)
    # local error C dt^5: Richardson difference (1 - 2^-4) C dt^5 relative to |x|
    assert np.linalg.norm(one - two) / np.linalg.norm(x) < 1e-6
