"""Plateaus of the gradient flow: the quasi-static estimate and the escape times."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.linear_memory import plateau as pl


def test_quasi_static_time_hand_formula() -> None:
    # τ_qs = e^{2w₀μ − w₀²/2}/(8πA²w₀μ²)
    assert pl.quasi_static_tau(10.0) == pytest.approx(np.exp(19.5) / (8 * np.pi * 100), rel=1e-12)
    assert pl.quasi_static_tau(6.0, 1.5, 2.0) == pytest.approx(
        np.exp(18.0 - 1.125) / (8 * np.pi * 4.0 * 1.5 * 36.0), rel=1e-12
    )


def test_secant_slope_tends_to_2w0() -> None:
    s = pl.quasi_static_slope(8.0, 12.0)
    assert s == pytest.approx(2.0 - 2 * math.log(12.0 / 8.0) / 4.0, rel=1e-12)
    assert pl.quasi_static_slope(100.0, 101.0) == pytest.approx(2.0, abs=0.03)


def test_derivation_slope_and_limit() -> None:
    d = pl.plateau_derivation()
    assert sp.simplify(d.rhs("slope") - (2 * pl.w0 - 2 / pl.mu)) == 0
    assert "JMLR 23 (2022)" in d.citation()


def test_targets() -> None:
    rho, bump = pl.delayed_target(8.0)
    assert float(rho(np.array(8.0))) == pytest.approx(1.0 + math.exp(-8.0), rel=1e-12)
    assert float(bump(np.array(8.0))) == pytest.approx(1.0)
    rho, slow = pl.nondelayed_target(0.1)
    assert slow.l2_norm_sq() == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ParameterError, match="omega"):
        pl.nondelayed_target(1.5)


def test_escape_time_reference_and_slowdown() -> None:
    r8 = pl.escape_time(*pl.delayed_target(8.0))
    assert r8.tau_exit == pytest.approx(1.0e3, rel=0.05)  # the recorded reference value
    assert r8.flow.loss[-1] == pytest.approx(r8.level, rel=1e-6)
    r6 = pl.escape_time(*pl.delayed_target(6.0))
    assert r6.tau_exit < r8.tau_exit / 10  # exponential in the lag
    with pytest.raises(ParameterError, match="drop"):
        pl.escape_time(*pl.delayed_target(8.0), drop=1.5)


def test_airy_escape_slows_down_with_t0() -> None:
    taus = [pl.airy_escape_time(t0).tau_exit for t0 in (1.0, 3.0)]
    assert np.all(np.isfinite(taus))
    assert taus[1] > taus[0]
