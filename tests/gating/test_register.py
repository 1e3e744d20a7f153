"""Registration of the gating checks (``theory.gating.register``): names follow the package path of
their code, ``--only gating`` selects all of them, and all pass in quick mode (slow)."""

from __future__ import annotations

import inspect
import sys

import pytest

from theory.checks import CHECKS, check_names, run_checks, select
from theory.checks.registry import name_prefix

N_GATING_CHECKS = 64  # 46 + lyapunov_max[g=2.0, g=3.0] + 14 general mean-field checks + 2 user-shape checks (issue 11)
SUBPACKAGES = ("classical", "dmft", "chaos", "gradients")


@pytest.fixture(scope="module")
def gating_checks():
    import theory.gating.register  # noqa: F401

    return {n: c for n, c in CHECKS.items() if c.theory == "gating"}


def test_gating_checks_registered_and_disjoint_from_classical():
    names = [n for n in check_names() if n.startswith("gating.")]
    assert len(names) >= 12
    assert not any(n.startswith("classical.") for n in names)


def test_names_start_with_the_package_path_of_their_module(gating_checks):
    assert len(gating_checks) == N_GATING_CHECKS
    for name, c in gating_checks.items():
        prefix = name_prefix(c.module)
        # theory/gating/<subpkg>/checks.py -> gating.<subpkg>.
        assert prefix in {f"gating.{s}" for s in SUBPACKAGES}, (name, c.module)
        assert name.startswith(prefix + "."), (name, c.module)
        assert c.module == f"theory.{prefix}.checks"
        # a check is a public function check_xxx(ctx, **case) of that module
        assert c.func.__name__.startswith("check_"), (name, c.func.__name__)
        assert getattr(sys.modules[c.module], c.func.__name__) is c.func
        params = inspect.signature(c.func).parameters
        assert list(params)[0] == "ctx" and set(c.case) <= set(params), name
        assert "perturb" not in params, name  # the failure hook replaces perturb= arguments
    assert {name_prefix(c.module) for c in gating_checks.values()} == {
        f"gating.{s}" for s in SUBPACKAGES
    }


def test_old_names_are_gone(gating_checks):
    assert not [n for n in CHECKS if n.startswith(("classical.", "chaos."))]
    old_dmft = (
        "moments",
        "kinetic",
        "C_h_tau",
        "alpha0_map",
        "convention_AB",
        "alpha_z",
        "zero_fp",
    )
    assert not [n for n in gating_checks if n.split(".")[1] in old_dmft]


def test_select_gating_selects_all_gating_checks(gating_checks):
    selected = select(["gating"])
    assert len(selected) == N_GATING_CHECKS
    assert [c.name for c in selected] == list(gating_checks)
    per_package = {s: len(select([f"gating.{s}"])) for s in SUBPACKAGES}
    assert per_package == {"classical": 23, "dmft": 18, "chaos": 14, "gradients": 9}


@pytest.mark.slow
def test_gating_checks_quick_mode_pass():
    results = run_checks(["gating"], quick=True, progress=False)
    assert len(results) == N_GATING_CHECKS
    failed = [
        (r.name, r.error, r.tolerance, r.details.get("exception")) for r in results if not r.passed
    ]
    assert not failed, failed
