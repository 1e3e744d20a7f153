"""CheckResult and the failure hook."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from theory.checks import CheckResult, ErrorModel, compare_curve, injected_error, perturbed
from theory.checks.result import current_perturbation, jsonable
from theory.errors import ParameterError


def test_hook_scales_compared_predictions_and_is_scoped() -> None:
    m = ErrorModel("demo", 0.05)
    assert CheckResult.compare("", 1.0, 1.02, m).passed
    with injected_error(0.1):
        assert current_perturbation() == 0.1
        r = CheckResult.compare("", 1.0, 1.02, m)
        assert not r.passed and r.theory == pytest.approx(1.1)
        assert perturbed(np.ones(2)).tolist() == pytest.approx([1.1, 1.1])
        x = np.linspace(0, 3, 30)
        samples = np.exp(-x) + 0.001 * np.random.default_rng(0).standard_normal((8, 30))
        assert not compare_curve(np.exp(-x), samples).passed
    assert current_perturbation() == 0.0 and perturbed(2.0) == 2.0
    with pytest.raises(ParameterError):
        with injected_error(math.nan):
            pass


def test_explicit_error_is_not_rescaled() -> None:
    with injected_error(0.5):
        r = CheckResult.compare("", 1.0, 1.0, ErrorModel("d", 0.1), error=0.0)
    assert r.passed and r.theory == 1.0


def test_crashed_row_and_record() -> None:
    r = CheckResult.crashed("x", ValueError("boom"), "trace")
    assert not r.passed and "boom" in r.details["exception"]
    rec = r.record()
    json.dumps(rec)
    assert rec["theory"] == "nan" and rec["passed"] is False
    assert jsonable({"a": np.arange(2), "b": np.float64(np.inf)}) == {"a": [0, 1], "b": "inf"}
