"""The packed QR driver: a linear system with known exponents, sorting, the adaptive interval."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.numerics.lyapunov import qr_lyapunov


def _linear(A: np.ndarray):  # noqa: ANN202
    def f(Y: np.ndarray) -> np.ndarray:
        return np.matmul(A, Y)

    return f


def test_linear_system_exponents_sorted_and_exact() -> None:
    """Y' = A Y with a normal A: exponents are the eigenvalues of (A + A^T)/2 = A, sorted."""
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    lam = np.array([0.3, -0.1, 0.05, -0.7, 0.2, -0.4])
    A = U @ np.diag(lam) @ U.T
    Y = np.zeros((2, 6, 5))
    Y[:, :, 0] = 1.0  # the "state" column grows too; irrelevant to the frame
    for b in range(2):
        Y[b, :, 1:] = np.linalg.qr(rng.standard_normal((6, 4)))[0]
    # the frame aligns with the eigenvectors like e^{-0.05 t} (smallest gap): 400 time units
    res = qr_lyapunov(_linear(A[None]), Y, dt=0.05, T=200.0, transient=400.0, max_interval=5.0)
    np.testing.assert_allclose(res.exponents, np.tile(np.sort(lam)[::-1][:4], (2, 1)), atol=1e-6)
    assert res.n_qr < 200.0 / 0.05 / 10  # the interval adapts to the spread of the rates


def test_driver_rejects_bad_input() -> None:
    f = _linear(np.eye(3)[None])
    Y = np.zeros((1, 3, 2))
    with pytest.raises(ParameterError):
        qr_lyapunov(f, Y, dt=0.0, T=1.0, transient=0.0)
    with pytest.raises(ParameterError):
        qr_lyapunov(f, np.zeros((1, 3)), dt=0.1, T=1.0, transient=0.0)
    Y[0, 0, 0] = np.nan
    with pytest.raises(ParameterError):
        qr_lyapunov(f, Y, dt=0.1, T=1.0, transient=0.0)


def test_cache_groups_balanced_and_bounded() -> None:
    """Groups cover 0..count in order, hold at most budget bytes (one oversized system alone),
    and differ in size by at most one."""
    from theory.numerics.lyapunov import cache_groups

    for count, each, budget in [(10, 1.5, 6.0), (8, 3.0, 6.0), (4, 12.0, 6.0), (7, 1.0, 100.0)]:
        gs = cache_groups(count, each, budget)
        sizes = [g.stop - g.start for g in gs]
        assert gs[0].start == 0 and gs[-1].stop == count
        assert all(a.stop == b.start for a, b in zip(gs, gs[1:], strict=False))
        assert max(sizes) - min(sizes) <= 1
        assert all(s == 1 or s * each <= budget for s in sizes)
    assert len(cache_groups(7, 1.0, 100.0)) == 1  # everything fits: one batch
    with pytest.raises(ParameterError):
        cache_groups(0, 1.0)
