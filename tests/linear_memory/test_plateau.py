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


# ---------------------------------------------------------------- high-precision references
def _mp_bump_transform(mu, w, A=1):
    """G_bump(w) = ∫_0^∞ A e^{−(t−μ)²} e^{−wt} dt = A(√π/2) e^{w²/4 − wμ} erfc(w/2 − μ) (by hand)."""
    import mpmath as mp

    return A * mp.sqrt(mp.pi) / 2 * mp.exp(w * w / 4 - w * mu) * mp.erfc(w / 2 - mu)


def _mp_escape_time(mu, h, drop="0.1"):
    """τ_exit of the flow of escape_time written independently in mpmath (20 digits): the loss
    J = Σ a_ia_k/(w_i + w_k) − 2Σ a_iG(w_i) (+ const) with G(w) = 1/(1 + w) + G_bump(w) and
    G′(w) = −1/(1 + w)² + (w/2 − μ)G_bump(w) − (A/2)e^{−μ²} by hand, classical RK4 of fixed step
    h from ((1, 0), (1, 1)), the crossing of J(0) − drop·‖bump‖² (‖bump‖² = √(π/8)(1 + erf(√2μ)))
    located by bisection of the last step."""
    import mpmath as mp

    with mp.workdps(20):
        mu, h = mp.mpf(mu), mp.mpf(h)

        def G(w):
            return 1 / (1 + w) + _mp_bump_transform(mu, w)

        def dG(w):
            return (
                -1 / (1 + w) ** 2 + (w / 2 - mu) * _mp_bump_transform(mu, w) - mp.exp(-mu * mu) / 2
            )

        def J(y):
            a, w = y[:2], y[2:]
            pair = sum(a[i] * a[k] / (w[i] + w[k]) for i in range(2) for k in range(2))
            return pair - 2 * sum(a[i] * G(w[i]) for i in range(2))

        def f(y):
            a, w = y[:2], y[2:]
            ga = [2 * sum(a[k] / (w[i] + w[k]) for k in range(2)) - 2 * G(w[i]) for i in range(2)]
            gw = [
                -2 * a[i] * sum(a[k] / (w[i] + w[k]) ** 2 for k in range(2)) - 2 * a[i] * dG(w[i])
                for i in range(2)
            ]
            return [-g for g in ga + gw]

        def rk4(y, s):
            k1 = f(y)
            k2 = f([y[i] + s / 2 * k1[i] for i in range(4)])
            k3 = f([y[i] + s / 2 * k2[i] for i in range(4)])
            k4 = f([y[i] + s * k3[i] for i in range(4)])
            return [y[i] + s / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) for i in range(4)]

        y = [mp.mpf(1), mp.mpf(0), mp.mpf(1), mp.mpf(1)]
        level = J(y) - mp.mpf(drop) * mp.sqrt(mp.pi / 8) * (1 + mp.erf(mp.sqrt(2) * mu))
        t = mp.mpf(0)
        while True:
            yn = rk4(y, h)
            if J(yn) <= level:
                lo, hi = mp.mpf(0), h
                for _ in range(50):
                    mid = (lo + hi) / 2
                    lo, hi = (lo, mid) if J(rk4(y, mid)) <= level else (mid, hi)
                return float(t + (lo + hi) / 2)
            y, t = yn, t + h


@pytest.mark.parametrize("mu", [5.0, 6.0])
def test_escape_time_against_an_mpmath_flow(mu) -> None:
    """escape_time (LSODA at rtol 1e-8, float64) against the mpmath RK4 flow at steps 0.1 and
    0.05, Richardson-extrapolated (error O(h⁵): the two steps' values differ by 5e-7 at μ = 5,
    4e-6 at μ = 6, so the extrapolation is good to ≲ 1e-9). Tolerance: 100·rtol relative, the
    global error of an adaptive integrator at local tolerance rtol over the run (measured
    1.4e-8 and 3.3e-8)."""
    coarse, fine = _mp_escape_time(mu, 0.1), _mp_escape_time(mu, 0.05)
    ref = fine + (fine - coarse) / 15
    assert abs(fine - coarse) < 1e-5  # the RK4 values are in their asymptotic regime
    got = pl.escape_time(*pl.delayed_target(mu)).tau_exit
    assert got == pytest.approx(ref, rel=100 * pl.FLOW_RTOL)


@pytest.mark.parametrize("mu", [16.0, 18.0, 20.0, 25.0, 40.0])
def test_escape_time_refuses_exactly_the_unresolvable_delays(mu) -> None:
    """Large μ: the drive of the escape, G_bump(1) (mpmath, 30 digits), against the rounding of
    the gradient at the flow's tolerance, ε·G(1)/rtol. Where it is smaller (μ ≥ 20; at μ = 40 it
    is below ε·G(1) itself, 1e-17, so the start is an exact fixed point in float64 and the flow
    crawled for minutes), escape_time raises ConvergenceError at once naming quasi_static_tau;
    where it is larger (μ = 16, 18) it integrates, here to a short horizon (ConvergenceError
    'did not reach the level': the escape is at τ_qs ≈ 7e9, 3e11)."""
    import time

    import mpmath as mp

    from theory.errors import ConvergenceError

    with mp.workdps(30):
        drive = _mp_bump_transform(mp.mpf(mu), mp.mpf(1))
        total = mp.mpf(1) / 2 + drive
    resolvable = float(drive) * pl.FLOW_RTOL > float(np.finfo(float).eps) * float(total)
    t0 = time.perf_counter()
    with pytest.raises(ConvergenceError) as err:
        pl.escape_time(*pl.delayed_target(mu), tau_max=10.0)
    assert time.perf_counter() - t0 < 15.0  # cold: the loss derivation (SymPy), then no flow
    if resolvable:
        assert "did not reach the level" in str(err.value)
    else:
        assert "quasi_static_tau" in str(err.value) and err.value.iterations == 0
    assert resolvable == (mu < 19.5)
