"""The gradient checks (``gating.gradients.*``) pass and can fail (failure hook, relative error)."""

from __future__ import annotations

import pytest

from theory.checks import CheckContext, run_check

QUICK = CheckContext(quick=True)


def _pass_then_fail(name: str, eps: float) -> None:
    good = run_check(name, QUICK)
    assert good.passed, (name, good.error, good.tolerance, good.details.get("exception"))
    bad = run_check(name, CheckContext(quick=True, perturb=eps))
    assert not bad.passed, (name, eps, bad.error, bad.tolerance)
    assert "exception" not in bad.details  # failed on the comparison, did not crash


def test_growth_check_can_fail():
    # tolerance ~3 % of lambda_max (0.056): a 10 % error in the theory must be caught
    _pass_then_fail("gating.gradients.adjoint_dmft_growth[g_h=4]", 0.1)


def test_adjoint_fd_check_can_fail():
    # the adjoint agrees with finite differences to O(dt^2) ~ 1e-5 relative: 1 % is far outside
    _pass_then_fail("gating.gradients.adjoint_fd", 0.01)


@pytest.mark.slow
def test_adjoint_growth_check_can_fail():
    # the old additive +0.3 on lambda_max = 0.198 is a relative error of 1.5 (tolerance ~0.09)
    _pass_then_fail("gating.gradients.adjoint_growth[g_h=2.5,alpha_r=20.0]", 1.5)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["readout", "running"])
def test_gradient_norm_checks_pass_and_can_fail(loss):
    # quick sizes: the 1/N intercept has a power of about 130 % (readout) and 70 % (running),
    # seed 0; tripling the theory (eps = 2) must fail
    _pass_then_fail(f"gating.gradients.gradient_norm[{loss},g_h=4]", 2.0)


def test_gradient_check_names():
    from theory.checks import select

    names = [c.name for c in select(["gating.gradients"])]
    assert len(names) == 9
    assert {n.split("[")[0] for n in names} == {
        "gating.gradients.gradient_norm",
        "gating.gradients.adjoint_dmft_growth",
        "gating.gradients.adjoint_fd",
        "gating.gradients.adjoint_growth",
    }
