"""Parameters of the classical random RNN: validation, the nonlinearities the DMFT accepts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.gating.classical.model import CLASSICAL_NONLINEARITIES, ClassicalParams
from theory.gating.classical.simulation import PHI_NUMPY
from theory.symbolic.gaussian import X


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(g=0.0), "g"),
        (dict(g=-1.0), "g"),
        (dict(g=float("nan")), "g"),
        (dict(g=2.0, phi="softsign"), "phi"),  # not registered, parses to a free symbol
        (dict(g=2.0, phi="tanh(a*x)"), "phi"),
        (dict(g=2.0, phi="sqrt(x)"), "phi"),
        (dict(g=2.0, J0=float("nan")), "J0"),
        (dict(g=2.0, I_std=-1.0), "I_std"),
    ],
)
def test_bad_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        ClassicalParams(**kwargs)


@pytest.mark.parametrize("kwargs", [dict(g=float("inf")), dict(g="2"), dict(g=2.0, I=float("nan"))])
def test_more_bad_parameters(kwargs: dict) -> None:
    with pytest.raises(ParameterError):
        ClassicalParams(**kwargs)


def test_defaults_are_frozen() -> None:
    p = ClassicalParams(2)
    assert (p.g, p.phi, p.I) == (2, "tanh", 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.g = 3.0  # type: ignore[misc]
    assert ClassicalParams(2.0) == ClassicalParams(2.0) and hash(ClassicalParams(2.0))


@pytest.mark.parametrize("name", CLASSICAL_NONLINEARITIES)
def test_nonlinearity_is_the_simulated_one(name: str) -> None:
    """The SymPy phi of the theory and the NumPy phi of the simulator are the same function, with
    phi(0) = 0 and phi'(0) = 1 (so that the onset of chaos is g = 1)."""
    nl = ClassicalParams(2.0, phi=name).nonlinearity
    assert nl.name == name and nl.bounded and nl.smooth
    x = np.linspace(-4, 4, 81)
    f = sp.lambdify(X, nl.expr, modules=["numpy", "scipy"])
    np.testing.assert_allclose(f(x), PHI_NUMPY[name](x), atol=1e-14)
    assert float(nl.expr.subs(X, 0)) == 0.0
    assert float(nl.derivative.subs(X, 0)) == pytest.approx(1.0, abs=1e-14)


def test_require_no_input() -> None:
    ClassicalParams(2.0).require_no_input("the DMFT")
    with pytest.raises(ParameterError, match="I = 0 for the DMFT"):
        ClassicalParams(2.0, I=0.1).require_no_input("the DMFT")


def test_phi_as_expression_string_or_name() -> None:
    """A registered name is kept; an equal expression is stored under the name; another
    expression is stored validated (issue 11: no whitelist)."""
    assert ClassicalParams(2.0, phi=sp.tanh(sp.Symbol("x"))) == ClassicalParams(2.0)
    assert ClassicalParams(2.0, phi="relu").phi == "relu"
    p = ClassicalParams(2.0, phi="tanh(x - 0.5)", J0=1.0, I=0.3, I_std=0.5)
    assert isinstance(p.phi, sp.Expr) and p.phi_expr == sp.tanh(X - sp.Float(0.5))
    assert p.nonlinearity.bounded and p.nonlinearity.smooth
    assert hash(p) == hash(ClassicalParams(2.0, phi="tanh(x - 0.5)", J0=1.0, I=0.3, I_std=0.5))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(phi="relu"), "phi"),
        (dict(phi="tanh(x - 0.5)"), "phi"),
        (dict(J0=1.0), "J0"),
        (dict(I_std=0.5), "I_std"),
    ],
)
def test_scs_assumptions_name_the_general_solver(kwargs: dict, name: str) -> None:
    with pytest.raises(ParameterError, match="mean_field") as exc:
        ClassicalParams(2.0, **kwargs).require_no_input("the DMFT")
    assert exc.value.name == name
