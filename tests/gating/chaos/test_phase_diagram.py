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
    # same grid in both conventions, resolved: at g_h = 3, n = 1024, dtau = 0.25 (window 256)
    # both solvers converge with no window or aliasing flag; near onset (g_h = 2.2) even a window
    # of 128 is too short and the periodic problem has several solutions (C_h(0) = 0.0180,
    # 0.0233, 0.0230 at windows 64, 128, 256), so the comparison would not test the conventions.
    # Error model: both iterations stop at a step below tol = 1e-8 (absolute), so they agree to
    # a few tol: rel 1e-6 of C_h(0) = 0.083.
    r = chaotic_point(3.0, 0.0, n=1024, dtau=0.25)
    b = chaotic_branch(3.0, 0.0, n=1024, dtau=0.25)
    assert r["chaotic"] and b.chaotic and r["converged"] and b.converged
    assert r["C_h0"] == pytest.approx(b.C_h0, rel=1e-6)
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


# ---------------------------------------------------------------- the batched diagram
def _pointwise_column(gs, alpha_r, n, dtau):
    """Reference: branch_exists(g, alpha_r, warm=last) decided point by point with the public
    point solver solve_dmft_fourier (descending g_h, warm start from the last branch point)."""
    from theory.gating.chaos.transitions import ChaoticBranchPoint, branch_guesses, distance_bound
    from theory.gating.dmft.fourier import solve_dmft_fourier
    from theory.gating.model import GatedParams

    last, out = None, []
    for g in gs:
        found = None
        for guess in branch_guesses(last):
            sol = solve_dmft_fourier(
                GatedParams(g_h=g, alpha_r=alpha_r),
                n=n,
                dtau=dtau,
                tol=1e-8,
                init=guess,
                max_iter=1500,
            )
            ch0 = float(sol.C_h[0])
            pt = ChaoticBranchPoint(
                g,
                ch0,
                float(sol.C_r[0]),
                bool(sol.converged or ch0 <= 1e-6),
                ch0 > 1e-6,
                residual=float(sol.residual),
                distance=0.0 if sol.converged else distance_bound(sol.residual_history),
                tail_decay=float(sol.info["tail_decay"]),
                init=guess,
            )
            if pt.accepted:
                found = pt
                break
        out.append(found)
        if found is not None:
            last = found
    return out


def test_phase_columns_equal_point_by_point_decisions():
    """The batched continuation decides every point as the point-by-point multi-start test does,
    with C_h(0) equal to the solver tolerance (1e-8; error model: same map to 1e-15, same
    iteration, both stopped below tol), and brackets L3 between the last branch point and the
    first point without one."""
    import numpy as np

    from theory.gating.chaos.phase_diagram import phase_columns

    gs = [1.9, 1.8, 1.7]
    grid = dict(n=256, dtau=0.25)
    res = phase_columns(np.array(gs), np.full(3, 20.0), **grid)
    ref = _pointwise_column(gs, 20.0, **grid)
    assert list(res["chaotic"]) == [r is not None for r in ref]
    assert res["chaotic"][0] and not res["chaotic"][2]
    for i, r in enumerate(ref):
        if r is not None:
            assert abs(res["C_h0"][i] - r.C_h0) < 1e-7
    last = max(i for i in range(3) if res["chaotic"][i])
    assert gs[last + 1] < res["L3"][0] < gs[last]
    assert res["guesses"][2] == 4  # three guesses and the warm start, none accepted
    assert res["region"][0] == 2 and res["region"][2] == 1  # bistable ... topologically complex
    assert res["L2"][0] == pytest.approx(1.627, abs=2e-3) and res["L1"][0] == 2.0


def test_phase_diagram_dataset():
    from theory.gating.chaos.phase_diagram import phase_diagram

    ds = phase_diagram([1.5, 2.5], [0.0, 10.0])
    assert dict(ds.sizes) == {"g_h": 2, "alpha_r": 2}
    assert ds["L1"].dims == ("alpha_r",) and ds["L3"].dims == ("alpha_r",)
    assert not bool(ds["failed"].any())
    # below L1 = 2 at alpha_r = 0: quiescent; above: chaotic
    assert int(ds["region"].sel(g_h=1.5, alpha_r=0.0)) == 0
    assert int(ds["region"].sel(g_h=2.5, alpha_r=0.0)) == 3
    assert bool(ds["chaotic"].sel(g_h=2.5, alpha_r=10.0))
    assert ds.attrs["seconds"] > 0


@pytest.mark.slow
def test_diagram_l3_agrees_with_line_l3():
    """L3 of the diagram (its own grid, bisected to xtol) vs line_l3 (steps of 0.05 from L1)."""
    import numpy as np

    from theory.gating.chaos.phase_diagram import phase_columns
    from theory.gating.chaos.transitions import line_l3

    gs = np.linspace(1.6, 2.1, 11)
    res = phase_columns(gs, np.full(gs.size, 20.0))
    assert abs(res["L3"][0] - line_l3(20.0)) <= 5e-3
