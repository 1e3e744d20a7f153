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
