"""Derivations as data: ordered, named SymPy steps with assumptions and citations.

A :class:`Derivation` is what a theory *derives*: an ordered list of :class:`Step` objects (each a
SymPy equation or expression with a label and a sentence of prose), the symbols it uses (every one
carrying explicit assumptions), and the :class:`Reference` s it implements. It renders itself to
LaTeX (``align*`` environments through :func:`sympy.latex`) and to a standalone ``.tex`` document
that compiles with ``pdflatex``; the same file can be ``\\input`` by the index document written by
``theory derive`` (see :mod:`theory.symbolic.export`).

Derivations are registered with the :func:`derivation` decorator on a zero-argument builder, so
that importing :mod:`theory` stays fast: nothing is derived until a derivation is asked for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from theory.errors import ParameterError

__all__ = [
    "Reference",
    "Step",
    "Derivation",
    "derivation",
    "get_derivation",
    "derivation_names",
    "DERIVATION_BUILDERS",
]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: Assumption keys that count as "the symbol says what it is".
_MEANINGFUL_ASSUMPTIONS = {
    "real",
    "positive",
    "negative",
    "nonnegative",
    "nonpositive",
    "nonzero",
    "integer",
    "rational",
    "complex",
    "extended_real",
    "finite",
    "imaginary",
}


@dataclass(frozen=True)
class Reference:
    """A citation: the work, and where in it the implemented statement lives.

    Parameters
    ----------
    work:
        Short citation, e.g. ``"Sompolinsky, Crisanti, Sommers, PRL 61, 259 (1988)"``.
    where:
        Equation, section or theorem, e.g. ``"Eq. (5)"``; empty when the whole work is meant.
    note:
        Optional remark (``"our re-derivation: derivation classical_dmft"``).
    """

    work: str
    where: str = ""
    note: str = ""

    def __str__(self) -> str:
        out = self.work
        if self.where:
            out += f", {self.where}"
        if self.note:
            out += f" [{self.note}]"
        return out


@dataclass(frozen=True)
class Step:
    """One named step of a derivation.

    Parameters
    ----------
    name:
        Identifier used to fetch the step (``derivation["energy"]``); lower-case with underscores.
    expr:
        A SymPy ``Eq`` (rendered ``lhs = rhs``) or any SymPy expression.
    text:
        One sentence of prose (LaTeX allowed) rendered before the equation.
    cite:
        Where this step comes from (``"Eq. (5)"`` of the derivation's main reference), optional.
    """

    name: str
    expr: sp.Basic
    text: str = ""
    cite: str = ""

    def latex(self) -> str:
        """LaTeX of the equation, with ``=`` aligned at ``&=``."""
        e = self.expr
        if isinstance(e, sp.Equality):
            return f"{sp.latex(e.lhs)} &= {sp.latex(e.rhs)}"
        return f"& {sp.latex(e)}"


@dataclass
class Derivation:
    """An ordered list of named SymPy steps with assumptions and citations.

    Parameters
    ----------
    name:
        File-safe identifier (``"classical_dmft"``): the LaTeX file is ``derivations/<name>.tex``.
    title:
        Human-readable title.
    steps:
        The steps, in order.
    references:
        The works this derivation implements (at least one).
    summary:
        A paragraph introducing the derivation.
    symbols:
        Extra symbols to validate besides those appearing in the steps.

    Raises
    ------
    ParameterError
        If the name is not file-safe, no reference is given, step names repeat, or a free symbol
        of any step lacks assumptions (declare e.g. ``Symbol('g', positive=True)``).
    """

    name: str
    title: str
    steps: list[Step]
    references: Sequence[Reference]
    summary: str = ""
    symbols: Sequence[sp.Symbol] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ParameterError("name", self.name, "lower-case letters, digits and '_'")
        if not self.references:
            raise ParameterError("references", self.references, "at least one Reference")
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ParameterError("steps", step.name, "unique step names")
            seen.add(step.name)
        for sym in self.free_symbols():
            meaningful = set(sym.assumptions0) & _MEANINGFUL_ASSUMPTIONS
            if not meaningful:
                raise ParameterError(
                    f"symbol {sym.name!r} of derivation {self.name!r}",
                    sym,
                    "a symbol with explicit assumptions, e.g. Symbol(name, real=True) or "
                    "Symbol(name, positive=True)",
                )

    # ------------------------------------------------------------------ access
    def free_symbols(self) -> set[sp.Symbol]:
        """All free symbols of all steps, plus the declared ones."""
        out: set[sp.Symbol] = set(self.symbols)
        for step in self.steps:
            out |= {s for s in step.expr.free_symbols if isinstance(s, sp.Symbol)}
        return out

    def __getitem__(self, name: str) -> sp.Basic:
        for step in self.steps:
            if step.name == name:
                return step.expr
        raise KeyError(f"derivation {self.name!r} has no step {name!r}; steps: {self.step_names()}")

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def rhs(self, name: str) -> sp.Expr:
        """Right-hand side of an equation step (or the expression itself)."""
        e = self[name]
        return e.rhs if isinstance(e, sp.Equality) else e

    def citation(self) -> str:
        """The references of this derivation, one per line."""
        return "\n".join(str(r) for r in self.references)

    # ------------------------------------------------------------------ LaTeX
    def latex(self) -> str:
        """LaTeX body: a section with summary, assumptions, steps (``align*``) and references."""
        lines = [f"\\section*{{{self.title}}}"]
        lines.append(f"\\label{{der:{self.name}}}")
        if self.summary:
            lines.append(self.summary)
            lines.append("")
        assumptions = _assumption_lines(
            sorted(self.free_symbols(), key=lambda s: (s.name, sorted(s.assumptions0.items())))
        )
        if assumptions:
            lines.append("\\paragraph{Symbols.} " + "; ".join(assumptions) + ".")
            lines.append("")
        for i, step in enumerate(self.steps, start=1):
            head = f"\\paragraph{{({i}) {_tex_escape(step.name.replace('_', ' '))}.}}"
            cite = f" \\emph{{[{_tex_escape(step.cite)}]}}" if step.cite else ""
            lines.append(head + " " + step.text + cite)
            lines.append("\\begin{align*}")
            lines.append(step.latex())
            lines.append("\\end{align*}")
        lines.append("\\paragraph{References.}")
        lines.append("\\begin{itemize}")
        for ref in self.references:
            lines.append(f"\\item {_tex_escape(str(ref))}")
        lines.append("\\end{itemize}")
        return "\n".join(lines) + "\n"

    def standalone(self) -> str:
        """A complete ``.tex`` document; when ``\\input`` by the index it contributes its body only.

        The guard ``\\ifx\\theoryindex\\undefined`` skips the preamble and ``\\end{document}`` when
        the file is included by ``derivations/index.tex`` (which defines ``\\theoryindex``).
        """
        return (
            "% Generated by `theory derive` -- do not edit by hand.\n"
            f"% Derivation: {self.name}\n"
            "\\ifx\\theoryindex\\undefined\n" + LATEX_PREAMBLE + "\\begin{document}\n"
            "\\fi\n" + self.latex() + "\\ifx\\theoryindex\\undefined\n"
            "\\expandafter\\enddocument\n"
            "\\fi\n"
        )

    def write(self, directory: str | Path) -> Path:
        """Write ``<directory>/<name>.tex`` and return its path."""
        path = Path(directory) / f"{self.name}.tex"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.standalone())
        return path

    def markdown(self, level: int = 1) -> str:
        """Markdown with MathJax maths (``$$...$$``): the API reference and notebooks render it."""
        h = "#" * level
        lines = [f"\n{h} {self.title}\n", f"`{self.name}`\n"]
        if self.summary:
            lines.append(self.summary + "\n")
        for i, step in enumerate(self.steps, start=1):
            cite = f" *[{step.cite}]*" if step.cite else ""
            lines.append(f"**({i}) {step.name.replace('_', ' ')}.** {step.text}{cite}\n")
            lines.append("$$\\begin{aligned}" + step.latex() + "\\end{aligned}$$\n")
        lines.append("References: " + "; ".join(str(r) for r in self.references) + "\n")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:  # Jupyter
        body = []
        for step in self.steps:
            body.append(step.latex())
        return "$\\begin{aligned}" + r" \\ ".join(body) + "\\end{aligned}$"

    def __repr__(self) -> str:
        return f"Derivation({self.name!r}, {len(self.steps)} steps: {', '.join(self.step_names())})"


LATEX_PREAMBLE = (
    "\\documentclass[11pt]{article}\n"
    "\\usepackage[utf8]{inputenc}\n"
    "\\usepackage{amsmath,amssymb}\n"
    "\\usepackage[margin=2cm]{geometry}\n"
    "\\allowdisplaybreaks\n"
)


def _tex_escape(text: str) -> str:
    """Escape plain text (references, step names) for LaTeX."""
    out = text.replace("\\", "\\textbackslash{}")
    for ch in "&%#_":
        out = out.replace(ch, "\\" + ch)
    out = out.replace("^", "\\^{}").replace("~", "\\~{}")
    for uni, tex in (
        ("§", "\\S{}"),
        ("–", "--"),
        ("—", "---"),
        ("’", "'"),
        ("“", "``"),
        ("”", "''"),
    ):
        out = out.replace(uni, tex)
    return out


def _assumption_lines(symbols: Iterable[sp.Symbol]) -> list[str]:
    out = []
    for s in symbols:
        keys = sorted(set(k for k, v in s.assumptions0.items() if v) & _MEANINGFUL_ASSUMPTIONS)
        # keep the strongest few words, e.g. "positive" rather than "real, nonzero, ..."
        for strong in ("positive", "nonnegative", "negative", "integer"):
            if strong in keys:
                keys = [strong]
                break
        else:
            if "real" in keys:
                keys = ["real"]
        out.append(f"${sp.latex(s)}$ {', '.join(keys)}")
    return out


# ---------------------------------------------------------------------- registry
#: name -> (builder, theory) ; builders are called lazily and memoised.
DERIVATION_BUILDERS: dict[str, tuple[Callable[[], Derivation], str]] = {}


def derivation(
    name: str, theory: str
) -> Callable[[Callable[[], Derivation]], Callable[[], Derivation]]:
    """Register a zero-argument builder of a :class:`Derivation` under ``name``.

    The builder is memoised: the first call derives (possibly slowly, with the disk cache of
    :mod:`theory.symbolic.cache`), later calls return the same object.
    """

    def wrap(builder: Callable[[], Derivation]) -> Callable[[], Derivation]:
        if name in DERIVATION_BUILDERS:
            raise ParameterError("derivation name", name, "a name not registered yet")
        memo = functools.cache(builder)

        @functools.wraps(builder)
        def build() -> Derivation:
            d = memo()
            if d.name != name:
                raise ParameterError("derivation name", d.name, f"the registered name {name!r}")
            return d

        DERIVATION_BUILDERS[name] = (build, theory)
        return build

    return wrap


def derivation_names(theory: str | None = None) -> list[str]:
    """Names of registered derivations (all theories are loaded first)."""
    from theory.catalog import load_all

    load_all()
    return sorted(n for n, (_, th) in DERIVATION_BUILDERS.items() if theory in (None, th))


def get_derivation(name: str) -> Derivation:
    """Build (or fetch the memoised) derivation registered as ``name``."""
    from theory.catalog import load_all

    load_all()
    if name not in DERIVATION_BUILDERS:
        raise ParameterError("derivation", name, f"one of {sorted(DERIVATION_BUILDERS)}")
    return DERIVATION_BUILDERS[name][0]()
