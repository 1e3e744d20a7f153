"""`theory check` validates its inputs before any check runs (issue 13, item 7).

Each bad invocation must exit with status 2 and a message naming the option, and the runner must
not have been called: a typo in an output path or a pattern must not cost a 30-minute run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import theory.checks as checks_pkg
from theory.cli import main


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Replace the runner by a recorder: a validated invocation would call it."""
    calls: list[object] = []

    def fake_run(*args: object, **kwargs: object) -> list[object]:
        calls.append((args, kwargs))
        return []

    monkeypatch.setattr(checks_pkg, "run_checks", fake_run)
    return calls


def _bad_invocations(tmp: Path) -> list[tuple[list[str], str]]:
    afile = tmp / "afile"
    afile.write_text("x")
    adir = tmp / "adir"
    adir.mkdir()
    ok = ["check", "--only", "gating.classical.quiescent", "--no-progress"]
    return [
        (ok + ["--seed", "-1"], "--seed"),
        (ok + ["--seed", str(2**63)], "--seed"),
        (ok + ["--jobs", "-1"], "--jobs"),
        (ok + ["--json", str(adir)], "--json"),  # a directory, not a file
        (ok + ["--json", str(afile / "out.json")], "--json"),  # parent is a file
        (ok + ["--report", str(afile)], "--report"),  # a file, not a directory
        (ok + ["--report", str(afile / "sub")], "--report"),  # under a file
        (ok + ["--json", str(adir / "r"), "--report", str(adir / "r")], "--json"),  # same path
        (["check", "--only", "no.such.check", "--no-progress"], "--only"),
        (["check", "--only", "gating.classical.quiescent", "bogus*", "--no-progress"], "--only"),
        (["check", "--only", "", "--no-progress"], "--only"),
        (["check", "--checks", str(tmp / "missing.py"), "--no-progress"], "--checks"),
        (["check", "--checks", "no_such_module_xyz", "--no-progress"], "--checks"),
    ]


def test_bad_check_invocations_fail_before_any_work(
    tmp_path: Path, no_run: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, option in _bad_invocations(tmp_path):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, (argv, err)
        assert f"invalid {option}" in err, (argv, err)
        assert "Traceback" not in err
    assert no_run == [], "the runner was called before the inputs were validated"


def test_a_valid_invocation_reaches_the_runner(
    tmp_path: Path, no_run: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    # the recorder proves the validation above is not vacuous: a good invocation does run
    code = main(
        [
            "check",
            "--only",
            "gating.classical.quiescent",
            "--no-progress",
            "--json",
            str(tmp_path / "out" / "r.json"),
            "--report",
            str(tmp_path / "rep"),
        ]
    )
    assert code == 0 and len(no_run) == 1


@pytest.mark.parametrize(
    ("pattern", "selected"),
    [
        ("gating.classical.quiescent[g=0.5]", 1),  # exact name
        ("gating.classical.quiescent", 1),  # prefix ending at '['
        ("gating.classical", None),  # prefix ending at '.'
        ("*quiescent*", 1),  # glob
    ],
)
def test_only_patterns_are_names_prefixes_or_globs(pattern: str, selected: int | None) -> None:
    from theory.checks import select

    chosen = select([pattern])
    assert chosen and all(c.name.startswith("gating.classical") for c in chosen)
    if selected is not None:
        assert len(chosen) == selected
    # a substring that is neither a prefix at '.'/'[' nor a glob selects nothing (issue: '--only a'
    # used to run 83 of 84 checks)
    from theory.errors import ParameterError

    with pytest.raises(ParameterError, match="closest names|an exact check name"):
        select(["a"])
