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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theory.errors import ParameterError

__all__ = [
    "CheckResult",
    "injected_error",
    "perturbed",
    "current_perturbation",
    "jsonable",
    "detectable_error",
    "Judge",
    "POWER_TARGETS",
    "QUICK_TARGET",
    "CI_LIMIT",
    "power_target",
]

#: ``judge(eps)``: would the check pass if its prediction were multiplied by ``1 + eps``?
Judge = Callable[[float], bool]

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
    judge:
        ``judge(eps)`` re-evaluates the verdict for the prediction scaled by ``1 + eps`` without
        re-running the measurement (set by :meth:`compare` and
        :func:`~theory.checks.error_models.compare_curve`; checks with their own verdict pass one).
    epsilon, epsilon_sides:
        The check's power (:func:`detectable_error`): the smallest relative error ε of the
        prediction that the check detects in both directions (1 ± ε fail), or in one direction
        for one-sided checks (``epsilon_sides`` says which); filled in by the runner.
    target_kind, target, seconds_to_target:
        The kind of prediction the check declares (``@check(..., target=KIND)``), the power it
        should reach at this run's sizes (:func:`power_target`), and, when ε misses it, the
        check-seconds its work would need to reach it if ε falls like 1/√(samples): the seconds of
        the check's :attr:`~theory.checks.registry.Check.group` (the checks sharing its ensembles)
        × (ε/target)²; filled in by the runner.
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
    judge: Judge | None = field(default=None, repr=False, compare=False)
    epsilon: float | None = None
    epsilon_sides: str = ""
    target_kind: str = ""
    target: float | None = None
    seconds_to_target: float | None = None

    @property
    def meets_target(self) -> bool | None:
        """Whether the power ε reaches the check's target (``None``: no target or no power)."""
        if self.target is None or self.epsilon is None or self.epsilon_sides in ("", "failed"):
            return None
        return bool(self.epsilon <= self.target)

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
        judge: Judge | None = None,
    ) -> CheckResult:
        """Build a result; ``error`` defaults to ``|theory − simulation|``.

        ``model`` is an :class:`~theory.checks.error_models.ErrorModel`. Under the failure hook the
        prediction is scaled by ``1 + ε`` before the default error is formed (an explicit
        ``error`` must have been computed from :func:`perturbed` values by the caller). With the
        default error the power judge is ``|θ(1 + ε) − simulation| <= tolerance``; a check that
        passes its own ``error`` passes its own ``judge`` (or reports no power).
        """
        theory = float(perturbed(float(theory))) if error is None else float(theory)
        simulation = float(simulation)
        err = abs(theory - simulation) if error is None else float(error)
        passed = bool(np.isfinite(err) and err <= model.tolerance)
        tol = float(model.tolerance)
        if judge is None and error is None:
            th, sim = theory, simulation

            def judge(eps: float) -> bool:
                return bool(abs(th * (1.0 + eps) - sim) <= tol)

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
            judge=judge,
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
            "epsilon": jsonable(self.epsilon) if self.epsilon is not None else None,
            "epsilon_sides": self.epsilon_sides,
            "target_kind": self.target_kind,
            "epsilon_target": jsonable(self.target) if self.target is not None else None,
            "meets_target": self.meets_target,
            "seconds_to_target": (
                round(self.seconds_to_target, 1) if self.seconds_to_target is not None else None
            ),
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


def detectable_error(
    judge: Judge, *, eps_max: float = 10.0, rel: float = 0.01
) -> tuple[float, str]:
    """The power of a check: the smallest relative error of its prediction that it detects.

    ``judge(eps)`` says whether the check passes with the prediction scaled by ``1 + eps``. For each
    sign, the smallest |ε| ≤ ``eps_max`` that fails is located on a geometric grid and refined by
    bisection to ``rel`` relative precision. Returns ``(ε, sides)``: for a two-sided check ε is the
    larger of the two (an error of ±ε is detected whichever its sign), ``sides = "±"``; a check
    that only detects one sign (a one-sided bound) returns that side's ε and ``"+"`` or ``"-"``;
    ``(inf, "none")`` if no relative error up to ``eps_max`` fails it (the prediction is 0, or the
    verdict does not depend on it); ``(0.0, "failed")`` if it already fails.
    """
    if not judge(0.0):
        return 0.0, "failed"
    grid = np.geomspace(1e-5, eps_max, 61)

    def first_fail(sign: float) -> float:
        prev = 0.0
        for e in grid:
            if not judge(sign * float(e)):
                lo, hi = prev, float(e)
                while hi - lo > rel * hi:
                    mid = 0.5 * (lo + hi)
                    if judge(sign * mid):
                        lo = mid
                    else:
                        hi = mid
                return hi
            prev = float(e)
        return math.inf

    up, down = first_fail(1.0), first_fail(-1.0)
    if math.isfinite(up) and math.isfinite(down):
        return max(up, down), "±"
    if math.isfinite(up):
        return up, "+"
    if math.isfinite(down):
        return down, "-"
    return math.inf, "none"


#: The power each kind of prediction should reach at full sizes: the relative error ε (1 ± ε of
#: the prediction) a check must detect. Moments (Δ0, C_h(0), kinetic energies, σ²(F), losses J)
#: 5 %; Lyapunov exponents, spectral edges and extents, slow-mode fractions, gradient norms,
#: correlation times and whole curves 10 %; fitted ``exponent``s ±0.05 absolute (so the relative
#: target is 0.05/|θ|: −1/4 is told from −1/2, α from α ± 1).
POWER_TARGETS: dict[str, float] = {
    "moment": 0.05,
    "curve": 0.10,
    "lyapunov": 0.10,
    "spectrum": 0.10,
    "fraction": 0.10,
    "gradient": 0.10,
    "timescale": 0.10,
    "exponent": 0.05,
}
#: The power every check should reach at quick (CI) sizes, and the limit none may exceed there.
QUICK_TARGET = 0.25
CI_LIMIT = 0.50


def power_target(kind: str, theory: float, quick: bool) -> float | None:
    """The relative power target of a check of ``kind`` (:data:`POWER_TARGETS`) with prediction
    ``theory``: :data:`QUICK_TARGET` at quick sizes; ``None`` for checks without a kind (exact
    or symbolic checks, one-off inequalities)."""
    if not kind:
        return None
    if kind not in POWER_TARGETS:
        raise ParameterError("target", kind, "one of " + ", ".join(POWER_TARGETS))
    if quick:
        return QUICK_TARGET
    if kind == "exponent":
        return POWER_TARGETS[kind] / abs(theory) if math.isfinite(theory) and theory else None
    return POWER_TARGETS[kind]
