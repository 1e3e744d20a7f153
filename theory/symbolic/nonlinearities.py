"""Named nonlinearities shared by every theory: SymPy expression, derivative, antiderivative.

Each :class:`Nonlinearity` is defined once as a SymPy expression in the canonical variable
:data:`theory.symbolic.gaussian.X`; its derivative and antiderivative (normalised to Φ(0) = 0) are
derived by SymPy, and a numerically stable closed form of the antiderivative is used when SymPy's
raw result is verified equal to it (``d/dx candidate == φ`` and ``candidate(0) == 0``). For tanh,
SymPy's ``x − log(1 + tanh x)`` is replaced by the equal and stable ``log cosh x``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.gaussian import X, name_function

__all__ = ["Nonlinearity", "NONLINEARITIES", "get_nonlinearity"]


@dataclass(frozen=True)
class Nonlinearity:
    """A pointwise nonlinearity.

    Attributes
    ----------
    name:
        Registry key (``"tanh"``).
    expr:
        SymPy expression in :data:`X`.
    label:
        LaTeX symbol (``r"\\phi"``) used in rendered derivations.
    bounded, smooth:
        Properties the theories require (the classical DMFT needs bounded and smooth; the kernel
        limit needs bounded with bounded derivative).
    stable_antiderivative:
        Optional closed form of ∫φ to prefer over SymPy's raw result (verified symbolically).
    """

    name: str
    expr: sp.Expr
    label: str
    bounded: bool
    smooth: bool
    stable_antiderivative: sp.Expr | None = None

    @property
    def derivative(self) -> sp.Expr:
        """φ' (simplified)."""
        return _derivative(self.expr)

    @property
    def antiderivative(self) -> sp.Expr:
        """Φ = ∫_0^x φ, derived by SymPy (stable closed form when verified equal)."""
        return _antiderivative(self.expr, self.stable_antiderivative)

    @property
    def numpy(self) -> CompiledFunction:
        """Compiled φ for arrays."""
        return compile_function(self.expr, [X])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.numpy(x)


@functools.cache
def _derivative(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.diff(expr, X))


@functools.cache
def _antiderivative(expr: sp.Expr, stable: sp.Expr | None) -> sp.Expr:
    raw = sp.integrate(expr, X)
    raw = raw - raw.subs(X, 0)
    if stable is not None:
        ok_diff = sp.simplify(sp.diff(stable, X) - expr) == 0
        ok_zero = sp.simplify(stable.subs(X, 0)) == 0
        if ok_diff and ok_zero:
            return stable
        raise ParameterError(
            "stable_antiderivative", stable, f"an antiderivative of {expr} vanishing at 0"
        )
    return sp.simplify(raw)


NONLINEARITIES: dict[str, Nonlinearity] = {
    "tanh": Nonlinearity("tanh", sp.tanh(X), r"\phi", True, True, sp.log(sp.cosh(X))),
    "erf": Nonlinearity("erf", sp.erf(sp.sqrt(sp.pi) * X / 2), r"\phi", True, True),
    "sigmoid": Nonlinearity("sigmoid", 1 / (1 + sp.exp(-X)), r"\sigma", True, True),
    "linear": Nonlinearity("linear", X, r"\phi", False, True),
    "relu": Nonlinearity("relu", sp.Max(0, X), r"\phi", False, False),
}


def get_nonlinearity(name: str) -> Nonlinearity:
    """Look a nonlinearity up by name; unknown names raise :class:`ParameterError`."""
    if name not in NONLINEARITIES:
        raise ParameterError("phi", name, f"one of {sorted(NONLINEARITIES)}")
    nl = NONLINEARITIES[name]
    name_function(nl.expr, nl.label)
    name_function(nl.expr**2, nl.label + "^2")
    name_function(nl.derivative, nl.label + "'")
    name_function(nl.derivative**2, nl.label + "'^2")
    if nl.smooth:
        big = nl.label.replace("\\phi", "\\Phi").replace("\\sigma", "\\Sigma")
        name_function(nl.antiderivative, big)
        name_function(nl.antiderivative**2, big + "^2")
    return nl
