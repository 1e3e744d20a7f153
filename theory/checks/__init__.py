"""Checks: a prediction, a finite-width measurement, an error model and the tolerance it implies.

The product's spine, in five modules:

* :mod:`~theory.checks.error_models` -- :class:`ErrorModel`, Student-t tolerances
  (:func:`statistical_tolerance`), point-by-point curve comparison (:func:`compare_curve`), rate
  fits (:func:`fit_power_law`), finite-size trends extrapolated to N → ∞ (:func:`fit_trend`,
  :func:`compare_extrapolation`);
* :mod:`~theory.checks.registry` -- the :func:`check` decorator (single checks and families) and
  name selection (exact names, prefixes, globs);
* :mod:`~theory.checks.runner` -- :class:`CheckContext`, :func:`run_check`, :func:`run_checks`,
  user check modules (:func:`load_user_checks`);
* :mod:`~theory.checks.ensembles` -- :func:`ensemble`, S independent networks seeded from the
  context and memoised;
* :mod:`~theory.checks.report` -- the table, the JSON and the HTML/Markdown report.

The failure hook (:func:`~theory.checks.result.injected_error`, ``CheckContext(perturb=ε)``)
scales every compared prediction by ``1 + ε``: that is how the tests show a check can fail. Each
result also carries its power ``epsilon`` (:func:`detectable_error`): the smallest relative error
of the prediction that the check detects, reported in the table, the report and the JSON.
"""

from theory.checks.ensembles import clear_ensembles, ensemble, ensemble_seeds, stack
from theory.checks.error_models import (
    ErrorModel,
    TrendFit,
    compare_curve,
    compare_curve_extrapolation,
    compare_extrapolation,
    fit_power_law,
    fit_trend,
    mean_sem,
    statistical_tolerance,
)
from theory.checks.registry import CHECKS, Check, check, check_names, select
from theory.checks.report import format_table, write_json, write_report
from theory.checks.result import CheckResult, detectable_error, injected_error, perturbed
from theory.checks.runner import CheckContext, load_user_checks, run_check, run_checks

__all__ = [
    "ErrorModel",
    "CheckContext",
    "CheckResult",
    "Check",
    "CHECKS",
    "check",
    "check_names",
    "select",
    "run_check",
    "run_checks",
    "load_user_checks",
    "format_table",
    "write_report",
    "write_json",
    "fit_power_law",
    "compare_curve",
    "compare_extrapolation",
    "compare_curve_extrapolation",
    "fit_trend",
    "TrendFit",
    "mean_sem",
    "statistical_tolerance",
    "ensemble",
    "ensemble_seeds",
    "stack",
    "clear_ensembles",
    "injected_error",
    "perturbed",
    "detectable_error",
]
