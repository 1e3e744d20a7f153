"""Lyapunov spectra of the classical network: exact linear rates, sorting, the QR interval,
batching, and the exact mapping to the gated network with constant gates."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.classical.lyapunov import (
    classical_lyapunov_spectra,
    default_step,
    sample_couplings,
)
from theory.gating.classical.model import ClassicalParams


def test_linear_rates_at_the_quiescent_state() -> None:
    """At x = 0 (a fixed point, phi(0) = 0) the tangent flow is Q' = (-I + J)Q: the QR exponents
    are the real parts of the top eigenvalues of -I + J (a complex pair counts twice)."""
    p = ClassicalParams(0.8)
    N = 40
    J, _ = sample_couplings(p, N, 3)
    ev = np.sort(np.linalg.eigvals(J).real - 1.0)[::-1]
    # the network of seed 3 starts at x0 != 0; the zero state is reached from x0 = 0 only:
    res = classical_lyapunov_spectra(
        ClassicalParams(0.8, I=0.0), N, 4, seeds=[3], T=400.0, transient=0.0, dt=0.1
    )[0]
    # from x0 ~ N(0, 1) the state decays to 0 (g < 1), after which the rates are linear
    assert np.all(np.diff(res.exponents) <= 0)
    np.testing.assert_allclose(res.exponents, ev[:4], atol=0.01)


def test_sorted_batched_and_interval_independent() -> None:
    p = ClassicalParams(2.5)
    kw = dict(T=60.0, transient=20.0, dt=0.2)
    batch = classical_lyapunov_spectra(p, 60, 6, seeds=[1, 2], **kw)
    alone = classical_lyapunov_spectra(p, 60, 6, seeds=[2], **kw)[0]
    fixed = classical_lyapunov_spectra(p, 60, 6, seeds=[2], interval=0.2, **kw)[0]
    assert all(np.all(np.diff(r.exponents) <= 0) for r in batch)
    np.testing.assert_allclose(batch[1].exponents, alone.exponents, rtol=0, atol=1e-12)
    # QR every step vs the adaptive interval: the same exponents up to rounding
    np.testing.assert_allclose(fixed.exponents, alone.exponents, rtol=0, atol=1e-9)
    assert alone.n_qr < fixed.n_qr / 5


def test_cache_groups_give_the_batched_exponents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Networks integrated in cache-sized groups (one network per group here) give the exponents
    of one batch: bit for bit for k = 1, to rounding for k > 1 (the adaptive QR interval is set
    per group)."""
    import theory.numerics.lyapunov as nl

    p = ClassicalParams(2.5)
    kw = dict(T=40.0, transient=10.0, dt=0.2)
    one = classical_lyapunov_spectra(p, 50, 1, seeds=[1, 2, 3], **kw)
    six = classical_lyapunov_spectra(p, 50, 6, seeds=[1, 2, 3], **kw)
    monkeypatch.setattr(nl, "CACHE_BYTES", 50 * 50 * 8)  # one network per group
    one_g = classical_lyapunov_spectra(p, 50, 1, seeds=[1, 2, 3], **kw)
    six_g = classical_lyapunov_spectra(p, 50, 6, seeds=[1, 2, 3], **kw)
    for a, b in zip(one, one_g, strict=True):
        np.testing.assert_array_equal(a.exponents, b.exponents)
        assert a.seed == b.seed
    for a, b in zip(six, six_g, strict=True):
        np.testing.assert_allclose(a.exponents, b.exponents, rtol=0, atol=1e-9)


def test_gated_network_with_constant_gates_is_the_classical_network() -> None:
    """alpha_z = alpha_r = 0, convention A: h' = s_z(-h + s_r J_h tanh(g_h h)), i.e. with x = g_h h
    the classical network with J = g_h s_r J_h and time s_z t, so lambda_gated = s_z
    lambda_classical on the same couplings."""
    from theory.gating.chaos.lyapunov import lyapunov_spectrum
    from theory.gating.model import GatedNetwork, GatedParams

    gp = GatedParams(g_h=4.0)
    N = 120
    net = GatedNetwork.sample(gp, N, np.random.default_rng(0))
    s_z, s_r = gp.s_z, gp.s_r
    x0 = np.zeros((3, N))
    x0[0] = np.random.default_rng(5).standard_normal(N)
    dt_c = 0.1
    g_res = lyapunov_spectrum(
        net,
        1,
        T=200.0 / s_z,
        transient=40.0 / s_z,
        rng=np.random.default_rng(6),
        x0=x0,
        dt=dt_c / s_z,
    )
    # the classical network with the same couplings, through the same packed-field driver
    from theory.gating.classical import lyapunov as cl
    from theory.numerics.lyapunov import qr_lyapunov

    J = gp.g_h * s_r * net.J_h
    f = cl._field(J[None], np.tanh, cl.PHI_PRIME_NUMPY["tanh"], 0.0)  # noqa: SLF001
    Y = np.empty((1, N, 2))
    Y[0, :, 0] = gp.g_h * x0[0]
    Y[0, :, 1] = np.random.default_rng(7).standard_normal(N)
    Y[0, :, 1] /= np.linalg.norm(Y[0, :, 1])
    c_res = qr_lyapunov(f, Y, dt=dt_c, T=200.0, transient=40.0)
    # same discrete dynamics of h (RK4 is invariant under the time rescaling); the frames differ
    # at the start (z, r components, random directions) and align within the transient
    assert g_res.exponents[0] == pytest.approx(s_z * c_res.exponents[0, 0], abs=2e-3)


def test_default_step_and_bad_input() -> None:
    assert default_step("rk4", 1e-3) == pytest.approx(min(0.25, (1e-3 / 0.22) ** 0.25))
    assert default_step("rk4", 1e-5) == pytest.approx((1e-5 / 0.22) ** 0.25)
    assert default_step("euler", 1e-2) == pytest.approx(1e-2 / 0.24)
    p = ClassicalParams(2.0)
    with pytest.raises(ParameterError, match="k"):
        classical_lyapunov_spectra(p, 10, 11, seeds=[0], T=10.0, transient=0.0)
    with pytest.raises(ParameterError, match="dt"):
        classical_lyapunov_spectra(p, 10, 1, seeds=[0], T=10.0, transient=0.0, dt=2.0)
    with pytest.raises(ParameterError, match="n_blocks"):
        classical_lyapunov_spectra(p, 10, 1, seeds=[0], T=10.0, transient=0.0, n_blocks=1)


def test_float32_products_agree_with_float64() -> None:
    """float32 rounds each step at ~1e-7 relative; over T + transient = 50 the separation of the
    two trajectories grows at most as exp(lambda_1 t) < e^12 (lambda_1 < 0.24 at g = 3), so the
    states, and with them the exponents, agree to ~6e-8 * 2e5 ~ 1e-2 relative at worst, 2e-3
    absolute (measured: ~1e-7); a float32 path that loses a product or a term fails it."""
    p = ClassicalParams(3.0)
    kw = dict(T=40.0, transient=10.0, dt=0.25)
    r64 = classical_lyapunov_spectra(p, 80, 3, seeds=[2], **kw)[0]
    r32 = classical_lyapunov_spectra(p, 80, 3, seeds=[2], dtype=np.float32, **kw)[0]
    assert r64.exponents[0] > 0.02  # chaotic: the comparison is not between two zeros
    np.testing.assert_allclose(r32.exponents, r64.exponents, rtol=0, atol=2e-3)
    with pytest.raises(ParameterError, match="dtype"):
        classical_lyapunov_spectra(p, 10, 1, seeds=[0], T=10.0, transient=0.0, dtype=np.int64)
