"""All gating checks pass in quick mode (slow: runs the simulations)."""

from __future__ import annotations

import pytest

from theory.checks import check_names, run_checks


def test_gating_checks_registered_and_disjoint_from_classical():
    names = [n for n in check_names() if n.startswith("gating.")]
    assert len(names) >= 12
    assert not any(n.startswith("classical.") for n in names)


@pytest.mark.slow
def test_gating_checks_quick_mode_pass():
    results = run_checks(["gating."], quick=True, progress=False)
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed
