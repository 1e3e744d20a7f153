"""Phase-diagram sweep functions: one point in each region of the (g_h, alpha_r) diagram, the alpha = 0
mapping to the classical network, the convention-B chaotic point, the large-alpha_z diagram."""

from __future__ import annotations

import math

import pytest

from theory.errors import ParameterError
from theory.gating.chaos.phase_diagram import (
    REGIONS,
    chaotic_point,
    marginal_point,
    phase_point,
    region_code,
    warm_compiled,
)
from theory.gating.chaos.transitions import chaotic_branch
from theory.gating.classical.dmft import solve_classical_dmft
from theory.gating.classical.model import ClassicalParams


def test_region_codes():
    assert set(REGIONS) == {0, 1, 2, 3}
    # an unstable zero state is chaotic whatever else holds
    assert region_code(chaotic=False, zero_stable=False, fp_exists=False) == 3
    assert region_code(chaotic=True, zero_stable=False, fp_exists=True) == 3
    assert region_code(chaotic=True, zero_stable=True, fp_exists=True) == 2
    assert region_code(chaotic=False, zero_stable=True, fp_exists=True) == 1
    assert region_code(chaotic=False, zero_stable=True, fp_exists=False) == 0


@pytest.mark.parametrize(
    "g_h, alpha_r, region, grid",
    [
        # below L1 = 2 at alpha_r < alpha_r* = 2 sqrt 2: quiescent
        (1.5, 0.0, 0, dict(n=256, dtau=0.5)),
        # L2 < g_h < L3: unstable nonzero fixed points, no chaos
        (1.7, 20.0, 1, dict(n=512, dtau=0.2)),
        # L3 < g_h < L1: chaos coexists with the stable zero state
        (1.9, 20.0, 2, dict(n=512, dtau=0.2)),
        # above L1: chaotic (long correlation times near L1 at alpha_r = 0: a long window)
        (2.5, 0.0, 3, dict(n=2048, dtau=0.2)),
    ],
)
def test_one_point_in_each_region(g_h, alpha_r, region, grid):
    r = phase_point(g_h, alpha_r, **grid)
    assert r["region"] == region, r
    assert r["zero_stable"] == (g_h < 2.0)  # L1 = 1 + e^{beta_r} = 2
    assert r["chaotic"] == (region >= 2)
    assert r["converged"]
    assert (r["C_h0"] > 1e-3) == r["chaotic"]


def test_alpha0_point_maps_to_the_classical_network():
    """alpha_z = alpha_r = 0: C_h(0) = Delta0_SCS(g_h s_r)/g_h^2 with s_r = 1/2."""
    r = phase_point(2.5, 0.0, n=2048)
    cl = solve_classical_dmft(ClassicalParams(1.25))
    assert r["C_h0"] == pytest.approx(cl.delta0 / 2.5**2, rel=1e-6)


def test_too_short_window_is_flagged():
    # near L1 at alpha_r = 0 the correlation time is long: the default window (512 x 0.2) is too short
    r = phase_point(2.5, 0.0)
    assert r["chaotic"] and not r["converged"]


def test_chaotic_point_matches_chaotic_branch():
    # same grid in both conventions; n = 512 (window 128): at n = 256 (window 64, "window too
    # short") the periodic problem has a second solution (C_h(0) = 0.0180 vs 0.0233) that the
    # guarded convention-A iteration can land on, so the comparison would not test the conventions
    r = chaotic_point(2.2, 0.0, n=512, dtau=0.25)
    b = chaotic_branch(2.2, 0.0, n=512, dtau=0.25)
    assert r["chaotic"] and b.chaotic
    assert r["C_h0"] == pytest.approx(b.C_h0, rel=1e-5)
    with pytest.raises(ParameterError):
        chaotic_point(-1.0, 0.0)


def test_chaotic_point_collapses_in_the_quiescent_region():
    r = chaotic_point(1.5, 0.0)
    assert not r["chaotic"] and r["converged"] and r["C_h0"] < 1e-6


def test_warm_compiled_counts_distinct_alpha_r():
    assert warm_compiled([0.0, 20.0, 20.0, 0]) == 2


def test_marginal_point():
    # no nonzero fixed point below L2: nothing to evaluate
    q = marginal_point(1.5, 0.0)
    assert not q["fp_exists"] and not q["marginal"] and math.isnan(q["abscissa"])
    # unstable bulk at alpha_z = 0 (positive abscissa), marginal at alpha_z = 30 (1 < V < 2)
    m = marginal_point(2.5, 5.0)
    assert m["fp_exists"] and 1.0 < m["V"] < 2.0 and m["marginal"]
    assert m["abscissa_az0"] > 0.05
    assert abs(m["abscissa"]) < 0.2 * m["abscissa_az0"]  # the update gate pulls the edge to 0
    assert 0.0 < m["slow_fraction"] < 0.5
