"""The command line: list, derive --check, check --only with JSON, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from theory.cli import main


def test_list(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "classical_dmft" in out and "classical.delta0[g=2.0]" in out


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
            "classical.quiescent",
            "--json",
            str(out),
            "--report",
            str(tmp_path / "rep"),
            "--no-progress",
        ]
    )
    recs = json.loads(out.read_text())
    assert [r["name"] for r in recs] == ["classical.quiescent[g=0.5]"]
    assert code == (0 if recs[0]["passed"] else 1)
    assert (tmp_path / "rep" / "index.html").exists()


def test_unknown_check_is_a_clear_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check", "--only", "no.such.check", "--no-progress", "--report", ""]) == 2
    assert "invalid --only" in capsys.readouterr().err
