"""theory.markov.register: the derivation and checks it makes known to the catalogue."""

from __future__ import annotations

import importlib

from theory.checks import CHECKS
from theory.symbolic.derivation import DERIVATION_BUILDERS


def test_register_imports_the_derivation_and_checks() -> None:
    importlib.import_module("theory.markov.register")
    mine = {n for n, (_, th) in DERIVATION_BUILDERS.items() if th == "markov"}
    assert mine == {"markov_poisson"}
    checks = [c for n, c in CHECKS.items() if n.startswith("markov.")]
    assert [c.name for c in checks] == [
        "markov.exact_vs_numeric[chain=example]",
        "markov.exact_vs_numeric[chain=example,L=2]",
        "markov.clt_variance[chain=example,F=x]",
        "markov.clt_variance[chain=example,L=2,F=target]",
    ]
    assert [dict(c.case) for c in checks] == [{"L": 1}, {"L": 2}, {"L": 1}, {"L": 2}]
    assert {c.module for c in checks} == {"theory.markov.checks"}


def test_registered_builder_builds_the_derivation() -> None:
    importlib.import_module("theory.markov.register")
    d = DERIVATION_BUILDERS["markov_poisson"][0]()
    assert d.name == "markov_poisson"
    assert "Kemeny" in d.citation() and "Meyn" in d.citation()
