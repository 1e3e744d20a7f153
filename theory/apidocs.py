"""The API reference and guide, generated from the docstrings: ``theory docs``.

``theory docs [--out DIR] [--strict]`` renders every module of :mod:`theory` with pdoc (NumPy
docstrings, maths by MathJax) into ``DIR`` (default ``theory-docs/``, ignored by git); open
``DIR/index.html``. The pages:

* the landing page is :mod:`theory` itself: install, the two commands, the first notebook, and a
  first comparison of theory with a finite network (the figure is computed when the docs are
  built);
* one page per theory (its front door: what it models, its API), to which the build appends the
  theory's derivations, rendered, and the table of its checks;
* every module, with its maths.

``--strict`` (used by CI) turns every warning of the build into an error.
"""

from __future__ import annotations

import base64
import importlib
import io
import pkgutil
import re
import sys
import warnings
from pathlib import Path
from types import ModuleType

__all__ = ["build", "DEFAULT_OUT", "theory_page_extras", "first_comparison_png"]

#: Default output directory (ignored by git).
DEFAULT_OUT = "theory-docs"

#: Theory packages whose pages get their derivations and checks appended.
THEORY_PAGES = (
    "theory.gating.classical",
    "theory.gating.dmft",
    "theory.gating.chaos",
    "theory.gating.gradients",
    "theory.linear_memory",
    "theory.kernel_limit",
    "theory.markov",
)


def _packages(root: ModuleType) -> list[ModuleType]:
    out = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=root.__name__ + "."):
        if info.ispkg and not info.name.rsplit(".", 1)[-1].startswith("_"):
            out.append(importlib.import_module(info.name))
    return out


def _expose_submodules(pkg: ModuleType) -> list[str] | None:
    """pdoc documents only the submodules a package lists in ``__all__``: add them for the build.

    Returns the original ``__all__`` (restored after the build).
    """
    names = getattr(pkg, "__all__", None)
    if names is None:
        return None
    subs = [
        m.name
        for m in pkgutil.iter_modules(pkg.__path__)
        if not m.name.startswith("_") and m.name not in names and m.name != "register"
    ]
    pkg.__dict__["__all__"] = [*names, *subs]  # typeshed's ModuleType declares no __all__
    return list(names)


_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)


def _protect_math(md: str) -> str:
    """Keep the line breaks ``\\\\`` of display maths through markdown2 (pdoc), which would read
    them as an escaped backslash; MathJax then sees the same LaTeX as a notebook."""
    return _DISPLAY_MATH.sub(lambda m: m.group(0).replace("\\\\", "\\\\\\\\"), md)


def theory_page_extras(package: str) -> str:
    """Markdown appended to a theory's page: its derivations (rendered) and its checks."""
    from theory.checks.registry import CHECKS
    from theory.symbolic.derivation import DERIVATION_BUILDERS, derivation_names, get_derivation

    parts: list[str] = []
    ders = [
        n
        for n in derivation_names()  # loads every theory first
        if getattr(DERIVATION_BUILDERS[n][0], "__module__", "").startswith(package + ".")
    ]
    if ders:
        parts.append("\n\n# Derivations\n")
        parts.append(
            "Exported to LaTeX by `theory derive` (`derivations/<name>.tex`); "
            "`theory.symbolic.get_derivation(name)` returns the SymPy object.\n"
        )
        for n in ders:
            parts.append(_protect_math(get_derivation(n).markdown(level=2)))
    prefix = package.removeprefix("theory.") + "."
    rows = [c for c in CHECKS.values() if c.name.startswith(prefix)]
    if rows:
        parts.append("\n\n# Checks\n")
        parts.append(
            f"Run them with `theory check --only {prefix[:-1]}` (add `--quick` for the CI sizes).\n\n"
            "| check | what it compares |\n|---|---|\n"
        )
        for c in rows:
            desc = c.description.replace("|", "\\|")
            parts.append(f"| `{c.name}` | {desc} |\n")
    return "".join(parts)


def first_comparison_png(quick: bool = True) -> bytes:
    """The getting-started figure: DMFT Δ(τ) of the classical network vs simulated networks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from theory.checks import mean_sem
    from theory.gating.classical import ClassicalParams, simulate, solve

    p = ClassicalParams(g=2.0)
    sol = solve(p)
    N, S, T = (300, 4, 150.0) if quick else (1000, 8, 300.0)
    acs = []
    lags = np.array([])
    for seed in range(S):
        lags, ac = simulate(p, N, T=T, burn_in=50.0, seed=seed).autocorrelation(15.0)
        acs.append(ac)
    m, e = mean_sem(np.array(acs))
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(sol.tau, sol.delta, "k-", label=r"DMFT $\Delta(\tau)$")
    ax.errorbar(
        lags[::5], m[::5], yerr=e[::5], fmt="o", ms=3, color="C3", label=f"{S} networks, N={N}"
    )
    ax.set_xlim(0, 15)
    ax.set_xlabel(r"$\tau$")
    ax.set_ylabel(r"$\Delta(\tau)$")
    ax.set_title("classical random RNN, g = 2")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def build(out: str | Path = DEFAULT_OUT, *, strict: bool = False, figure: bool = True) -> Path:
    """Render the API reference and guide into ``out``; return the path of ``index.html``.

    Parameters
    ----------
    out:
        Output directory (created).
    strict:
        Turn every warning raised during the build into an error (CI).
    figure:
        Compute the getting-started comparison figure (a few seconds of simulation).
    """
    try:
        import pdoc
        import pdoc.render
    except ImportError:
        from theory.errors import ParameterError

        raise ParameterError(
            "theory docs", "pdoc is not installed", "pdoc: pip install 'rnn-theory-workbench[docs]'"
        ) from None

    import theory
    from theory.catalog import load_all

    out = Path(out)
    with warnings.catch_warnings():
        warnings.simplefilter("error" if strict else "default")
        load_all()
        saved: dict[str, str | None] = {}
        saved_all: dict[ModuleType, list[str] | None] = {}
        try:
            for pkg in _packages(theory):
                saved_all[pkg] = _expose_submodules(pkg)
            for name in THEORY_PAGES:
                mod = importlib.import_module(name)
                saved[name] = mod.__doc__
                mod.__doc__ = (mod.__doc__ or "") + theory_page_extras(name)
            saved["theory"] = theory.__doc__
            if figure:
                b64 = base64.b64encode(first_comparison_png()).decode()
                theory.__doc__ = (theory.__doc__ or "").replace(
                    "<!-- first-comparison-figure -->",
                    f"![DMFT vs simulation](data:image/png;base64,{b64})",
                )
            pdoc.render.configure(
                docformat="numpy",
                math=True,
                show_source=False,
                footer_text=f"rnn-theory-workbench {theory.__version__}",
            )
            pdoc.pdoc("theory", output_directory=out)
        finally:
            for name, doc in saved.items():
                sys.modules[name].__doc__ = doc
            for pkg, names in saved_all.items():
                if names is not None:
                    pkg.__dict__["__all__"] = names
    return out / "index.html"
