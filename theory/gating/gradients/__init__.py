"""Gradients of gated RNNs: the adjoint method on finite networks and the adjoint DMFT
(Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IX).

* :mod:`~theory.gating.gradients.adjoint` -- adjoint gradients of a loss w.r.t. J^h, J^z, J^r, and
  the backward growth rate of the adjoint (exploding gradients);
* :mod:`~theory.gating.gradients.adjoint_dmft` -- the adjoint DMFT: gradient-norm statistics at
  N → ∞, with the reaction term of the forward path;
* :mod:`~theory.gating.gradients.checks` -- ``gating.gradients.*`` against finite networks.
"""

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    "adjoint_gradients",
    "adjoint_growth_rate",
    "AdjointResult",
    "adjoint_derivation",
    "loss_only",
    "solve_adjoint_dmft",
    "solve",
    "AdjointDMFT",
    "adjoint_dmft_derivation",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "adjoint_gradients": "adjoint",
        "adjoint_growth_rate": "adjoint",
        "AdjointResult": "adjoint",
        "adjoint_derivation": "adjoint",
        "loss_only": "adjoint",
        "solve_adjoint_dmft": "adjoint_dmft",
        "solve": "adjoint_dmft:solve_adjoint_dmft",
        "AdjointDMFT": "adjoint_dmft",
        "adjoint_dmft_derivation": "adjoint_dmft",
    },
)

if TYPE_CHECKING:
    from theory.gating.gradients.adjoint import (
        AdjointResult,
        adjoint_derivation,
        adjoint_gradients,
        adjoint_growth_rate,
        loss_only,
    )
    from theory.gating.gradients.adjoint_dmft import (
        AdjointDMFT,
        adjoint_dmft_derivation,
        solve_adjoint_dmft,
    )
    from theory.gating.gradients.adjoint_dmft import (
        solve_adjoint_dmft as solve,
    )
