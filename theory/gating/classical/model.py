"""Parameters of the classical random RNN (the ungated limit of the gated RNN).

    dx_i/dt = −x_i + Σ_j J_ij φ(x_j) + θ_i,    J_ij ~ N(J0/N, g²/N) i.i.d.,  θ_i ~ N(I, I_std²)

(Sompolinsky, Crisanti & Sommers, PRL 61, 259 (1988), Eq. (1), for J0 = 0 and θ_i = I; the mean
coupling J0/N and the quenched biases θ_i make the general mean-field case of
:mod:`theory.gating.classical.mean_field`.)

φ is a registered name (``"tanh"``, ``"erf"``, ``"relu"``, …), a SymPy expression in ``x``, a
string SymPy parses (``"tanh(x - 0.5)"``), a Lambda or a callable on SymPy symbols
(:func:`theory.symbolic.expressions.as_expression`); an expression equal to a registered one is
stored under its name, so ``ClassicalParams(2, phi=sp.tanh(x)) == ClassicalParams(2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sympy as sp

from theory.errors import ParameterError, require
from theory.symbolic.nonlinearities import Nonlinearity, get_nonlinearity

__all__ = ["ClassicalParams", "CLASSICAL_NONLINEARITIES"]

#: Nonlinearities for which the SCS solver (:func:`~theory.gating.classical.dmft.solve_classical_dmft`)
#: applies (bounded, smooth, odd); any other φ goes to :mod:`theory.gating.classical.mean_field`.
CLASSICAL_NONLINEARITIES = ("tanh", "erf")

_GENERAL = "theory.gating.classical.mean_field.solve_mean_field (any phi, J0, biases)"


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class ClassicalParams:
    """Parameters of the classical random RNN.

    Parameters
    ----------
    g:
        Coupling gain, g > 0 (variance of J_ij is g²/N). For tanh and erf, chaos for g > 1.
    phi:
        The nonlinearity: a registered name, a SymPy expression or string in x, a Lambda or a
        callable (module docstring). Stored as the name when it is a registered one, else as the
        validated SymPy expression.
    I:
        Mean of the constant inputs θ_i (every unit gets I when ``I_std = 0``).
    J0:
        Mean coupling: E J_ij = J0/N.
    I_std:
        Standard deviation of the quenched inputs θ_i ~ N(I, I_std²), drawn once per network.
    """

    g: float
    phi: Any = "tanh"
    I: float = 0.0
    J0: float = 0.0
    I_std: float = 0.0

    def __post_init__(self) -> None:
        require(_finite(self.g) and self.g > 0, "g", self.g, "a finite number g > 0")
        require(_finite(self.I), "I", self.I, "a finite number")
        require(_finite(self.J0), "J0", self.J0, "a finite number")
        require(_finite(self.I_std) and self.I_std >= 0, "I_std", self.I_std, "I_std >= 0")
        from theory.symbolic.expressions import registered_or_expression

        object.__setattr__(self, "phi", registered_or_expression(self.phi, "phi"))

    @property
    def phi_expr(self) -> sp.Expr:
        """φ as a SymPy expression in :data:`theory.symbolic.gaussian.X`."""
        return self.nonlinearity.expr

    @property
    def nonlinearity(self) -> Nonlinearity:
        if isinstance(self.phi, str):
            return get_nonlinearity(self.phi)
        return _expression_nonlinearity(self.phi)

    def require_no_input(self, what: str) -> None:
        """Raise unless the SCS assumptions hold: I = 0, J0 = 0, I_std = 0 and φ odd and bounded
        (one of :data:`CLASSICAL_NONLINEARITIES`), so that the field has mean zero and no static
        part. Each error names the assumption and points to the general mean-field solver."""
        if self.I != 0.0:
            raise ParameterError(
                "I",
                self.I,
                f"I = 0 for {what} (it assumes no static input; the general case is {_GENERAL})",
            )
        if self.J0 != 0.0:
            raise ParameterError(
                "J0", self.J0, f"J0 = 0 for {what} (zero-mean couplings); else use {_GENERAL}"
            )
        if self.I_std != 0.0:
            raise ParameterError(
                "I_std",
                self.I_std,
                f"I_std = 0 for {what} (no quenched inputs); else use {_GENERAL}",
            )
        if self.phi not in CLASSICAL_NONLINEARITIES:
            raise ParameterError(
                "phi",
                self.phi,
                f"one of {CLASSICAL_NONLINEARITIES} for {what}: it assumes an odd, bounded, smooth "
                f"phi (<phi> = 0, no static part of Delta); for any other phi use {_GENERAL}",
            )


def _expression_nonlinearity(expr: sp.Expr) -> Nonlinearity:
    from theory.symbolic.expressions import growth, is_smooth

    return Nonlinearity(str(expr), expr, r"\phi", growth(expr).bounded, is_smooth(expr))
