"""The registered checks pass in quick mode, and fail when a prediction is perturbed."""

from __future__ import annotations

import pytest

from theory.checks import CheckContext, run_checks
from theory.linear_memory import checks as lm


def test_all_quick_checks_pass() -> None:
    results = run_checks(["linear_memory."], quick=True, progress=False)
    assert len(results) >= 20
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed


def test_perturbed_plateau_reference_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lm, "SPEC_TAUS", {k: (1.3 * v, h) for k, (v, h) in lm.SPEC_TAUS.items()})
    assert not lm._check_plateau_reference(CheckContext(quick=True)).passed


def test_perturbed_jackson_rate_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # claim alpha = 4 for the C^1 target (rate ~2.7): must fail
    monkeypatch.setitem(lm.JACKSON_TARGETS, 4, lm.JACKSON_TARGETS[1])
    assert not lm._check_jackson(4, CheckContext(quick=True)).passed


def test_perturbed_loss_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory.loss import DiagonalLoss

    orig = DiagonalLoss.value
    monkeypatch.setattr(DiagonalLoss, "value", lambda self, a, w: 1.3 * orig(self, a, w))
    assert not lm._check_mc("white", CheckContext(quick=True)).passed


def test_perturbed_hankel_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory import hankel as hk

    orig = hk.hankel_singular_values_exp
    monkeypatch.setattr(hk, "hankel_singular_values_exp", lambda b, v: orig(b, v) * 1.001)
    assert not lm._check_hankel_values(CheckContext(quick=True)).passed


def test_perturbed_curse_floor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory import approximation as ap

    orig = ap.stable_floor
    monkeypatch.setattr(
        ap, "stable_floor", lambda p, A, b: (1.3 * orig(p, A, b)[0], orig(p, A, b)[1])
    )
    assert not lm._check_curse(0.5, CheckContext(quick=True)).passed


def test_perturbed_plateau_slope_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory.linear_memory import plateau as pl

    monkeypatch.setattr(
        pl, "quasi_static_slope", lambda m1, m2, w0_=1.0, A_=1.0: 2.0
    )  # asymptote only
    assert not lm._check_plateau_slope(CheckContext(quick=True)).passed
