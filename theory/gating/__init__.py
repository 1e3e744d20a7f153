"""Gated RNNs: the theory of gating (Krishnamurthy, Can & Schwab, *Theory of gating in recurrent
neural networks*, Phys. Rev. X 12, 011011 (2022)).

The network (:class:`GatedParams`, :class:`GatedNetwork`, :func:`simulate`) has an update gate
σ_z and an output (reset) gate σ_r; the sub-packages hold its theory:

* :mod:`theory.gating.classical` -- the ungated limit, the Sompolinsky–Crisanti–Sommers network;
* :mod:`theory.gating.dmft` -- dynamical mean-field theory: correlation functions, fixed points;
* :mod:`theory.gating.chaos` -- Jacobian spectra, Lyapunov exponents, transitions, phase diagrams;
* :mod:`theory.gating.gradients` -- adjoint gradients and the adjoint DMFT.

Each has a ``checks`` module whose checks are named after it (``gating.chaos.lyapunov_max[...]``)
and run with ``theory check --only gating``.

    from theory.gating import GatedParams, simulate_gated, solve_dmft, lyapunov_spectrum
    p = GatedParams(g_h=2.5, alpha_r=20.0)
    sol = solve_dmft(p)                                   # C_h(0) = 0.1287
    traj = simulate_gated(p, 500, T=120, burn_in=20, seed=0)
"""

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    "GatedParams",
    "GatedNetwork",
    "simulate",
    "simulate_gated",
    "GatedTrajectory",
    "solve",
    "solve_dmft",
    "GatedDMFTSolution",
    "derivation",
    "lyapunov_spectrum",
    "lyapunov_spectra",
    "gated_lyapunov_dmft",
    "jacobian_matrix",
    "zero_fp_threshold",
    "fixed_point_branches",
    "adjoint_gradients",
    "solve_adjoint_dmft",
    "phase_point",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "GatedParams": "model",
        "GatedNetwork": "model",
        "simulate": "simulation:simulate_gated",
        "simulate_gated": "simulation",
        "GatedTrajectory": "simulation",
        "solve": "dmft.solvers:solve_dmft",
        "solve_dmft": "dmft.solvers",
        "GatedDMFTSolution": "dmft.equations",
        "derivation": "dmft.equations:gated_dmft_derivation",
        "lyapunov_spectrum": "chaos.lyapunov",
        "lyapunov_spectra": "chaos.lyapunov",
        "gated_lyapunov_dmft": "chaos.lyapunov_dmft",
        "jacobian_matrix": "chaos.jacobian",
        "zero_fp_threshold": "dmft.fixed_points",
        "fixed_point_branches": "dmft.fixed_points",
        "adjoint_gradients": "gradients.adjoint",
        "solve_adjoint_dmft": "gradients.adjoint_dmft",
        "phase_point": "chaos.phase_diagram",
    },
)

if TYPE_CHECKING:
    from theory.gating.chaos.jacobian import jacobian_matrix
    from theory.gating.chaos.lyapunov import lyapunov_spectra, lyapunov_spectrum
    from theory.gating.chaos.lyapunov_dmft import gated_lyapunov_dmft
    from theory.gating.chaos.phase_diagram import phase_point
    from theory.gating.dmft.equations import GatedDMFTSolution
    from theory.gating.dmft.equations import gated_dmft_derivation as derivation
    from theory.gating.dmft.fixed_points import fixed_point_branches, zero_fp_threshold
    from theory.gating.dmft.solvers import solve_dmft
    from theory.gating.dmft.solvers import solve_dmft as solve
    from theory.gating.gradients.adjoint import adjoint_gradients
    from theory.gating.gradients.adjoint_dmft import solve_adjoint_dmft
    from theory.gating.model import GatedNetwork, GatedParams
    from theory.gating.simulation import GatedTrajectory, simulate_gated
    from theory.gating.simulation import simulate_gated as simulate
