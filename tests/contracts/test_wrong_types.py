"""Every public function taking a parameter object refuses a wrong type with ParameterError.

Passing a bare number where a ``GatedParams``/``ClassicalParams``/``KernelLimitParams`` belongs
used to end in a raw ``AttributeError`` from deep inside the solver (issue 13).
"""

from __future__ import annotations

import importlib
import inspect

import pytest

from theory.errors import ConvergenceError, ParameterError

MODULES = (
    "theory.gating.classical",
    "theory.gating.dmft",
    "theory.gating.chaos",
    "theory.gating.gradients",
    "theory.kernel_limit",
    "theory.linear_memory",
    "theory.markov",
)


def _front_doors() -> list[tuple[str, str]]:
    out = []
    for m in MODULES:
        mod = importlib.import_module(m)
        for name in getattr(mod, "__all__", []):
            f = getattr(mod, name, None)
            if not inspect.isfunction(f):
                continue
            ps = list(inspect.signature(f).parameters.values())
            required = [
                p
                for p in ps
                if p.default is inspect.Parameter.empty
                and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            ]
            if ps and ps[0].name == "params" and len(required) == 1:
                out.append((m, name))
    return out


FRONT_DOORS = _front_doors()


def test_the_survey_finds_the_front_doors() -> None:
    names = {n for _, n in FRONT_DOORS}
    assert {"solve_classical_dmft", "solve_dmft", "zero_fp_threshold"} <= names, names


@pytest.mark.parametrize("module, name", FRONT_DOORS)
def test_a_number_for_the_parameter_object_is_a_parameter_error(module: str, name: str) -> None:
    f = getattr(importlib.import_module(module), name)
    try:
        f(2.0)
    except ParameterError as e:
        assert "params" in str(e), str(e)
    except ConvergenceError:  # pragma: no cover - a solver that accepted the number
        pytest.fail(f"{name} accepted a float for its parameter object")
    else:  # pragma: no cover
        pytest.fail(f"{name} returned a result for a float parameter object")
