"""What a check returns, and the one hook that makes any check fail on purpose.

A :class:`CheckResult` is one row of the check table: the prediction (``theory``), the finite-width
measurement (``simulation``), the ``error`` between them, the ``tolerance`` that the check's
:class:`~theory.checks.error_models.ErrorModel` implies, and the verdict.

**The failure hook.** A check is only worth running if it can fail. :func:`injected_error` sets a
relative error ε that every comparison of this package applies to the prediction before judging it:
:meth:`CheckResult.compare` and :func:`~theory.checks.error_models.compare_curve` compare
``theory·(1 + ε)`` (a whole curve is scaled) with the measurement. A check that judges its
prediction some other way routes it through :func:`perturbed` first. The runner sets the hook from
:attr:`theory.checks.runner.CheckContext.perturb`, so::

    from theory.checks import CheckContext, run_check
    run_check("gating.classical.delta0[g=2.0]", CheckContext(quick=True, perturb=0.2)).passed  # False

is how the tests show that a check detects a 20 % error in its theory.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theory.errors import ParameterError

__all__ = ["CheckResult", "injected_error", "perturbed", "current_perturbation", "jsonable"]

_PERTURB: contextvars.ContextVar[float] = contextvars.ContextVar(
    "theory_check_perturb", default=0.0
)


@contextlib.contextmanager
def injected_error(relative: float) -> Iterator[None]:
    """Within the block, every prediction a check compares is multiplied by ``1 + relative``."""
    if not (isinstance(relative, (int, float)) and math.isfinite(relative)):
        raise ParameterError("perturb", relative, "a finite relative error, e.g. 0.1 for +10 %")
    token = _PERTURB.set(float(relative))
    try:
        yield
    finally:
        _PERTURB.reset(token)


def current_perturbation() -> float:
    """The relative error injected by the active :func:`injected_error` block (0 outside)."""
    return _PERTURB.get()


def perturbed(prediction: Any) -> Any:
    """``prediction·(1 + ε)`` under the failure hook, ``prediction`` unchanged otherwise.

    Checks whose verdict does not go through :meth:`CheckResult.compare` or
    :func:`~theory.checks.error_models.compare_curve` call this on their prediction.
    """
    eps = _PERTURB.get()
    if eps == 0.0:
        return prediction
    if isinstance(prediction, np.ndarray):
        return prediction * (1.0 + eps)
    return (
        type(prediction)(prediction * (1.0 + eps))
        if isinstance(prediction, float)
        else prediction * (1.0 + eps)
    )


@dataclass
class CheckResult:
    """Outcome of one check (one row of the table).

    Attributes
    ----------
    name:
        The registered check name (set by the runner).
    theory, simulation:
        Prediction and measurement (the values at the worst point for curves).
    error, tolerance:
        The check passes when ``error <= tolerance``; both in the units the error model states.
    error_model:
        The error model in words, with the numbers that give the tolerance.
    details:
        Any further numbers (JSON-serialisable through :func:`jsonable`).
    figures:
        Matplotlib figures for the report.
    """

    name: str
    theory: float
    simulation: float
    error: float
    tolerance: float
    passed: bool
    error_model: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    figures: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    description: str = ""

    @classmethod
    def compare(
        cls,
        name: str,
        theory: float,
        simulation: float,
        model: Any,
        *,
        error: float | None = None,
        details: dict[str, Any] | None = None,
        figures: list[Any] | None = None,
    ) -> CheckResult:
        """Build a result; ``error`` defaults to ``|theory − simulation|``.

        ``model`` is an :class:`~theory.checks.error_models.ErrorModel`. Under the failure hook the
        prediction is scaled by ``1 + ε`` before the default error is formed (an explicit
        ``error`` must have been computed from :func:`perturbed` values by the caller).
        """
        theory = float(perturbed(float(theory))) if error is None else float(theory)
        simulation = float(simulation)
        err = abs(theory - simulation) if error is None else float(error)
        passed = bool(np.isfinite(err) and err <= model.tolerance)
        return cls(
            name=name,
            theory=theory,
            simulation=simulation,
            error=err,
            tolerance=model.tolerance,
            passed=passed,
            error_model=model.description,
            details=dict(details or {}),
            figures=list(figures or []),
        )

    @classmethod
    def crashed(cls, name: str, exc: BaseException, traceback_text: str) -> CheckResult:
        """A check that raised: a failed row carrying the exception and its traceback."""
        nan = float("nan")
        return cls(
            name=name,
            theory=nan,
            simulation=nan,
            error=nan,
            tolerance=nan,
            passed=False,
            error_model="check raised an exception",
            details={"exception": f"{type(exc).__name__}: {exc}", "traceback": traceback_text},
        )

    def record(self) -> dict[str, Any]:
        """JSON-serialisable record ``{name, theory, simulation, error, tolerance, passed, ...}``."""
        return {
            "name": self.name,
            "theory": jsonable(self.theory),
            "simulation": jsonable(self.simulation),
            "error": jsonable(self.error),
            "tolerance": jsonable(self.tolerance),
            "passed": bool(self.passed),
            "error_model": self.error_model,
            "seconds": round(self.seconds, 3),
            "details": {k: jsonable(v) for k, v in self.details.items()},
        }


def jsonable(v: Any) -> Any:
    """``v`` as plain JSON types (non-finite floats become strings)."""
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else str(f)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.ndarray):
        return [jsonable(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)
