"""Derivations as data: validation, LaTeX, standalone documents, registry, disk cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.cache import symbolic_cache
from theory.symbolic.derivation import Derivation, Reference, Step, derivation_names, get_derivation
from theory.symbolic.export import compile_pdf, render_all, stale_files

REF = [Reference("Test, J. Test. 1, 1 (2000)", "Eq. (1)")]


def test_symbols_without_assumptions_are_rejected() -> None:
    x = sp.Symbol("x")
    with pytest.raises(ParameterError, match="assumptions"):
        Derivation("bad", "Bad", [Step("s", sp.Eq(x, 1))], REF)


def test_validation_of_name_refs_and_steps() -> None:
    y = sp.Symbol("y", real=True)
    with pytest.raises(ParameterError, match="name"):
        Derivation("Bad Name", "t", [Step("s", sp.Eq(y, 1))], REF)
    with pytest.raises(ParameterError, match="references"):
        Derivation("ok", "t", [Step("s", sp.Eq(y, 1))], [])
    with pytest.raises(ParameterError, match="unique"):
        Derivation("ok", "t", [Step("s", sp.Eq(y, 1)), Step("s", sp.Eq(y, 2))], REF)


def test_access_and_latex() -> None:
    y = sp.Symbol("y", positive=True)
    d = Derivation(
        "demo", "Demo", [Step("square", sp.Eq(y**2, 4), "A step.")], REF, summary="Summary."
    )
    assert d["square"] == sp.Eq(y**2, 4)
    assert d.rhs("square") == 4
    tex = d.latex()
    assert "\\begin{align*}" in tex and "y^{2} &= 4" in tex and "Eq. (1)" in tex
    with pytest.raises(KeyError):
        d["missing"]


def test_registered_derivations_render() -> None:
    names = derivation_names()
    assert "classical_dmft" in names
    d = get_derivation("classical_dmft")
    assert "equation_of_motion" in d.step_names()
    files = render_all()
    assert "index.tex" in files and "classical_dmft.tex" in files


def test_committed_derivations_are_fresh() -> None:
    """derivations/ must be regenerated (`theory derive`) whenever a derivation changes."""
    root = Path(__file__).resolve().parents[2] / "derivations"
    assert stale_files(root) == []


def test_derivations_compile_with_pdflatex(tmp_path: Path) -> None:
    if shutil.which("pdflatex") is None:
        if os.environ.get("THEORY_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is required (THEORY_REQUIRE_LATEX=1) but not installed")
        pytest.skip("pdflatex not installed (.ci/run installs it)")
    root = Path(__file__).resolve().parents[2] / "derivations"
    for tex in sorted(root.glob("*.tex")):
        pdf = compile_pdf(tex, outdir=tmp_path)
        assert pdf.exists() and pdf.stat().st_size > 1000, tex.name


def test_disk_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORY_CACHE_DIR", str(tmp_path))
    calls = []

    @symbolic_cache
    def slow(e: sp.Expr) -> sp.Expr:
        calls.append(1)
        return sp.integrate(e, sp.Symbol("t", real=True))

    t = sp.Symbol("t", real=True)
    a = slow(sp.exp(-t) * t)
    assert len(list(tmp_path.glob("*.srepr"))) == 1
    b = slow(sp.exp(-t) * t)
    assert a == b and len(calls) == 1
    fresh = symbolic_cache(slow.__wrapped__)  # new memory, same disk entry
    assert fresh(sp.exp(-t) * t) == a and len(calls) == 1
