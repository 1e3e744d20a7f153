"""Derivations as data: validation, access, LaTeX and Markdown rendering."""

from __future__ import annotations

import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.derivation import Derivation, Reference, Step

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


def test_markdown_renders_steps_for_mathjax() -> None:
    y = sp.Symbol("y", positive=True)
    d = Derivation("demo", "Demo", [Step("square_root", sp.Eq(y**2, 4), "A step.")], REF)
    md = d.markdown(level=2)
    assert md.startswith("\n## Demo") and "$$\\begin{aligned}y^{2} &= 4\\end{aligned}$$" in md
    assert "**(1) square root.** A step." in md and "Eq. (1)" in md
