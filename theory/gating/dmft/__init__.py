"""Dynamical mean-field theory of the gated RNN (Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Secs. III–IV).

* :mod:`~theory.gating.dmft.equations` -- the derivation (:func:`derivation`, exported as
  ``derivations/gating_dmft.tex``) and its compiled form, shared by both solvers;
* :mod:`~theory.gating.dmft.closures` -- Gaussian closures C_φ, C_{σ_r} with a quadrature step
  set by the sharpness of φ and the gate;
* :mod:`~theory.gating.dmft.fourier` -- solver A, the Fourier fixed point (α_z = 0);
* :mod:`~theory.gating.dmft.montecarlo` -- solver B, Monte-Carlo DMFT (any α_z) with error bars;
* :mod:`~theory.gating.dmft.fixed_points` -- static (fixed-point) solutions and the zero fixed
  point's stability;
* :mod:`~theory.gating.dmft.checks` -- ``gating.dmft.*`` against finite networks.

    from theory.gating import GatedParams
    from theory.gating.dmft import solve_dmft
    sol = solve_dmft(GatedParams(g_h=2.5, alpha_r=20.0))   # C_h(0) = 0.1287
"""

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    "solve_dmft",
    "solve",
    "solve_dmft_fourier",
    "solve_dmft_montecarlo",
    "GatedDMFTSolution",
    "GatedDMFT",
    "derivation",
    "gated_dmft_derivation",
    "compiled_theory",
    "coupling_variance",
    "input_variances",
    "phi_moments",
    "FixedPointSolution",
    "solve_fixed_point_dmft",
    "fixed_point_branches",
    "fixed_point_derivation",
    "zero_fp_threshold",
    "tricritical_alpha_r",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "solve_dmft": "solvers",
        "solve": "solvers:solve_dmft",
        "solve_dmft_fourier": "fourier",
        "solve_dmft_montecarlo": "montecarlo",
        "GatedDMFTSolution": "equations",
        "GatedDMFT": "equations",
        "derivation": "equations:gated_dmft_derivation",
        "gated_dmft_derivation": "equations",
        "compiled_theory": "equations",
        "coupling_variance": "equations",
        "input_variances": "equations",
        "phi_moments": "equations",
        "FixedPointSolution": "fixed_points",
        "solve_fixed_point_dmft": "fixed_points",
        "fixed_point_branches": "fixed_points",
        "fixed_point_derivation": "fixed_points",
        "zero_fp_threshold": "fixed_points",
        "tricritical_alpha_r": "fixed_points",
    },
)

if TYPE_CHECKING:
    from theory.gating.dmft.equations import (
        GatedDMFT,
        GatedDMFTSolution,
        compiled_theory,
        coupling_variance,
        gated_dmft_derivation,
        input_variances,
        phi_moments,
    )
    from theory.gating.dmft.equations import (
        gated_dmft_derivation as derivation,
    )
    from theory.gating.dmft.fixed_points import (
        FixedPointSolution,
        fixed_point_branches,
        fixed_point_derivation,
        solve_fixed_point_dmft,
        tricritical_alpha_r,
        zero_fp_threshold,
    )
    from theory.gating.dmft.fourier import solve_dmft_fourier
    from theory.gating.dmft.montecarlo import solve_dmft_montecarlo
    from theory.gating.dmft.solvers import solve_dmft
    from theory.gating.dmft.solvers import solve_dmft as solve
