"""Classical random RNN: compiled DMFT vs reference numbers and hand formulas; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

from theory.errors import ParameterError
from theory.gating.classical.dmft import (
    ClassicalDMFT,
    classical_dmft_derivation,
    quiescent_decay,
    solve_classical_dmft,
)
from theory.gating.classical.model import ClassicalParams


@pytest.mark.parametrize("g, ref", [(1.5, 0.74769), (2.0, 1.92481), (3.0, 5.44633)])
def test_delta0_reference_values(g: float, ref: float) -> None:
    s = solve_classical_dmft(ClassicalParams(g))
    assert s.converged and s.chaotic
    assert abs(s.delta0 - ref) < 1e-5  # spec gating.md §2 gives 5 decimals


def _hand_moments(d0: float) -> tuple[float, float, float]:
    """<Phi^2> - <Phi>^2, <phi^2>, <phi'> by adaptive quadrature (independent of the compiled code)."""
    pdf = lambda x: np.exp(-x * x / (2 * d0)) / np.sqrt(2 * np.pi * d0)  # noqa: E731
    Phi = lambda x: np.logaddexp(x, -x) - np.log(2)  # noqa: E731
    q = lambda f: si.quad(lambda x: f(x) * pdf(x), -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]  # noqa: E731
    return (
        q(lambda x: Phi(x) ** 2) - q(Phi) ** 2,
        q(lambda x: np.tanh(x) ** 2),
        q(lambda x: 1 - np.tanh(x) ** 2),
    )


def test_compiled_functions_match_hand_formulas() -> None:
    th = ClassicalDMFT.for_phi("tanh")
    g, d0 = 2.0, 1.7
    varPhi, phi2, dphi = _hand_moments(d0)
    assert abs(th.energy_gap(d0, g) - (-(d0**2) / 2 + g**2 * varPhi)) < 1e-10
    assert abs(th.kinetic(d0, g) - (g**2 * phi2 - d0)) < 1e-10
    assert abs(th.stiffness(d0, g) - (1 - g**2 * dphi**2)) < 1e-10
    # force = Delta - g^2 C_phi(Delta; Delta0): at Delta = Delta0 it is Delta0 - g^2 <phi^2>
    assert abs(th.force(d0, d0, g) - (d0 - g**2 * phi2)) < 1e-10
    assert th.onset_g == pytest.approx(1.0)


def test_delta_tau_is_monotone_and_has_exponential_tail() -> None:
    s = solve_classical_dmft(ClassicalParams(2.0))
    assert s.delta[0] == pytest.approx(s.delta0)
    assert np.all(np.diff(s.delta) <= 1e-12)
    # energy conservation along the trajectory: 1/2 Delta'^2 + V(Delta) = V(Delta0)
    th = ClassicalDMFT.for_phi("tanh")
    k = np.searchsorted(s.tau, 3.0)
    dd = np.gradient(s.delta, s.tau)[k]
    e = (
        0.5 * dd**2
        + th.potential(s.delta[k], s.delta0, 2.0)
        - th.potential(s.delta0, s.delta0, 2.0)
    )
    assert abs(e) < 1e-5  # finite-difference derivative on dtau = 0.01: O(dtau^2)
    tail = s.delta_at(np.array([50.0, 60.0]))
    assert tail[1] / tail[0] == pytest.approx(np.exp(-10 / s.tau_R), rel=1e-6)


def test_kinetic_identity_and_relaxation_reference() -> None:
    s = solve_classical_dmft(ClassicalParams(2.0))
    # -Delta''(0) from the trajectory equals the kinetic identity
    dd2 = (s.delta[2] - 2 * s.delta[1] + s.delta[0]) / 0.01**2
    # second difference at the left boundary of an even function: Delta(h) ~ Delta0 + Delta''h^2/2
    assert abs(2 * (s.delta[1] - s.delta[0]) / 0.01**2 + s.kinetic) < 1e-3
    assert dd2 < 0


def test_onset_expansion_and_quiescent_phase() -> None:
    d = classical_dmft_derivation("tanh")
    assert str(d.rhs("onset")) == "2*Delta_0 + 1"
    s = solve_classical_dmft(ClassicalParams(1.05))
    assert s.delta0 == pytest.approx((1.05**2 - 1) / 2, rel=0.15)  # leading order of the expansion
    q = solve_classical_dmft(ClassicalParams(0.8))
    assert not q.chaotic and q.delta0 == 0.0 and q.converged


def test_quiescent_decay_closed_form() -> None:
    from scipy.special import iv

    t = np.linspace(0, 10, 11)
    np.testing.assert_allclose(quiescent_decay(0.5, t), np.exp(-2 * t) * iv(0, t), rtol=1e-12)


def test_erf_network_solves() -> None:
    s = solve_classical_dmft(ClassicalParams(2.0, phi="erf"))
    assert s.converged and 1.5 < s.delta0 < 3.0


def test_solver_rejects_input_and_bad_grid() -> None:
    with pytest.raises(ParameterError, match="I"):
        solve_classical_dmft(ClassicalParams(2.0, I=0.1))
    with pytest.raises(ParameterError, match="tau_max"):
        solve_classical_dmft(ClassicalParams(2.0), tau_max=-1)
    with pytest.raises(ParameterError, match="g"):
        quiescent_decay(0.0, np.array([1.0]))


# ------------------------------------------------------------------ fast solver (energy integral)
import mpmath as mp  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from theory.errors import ConvergenceError  # noqa: E402
from theory.gating.classical.dmft import (  # noqa: E402
    MAX_GAIN,
    ClassicalSolver,
    Separatrix,
    classical_dmft_sweep,
)


def _mp_moments(d0: float) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """Var Phi, <phi^2>, <phi'> for tanh at variance d0 by mpmath (30 digits), split at the kinks."""
    with mp.workdps(30):
        s = mp.sqrt(mp.mpf(d0))
        pts = [-mp.inf, -10, -1 / s, 0, 1 / s, 10, mp.inf]

        def E(f):  # noqa: ANN001, ANN202
            return mp.quad(lambda u: f(s * u) * mp.npdf(u), pts)

        m1 = E(lambda x: mp.log(mp.cosh(x)))
        m2 = E(lambda x: mp.log(mp.cosh(x)) ** 2)
        return m2 - m1**2, E(lambda x: mp.tanh(x) ** 2), E(lambda x: mp.sech(x) ** 2)


@pytest.mark.parametrize("g", [1.001, 1.5, 2.0, 3.0, 10.0, 100.0, 1000.0])
def test_fast_solver_against_mpmath(g: float) -> None:
    """Delta0, <xdot^2> and tau_R at 1e-12 relative against 30-digit quadrature, up to g = 1000."""
    s = solve_classical_dmft(ClassicalParams(g))
    assert s.converged and s.residual < 1e-13
    varPhi, phi2, dphi = _mp_moments(s.delta0)
    d0 = mp.mpf(s.delta0)
    gap = (-(d0**2) / 2 + g**2 * varPhi) / d0**2  # relative energy gap at the returned Delta0
    # dh/dlogDelta0 ~ -1/2 at large g, ~-Delta0 near onset: |gap| <= 1e-13 means Delta0 to ~1e-12
    assert abs(float(gap)) < 1e-13 * max(1.0, 1.0 / s.delta0) * 5
    assert s.kinetic == pytest.approx(float(g**2 * phi2 - d0), rel=1e-11)
    assert s.tau_R == pytest.approx(float(1 / mp.sqrt(1 - g**2 * dphi**2)), rel=1e-9)


@pytest.mark.parametrize("g", [1.001, 1.5, 2.0, 3.0])
def test_energy_integral_against_ode_method(g: float) -> None:
    """Delta(tau) from the energy integral vs the DOP853 integration (rtol 1e-11, tail 1e-3 Delta0)."""
    fast = solve_classical_dmft(ClassicalParams(g))
    ode = solve_classical_dmft(ClassicalParams(g), method="ode")
    assert fast.delta0 == pytest.approx(ode.delta0, rel=1e-11)
    # the ODE path's error: rtol 1e-11 over ~700 steps plus its tail switch: measured <= 1e-10 Delta0
    np.testing.assert_allclose(fast.delta, ode.delta, rtol=0, atol=3e-10 * fast.delta0)


@pytest.mark.parametrize("g", [2.0, 10.0, 100.0, 1000.0])
def test_separatrix_self_convergence_and_energy(g: float) -> None:
    """32 vs 48 Chebyshev nodes per panel agree to 1e-12 Delta0; the trajectory conserves energy."""
    s = solve_classical_dmft(ClassicalParams(g))
    sep = s.separatrix
    fine = Separatrix(ClassicalSolver.for_phi("tanh"), s.delta0, g, n=48)
    tau = np.linspace(0.0, 40.0, 801)
    np.testing.assert_allclose(sep.delta(tau), fine.delta(tau), rtol=0, atol=1e-12 * s.delta0)
    # 1/2 Delta'^2 = E(Delta): centred differences at step h have error Delta''' h^2 / 6
    h = 1e-4 / g
    t = np.array([0.3, 1.0, 3.0, 8.0]) / np.sqrt(s.kinetic / s.delta0)
    dd = (sep.delta(t + h) - sep.delta(t - h)) / (2 * h)
    np.testing.assert_allclose(0.5 * dd**2, sep.energy(sep.delta(t)), rtol=1e-6)
    # tau(Delta(tau)) = tau
    d = sep.delta(tau[1:])
    np.testing.assert_allclose(sep.tau_of(d), tau[1:], rtol=0, atol=1e-11)
    assert abs(sep.gap) < 1e-13 * s.delta0**2  # the tabulation reproduces V(Delta0) = V(0)
    assert sep.tau_R == pytest.approx(s.tau_R, rel=1e-11)


def test_sweep_matches_single_solves_and_quiescent_phase() -> None:
    g = np.array([0.3, 1.0, 1.0001, 1.01, 1.7, 4.0, 55.0, 1000.0])
    sw = classical_dmft_sweep(g)
    assert list(sw.chaotic) == [False, False, True, True, True, True, True, True]
    assert np.all(sw.converged)
    for i, gi in enumerate(g):
        s = solve_classical_dmft(ClassicalParams(float(gi)))
        assert s.delta0 == pytest.approx(sw.delta0[i], rel=1e-13, abs=0)
    assert sw.delta0[0] == sw.delta0[1] == 0.0 and np.isinf(sw.tau_R[0])
    q = sw.solution(0)
    assert not q.chaotic and np.all(q.delta == 0)
    # near-critical expansion g^2 = 1 + 2 Delta0 + O(Delta0^2)
    assert sw.delta0[2] == pytest.approx((g[2] ** 2 - 1) / 2, rel=2e-4)


def test_solver_domain_and_determinism() -> None:
    with pytest.raises(ParameterError, match="g"):
        solve_classical_dmft(ClassicalParams(MAX_GAIN * 1.01))
    with pytest.raises(ParameterError, match="g"):
        classical_dmft_sweep([2.0, np.nan])
    with pytest.raises(ParameterError, match="method"):
        solve_classical_dmft(ClassicalParams(2.0), method="rk45")
    with pytest.raises(ParameterError, match="dtau"):
        solve_classical_dmft(ClassicalParams(2.0), tau_max=1e3, dtau=1e-6)
    a = solve_classical_dmft(ClassicalParams(2.5))
    b = solve_classical_dmft(ClassicalParams(2.5))
    assert a.delta0 == b.delta0 and np.array_equal(a.delta, b.delta)


def test_erf_network_fast_against_ode() -> None:
    fast = solve_classical_dmft(ClassicalParams(2.0, phi="erf"))
    ode = solve_classical_dmft(ClassicalParams(2.0, phi="erf"), method="ode")
    assert fast.delta0 == pytest.approx(ode.delta0, rel=1e-12)
    np.testing.assert_allclose(fast.delta, ode.delta, rtol=0, atol=3e-10 * fast.delta0)


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=1e-3, max_value=MAX_GAIN, allow_nan=False))
def test_contract_over_the_gain_domain(gain: float) -> None:
    """Finite results, honest flags, quiescent below onset, over (0, 1e3]."""
    try:
        s = solve_classical_dmft(ClassicalParams(gain))
    except ConvergenceError:  # allowed by the contract, never observed
        raise
    assert np.isfinite(s.delta0) and np.isfinite(s.kinetic) and s.residual >= 0
    if gain <= 1.0:
        assert s.delta0 == 0.0 and not s.chaotic
        return
    assert s.converged and s.residual < 1e-10 and s.delta0 > 0 and s.tau_R > 0
    lags = np.array([0.0, 0.5, 5.0, 50.0])
    d = s.delta_at(lags)
    assert np.all(np.isfinite(d)) and np.all(np.diff(d) <= 0) and d[0] == pytest.approx(s.delta0)


def test_quiescent_decay_stays_finite_at_long_times_and_validates_times() -> None:
    """e^{-2t} I0(2gt): the closed form overflows at 2gt > 700; the scaled form agrees where
    both are finite (t = 349 vs 351 straddle the switch at g = 0.9: the ratio follows the
    asymptote e^{-2(1-g)dt}·sqrt(t/(t+dt)) to 1e-3) and is finite (→ 0) at t = 1e4."""
    import math

    from theory.errors import ParameterError
    from theory.gating.classical.dmft import quiescent_decay

    q = quiescent_decay(0.9, np.array([349.0, 351.0, 1e4]))
    assert np.all(np.isfinite(q)) and q[2] == 0.0
    expected = math.exp(-2 * 0.1 * 2.0) * math.sqrt(349.0 / 351.0)
    assert q[1] / q[0] == pytest.approx(expected, rel=1e-3)
    with pytest.raises(ParameterError):
        quiescent_decay(0.9, np.array([float("nan")]))
    with pytest.raises(ParameterError):
        quiescent_decay(0.9, np.array([-1.0]))


# ---------------------------------------------------------------------------- near the onset
def _onset_ratios(eps: float) -> tuple[np.ndarray, float]:
    """Δ0, τ_R, ⟨ẋ²⟩, λ_max over their leading-order asymptotes at g = 1 + ε (tanh).

    Leading order (g² − 1 = 2Δ0 at the onset, the cubic potential of the derivation's onset
    step): Δ0 = ε, τ_R⁻² = Δ0²/3, ⟨ẋ²⟩ = Δ0³/3, Δ(τ) = Δ0 sech(τ/τ_R) and, from the
    Pöschl–Teller ground state E0 = −3/τ_R², λ_max = ε²/2.
    """
    s = solve_classical_dmft(ClassicalParams(1.0 + eps), xtol=1e-14)
    e = (1.0 + eps) - 1.0  # the float's own ε
    assert s.converged and s.chaotic
    ly = s.lyapunov()
    lam = ly.value
    r = np.array([s.delta0 / e, s.tau_R * e / np.sqrt(3), 3 * s.kinetic / e**3, 2 * lam / e**2])
    return r, ly.discretisation_error / lam


def test_onset_scaling_is_solved_down_to_rounding() -> None:
    """g = 1 + ε down to ε = 1e-15 (was a ConvergenceError below 1e-8: F' = O(ε²) is below the
    rounding of 1 − g²C_φ'). Each quantity is q0(ε)(1 + a ε + O(ε²)); a is measured at ε = 1e-5,
    where the onset form agrees with the unscaled energy integral (next test), and differs from
    a(0) by ≈ 1e-5·|a'| ≤ 1e-4 (|a'| ≤ 15 measured over ε = 1e-3 … 1e-5). So at smaller ε the
    prediction 1 + aε holds to 1e-3·ε plus the root tolerance: Δ0 to xtol = 1e-14 relative,
    so ⟨ẋ²⟩ ∝ Δ0³ to 3e-14; λ_max to its discretisation and eigenvalue rounding errors."""
    e0 = (1.0 + 1e-5) - 1.0
    a = (_onset_ratios(1e-5)[0] - 1.0) / e0
    for eps in (1e-7, 1e-9, 1e-12, 1e-15):
        e = (1.0 + eps) - 1.0
        r, lam_err = _onset_ratios(eps)
        # λ_max also carries its discretisation error (order 16 vs 12; ≈ 6e-14 here) and the
        # eigenvalue's rounding ε_mach·‖H‖/|E0|, ‖H‖/|E0| ≈ order⁴ = 6.6e4 for any ε (scale-free)
        tol = 1e-3 * e + 3e-14 + np.array([0.0, 0.0, 0.0, 2 * lam_err + 6.6e4 * 2.2e-16])
        dev = np.abs(r - (1.0 + a * e))
        assert np.all(dev <= tol), (eps, dev, tol)
    # the shape: Δ/Δ0 = sech(τ/τ_R) + O(ε²) (0.41 ε² measured at ε = 1e-3 … 1e-5), to the
    # separatrix's stated accuracy of 1e-11·Δ0 (measured 2e-14·Δ0 here)
    s = solve_classical_dmft(ClassicalParams(1.0 + 1e-9))
    t = np.linspace(0.0, 20.0 * s.tau_R, 401)
    np.testing.assert_allclose(
        s.delta_at(t) / s.delta0, 1.0 / np.cosh(t / s.tau_R), rtol=0, atol=1e-11
    )


@pytest.mark.parametrize("phi", ["tanh", "erf"])
@pytest.mark.parametrize("eps", [1e-3, 2.5e-3])
def test_onset_separatrix_equals_energy_integral(phi: str, eps: float) -> None:
    """At Δ0 ≈ 1e-3 both forms are accurate: the unscaled one to ≈ 1e-16/Δ0² relative (F' is
    a difference of O(1) numbers, measured 8e-11), the scaled one to rounding; they agree."""
    from theory.gating.classical.dmft import OnsetSeparatrix

    th = ClassicalSolver.for_phi(phi)
    g = 1.0 + eps
    sw = classical_dmft_sweep([g], phi, xtol=1e-15)
    d0, h = float(sw.delta0[0]), float(sw.residual[0])
    a, b = Separatrix(th, d0, g), OnsetSeparatrix(th, d0, g)
    tau = np.linspace(0.0, 30.0 * a.tau_R, 301)
    np.testing.assert_allclose(b.delta(tau), a.delta(tau), rtol=0, atol=1e-9 * d0)
    assert b.tau_R == pytest.approx(a.tau_R, rel=1e-9)
    dd = np.linspace(0.05, 1.0, 20) * d0
    # F' = 1 − g²C_φ' unscaled: absolute error a few ulp of 1 plus the quadrature's 1e-15; the
    # scaled form is F' − 2h, h the energy gap at the float Δ0 (≈ 1e-13 for erf at Δ0 = 3e-3,
    # the floor of its sinh-rule means; the root path stops there)
    np.testing.assert_allclose(
        b.stiffness_curve(dd), a.stiffness_curve(dd), rtol=0, atol=1e-14 + 4 * h
    )
    np.testing.assert_allclose(b.tau_of(dd), a.tau_of(dd), rtol=1e-9, atol=1e-12 * a.tau_R)


@settings(max_examples=20, deadline=None)
@given(st.floats(min_value=-15.0, max_value=-2.0))
def test_contract_near_the_onset(log_eps: float) -> None:
    """g = 1 + 10^x, x ∈ [−15, −2]: converged, finite, monotone Δ(τ), positive λ_max."""
    g = 1.0 + 10.0**log_eps
    s = solve_classical_dmft(ClassicalParams(g))
    assert s.converged and s.chaotic and s.delta0 > 0 and np.isfinite(s.tau_R) and s.tau_R > 0
    d = s.delta_at(np.array([0.0, 0.5, 5.0, 50.0]) * s.tau_R)
    assert np.all(np.isfinite(d)) and np.all(np.diff(d) < 0) and d[0] == pytest.approx(s.delta0)
    lam = s.lyapunov()
    assert np.isfinite(lam.value) and lam.value > 0 and lam.discretisation_error < 1e-8 * lam.value


def test_delta0_in_one_evaluation_alone_or_in_a_sweep() -> None:
    """The guess table is within the default xtol over the domain (one evaluation of h, h' per
    gain above g_c + 1e-3); a gain gives the same bits alone or in a sweep; a tighter xtol takes
    one Newton step more and moves Delta0 by less than the table's error (3.3e-13 measured)."""
    gs = np.geomspace(1.002, MAX_GAIN, 60)
    sw = classical_dmft_sweep(gs)
    assert np.all(sw.iterations == 1) and np.all(sw.converged)
    alone = np.array([classical_dmft_sweep([g]).delta0[0] for g in gs[::7]])
    np.testing.assert_array_equal(alone, sw.delta0[::7])
    tight = classical_dmft_sweep(gs, xtol=1e-15)
    np.testing.assert_allclose(tight.delta0, sw.delta0, rtol=1e-12, atol=0)
