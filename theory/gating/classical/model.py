"""Parameters of the classical random RNN (the ungated limit of the gated RNN).

    dx_i/dt = −x_i + Σ_j J_ij φ(x_j) + I,    J_ij ~ N(0, g²/N) i.i.d.

(Sompolinsky, Crisanti & Sommers, PRL 61, 259 (1988), Eq. (1).)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from theory.errors import ParameterError, require
from theory.symbolic.nonlinearities import Nonlinearity, get_nonlinearity

__all__ = ["ClassicalParams", "CLASSICAL_NONLINEARITIES"]

#: Nonlinearities for which the classical DMFT applies (bounded, smooth, odd).
CLASSICAL_NONLINEARITIES = ("tanh", "erf")


@dataclass(frozen=True)
class ClassicalParams:
    """Parameters of the classical random RNN.

    Parameters
    ----------
    g:
        Coupling gain, g > 0 (variance of J_ij is g²/N). Chaos for g > 1 (φ'(0) = 1).
    phi:
        Nonlinearity name, one of :data:`CLASSICAL_NONLINEARITIES`.
    I:
        Constant input added to every unit (simulator). The DMFT of this module covers I = 0.
    """

    g: float
    phi: str = "tanh"
    I: float = 0.0

    def __post_init__(self) -> None:
        require(
            isinstance(self.g, (int, float)) and math.isfinite(self.g) and self.g > 0,
            "g",
            self.g,
            "a finite number g > 0",
        )
        require(
            self.phi in CLASSICAL_NONLINEARITIES,
            "phi",
            self.phi,
            f"one of {CLASSICAL_NONLINEARITIES}",
        )
        require(math.isfinite(self.I), "I", self.I, "a finite number")

    @property
    def nonlinearity(self) -> Nonlinearity:
        return get_nonlinearity(self.phi)

    def require_no_input(self, what: str) -> None:
        """Raise unless I = 0 (the DMFT here has no static component)."""
        if self.I != 0.0:
            raise ParameterError(
                "I", self.I, f"I = 0 for {what} (the static-component DMFT is not implemented)"
            )
