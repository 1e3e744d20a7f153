"""Registration (single checks and families, names from the package path) and name selection."""

from __future__ import annotations

import pytest

from theory.checks import CheckResult, ErrorModel, select
from theory.checks.registry import CHECKS, Check, case_label, check, name_prefix
from theory.errors import ParameterError


def _ok(ctx: object, **case: object) -> CheckResult:
    return CheckResult.compare("", 1.0, 1.0, ErrorModel("exact", 0.0), details=dict(case))


def test_name_prefix_follows_the_package_path() -> None:
    assert name_prefix("theory.gating.classical.checks") == "gating.classical"
    assert name_prefix("theory.linear_memory.checks") == "linear_memory"
    assert name_prefix("mylab.checks") == "mylab"
    assert name_prefix("userfile") == "userfile"


def test_single_and_family_registration() -> None:
    fake = {}
    from theory.catalog import load_all

    load_all()  # the registry must be complete before it is saved and restored
    before = dict(CHECKS)
    try:
        check("single", prefix="demo_reg")(_ok)
        check("family", cases=[{"g": 1.5}, {"g": 2.0}], prefix="demo_reg")(_ok)
        check("labelled", cases={"rho=exp(-t)": {"k": 1}}, prefix="demo_reg")(_ok)
        fake = {n: c for n, c in CHECKS.items() if n.startswith("demo_reg.")}
        assert list(fake) == [
            "demo_reg.single",
            "demo_reg.family[g=1.5]",
            "demo_reg.family[g=2.0]",
            "demo_reg.labelled[rho=exp(-t)]",
        ]
        assert fake["demo_reg.family[g=2.0]"](None).details == {"g": 2.0}
        assert fake["demo_reg.labelled[rho=exp(-t)]"].theory == "demo_reg"
        with pytest.raises(ParameterError, match="not registered yet"):
            check("single", prefix="demo_reg")(_ok)
    finally:
        CHECKS.clear()
        CHECKS.update(before)


def test_case_label() -> None:
    assert case_label({"g_h": 4.0, "alpha_r": 0.0}) == "g_h=4.0,alpha_r=0.0"


def _table() -> dict[str, Check]:
    names = [
        "gating.classical.delta0[g=1.5]",
        "gating.classical.delta0[g=2.0]",
        "gating.chaos.lyapunov_max[g_h=4.0,alpha_r=0.0]",
        "gating.chaosx.other",
        "linear_memory.curse[omega=0.5]",
    ]
    return {n: Check(n, n.split(".")[0], _ok) for n in names}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("gating.classical.delta0[g=2.0]", ["gating.classical.delta0[g=2.0]"]),
        (
            "gating.classical.delta0",
            ["gating.classical.delta0[g=1.5]", "gating.classical.delta0[g=2.0]"],
        ),
        ("gating.chaos", ["gating.chaos.lyapunov_max[g_h=4.0,alpha_r=0.0]"]),  # not gating.chaosx
        ("*lyapunov*", ["gating.chaos.lyapunov_max[g_h=4.0,alpha_r=0.0]"]),
        ("gating.*[g=?.5]", ["gating.classical.delta0[g=1.5]"]),  # brackets are literal in globs
        ("linear_memory", ["linear_memory.curse[omega=0.5]"]),
    ],
)
def test_select_exact_prefix_glob(pattern: str, expected: list[str]) -> None:
    assert [c.name for c in select([pattern], _table())] == expected


def test_select_unknown_lists_close_matches_one_per_line() -> None:
    with pytest.raises(ParameterError) as err:
        select(["gating.clasical.delta0"], _table())
    msg = str(err.value)
    assert "gating.classical.delta0[g=1.5]" in msg and "\n  gating.classical" in msg
    with pytest.raises(ParameterError):
        select(["a"], _table())  # a bare letter is no prefix at a name boundary


def test_select_keeps_registry_order_without_duplicates() -> None:
    got = [c.name for c in select(["linear_memory", "gating.classical"], _table())]
    assert got == [
        "gating.classical.delta0[g=1.5]",
        "gating.classical.delta0[g=2.0]",
        "linear_memory.curse[omega=0.5]",
    ]
