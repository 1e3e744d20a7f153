"""The catalogue of theories: where their derivations and checks are registered.

Each theory package has a ``register`` module that imports the modules defining its derivations
(:func:`theory.symbolic.derivation.derivation`) and checks (:func:`theory.checks.check`).
:func:`load_all` imports them on demand, so ``import theory`` stays fast.
"""

from __future__ import annotations

import importlib

__all__ = ["THEORIES", "load_all"]

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
