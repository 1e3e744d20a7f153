"""The power of a check: the smallest relative error of the prediction it detects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.checks import CHECKS, CheckContext, CheckResult, ErrorModel, compare_curve, run_check
from theory.checks.registry import check
from theory.checks.report import format_power, format_table
from theory.checks.result import detectable_error


def test_two_sided_compare_has_the_analytic_power() -> None:
    # |1(1+eps) - 1.02| > 0.05 fails for eps > 0.07 or eps < -0.03: both signs detected at 7 %
    r = CheckResult.compare("", 1.0, 1.02, ErrorModel("0.05 absolute", 0.05))
    eps, sides = detectable_error(r.judge)  # type: ignore[arg-type]
    assert sides == "±" and eps == pytest.approx(0.07, rel=0.011)


def test_one_sided_none_and_failed() -> None:
    assert detectable_error(lambda e: 1 + e > 0.5) == (pytest.approx(0.5, rel=0.011), "-")
    assert detectable_error(lambda e: True) == (math.inf, "none")
    assert detectable_error(lambda e: False) == (0.0, "failed")


def test_curve_power_scales_with_the_standard_error() -> None:
    x = np.linspace(0, 3, 20)
    truth = np.exp(-x)
    rng = np.random.default_rng(0)
    e_small = detectable_error(
        compare_curve(truth, truth + 0.001 * rng.standard_normal((10, 20))).judge
    )[0]  # type: ignore[arg-type]
    e_big = detectable_error(
        compare_curve(truth, truth + 0.01 * rng.standard_normal((10, 20))).judge
    )[0]  # type: ignore[arg-type]
    assert 5 < e_big / e_small < 20  # ten times the noise, about ten times the detectable error


@pytest.fixture()
def registry():  # type: ignore[no-untyped-def]
    from theory.catalog import load_all

    load_all()
    before = dict(CHECKS)
    yield
    CHECKS.clear()
    CHECKS.update(before)


def test_runner_fills_in_the_power_and_the_hook_confirms_it(registry) -> None:  # type: ignore[no-untyped-def]
    @check("powered", prefix="demo_power")
    def powered(ctx: CheckContext) -> CheckResult:
        return CheckResult.compare("", 2.0, 2.1, ErrorModel("0.3 absolute", 0.3))

    r = run_check("demo_power.powered")
    # |2(1+eps) - 2.1| <= 0.3 passes for -0.1 <= eps <= 0.2: power ±20 %
    assert r.epsilon_sides == "±" and r.epsilon == pytest.approx(0.2, rel=0.011)
    assert run_check("demo_power.powered", CheckContext(perturb=1.02 * r.epsilon)).passed is False
    assert run_check("demo_power.powered", CheckContext(perturb=0.98 * r.epsilon)).passed is True
    assert format_power(r) == "±20.1%" or format_power(r).startswith("±20")
    assert "eps" in format_table([r]).splitlines()[0]
    assert r.record()["epsilon"] == pytest.approx(r.epsilon)
