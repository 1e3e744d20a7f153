"""Named functions and the nonlinearities shared by every theory.

:func:`named_function` makes a SymPy function class that prints as its name (``\\phi(h_j)``,
``\\sigma_z'(z_i)``), differentiates to its named derivative (φ → φ' → φ''), and carries its
definition, which :func:`theory.symbolic.compile.compile_function` substitutes only when it
compiles (:func:`theory.symbolic.compile.specialize`). A derivation written with named functions
therefore prints as a paper writes it and serves every concrete φ or gate; a function without a
definition (the target memory kernel ρ) stays abstract and cannot be compiled.

Each :class:`Nonlinearity` is defined once as a SymPy expression in the canonical variable
:data:`theory.symbolic.gaussian.X`; its derivative and antiderivative (normalised to Φ(0) = 0) are
derived by SymPy, and a numerically stable closed form of the antiderivative is used when SymPy's
raw result is verified equal to it (``d/dx candidate == φ`` and ``candidate(0) == 0``). For tanh,
SymPy's ``x − log(1 + tanh x)`` is replaced by the equal and stable ``log cosh x``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.cache import register_sympy_class
from theory.symbolic.compile import CompiledFunction, DefinedFunction, compile_function
from theory.symbolic.gaussian import X, name_function

__all__ = [
    "Nonlinearity",
    "NONLINEARITIES",
    "get_nonlinearity",
    "NamedFunction",
    "named_function",
]


class NamedFunction(DefinedFunction):
    """A named one-argument function: φ, σ_z, ρ, ... (made by :func:`named_function`).

    Class attributes: ``symbol`` (LaTeX name), ``plain`` (text name), ``order`` (derivatives
    taken: printed as primes), ``definition`` (a :class:`sympy.Lambda` in one variable, possibly
    with parameters as free symbols, or ``None``).
    """

    symbol: ClassVar[str] = ""
    plain: ClassVar[str] = ""
    order: ClassVar[int] = 0
    nargs = 1
    is_real = True

    @classmethod
    def head(cls) -> str:
        """The LaTeX name with the derivative marks (``\\phi'``, ``\\sigma_{z}''``, ``\\phi^{(3)}``)."""
        if cls.order <= 2:
            return cls.symbol + "'" * cls.order
        return f"{cls.symbol}^{{({cls.order})}}"

    @classmethod
    def specialized_expr(cls) -> sp.Expr:
        """The definition as an expression in its variable (for a function with a definition)."""
        if cls.definition is None:
            raise ParameterError(cls.plain, "abstract", "a named function with a definition")
        return sp.sympify(cls.definition.expr)

    @classmethod
    def derivative(cls) -> type[NamedFunction]:
        """The named derivative (its definition is SymPy's derivative of this definition)."""
        lam = cls.definition
        d_lam = None
        if lam is not None:
            (v,) = lam.variables
            d_lam = sp.Lambda(v, sp.diff(lam.expr, v))
        return _named_class(cls.plain, cls.symbol, d_lam, cls.order + 1)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return type(self).derivative()(*self.args)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        args = ", ".join(printer._print(a) for a in self.args)
        tall = "\\frac" in args or "\\sum" in args
        out = f"{type(self).head()}" + (rf"\left({args}\right)" if tall else f"({args})")
        return out if exp is None else f"{out}^{{{exp}}}"

    def _sympystr(self, printer: Any) -> str:
        cls = type(self)
        marks = "'" * cls.order if cls.order <= 2 else f"^({cls.order})"
        return f"{cls.plain}{marks}({', '.join(printer._print(a) for a in self.args)})"


@functools.cache
def _named_class(
    plain: str, symbol: str, definition: sp.Lambda | None, order: int
) -> type[NamedFunction]:
    key = "|".join((plain, symbol, sp.srepr(definition), str(order)))
    tag = hashlib.sha1(key.encode()).hexdigest()[:8]
    name = f"Named_{''.join(ch for ch in plain if ch.isalnum())}_{order}_{tag}"
    cls = type(
        name,
        (NamedFunction,),
        {"symbol": symbol, "plain": plain, "order": order, "definition": definition},
    )
    return register_sympy_class(cls)


def named_function(
    plain: str, symbol: str, definition: sp.Expr | None = None, var: sp.Symbol = X
) -> type[NamedFunction]:
    """A named function class: ``phi = named_function("phi", r"\\phi", sp.tanh(g * X))``.

    Parameters
    ----------
    plain:
        Text name (``str`` form and class name).
    symbol:
        LaTeX name.
    definition:
        Expression in ``var`` (parameters may appear as free symbols), or ``None`` for an
        abstract function.
    var:
        The variable of ``definition`` (default :data:`theory.symbolic.gaussian.X`).

    The class is cached: the same arguments give the same class.
    """
    lam = None if definition is None else sp.Lambda(var, sp.sympify(definition))
    return _named_class(plain, symbol, lam, 0)


@dataclass(frozen=True)
class Nonlinearity:
    """A pointwise nonlinearity.

    Attributes
    ----------
    name:
        Registry key (``"tanh"``).
    expr:
        SymPy expression in :data:`X`.
    label:
        LaTeX symbol (``r"\\phi"``) used in rendered derivations.
    bounded, smooth:
        Properties the theories require (the classical DMFT needs bounded and smooth; the kernel
        limit needs bounded with bounded derivative).
    stable_antiderivative:
        Optional closed form of ∫φ to prefer over SymPy's raw result (verified symbolically).
    """

    name: str
    expr: sp.Expr
    label: str
    bounded: bool
    smooth: bool
    stable_antiderivative: sp.Expr | None = None

    @property
    def derivative(self) -> sp.Expr:
        """φ' (simplified)."""
        return _derivative(self.expr)

    @property
    def antiderivative(self) -> sp.Expr:
        """Φ = ∫_0^x φ, derived by SymPy (stable closed form when verified equal)."""
        return _antiderivative(self.expr, self.stable_antiderivative)

    def function(self, symbol: str | None = None, plain: str | None = None) -> type[NamedFunction]:
        """This nonlinearity as a named function (printed ``symbol``, default its ``label``)."""
        return named_function(plain or self.name, symbol or self.label, self.expr)

    @property
    def numpy(self) -> CompiledFunction:
        """Compiled φ for arrays."""
        return compile_function(self.expr, [X])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.numpy(x)


@functools.cache
def _derivative(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.diff(expr, X))


@functools.cache
def _antiderivative(expr: sp.Expr, stable: sp.Expr | None) -> sp.Expr:
    raw = sp.integrate(expr, X)
    raw = raw - raw.subs(X, 0)
    if stable is not None:
        ok_diff = sp.simplify(sp.diff(stable, X) - expr) == 0
        ok_zero = sp.simplify(stable.subs(X, 0)) == 0
        if ok_diff and ok_zero:
            return stable
        raise ParameterError(
            "stable_antiderivative", stable, f"an antiderivative of {expr} vanishing at 0"
        )
    return sp.simplify(raw)


NONLINEARITIES: dict[str, Nonlinearity] = {
    "tanh": Nonlinearity("tanh", sp.tanh(X), r"\phi", True, True, sp.log(sp.cosh(X))),
    "erf": Nonlinearity("erf", sp.erf(sp.sqrt(sp.pi) * X / 2), r"\phi", True, True),
    "sigmoid": Nonlinearity("sigmoid", 1 / (1 + sp.exp(-X)), r"\sigma", True, True),
    "linear": Nonlinearity("linear", X, r"\phi", False, True),
    "relu": Nonlinearity("relu", sp.Max(0, X), r"\phi", False, False),
}


def get_nonlinearity(name: str) -> Nonlinearity:
    """Look a nonlinearity up by name; unknown names raise :class:`ParameterError`."""
    if name not in NONLINEARITIES:
        raise ParameterError("phi", name, f"one of {sorted(NONLINEARITIES)}")
    nl = NONLINEARITIES[name]
    name_function(nl.expr, nl.label)
    name_function(nl.expr**2, nl.label + "^2")
    name_function(nl.derivative, nl.label + "'")
    name_function(nl.derivative**2, nl.label + "'^2")
    if nl.smooth:
        big = nl.label.replace("\\phi", "\\Phi").replace("\\sigma", "\\Sigma")
        name_function(nl.antiderivative, big)
        name_function(nl.antiderivative**2, big + "^2")
    return nl
