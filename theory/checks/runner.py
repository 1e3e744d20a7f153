"""Running checks: the context a check receives, one runner, user check modules.

:func:`run_check` runs one check under a :class:`CheckContext` (sizes, base seed, progress, and the
failure hook :attr:`CheckContext.perturb`); a check that raises becomes a failed row carrying the
traceback. :func:`run_checks` runs a selection (:func:`theory.checks.registry.select`).

**User checks.** A module of yours that registers checks with :func:`theory.checks.check` runs
with the shipped ones: ``theory check --checks mylab.checks`` imports it (a module path, or a
``.py`` file path), and an installed package can declare the entry point group
``theory.checks`` (``[project.entry-points."theory.checks"] mylab = "mylab.checks"``), which
``theory check`` loads every time.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.checks.registry import CHECKS, Check, select
from theory.checks.result import CheckResult, detectable_error, injected_error
from theory.errors import ParameterError

__all__ = [
    "CheckContext",
    "run_check",
    "run_checks",
    "load_user_checks",
    "ENTRY_POINT_GROUP",
    "DEFAULT_SEED",
]

#: The base seed of ``theory check`` (every simulation's seed derives from it).
DEFAULT_SEED = 20221

#: Entry-point group through which installed packages add checks.
ENTRY_POINT_GROUP = "theory.checks"


@dataclass(frozen=True)
class CheckContext:
    """What a check function receives.

    Attributes
    ----------
    quick:
        Run at the small CI sizes.
    seed:
        Base seed; checks derive their generators from it (:meth:`rng`,
        :func:`theory.checks.ensembles.ensemble`).
    progress:
        Whether long inner loops may show progress bars.
    perturb:
        The failure hook: a relative error injected into every prediction the check compares
        (:func:`theory.checks.result.injected_error`); 0 for a normal run.
    """

    quick: bool = False
    seed: int = DEFAULT_SEED
    progress: bool = False
    perturb: float = 0.0

    def size(self, quick: Any, full: Any) -> Any:
        """Pick the quick or the full value."""
        return quick if self.quick else full

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent generator for a named stream of this check."""
        return np.random.default_rng([self.seed, *stream])


def _resolve(check: Check | str) -> Check:
    if isinstance(check, Check):
        return check
    hits = select([check])
    if len(hits) != 1 or hits[0].name != check:
        raise ParameterError("check", check, "the exact name of one registered check")
    return hits[0]


def run_check(check: Check | str, ctx: CheckContext | None = None) -> CheckResult:
    """Run one check (a :class:`Check` or its exact name) and time it; never raises.

    A check that raises becomes a failed row with the exception and traceback in its details. The
    result's power, ``epsilon`` (:func:`theory.checks.result.detectable_error`), is computed from
    its judge: the smallest relative error of the prediction the check would detect.
    """
    c = _resolve(check)
    ctx = ctx or CheckContext()
    t0 = time.perf_counter()
    try:
        with injected_error(ctx.perturb):
            res = c(ctx)
        res.name = c.name
        if res.judge is not None and res.epsilon is None:
            res.epsilon, res.epsilon_sides = detectable_error(res.judge)
    except Exception as exc:  # a crashing check is a failing check, reported
        res = CheckResult.crashed(c.name, exc, traceback.format_exc())
    res.seconds = time.perf_counter() - t0
    res.description = c.description
    return res


def run_checks(
    only: Iterable[str] | None = None,
    *,
    quick: bool = False,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    on_result: Callable[[CheckResult], None] | None = None,
    perturb: float = 0.0,
) -> list[CheckResult]:
    """Run the selected checks (all by default) and return their results in registry order."""
    from tqdm.auto import tqdm

    checks = select(only)
    import matplotlib

    # checks return their figures for the report, so many stay open by design
    matplotlib.rcParams["figure.max_open_warning"] = 0
    ctx = CheckContext(quick=quick, seed=seed, progress=progress, perturb=perturb)
    results: list[CheckResult] = []
    bar = tqdm(checks, desc="checks", unit="check", disable=not progress)
    for c in bar:
        bar.set_postfix_str(c.name)
        res = run_check(c, ctx)
        results.append(res)
        if on_result is not None:
            on_result(res)
    return results


def load_user_checks(modules: Iterable[str] = (), *, entry_points: bool = True) -> list[str]:
    """Import user check modules (module paths or ``.py`` files) and the ``theory.checks`` entry points.

    Returns the names of the checks they registered.

    Raises
    ------
    ParameterError
        If a module cannot be found or fails to import (the message carries the reason).
    """
    from theory.catalog import load_user_modules

    load_user_modules([])
    before = set(CHECKS)
    targets = list(modules)
    if entry_points:
        from importlib.metadata import entry_points as _eps

        targets += [ep.value for ep in _eps(group=ENTRY_POINT_GROUP)]
    load_user_modules(targets, option="--checks")
    return [n for n in CHECKS if n not in before]
