"""Derivations as data: ordered, named SymPy steps with assumptions and citations.

A :class:`Derivation` is what a theory *derives*: an ordered list of :class:`Step` objects (each a
SymPy equation or expression with a human title and prose), the symbols it uses (every one
carrying explicit assumptions), a notation paragraph in words, and the :class:`Reference` s it
implements (BibTeX keys of :mod:`theory.symbolic.bibliography`). It renders itself, with the
workbench printer of :mod:`theory.symbolic.printing` (named functions, index notation, long
right-hand sides broken across lines), to

* LaTeX: a section whose steps are numbered ``align`` equations labelled
  ``eq:<derivation>.<step>`` (a paper can ``\\eqref`` any of them), with ``\\cite`` keys;
* a standalone ``.tex`` document with its own bibliography that compiles with ``pdflatex``; the
  same file is ``\\input`` by the book ``index.tex`` written by ``theory derive``
  (:mod:`theory.symbolic.export`);
* Markdown with MathJax (the API reference) and, in Jupyter, itself.

Steps marked ``hidden`` (small-N expansions SymPy verifies, pieces the compiled code reads) stay
in the derivation but are not printed. :func:`prove_equal` lets a builder print a simpler form
only when SymPy proves it equal to the derived one; :func:`tidy_sums` cleans the index sums SymPy
returns when it differentiates sums of ``Indexed`` objects.

Derivations are registered with the :func:`derivation` decorator on a zero-argument builder, so
that importing :mod:`theory` stays fast: nothing is derived until a derivation is asked for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.bibliography import get_entry, thebibliography
from theory.symbolic.printing import TEXT_WIDTH_PT, break_equation, tex

__all__ = [
    "Reference",
    "Step",
    "Derivation",
    "derivation",
    "get_derivation",
    "derivation_names",
    "DERIVATION_BUILDERS",
    "prove_equal",
    "tidy_sums",
    "LATEX_PREAMBLE",
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
    """A citation: the work (a BibTeX key of :mod:`theory.symbolic.bibliography`) and where in it.

    Parameters
    ----------
    work:
        Short plain-text citation; filled in from the bibliography when ``key`` is given and
        ``work`` is empty.
    where:
        Equation, section or theorem, e.g. ``"Eq. (5)"``; empty when the whole work is meant.
    note:
        Optional plain-text remark (shown by :meth:`__str__`, never exported to LaTeX).
    key:
        BibTeX key (``"sompolinsky1988"``): the exported LaTeX cites ``\\cite[where]{key}``.

    Raises
    ------
    ParameterError
        If neither ``work`` nor ``key`` is given, or the key is not in the bibliography.
    """

    work: str = ""
    where: str = ""
    note: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        if self.key:
            entry = get_entry(self.key)
            if not self.work:
                object.__setattr__(self, "work", entry.plain())
        elif not self.work:
            raise ParameterError("Reference", self, "a work or a bibliography key")

    def __str__(self) -> str:
        out = self.work
        if self.where:
            out += f", {self.where}"
        if self.note:
            out += f" [{self.note}]"
        return out

    def cite(self) -> str:
        """LaTeX: ``\\cite[where]{key}`` (or the escaped plain text for a work without key)."""
        if not self.key:
            return _tex_escape(self.work + (f", {self.where}" if self.where else ""))
        opt = f"[{_tex_escape(self.where)}]" if self.where else ""
        return f"\\cite{opt}{{{self.key}}}"

    def short(self) -> str:
        """Plain author–year form with the location (Markdown rendering)."""
        who = get_entry(self.key).short() if self.key else self.work
        return who + (f", {self.where}" if self.where else "")


@dataclass(frozen=True)
class Step:
    """One named step of a derivation.

    Parameters
    ----------
    name:
        Identifier used to fetch the step (``derivation["energy"]``); lower-case with underscores.
        It becomes the equation label ``eq:<derivation>.<name>`` of the export.
    expr:
        A SymPy ``Eq`` (rendered ``lhs = rhs``), another relation, or any SymPy expression.
    text:
        Prose (LaTeX allowed) rendered before the equation. Besides ordinary LaTeX it may use
        ``\\stepref{step}`` (the equation of another step of this derivation),
        ``\\derivref{name}`` (another registered derivation) and ``\\cite[where]{key}``.
    cite:
        Where this step comes from: a location (``"Eq. (5)"``) in the derivation's first
        reference, or a :class:`Reference`; optional.
    title:
        Human title of the step, the heading of its paragraph (``"Adjoint of the gate z"``).
    hidden:
        A verification step (e.g. a small-N expansion SymPy checks, or a piece the compiled code
        reads): kept in the derivation, not printed in the exported document.
    """

    name: str
    expr: sp.Basic
    text: str = ""
    cite: str | Reference = ""
    title: str = ""
    hidden: bool = False

    def lines(self, width: float = TEXT_WIDTH_PT) -> list[str]:
        """The equation as ``align`` lines (``&`` marks), broken to fit ``width`` pt."""
        return break_equation(self.expr, width)

    def latex(self) -> str:
        """LaTeX of the equation for an ``align``/``aligned`` environment (lines joined by ``\\\\``)."""
        return " \\\\\n".join(self.lines())


@dataclass
class Derivation:
    """An ordered list of named SymPy steps with assumptions and citations.

    Parameters
    ----------
    name:
        File-safe identifier (``"classical_dmft"``): the LaTeX file is ``derivations/<name>.tex``.
    title:
        Human-readable title (plain text; it heads the section of the book).
    steps:
        The steps, in order.
    references:
        The works this derivation implements (at least one); the first is the main one.
    summary:
        A paragraph introducing the derivation.
    symbols:
        Extra symbols to validate besides those appearing in the steps.
    notation:
        The symbols paragraph, in words: pairs ``(symbol or LaTeX string, words)``, rendered as
        "$g>0$ the gain; ..." (the sign condition comes from the symbol's assumptions).

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
    notation: Sequence[tuple[sp.Basic | str, str]] = field(default_factory=tuple)

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

    def step(self, name: str) -> Step:
        """The :class:`Step` called ``name``."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"derivation {self.name!r} has no step {name!r}; steps: {self.step_names()}")

    def shown_steps(self) -> list[Step]:
        """The steps the export prints (every step not marked ``hidden``)."""
        return [s for s in self.steps if not s.hidden]

    def rhs(self, name: str) -> sp.Expr:
        """Right-hand side of an equation step (or the expression itself)."""
        e = self[name]
        return e.rhs if isinstance(e, sp.Equality) else e

    def label(self, step: str | None = None) -> str:
        """The LaTeX label of the derivation (``sec:<name>``) or of one of its steps."""
        return f"sec:{self.name}" if step is None else f"eq:{self.name}.{step}"

    def citation(self) -> str:
        """The references of this derivation as plain text, one per line."""
        return "\n".join(str(r) for r in self.references)

    def bib_keys(self) -> list[str]:
        """BibTeX keys this derivation cites (its references, then ``\\cite`` s in its text)."""
        keys = [r.key for r in self.references if r.key]
        texts = [self.summary, *(s.text for s in self.steps)]
        keys += [s.cite.key for s in self.steps if isinstance(s.cite, Reference) and s.cite.key]
        for t in texts:
            for m in _CITE_RE.finditer(t):
                keys.extend(k.strip() for k in m.group(2).split(","))
        out: list[str] = []
        for k in keys:
            if k not in out:
                get_entry(k)
                out.append(k)
        return out

    # ------------------------------------------------------------------ LaTeX
    def _step_cite(self, step: Step) -> Reference | None:
        if isinstance(step.cite, Reference):
            return step.cite
        if step.cite:
            main = self.references[0]
            return Reference(main.work, step.cite, key=main.key)
        return None

    def _expand(self, text: str, markdown: bool = False) -> str:
        """Expand ``\\stepref``, ``\\derivref`` (and, for Markdown, ``\\cite``) in prose."""
        shown = [s.name for s in self.shown_steps()]

        def step_ref(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in shown:
                raise ParameterError(
                    f"\\stepref in derivation {self.name!r}", name, f"one of {shown}"
                )
            return f"({shown.index(name) + 1})" if markdown else f"\\eqref{{{self.label(name)}}}"

        def deriv_ref(m: re.Match[str]) -> str:
            name = m.group(1)
            title = _derivation_title(name)
            return f"(see *{title}*)" if markdown else f"\\derivref{{{name}}}{{{title}}}"

        out = _STEPREF_RE.sub(step_ref, text)
        out = _DERIVREF_RE.sub(deriv_ref, out)
        if markdown:

            def cite(m: re.Match[str]) -> str:
                where = m.group(1)
                refs = [get_entry(k.strip()).short() for k in m.group(2).split(",")]
                return "(" + "; ".join(refs) + (f", {where}" if where else "") + ")"

            out = _CITE_RE.sub(cite, out)
            for pat, rep in _MD_TEXT:
                out = pat.sub(rep, out)
        return out

    def _notation_text(self, markdown: bool = False) -> str:
        parts = []
        for obj, words in self.notation:
            if isinstance(obj, str):
                sym = obj
            else:
                sym = tex(obj)
                if isinstance(obj, sp.Symbol):
                    if obj.is_integer and obj.is_positive:
                        sym += r"\ge1"
                    elif obj.is_positive:
                        sym += ">0"
                    elif obj.is_nonnegative:
                        sym += r"\ge0"
            parts.append(f"${sym}$ {self._expand(words, markdown)}")
        return "; ".join(parts) + "." if parts else ""

    def latex(self) -> str:
        """LaTeX body: a section with summary, notation, numbered equations and the sources.

        Every shown step is a paragraph headed by its title, followed by an ``align``
        environment whose last line carries the label ``eq:<name>.<step>``; long right-hand
        sides are broken across lines (:func:`theory.symbolic.printing.break_equation`).
        """
        lines = [f"\\section{{{_section_title(self.title)}}}", f"\\label{{{self.label()}}}"]
        if self.summary:
            lines += [self._expand(self.summary), ""]
        notation = self._notation_text()
        if notation:
            lines += ["\\paragraph{Notation.} " + notation, ""]
        for step in self.shown_steps():
            head = f"\\paragraph{{{step.title}.}} " if step.title else ""
            ref = self._step_cite(step)
            text = _with_cite(self._expand(step.text), ref.cite() if ref is not None else "")
            if head or text:
                lines.append((head + text).rstrip())
            body = step.lines()
            lines.append("\\begin{align}")
            for k, ln in enumerate(body):
                last = k == len(body) - 1
                lines.append(
                    ln + (f" \\label{{{self.label(step.name)}}}" if last else " \\notag\\\\")
                )
            lines.append("\\end{align}")
        hidden = [s for s in self.steps if s.hidden and s.title]
        if hidden:
            checked = "; ".join(s.title for s in hidden)
            lines.append(f"\\paragraph{{Checked by SymPy.}} {checked[0].upper()}{checked[1:]}.")
        lines.append("")
        lines.append("\\paragraph{Sources.} " + _cite_list(self.references) + ".")
        return "\n".join(lines) + "\n"

    def standalone(self) -> str:
        """A complete ``.tex`` document; when ``\\input`` by the index it contributes its body only.

        The guard ``\\ifx\\theoryindex\\undefined`` skips the preamble, the bibliography and
        ``\\end{document}`` when the file is included by ``derivations/index.tex`` (which defines
        ``\\theoryindex`` and typesets one bibliography for the book).
        """
        return (
            "% Generated by `theory derive` -- do not edit by hand.\n"
            f"% Derivation: {self.name}\n"
            "\\ifx\\theoryindex\\undefined\n" + LATEX_PREAMBLE + "\\begin{document}\n"
            "\\fi\n"
            + self.latex()
            + "\\ifx\\theoryindex\\undefined\n"
            + thebibliography(self.bib_keys())
            + "\\expandafter\\enddocument\n"
            "\\fi\n"
        )

    def write(self, directory: str | Path) -> Path:
        """Write ``<directory>/<name>.tex`` and return its path."""
        path = Path(directory) / f"{self.name}.tex"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.standalone())
        return path

    def markdown(self, level: int = 1) -> str:
        """Markdown with MathJax maths (``$$...$$``): the API reference and notebooks render it.

        The equations are the same LaTeX as the export (same printer, same line breaks).
        """
        h = "#" * level
        lines = [f"\n{h} {self._expand(self.title, markdown=True)}\n", f"`{self.name}`\n"]
        if self.summary:
            lines.append(self._expand(self.summary, markdown=True) + "\n")
        notation = self._notation_text(markdown=True)
        if notation:
            lines.append(f"**Notation.** {notation}\n")
        for i, step in enumerate(self.shown_steps(), start=1):
            ref = self._step_cite(step)
            cite = f" ({ref.short()})" if ref is not None else ""
            title = self._expand(step.title, markdown=True)
            head = f"**({i}) {title}.** " if title else f"**({i})** "
            lines.append(f"{head}{self._expand(step.text, markdown=True)}{cite}\n")
            body = " \\\\ ".join(step.lines())
            lines.append("$$\\begin{aligned}" + body + "\\end{aligned}$$\n")
        lines.append("Sources: " + "; ".join(r.short() for r in self.references) + ".\n")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:  # Jupyter (preferred over LaTeX by the front ends)
        return self.markdown(level=3)

    def _repr_latex_(self) -> str:  # Jupyter, LaTeX-only front ends
        body = [" \\\\ ".join(step.lines()) for step in self.shown_steps()]
        return "$$\\begin{aligned}" + r" \\[4pt] ".join(body) + "\\end{aligned}$$"

    def __repr__(self) -> str:
        return f"Derivation({self.name!r}, {len(self.steps)} steps: {', '.join(self.step_names())})"


def prove_equal(derived: sp.Expr, stated: sp.Expr, what: str = "") -> sp.Expr:
    """Return ``stated`` after SymPy proves it equal to ``derived`` (``simplify`` of the difference).

    Derivations print the simpler, stated form of a result only when SymPy can show that it is
    the derived one: ``prove_equal(sp.integrate(...), a*b/(w_i + w_k), "pair term")``.

    Raises
    ------
    AssertionError
        If the difference does not simplify to zero.
    """
    diff = sp.simplify(sp.expand(derived - stated))
    if diff != 0:
        diff = sp.simplify(sp.expand(sp.expand_trig(diff).rewrite(sp.exp)))
    if diff != 0:
        raise AssertionError(f"{what or 'stated form'}: {stated} differs from {derived} by {diff}")
    return stated


def tidy_sums(expr: sp.Expr) -> sp.Expr:
    """Tidy the index sums SymPy returns when it differentiates sums of ``Indexed`` objects.

    Differentiating :math:`\\sum_{k=1}^N J_{ik}\\phi(h_k)` in :math:`h_j` gives a ``Piecewise``
    guarded by :math:`1\\le j\\le N`; indices are always in range, so the guarded branch is
    kept. Factors that do not depend on the summation index are moved out of each sum, sums of
    sums are split, and empty sums vanish.
    """

    def in_range(cond: Any) -> bool:
        parts = cond.args if isinstance(cond, sp.And) else (cond,)
        return all(isinstance(c, sp.core.relational.Relational) for c in parts)

    def piecewise(p: sp.Piecewise) -> sp.Expr:
        for val, cond in p.args:
            if cond == sp.true or in_range(cond):
                return val
        return p

    def pull(s: sp.Sum) -> sp.Expr:
        if len(s.limits) != 1:
            return s
        idx = s.limits[0][0]
        body = sp.expand(s.function)
        if body == 0:
            return sp.Integer(0)
        out = sp.Integer(0)
        for term in sp.Add.make_args(body):
            outside = [f for f in sp.Mul.make_args(term) if not f.has(idx)]
            inside = [f for f in sp.Mul.make_args(term) if f.has(idx)]
            out += sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), s.limits)
        return out

    out = expr.replace(lambda e: isinstance(e, sp.Piecewise), piecewise)
    return out.replace(lambda e: isinstance(e, sp.Sum), pull)


LATEX_PREAMBLE = (
    "\\documentclass[11pt,a4paper]{article}\n"
    "\\usepackage[utf8]{inputenc}\n"
    "\\usepackage{amsmath,amssymb}\n"
    "\\usepackage[margin=2.2cm]{geometry}\n"
    "\\usepackage[hidelinks]{hyperref}\n"
    "\\numberwithin{equation}{section}\n"
    "\\allowdisplaybreaks\n"
    "\\setlength{\\emergencystretch}{3em}\n"
    "\\providecommand{\\derivref}[2]{(see \\emph{#2})}\n"
)

_STEPREF_RE = re.compile(r"\\stepref\{([a-z0-9_]+)\}")
_DERIVREF_RE = re.compile(r"\\derivref\{([a-z0-9_]+)\}")
_CITE_RE = re.compile(r"\\cite(?:\[([^\]]*)\])?\{([^}]*)\}")
_MD_TEXT = [
    (re.compile(r"\\texttt\{([^}]*)\}"), r"`\1`"),
    (re.compile(r"\\emph\{([^}]*)\}"), r"*\1*"),
    (re.compile(r"(?<!-)---(?!-)"), "—"),
    (re.compile(r"(?<!-)--(?!-)"), "–"),
    (re.compile(r"~"), " "),
    (re.compile(r'\\"o'), "ö"),
    (re.compile(r'\\"a'), "ä"),
    (re.compile(r'\\"u'), "ü"),
    (re.compile(r"\\'e"), "é"),
    (re.compile(r"\\\^o"), "ô"),
    (re.compile(r"\\ "), " "),
]


def _with_cite(text: str, cite: str) -> str:
    """Append a citation to a step's prose, before its final ``:``/``,`` if it ends with one."""
    if not cite:
        return text
    text = text.rstrip()
    if not text:
        return cite + "."
    if text[-1] in ":,":
        return f"{text[:-1]} {cite}{text[-1]}"
    if text[-1] == ".":
        return f"{text[:-1]} {cite}."
    return f"{text} {cite}."


def _cite_list(refs: Sequence[Reference]) -> str:
    """``\\cite{a,b}`` for references without a location, ``\\cite[where]{c}`` for the rest."""
    plain = [r.key for r in refs if r.key and not r.where]
    parts = [r.cite() for r in refs if not (r.key and not r.where)]
    if plain:
        parts.insert(0, f"\\cite{{{','.join(dict.fromkeys(plain))}}}")
    return "; ".join(parts)


def _derivation_title(name: str) -> str:
    if name not in DERIVATION_BUILDERS:
        raise ParameterError("\\derivref", name, f"one of {sorted(DERIVATION_BUILDERS)}")
    return DERIVATION_BUILDERS[name][0]().title


def _section_title(title: str) -> str:
    if "$" not in title:
        return title
    plain = re.sub(r"\$[^$]*\$", "", title).replace("  ", " ").strip()
    return f"\\texorpdfstring{{{title}}}{{{plain}}}"


def _tex_escape(text: str) -> str:
    """Escape plain text (references, step names) for LaTeX."""
    out = text.replace("\\", "\\textbackslash{}")
    for ch in "&%#_":
        out = out.replace(ch, "\\" + ch)
    out = out.replace("^", "\\^{}").replace("~", "\\~{}")
    for uni, tex_ in (
        ("§", "\\S{}"),
        ("–", "--"),
        ("—", "---"),
        ("’", "'"),
        ("“", "``"),
        ("”", "''"),
    ):
        out = out.replace(uni, tex_)
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
