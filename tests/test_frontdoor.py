"""Front doors: public names load lazily; `import theory` and each front door stay cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from theory.frontdoor import lazy_exports

FRONT_DOORS = [
    "theory",
    "theory.gating",
    "theory.gating.classical",
    "theory.gating.dmft",
    "theory.gating.chaos",
    "theory.gating.gradients",
    "theory.linear_memory",
    "theory.kernel_limit",
    "theory.markov",
    "theory.numerics",
]


@pytest.mark.parametrize("name", FRONT_DOORS)
def test_front_door_imports_nothing_heavy(name: str) -> None:
    code = (
        f"import sys, json; import {name}; "
        "print(json.dumps([m in sys.modules for m in ('numpy', 'sympy', 'scipy')]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False, False], name


@pytest.mark.parametrize("name", FRONT_DOORS[1:])
def test_every_public_name_resolves(name: str) -> None:
    import importlib

    mod = importlib.import_module(name)
    assert mod.__all__, name
    for public in mod.__all__:
        assert getattr(mod, public) is not None, (name, public)
        assert public in dir(mod)


def test_lazy_exports_aliases_submodules_and_errors() -> None:
    import types

    pkg = types.ModuleType("theory_fake_pkg")
    pkg.__path__ = []  # type: ignore[attr-defined]
    sys.modules["theory_fake_pkg"] = pkg
    sub = types.ModuleType("theory_fake_pkg.impl")
    sub.value = 42  # type: ignore[attr-defined]
    sys.modules["theory_fake_pkg.impl"] = sub
    try:
        get, listing = lazy_exports("theory_fake_pkg", {"value": "impl", "answer": "impl:value"})
        assert get("answer") == 42 and get("value") == 42
        assert pkg.answer == 42  # cached in the namespace  # type: ignore[attr-defined]
        assert get("impl") is sub and "value" in listing()
        with pytest.raises(AttributeError):
            get("missing")
    finally:
        del sys.modules["theory_fake_pkg"], sys.modules["theory_fake_pkg.impl"]
