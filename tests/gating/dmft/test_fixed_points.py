"""Fixed points: threshold, tricritical alpha_r*, branches and V1+V2 table."""

from __future__ import annotations

import math

import pytest
from scipy.integrate import quad

from theory.errors import ParameterError
from theory.gating.dmft.fixed_points import (
    fixed_point_branches,
    solve_fixed_point_dmft,
    tricritical_alpha_r,
    zero_fp_threshold,
)
from theory.gating.model import GatedParams


def test_zero_fp_threshold_hand_formula():
    for br in (0.0, 1.0, -0.5):
        assert zero_fp_threshold(
            GatedParams(g_h=1.0, beta_r=br, alpha_z=3.0, alpha_r=7.0)
        ) == pytest.approx(1 + math.exp(br))
    with pytest.raises(ParameterError, match="beta_h"):
        zero_fp_threshold(GatedParams(g_h=1.0, beta_h=0.1))


def test_tricritical():
    assert tricritical_alpha_r(0.0) == pytest.approx(2 * math.sqrt(2), rel=1e-12)
    s = 1 / (1 + math.exp(1.0))
    assert tricritical_alpha_r(1.0) == pytest.approx(
        math.sqrt(2 / ((1 - s) * (2 - 3 * s))), rel=1e-12
    )
    assert tricritical_alpha_r(-2.0) == math.inf


@pytest.mark.parametrize(
    "g_h,alpha_r,branch,expected,tol",
    [
        (3.0, 0.0, "upper", 1.139, 2e-3),
        (1.7, 20.0, "lower", 1.35, 5e-3),
        (1.7, 20.0, "upper", 2.06, 5e-3),
    ],
)
def test_v1_v2_table(g_h, alpha_r, branch, expected, tol):
    s = solve_fixed_point_dmft(GatedParams(g_h=g_h, alpha_r=alpha_r), branch=branch)
    assert s.exists and s.converged
    assert s.V1 + s.V2 == pytest.approx(expected, abs=tol)
    assert not s.stable


def test_v1_v2_reference_case_differs_from_spec_table():
    # spec table lists 3.37 for g_h=2.5, alpha_r=20; adaptive quadrature (tests/report) gives 3.537
    s = solve_fixed_point_dmft(GatedParams(g_h=2.5, alpha_r=20.0))
    assert s.V1 + s.V2 == pytest.approx(3.537, abs=2e-3)


def test_subcritical_branches_and_onset():
    both = solve_fixed_point_dmft(GatedParams(g_h=1.7, alpha_r=20.0))
    assert both.n_solutions == 2
    none = solve_fixed_point_dmft(GatedParams(g_h=1.3, alpha_r=20.0))
    assert not none.exists and none.Delta_h == 0.0
    # below alpha_r*: supercritical, no nonzero FP below g_h = 2
    assert not solve_fixed_point_dmft(GatedParams(g_h=1.9, alpha_r=2.0)).exists


def test_fixed_points_independent_of_alpha_z_and_tau():
    a = solve_fixed_point_dmft(GatedParams(g_h=3.0, alpha_r=2.0))
    b = solve_fixed_point_dmft(GatedParams(g_h=3.0, alpha_r=2.0, alpha_z=5.0, tau_z=3.0, tau_r=0.2))
    assert a.Delta_h == b.Delta_h and a.V1 + a.V2 == b.V1 + b.V2


def _gauss(f, v):
    s = math.sqrt(v)
    return quad(
        lambda x: f(x) * math.exp(-x * x / (2 * v)) / math.sqrt(2 * math.pi * v),
        -12 * s,
        12 * s,
        limit=400,
        points=[0],
    )[0]


def test_solution_satisfies_the_fixed_point_equation_by_hand():
    # alpha_r = 0: sigma_r = 1/2, so Delta_h = <tanh^2(g_h x)>_{Delta_h} / 4 and Delta_r = <phi^2>
    s = solve_fixed_point_dmft(GatedParams(g_h=3.0))
    phi2 = _gauss(lambda x: math.tanh(3.0 * x) ** 2, s.Delta_h)
    assert s.Delta_h == pytest.approx(phi2 / 4, rel=1e-9)
    assert s.Delta_r == pytest.approx(phi2, rel=1e-9) and s.Delta_z == pytest.approx(phi2, rel=1e-9)
    assert s.info["all_solutions"] == tuple(fixed_point_branches(GatedParams(g_h=3.0)))
    dphi2 = _gauss(lambda x: (3.0 * (1 - math.tanh(3.0 * x) ** 2)) ** 2, s.Delta_h)
    assert s.V1 == pytest.approx(dphi2 / 4, rel=1e-8) and s.V2 == 0.0  # no gate derivative


def test_zero_state_stability_terms():
    # no nonzero fixed point: the zero state's V1 = (g_h s_r)^2, V2 = 0 without an input
    s = solve_fixed_point_dmft(GatedParams(g_h=1.5))
    assert not s.exists and fixed_point_branches(GatedParams(g_h=1.5)) == []
    assert s.V1 == pytest.approx(0.75**2) and s.V2 == 0.0 and s.stable


def test_fixed_point_bad_input():
    with pytest.raises(ParameterError, match="branch"):
        solve_fixed_point_dmft(GatedParams(g_h=3.0), branch="middle")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="n_grid"):
        fixed_point_branches(GatedParams(g_h=3.0), n_grid=5)


def test_fixed_point_branches_validates_xtol() -> None:
    from theory.errors import ParameterError
    from theory.gating.dmft.fixed_points import fixed_point_branches
    from theory.gating.model import GatedParams

    with pytest.raises(ParameterError, match="xtol"):
        fixed_point_branches(GatedParams(g_h=2.0), xtol=-1.0)
