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


def test_default_replicas_follow_the_paths() -> None:
    from theory.gating.dmft.montecarlo import solve_dmft_montecarlo
    from theory.gating.model import GatedParams

    kw = dict(dtau=0.2, n=256, n_iter=4, n_avg=2)
    p = GatedParams(g_h=3.0)
    assert (
        solve_dmft_montecarlo(p, rng=np.random.default_rng(0), n_paths=256, **kw).info["replicas"]
        == 16
    )
    assert (
        solve_dmft_montecarlo(p, rng=np.random.default_rng(0), n_paths=32, **kw).info["replicas"]
        == 4
    )


@pytest.mark.slow
def test_error_bars_are_calibrated_over_seeds() -> None:
    """z = (C_h(τ) − solver A)/reported SE over 20 seeds at g_h = 4, α_z = 0 (solver A exact to
    1e-11): unit variance within sampling error.

    Error model: for calibrated error bars the sample variance of 20 z-scores is χ²₁₉/19, inside
    [0.30, 2.2] with probability 0.997 per lag (the t-tails of the replica SE, R − 1 = 15 dof, add
    ≈ 15 % to the variance); the mean z is N(0, 1/20): |mean| < 3.3/√20. Measured (default
    settings, seeds 1000–1019): var 0.55, 0.61, 0.90, mean −0.17 … −0.37. With R = 4 replicas the
    variance was 3.9 and 5.3 at τ = 0 and 5: this test fails on that.
    """
    from theory.gating.dmft.fourier import solve_dmft_fourier
    from theory.gating.dmft.montecarlo import solve_dmft_montecarlo
    from theory.gating.model import GatedParams

    p = GatedParams(g_h=4.0)
    ref = solve_dmft_fourier(p, dtau=0.1, n=4096, tol=1e-11)
    assert ref.converged
    lags = [0, 50, 150]
    z = []
    for seed in range(20):
        r = solve_dmft_montecarlo(p, rng=np.random.default_rng(1000 + seed))
        assert r.C_h_err is not None
        z.append([(r.C_h[k] - ref.C_h[k]) / r.C_h_err[k] for k in lags])
    za = np.array(z)
    var = za.var(axis=0, ddof=1)
    assert np.all((0.30 < var) & (var < 2.2)), var
    assert np.all(np.abs(za.mean(axis=0)) < 3.3 / np.sqrt(20)), za.mean(axis=0)
