"""Gradient flow of the diagonal model: descent, events, validation."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.linear_memory import kernels as K
from theory.linear_memory.gradient_flow import FlowResult, gradient_flow
from theory.linear_memory.loss import diagonal_loss
from theory.linear_memory.model import DiagonalRNN

TARGET = K.exponential_sum([1.0, 0.5], [1.0, 0.3])
START = DiagonalRNN([0.5, 0.1], [2.0, 0.5])


def test_flow_descends_and_its_end_is_nearly_stationary() -> None:
    lo = diagonal_loss(TARGET)
    f = gradient_flow(lo, START, 200.0, n_out=50)
    assert isinstance(f, FlowResult) and f.converged
    assert f.tau[0] == 0.0 and f.tau[-1] == pytest.approx(200.0)
    assert np.all(np.diff(f.loss) <= 1e-14)  # a gradient flow never increases J
    assert f.loss[-1] < 1e-3 * f.loss[0]
    np.testing.assert_allclose(f.theta[0], START.params)
    # the reported losses are the compiled J along the trajectory
    assert f.loss[-1] == pytest.approx(lo.value(f.final.a, f.final.w), rel=1e-12)
    _, g0 = lo.value_and_grad(START.params)
    _, g1 = lo.value_and_grad(f.final.params)
    assert np.linalg.norm(g1) < 1e-2 * np.linalg.norm(g0)


def test_level_event_stops_at_the_crossing() -> None:
    lo = diagonal_loss(TARGET)
    f = gradient_flow(lo, START, 200.0, n_out=50, level=0.01)
    assert f.tau_exit == f.tau[-1] < 200.0
    assert f.loss[-1] == pytest.approx(0.01, rel=1e-6)
    assert np.all(f.loss[:-1] >= 0.01)
    go_on = gradient_flow(lo, START, 200.0, n_out=50, level=0.01, stop_at_level=False)
    assert go_on.tau_exit == pytest.approx(f.tau_exit, rel=1e-8)
    assert go_on.tau[-1] == pytest.approx(200.0)


def test_invalid_horizon() -> None:
    lo = diagonal_loss(TARGET)
    with pytest.raises(ParameterError, match="tau_max"):
        gradient_flow(lo, START, -1.0)
    with pytest.raises(ParameterError, match="n_out"):
        gradient_flow(lo, START, 1.0, n_out=1)
