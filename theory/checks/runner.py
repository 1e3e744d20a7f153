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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from theory.checks.registry import CHECKS, Check, select
from theory.checks.result import CheckResult, detectable_error, injected_error, power_target
from theory.errors import ParameterError, require

__all__ = [
    "CheckContext",
    "run_check",
    "run_checks",
    "project_targets",
    "reference_timings",
    "write_reference_timings",
    "check_groups",
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
        res.target_kind = c.target
        res.target = power_target(c.target, res.theory, ctx.quick)
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
    jobs: int = 1,
    user_modules: Sequence[str] = (),
    timings: Mapping[str, float] | None = None,
) -> list[CheckResult]:
    """Run the selected checks (all by default) and return their results in registry order.

    Parameters
    ----------
    jobs:
        Worker processes. 1 (or a selection of one group): in this process (BLAS thread pools
        as they are). ``jobs > 1``:
        the checks are grouped by module and case (:func:`check_groups`: checks that share a
        case share its memoised ensembles, so a group runs in one process), the groups go to
        ``jobs`` processes with one BLAS thread each, largest first; results are those of a
        single process with one BLAS thread (every seed derives from ``seed``), without the
        ``judge`` (the power ``epsilon`` is computed in the worker).
    user_modules:
        User check modules (``--checks``) the workers import before they resolve names.
    timings:
        Check name -> seconds of an earlier run (e.g. the ``checks.json`` of the last report),
        used only to order the groups (unknown checks count 1 s); ``None``: the shipped
        :func:`reference_timings` of the run's sizes.
    """
    from tqdm.auto import tqdm

    require(isinstance(jobs, (int, np.integer)) and jobs >= 1, "jobs", jobs, "an integer >= 1")
    checks = select(only)
    import matplotlib

    from theory.numerics.memory import retain_freed_memory

    retain_freed_memory()
    # checks return their figures for the report, so many stay open by design
    matplotlib.rcParams["figure.max_open_warning"] = 0
    ctx = CheckContext(quick=quick, seed=seed, progress=progress and jobs == 1, perturb=perturb)
    results: list[CheckResult] = []
    bar = tqdm(checks, desc="checks", unit="check", disable=not progress)
    if jobs > 1 and len(check_groups(checks)) > 1:  # one group: nothing to share out
        results = _run_parallel(
            checks, ctx, int(jobs), tuple(user_modules), timings, bar, on_result
        )
        return project_targets(checks, results)
    for c in bar:
        bar.set_postfix_str(c.name)
        res = run_check(c, ctx)
        results.append(res)
        if on_result is not None:
            on_result(res)
    return project_targets(checks, results)


def project_targets(checks: Sequence[Check], results: list[CheckResult]) -> list[CheckResult]:
    """Fill ``seconds_to_target`` of the results that miss their power target: the seconds of the
    check's :attr:`Check.group` (the checks that share its ensembles, whose first check pays for
    them) × (ε/target)², the cost of reaching the target if ε falls like 1/√(samples). A
    projection, not a promise: an ε floored by a fixed bias allowance does not fall that way."""
    seconds: dict[tuple[str, str], float] = {}
    for c, r in zip(checks, results, strict=True):
        seconds[c.group] = seconds.get(c.group, 0.0) + r.seconds
    for c, r in zip(checks, results, strict=True):
        if r.meets_target is False and r.target and r.epsilon is not None:
            r.seconds_to_target = seconds[c.group] * (r.epsilon / r.target) ** 2
    return results


#: Shipped timings of the checks (``reference_timings.json`` next to this module).
REFERENCE_TIMINGS = Path(__file__).with_name("reference_timings.json")


def reference_timings(quick: bool) -> dict[str, float]:
    """Check name -> seconds of a reference run shipped with the package (full or quick sizes):
    the order of the groups of a parallel run when no earlier run's timings are at hand, so that
    the first ``theory check`` in a fresh directory starts the long groups first. Empty if the
    file is missing or unreadable (the order is then by group size)."""
    import json

    try:
        data = json.loads(REFERENCE_TIMINGS.read_text())
        return {str(k): float(v) for k, v in data["quick" if quick else "full"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write_reference_timings(full_json: str | Path, quick_json: str | Path) -> Path:
    """Rewrite the shipped timings from the ``--json`` records of a full and a quick run."""
    import json

    def load(p: str | Path) -> dict[str, float]:
        return {
            str(r["name"]): round(float(r["seconds"]), 1) for r in json.loads(Path(p).read_text())
        }

    data = json.loads(REFERENCE_TIMINGS.read_text()) if REFERENCE_TIMINGS.is_file() else {}
    data.update(full=load(full_json), quick=load(quick_json))
    REFERENCE_TIMINGS.write_text(json.dumps(data, indent=1) + "\n")
    return REFERENCE_TIMINGS


def check_groups(checks: Sequence[Check]) -> list[list[Check]]:
    """The checks grouped by :attr:`Check.group` (module, and the shared-work key, case label or
    name), in registry order within a group: the unit of work of a parallel run (checks that share
    memoised simulations run in one worker, which computes them once)."""
    groups: dict[tuple[str, str], list[Check]] = {}
    for c in checks:
        groups.setdefault(c.group, []).append(c)
    return list(groups.values())


_WORKER_LIMITS: Any = None


def _worker_init(user_modules: tuple[str, ...]) -> None:
    """Worker process: one BLAS thread, the Agg backend, the shipped and the user's checks."""
    global _WORKER_LIMITS
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["figure.max_open_warning"] = 0
    from threadpoolctl import threadpool_limits

    _WORKER_LIMITS = threadpool_limits(1)
    from theory.numerics.memory import retain_freed_memory

    retain_freed_memory()
    load_user_checks(user_modules)


def _worker_run(names: list[str], ctx: CheckContext) -> list[CheckResult]:
    from theory.catalog import load_all

    load_all()
    out = []
    for name in names:
        res = run_check(name, ctx)
        res.judge = None  # a closure over the worker's data: not sent back
        out.append(res)
    return out


def _run_parallel(
    checks: Sequence[Check],
    ctx: CheckContext,
    jobs: int,
    user_modules: tuple[str, ...],
    timings: Mapping[str, float] | None,
    bar: Any,
    on_result: Callable[[CheckResult], None] | None,
) -> list[CheckResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    t = dict(timings) if timings else reference_timings(ctx.quick)
    groups = sorted(check_groups(checks), key=lambda g: -sum(float(t.get(c.name, 1.0)) for c in g))
    done: dict[str, CheckResult] = {}
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(groups)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(user_modules,),
    ) as pool:
        futures = {pool.submit(_worker_run, [c.name for c in g], ctx): g for g in groups}
        for fut in as_completed(futures):
            try:
                got = fut.result()
            except Exception as exc:  # a dead worker (BrokenProcessPool) fails its group
                got = [
                    CheckResult.crashed(c.name, exc, f"worker process failed: {exc!r}")
                    for c in futures[fut]
                ]
                for r, c in zip(got, futures[fut], strict=True):
                    r.description = c.description
            for res in got:
                done[res.name] = res
                bar.update(1)
                bar.set_postfix_str(res.name)
                if on_result is not None:
                    on_result(res)
    bar.close()
    return [done[c.name] for c in checks]


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
