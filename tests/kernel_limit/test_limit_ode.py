"""The limit ODE: compiled SymPy mode solution, eigendecomposition vs expm_multiply, the equation."""

from __future__ import annotations

import numpy as np
import pytest

from theory.kernel_limit.kernel import kernel_quadrature
from theory.kernel_limit.limit_ode import LimitODE, limit_ode_derivation, mode_solution
from theory.kernel_limit.model import KernelLimitParams, example_task
from theory.markov.histories import HistoryChain


@pytest.fixture(scope="module")
def setup() -> tuple:
    task = example_task()
    hc = HistoryChain(task.chain, 3)
    A = kernel_quadrature(KernelLimitParams(), hc)
    return hc, A, task.y(hc.values)


def test_mode_solution_hand() -> None:
    t, a, lam, y = 0.7, 1.3, 0.4, -2.0
    assert float(mode_solution()(t, a, lam, y)) == pytest.approx(
        y * (1 - np.exp(-a * lam * t)), rel=1e-14
    )


def test_ode_eigh_vs_expm_and_equation(setup: tuple) -> None:
    hc, A, y = setup
    ode = LimitODE(A, hc.Pi, y, 1.0)
    ode2 = LimitODE(A, hc.Pi, y, 1.0, method="expm")
    for t in (0.0, 0.3, 2.0):
        np.testing.assert_allclose(ode.g(t), ode2.g(t), atol=1e-12)
    h = 1e-5
    dg = (ode.g(1.0 + h) - ode.g(1.0 - h)) / (2 * h)
    np.testing.assert_allclose(dg, A @ (hc.Pi * (y - ode.g(1.0))), atol=1e-8)
    assert np.allclose(ode.g(0.0), 0.0)


def test_bad_ode_inputs(setup: tuple) -> None:
    hc, A, y = setup
    from theory.errors import ParameterError

    with pytest.raises(ParameterError, match="alpha"):
        LimitODE(A, hc.Pi, y, 0.0)
    with pytest.raises(ParameterError, match="Pi"):
        LimitODE(A, -hc.Pi, y, 1.0)


def test_propagator_and_spectrum(setup: tuple) -> None:
    import scipy.linalg as sl

    hc, A, y = setup
    ode = LimitODE(A, hc.Pi, y, 1.3)
    KD = A * hc.Pi[None, :]
    np.testing.assert_allclose(ode.propagator(0.7), sl.expm(-1.3 * 0.7 * KD), atol=1e-12)
    lam = ode.eigenvalues
    assert np.all(lam >= 0) and np.all(np.diff(lam) >= 0)
    np.testing.assert_allclose(lam, np.sort(np.linalg.eigvals(KD).real), atol=1e-10)
    # g_t = (I - e^{-αtKD}) y
    np.testing.assert_allclose(ode.g(0.7), y - ode.propagator(0.7) @ y, atol=1e-12)
    assert ode.g(np.array([0.1, 0.2])).shape == (2, hc.H)


def test_derivation_solves_the_mode_equation() -> None:
    d = limit_ode_derivation()
    assert d.name == "kernel_limit_ode"
    assert "mode_solution" in d.step_names()
    assert "arXiv 2308.14555" in d.citation()
