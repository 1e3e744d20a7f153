"""Front doors: a package lists its public names and loads each one when first used (PEP 562).

Every theory package (and each gating sub-package) has a front door, its ``__init__.py``::

    from theory.frontdoor import lazy_exports

    __all__ = ["ClassicalParams", "simulate", "solve"]
    __getattr__, __dir__ = lazy_exports(__name__, {
        "ClassicalParams": "model",                  # theory.<pkg>.model.ClassicalParams
        "simulate": "simulation:simulate_classical",  # an alias: module:attribute
        "solve": "dmft:solve_classical_dmft",
    })

so ``from theory.gating.classical import solve`` works while ``import theory.gating.classical``
imports nothing heavy: the defining module is imported on first access, and the name is cached
in the package namespace. For static type checkers the same names are imported under
``typing.TYPE_CHECKING`` in the ``__init__.py``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``exports`` on first access.

    Parameters
    ----------
    package:
        The package's ``__name__``.
    exports:
        Public name → ``"module"`` (same attribute name) or ``"module:attribute"``, the module
        relative to ``package``.
    """
    table = dict(exports)

    def __getattr__(name: str) -> Any:
        try:
            target = table[name]
        except KeyError:
            try:  # a sub-module accessed as an attribute (theory.gating.dmft)
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module_name, _, attr = target.partition(":")
        value = getattr(importlib.import_module(f"{package}.{module_name}"), attr or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(table) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
