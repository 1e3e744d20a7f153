"""RNN theory workbench: SymPy derivations, compiled solvers and finite-width checks.

Entry points: ``theory`` (command line: ``check``, ``derive``, ``list``), the theory packages
(:mod:`theory.gating`, :mod:`theory.linear_memory`, :mod:`theory.markov`, :mod:`theory.kernel_limit`),
the spine (:mod:`theory.symbolic`, :mod:`theory.checks`). Importing :mod:`theory` is cheap: nothing
is derived until asked for.
"""

from __future__ import annotations

__version__ = "0.1.0"


def citation(*names: str) -> str:
    """The references behind the named derivations (default: every registered derivation).

    Example: ``print(theory.citation("classical_dmft"))``.
    """
    from theory.symbolic.derivation import derivation_names, get_derivation

    chosen = names or tuple(derivation_names())
    refs: list[str] = []
    for n in chosen:
        for r in get_derivation(n).references:
            s = str(r)
            if s not in refs:
                refs.append(s)
    return "\n".join(refs)
