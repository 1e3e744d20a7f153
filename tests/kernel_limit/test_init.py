"""The front door of theory.kernel_limit: cheap import, lazy names, aliases, type-checking block."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import theory.kernel_limit as pkg


def test_import_is_cheap() -> None:
    code = (
        "import sys, theory.kernel_limit; "
        "print(','.join(m for m in ('numpy', 'scipy', 'sympy', 'mpmath') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy imports: {out.stdout}"


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) imported under ``if TYPE_CHECKING:`` in the front door."""
    tree = ast.parse(inspect.getsource(pkg))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n.test)
    )
    out: dict[str, tuple[str, str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for a in node.names:
            out[a.asname or a.name] = (node.module, a.name)
    return out


def test_all_names_resolve_to_their_type_checking_imports() -> None:
    imports = _type_checking_imports()
    assert set(imports) == set(pkg.__all__)
    assert len(pkg.__all__) == len(set(pkg.__all__))
    for name, (module, attr) in imports.items():
        assert getattr(pkg, name) is getattr(importlib.import_module(module), attr), name
    assert set(pkg.__all__) <= set(dir(pkg))


def test_uniform_verbs() -> None:
    from theory.kernel_limit.limit_ode import LimitODE, limit_ode_derivation
    from theory.kernel_limit.network import train

    assert pkg.solve is LimitODE is pkg.LimitODE
    assert pkg.simulate is train is pkg.train
    assert pkg.derivation is limit_ode_derivation
    assert pkg.derivation().name == "kernel_limit_ode"


def test_submodules_stay_reachable_and_unknown_names_fail() -> None:
    assert pkg.checks.__name__ == "theory.kernel_limit.checks"
    with pytest.raises(AttributeError, match="no_such_name"):
        pkg.no_such_name  # noqa: B018


def test_docstring_cites_the_paper() -> None:
    doc = pkg.__doc__ or ""
    assert "arXiv:2308.14555" in doc and "Lam, Sirignano, Spiliopoulos" in doc
    assert "theory check --only kernel_limit" in doc
