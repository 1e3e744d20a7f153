"""Lyapunov exponent from the DMFT: Schroedinger reference numbers, the alpha = 0 mapping, the
two-replica operator, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.chaos.lyapunov_dmft import (
    classical_lyapunov_dmft,
    gated_lyapunov_dmft,
    lyapunov_dmft_derivation,
)
from theory.gating.model import GatedParams


def test_classical_schrodinger_reference():
    r = classical_lyapunov_dmft(2.0)
    assert r.value == pytest.approx(0.112, abs=1e-3)
    assert r.ground_energy < 0


def test_gated_alpha_r0_reference_and_mapping():
    r = gated_lyapunov_dmft(GatedParams(g_h=4.0))
    assert r.value == pytest.approx(0.0562, abs=5e-4)
    assert r.value == pytest.approx(
        0.5 * classical_lyapunov_dmft(2.0).value, rel=1e-9
    )  # lambda = s_z lambda_SCS(g_h s_r)


def test_alpha_z_nonzero_is_not_claimed():
    with pytest.raises(ParameterError, match="alpha_z"):
        gated_lyapunov_dmft(GatedParams(g_h=4.0, alpha_z=2.0))


def test_derivation_schrodinger_root():
    d = lyapunov_dmft_derivation()
    import sympy as sp

    lam = d.rhs("lyapunov_from_ground_state")
    sz, E0 = sp.Symbol("s_z", positive=True), sp.Symbol("E_0", real=True)
    assert float(lam.subs({sz: 1, E0: -0.23756})) == pytest.approx(-1 + np.sqrt(1.23756))


@pytest.mark.slow
def test_two_replica_references():
    """alpha_r = 0 via the two-replica operator equals the Schroedinger form; alpha_r = 20 reference 0.195."""
    assert gated_lyapunov_dmft(GatedParams(g_h=4.0, beta_h=1e-9)).value == pytest.approx(
        0.0562, abs=5e-4
    )
    assert gated_lyapunov_dmft(GatedParams(g_h=2.5, alpha_r=20.0)).value == pytest.approx(
        0.195, rel=0.03
    )
