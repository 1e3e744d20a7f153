"""theory.linear_memory.register: the derivations and checks it makes known to the catalogue."""

from __future__ import annotations

import importlib

from theory.checks import CHECKS
from theory.symbolic.derivation import DERIVATION_BUILDERS

DERIVATIONS = {
    "linear_memory_kernels",
    "linear_memory_chebyshev_construction",
    "linear_memory_stable_floor",
    "linear_memory_hankel",
    "linear_memory_loss_diagonal",
    "linear_memory_loss_gramian",
    "linear_memory_loss_ou",
    "linear_memory_plateau",
}


def test_register_imports_every_derivation_and_check() -> None:
    importlib.import_module("theory.linear_memory.register")
    mine = {n for n, (_, th) in DERIVATION_BUILDERS.items() if th == "linear_memory"}
    assert mine == DERIVATIONS
    checks = [c for n, c in CHECKS.items() if n.startswith("linear_memory.")]
    assert len(checks) == 25
    assert {c.module for c in checks} == {"theory.linear_memory.checks"}
    assert {c.theory for c in checks} == {"linear_memory"}


def test_registered_builders_build_their_derivation() -> None:
    importlib.import_module("theory.linear_memory.register")
    for name in ("linear_memory_hankel", "linear_memory_plateau"):
        d = DERIVATION_BUILDERS[name][0]()
        assert d.name == name
        assert "JMLR 23 (2022)" in d.citation()
