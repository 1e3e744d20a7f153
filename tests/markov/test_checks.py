"""The markov checks pass at quick sizes; the failure hook and a wrong solver make them fail."""

from __future__ import annotations

import numpy as np
import pytest

from theory.checks import CheckContext, check_names, run_check, run_checks
from theory.markov import checks as mc
from theory.markov.chain import example_chain
from theory.markov.histories import HistoryChain

QUICK = CheckContext(quick=True)


def test_names() -> None:
    assert check_names("markov") == [
        "markov.exact_vs_numeric[chain=example]",
        "markov.exact_vs_numeric[chain=example,L=2]",
        "markov.clt_variance[chain=example,F=x]",
        "markov.clt_variance[chain=example,L=2,F=target]",
    ]


def test_all_quick_checks_pass() -> None:
    results = run_checks(["markov"], quick=True, progress=False)
    assert [r.passed for r in results] == [True] * 4, [
        (r.name, r.error, r.tolerance) for r in results
    ]


@pytest.mark.parametrize(
    ("name", "perturb"),
    [
        ("markov.exact_vs_numeric[chain=example]", 1e-9),
        ("markov.exact_vs_numeric[chain=example,L=2]", 1e-9),
        ("markov.clt_variance[chain=example,F=x]", 0.15),
        ("markov.clt_variance[chain=example,L=2,F=target]", -0.15),
    ],
)
def test_failure_hook(name: str, perturb: float) -> None:
    res = run_check(name, CheckContext(quick=True, perturb=perturb))
    assert not res.passed, (res.theory, res.simulation, res.error, res.tolerance)


def test_wrong_numeric_solver_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    orig = mc.asymptotic_variance
    monkeypatch.setattr(mc, "asymptotic_variance", lambda *a, **k: orig(*a, **k) * (1 + 1e-10))
    assert not run_check("markov.exact_vs_numeric[chain=example]", QUICK).passed


def test_example_target_on_histories() -> None:
    hc = HistoryChain(example_chain(exact=False), 2)
    y = mc.example_target(hc.values)
    x0, x1 = hc.values[:, 0], hc.values[:, 1]
    np.testing.assert_allclose(y, 0.6 * np.sin(2 * x0) + 0.4 * x1)
