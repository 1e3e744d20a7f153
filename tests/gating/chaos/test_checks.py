"""The gap-closing chaos checks: Lyapunov compression with alpha_z and the jump at L3."""

from __future__ import annotations

import pytest

from theory.checks import CheckContext, run_checks
from theory.errors import ParameterError
from theory.gating.chaos import checks as chaos_checks

NAMES = ["chaos.lyapunov_compression[g_h=4]", "chaos.lambda_jump[alpha_r=20]"]


@pytest.fixture(scope="module")
def quick_results():
    return {r.name: r for r in run_checks(NAMES, quick=True, progress=False)}


def test_new_checks_pass_quick(quick_results):
    for name in NAMES:
        r = quick_results[name]
        assert r.passed, (name, r.error, r.tolerance, r.error_model)


def test_compression_fails_when_prediction_perturbed(quick_results):
    # a DMFT predicting no chaos at alpha_z = 0 (lambda ~ 0) must fail; memoised QR runs are reused
    ctx = CheckContext(quick=True)
    assert not chaos_checks._check_compression(4.0, 15.0, ctx, perturb=-0.056).passed


def test_lambda_jump_fails_when_prediction_perturbed(quick_results):
    ctx = CheckContext(quick=True)
    assert not chaos_checks._check_lambda_jump(20.0, 1.9, 1.7, ctx, perturb=0.1).passed


def test_lambda_jump_rejects_bad_window():
    with pytest.raises(ParameterError):
        chaos_checks._check_lambda_jump(20.0, 1.7, 1.9, CheckContext(quick=True))
    with pytest.raises(ParameterError):
        chaos_checks._check_lambda_jump(20.0, 1.9, 2.5, CheckContext(quick=True))


def test_compiled_theory_shared_across_g_h_in_convention_b():
    from theory.gating.dmft.equations import _compiled, closure_params
    from theory.gating.model import GatedParams

    a = GatedParams(g_h=1.6, alpha_r=0.0, convention="B")
    b = GatedParams(g_h=2.2, alpha_r=0.0, alpha_z=3.0, tau_r=2.0, convention="B")
    assert closure_params(a) == closure_params(b)
    assert _compiled(a, None) is _compiled(b, None)
    # convention A keeps g_h (it is inside tanh)
    assert closure_params(GatedParams(g_h=1.6)) != closure_params(GatedParams(g_h=2.2))


def test_chaotic_point_matches_chaotic_branch():
    from theory.gating.chaos.phase_diagram import chaotic_point
    from theory.gating.chaos.transitions import chaotic_branch

    r = chaotic_point(2.2, 0.0)
    b = chaotic_branch(2.2, 0.0, n=256, dtau=0.25)
    assert r["chaotic"] and b.chaotic
    assert r["C_h0"] == pytest.approx(b.C_h0, rel=1e-5)
    with pytest.raises(ParameterError):
        chaotic_point(-1.0, 0.0)
