"""Error models: Student-t tolerances, curve comparison, rate fits."""

from __future__ import annotations

import numpy as np
import pytest

from theory.checks import (
    CheckResult,
    ErrorModel,
    compare_curve,
    fit_power_law,
    mean_sem,
    statistical_tolerance,
)
from theory.errors import ParameterError


def test_statistical_tolerance_detects_a_real_difference() -> None:
    rng = np.random.default_rng(1)
    samples = 1.0 + 0.05 * rng.standard_normal(12)
    m, sem = mean_sem(samples)
    model = statistical_tolerance(sem, 12)
    assert CheckResult.compare("ok", 1.0, m, model).passed
    # a theory off by 10 SEM must fail: the check can fail
    assert not CheckResult.compare("bad", 1.0 + 10 * sem, m, model).passed


def test_compare_curve_pass_and_fail() -> None:
    rng = np.random.default_rng(2)
    x = np.linspace(0, 5, 50)
    truth = np.exp(-x)
    samples = truth + 0.01 * rng.standard_normal((10, 50))
    assert compare_curve(truth, samples, n_independent=5).passed
    assert not compare_curve(truth * 1.1, samples, n_independent=5).passed
    # a bias allowance absorbs a deterministic offset below it, not above it
    assert compare_curve(truth + 0.02, samples, bias=0.03).passed
    assert not compare_curve(truth + 0.2, samples, bias=0.03).passed


def test_fit_power_law_recovers_exponent() -> None:
    n = np.array([250, 1000, 4000, 16000])
    p, c, se = fit_power_law(n, 3.0 * n**-0.5)
    assert p == pytest.approx(-0.5) and c == pytest.approx(3.0) and se < 1e-10
    with pytest.raises(ParameterError):
        fit_power_law([1], [1])


def test_error_model_validation() -> None:
    with pytest.raises(ParameterError, match="tolerance"):
        ErrorModel("x", -1.0)
    with pytest.raises(ParameterError):
        statistical_tolerance(0.1, 1)


def test_fit_trend_recovers_intercept_and_slope_with_calibrated_errors() -> None:
    from theory.checks import fit_trend

    rng = np.random.default_rng(7)
    sizes = np.array([250, 500, 1000, 2000, 4000])
    zs = []
    for _ in range(300):
        se = 0.002 * np.sqrt(1000 / sizes)
        y = 0.1 - 2.0 / sizes + se * rng.standard_normal(sizes.size)
        fit = fit_trend(1 / sizes, y, se)
        zs.append((fit.intercept - 0.1) / fit.intercept_se)
    # z-scores of a calibrated intercept error: sd within sampling error of 1 (300 fits: +-0.08);
    # the Birge inflation only ever widens, so the sd may sit a little below 1
    assert 0.8 < np.std(zs) < 1.1
    assert abs(np.mean(zs)) < 0.25


def test_fit_trend_input_validation() -> None:
    from theory.checks import fit_trend

    with pytest.raises(ParameterError):
        fit_trend([1, 2], [1, 2], [0.1, 0.1], order=2)
    with pytest.raises(ParameterError):
        fit_trend([1, 2, 3], [1, 2, 3], [0.1, 0.0, 0.1])


def test_compare_extrapolation_passes_the_truth_and_fails_a_biased_theory() -> None:
    from theory.checks import compare_extrapolation
    from theory.checks.result import detectable_error

    rng = np.random.default_rng(3)
    sizes = [250, 500, 1000, 2000]
    samples = [0.2 - 15 * 0.2 / n + 0.01 * np.sqrt(500 / n) * rng.standard_normal(8) for n in sizes]
    good = compare_extrapolation(0.2, sizes, samples)
    assert good.passed and good.figures
    # a theory 10 % off is detected (the intercept's error here is ~1 %)
    assert not compare_extrapolation(0.22, sizes, samples).passed
    eps, sides = detectable_error(good.judge)  # type: ignore[arg-type]
    assert sides == "±" and eps < 0.1
    # a fixed bias allowance is no longer needed: the 1/N shortfall (15 % at N = 100) is fitted
    assert abs(good.details["coefficients"][1] + 3.0) < 1.5


def test_roughness_and_the_max_t_threshold_of_a_continuous_curve() -> None:
    """roughness() estimates W·√λ₂ (= W/τ for ρ = (1 + τ/τ_c)e^{−τ/τ_c}, the correlation of an
    OU autocorrelation estimate); max_t_threshold() sits between the pointwise and the
    all-points Bonferroni quantiles, grows with the roughness, and compare_curve(continuous=True)
    never uses less than Bonferroni over n_independent."""
    from scipy.stats import t as student_t

    from theory.checks.error_models import max_t_threshold, roughness

    rng = np.random.default_rng(4)
    tau, dt, K = 2.0, 0.1, 201
    lag = np.arange(K) * dt
    d = np.abs(lag[:, None] - lag[None, :]) / tau
    cov = (1 + d) * np.exp(-d)
    L = np.linalg.cholesky(cov + 1e-10 * np.eye(K))
    est = [roughness((L @ rng.standard_normal((K, 12))).T) for _ in range(40)]
    # W/tau = 20/2 = 10; the estimate's sd over 40 draws of 12 curves is ~0.9: mean within 0.5
    assert np.mean(est) == pytest.approx(10.0, abs=0.5)
    assert roughness(np.ones((5, 10))) == 0.0
    lo, hi = student_t.ppf(1 - 5e-4, 11), student_t.ppf(1 - 5e-4 / K, 11)
    qs = [max_t_threshold(1e-3, 11, length, K) for length in (0.0, 1.0, 10.0, 100.0, 1e9)]
    assert qs[0] == pytest.approx(lo) and qs[-1] == pytest.approx(hi)
    assert all(lo <= a <= b <= hi for a, b in zip(qs, qs[1:], strict=False))
    samples = (L @ rng.standard_normal((K, 12))).T
    bonf = compare_curve(np.zeros(K), samples, n_independent=10)
    cont = compare_curve(np.zeros(K), samples, n_independent=10, continuous=True)
    assert cont.tolerance >= bonf.tolerance and cont.error == bonf.error
    assert cont.details["roughness_L1"] > 0


def _biased_curves(seed: int, sizes: tuple[int, ...], S: int, K: int = 101) -> tuple:
    """Curves f(t) + b(t)/N + smooth noise of variance ∝ 1/N (white noise smoothed by a Gaussian
    kernel of 5 grid points: a smooth process, as autocorrelation estimates are)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 10.0, K)
    f = np.exp(-t / 2)
    b = 40.0 * (1.0 - np.exp(-t / 3))  # a finite-size bias that grows along the curve
    u = np.arange(-20, 21)
    ker = np.exp(-0.5 * (u / 5.0) ** 2)
    ker /= np.sqrt(np.sum(ker**2))
    out = []
    for N in sizes:
        w = rng.standard_normal((S, K + u.size - 1))
        e = np.array([np.convolve(r, ker, mode="valid") for r in w])
        out.append(f + b / N + 2.0 * e / np.sqrt(N))
    return t, f, out


def test_compare_curve_extrapolation_removes_a_1_over_n_bias_and_keeps_its_level() -> None:
    import matplotlib.pyplot as plt

    from theory.checks import compare_curve, compare_curve_extrapolation

    sizes = (200, 400, 800)
    fails, fails_single = 0, 0
    z = []
    for seed in range(60):
        t, f, curves = _biased_curves(seed, sizes, 16)
        r = compare_curve_extrapolation(f, sizes, curves, alpha=0.05, continuous=True, grid=t)
        fails += not r.passed
        z.append(r.error / r.tolerance)
        fails_single += not compare_curve(f, curves[-1], alpha=0.05, continuous=True).passed
        plt.close("all")
    # level: P(false alarm) <= 0.05 per seed (measured 2 % over 200 seeds: the pooled Birge ratio
    # and the fewest-samples dof are conservative); 60 seeds -> at most 9 (binomial 99.9 %)
    assert fails <= 9, fails
    # the bias b/N = 0.048 at N = 800, t = 10 is 2.7 SEMs: one size fails in 82 % of the seeds
    # (200 measured); 60 seeds -> at least 35 (binomial(60, 0.82) 99.9 %: mean 49, sd 3)
    assert fails_single >= 35, fails_single
    # power: a 20 % error of the prediction is caught
    t, f, curves = _biased_curves(99, sizes, 16)
    assert not compare_curve_extrapolation(1.2 * f, sizes, curves, grid=t).passed


def test_compare_curve_extrapolation_refuses_too_few_sizes() -> None:
    from theory.checks import compare_curve_extrapolation

    t, f, curves = _biased_curves(0, (200, 400), 8)
    with pytest.raises(ParameterError):
        compare_curve_extrapolation(f, (200, 400), curves)
