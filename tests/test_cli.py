"""The command line: list, derive --check, check --only with JSON, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_user_check_file_runs_from_the_cli(tmp_path: Path) -> None:
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
