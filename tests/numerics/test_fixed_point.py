"""Anderson mixing: converges where plain damping is slow, honest flags, safeguards."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.numerics.fixed_point import anderson_solve


def _linear_map(n: int = 30, rho: float = 0.98, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = Q @ np.diag(np.linspace(-rho, rho, n)) @ Q.T
    b = rng.standard_normal(n)
    x_star = np.linalg.solve(np.eye(n) - A, b)
    return (lambda x: A @ x + b), x_star


def test_anderson_beats_damping_on_a_slowly_contracting_map() -> None:
    F, x_star = _linear_map()
    plain = anderson_solve(F, np.zeros(30), damping=1.0, depth=0, tol=1e-10, max_iter=5000)
    aa = anderson_solve(F, np.zeros(30), damping=1.0, depth=5, tol=1e-10, max_iter=5000)
    assert plain.converged and aa.converged
    assert np.max(np.abs(aa.x - x_star)) < 1e-8
    assert aa.iterations < plain.iterations / 5


def test_nonlinear_fixed_point_and_history() -> None:
    res = anderson_solve(np.cos, np.array([0.0]), damping=0.5, depth=3, tol=1e-13)
    assert res.converged and abs(res.x[0] - 0.7390851332151607) < 1e-12
    assert len(res.history) == res.iterations and res.history[-1] == res.residual


def test_not_converged_is_flagged_with_its_residual() -> None:
    F, _ = _linear_map(rho=0.999)
    res = anderson_solve(F, np.zeros(30), damping=0.1, depth=0, tol=1e-12, max_iter=5)
    assert not res.converged and res.iterations == 5 and res.residual > 1e-12


def test_nan_map_stops_with_infinite_residual() -> None:
    res = anderson_solve(lambda x: x + np.nan, np.ones(3), max_iter=10)
    assert not res.converged and res.residual == np.inf and res.iterations == 1


def test_safeguard_rejects_extrapolation_and_projection_applies() -> None:
    F, _ = _linear_map()
    res = anderson_solve(F, np.zeros(30), depth=5, accept=lambda new, safe: False, max_iter=3000)
    assert res.restarts > 0 and res.converged  # every extrapolation rejected: plain damping
    clipped = anderson_solve(
        lambda x: 2 * x + 1, np.zeros(1), depth=0, project=lambda x: np.minimum(x, 0.25), max_iter=3
    )
    assert clipped.x[0] <= 0.25 and not clipped.converged


@pytest.mark.parametrize("kw", [{"damping": 0.0}, {"depth": -1}, {"tol": 0.0}, {"max_iter": 0}])
def test_invalid_settings(kw: dict) -> None:
    with pytest.raises(ParameterError):
        anderson_solve(np.cos, np.zeros(1), **kw)
