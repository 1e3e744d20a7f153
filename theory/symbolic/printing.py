r"""The workbench's LaTeX printer: one printer for the exported files, the notebooks and the API reference.

* :class:`WorkbenchLatexPrinter` is SymPy's printer with three changes: symbols whose name is
  already LaTeX (it contains a backslash, e.g. ``\langle\dot x^2\rangle``) print verbatim instead
  of being split at ``^``/``_`` (SymPy would print ``\langle\dot x^{2\rangle}``); symbols and
  undefined functions can be given a LaTeX name (:func:`tex_name`); applied undefined functions
  print as ``f(x)`` instead of ``f{\left(x \right)}``.
* :func:`tex` prints an expression with it.
* :func:`estimate_width` estimates the typeset width (pt, 11 pt Computer Modern, display style) of a
  LaTeX math string; :func:`break_equation` uses it to break a long right-hand side into lines
  (terms of a sum; inside a long bracket; the numerator of a long fraction), so that every line fits
  the text width. The estimate is deliberately generous; the LaTeX test
  (``tests/symbolic/test_export.py``) compiles every file and fails on any overfull box, which is
  what keeps it honest.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

__all__ = [
    "WorkbenchLatexPrinter",
    "tex",
    "tex_name",
    "estimate_width",
    "break_equation",
    "TEXT_WIDTH_PT",
]

#: Width of the text block of the exported documents (a4paper, 2.2 cm margins), in pt.
TEXT_WIDTH_PT = 470.0
#: Room kept for the equation number and the indentation of continuation lines.
_NUMBER_ROOM_PT = 40.0

_TEX_NAMES: dict[str, str] = {}
#: A symbol name containing one of these is already LaTeX and prints verbatim.
_VERBATIM = ("\\", "|", "{", "(", "/")


def tex_name(obj: Any, latex: str) -> Any:
    """Give a symbol (or an undefined function class) its LaTeX form; returns ``obj``.

    Example: ``sig_h = tex_name(sp.Symbol("sigma_{I_h}", nonnegative=True), r"\\sigma_{I_h}")``.
    The name is keyed on the SymPy name, so every symbol of that name prints this way.
    """
    name = obj.name if isinstance(obj, sp.Symbol) else getattr(obj, "__name__", str(obj))
    _TEX_NAMES[name] = latex
    return obj


class WorkbenchLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with verbatim LaTeX names and compact function application."""

    printmethod = "_latex"

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        base: dict[str, Any] = {"long_frac_ratio": 3}
        base.update(settings or {})
        super().__init__(base)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:  # noqa: D102
        if expr.name in _TEX_NAMES:
            return _TEX_NAMES[expr.name]
        if any(ch in expr.name for ch in _VERBATIM):
            return expr.name
        return str(super()._print_Symbol(expr, style=style))

    def _print_Function(self, expr: Any, exp: str | None = None) -> str:  # noqa: D102
        if isinstance(expr, AppliedUndef):
            name = expr.func.__name__
            if name in _TEX_NAMES:
                head = _TEX_NAMES[name]
            elif "\\" in name:
                head = name
            else:
                head = self._deal_with_super_sub(name)
            args = ", ".join(self._print(a) for a in expr.args)
            out = f"{head}{_paren(args)}"
            return out if exp is None else f"{out}^{{{exp}}}"
        return str(super()._print_Function(expr, exp=exp))

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:  # noqa: D102
        terms = list(super()._as_ordered_terms(expr, order=order))
        if all(isinstance(-t if _neg(t) else t, sp.Symbol | sp.Number) for t in terms):
            return sorted(terms, key=_neg)  # t - s and 2 - p - q, not -s + t and -p - q + 2
        if not any(_structured(t) or isinstance(t, sp.Sum) or _named_inside(t) for t in terms):
            return terms
        out = sorted(terms, key=_term_rank)
        if _neg(out[0]):
            # lead with a positive term: E = Σ_k a_k/(s + w_k) - G(s), not -G(s) + Σ ...
            first = next((t for t in out if not _neg(t)), None)
            if first is not None:
                out.remove(first)
                out.insert(0, first)
        return out

    def _print_Derivative(self, expr: Any) -> str:  # noqa: D102
        """Time derivatives of functions as dots (ḣ(t)), other derivatives of functions as
        ∂_τ² C(τ), of symbols as ∂J/∂a; everything else as SymPy prints it."""
        f = expr.expr
        vc = list(expr.variable_count)
        if isinstance(f, AppliedUndef):
            if len(vc) == 1 and f.args == (vc[0][0],) and vc[0][1] <= 2 and str(vc[0][0]) != "t":
                head = self._print(f.func(sp.Symbol("_")))
                name = head.split("(", 1)[0]
                return f"{name}{chr(39) * vc[0][1]}{_paren(self._print(f.args[0]))}"
            if len(vc) == 1 and str(vc[0][0]) == "t" and vc[0][1] in (1, 2) and vc[0][0] in f.args:
                dots = r"\dot" if vc[0][1] == 1 else r"\ddot"
                head = self._print(f.func(*[sp.Symbol("_") for _ in f.args]))
                name = head.split("(", 1)[0].split(r"\left(", 1)[0]
                args = ", ".join(self._print(a) for a in f.args)
                return f"{dots}{{{name}}}{_paren(args)}"
            ops = "".join(
                rf"\partial_{{{self._print(v)}}}" + (f"^{{{n}}}" if n != 1 else "") for v, n in vc
            )
            return f"{ops} {self._print(f)}"
        if isinstance(f, sp.Symbol) and len(vc) == 1:
            v, n = vc[0]
            num = r"\partial" + (f"^{{{n}}}" if n != 1 else "")
            den = rf"\partial {self._print(v)}" + (f"^{{{n}}}" if n != 1 else "")
            return rf"\frac{{{num} {self._print(f)}}}{{{den}}}"
        return str(super()._print_Derivative(expr))

    def _print_Sum(self, expr: Any) -> str:  # noqa: D102
        lims = expr.limits
        if len(lims) > 1 and all(len(lm) == 3 for lm in lims):
            if len({(lm[1], lm[2]) for lm in lims}) == 1:
                idx = ",".join(self._print(lm[0]) for lm in reversed(lims))
                lo, hi = self._print(lims[0][1]), self._print(lims[0][2])
                body = self._print(expr.function)
                if isinstance(expr.function, sp.Add):
                    body = rf"\left({body}\right)"
                return rf"\sum_{{{idx}={lo}}}^{{{hi}}} {body}"
        return str(super()._print_Sum(expr))

    def _print_Integral(self, expr: Any) -> str:  # noqa: D102
        return str(super()._print_Integral(expr)).replace(r"\int\limits", r"\int")

    def _print_Mul(self, expr: Any) -> str:  # noqa: D102
        """Products with index structure print as a paper orders them: coefficient, parameters,
        factors of the row index, the coupling, factors of the column index (so
        ``σ_z(z_i) J_ij σ_r(r_j) φ(h_j)``); other products print as SymPy prints them."""
        if not _structured(expr):
            return str(super()._print_Mul(expr))
        coeff, rest = expr.as_coeff_Mul()
        sign = ""
        if coeff.is_extended_negative:
            sign, coeff = "- ", -coeff
        numer, denom = sp.fraction(sp.Mul(coeff, rest), exact=True)
        snum = self._factors(numer)
        if denom == 1:
            return sign + snum
        sden = self._factors(denom)
        nfac = len(sp.Mul.make_args(numer))
        if nfac > 1 and len(snum) > 3 * len(sden):
            return sign + rf"\frac{{1}}{{{sden}}} {snum}"
        return sign + rf"\frac{{{snum}}}{{{sden}}}"

    def _factors(self, expr: Any) -> str:
        args = _paper_order(list(sp.Mul.make_args(expr)))
        out = []
        for k, f in enumerate(args):
            t = self._print(f)
            if len(args) > 1 and self._needs_mul_brackets(
                f, first=(k == 0), last=(k == len(args) - 1)
            ):
                t = rf"\left({t}\right)"
            out.append(t)
        return " ".join(out)

    def _print_Indexed(self, expr: Any) -> str:  # noqa: D102
        base = expr.base.label
        name = base.name if isinstance(base, sp.Symbol) else str(base)
        idx = [self._print(i) for i in expr.indices]
        compact = all(len(str(i)) == 1 for i in expr.indices)
        sub = ("" if compact else ",").join(idx)
        if name in _TEX_NAMES:
            return f"{_TEX_NAMES[name]}_{{{sub}}}"
        if "\\" in name:
            return f"{name}_{{{sub}}}"
        head, _, low = name.partition("_")
        head, _, up = head.partition("^")
        head_tex = self._deal_with_super_sub(head)
        up_tex = f"^{{{up}}}" if up else ""
        low_tex = f"_{{{self._deal_with_super_sub(low)},{sub}}}" if low else f"_{{{sub}}}"
        return head_tex + up_tex + low_tex

    def _print_Transpose(self, expr: Any) -> str:  # noqa: D102
        arg = expr.arg
        if isinstance(arg, sp.MatrixSymbol):
            name = arg.name
            head, sep, up = name.partition("^")
            if sep and "_" not in up and "\\" not in name:
                return f"{self._deal_with_super_sub(head)}^{{{up}\\top}}"
            return f"{self._print(arg)}^{{\\top}}"
        return rf"\left({self._print(arg)}\right)^{{\top}}"

    def _print_IndexedBase(self, expr: Any) -> str:  # noqa: D102
        return self._print(expr.label)


def _structured(expr: Any) -> bool:
    """A product the paper order applies to: it has indexed objects or functions, or a Greek
    coefficient next to a power with a symbolic exponent (α N^{2β-2} ...)."""
    from theory.symbolic.compile import DefinedFunction

    kinds = sp.Indexed | AppliedUndef | DefinedFunction
    if any(
        isinstance(a, kinds) or (isinstance(a, sp.Pow) and isinstance(a.base, kinds))
        for a in expr.args
    ):
        return True
    greek = any(isinstance(a, sp.Symbol) and a.name in _GREEK for a in expr.args)
    sym_pow = any(isinstance(a, sp.Pow) and not a.exp.is_Number for a in expr.args)
    # a LaTeX-named symbol such as \delta_t\,dt goes after the Greek coefficients
    verbatim = any(isinstance(a, sp.Symbol) and "\\" in a.name for a in expr.args)
    return greek and (sym_pow or verbatim) or (sym_pow and len(expr.args) > 2)


def _term_rank(term: Any) -> int:
    """Order of the terms of a sum with index structure: local terms, then sums over units,
    then terms without units (sources, constants)."""
    if term.has(sp.Sum):
        return 1
    if term.atoms(sp.Indexed) or _structured(term) or _named_inside(term):
        return 0
    return 2


def _named_inside(term: Any) -> bool:
    from theory.symbolic.compile import DefinedFunction

    return bool(term.atoms(DefinedFunction) or term.atoms(AppliedUndef))


def _paper_order(factors: list[Any]) -> list[Any]:
    """Order the factors of a product: number, parameters, row factors, coupling, column factors,
    brackets and sums (see :meth:`WorkbenchLatexPrinter._print_Mul`)."""
    from theory.symbolic.compile import DefinedFunction

    def indices(f: Any) -> set[Any]:
        return {i for ix in f.atoms(sp.Indexed) for i in ix.indices}

    coupling = next((f for f in factors if isinstance(f, sp.Indexed) and len(f.indices) == 2), None)
    order = list(coupling.indices) if coupling is not None else []

    def key(f: Any) -> tuple[int, int, str]:
        base = f.base if isinstance(f, sp.Pow) else f
        name = getattr(type(base), "plain", "") or type(base).__name__
        if f.is_Number:
            return (0, 0, "")
        if isinstance(f, sp.Sum | sp.Add | sp.Integral) or isinstance(base, sp.Add):
            plain = not (f.atoms(sp.Indexed) or _named_inside(f) or f.has(sp.Sum))
            if plain and isinstance(f, sp.Pow):
                return (1, 3, "")  # a power of a bracket of parameters, (λ + s_z)²
            return (6, 0, "")
        if f is coupling:
            return (3, 0, "")
        idx = indices(f)
        if not idx and not isinstance(base, AppliedUndef | DefinedFunction):
            if isinstance(f, sp.Symbol) and f.name in _GREEK:
                return (1, 0, f.name)  # α, β, ... first
            if isinstance(f, sp.Pow) and not f.exp.is_Number:
                return (1, 1, str(f))  # N^{-β}
            return (1, 2, str(f))
        vector = 1 if isinstance(base, sp.Indexed) else 0
        rank = (
            2
            if order and idx and idx <= {order[0]}
            else 4
            if order and idx and idx <= {order[1]}
            else 5
        )
        # named functions (σ_z before σ_r before φ: reverse alphabetical), then other
        # functions (alphabetical: C_φ before ψ), then plain vectors
        if isinstance(base, DefinedFunction):
            return (rank, 0, "".join(chr(255 - ord(c)) for c in name))
        return (rank, 1 + vector, name)

    return sorted(factors, key=key)


def _paren(args: str) -> str:
    tall = any(k in args for k in ("\\frac", "\\sum", "\\int", "\\prod", "\\begin"))
    return rf"\left({args}\right)" if tall else f"({args})"


_PRINTER = WorkbenchLatexPrinter()


def tex(expr: Any) -> str:
    """LaTeX of a SymPy expression with the workbench printer."""
    return str(_PRINTER.doprint(expr))


# ------------------------------------------------------------------------------ width estimate
#: Typeset width of one "unit" (an ordinary math character at 11 pt), in pt.
_UNIT_PT = 6.9
_OPS = {
    "+": 2.2,
    "-": 2.2,
    "=": 2.4,
    "<": 2.4,
    ">": 2.4,
    ",": 0.85,
    ";": 0.85,
    ".": 0.5,
    "(": 0.75,
    ")": 0.75,
    "[": 0.6,
    "]": 0.6,
    "|": 0.5,
    "/": 0.85,
}
_SPACES = {",": 0.3, ":": 0.4, ";": 0.5, "!": -0.3, " ": 0.5, "quad": 2.0, "qquad": 4.0}
_ZERO = {
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "displaystyle",
    "limits",
    "nolimits",
    "notag",
    "nonumber",
}
_WRAPPERS = {
    "mathrm",
    "mathit",
    "mathbf",
    "mathcal",
    "mathbb",
    "mathsf",
    "operatorname",
    "boldsymbol",
    "hat",
    "widehat",
    "bar",
    "overline",
    "tilde",
    "widetilde",
    "dot",
    "ddot",
    "vec",
    "check",
    "underline",
}
_TEXTLIKE = {"text", "textrm", "textit", "texttt", "mbox"}
_BIGOPS = {"sum": 1.8, "prod": 1.8, "int": 1.2, "iint": 2.0, "oint": 1.2, "lim": 2.0}
_RELS = {"le", "ge", "leq", "geq", "neq", "approx", "simeq", "sim", "to", "mapsto", "equiv"}
_BINS = {"cdot", "times", "pm", "mp", "circ", "otimes", "oplus"}


class _Tokens:
    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def command(self) -> str:
        # at a backslash
        j = self.i + 1
        if j < len(self.s) and self.s[j].isalpha():
            k = j
            while k < len(self.s) and self.s[k].isalpha():
                k += 1
            name = self.s[j:k]
            self.i = k
            return name
        self.i = j + 1
        return self.s[j] if j < len(self.s) else ""

    def group(self) -> str:
        """The next argument: a braced group (without braces) or one token."""
        while self.peek() == " ":
            self.i += 1
        if self.peek() == "{":
            depth = 0
            start = self.i
            while self.i < len(self.s):
                ch = self.s[self.i]
                if ch == "\\":
                    self.i += 2
                    continue
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        self.i += 1
                        return self.s[start + 1 : self.i - 1]
                self.i += 1
            return self.s[start + 1 :]
        if self.peek() == "\\":
            start = self.i
            self.command()
            return self.s[start : self.i]
        ch = self.peek()
        self.i += 1
        return ch

    def optional(self) -> str:
        while self.peek() == " ":
            self.i += 1
        if self.peek() != "[":
            return ""
        end = self.s.find("]", self.i)
        out = self.s[self.i + 1 : end]
        self.i = end + 1
        return out


def _units(s: str) -> float:
    """Width of a LaTeX math string in units (see :data:`_UNIT_PT`)."""
    t = _Tokens(s)
    total = 0.0
    last_bigop = 0.0
    last_script = 0.0  # width of the script just set (a sub- and a superscript stack)
    while t.i < len(s):
        ch = t.peek()
        if ch in "^_":
            t.i += 1
            w = 0.72 * _units(t.group())
            if last_bigop:
                # display limits of a sum sit under/over the operator
                total += max(0.0, w - last_bigop)
                last_bigop = max(last_bigop, w)
            elif last_script:
                total += max(0.0, w - last_script)
                last_script = 0.0
            else:
                total += w
                last_script = w
            continue
        last_bigop = 0.0
        last_script = 0.0
        if ch == "\\":
            name = t.command()
            if name in _ZERO:
                if t.peek() in "().[]|":
                    t.i += 1
                    total += 0.8
                elif t.peek() == "\\":
                    t.command()
                    total += 0.5
                continue
            if name in ("frac", "dfrac", "tfrac", "binom"):
                num, den = t.group(), t.group()
                scale = 0.75 if name == "tfrac" else 1.0
                total += scale * max(_units(num), _units(den)) + 0.4
            elif name == "sqrt":
                idx = t.optional()
                total += _units(t.group()) + 1.2 + 0.5 * _units(idx)
            elif name in _WRAPPERS:
                total += _units(t.group())
            elif name in _TEXTLIKE:
                total += 0.85 * len(t.group())
            elif name in _BIGOPS:
                total += _BIGOPS[name]
                last_bigop = _BIGOPS[name] if name in ("sum", "prod") else 0.0
            elif name in _SPACES:
                total += _SPACES[name]
            elif name in _RELS:
                total += 2.0
            elif name in _BINS:
                total += 1.7
            elif name in ("langle", "rangle", "lvert", "rvert", "|", "{", "}"):
                total += 0.75
            elif name == "begin":
                env = t.group()
                end = s.find("\\end{" + env + "}", t.i)
                body = s[t.i : end if end >= 0 else len(s)]
                t.i = (end + len("\\end{" + env + "}")) if end >= 0 else len(s)
                total += _matrix_units(body)
            elif name in ("mathrel", "mathbin", "mathop"):
                total += _units(t.group()) + 1.0
            elif name in ("label", "tag", "eqref", "ref", "cite"):
                t.group()
            elif name in ("\\",):
                continue
            elif len(name) > 1 and name.lower() == name and name not in _GREEK:
                # operator names: \tanh, \log, \exp, \det, ...
                total += 0.85 * len(name) + 0.3
            elif name[:1].isupper():
                total += 1.45  # \Delta, \Phi, ...
            else:
                total += 1.0
            continue
        t.i += 1
        if ch in "{} &":
            continue
        if ch == "'":
            total += 0.45
            continue
        if ch.isupper():
            total += 1.3
        elif ch.isdigit():
            total += 0.92
        else:
            total += _OPS.get(ch, 1.0)
    return total


def _matrix_units(body: str) -> float:
    rows = [r for r in body.split("\\\\") if r.strip()]
    if not rows:
        return 0.0
    cols: list[float] = []
    for r in rows:
        for k, cell in enumerate(r.split("&")):
            w = _units(cell)
            if k >= len(cols):
                cols.append(w)
            else:
                cols[k] = max(cols[k], w)
    return sum(cols) + 2.0 * (len(cols) - 1) + 1.5


_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "varpi",
    "rho",
    "varrho",
    "sigma",
    "varsigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "partial",
    "nabla",
    "infty",
    "ell",
    "hbar",
    "prime",
    "dots",
    "ldots",
    "cdots",
}


def estimate_width(latex: str) -> float:
    """Estimated typeset width (pt) of a display-math LaTeX string."""
    return _units(latex) * _UNIT_PT


# ------------------------------------------------------------------------------ line breaking
def _neg(term: sp.Expr) -> bool:
    c = term.as_coeff_Mul()[0]
    return bool(c.is_extended_negative)


def _chunks(expr: sp.Expr, budget: float) -> list[str]:
    """Pieces of the LaTeX of ``expr`` between which a line may break (concatenation = expr)."""
    full = tex(expr)
    if estimate_width(full) <= budget:
        return [full]
    if isinstance(expr, sp.Add):
        out: list[str] = []
        for k, term in enumerate(_PRINTER._as_ordered_terms(expr)):
            neg = _neg(term)
            body = -term if neg else term
            sign = "- " if neg else ("" if k == 0 else "+ ")
            parts = _chunks(body, budget)
            out.append(sign + parts[0])
            out.extend(parts[1:])
        return out
    if isinstance(expr, sp.Mul):
        num, den = sp.fraction(expr)
        if den != 1 and isinstance(num, sp.Add | sp.Mul):
            inner = _chunks(num, budget)
            if len(inner) > 1:
                head = rf"\frac{{1}}{{{tex(den)}}}"
                return [head + r"\Big(" + inner[0], *inner[1:-1], inner[-1] + r"\Big)"]
        factors = list(expr.as_ordered_factors())
        adds = [f for f in factors if isinstance(f, sp.Add)]
        if adds:
            big = max(adds, key=lambda f: estimate_width(tex(f)))
            rest = sp.Mul(*[f for f in factors if f is not big], evaluate=False)
            inner = _chunks(big, budget)
            if len(inner) > 1:
                if rest == 1:
                    head = ""
                elif rest == -1:
                    head = "-"
                else:
                    head = tex(rest) + " "
                return [head + r"\Big(" + inner[0], *inner[1:-1], inner[-1] + r"\Big)"]
    return [full]


_REL = {"==": "=", "<": "<", "<=": r"\le", ">": ">", ">=": r"\ge", "!=": r"\neq"}


def break_equation(expr: sp.Basic, width: float = TEXT_WIDTH_PT) -> list[str]:
    """Lines (for an ``align`` environment, with ``&`` marks) of an equation or expression.

    Short equations give one line ``lhs &= rhs``. A long right-hand side is broken between the
    terms of a sum (recursively inside a long bracket or the numerator of a long fraction) and the
    pieces are packed greedily into lines no wider than ``width`` minus room for the equation
    number; continuation lines start with ``\\quad`` under the relation sign. A left-hand side
    wider than a third of the line moves the alignment to the left margin.
    """
    usable = width - _NUMBER_ROOM_PT
    if isinstance(expr, sp.core.relational.Relational):
        lhs, rhs = tex(expr.lhs), expr.rhs
        rel = _REL.get(expr.rel_op, expr.rel_op)
    else:
        lhs, rhs, rel = "", expr, ""
    lhs_w = estimate_width(lhs) if lhs else 0.0
    full = tex(rhs)
    head = f"{lhs} &{rel} " if lhs else "& "
    if lhs_w + estimate_width(full) + 12 <= usable:
        return [head + full]
    left_layout = lhs_w > usable / 3
    indent = 24.0
    budget = usable - indent - (0.0 if left_layout else lhs_w)
    pieces = _chunks(rhs, budget)
    lines: list[str] = []
    current = ""
    first_budget = usable - lhs_w - 12
    for p in pieces:
        limit = first_budget if not lines else budget
        trial = f"{current} {p}".strip()
        if current and estimate_width(trial) > limit:
            lines.append(current)
            current = p
        else:
            current = trial
    lines.append(current)
    if left_layout:
        out = [f"&{lhs} {rel} {lines[0]}"]
        out += [rf"&\qquad {ln}" for ln in lines[1:]]
    else:
        out = [head + lines[0]]
        out += [rf"&\quad {ln}" for ln in lines[1:]]
    return out
