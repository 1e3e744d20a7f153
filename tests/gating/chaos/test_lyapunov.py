"""Lyapunov exponents of finite networks: QR vs exact linear rates, two-trajectory vs QR, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.chaos.jacobian import jacobian_matrix
from theory.gating.chaos.lyapunov import lyapunov_spectrum, max_lyapunov_two_trajectory
from theory.gating.model import GatedNetwork, GatedParams


def test_qr_equals_linear_rates_near_stable_zero_state():
    """Near the stable zero state the flow is linear: QR exponents = real parts of the top eigenvalues."""
    p = GatedParams(g_h=1.2, alpha_z=3.0, alpha_r=2.0)
    N = 40
    net = GatedNetwork.sample(p, N, np.random.default_rng(0))
    ev = np.linalg.eigvals(jacobian_matrix(net, np.zeros((3, N))))
    res = lyapunov_spectrum(
        net, 3, T=400.0, transient=20.0, rng=np.random.default_rng(1), x0=np.zeros((3, N)), dt=0.1
    )
    top = np.sort(ev.real)[::-1]
    # a complex pair counts twice (equal real parts)
    np.testing.assert_allclose(res.exponents[0], top[0], atol=3e-3)


def test_too_many_exponents_and_bad_times():
    net = GatedNetwork.sample(GatedParams(g_h=2.0), 5, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="3N = 15"):
        lyapunov_spectrum(net, 16, T=10, transient=0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError):
        lyapunov_spectrum(net, 0, T=10, transient=0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError):
        lyapunov_spectrum(net, 2, T=10, transient=-1, rng=np.random.default_rng(0))
    x0 = np.zeros((3, 5))
    x0[1, 1] = np.nan
    with pytest.raises(ParameterError):
        lyapunov_spectrum(net, 2, T=10, transient=0, rng=np.random.default_rng(0), x0=x0)


def test_two_trajectory_agrees_with_qr_on_one_network():
    p = GatedParams(g_h=3.0, alpha_r=5.0)
    net = GatedNetwork.sample(p, 80, np.random.default_rng(3))
    qr = lyapunov_spectrum(net, 1, T=100.0, transient=30.0, rng=np.random.default_rng(4), dt=0.1)
    tt = max_lyapunov_two_trajectory(
        net, T=100.0, transient=30.0, rng=np.random.default_rng(4), dt=0.1
    )
    assert abs(qr.exponents[0] - tt.value) < 6 * np.hypot(qr.sem[0], tt.sem) + 0.02


@pytest.mark.slow
def test_qr_table_alpha_z_compression():
    """gating-derivations 5.2 (N=300, g_h=4): lambda_1 falls with alpha_z (0.053, 0.018, 0.014)."""
    vals = []
    for az in (0.0, 15.0):
        net = GatedNetwork.sample(GatedParams(g_h=4.0, alpha_z=az), 200, np.random.default_rng(0))
        vals.append(
            lyapunov_spectrum(
                net, 10, T=200.0, transient=50.0, rng=np.random.default_rng(1), dt=0.1
            ).exponents
        )
    assert np.sum(vals[1] > -0.01) > np.sum(vals[0] > -0.01)


def test_float32_products_agree_with_float64():
    """Same error model as the classical test: ~1e-7 rounding per step, amplified at most by
    exp(lambda_1 (T + transient)) < e^10, so agreement to 2e-3 at worst (measured: ~1e-7); the
    float32 field must also stay float32 (no silent float64 copy of J per stage)."""
    from theory.gating.chaos.lyapunov import _packed_field, _Stack, lyapunov_spectra

    nets = [GatedNetwork.sample(GatedParams(g_h=4.0), 80, np.random.default_rng(s)) for s in (0, 1)]
    kw = dict(T=40.0, transient=10.0, dt=0.1)
    r64 = lyapunov_spectra(nets, 2, rng=np.random.default_rng(2), **kw)
    r32 = lyapunov_spectra(nets, 2, rng=np.random.default_rng(2), dtype=np.float32, **kw)
    assert max(r.exponents[0] for r in r64) > 0.01
    for a, b in zip(r32, r64, strict=True):
        np.testing.assert_allclose(a.exponents, b.exponents, rtol=0, atol=2e-3)
    Y = np.full((2, 3, 80, 3), 0.1, dtype=np.float32)
    assert _packed_field(_Stack.of(nets, np.float32))(Y).dtype == np.float32
    with pytest.raises(ParameterError, match="dtype"):
        lyapunov_spectra(
            nets, 1, T=10.0, transient=0.0, rng=np.random.default_rng(0), dtype=np.int64
        )


def test_cache_groups_give_the_batched_exponents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gated networks in cache-sized groups: k = 1 bit for bit as one batch, k > 1 to rounding."""
    import theory.numerics.lyapunov as nl
    from theory.gating.chaos.lyapunov import lyapunov_spectra

    nets = [
        GatedNetwork.sample(GatedParams(g_h=4.0), 40, np.random.default_rng(s)) for s in (0, 1, 2)
    ]
    kw = dict(T=30.0, transient=10.0, dt=0.1)
    one = lyapunov_spectra(nets, 1, rng=np.random.default_rng(2), **kw)
    four = lyapunov_spectra(nets, 4, rng=np.random.default_rng(2), **kw)
    monkeypatch.setattr(nl, "CACHE_BYTES", 3 * 40 * 40 * 8)  # one network per group
    one_g = lyapunov_spectra(nets, 1, rng=np.random.default_rng(2), **kw)
    four_g = lyapunov_spectra(nets, 4, rng=np.random.default_rng(2), **kw)
    for a, b in zip(one, one_g, strict=True):
        np.testing.assert_array_equal(a.exponents, b.exponents)
    for a, b in zip(four, four_g, strict=True):
        np.testing.assert_allclose(a.exponents, b.exponents, rtol=0, atol=1e-9)
