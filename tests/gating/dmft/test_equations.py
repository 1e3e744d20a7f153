"""Gated DMFT equations: compiled multipliers and closures vs hand formulas and adaptive
quadrature, the derivation, the compiled theory shared across parameters, grids and solutions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit

from theory.gating.dmft.equations import GatedDMFT, gated_dmft_derivation
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


def test_derivation_has_steps_and_symbols():
    d = gated_dmft_derivation()
    assert "kinetic_identity" in d.step_names() and "spectrum_h" in d.step_names()
    assert "C_{\\phi}" in d.latex()


def test_compiled_theory_shared_across_g_h_in_convention_b():
    from theory.gating.dmft.equations import closure_params, compiled_theory

    a = GatedParams(g_h=1.6, alpha_r=0.0, convention="B")
    b = GatedParams(g_h=2.2, alpha_r=0.0, alpha_z=3.0, tau_r=2.0, convention="B")
    assert closure_params(a) == closure_params(b)
    assert compiled_theory(a, None) is compiled_theory(b, None)
    # convention A keeps g_h (it is inside tanh)
    assert closure_params(GatedParams(g_h=1.6)) != closure_params(GatedParams(g_h=2.2))


def test_coupling_and_input_variances_by_convention():
    from theory.gating.dmft.equations import coupling_variance, input_variances

    p = GatedParams(g_h=2.5, sigma_h=0.2, sigma_z=0.3, sigma_r=0.4)
    assert coupling_variance(p) == 1.0
    assert coupling_variance(p.to_convention("B")) == pytest.approx(6.25)
    assert input_variances(p) == pytest.approx((0.04, 0.09, 0.16))
    # h_B = g_h h_A: the h-input scales by g_h, the gate inputs do not
    assert input_variances(p.to_convention("B")) == pytest.approx((0.25, 0.09, 0.16))


def test_phi_moments_match_adaptive_quadrature():
    from theory.gating.dmft.equations import phi_moments

    m = phi_moments(REF, 0.12)
    assert m["phi2"] == pytest.approx(_gauss(lambda x: math.tanh(2.5 * x) ** 2, 0.12), abs=1e-10)
    assert m["dphi2"] == pytest.approx(
        _gauss(lambda x: (2.5 * (1 - math.tanh(2.5 * x) ** 2)) ** 2, 0.12), abs=1e-9
    )


def test_grid_validation_and_tail_decay():
    from theory.errors import ParameterError
    from theory.gating.dmft.equations import check_grid, tail_decay

    check_grid(0.1, 64)
    for dtau, n in ((0.0, 64), (float("nan"), 64), (0.1, 63), (0.1, 32), (0.1, 64.0)):
        with pytest.raises(ParameterError):
            check_grid(dtau, n)
    tau = np.linspace(0, 50, 201)
    assert tail_decay(np.exp(-tau)) < 1e-12  # decayed well inside the window
    assert tail_decay(np.exp(-tau / 50)) > 0.05  # not decayed (the solvers flag > 1e-3)
    assert tail_decay(np.ones(10)) == 0.0  # a constant has no connected part


def test_solution_interpolation_and_correlation_time():
    from theory.errors import ParameterError
    from theory.gating.dmft.equations import GatedDMFTSolution

    tau = np.linspace(0, 40, 401)
    c = np.exp(-tau / 2) + 0.1
    sol = GatedDMFTSolution(REF, tau, c, c, c, c, c, True, 0.0, 1)
    assert sol.C_h0 == pytest.approx(1.1)
    assert sol.at("C_h", np.array([-1.0, 1.0])) == pytest.approx(np.exp(-0.5) + 0.1, rel=1e-3)
    # connected part e^{-tau/2}: integral correlation time 2 (trapezoid on dtau = 0.1)
    assert sol.correlation_time("C_h") == pytest.approx(2.0, rel=1e-3)
    with pytest.raises(ParameterError):
        sol.at("C_x", np.array([1.0]))
    with pytest.raises(ParameterError):
        sol.at("C_h", np.array([41.0]))  # beyond half the window
