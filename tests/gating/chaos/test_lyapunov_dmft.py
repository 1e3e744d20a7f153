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
    assert r.discretisation_error < 1e-11


@pytest.mark.parametrize("g", [1.5, 2.0, 3.0])
def test_classical_spectral_elements_against_finite_differences(g):
    """Spectral elements vs the second-order finite differences (Richardson error estimate)."""
    sp_ = classical_lyapunov_dmft(g)
    fd = classical_lyapunov_dmft(g, method="fd")
    # the FD value carries O(dtau^2) error, estimated by Richardson; allow 3x that estimate
    assert abs(sp_.value - fd.value) < 3 * fd.discretisation_error + 1e-9
    assert sp_.discretisation_error < 1e-10


def test_classical_lyapunov_order_convergence_and_large_gain():
    """Exponential convergence in the element order; finite, growing lambda up to g = 1000."""
    a, b = classical_lyapunov_dmft(3.0, order=12), classical_lyapunov_dmft(3.0, order=24)
    assert abs(a.value - b.value) < 1e-10
    lams = [classical_lyapunov_dmft(g).value for g in (10.0, 100.0, 1000.0)]
    assert np.all(np.isfinite(lams)) and lams[0] < lams[1] < lams[2]
    # near onset lambda -> 0 (the potential well of -V'' vanishes with Delta0)
    assert 0 < classical_lyapunov_dmft(1.01).value < classical_lyapunov_dmft(1.1).value < 0.01


def test_classical_lyapunov_domain():
    with pytest.raises(ParameterError, match="g"):
        classical_lyapunov_dmft(0.9)
    with pytest.raises(ParameterError, match="g"):
        classical_lyapunov_dmft(2000.0)
    from theory.gating.classical.model import ClassicalParams

    for bad in (ClassicalParams(2.0), "2", None, True, float("nan")):  # a clear error, no TypeError
        with pytest.raises(ParameterError, match="g"):
            classical_lyapunov_dmft(bad)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="order"):
        classical_lyapunov_dmft(2.0, order=4)


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
