"""Solver B (Monte-Carlo DMFT, any alpha_z): agreement with solver A at alpha_z = 0, error bars,
honest flags, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.dmft.fourier import solve_dmft_fourier
from theory.gating.dmft.montecarlo import solve_dmft_montecarlo
from theory.gating.model import GatedParams

REF = GatedParams(g_h=2.5, alpha_r=20.0)


def test_montecarlo_agrees_with_fourier_at_alpha_z_0():
    p = GatedParams(g_h=2.5, alpha_r=20.0)
    a = solve_dmft_fourier(p)
    b = solve_dmft_montecarlo(
        p, rng=np.random.default_rng(3), n=2048, n_paths=64, n_iter=12, n_avg=6
    )
    assert b.method == "montecarlo" and b.C_h_err is not None
    assert abs(b.C_h[0] - a.C_h[0]) < 5 * b.residual + 0.02 * a.C_h[0]


def test_montecarlo_flags_unresolved_alpha_z():
    b = solve_dmft_montecarlo(
        GatedParams(g_h=4.0, alpha_z=40.0),
        rng=np.random.default_rng(0),
        dtau=0.1,
        n=256,
        n_paths=32,
        n_iter=6,
        n_avg=3,
    )
    assert not b.converged and "window too short" in b.message


def test_bad_input():
    with pytest.raises(ParameterError, match="rng"):
        solve_dmft_montecarlo(REF, rng=1)


def test_error_bars_and_gate_correlations():
    p = GatedParams(g_h=4.0, alpha_z=3.0, alpha_r=2.0)
    kw = dict(dtau=0.2, n=256, n_paths=16, n_iter=4, n_avg=2, n_replicas=2)
    b = solve_dmft_montecarlo(p, rng=np.random.default_rng(1), **kw)
    assert b.C_h_err is not None and b.C_h_err.shape == b.tau.shape
    assert np.all(b.C_h_err >= 0) and b.residual == pytest.approx(b.C_h_err[0])
    # z and r are the same linear filter of phi when tau_z = tau_r and there are no inputs
    np.testing.assert_allclose(b.C_z, b.C_r, rtol=1e-12)
    slower = solve_dmft_montecarlo(
        GatedParams(g_h=4.0, alpha_z=3.0, alpha_r=2.0, tau_r=4.0),
        rng=np.random.default_rng(1),
        **kw,
    )
    assert slower.C_r[0] < slower.C_z[0]  # a slower filter passes less variance
