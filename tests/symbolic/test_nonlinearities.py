"""Named nonlinearities: derivatives and antiderivatives derived by SymPy, compiled forms."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.gaussian import X
from theory.symbolic.nonlinearities import NONLINEARITIES, Nonlinearity, get_nonlinearity


@pytest.mark.parametrize("name", ["tanh", "erf", "sigmoid", "linear"])
def test_antiderivative_differentiates_back_and_vanishes_at_zero(name: str) -> None:
    nl = get_nonlinearity(name)
    assert sp.simplify(sp.diff(nl.antiderivative, X) - nl.expr) == 0
    assert sp.simplify(nl.antiderivative.subs(X, 0)) == 0


def test_tanh_uses_the_stable_log_cosh() -> None:
    nl = get_nonlinearity("tanh")
    assert nl.antiderivative == sp.log(sp.cosh(X))
    assert sp.simplify(nl.derivative - (1 - sp.tanh(X) ** 2)) == 0


def test_compiled_values() -> None:
    x = np.linspace(-3, 3, 7)
    assert np.allclose(get_nonlinearity("tanh")(x), np.tanh(x))
    assert np.allclose(get_nonlinearity("relu")(x), np.maximum(x, 0))
    assert np.allclose(NONLINEARITIES["sigmoid"](x), 1 / (1 + np.exp(-x)))


def test_wrong_stable_antiderivative_is_rejected() -> None:
    bad = Nonlinearity("bad", sp.tanh(X), r"\phi", True, True, sp.log(sp.cosh(X)) + 1)
    with pytest.raises(ParameterError, match="antiderivative"):
        _ = bad.antiderivative


def test_unknown_name() -> None:
    with pytest.raises(ParameterError, match="phi"):
        get_nonlinearity("softplus2")
