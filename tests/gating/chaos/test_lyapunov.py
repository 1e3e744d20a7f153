"""Lyapunov exponents of finite networks: QR vs exact linear rates, two-trajectory vs QR, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.chaos.jacobian import jacobian_matrix
from theory.gating.chaos.lyapunov import lyapunov_spectrum, max_lyapunov_two_trajectory
from theory.gating.model import GatedNetwork, GatedParams


def test_qr_equals_linear_rates_near_stable_zero_state():
    """Near the stable zero state the flow is linear: QR exponents = real parts of the top eigenvalues."""
    p = GatedParams(g_h=1.2, alpha_z=3.0, alpha_r=2.0)
    N = 40
    net = GatedNetwork.sample(p, N, np.random.default_rng(0))
    ev = np.linalg.eigvals(jacobian_matrix(net, np.zeros((3, N))))
    res = lyapunov_spectrum(
        net, 3, T=400.0, transient=20.0, rng=np.random.default_rng(1), x0=np.zeros((3, N)), dt=0.1
    )
    top = np.sort(ev.real)[::-1]
    # a complex pair counts twice (equal real parts)
    np.testing.assert_allclose(res.exponents[0], top[0], atol=3e-3)


def test_too_many_exponents_and_bad_times():
    net = GatedNetwork.sample(GatedParams(g_h=2.0), 5, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="3N = 15"):
        lyapunov_spectrum(net, 16, T=10, transient=0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError):
        lyapunov_spectrum(net, 0, T=10, transient=0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError):
        lyapunov_spectrum(net, 2, T=10, transient=-1, rng=np.random.default_rng(0))
    x0 = np.zeros((3, 5))
    x0[1, 1] = np.nan
    with pytest.raises(ParameterError):
        lyapunov_spectrum(net, 2, T=10, transient=0, rng=np.random.default_rng(0), x0=x0)


def test_two_trajectory_agrees_with_qr_on_one_network():
    p = GatedParams(g_h=3.0, alpha_r=5.0)
    net = GatedNetwork.sample(p, 80, np.random.default_rng(3))
    qr = lyapunov_spectrum(net, 1, T=100.0, transient=30.0, rng=np.random.default_rng(4), dt=0.1)
    tt = max_lyapunov_two_trajectory(
        net, T=100.0, transient=30.0, rng=np.random.default_rng(4), dt=0.1
    )
    assert abs(qr.exponents[0] - tt.value) < 6 * np.hypot(qr.sem[0], tt.sem) + 0.02


@pytest.mark.slow
def test_qr_table_alpha_z_compression():
    """gating-derivations 5.2 (N=300, g_h=4): lambda_1 falls with alpha_z (0.053, 0.018, 0.014)."""
    vals = []
    for az in (0.0, 15.0):
        net = GatedNetwork.sample(GatedParams(g_h=4.0, alpha_z=az), 200, np.random.default_rng(0))
        vals.append(
            lyapunov_spectrum(
                net, 10, T=200.0, transient=50.0, rng=np.random.default_rng(1), dt=0.1
            ).exponents
        )
    assert np.sum(vals[1] > -0.01) > np.sum(vals[0] > -0.01)
