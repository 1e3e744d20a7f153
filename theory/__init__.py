"""RNN theory workbench: SymPy derivations, compiled solvers, finite-width checks.

A symbolic-numeric workbench for the theory of recurrent neural networks. SymPy **derives** the
mean-field and kernel-limit equations, one shared step **compiles** them into NumPy/SciPy solvers,
the package **simulates** the finite networks, and every prediction is **checked** against a
finite-width simulation with a stated error model. Derivations export to LaTeX.

# Getting started

Install (Python ≥ 3.11) and run the two commands of the README from a clone:

```bash
pip install -e ".[dev]" && theory check      # every check at default sizes; report in theory-report/
python -m pytest                              # the tests (quick checks, notebooks, LaTeX export)
```

`theory check --quick` runs the small CI sizes in a few minutes; `theory list` shows every
derivation and check; `theory derive` exports the LaTeX; `theory docs` builds this reference.

The first notebook is `notebooks/classical_rnn.py` (a jupytext script, paired with
`classical_rnn.ipynb`): derive → LaTeX → solve → simulate → compare. Its core, which makes the
figure below, is

```python
from theory.gating.classical import ClassicalParams, simulate, solve

p = ClassicalParams(g=2.0)
sol = solve(p)                                    # DMFT: Δ0 = 1.92481, Δ(τ) on a grid
traj = simulate(p, 300, T=150, burn_in=50, seed=0)
lags, ac = traj.autocorrelation(15.0)             # compare with sol.delta_at(lags)
```

<!-- first-comparison-figure -->

# Where things are

Each theory has a front door that lists its public names (they load when first used):

* `theory.gating` -- gated RNNs (Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022)), with
  `theory.gating.classical` (the Sompolinsky–Crisanti–Sommers network), `theory.gating.dmft`,
  `theory.gating.chaos`, `theory.gating.gradients`;
* `theory.linear_memory` -- linear RNNs and linear functionals (Li, Han, E & Li, JMLR 23 (2022));
* `theory.kernel_limit` and `theory.markov` -- the kernel limit of RNNs trained online on Markov
  data (Lam, Sirignano & Spiliopoulos, arXiv:2308.14555).

The spine every theory shares: `theory.symbolic` (derive → compile → export), `theory.checks`
(error models, registry, runner, report), `theory.numerics` (Runge–Kutta engine, Anderson
mixing, time series, quadrature), `theory.sweeps` (parameter sweeps on Dask). A check's name
starts with the package path of its code: `gating.chaos.lyapunov_max[...]` lives in
`theory/gating/chaos/checks.py`.

`theory.citation("classical_dmft")` returns the BibTeX entries of the works a derivation cites
(`format="text"` for plain text); `theory derive` writes every derivation as LaTeX, a book of
them (`derivations/index.tex`) and their bibliography (`derivations/references.bib`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["citation", "__version__"]


def __getattr__(name: str) -> Any:
    # the version comes from the installed metadata, read on first use (importlib.metadata costs
    # ~15 ms, and `import theory` stays under a millisecond)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("rnn-theory-workbench")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            v = "0+unknown"
        globals()["__version__"] = v
        return v
    raise AttributeError(f"module 'theory' has no attribute {name!r}")


def citation(*names: str, format: str = "bibtex") -> str:
    """The works behind the named derivations (default: every registered derivation).

    Parameters
    ----------
    names:
        Derivation names (``theory list`` shows them).
    format:
        ``"bibtex"`` (default): the BibTeX entries, each once, of every work the derivations cite
        (their references and the ``\\cite`` s of their text); ``"text"``: the same works as
        plain text, one per line.

    Example: ``print(theory.citation("classical_dmft"))``; the same entries are written to
    ``derivations/references.bib`` by ``theory derive``.

    Raises
    ------
    ParameterError
        For an unknown derivation name or format.
    """
    from theory.errors import ParameterError
    from theory.symbolic.bibliography import bibtex, get_entry
    from theory.symbolic.derivation import derivation_names, get_derivation

    if format not in ("bibtex", "text"):
        raise ParameterError("format", format, "'bibtex' or 'text'")
    chosen = names or tuple(derivation_names())
    keys: list[str] = []
    for n in chosen:
        for k in get_derivation(n).bib_keys():
            if k not in keys:
                keys.append(k)
    if format == "bibtex":
        return bibtex(keys)
    return "\n".join(get_entry(k).plain() for k in keys)
