"""Derivations as data: validation, access, LaTeX and Markdown rendering, citations."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.derivation import (
    Derivation,
    Reference,
    Step,
    derivation_names,
    get_derivation,
    prove_equal,
    tidy_sums,
)

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
    with pytest.raises(ParameterError, match="citation key"):
        Reference(key="no_such_key_2099")
    with pytest.raises(ParameterError, match="work or a bibliography key"):
        Reference()


def test_access_and_latex() -> None:
    y = sp.Symbol("y", positive=True)
    d = Derivation(
        "demo",
        "Demo",
        [Step("square", sp.Eq(y**2, 4), "A step.", title="Square")],
        REF,
        summary="Summary.",
    )
    assert d["square"] == sp.Eq(y**2, 4)
    assert d.rhs("square") == 4
    tex = d.latex()
    # a numbered section and a numbered, labelled equation that a paper can \eqref
    assert "\\section{Demo}" in tex and "\\label{sec:demo}" in tex
    assert "\\begin{align}" in tex and "y^{2} &= 4 \\label{eq:demo.square}" in tex
    assert "\\paragraph{Square.} A step." in tex and "Eq. (1)" in tex
    with pytest.raises(KeyError):
        d["missing"]


def test_step_names_never_become_headings_and_hidden_steps_are_not_printed() -> None:
    y = sp.Symbol("y", positive=True)
    d = Derivation(
        "demo",
        "Demo",
        [
            Step("pair_grad_a", sp.Eq(y, 2), "Text."),
            Step("check_m3", sp.Eq(y**3, 8), title="the cube is eight", hidden=True),
        ],
        REF,
    )
    tex = d.latex()
    assert "pair" not in tex.replace("eq:demo.pair_grad_a", "") and "y^{3}" not in tex
    assert "\\paragraph{Checked by SymPy.} The cube is eight." in tex
    assert d.rhs("check_m3") == 8  # still readable by compiled code


def test_prose_references_expand() -> None:
    y = sp.Symbol("y", positive=True)
    d = Derivation(
        "demo",
        "Demo",
        [
            Step("a", sp.Eq(y, 2), title="First"),
            Step(
                "b",
                sp.Eq(y**2, 4),
                r"Square \stepref{a} as in \derivref{classical_dmft} \cite[Eq. 5]{sompolinsky1988}.",
            ),
        ],
        [Reference(key="sompolinsky1988")],
    )
    tex = d.latex()
    assert "\\eqref{eq:demo.a}" in tex
    assert "\\derivref{classical_dmft}{DMFT of the classical random RNN}" in tex
    md = d.markdown()
    assert "Square (1) as in (see *DMFT of the classical random RNN*)" in md
    assert "(Sompolinsky et al. 1988, Eq. 5)" in md
    assert d.bib_keys() == ["sompolinsky1988"]
    with pytest.raises(ParameterError, match="stepref"):
        Derivation("x", "X", [Step("a", sp.Eq(y, 2), r"\stepref{zz}")], REF).latex()


def test_notation_in_words_uses_assumptions() -> None:
    g = sp.Symbol("g", positive=True)
    n = sp.Symbol("N", positive=True, integer=True)
    d = Derivation(
        "demo", "Demo", [Step("a", sp.Eq(g, 2))], REF, notation=[(g, "the gain"), (n, "units")]
    )
    assert "\\paragraph{Notation.} $g>0$ the gain; $N\\ge1$ units." in d.latex()
    assert "positive" not in d.latex()  # no assumption dump


def test_markdown_renders_the_same_lines_for_mathjax() -> None:
    y = sp.Symbol("y", positive=True)
    d = Derivation(
        "demo", "Demo", [Step("square_root", sp.Eq(y**2, 4), "A step.", title="Root")], REF
    )
    md = d.markdown(level=2)
    assert md.startswith("\n## Demo") and "$$\\begin{aligned}y^{2} &= 4\\end{aligned}$$" in md
    assert "**(1) Root.** A step." in md and "Eq. (1)" in md
    assert d._repr_markdown_().startswith("\n### Demo")
    assert "y^{2} &= 4" in d._repr_latex_()


def test_prove_equal_accepts_equal_forms_and_rejects_others() -> None:
    a, w1, w2 = sp.symbols("a w_1 w_2", positive=True)
    derived = a / (w1 * (1 + w2 / w1))
    assert prove_equal(derived, a / (w1 + w2)) == a / (w1 + w2)
    with pytest.raises(AssertionError, match="differs"):
        prove_equal(derived, a / (w1 - w2))


def test_tidy_sums_collapses_guards_and_pulls_constants() -> None:
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    n = sp.Symbol("N", integer=True, positive=True)
    h, J = sp.IndexedBase("h", real=True), sp.IndexedBase("J", real=True)
    c = sp.Symbol("c", real=True)
    f = c * sp.Sum(J[i, k] * sp.sin(h[k]), (k, 1, n))
    d = tidy_sums(sp.diff(f, h[j]).doit())
    assert not d.has(sp.Piecewise) and sp.simplify(d - c * J[i, j] * sp.cos(h[j])) == 0


@pytest.mark.parametrize("name", derivation_names())
def test_registered_derivations_read_like_a_paper(name: str) -> None:
    """Every exported step has a heading or prose (never a Python name), every shown step a
    label, every citation key a bibliography entry, and no internal notes in the references."""
    d = get_derivation(name)
    shown = d.shown_steps()
    assert shown and shown[0].title, f"{name}: the first step needs a title"
    tex = d.latex()
    for s in shown:
        assert f"\\label{{eq:{name}.{s.name}}}" in tex
    headings = re.findall(r"\\paragraph\{([^}]*)\.\}", tex)
    assert not any("_" in h for h in headings), headings
    assert all(r.key for r in d.references), f"{name}: every reference needs a BibTeX key"
    assert not any(r.note for r in d.references), f"{name}: internal notes in the references"
    assert d.bib_keys()
    # the assumption dump is gone, the brace bug with it
    assert "\\paragraph{Symbols.}" not in tex and "^{2\\rangle}" not in tex
