"""The front door of theory.markov: cheap import, lazy names, aliases, type-checking block."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import numpy as np
import pytest

import theory.markov as pkg


def test_import_is_cheap() -> None:
    code = (
        "import sys, theory.markov; "
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
    from theory.markov.poisson import poisson_derivation, poisson_numeric

    assert pkg.solve is poisson_numeric is pkg.poisson_numeric
    assert pkg.derivation is poisson_derivation
    assert "simulate" not in pkg.__all__  # paths come from MarkovChain.sample
    chain = pkg.example_chain(exact=False)
    sol = pkg.solve(chain, chain.states)
    np.testing.assert_allclose(
        (np.eye(3) - chain.dense) @ sol.v,
        chain.states - chain.stationary @ chain.states,
        atol=1e-12,
    )


def test_submodules_stay_reachable_and_unknown_names_fail() -> None:
    assert pkg.checks.__name__ == "theory.markov.checks"
    with pytest.raises(AttributeError, match="no_such_name"):
        pkg.no_such_name  # noqa: B018


def test_docstring_cites_the_paper() -> None:
    doc = pkg.__doc__ or ""
    assert "arXiv:2308.14555" in doc and "Meyn & Tweedie" in doc
    assert "theory check --only markov" in doc
