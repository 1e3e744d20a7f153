"""Export of the registered derivations: files, book, bibliography, freshness, and pdflatex.

The LaTeX test compiles every exported file and the book and fails on any overfull box wider than
1 pt, on undefined references or citations, and on any LaTeX error (CI sets
``THEORY_REQUIRE_LATEX=1`` so that it cannot skip).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from theory.cli import main
from theory.symbolic.bibliography import BIBLIOGRAPHY
from theory.symbolic.derivation import derivation_names, get_derivation
from theory.symbolic.export import (
    LatexError,
    compile_pdf,
    log_problems,
    render_all,
    stale_files,
)

ROOT = Path(__file__).resolve().parents[2] / "derivations"


def _require_latex() -> None:
    if shutil.which("pdflatex") is None:
        if os.environ.get("THEORY_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is required (THEORY_REQUIRE_LATEX=1) but not installed")
        pytest.skip("pdflatex not installed (.ci/run installs it)")


def test_registered_derivations_render() -> None:
    names = derivation_names()
    assert "classical_dmft" in names
    d = get_derivation("classical_dmft")
    assert "equation_of_motion" in d.step_names()
    files = render_all()
    assert {"index.tex", "references.bib", "classical_dmft.tex"} <= set(files)
    book = files["index.tex"]
    assert "\\tableofcontents" in book and "\\begin{thebibliography}" in book
    assert all(f"\\input{{{n}}}" in book for n in names)
    # the .bib holds every work the derivations cite, and nothing else
    keys = {k for n in names for k in get_derivation(n).bib_keys()}
    bib = files["references.bib"]
    assert all(f"{{{k}," in bib for k in keys)
    assert not any(f"{{{k}," in bib for k in set(BIBLIOGRAPHY) - keys)


def test_subset_has_its_own_book() -> None:
    files = render_all(["classical_dmft", "markov_poisson"])
    assert set(files) == {"classical_dmft.tex", "markov_poisson.tex", "index.tex", "references.bib"}
    book = files["index.tex"]
    assert "\\input{classical_dmft}" in book and "\\input{gated_adjoint}" not in book
    assert "kemeny1960" in files["references.bib"] and "lam2023" in files["references.bib"]
    assert "krishnamurthy2022" in files["references.bib"]  # cited by classical_dmft
    assert "williams1989" not in files["references.bib"]


def test_committed_derivations_are_fresh() -> None:
    """derivations/ must be regenerated (`theory derive`) whenever a derivation changes."""
    assert stale_files(ROOT) == []


def test_log_problems_finds_overfull_boxes_and_undefined_names() -> None:
    log = (
        "Overfull \\hbox (0.5pt too wide) in paragraph at lines 1--2\n"
        "Overfull \\hbox (12.25pt too wide) detected at line 7\n"
        "LaTeX Warning: Reference `eq:x.y' on page 1 undefined on input line 3.\n"
        "LaTeX Warning: Citation `nobody2000' on page 1 undefined on input line 4.\n"
    )
    p = log_problems(log)
    assert p.overfull == [(12.25, "detected at line 7")] and p.worst() == 12.25
    assert len(p.undefined) == 2
    assert log_problems("Overfull \\hbox (0.9pt too wide) x\n").overfull == []


def test_failed_latex_run_is_one_line_with_the_first_error(tmp_path: Path) -> None:
    _require_latex()
    bad = tmp_path / "bad.tex"
    bad.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(LatexError) as info:
        compile_pdf(bad, outdir=tmp_path / "out")
    msg = str(info.value)
    assert "\n" not in msg and "Undefined control sequence" in msg and "bad.log" in msg


def test_cli_derive_pdf_with_default_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _require_latex()
    monkeypatch.chdir(tmp_path)
    code = main(["derive", "--only", "classical_quiescent_decay", "--pdf"])
    assert code == 0, capsys.readouterr().err
    out = tmp_path / "derivations"
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "classical_quiescent_decay.tex",
        "index.tex",
        "references.bib",
    ]
    assert (out / "pdf" / "classical_quiescent_decay.pdf").exists()
    assert (out / "pdf" / "index.pdf").exists()


def test_cli_reports_a_latex_failure_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import theory.symbolic.export as ex

    def fail(*args: object, **kwargs: object) -> Path:
        raise LatexError("pdflatex failed on x.tex: Undefined control sequence. (l.3) (log: x.log)")

    monkeypatch.setattr(ex, "compile_pdf", fail)
    code = main(["derive", "--out", str(tmp_path), "--only", "markov_poisson", "--pdf"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Undefined control sequence" in err
    assert main(["derive", "--out", str(tmp_path), "--only", "no_such_derivation"]) == 2


@pytest.mark.parametrize("name", [*sorted(p.stem for p in ROOT.glob("*.tex"))])
def test_derivations_compile_and_fit_the_page(name: str, tmp_path: Path) -> None:
    """Each committed file (and the book, with its contents and bibliography) compiles with
    pdflatex, with no overfull box wider than 1 pt and no undefined reference or citation."""
    _require_latex()
    runs = 3 if name == "index" else 2
    pdf = compile_pdf(ROOT / f"{name}.tex", outdir=tmp_path, runs=runs)
    assert pdf.exists() and pdf.stat().st_size > 1000
    problems = log_problems((tmp_path / f"{name}.log").read_text(errors="replace"))
    assert problems.overfull == [], f"{name}: overfull boxes {problems.overfull}"
    assert problems.undefined == [], f"{name}: {problems.undefined}"


def test_a_derivation_renders_the_same_alone() -> None:
    """Labels of Gaussian expectations do not depend on what else a process has derived."""
    import subprocess
    import sys

    name = "gating_fixed_points"
    code = (
        "import sys; from theory.symbolic.export import render_all; "
        f"sys.stdout.write(render_all([{name!r}])[{name + '.tex'!r}])"
    )
    root = ROOT.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env, check=True
    ).stdout
    assert out == (ROOT / f"{name}.tex").read_text()
