"""Front doors of theory.gating and its sub-packages: every public name imports, lazily, and is the
object its defining module exports; ``import theory.gating`` loads neither NumPy nor SymPy."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

FRONT_DOORS = [
    "theory.gating",
    "theory.gating.classical",
    "theory.gating.dmft",
    "theory.gating.chaos",
    "theory.gating.gradients",
]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def _type_checking_imports(package: str) -> dict[str, tuple[str, str]]:
    """Public name -> (module, attribute) from the ``if TYPE_CHECKING:`` block of the __init__."""
    mod = importlib.import_module(package)
    tree = ast.parse(inspect.getsource(mod))
    out: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom), ast.dump(imp)
                for alias in imp.names:
                    out[alias.asname or alias.name] = (imp.module, alias.name)
    return out


def test_import_is_lazy():
    """Importing the front doors loads no heavy dependency and none of the defining modules."""
    r = _run(
        """
        import sys
        import theory.gating, theory.gating.classical, theory.gating.dmft
        import theory.gating.chaos, theory.gating.gradients
        heavy = [m for m in ("numpy", "scipy", "sympy", "mpmath", "matplotlib") if m in sys.modules]
        loaded = sorted(m for m in sys.modules if m.startswith("theory.gating."))
        print(heavy, loaded)
        assert not heavy, heavy
        assert loaded == ["theory.gating.chaos", "theory.gating.classical", "theory.gating.dmft",
                          "theory.gating.gradients"], loaded
        """
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_one_name_loads_only_its_module():
    r = _run(
        """
        import sys
        from theory.gating import GatedParams
        from theory.gating.classical import ClassicalParams
        assert GatedParams.__module__ == "theory.gating.model"
        loaded = {m for m in sys.modules if m.startswith("theory.gating.")}
        unwanted = {"theory.gating.simulation", "theory.gating.dmft.fourier",
                    "theory.gating.chaos.lyapunov", "theory.gating.classical.dmft",
                    "theory.gating.gradients.adjoint_dmft"} & loaded
        assert not unwanted, unwanted
        """
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("package", FRONT_DOORS)
def test_public_names_resolve_to_their_definitions(package):
    mod = importlib.import_module(package)
    assert len(set(mod.__all__)) == len(mod.__all__), "duplicates in __all__"
    assert set(mod.__all__) <= set(dir(mod))
    table = _type_checking_imports(package)
    # the static imports for type checkers list exactly the public names
    assert set(table) == set(mod.__all__)
    for name in mod.__all__:
        if (package, name) in SHADOWED:
            continue
        value = getattr(mod, name)
        assert not isinstance(value, types.ModuleType), (package, name)
        source, attr = table[name]
        assert source.startswith(package + "."), (name, source)
        assert value is getattr(importlib.import_module(source), attr), (package, name)
        defining = sys.modules[source]
        assert attr in getattr(defining, "__all__", [attr]), (source, attr, "not in its __all__")


@pytest.mark.parametrize("package", FRONT_DOORS)
def test_unknown_name_is_an_attribute_error(package):
    mod = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        mod.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import no_such_name", {})


def test_sub_packages_are_attributes():
    import theory.gating as g

    assert g.dmft is importlib.import_module("theory.gating.dmft")
    assert g.chaos.spectrum is importlib.import_module("theory.gating.chaos.spectrum")


#: front-door names that a sub-module of the same name would shadow (none since solve.py -> solvers.py)
SHADOWED: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def shadowed_names() -> dict[str, list[str]]:
    """Per front door, the public names that are modules after every sub-module was imported
    (one fresh interpreter for all front doors)."""
    r = _run(
        f"""
        import importlib, json, pkgutil, types
        out = {{}}
        for package in {FRONT_DOORS!r}:
            pkg = importlib.import_module(package)
            for info in pkgutil.iter_modules(pkg.__path__):
                importlib.import_module(package + "." + info.name)
            out[package] = [n for n in pkg.__all__ if isinstance(getattr(pkg, n), types.ModuleType)]
        print(json.dumps(out))
        """
    )
    assert r.returncode == 0, r.stdout + r.stderr
    import json

    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", FRONT_DOORS)
def test_public_names_survive_importing_every_submodule(package, shadowed_names):
    """A public name must not be shadowed by a sub-module of the same name (the import system sets
    ``package.<submodule>`` when the sub-module is imported before the name is first used)."""
    assert shadowed_names[package] == []
