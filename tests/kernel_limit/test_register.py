"""theory.kernel_limit.register: the derivations and checks it makes known to the catalogue."""

from __future__ import annotations

import importlib

from theory.checks import CHECKS
from theory.symbolic.derivation import DERIVATION_BUILDERS

DERIVATIONS = {
    "kernel_limit_rtrl",
    "kernel_limit_memory_kernel",
    "kernel_limit_linear_kernel_l3",
    "kernel_limit_ode",
    "kernel_limit_fluctuations",
}


def test_register_imports_every_derivation_and_check() -> None:
    importlib.import_module("theory.kernel_limit.register")
    mine = {n for n, (_, th) in DERIVATION_BUILDERS.items() if th == "kernel_limit"}
    assert mine == DERIVATIONS
    checks = [c for n, c in CHECKS.items() if n.startswith("kernel_limit.")]
    assert len(checks) == 13
    assert {c.module for c in checks} == {"theory.kernel_limit.checks"}
    assert {c.theory for c in checks} == {"kernel_limit"}


def test_registered_builders_build_their_derivation() -> None:
    importlib.import_module("theory.kernel_limit.register")
    for name in ("kernel_limit_ode", "kernel_limit_memory_kernel"):
        d = DERIVATION_BUILDERS[name][0]()
        assert d.name == name
        assert "arXiv 2308.14555" in d.citation()
