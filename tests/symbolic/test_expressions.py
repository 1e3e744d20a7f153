"""User functions as data: parsing, validation (ParameterError, never a SymPy traceback), growth,
oddness and verified antiderivatives."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from theory.errors import ParameterError
from theory.symbolic.compile import compile_function
from theory.symbolic.expressions import antiderivative, as_expression, growth, is_odd, is_smooth
from theory.symbolic.gaussian import X


@pytest.mark.parametrize(
    "value, expected",
    [
        ("tanh", sp.tanh(X)),
        ("relu", sp.Max(0, X)),
        ("tanh(x - 0.5)", sp.tanh(X - sp.Float(0.5))),
        (sp.tanh(sp.Symbol("x")), sp.tanh(X)),  # any symbol named x
        (sp.Lambda(sp.Symbol("u"), sp.erf(sp.Symbol("u"))), sp.erf(X)),
        (lambda x: sp.tanh(x) + x / 10, sp.tanh(X) + X / 10),
        ("x^3", X**3),
        (2, sp.Integer(2)),
    ],
)
def test_accepted_forms(value: object, expected: sp.Expr) -> None:
    assert sp.simplify(as_expression(value) - expected) == 0


@pytest.mark.parametrize(
    "value, match",
    [
        ("tanh(a*x)", "other free symbols a"),
        ("softsign", "other free symbols softsign"),
        ("tanh(", "SymPy parses"),
        ("sqrt(x)", "continuous on the whole real line"),
        ("log(x)", "continuous"),
        ("1/x", "continuous"),
        ("1/(x - 0.3)", "continuous"),
        ("I*x", "real values"),
        ("gamma(x)", "finite real values"),
        (object(), "registered name"),
        (lambda x: 1 / 0, "calling it on x raised ZeroDivisionError"),
        (sp.Lambda((sp.Symbol("u"), sp.Symbol("v")), sp.Symbol("u")), "one variable"),
    ],
)
def test_rejected_with_a_parameter_error(value: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match) as exc:
        as_expression(value, "phi")
    assert exc.value.name == "phi"


def test_growth_probes() -> None:
    assert growth(sp.tanh(X)).bounded and growth(sp.tanh(X)).slope_plus == 0.0
    relu = growth(sp.Max(0, X))
    assert (relu.slope_plus, relu.slope_minus, relu.bounded) == (1.0, 0.0, False)
    softplus = growth(sp.log(1 + sp.exp(X)))  # no overflow at x = 1e8 (mpmath)
    assert softplus.slope_plus == pytest.approx(1.0) and softplus.slope_minus == 0.0
    assert not growth(X * sp.log(1 + X**2)).at_most_linear
    shifted = growth(sp.tanh(X + 0.5) - sp.tanh(0.5))
    assert shifted.bounded and shifted.sup == pytest.approx(1 + np.tanh(0.5))


def test_oddness_and_smoothness() -> None:
    assert is_odd(sp.tanh(X)) and is_odd(X / (1 + sp.Abs(X))) and not is_odd(sp.tanh(X - 0.5))
    assert is_smooth(sp.tanh(X)) and not is_smooth(sp.Max(0, X))


@pytest.mark.parametrize(
    "expr",
    [
        sp.tanh(X - sp.Float(0.5)),  # SymPy's x - log(1 + tanh) overflows: stabilised
        X / (1 + sp.Abs(X)),  # SymPy's Piecewise is wrong for x > 0: quadrature primitive
        sp.log(1 + sp.exp(X)),  # no closed form: quadrature primitive
        sp.Max(0, X),
    ],
)
def test_antiderivative_is_verified(expr: sp.Expr) -> None:
    f = compile_function(antiderivative(expr), [X])
    phi = compile_function(expr, [X])
    xs = np.array([-40.0, -7.3, -1.0, 0.0, 0.4, 3.0, 25.0])
    ref = np.array([quad(lambda s: float(phi(s)), 0.0, x, limit=200)[0] for x in xs])
    np.testing.assert_allclose(f(xs), ref, rtol=1e-10, atol=1e-10)
    assert np.all(np.isfinite(f(np.array([-600.0, 600.0]))))


@pytest.mark.parametrize(
    "phi", [sp.tanh(X), 1 / (1 + sp.exp(-X)), 1 / (1 + sp.exp(1 - 2 * X)), sp.tanh(X) + X / 10]
)
def test_antiderivative_is_finite_where_exponentials_overflow(phi):
    """log cosh and log(1 + e^x) are rewritten (LogCosh, LogAddExp): finite at |x| = 10³…10⁶,
    derivative φ, no warning; and equal to the quadrature primitive where both are finite."""
    import warnings

    Phi = antiderivative(phi)
    assert sp.simplify(sp.diff(Phi, X) - phi) == 0
    f = compile_function(Phi, [X])
    xs = np.array([-1e6, -1e3, -3.0, 0.0, 0.5, 20.0, 1e3, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vals = f(xs)
    assert np.all(np.isfinite(vals))
    mid = np.abs(xs) <= 20
    ref = [quad(compile_function(phi, [X]), 0.0, x, epsabs=1e-13, epsrel=1e-13)[0] for x in xs[mid]]
    assert np.allclose(vals[mid], ref, rtol=1e-10, atol=1e-12)


def test_compiled_sigmoid_does_not_warn_on_overflow():
    import warnings

    f = compile_function(1 / (1 + sp.exp(-X)), [X])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(np.array([-1000.0]))[0] == 0.0
