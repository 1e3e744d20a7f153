"""Chaos in gated RNNs: Jacobian spectra, Lyapunov exponents, transitions and phase diagrams
(Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Secs. V–VIII).

* :mod:`~theory.gating.chaos.jacobian` -- the instantaneous Jacobian (derived by SymPy);
* :mod:`~theory.gating.chaos.spectrum` -- random-matrix support boundary, spectral edge, slow modes;
* :mod:`~theory.gating.chaos.lyapunov` -- QR Lyapunov spectra and two-trajectory λ_max of finite
  networks;
* :mod:`~theory.gating.chaos.lyapunov_dmft` -- λ_max from the two-replica DMFT;
* :mod:`~theory.gating.chaos.transitions` -- the transition lines L1, L2, L3 and the chaotic branch;
* :mod:`~theory.gating.chaos.phase_diagram` -- phase points for sweeps;
* :mod:`~theory.gating.chaos.checks` -- ``gating.chaos.*`` against finite networks.
"""

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    "jacobian_matrix",
    "jacobian_derivation",
    "BoundaryModel",
    "spectral_abscissa",
    "support_height",
    "slow_mode_fraction",
    "spectrum_derivation",
    "LyapunovSpectrum",
    "lyapunov_spectrum",
    "lyapunov_spectra",
    "max_lyapunov_two_trajectory",
    "gated_lyapunov_dmft",
    "classical_lyapunov_dmft",
    "lyapunov_dmft_derivation",
    "LyapunovDMFT",
    "line_l1",
    "line_l2",
    "line_l3",
    "chaotic_branch",
    "transition_lines",
    "phase_point",
    "marginal_point",
    "chaotic_point",
    "REGIONS",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "jacobian_matrix": "jacobian",
        "jacobian_derivation": "jacobian",
        "BoundaryModel": "spectrum",
        "spectral_abscissa": "spectrum",
        "support_height": "spectrum",
        "slow_mode_fraction": "spectrum",
        "spectrum_derivation": "spectrum",
        "LyapunovSpectrum": "lyapunov",
        "lyapunov_spectrum": "lyapunov",
        "lyapunov_spectra": "lyapunov",
        "max_lyapunov_two_trajectory": "lyapunov",
        "gated_lyapunov_dmft": "lyapunov_dmft",
        "classical_lyapunov_dmft": "lyapunov_dmft",
        "lyapunov_dmft_derivation": "lyapunov_dmft",
        "LyapunovDMFT": "lyapunov_dmft",
        "line_l1": "transitions",
        "line_l2": "transitions",
        "line_l3": "transitions",
        "chaotic_branch": "transitions",
        "transition_lines": "transitions",
        "phase_point": "phase_diagram",
        "marginal_point": "phase_diagram",
        "chaotic_point": "phase_diagram",
        "REGIONS": "phase_diagram",
    },
)

if TYPE_CHECKING:
    from theory.gating.chaos.jacobian import jacobian_derivation, jacobian_matrix
    from theory.gating.chaos.lyapunov import (
        LyapunovSpectrum,
        lyapunov_spectra,
        lyapunov_spectrum,
        max_lyapunov_two_trajectory,
    )
    from theory.gating.chaos.lyapunov_dmft import (
        LyapunovDMFT,
        classical_lyapunov_dmft,
        gated_lyapunov_dmft,
        lyapunov_dmft_derivation,
    )
    from theory.gating.chaos.phase_diagram import (
        REGIONS,
        chaotic_point,
        marginal_point,
        phase_point,
    )
    from theory.gating.chaos.spectrum import (
        BoundaryModel,
        slow_mode_fraction,
        spectral_abscissa,
        spectrum_derivation,
        support_height,
    )
    from theory.gating.chaos.transitions import (
        chaotic_branch,
        line_l1,
        line_l2,
        line_l3,
        transition_lines,
    )
