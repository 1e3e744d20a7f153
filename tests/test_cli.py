"""The command line: list, derive --check, check --only with JSON, errors and exit codes."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from theory.cli import main


def test_list(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "classical_dmft" in out and "gating.classical.delta0[g=2.0]" in out


def test_derive_writes_and_checks(tmp_path: Path) -> None:
    assert main(["derive", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "index.tex").exists() and (tmp_path / "classical_dmft.tex").exists()
    assert main(["derive", "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "classical_dmft.tex").write_text("stale")
    assert main(["derive", "--out", str(tmp_path), "--check"]) == 1


def test_check_only_json_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code = main(
        [
            "check",
            "--quick",
            "--only",
            "gating.classical.quiescent",
            "--json",
            str(out),
            "--report",
            str(tmp_path / "rep"),
            "--no-progress",
        ]
    )
    recs = json.loads(out.read_text())
    assert [r["name"] for r in recs] == ["gating.classical.quiescent[g=0.5]"]
    assert code == (0 if recs[0]["passed"] else 1)
    assert (tmp_path / "rep" / "index.html").exists()


def test_unknown_check_is_a_clear_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check", "--only", "no.such.check", "--no-progress", "--report", ""]) == 2
    assert "invalid --only" in capsys.readouterr().err


def test_bad_paths_and_seed_fail_before_any_work(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["check", "--only", "gating.classical.quiescent", "--report", str(f)]) == 2
    assert "invalid --report" in capsys.readouterr().err
    assert main(["check", "--only", "gating.classical.quiescent", "--json", str(tmp_path)]) == 2
    assert main(["check", "--only", "gating.classical.quiescent", "--seed", "-1"]) == 2
    assert "invalid --seed" in capsys.readouterr().err


def test_unknown_pattern_lists_close_names(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check", "--only", "gating.clasical.delta0", "--report", ""]) == 2
    err = capsys.readouterr().err
    assert "closest names" in err and "\n  gating.classical.delta0[g=1.5]" in err


def test_user_check_file_runs_from_the_cli(tmp_path: Path, clean_registries) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "cli_user_checks.py"
    f.write_text(
        "from theory.checks import CheckResult, ErrorModel, check\n"
        "@check('exact')\n"
        "def exact(ctx):\n"
        "    return CheckResult.compare('', 1.0, 1.0, ErrorModel('exact', 0.0))\n"
    )
    out = tmp_path / "o.json"
    code = main(
        [
            "check",
            "--checks",
            str(f),
            "--only",
            "cli_user_checks",
            "--json",
            str(out),
            "--report",
            "",
        ]
    )
    assert code == 0 and json.loads(out.read_text())[0]["name"] == "cli_user_checks.exact"


# ---------------------------------------------------------------------------- extension points
_USER_CHECKS = '''
from theory.checks import CheckResult, ErrorModel, check

@check("square", cases=[{"x": 3.0}])
def square(ctx, x):
    """x*x is x squared (exactly)."""
    return CheckResult.compare("", x * x, x**2, ErrorModel("exact arithmetic", 0.0))
'''

_USER_DERIVATION = """
import sympy as sp
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

@derivation("user_toy_theory", theory="mylab")
def build():
    a = sp.Symbol("a", positive=True)
    return Derivation(
        name="user_toy_theory",
        title="A toy theory",
        steps=[Step("square", sp.Eq(sp.Symbol("y", positive=True), a**2), "Squaring.")],
        references=[Reference("Nobody, J. Toy Theories 1, 1 (2026)")],
    )
"""


@pytest.fixture()
def clean_registries():  # type: ignore[no-untyped-def]
    from theory.catalog import load_all
    from theory.checks import CHECKS
    from theory.symbolic.derivation import DERIVATION_BUILDERS

    load_all()
    checks, ders, mods = dict(CHECKS), dict(DERIVATION_BUILDERS), set(sys.modules)
    yield
    CHECKS.clear()
    CHECKS.update(checks)
    DERIVATION_BUILDERS.clear()
    DERIVATION_BUILDERS.update(ders)
    for m in set(sys.modules) - mods:
        del sys.modules[m]


def test_user_derivation_exports(tmp_path: Path, clean_registries) -> None:  # type: ignore[no-untyped-def]
    mod = tmp_path / "mylab_derivations.py"
    mod.write_text(textwrap.dedent(_USER_DERIVATION))
    out = tmp_path / "tex"
    argv = ["derive", "--module", str(mod), "--only", "user_toy_theory", "--out", str(out)]
    assert main(argv) == 0
    text = (out / "user_toy_theory.tex").read_text()
    assert "A toy theory" in text and r"y &= a^{2}" in text
    index = (out / "index.tex").read_text()  # the subset's index inputs the subset only
    assert r"\input{user_toy_theory}" in index and "classical_dmft" not in index
    assert main(["derive", "--module", "no_such_module_xyz", "--out", str(out)]) == 2


def test_user_checks_from_a_file_end_to_end(tmp_path: Path, clean_registries) -> None:  # type: ignore[no-untyped-def]
    mod = tmp_path / "mylab_file_checks.py"
    mod.write_text(textwrap.dedent(_USER_CHECKS))
    out = tmp_path / "out.json"
    argv = ["check", "--checks", str(mod), "--only", "mylab_file_checks", "--json", str(out)]
    assert main([*argv, "--report", "", "--no-progress"]) == 0
    recs = json.loads(out.read_text())
    assert [r["name"] for r in recs] == ["mylab_file_checks.square[x=3.0]"] and recs[0]["passed"]


def test_user_checks_from_an_entry_point_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registries
) -> None:  # type: ignore[no-untyped-def]
    """An installed distribution declaring the entry-point group 'theory.checks' is loaded by
    every `theory check` (here a dist-info directory on sys.path, as pip would install it)."""
    (tmp_path / "mylab_ep_checks.py").write_text(textwrap.dedent(_USER_CHECKS))
    info = tmp_path / "mylab_ep-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mylab-ep\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[theory.checks]\nmylab = mylab_ep_checks\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out.json"
    argv = ["check", "--only", "mylab_ep_checks", "--json", str(out), "--report", ""]
    assert main([*argv, "--no-progress"]) == 0
    assert json.loads(out.read_text())[0]["name"] == "mylab_ep_checks.square[x=3.0]"
