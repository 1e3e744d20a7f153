"""RTRL recursions derived by SymPy: compiled vs hand formula and vs finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from theory.kernel_limit.memory import memory_on_history
from theory.kernel_limit.model import KernelLimitParams
from theory.kernel_limit.rtrl import RTRL, rtrl_derivation


@pytest.mark.parametrize("phi", ["tanh", "erf", "sigmoid", "linear"])
def test_compiled_step_vs_hand(phi: str) -> None:
    rng = np.random.default_rng(0)
    x, S, GW, GB, Gb, W, B, b = rng.uniform(-1, 1, (8, 20))
    p = KernelLimitParams(phi=phi, b_max=0.5)
    Sn, gW, gB, gb = RTRL.for_phi(phi).step(x, S, GW, GB, Gb, W, B, b)
    u = W * x + B * S + b
    ds = p.dsigma(u)
    np.testing.assert_allclose(Sn, p.sigma(u), atol=1e-14)
    np.testing.assert_allclose(gW, ds * (x + B * GW), atol=1e-14)
    np.testing.assert_allclose(gB, ds * (S + B * GB), atol=1e-14)
    np.testing.assert_allclose(gb, ds * (1 + B * Gb), atol=1e-14)
    _, tW, tB, tb = RTRL.for_phi(phi, True).step(x, S, GW, GB, Gb, W, B, b)
    np.testing.assert_allclose(tW, ds * x, atol=1e-14)
    np.testing.assert_allclose(tB, ds * S, atol=1e-14)


def test_forward_derivative_is_exact_gradient() -> None:
    """G along a history equals the finite-difference derivative of the memory (exact RTRL)."""
    p = KernelLimitParams()
    hist = np.array([1.0, -1.0, 0.0, 1.0, 1.0, -1.0])
    W, B, b = np.array([0.7]), np.array([0.4]), np.array([-0.2])
    _, G = memory_on_history(p, hist, W, B, b)
    h = 1e-6
    for k, (dW, dB, db) in enumerate([(h, 0, 0), (0, h, 0), (0, 0, h)]):
        Sp, _ = memory_on_history(p, hist, W + dW, B + dB, b + db)
        Sm, _ = memory_on_history(p, hist, W - dW, B - dB, b - db)
        assert G[k, 0] == pytest.approx(((Sp - Sm) / (2 * h))[0], abs=1e-8)


def test_derivation_renders() -> None:
    d = rtrl_derivation()
    assert d.name == "kernel_limit_rtrl"
    assert "forward_W" in d.step_names()
    assert "G_{W" in d.latex()
