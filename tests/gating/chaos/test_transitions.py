"""L3, the onset of the chaotic DMFT branch, by the multi-start test (spec gating.md §7).

The warm-started continuation used to drop off the branch in the bistable window (at α_r = 20 it
reported L3 ≈ 1.798 while the order-one guess still found C_h(0) ≈ 0.021 at g_h = 1.778).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.chaos.transitions import (
    COLLAPSE,
    GUESSES,
    ChaoticBranchPoint,
    branch_exists,
    branch_guesses,
    chaotic_branch,
    distance_bound,
    line_l1,
    line_l2,
    line_l3,
)

XTOL = 5e-3  # line_l3's default


@pytest.fixture(scope="module")
def l3_20() -> float:
    return line_l3(20.0, xtol=XTOL)


# ---------------------------------------------------------------- fast: the helper and its inputs
def test_point_the_old_continuation_missed_is_on_the_branch():
    # order-one guess at g_h = 1.778 < old L3 = 1.798: a converged chaotic solution
    pt = branch_exists(1.778, 20.0)
    assert pt is not None and pt.accepted and pt.converged
    assert pt.C_h0 == pytest.approx(0.0209, rel=0.02)
    assert pt.init == GUESSES[0]  # first guess, i.e. chaotic_branch's default answer
    assert pt.C_h0 == pytest.approx(chaotic_branch(1.778, 20.0).C_h0, rel=1e-9)


def test_branch_exists_rejects_bad_input():
    with pytest.raises(ParameterError):
        branch_exists(-1.0, 20.0)
    with pytest.raises(ParameterError):
        branch_exists(float("nan"), 20.0)
    with pytest.raises(ParameterError):
        branch_exists(1.8, -1.0)
    with pytest.raises(ParameterError):
        branch_exists(1.8, 20.0, warm=(0.02, 0.05))  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        line_l3(20.0, confirm=-1)
    with pytest.raises(ParameterError):
        line_l3(20.0, xtol=0.0)


def test_branch_guesses_add_the_warm_start_last():
    warm = ChaoticBranchPoint(1.8, 0.0273, 0.0727, True, True)
    assert branch_guesses() == GUESSES
    assert branch_guesses(warm)[: len(GUESSES)] == GUESSES
    assert branch_guesses(warm)[-1] == (0.0273, 0.0727)
    collapsed = ChaoticBranchPoint(1.7, 1e-9, 1e-9, True, False)
    assert branch_guesses(collapsed) == GUESSES  # no warm start from the zero state
    tiny = ChaoticBranchPoint(1.8, 1e-5, 2e-5, True, True)
    assert branch_guesses(tiny)[-1] == (1e-3, 1e-3)  # floored


def test_unconverged_iterate_is_accepted_only_when_close_to_a_fixed_point():
    # contracting residuals (rate 0.9): distance bound r/(1 - rho) = 10 r
    hist = tuple(1e-6 * 0.9**k for k in range(200))
    d = distance_bound(hist)
    assert d == pytest.approx(10 * hist[-50], rel=0.05)
    # stagnating residuals (the fold at alpha_r = 20): no bound
    assert distance_bound(tuple([1e-4] * 200)) == math.inf
    assert distance_bound(hist[:10]) == math.inf
    base = dict(g_h=1.755, C_h0=0.01, C_r0=0.03, converged=False, chaotic=True, tail_decay=1e-5)
    assert ChaoticBranchPoint(**base, distance=1e-4).accepted
    assert not ChaoticBranchPoint(**base, distance=5e-3).accepted
    assert not ChaoticBranchPoint(**base, distance=math.inf).accepted
    assert not ChaoticBranchPoint(
        **{**base, "tail_decay": 0.05}, distance=1e-6
    ).accepted  # window too short
    assert ChaoticBranchPoint(**{**base, "converged": True}, distance=0.0).accepted
    assert not ChaoticBranchPoint(1.7, 1e-9, 1e-9, True, False).accepted


def test_l1():
    assert line_l1(0.0) == pytest.approx(2.0)
    assert line_l1(20.0, beta_r=1.0) == pytest.approx(1 + np.e)


def test_transition_lines_bad_input():
    with pytest.raises(ParameterError):
        line_l1(-1.0)
    with pytest.raises(ParameterError):
        line_l1(float("nan"))


@pytest.mark.slow
def test_l2_l3_order_at_large_alpha_r():
    l2, l3 = line_l2(20.0), line_l3(20.0)
    assert 1.41 < l2 < l3 < 2.0
    assert line_l2(2.0) == pytest.approx(2.0)  # below alpha_r* = 2 sqrt 2: supercritical


# ---------------------------------------------------------------- slow: L3 itself (~100 s at alpha_r = 20)
@pytest.mark.slow
def test_l3_brackets_the_branch_from_every_guess(l3_20):
    """Would have caught the bug: no guess finds the branch just below L3, one finds it just above."""
    above = branch_exists(l3_20 + XTOL, 20.0)
    assert above is not None and above.accepted and above.C_h0 > 100 * COLLAPSE
    g_below = l3_20 - 2 * XTOL
    assert branch_exists(g_below, 20.0, warm=above) is None
    for guess in branch_guesses(above):
        pt = chaotic_branch(round(g_below, 6), 20.0, init=guess)
        assert not pt.accepted, (guess, pt)
    # the old estimate lay well inside the branch
    assert l3_20 < 1.798 - 4 * XTOL


@pytest.mark.slow
def test_l3_between_l2_and_l1(l3_20):
    assert line_l2(20.0) < l3_20 < line_l1(20.0)
    assert 1.72 < l3_20 < 1.78  # fold of the branch at g_h ≈ 1.758


@pytest.mark.slow
def test_lambda_jump_collapses_below_l3(l3_20):
    from theory.gating.chaos.transitions import lambda_jump

    r = lambda_jump(20.0)
    assert r["L3"] == l3_20
    assert r["C_h0_above"] > 100 * COLLAPSE and r["lambda_above"] > 0
    assert r["C_h0_below"] < COLLAPSE  # every guess collapses at L3 - eps


def test_branch_search_decides_as_branch_exists():
    """The batched multi-start test: the same guesses in the same order, the same answers."""
    from theory.gating.chaos.transitions import branch_exists_batch, branch_search

    warm = branch_exists(1.8, 20.0, n=256, dtau=0.25)
    pts = [(1.9, 20.0), (1.74, 20.0), (2.3, 5.0)]
    got = branch_search(pts, warms=[None, warm, None], n=256, dtau=0.25)
    refs = []
    for (g, a), w, (ans, tried) in zip(pts, [None, warm, None], got, strict=True):
        ref = branch_exists(g, a, warm=w, n=256, dtau=0.25)
        refs.append(ref)
        assert (ans is None) == (ref is None)
        if ref is not None:
            assert ans.init == ref.init and ans.C_h0 == pytest.approx(ref.C_h0, abs=1e-12)
            assert tried[-1] is ans
        else:
            assert len(tried) == len(branch_guesses(w))
    assert refs[0] is not None and refs[1] is None  # on the branch at 1.9; below L3 at 1.74
    batch = branch_exists_batch(pts, warms=[None, warm, None], n=256, dtau=0.25)
    assert [a is None for a in batch] == [r is None for r in refs]
    with pytest.raises(ParameterError):
        branch_search([(1.8, 20.0)], warms=[None, None])
