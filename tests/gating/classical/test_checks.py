"""The classical checks (``gating.classical.*``) pass in quick mode and can fail (failure hook)."""

from __future__ import annotations

import pytest

from theory.checks import CheckContext, run_check, run_checks
from theory.checks.registry import select

#: The lambda_max size trends cost ~2 CPU-minutes at quick sizes (four sizes up to N = 1600, two
#: gains): they run in the slow tests below, the other classical checks in the default suite.
LYAPUNOV = "gating.classical.lyapunov_max"


def test_quick_classical_checks_pass() -> None:
    # the SCS checks (the general mean-field ones are tested in test_mean_field.py)
    names = [c.name for c in select(["gating.classical"])]
    assert len(names) == 23 and sum(n.startswith(LYAPUNOV) for n in names) == 2
    scs = ["delta0", "autocorrelation", "kinetic", "quiescent"]
    results = run_checks([f"gating.classical.{n}" for n in scs], quick=True, progress=False)
    assert len(results) == 7
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed


@pytest.mark.parametrize(
    "name, eps",
    [
        # Delta0 = 1.925, 1/N intercept over N = 200, 400, 800: power 9.7 % at quick sizes
        ("gating.classical.delta0[g=2.0]", 0.2),
        # <xdot^2> = 0.128, 1/N intercept: power 34 % at quick sizes
        ("gating.classical.kinetic[g=2.0]", 0.5),
        # Delta(tau): per-lag 1/N intercepts, standardised sup error: power 12 % at quick sizes
        ("gating.classical.autocorrelation[g=2.0]", 0.2),
        # log-ratio decay: the prediction's rate off by 50 %
        ("gating.classical.quiescent[g=0.5]", 0.5),
        # lambda_max = 0.235, quick tolerance ~0.024 (t x SE of the extrapolated intercept)
        pytest.param(f"{LYAPUNOV}[g=3.0]", 0.5, marks=pytest.mark.slow),
    ],
)
def test_classical_checks_can_fail(name: str, eps: float) -> None:
    # the passing runs are asserted above; memoised ensembles: their simulations are reused
    bad = run_check(name, CheckContext(quick=True, perturb=eps))
    assert "exception" not in bad.details
    assert not bad.passed, (name, bad.error, bad.tolerance)


@pytest.mark.slow
def test_lyapunov_checks_pass_and_report_the_size_trend() -> None:
    assert all(r.passed for r in run_checks([LYAPUNOV], quick=True, progress=False))
    r = run_check(f"{LYAPUNOV}[g=3.0]", CheckContext(quick=True))
    d = r.details
    assert len(d["sizes"]) >= 4 and d["slope_a"] < 0  # finite networks sit below the DMFT
    assert "lambda_N = lambda_inf + a/N" in r.error_model
    assert r.tolerance < 0.5 * r.theory  # power: at quick sizes a 50 % error must fail
