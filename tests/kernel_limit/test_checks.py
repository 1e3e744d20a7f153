"""All markov and kernel_limit checks pass at quick sizes; perturbed predictions fail."""

from __future__ import annotations

import functools

import pytest

from theory.checks import CheckContext, check_names, run_checks
from theory.kernel_limit import checks as kl


def test_registered_names() -> None:
    names = check_names()
    assert any(n.startswith("markov.clt_variance") for n in names)
    for fam in (
        "ntk_init",
        "drift",
        "convergence_rate",
        "memory_truncation",
        "poisson_fluctuation",
        "linear_end_to_end",
        "error_split",
    ):
        assert any(n.startswith(f"kernel_limit.{fam}") for n in names), fam


def test_all_quick_checks_pass() -> None:
    results = run_checks(["markov.", "kernel_limit."], quick=True, progress=False)
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed
    assert len(results) >= 15


CTX = CheckContext(quick=True)


@pytest.mark.parametrize(
    ("func", "perturb"),
    [
        (kl.check_memory_truncation, 0.2),  # bound shrunk five-fold
        (kl.check_linear_kernel, 1e-6),
        (kl.check_poisson_kernel_dynamics, 0.3),
        (kl.check_linear_end_to_end, 0.2),
        (kl.check_quadrature_vs_mc, 0.05),
        (kl.check_convergence_rate, -0.5),  # predicting N^-0.75 (uses the cached runs)
        (kl.check_drift, -0.5),
        (
            functools.partial(kl.check_error_split, part="poisson"),
            0.5,
        ),  # predicting N^0 for the ergodic error
        (functools.partial(kl.check_error_split, part="ntk"), -0.5),
        (kl.check_ntk_init, 0.1),  # a kernel 10 % off stalls the error at a floor: slope ~ 0
    ],
)
def test_perturbed_prediction_fails(func, perturb: float) -> None:  # type: ignore[no-untyped-def]
    assert not func(CTX, perturb=perturb).passed


@pytest.mark.slow
def test_all_full_checks_pass() -> None:
    """Full sizes (N up to 16000 for the rates; about 3 CPU minutes)."""
    results = run_checks(["markov.", "kernel_limit."], quick=False, progress=False)
    failed = [(r.name, r.error, r.tolerance) for r in results if not r.passed]
    assert not failed, failed
