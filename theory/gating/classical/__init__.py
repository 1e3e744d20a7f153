"""The classical random RNN (Sompolinsky, Crisanti & Sommers, PRL 61, 259 (1988)): the ungated limit.

``ẋ = −x + J φ(x) + I`` with J_ij ~ N(0, g²/N). The dynamical mean-field theory reduces to the
motion of a particle in a potential V(Δ; Δ0) (:func:`derivation`, exported as
``derivations/classical_dmft.tex``); :func:`solve` finds Δ0 from the energy condition and Δ(τ);
:func:`simulate` runs the finite network; the checks ``gating.classical.*``
(:mod:`theory.gating.classical.checks`) compare them.

    from theory.gating.classical import ClassicalParams, simulate, solve
    sol = solve(ClassicalParams(g=2.0))                    # Δ0 = 1.92481; sol.delta on demand
    sweep = classical_dmft_sweep(np.linspace(1.1, 10, 40))  # Δ0, ⟨ẋ²⟩, τ_R for 40 gains
    traj = simulate(ClassicalParams(g=2.0), 1000, T=300, burn_in=50, seed=0)
    lyap = classical_lyapunov_spectra(ClassicalParams(2.0), 1000, 10, seeds=[0], T=200, transient=50)
"""

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    "ClassicalParams",
    "simulate",
    "simulate_classical",
    "ClassicalTrajectory",
    "solve",
    "solve_classical_dmft",
    "classical_dmft_sweep",
    "ClassicalDMFTSolution",
    "ClassicalDMFTSweep",
    "Separatrix",
    "ClassicalDMFT",
    "derivation",
    "classical_dmft_derivation",
    "quiescent_decay",
    "quiescent_decay_derivation",
    "classical_lyapunov_spectra",
    "ClassicalLyapunovSpectrum",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ClassicalParams": "model",
        "simulate": "simulation:simulate_classical",
        "simulate_classical": "simulation",
        "ClassicalTrajectory": "simulation",
        "solve": "dmft:solve_classical_dmft",
        "solve_classical_dmft": "dmft",
        "classical_dmft_sweep": "dmft",
        "ClassicalDMFTSolution": "dmft",
        "ClassicalDMFTSweep": "dmft",
        "Separatrix": "dmft",
        "ClassicalDMFT": "dmft",
        "derivation": "dmft:classical_dmft_derivation",
        "classical_dmft_derivation": "dmft",
        "quiescent_decay": "dmft",
        "quiescent_decay_derivation": "dmft",
        "classical_lyapunov_spectra": "lyapunov",
        "ClassicalLyapunovSpectrum": "lyapunov",
    },
)

if TYPE_CHECKING:
    from theory.gating.classical.dmft import (
        ClassicalDMFT,
        ClassicalDMFTSolution,
        ClassicalDMFTSweep,
        Separatrix,
        classical_dmft_derivation,
        classical_dmft_sweep,
        quiescent_decay,
        quiescent_decay_derivation,
        solve_classical_dmft,
    )
    from theory.gating.classical.dmft import (
        classical_dmft_derivation as derivation,
    )
    from theory.gating.classical.dmft import (
        solve_classical_dmft as solve,
    )
    from theory.gating.classical.lyapunov import (
        ClassicalLyapunovSpectrum,
        classical_lyapunov_spectra,
    )
    from theory.gating.classical.model import ClassicalParams
    from theory.gating.classical.simulation import (
        ClassicalTrajectory,
        simulate_classical,
    )
    from theory.gating.classical.simulation import (
        simulate_classical as simulate,
    )
