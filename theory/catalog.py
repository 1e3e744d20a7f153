"""The catalogue of theories: where their derivations and checks are registered.

Each theory package has a ``register`` module that imports the modules defining its derivations
(:func:`theory.symbolic.derivation.derivation`) and checks (:func:`theory.checks.check`).
:func:`load_all` imports them on demand, so ``import theory`` stays fast.
"""

from __future__ import annotations

import importlib

__all__ = ["THEORIES", "load_all", "load_user_modules"]

#: package name -> one-line description (order = order in reports).
THEORIES: dict[str, str] = {
    "gating": "DMFT of gated RNNs; the classical random RNN as the ungated limit (Krishnamurthy et al., PRX 2022)",
    "linear_memory": "linear RNNs and linear functionals: approximation, curse of memory (Li et al., JMLR 2022)",
    "markov": "finite Markov chains, stationary laws, Poisson equation (used by kernel_limit)",
    "kernel_limit": "NTK limit of an RNN trained online on Markov data (Lam et al., arXiv 2023)",
}

_loaded = False


def load_all() -> None:
    """Import every theory's ``register`` module (idempotent)."""
    global _loaded
    if _loaded:
        return
    for name in THEORIES:
        importlib.import_module(f"theory.{name}.register")
    _loaded = True  # only once every theory registered (a failed import is retried next call)


def load_user_modules(targets: list[str] | tuple[str, ...], *, option: str = "--module") -> None:
    """Import user modules that register derivations or checks: dotted module paths, or ``.py``
    files (imported under their file stem, once).

    Raises
    ------
    ParameterError
        Naming ``option`` and the reason, if a target cannot be found or fails to import.
    """
    import importlib.util
    import sys
    from pathlib import Path

    from theory.errors import ParameterError

    load_all()
    for target in targets:
        try:
            if target.endswith(".py"):
                path = Path(target).resolve()
                if not path.is_file():
                    raise FileNotFoundError(f"no file {path}")
                name = path.stem
                if getattr(sys.modules.get(name), "__file__", None) == str(path):
                    continue
                spec = importlib.util.spec_from_file_location(name, path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(name, None)
                    raise
            else:  # an entry point may name "module:attribute"
                importlib.import_module(target.split(":")[0])
        except ParameterError:
            raise
        except Exception as exc:
            raise ParameterError(
                option,
                target,
                f"an importable module or .py file ({type(exc).__name__}: {exc})",
            ) from exc
