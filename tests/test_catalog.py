"""The catalogue of theories: loading registers every derivation and check, idempotently."""

from __future__ import annotations

from theory.catalog import THEORIES, load_all
from theory.checks import CHECKS
from theory.symbolic.derivation import DERIVATION_BUILDERS


def test_load_all_registers_every_theory_once() -> None:
    load_all()
    n_checks, n_der = len(CHECKS), len(DERIVATION_BUILDERS)
    load_all()
    assert len(CHECKS) == n_checks and len(DERIVATION_BUILDERS) == n_der
    assert {c.theory for c in CHECKS.values()} == set(THEORIES)
    # every check's name starts with the package path of the module that defines it
    for c in CHECKS.values():
        assert c.module.startswith("theory.")
        assert c.name.startswith(c.module.removeprefix("theory.").removesuffix(".checks") + "."), (
            c.name
        )
