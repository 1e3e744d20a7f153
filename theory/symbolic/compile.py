"""One shared compile step: SymPy expression → fast numeric function.

:func:`compile_function` is the only place where the workbench turns symbols into numbers. It
wraps :func:`sympy.lambdify` with

* common-subexpression elimination (``cse=True``),
* an explicit module mapping per backend: ``"numpy"`` (NumPy + ``scipy.special``) for vectorised
  float64 work, ``"mpmath"`` for arbitrary precision,
* numeric implementations of the workbench's own SymPy function classes (Gaussian expectations,
  see :mod:`theory.symbolic.gaussian`), found by walking the expression,
* specialisation of named functions (:class:`DefinedFunction`: φ, σ_z, ... of
  :mod:`theory.symbolic.nonlinearities`): derivations keep them as named objects, the compiled
  code evaluates their definitions (:func:`specialize`),
* broadcasting: every output has the broadcast shape of the inputs, also when the expression does
  not depend on some of them (a constant comes back as a full array),
* a cache keyed on the expression, the argument list, the backend and the SymPy version.

Hot loops never call ``subs``/``evalf``; they call the compiled function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sympy as sp

from theory.errors import ParameterError

__all__ = [
    "compile_function",
    "CompiledFunction",
    "NumericFunction",
    "DefinedFunction",
    "specialize",
    "compile_cache_info",
    "upper_gamma",
]

Backend = Literal["numpy", "mpmath"]


class NumericFunction(sp.Function):
    """Base class of workbench SymPy functions that carry their own numeric implementation.

    Subclasses implement :meth:`numeric_impl` returning a callable for a backend; the compile
    step injects it into the lambdified namespace under the class name.
    """

    @classmethod
    def numeric_impl(cls, backend: Backend) -> Callable[..., Any]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{cls.__name__} has no numeric implementation for {backend}")


class DefinedFunction(sp.Function):
    r"""Base class of named SymPy functions that carry their definition (a :class:`sympy.Lambda`).

    A derivation prints ``phi(h_j)`` as :math:`\phi(h_j)`; :func:`specialize` (called by
    :func:`compile_function`) replaces it by the definition applied to the arguments. Subclasses
    set ``definition`` (``None`` for an abstract function that cannot be compiled).
    """

    definition: sp.Lambda | None = None

    def specialized(self) -> sp.Expr:
        """The definition applied to the arguments."""
        lam = type(self).definition
        if lam is None:
            raise ParameterError(
                "expression",
                type(self).__name__,
                "named functions with a definition (this one is abstract) before compiling",
            )
        return sp.sympify(lam(*self.args))


def specialize(expr: Any) -> Any:
    """Replace every :class:`DefinedFunction` in ``expr`` by its definition (recursively).

    Unevaluated derivatives of named functions are evaluated after the replacement.
    """
    if isinstance(expr, tuple):
        return tuple(specialize(e) for e in expr)
    e = sp.sympify(expr)
    for _ in range(10):
        if not e.has(DefinedFunction):
            return e
        e = e.replace(lambda f: isinstance(f, DefinedFunction), lambda f: f.specialized())
        if e.has(sp.Derivative):
            e = e.replace(lambda d: isinstance(d, sp.Derivative), lambda d: d.doit())
    if e.has(DefinedFunction):  # pragma: no cover - definitions that refer to themselves
        raise ParameterError("expression", expr, "named functions with non-recursive definitions")
    return e


def upper_gamma(a: Any, x: Any) -> np.ndarray:
    """Upper incomplete gamma Γ(a, x) for any real a (x > 0): scipy for a > 0, upward recurrence
    Γ(a, x) = (Γ(a+1, x) − x^a e^{−x}) / a for a ≤ 0 (DLMF 8.8.2)."""
    a = np.asarray(a, dtype=float)
    x = np.asarray(x, dtype=float)
    a, x = np.broadcast_arrays(a, x)

    import scipy.special as _sc

    def rec(aa: np.ndarray, xx: np.ndarray) -> np.ndarray:
        pos = aa > 0
        out = np.empty(aa.shape)
        out[pos] = _sc.gamma(aa[pos]) * _sc.gammaincc(aa[pos], xx[pos])
        if np.any(~pos):
            an, xn = aa[~pos], xx[~pos]
            if np.any(an == np.round(an)) and np.any(an <= 0):
                out[~pos] = np.where(an == 0, _sc.exp1(xn), np.nan)
                nz = an != 0
                if np.any(nz):
                    sub = out[~pos]
                    sub[nz] = (rec(an[nz] + 1, xn[nz]) - xn[nz] ** an[nz] * np.exp(-xn[nz])) / an[
                        nz
                    ]
                    out[~pos] = sub
            else:
                out[~pos] = (rec(an + 1, xn) - xn**an * np.exp(-xn)) / an
        return out

    return rec(a, x)


def _modules(backend: Backend, extra: dict[str, Callable[..., Any]]) -> list[Any]:
    if backend == "numpy":
        import scipy.special as sc

        base: dict[str, Any] = {
            "erf": sc.erf,
            "erfc": sc.erfc,
            "airyai": lambda x: sc.airy(x)[0],
            "besseli": sc.iv,
            "gamma": sc.gamma,
            "uppergamma": upper_gamma,
            "lowergamma": lambda a, x: sc.gamma(a) * sc.gammainc(a, x),
        }
        base.update(extra)
        return [base, "scipy", "numpy"]
    if backend == "mpmath":
        base = dict(extra)
        return [base, "mpmath"]
    raise ParameterError("backend", backend, "'numpy' or 'mpmath'")


@dataclass(frozen=True)
class CompiledFunction:
    """A compiled expression: call it with arrays (broadcast together) or mpmath numbers.

    Attributes
    ----------
    expr:
        The SymPy expression (or tuple of expressions) compiled.
    args:
        The argument symbols, in call order.
    backend:
        ``"numpy"`` or ``"mpmath"``.
    source:
        The generated Python source (for inspection and debugging).
    """

    expr: Any
    args: tuple[sp.Symbol, ...]
    backend: str
    func: Callable[..., Any]
    source: str

    def __call__(self, *values: Any) -> Any:
        if len(values) != len(self.args):
            raise TypeError(
                f"compiled function of {[a.name for a in self.args]} called with "
                f"{len(values)} arguments"
            )
        if self.backend == "mpmath":
            return self.func(*values)
        arrays = [np.asarray(v, dtype=float) for v in values]
        # floating-point events inside an expression are routine and harmless to the result:
        # e^{-x} overflows in a sigmoid at x < -710 (1/(1 + inf) = 0, exactly right), and a
        # Piecewise evaluates every branch (0/0 in the branch not taken at x = 0 of a softsign
        # derivative): no warning. A non-finite *result* is for the caller to check; every
        # solver does (ConvergenceError / ParameterError, never a silent NaN).
        with np.errstate(all="ignore"):
            out = self.func(*arrays)
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        if isinstance(self.expr, tuple):
            return tuple(_full(o, shape) for o in out)
        return _full(out, shape)

    def __repr__(self) -> str:
        names = ", ".join(a.name for a in self.args)
        return f"CompiledFunction(({names}) -> {self.expr}, backend={self.backend!r})"


def _full(out: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``out`` as a float array of ``shape``; copies only when broadcasting a constant."""
    arr = np.asarray(out, dtype=float)
    if arr.shape == shape:
        return arr
    return np.broadcast_to(arr, shape).copy()


def _numeric_functions(expr: Any, backend: Backend) -> dict[str, Callable[..., Any]]:
    exprs = expr if isinstance(expr, tuple) else (expr,)
    found: dict[str, Callable[..., Any]] = {}
    for e in exprs:
        for f in sp.sympify(e).atoms(sp.Function):
            cls = type(f)
            if issubclass(cls, NumericFunction):
                found[cls.__name__] = cls.numeric_impl(backend)
    return found


@functools.lru_cache(maxsize=512)
def _compile_cached(
    key_expr: str, key_args: str, backend: Backend, cse: bool, version: str, _obj: _Holder
) -> CompiledFunction:
    expr, args = _obj.expr, _obj.args
    extra = _numeric_functions(expr, backend)
    func = sp.lambdify(args, expr, modules=_modules(backend, extra), cse=cse)
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):  # pragma: no cover
        source = "<unavailable>"
    return CompiledFunction(expr=expr, args=tuple(args), backend=backend, func=func, source=source)


class _Holder:
    """Carries the live objects through lru_cache while the key uses only their srepr."""

    def __init__(self, expr: Any, args: tuple[sp.Symbol, ...]) -> None:
        self.expr = expr
        self.args = args

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Holder)


def compile_function(
    expr: sp.Basic | Sequence[sp.Basic],
    args: Sequence[sp.Symbol],
    *,
    backend: Backend = "numpy",
    cse: bool = True,
) -> CompiledFunction:
    """Compile a SymPy expression (or a tuple of them) into a numeric function of ``args``.

    Parameters
    ----------
    expr:
        Expression, or sequence of expressions (returned as a tuple of arrays).
    args:
        Symbols in call order. Every free symbol of ``expr`` must be among them.
    backend:
        ``"numpy"`` (vectorised float64, ``scipy.special``) or ``"mpmath"`` (arbitrary precision,
        scalar arguments).
    cse:
        Common-subexpression elimination in the generated code.

    Returns
    -------
    CompiledFunction
        Cached: compiling the same expression twice returns the same object.

    Raises
    ------
    ParameterError
        If ``expr`` has free symbols that are not arguments, or the backend is unknown.
    """
    if backend not in ("numpy", "mpmath"):
        raise ParameterError("backend", backend, "'numpy' or 'mpmath'")
    if isinstance(expr, (list, tuple)):
        expr_t: Any = tuple(specialize(sp.sympify(e)) for e in expr)
        free = set().union(*(e.free_symbols for e in expr_t))
    else:
        expr_t = specialize(sp.sympify(expr))
        free = expr_t.free_symbols
    args_t = tuple(args)
    missing = free - set(args_t)
    if missing:
        raise ParameterError(
            "args",
            [a.name for a in args_t],
            f"a list containing every free symbol; missing {sorted(map(str, missing))}",
        )
    key_expr = sp.srepr(expr_t)
    key_args = sp.srepr(args_t)
    return _compile_cached(
        key_expr, key_args, backend, cse, sp.__version__, _Holder(expr_t, args_t)
    )


def compile_cache_info() -> Any:
    """Hit/miss statistics of the compile cache (``functools.lru_cache`` info)."""
    return _compile_cached.cache_info()
