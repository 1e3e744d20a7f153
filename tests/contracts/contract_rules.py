"""The solver contract as an assertion, and the hypothesis settings of the property tests.

:func:`assert_contract` calls a public solver or simulator and asserts the project's contract
(DESIGN.md, "One contract for every solver"): it returns values that are all finite, with a
``converged`` flag that is honest (a result flagged converged carries a residual below its
tolerance where it reports one; a result flagged not converged says why), or it raises
:class:`~theory.errors.ParameterError` naming a parameter, or
:class:`~theory.errors.ConvergenceError` with a finite-or-infinite residual — within its stated
time budget. Any other exception (a raw NumPy/SciPy/SymPy traceback) fails the test.

Two hypothesis profiles: the default suite runs each property on a handful of examples (the
whole ``tests/contracts`` directory stays under two minutes on two cores); ``-m slow`` runs the
same properties on many more (:data:`SLOW_EXAMPLES`).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from contract_harness import nonfinite_paths
from hypothesis import HealthCheck, Phase, settings

from theory.errors import ConvergenceError, ParameterError, StepSizeWarning

__all__ = ["assert_contract", "fast", "slow_settings", "SLOW_EXAMPLES", "Outcome"]

#: Examples per property in the ``slow`` profile.
SLOW_EXAMPLES = 60

#: Factor on stated time budgets (the test machine is shared: 2 cores, other jobs running).
BUDGET_SLACK = 3.0

Outcome = str  # "ok", "flagged", "ParameterError", "ConvergenceError"


def fast(n: int) -> Callable[[Any], Any]:
    """Hypothesis settings of the default suite: ``n`` examples, no per-example deadline (the
    budget is asserted explicitly), derandomised so the default suite is reproducible."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its example
        print_blob=True,
    )


def slow_settings(n: int = SLOW_EXAMPLES) -> Callable[[Any], Any]:
    """Hypothesis settings of the ``slow`` profile (random exploration, many examples)."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


def assert_contract(
    call: Callable[[], Any],
    *,
    budget_s: float,
    tolerance: float | None = None,
    allow_step_warning: bool = True,
) -> tuple[Outcome, Any]:
    """Run ``call()`` and assert the contract; return (outcome, result or exception).

    Parameters
    ----------
    budget_s:
        The time budget stated in the function's docstring (asserted with slack
        :data:`BUDGET_SLACK` for the shared test machine).
    tolerance:
        When given and the result has ``converged=True`` and a ``residual``, the residual must be
        below it (an honest flag).
    allow_step_warning:
        A :class:`~theory.errors.StepSizeWarning` is allowed (the simulators warn for steps
        beyond the model's stability limit); any other warning from numpy (overflow, invalid
        value) is recorded and fails the test, since it signals a silent numerical problem.
    """
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except ParameterError as exc:
            assert exc.name and isinstance(exc.name, str), f"ParameterError without a name: {exc}"
            _check_time(t0, budget_s)
            return "ParameterError", exc
        except ConvergenceError as exc:
            assert not math.isnan(exc.residual), f"ConvergenceError with a NaN residual: {exc}"
            _check_time(t0, budget_s)
            return "ConvergenceError", exc
        except Exception as exc:  # noqa: BLE001 - the contract forbids raw exceptions
            pytest.fail(f"raw exception {type(exc).__name__}: {exc}")
    _check_time(t0, budget_s)
    bad_warnings = [
        w
        for w in caught
        if not (allow_step_warning and issubclass(w.category, StepSizeWarning))
        and issubclass(w.category, RuntimeWarning)
    ]
    assert not bad_warnings, f"numerical warnings: {[str(w.message) for w in bad_warnings]}"
    conv = getattr(result, "converged", None)
    bad = nonfinite_paths(result)
    if conv is False:
        msg = str(getattr(result, "message", "") or "")
        assert msg, "flagged converged=False without a message"
        assert not bad, f"non-finite values in a flagged result: {bad[:3]}"
        return "flagged", result
    assert not bad, f"non-finite values in a result: {bad[:3]}"
    if conv is True and tolerance is not None:
        res = float(getattr(result, "residual", 0.0))
        assert res < tolerance, f"flagged converged with residual {res:.3e} >= {tolerance:.1e}"
    return "ok", result


def _check_time(t0: float, budget_s: float) -> None:
    elapsed = time.perf_counter() - t0
    assert elapsed <= BUDGET_SLACK * budget_s, (
        f"took {elapsed:.1f} s, stated budget {budget_s:g} s (x{BUDGET_SLACK:g} slack)"
    )
