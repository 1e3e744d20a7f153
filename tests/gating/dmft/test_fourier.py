"""Gated DMFT: compiled vs hand formulas, reference numbers, bad input, A/B invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit

from theory.errors import ParameterError
from theory.gating.classical.dmft import solve_classical_dmft
from theory.gating.classical.model import ClassicalParams
from theory.gating.dmft.equations import (
    GatedDMFT,
    gated_dmft_derivation,
    solve_dmft_fourier,
    solve_dmft_montecarlo,
)
from theory.gating.model import GatedParams

REF = GatedParams(g_h=2.5, alpha_r=20.0)


def _gauss(f, v):
    return quad(
        lambda x: f(x) * math.exp(-x * x / (2 * v)) / math.sqrt(2 * math.pi * v),
        -12 * math.sqrt(v),
        12 * math.sqrt(v),
        limit=400,
        points=[0],
    )[0]


def test_multipliers_are_the_filter_spectra():
    th = GatedDMFT.for_params(REF)
    w = np.linspace(0, 5, 7)
    assert np.allclose(th.mult_h(w, 0.5), 0.25 / (0.25 + w**2))
    assert np.allclose(th.mult_r(w, 2.0), 1 / (1 + 4 * w**2))


def test_sharp_closure_matches_adaptive_quadrature():
    th = GatedDMFT.for_params(REF)
    c0 = 0.334
    # c = c0: <sigma_r^2>, c = 0: <sigma_r>^2 = 1/4
    assert th.C_sigma_r(c0, c0) == pytest.approx(
        _gauss(lambda x: expit(20 * x) ** 2, c0), abs=1e-10
    )
    assert th.C_sigma_r(0.0, c0) == pytest.approx(0.25, abs=1e-12)
    assert th.C_phi(0.12, 0.12) == pytest.approx(
        _gauss(lambda x: math.tanh(2.5 * x) ** 2, 0.12), abs=1e-10
    )


def test_price_derivative_by_finite_difference():
    th = GatedDMFT.for_params(REF)
    c0, c, e = 0.3, 0.1, 1e-5
    fd = (th.C_sigma_r(c + e, c0) - th.C_sigma_r(c - e, c0)) / (2 * e)
    assert th.dC_sigma_r(c, c0) == pytest.approx(fd, rel=1e-5)


def test_reference_numbers_and_kinetic_identity():
    sol = solve_dmft_fourier(REF)
    assert sol.converged and sol.residual < 1e-10
    assert sol.C_h[0] == pytest.approx(0.129, abs=1e-3)
    assert sol.C_r[0] == pytest.approx(0.334, abs=1e-3)
    # hand formula: <hdot^2> = s_z^2(<sigma_r^2><phi^2> - C_h(0))
    sr2 = _gauss(lambda x: expit(20 * x) ** 2, sol.C_r[0])
    p2 = _gauss(lambda x: math.tanh(2.5 * x) ** 2, sol.C_h[0])
    assert sol.kinetic == pytest.approx(0.25 * (sr2 * p2 - sol.C_h[0]), rel=1e-8)


def test_alpha0_maps_to_classical():
    p = GatedParams(g_h=4.0, beta_z=-1.0)  # s_z = sigma(1) ~ 0.73, s_r = 1/2 -> g = 2
    sol = solve_dmft_fourier(p)
    cl = solve_classical_dmft(ClassicalParams(2.0), tau_max=80.0)
    assert sol.C_h[0] == pytest.approx(cl.delta0 / 16, rel=1e-7)
    lags = sol.tau[sol.tau < 40]
    assert np.allclose(sol.C_h[: lags.size], cl.delta_at(p.s_z * lags) / 16, atol=1e-6)
    assert sol.kinetic == pytest.approx(p.s_z**2 * cl.kinetic / 16, rel=1e-6)


def test_convention_invariance():
    a = solve_dmft_fourier(REF)
    b = solve_dmft_fourier(REF.to_convention("B"))
    assert b.C_h[0] == pytest.approx(REF.g_h**2 * a.C_h[0], rel=1e-8)
    assert b.C_r[0] == pytest.approx(a.C_r[0], rel=1e-8)


def test_bad_input():
    with pytest.raises(ParameterError, match="alpha_z"):
        solve_dmft_fourier(GatedParams(g_h=2.0, alpha_z=1.0))
    with pytest.raises(ParameterError, match="tau_z"):
        GatedParams(g_h=2.0, tau_z=-1.0)
    with pytest.raises(ParameterError, match="n"):
        solve_dmft_fourier(REF, n=10)
    with pytest.raises(ParameterError, match="rng"):
        solve_dmft_montecarlo(REF, rng=1)


def test_window_too_short_is_flagged():
    sol = solve_dmft_fourier(
        GatedParams(g_h=4.0), dtau=0.05, n=128
    )  # window 6.4 << correlation time
    assert not sol.converged and "window too short" in sol.message


def test_nonconvergence_is_flagged():
    sol = solve_dmft_fourier(REF, max_iter=3)
    assert not sol.converged and sol.residual > 1e-10 and "not converged" in sol.message


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


def test_derivation_has_steps_and_symbols():
    d = gated_dmft_derivation()
    assert "kinetic_identity" in d.step_names() and "spectrum_h" in d.step_names()
    assert "C_{\\phi}" in d.latex()
