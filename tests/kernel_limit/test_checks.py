"""All kernel_limit checks pass at quick sizes; a perturbed prediction fails."""

from __future__ import annotations

import numpy as np
import pytest

from theory.checks import CheckContext, check_names, run_check, run_checks
from theory.kernel_limit import checks as kl
from theory.kernel_limit.model import KernelLimitParams


def test_registered_names() -> None:
    names = check_names("kernel_limit")
    assert len(names) == 13
    for fam in (
        "ntk_init",
        "kernel_quadrature_vs_mc",
        "drift",
        "convergence_rate",
        "memory_truncation",
        "poisson_fluctuation",
        "linear_kernel_closed_form",
        "linear_end_to_end",
        "error_split",
        "user_activation",
    ):
        assert any(n.startswith(f"kernel_limit.{fam}[") for n in names), fam
    assert "kernel_limit.error_split[part=poisson,beta=0.75]" in names


def test_all_quick_checks_pass() -> None:
    results = run_checks(["kernel_limit"], quick=True, progress=False)
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed
    assert len(results) == 13


@pytest.mark.parametrize(
    ("name", "perturb"),
    [
        ("kernel_limit.memory_truncation[phi=tanh]", -0.8),  # bound shrunk five-fold
        ("kernel_limit.linear_kernel_closed_form[L=4]", 1e-6),
        ("kernel_limit.poisson_fluctuation[dynamics=kernel]", 0.3),
        ("kernel_limit.linear_end_to_end[L=4]", 0.2),
        ("kernel_limit.kernel_quadrature_vs_mc[L=3]", 0.05),
        # the rate checks resolve the exponent to better than +-0.2 at quick sizes (cached runs)
        ("kernel_limit.convergence_rate[beta=0.75]", 0.4),  # N^-0.7 instead of N^-1/2
        ("kernel_limit.convergence_rate[beta=0.75]", -0.4),  # N^-0.3
        ("kernel_limit.drift[beta=0.75]", 0.4),
        ("kernel_limit.error_split[part=poisson,beta=0.75]", -0.4),
        ("kernel_limit.error_split[part=ntk,beta=0.75]", 0.4),
        ("kernel_limit.error_split[part=ntk,beta=0.75]", -0.5),  # the raw rate N^-1/4
        ("kernel_limit.ntk_init[L=4]", 0.4),
        ("kernel_limit.user_activation[phi=tanh(x-0.3),part=kernel]", 0.1),
        ("kernel_limit.user_activation[phi=tanh(x-0.3),part=ode]", 0.35),
    ],
)
def test_perturbed_prediction_fails(name: str, perturb: float) -> None:
    res = run_check(name, CheckContext(quick=True, perturb=perturb))
    assert not res.passed, (res.theory, res.simulation, res.error, res.tolerance)


def test_perturbed_truncation_bound_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A contraction bound that decays too fast (ρ^{2L}) is violated by the network's memory."""
    monkeypatch.setattr(kl, "truncation_bound", lambda p, L: p.sup_sigma * p.rho ** (2 * L))
    assert not run_check(
        "kernel_limit.memory_truncation[phi=tanh]", CheckContext(quick=True)
    ).passed


def test_limit_setup_is_memoised_on_L() -> None:
    p = KernelLimitParams(phi="linear", b_max=0.3, sigma_w=0.7, sigma_b=0.3)
    assert kl.limit_setup(p) is kl.limit_setup(p, kl.L_DEFAULT)
    hc, A, qerr, ode = kl.limit_setup(p, 2)
    assert hc.L == 2 and A.shape == (hc.H, hc.H) and qerr == 0.0
    np.testing.assert_allclose(ode.g(0.0), 0.0)


def test_fit_rate_recovers_a_power_law() -> None:
    rng = np.random.default_rng(0)
    sizes = np.array([100.0, 400.0, 1600.0])
    per = [(3.0 * N**-0.5) ** 2 * rng.uniform(0.9, 1.1, 64) for N in sizes]
    fit = kl.fit_rate(sizes, per)
    assert fit.slope == pytest.approx(-0.5, abs=0.02)
    assert fit.n_seeds == 64
    assert fit.model(-0.5, "test").tolerance > 0


@pytest.mark.slow
def test_all_full_checks_pass() -> None:
    """Full sizes (N up to 16000 for the rates; about 3 CPU minutes)."""
    results = run_checks(["kernel_limit"], quick=False, progress=False)
    failed = [(r.name, r.error, r.tolerance) for r in results if not r.passed]
    assert not failed, failed
