"""Time series: FFT autocorrelation vs direct sums, circulant paths' covariance, batch means."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.numerics.timeseries import (
    autocorrelation_fft,
    batch_means,
    circulant_paths,
    even_extend,
    periodic_autocorrelation,
)


def test_autocorrelation_fft_matches_direct_sum() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 7))
    ac = autocorrelation_fft(x, 20, chunk=3)
    direct = [np.mean(np.sum(x[: 200 - k] * x[k:], axis=0) / (200 - k)) for k in range(21)]
    assert np.allclose(ac, direct, atol=1e-12)
    with pytest.raises(ParameterError):
        autocorrelation_fft(x, 300)
    with pytest.raises(ParameterError):
        autocorrelation_fft(x[:, 0], 3)


def test_periodic_autocorrelation_matches_circular_sum() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3))
    ac = periodic_autocorrelation(x, 5)
    direct = np.array(
        [[np.mean(x[:, j] * np.roll(x[:, j], -k)) for j in range(3)] for k in range(5)]
    )
    assert np.allclose(ac, direct, atol=1e-12)


def test_even_extend_is_even_and_periodic() -> None:
    half = np.arange(5.0)  # n = 8
    full = even_extend(half, 8)
    assert full.size == 8 and np.array_equal(full, [0, 1, 2, 3, 4, 3, 2, 1])


def test_circulant_paths_have_the_prescribed_covariance() -> None:
    n, M = 256, 4000
    tau = np.arange(n // 2 + 1) * 0.1
    cov = np.exp(-tau)  # Ornstein–Uhlenbeck: positive definite on the periodic grid
    x = circulant_paths(cov, n, M, np.random.default_rng(2))
    emp = periodic_autocorrelation(x, 6).mean(axis=1)
    # sampling error of a covariance estimate over n·M correlated samples: ~ 1/sqrt(M·n/tau_c) ~ 2e-3
    assert np.allclose(emp, cov[:6], atol=0.01)


def test_batch_means_error_is_calibrated_for_an_ar1_series() -> None:
    # AR(1) with phi = 0.9: Var(mean) = sigma^2/(1-phi)^2/n for long series
    rng = np.random.default_rng(3)
    zs = []
    for _ in range(200):
        e = rng.standard_normal(20_000)
        y = np.empty_like(e)
        y[0] = e[0] / np.sqrt(1 - 0.81)
        for k in range(1, y.size):
            y[k] = 0.9 * y[k - 1] + e[k]
        m, se = batch_means(y, 20)
        zs.append(m / se)
    # z-scores of a calibrated error bar have unit variance: over 200 series, sd within ±0.15
    assert 0.85 < np.std(zs) < 1.2
    with pytest.raises(ParameterError):
        batch_means(np.ones(5), 10)
