"""The Runge–Kutta engine: convergence orders fitted over step sizes, tuples, k1 reuse, stability."""

from __future__ import annotations

import numpy as np
import pytest

from theory.checks import fit_power_law
from theory.errors import ParameterError
from theory.numerics.integrate import (
    EULER,
    HEUN,
    METHODS,
    MIDPOINT,
    RK4,
    ButcherTableau,
    get_method,
    rk_step,
)


def _pendulum(y: np.ndarray) -> np.ndarray:
    """A nonlinear test problem, y = (q, p), q' = p, p' = −sin q."""
    return np.array([y[1], -np.sin(y[0])])


def _reference(T: float) -> np.ndarray:
    from scipy.integrate import solve_ivp

    sol = solve_ivp(
        lambda t, y: _pendulum(y), (0, T), [1.0, 0.0], rtol=1e-13, atol=1e-14, method="DOP853"
    )
    return sol.y[:, -1]


@pytest.mark.parametrize("method", list(METHODS.values()), ids=list(METHODS))
def test_convergence_order_fitted_over_five_step_sizes(method: ButcherTableau) -> None:
    T = 2.0
    ref = _reference(T)
    ns = np.array([20, 40, 80, 160, 320])
    errs = []
    for n in ns:
        y = np.array([1.0, 0.0])
        for _ in range(n):
            y = rk_step(_pendulum, y, T / n, method=method)
        errs.append(np.max(np.abs(y - ref)))
    p, _c, se = fit_power_law(T / ns, errs)
    # global error C·dt^p(1 + O(dt)): the fitted slope over a factor 16 in dt is within 0.15 of p
    assert abs(p - method.order) < 0.15, (method.name, p, se)


def test_non_autonomous_and_tuple_states() -> None:
    # y' = cos t (y(0) = 0 -> sin t) together with a frame z' = −z, advanced as one tuple state
    def f(t: float, y: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return np.cos(t) * np.ones_like(y[0]), -y[1]

    y = (np.zeros(3), np.ones((3, 2)))
    n, T = 200, 1.0
    for k in range(n):
        y = rk_step(f, y, T / n, t=k * T / n)
    assert np.allclose(y[0], np.sin(1.0), atol=1e-10)
    assert np.allclose(y[1], np.exp(-1.0), atol=1e-10)


def test_k1_is_reused_not_recomputed() -> None:
    calls = []

    def f(y: np.ndarray) -> np.ndarray:
        calls.append(1)
        return -y

    y0 = np.ones(2)
    full = rk_step(f, y0, 0.1)
    assert len(calls) == 4
    calls.clear()
    reused = rk_step(f, y0, 0.1, k1=-y0)
    assert len(calls) == 3 and np.array_equal(full, reused)


def test_backward_step_inverts_forward_to_order() -> None:
    y0 = np.array([0.3, -0.2])
    y1 = rk_step(_pendulum, y0, 0.01)
    back = rk_step(_pendulum, y1, -0.01)
    assert np.max(np.abs(back - y0)) < 1e-11  # O(dt^5) local error


def test_stability_limits_on_the_negative_real_axis() -> None:
    assert EULER.real_stability_limit == pytest.approx(2.0, abs=1e-9)
    assert HEUN.real_stability_limit == pytest.approx(2.0, abs=1e-9)
    assert MIDPOINT.real_stability_limit == pytest.approx(2.0, abs=1e-9)
    assert RK4.real_stability_limit == pytest.approx(2.785293563, abs=1e-8)
    # just inside the limit a decaying mode decays, just beyond it grows
    for m in METHODS.values():
        lam = -1.0
        for x, grows in (
            (0.99 * m.real_stability_limit, False),
            (1.01 * m.real_stability_limit, True),
        ):
            y = np.array([1.0])
            for _ in range(400):
                y = rk_step(lambda v, lam=lam: lam * v, y, x, method=m)
            assert (abs(y[0]) > 1.0) == grows, (m.name, x)


def test_bad_method_and_tableau() -> None:
    with pytest.raises(ParameterError, match="method"):
        get_method("rk5")
    with pytest.raises(ParameterError):
        ButcherTableau("bad", ((),), (0.5,), (0.0,), 1)
    assert get_method("rk4") is RK4


def test_fused_rk4_path_agrees_with_the_tableau_path() -> None:
    from theory.numerics.integrate import ButcherTableau

    generic = ButcherTableau("rk4_generic", RK4.a, RK4.b, RK4.c, 4)  # not RK4 itself: no fast path
    rng = np.random.default_rng(5)
    A = rng.standard_normal((30, 30)) / np.sqrt(30)
    y = rng.standard_normal(30)

    def f(v: np.ndarray) -> np.ndarray:
        return -v + A @ np.tanh(v)

    fused = rk_step(f, y, 0.1)
    tab = rk_step(f, y, 0.1, method=generic)
    assert np.max(np.abs(fused - tab)) < 1e-14 * np.max(np.abs(y))
    g = rk_step(lambda t, v: np.cos(t) * v, y, 0.1, t=0.3)
    h = rk_step(lambda t, v: np.cos(t) * v, y, 0.1, t=0.3, method=generic)
    assert np.max(np.abs(g - h)) < 1e-14 * np.max(np.abs(y))
