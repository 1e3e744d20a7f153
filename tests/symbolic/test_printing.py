"""The workbench printer: verbatim LaTeX names, named functions, index notation, line breaking."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.symbolic.compile import compile_function, specialize
from theory.symbolic.gaussian import X, gaussian_cross, gaussian_mean, name_function
from theory.symbolic.nonlinearities import named_function
from theory.symbolic.printing import (
    TEXT_WIDTH_PT,
    break_equation,
    estimate_width,
    tex,
    tex_name,
)


def test_latex_names_print_verbatim_without_the_brace_bug() -> None:
    s = sp.Symbol(r"\langle\dot x^2\rangle", nonnegative=True)
    assert tex(s) == r"\langle\dot x^2\rangle"  # SymPy alone prints \langle\dot x^{2\rangle}
    assert tex(sp.Symbol("sigma_r", real=True)) == r"\sigma_{r}"
    assert tex(tex_name(sp.Symbol("sigma_{I_h}", real=True), r"\sigma_{I_h}")) == r"\sigma_{I_h}"


def test_named_functions_print_differentiate_and_compile() -> None:
    g = sp.Symbol("g", positive=True)
    h = sp.Symbol("h_j", real=True)
    phi = named_function("phi", r"\phi", sp.tanh(g * X))
    expr = sp.diff(phi(2 * h) ** 2, h)
    assert tex(expr) == r"4 \phi(2 h_{j}) \phi'(2 h_{j})"
    assert tex(sp.diff(phi(h), h, 3)) == r"\phi^{(3)}(h_{j})"
    # specialised only when compiled: the same numbers as the concrete expression
    concrete = sp.diff(sp.tanh(2 * g * h) ** 2, h)
    assert sp.simplify(specialize(expr) - concrete) == 0
    hv, gv = np.linspace(-2, 2, 9), 1.3
    np.testing.assert_allclose(
        compile_function(expr, [h, g])(hv, gv), compile_function(concrete, [h, g])(hv, gv)
    )
    assert named_function("phi", r"\phi", sp.tanh(g * X)) is phi  # one class per definition


def test_abstract_named_function_cannot_be_compiled() -> None:
    rho = named_function("rho", r"\rho")
    t = sp.Symbol("t", real=True)
    assert tex(rho(t)) == r"\rho(t)"
    with pytest.raises(ValueError, match="abstract"):
        compile_function(rho(t), [t])


def test_gaussian_expectations_print_named_forms() -> None:
    c, c0 = sp.Symbol("c", real=True), sp.Symbol("c_0", positive=True)
    sig = 1 / (1 + sp.exp(-3 * X))
    name_function(sig, r"\sigma_q")
    assert tex(gaussian_mean(sig**2)(c0)) == r"\left\langle \sigma_q^{2} \right\rangle_{c_{0}}"
    assert r"C_{\sigma_q}" in tex(gaussian_cross(sig)(c, c0))


def test_index_notation_and_paper_order() -> None:
    i, j = sp.symbols("i j", integer=True)
    J, r, h, z = (sp.IndexedBase(n, real=True) for n in ("J^h", "r", "h", "z"))
    sz = named_function("sigma_z", r"\sigma_z", X)
    sr = named_function("sigma_r", r"\sigma_r", X)
    phi = named_function("phi", r"\phi", X)
    e = phi(h[j]) * J[i, j] * sr(r[j]) * sz(z[i])
    assert tex(e) == r"\sigma_z(z_{i}) J^{h}_{ij} \sigma_r(r_{j}) \phi(h_{j})"
    assert tex(sp.IndexedBase("a_h", real=True)[i]) == "a_{h,i}"


@pytest.mark.parametrize("width", [TEXT_WIDTH_PT, 300.0])
def test_long_equations_break_into_lines_that_fit(width: float) -> None:
    xs = sp.symbols("x_1:40", real=True)
    lhs = sp.Symbol("L", real=True)
    rhs = sum(sp.tanh(x) * x**2 / (1 + x) for x in xs)
    lines = break_equation(sp.Eq(lhs, rhs), width)
    assert len(lines) > 3 and lines[0].startswith("L &= ")
    assert all(ln.startswith(r"&\quad") for ln in lines[1:])
    for ln in lines:
        assert estimate_width(ln.replace("&", "")) <= width
    # inside a long bracket: break within \Big( ... \Big)
    bracket = sp.Symbol("a", real=True) * sp.Add(*[x**3 for x in xs])
    lines = break_equation(sp.Eq(lhs, bracket), width)
    assert r"\Big(" in lines[0] and r"\Big)" in lines[-1]
    # short equations stay on one line
    assert break_equation(sp.Eq(lhs, xs[0] + 1)) == ["L &= x_{1} + 1"]


def test_width_estimate_is_close_to_tex() -> None:
    """The estimate errs on the wide side (lines are broken early, never late), within 1.5x.

    Reference width measured with pdflatex (11 pt, ``\\settowidth`` in display style): 154.2 pt.
    """
    line = r"-\dot a_{z,i} = \sigma_z'(z_{i}) a_{h,i} e_{i} - \frac{a_{z,i}}{\tau_{z}} + \frac{\partial\ell}{\partial z_i}"
    assert 154.2 <= estimate_width(line) < 154.2 * 1.5
