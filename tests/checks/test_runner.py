"""The runner: context, crash handling, the failure hook through run_check, user check modules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from theory.checks import CHECKS, CheckContext, CheckResult, ErrorModel, load_user_checks, run_check
from theory.checks.registry import check
from theory.errors import ParameterError


@pytest.fixture()
def registry():  # type: ignore[no-untyped-def]
    from theory.catalog import load_all

    load_all()  # the registry must be complete before it is saved and restored
    before = dict(CHECKS)
    yield CHECKS
    CHECKS.clear()
    CHECKS.update(before)


def test_run_check_applies_the_hook_and_times(registry) -> None:  # type: ignore[no-untyped-def]
    @check("near", prefix="demo_run")
    def near(ctx: CheckContext) -> CheckResult:
        return CheckResult.compare("", 2.0, 2.05, ErrorModel("0.1 absolute", 0.1))

    assert run_check("demo_run.near").passed
    r = run_check("demo_run.near", CheckContext(perturb=0.2))
    assert not r.passed and r.name == "demo_run.near" and r.seconds >= 0.0
    with pytest.raises(ParameterError):
        run_check("demo_run")  # a prefix is not one check


def test_a_crashing_check_is_a_failed_row(registry) -> None:  # type: ignore[no-untyped-def]
    @check("crash", prefix="demo_run")
    def crash(ctx: CheckContext) -> CheckResult:
        raise RuntimeError("solver exploded")

    r = run_check("demo_run.crash")
    assert (
        not r.passed
        and "solver exploded" in r.details["exception"]
        and "Traceback" in r.details["traceback"]
    )


def test_context_sizes_and_streams() -> None:
    assert CheckContext(quick=True).size(1, 2) == 1 and CheckContext().size(1, 2) == 2
    a, b = CheckContext(seed=3).rng(1).random(), CheckContext(seed=3).rng(2).random()
    assert a != b and a == CheckContext(seed=3).rng(1).random()


def test_user_checks_from_a_file(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "mylab_checks.py"
    f.write_text(
        textwrap.dedent(
            '''
            from theory.checks import CheckResult, ErrorModel, check

            @check("identity", cases=[{"x": 1.0}])
            def identity(ctx, x):
                """x equals itself."""
                return CheckResult.compare("", x, x, ErrorModel("exact", 0.0))
            '''
        )
    )
    names = load_user_checks([str(f)], entry_points=False)
    assert names == ["mylab_checks.identity[x=1.0]"]
    assert run_check(names[0]).passed
    with pytest.raises(ParameterError, match="--checks"):
        load_user_checks(["no_such_module_xyz"], entry_points=False)


def test_parallel_run_matches_the_serial_one(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    """jobs=2: spawned workers load the user's module, run whole groups, compute the power in the
    worker and send back results without the judge, in registry order; a crashing check is a
    failed row there too; numbers equal the serial run's (no BLAS in these checks)."""
    from theory.checks import run_checks
    from theory.checks.runner import check_groups

    f = tmp_path / "parlab_checks.py"
    f.write_text(
        textwrap.dedent(
            """
            import numpy as np
            from theory.checks import CheckResult, ErrorModel, check

            @check("mean", prefix="parlab", cases=[{"n": 100}, {"n": 400}])
            def mean(ctx, n):
                x = ctx.rng(n).standard_normal(n)
                return CheckResult.compare("", 0.5, 0.5 + x.mean(), ErrorModel("4 SEM", 4 / np.sqrt(n)))

            @check("spread", prefix="parlab", cases=[{"n": 100}])
            def spread(ctx, n):
                x = ctx.rng(n).standard_normal(n)
                return CheckResult.compare("", 1.0, x.std(), ErrorModel("0.5 absolute", 0.5))

            @check("var", prefix="parlab", cases=[{"n": 400, "k": 1}], shares=lambda kw: f"n={kw['n']}")
            def var(ctx, n, k):
                x = ctx.rng(n).standard_normal(n)
                return CheckResult.compare("", 1.0, x.var(), ErrorModel("0.5 absolute", 0.5))

            @check("boom", prefix="parlab")
            def boom(ctx):
                raise ValueError("no data")
            """
        )
    )
    names = load_user_checks([str(f)])
    assert len(names) == 5
    groups = check_groups([CHECKS[n] for n in names])
    # mean[n=100] and spread[n=100] share a case label; var[n=400,k=1] names mean[n=400]'s work
    assert sorted(len(g) for g in groups) == [1, 2, 2]
    assert CHECKS["parlab.var[n=400,k=1]"].group == CHECKS["parlab.mean[n=400]"].group
    only = ["parlab", "markov.exact_vs_numeric"]
    serial = run_checks(only, quick=True, progress=False)
    par = run_checks(
        only, quick=True, progress=False, jobs=2, user_modules=[str(f)], timings={names[0]: 9.0}
    )
    assert [r.name for r in par] == [r.name for r in serial] and len(par) == 7
    for a, b in zip(serial, par, strict=True):
        assert (a.passed, a.epsilon, a.description) == (b.passed, b.epsilon, b.description)
        if a.name != "parlab.boom":
            assert (a.theory, a.simulation, a.tolerance) == (b.theory, b.simulation, b.tolerance)
        assert b.judge is None
    boom = next(r for r in par if r.name == "parlab.boom")
    assert not boom.passed and "no data" in boom.details["exception"]
    assert any(r.epsilon is not None for r in par if r.name.startswith("parlab.mean"))
    with pytest.raises(ParameterError, match="jobs"):
        run_checks(only, quick=True, progress=False, jobs=0)


def test_shipped_timings_cover_the_checks_and_regenerate(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from theory.checks import runner
    from theory.checks.registry import check_names

    names = set(check_names())
    for quick in (False, True):
        t = runner.reference_timings(quick)
        # a scheduling hint: every shipped check has a time (regenerate after adding checks)
        assert names <= set(t), sorted(names - set(t))[:5]
        assert all(v >= 0 for v in t.values())
    full, quick_json = tmp_path / "f.json", tmp_path / "q.json"
    full.write_text(json.dumps([{"name": "a", "seconds": 2.04}]))
    quick_json.write_text(json.dumps([{"name": "a", "seconds": 0.51}]))
    monkeypatch.setattr(runner, "REFERENCE_TIMINGS", tmp_path / "ref.json")
    runner.write_reference_timings(full, quick_json)
    assert runner.reference_timings(False) == {"a": 2.0} and runner.reference_timings(True) == {
        "a": 0.5
    }
    monkeypatch.setattr(runner, "REFERENCE_TIMINGS", tmp_path / "missing.json")
    assert runner.reference_timings(False) == {}
