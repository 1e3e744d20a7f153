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


def test_targets_by_kind_quick_and_exponents() -> None:
    from theory.checks.result import CI_LIMIT, POWER_TARGETS, QUICK_TARGET, power_target

    assert power_target("moment", 3.0, quick=False) == 0.05
    assert power_target("lyapunov", 0.2, quick=False) == 0.10
    assert power_target("moment", 3.0, quick=True) == QUICK_TARGET == 0.25 < CI_LIMIT
    # a fitted exponent is resolved to +-0.05 absolute: -1/4 needs 20 %, alpha = 3 needs 1.7 %
    assert power_target("exponent", -0.25, quick=False) == pytest.approx(0.2)
    assert power_target("exponent", 3.0, quick=False) == pytest.approx(0.05 / 3)
    assert power_target("", 1.0, quick=False) is None
    assert set(POWER_TARGETS) >= {"moment", "curve", "lyapunov", "exponent"}
    from theory.errors import ParameterError

    with pytest.raises(ParameterError, match="target"):
        power_target("moments", 1.0, quick=False)


def test_a_check_declares_its_target_and_the_runner_projects_a_miss(registry) -> None:  # type: ignore[no-untyped-def]
    from theory.checks.runner import run_checks
    from theory.errors import ParameterError

    with pytest.raises(ParameterError, match="target"):
        check("bad", prefix="demo_target", target="momentz")

    @check("sharp", prefix="demo_target", target="moment")
    def sharp(ctx: CheckContext) -> CheckResult:  # power ±3 %: reaches 5 %
        return CheckResult.compare("", 1.0, 1.0, ErrorModel("0.03 absolute", 0.03))

    @check("blunt", prefix="demo_target", target="moment")
    def blunt(ctx: CheckContext) -> CheckResult:  # power ±20 %: misses 5 % by a factor 4
        return CheckResult.compare("", 1.0, 1.0, ErrorModel("0.2 absolute", 0.2))

    @check("exact", prefix="demo_target")
    def exact(ctx: CheckContext) -> CheckResult:
        return CheckResult.compare("", 1.0, 1.0, ErrorModel("exact", 1e-12))

    res = {r.name: r for r in run_checks(["demo_target"], progress=False)}
    s, b, e = res["demo_target.sharp"], res["demo_target.blunt"], res["demo_target.exact"]
    assert s.meets_target is True and s.seconds_to_target is None
    assert b.meets_target is False and b.target == 0.05
    # (eps/target)^2 = 16 times the check's own seconds
    assert b.seconds_to_target == pytest.approx(b.seconds * (b.epsilon / 0.05) ** 2)  # type: ignore[operator]
    assert e.target is None and e.meets_target is None
    rec = b.record()
    assert rec["target_kind"] == "moment" and rec["epsilon_target"] == 0.05
    assert rec["meets_target"] is False and rec["seconds_to_target"] is not None
    table = format_table(list(res.values()))
    assert "5% MISS" in table and "power: 1 of 2 checks with a target reach it" in table
    # quick sizes: every kind is held to 25 %, which the blunt check reaches
    quick = {r.name: r for r in run_checks(["demo_target"], progress=False, quick=True)}
    assert quick["demo_target.blunt"].meets_target is True
