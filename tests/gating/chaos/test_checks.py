"""The chaos checks (``gating.chaos.*``) pass and can fail (failure hook: the prediction is scaled
by 1 + eps); eps is chosen from each check's tolerance so that the failure is certain."""

from __future__ import annotations

import pytest

from theory.checks import CheckContext, run_check, run_checks, select
from theory.errors import ParameterError
from theory.gating.chaos import checks as chaos_checks

np = pytest.importorskip("numpy")

QUICK = CheckContext(quick=True)
NAMES = ["gating.chaos.lyapunov_compression[g_h=4]", "gating.chaos.lambda_jump[alpha_r=20]"]


def _fails(name: str, eps: float):
    bad = run_check(name, CheckContext(quick=True, perturb=eps))
    assert "exception" not in bad.details, bad.details.get("exception")
    return bad


@pytest.fixture(scope="module")
def quick_results():
    return {r.name: r for r in run_checks(NAMES, quick=True, progress=False)}


def test_new_checks_pass_quick(quick_results):
    for name in NAMES:
        r = quick_results[name]
        assert r.passed, (name, r.error, r.tolerance, r.error_model)


def test_compression_fails_when_prediction_perturbed(quick_results):
    # a DMFT predicting no chaos at alpha_z = 0 (lambda ~ 0) must fail; memoised QR runs are reused
    # (the old additive -0.056 on lambda = 0.0562 is the relative error -1)
    assert not _fails("gating.chaos.lyapunov_compression[g_h=4]", -1.0).passed


def test_lambda_jump_fails_when_prediction_perturbed(quick_results):
    # the old additive +0.1 on the jump C_h(0) = 0.049 is a relative error of 2 (the 1/N
    # intercept's tolerance is ~0.023 quick, eps ~50 %)
    assert not _fails("gating.chaos.lambda_jump[alpha_r=20]", 2.0).passed


def test_lambda_jump_rejects_bad_window():
    with pytest.raises(ParameterError):
        chaos_checks.check_lambda_jump(QUICK, alpha_r=20.0, g_above=1.7, g_below=1.9)
    with pytest.raises(ParameterError):
        chaos_checks.check_lambda_jump(QUICK, alpha_r=20.0, g_above=1.9, g_below=2.5)


@pytest.mark.parametrize(
    "name, eps",
    [
        # edge 0.1185, tolerance 0.12 (~100 %): the old additive +0.3 is a relative error of 2.5
        ("gating.chaos.spectrum_edge[fixed_point]", 2.5),
        # fraction 0.408, tolerance 0.085: the old additive +0.3 is a relative error of 0.75
        ("gating.chaos.slow_modes[alpha_z=20,delta=0.05]", 0.75),
    ],
)
def test_spectrum_checks_pass_and_can_fail(name, eps):
    assert run_check(name, QUICK).passed
    assert not _fails(name, eps).passed


def test_extent_check_can_fail():
    # height 0.98, tolerance 0.11: a 30 % error must be caught (memoised Jacobian spectra)
    name = "gating.chaos.spectrum_extent[fixed_point]"
    assert run_check(name, QUICK).passed
    assert not _fails(name, 0.3).passed


def test_synthetic_spectra_are_memoised_and_seeded():
    a = chaos_checks.synthetic_spectra(8.0, 0.0, 40, 2, 1)
    assert chaos_checks.synthetic_spectra(8.0, 0.0, 40, 2, 1) is a
    b = chaos_checks.synthetic_spectra(8.0, 0.0, 40, 2, 2)
    assert len(a) == 2 and a[0].shape == (120,)
    assert not (a[0] == b[0]).all()


def test_chaos_check_names():
    names = [c.name for c in select(["gating.chaos"])]
    assert len(names) == 14
    assert all(n.startswith("gating.chaos.") for n in names)


@pytest.mark.slow
def test_all_chaos_checks_pass_quick():
    res = run_checks(["gating.chaos"], quick=True, progress=False)
    assert res and all(r.passed for r in res), [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in res if not r.passed
    ]


@pytest.mark.slow
def test_lyapunov_checks_can_fail():
    # lambda_max = 0.198; the tolerance is t x SE of the extrapolated intercept (~0.05 quick)
    assert not _fails("gating.chaos.lyapunov_max[g_h=2.5,alpha_r=20.0]", 1.0).passed


def test_size_trend_fit_recovers_a_known_line_and_calibrates():
    """Synthetic lambda_N = 0.2 - 15/N + noise: the intercept is within its t-interval in most
    draws (coverage of the 95 % interval close to 95 %), and b/N^2 is absorbed by order 2."""
    from theory.gating.chaos.size_trend import fit_size_trend

    rng = np.random.default_rng(0)
    sizes = [250, 500, 1000, 2000, 4000]
    S = [16, 12, 8, 4, 3]
    sd = [0.02, 0.015, 0.01, 0.008, 0.006]
    cover = 0
    draws = 600
    for _ in range(draws):
        vals = [0.2 - 15 / N + rng.normal(0, s, n) for N, n, s in zip(sizes, S, sd, strict=True)]
        tr = fit_size_trend(sizes, vals)
        from scipy.stats import t as student_t

        q95 = student_t.ppf(0.975, tr.dof)
        cover += abs(tr.intercept - 0.2) <= q95 * tr.se
    assert 0.925 <= cover / draws <= 0.98  # binomial sd of the coverage ~0.009
    exact = [np.full(3, 0.2 - 15 / N + 300 / N**2) + [-1e-3, 0, 1e-3] for N in sizes]
    assert fit_size_trend(sizes, exact, order=2).intercept == pytest.approx(0.2, abs=1e-9)
    with pytest.raises(ParameterError):
        fit_size_trend(sizes[:2], exact[:2])


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, eps",
    [
        # mean QR lambda_1 0.163, paired tolerance 0.06
        ("gating.chaos.lyapunov_two_trajectory[g_h=2.5,alpha_r=20.0]", 1.0),
        # C_h(0) 0.049, tolerance 0.02-0.05
        ("gating.chaos.bistability[g_h=1.9,alpha_r=20.0]", 2.0),
        # C_h(0) 0.085, tolerance 0.059
        ("gating.chaos.input_induced[g_h=1.8,alpha_r=20.0,sigma_h=0.1]", 1.5),
    ],
)
def test_transition_and_two_trajectory_checks_can_fail(name, eps):
    assert not _fails(name, eps).passed
