"""Error models: Student-t tolerances, curve comparison, rate fits."""

from __future__ import annotations

import numpy as np
import pytest

from theory.checks import (
    CheckResult,
    ErrorModel,
    compare_curve,
    fit_power_law,
    mean_sem,
    statistical_tolerance,
)
from theory.errors import ParameterError


def test_statistical_tolerance_detects_a_real_difference() -> None:
    rng = np.random.default_rng(1)
    samples = 1.0 + 0.05 * rng.standard_normal(12)
    m, sem = mean_sem(samples)
    model = statistical_tolerance(sem, 12)
    assert CheckResult.compare("ok", 1.0, m, model).passed
    # a theory off by 10 SEM must fail: the check can fail
    assert not CheckResult.compare("bad", 1.0 + 10 * sem, m, model).passed


def test_compare_curve_pass_and_fail() -> None:
    rng = np.random.default_rng(2)
    x = np.linspace(0, 5, 50)
    truth = np.exp(-x)
    samples = truth + 0.01 * rng.standard_normal((10, 50))
    assert compare_curve(truth, samples, n_independent=5).passed
    assert not compare_curve(truth * 1.1, samples, n_independent=5).passed
    # a bias allowance absorbs a deterministic offset below it, not above it
    assert compare_curve(truth + 0.02, samples, bias=0.03).passed
    assert not compare_curve(truth + 0.2, samples, bias=0.03).passed


def test_fit_power_law_recovers_exponent() -> None:
    n = np.array([250, 1000, 4000, 16000])
    p, c, se = fit_power_law(n, 3.0 * n**-0.5)
    assert p == pytest.approx(-0.5) and c == pytest.approx(3.0) and se < 1e-10
    with pytest.raises(ParameterError):
        fit_power_law([1], [1])


def test_error_model_validation() -> None:
    with pytest.raises(ParameterError, match="tolerance"):
        ErrorModel("x", -1.0)
    with pytest.raises(ParameterError):
        statistical_tolerance(0.1, 1)
