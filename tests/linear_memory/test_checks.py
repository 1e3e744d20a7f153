"""The registered linear_memory checks pass in quick mode, and fail when a prediction is wrong."""

from __future__ import annotations

import pytest

from theory.checks import CheckContext, check_names, run_check, run_checks
from theory.linear_memory import checks as lm

QUICK = CheckContext(quick=True)


def test_names_and_prefix() -> None:
    names = check_names("linear_memory")
    assert len(names) == 25
    assert "linear_memory.hankel_bound[rho=exp(-t)/(1+t)]" in names
    assert "linear_memory.jackson_rate[alpha=3]" in names
    assert all(n.startswith("linear_memory.") for n in names)


def test_all_quick_checks_pass() -> None:
    results = run_checks(["linear_memory"], quick=True, progress=False)
    assert len(results) == 25
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed


@pytest.mark.parametrize(
    ("name", "perturb"),
    [
        ("linear_memory.hankel_values[rho=exp(-t)+0.5exp(-0.1t)]", 1e-3),
        ("linear_memory.gradient[diagonal]", 1e-3),
        ("linear_memory.mc_loss[white]", 0.3),
        ("linear_memory.curse[omega=0.5]", 0.2),  # the floor is a lower bound: raise it
        ("linear_memory.plateau_slope[w0=1]", 0.2),
        ("linear_memory.plateau_reference[w0=1]", 0.2),
        ("linear_memory.worst_case[rho=exp(-t)/(1+t),m=2]", 0.01),
        (
            "linear_memory.chebyshev_bound[rho=exp(-t)/(1+t),beta=0.5]",
            -0.7,
        ),  # upper bound: lower it
        ("linear_memory.plateau_nondelayed", -0.7),  # upper bound on the exponential rate
        ("linear_memory.jackson_rate[alpha=1]", 3.0),  # claim alpha = 4 for the C^1 target
        ("linear_memory.user_kernel_loss[rho=1/(1+t)^2,best_coefficients]", 0.3),
        ("linear_memory.user_kernel_loss[rho=t*exp(-t),callable,chebyshev]", -0.3),
    ],
)
def test_failure_hook_makes_checks_fail(name: str, perturb: float) -> None:
    res = run_check(name, CheckContext(quick=True, perturb=perturb))
    assert not res.passed, (res.theory, res.simulation, res.error, res.tolerance)


def test_hook_scales_the_reported_prediction() -> None:
    name = "linear_memory.worst_case[rho=exp(-t)/(1+t),m=2]"
    base, hooked = run_check(name, QUICK), run_check(name, CheckContext(quick=True, perturb=0.5))
    assert hooked.theory == pytest.approx(1.5 * base.theory, rel=1e-12)
    assert hooked.simulation == base.simulation


def test_perturbed_reference_values_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        lm, "REFERENCE_TAUS", {k: (1.3 * v, h) for k, (v, h) in lm.REFERENCE_TAUS.items()}
    )
    assert not run_check("linear_memory.plateau_reference[w0=1]", QUICK).passed


def test_perturbed_loss_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory.loss import DiagonalLoss

    orig = DiagonalLoss.value
    monkeypatch.setattr(DiagonalLoss, "value", lambda self, a, w: 1.3 * orig(self, a, w))
    assert not run_check("linear_memory.mc_loss[white]", QUICK).passed


def test_perturbed_hankel_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory import hankel as hk

    orig = hk.hankel_singular_values_exp
    monkeypatch.setattr(hk, "hankel_singular_values_exp", lambda b, v: orig(b, v) * 1.001)
    assert not run_check("linear_memory.hankel_values[rho=exp(-t)+0.5exp(-0.1t)]", QUICK).passed


def test_perturbed_curse_floor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory import approximation as ap

    orig = ap.stable_floor
    monkeypatch.setattr(
        ap, "stable_floor", lambda p, A, b: (1.3 * orig(p, A, b)[0], orig(p, A, b)[1])
    )
    assert not run_check("linear_memory.curse[omega=0.5]", QUICK).passed


def test_perturbed_plateau_slope_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory import plateau as pl

    # the asymptote 2w0 alone, without the -2/mu correction
    monkeypatch.setattr(pl, "quasi_static_slope", lambda m1, m2, w0_=1.0, A_=1.0: 2.0)
    assert not run_check("linear_memory.plateau_slope[w0=1]", QUICK).passed


def test_discrete_loss_of_exact_model_is_discretisation_only() -> None:
    """The simulated pair's exact MSE is O(dt) when the model realises the target exactly."""
    from theory.linear_memory import kernels as K
    from theory.linear_memory.model import DiagonalRNN

    k = K.exponential_sum([0.7, 0.2], [1.3, 0.3])
    m = DiagonalRNN([0.7, 0.2], [1.3, 0.3])
    J1 = lm.discrete_loss(k, m, 0.05, 60.0)
    J2 = lm.discrete_loss(k, m, 0.025, 60.0)
    assert 0 < J2 < J1 < 1e-2
    # the kernel error e_j is O(dt), so J = dt·Σ e_j² is O(dt²)
    assert J1 / J2 == pytest.approx(4.0, rel=0.1)
