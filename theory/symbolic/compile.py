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
import math
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


# ============================================================================ special functions
# SymPy's integrals and transforms produce special functions that SymPy's SciPy/mpmath printers
# leave as bare names (``expint(2, s)``, ``li(x)``, ``Shi(x)``, ...): lambdify then fails with a
# NameError at call time. Every such function gets an implementation here: a SciPy one where
# scipy.special has it (fast, vectorised), otherwise SymPy's own evalf (which runs on mpmath),
# element by element. The test ``tests/symbolic/test_compile.py::test_special_functions`` holds
# every function of a list of those SymPy may produce to its evalf value.


def _real_or_nan(val: Any) -> float:
    """A SymPy number as a float: its real part when it is real (imaginary part below 1e-12 of
    its size), NaN otherwise (complex, infinite, undefined)."""
    try:
        z = complex(val)
    except (TypeError, ValueError):
        return math.nan
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        return math.nan
    if abs(z.imag) > 1e-12 * max(abs(z), 1e-300):
        return math.nan
    return z.real


def _evalf_numpy(cls: type) -> Callable[..., np.ndarray]:
    """Element-wise fallback for ``cls`` (a SymPy function class), broadcast over the numeric
    arguments (tuple arguments, e.g. of ``hyper``, are passed through): mpmath through SymPy's
    mpmath printer (≈ 10–100 µs per point), or SymPy's evalf at 17 digits where the printer does
    not know the function (slower, but correct wherever SymPy can evaluate it)."""
    import mpmath

    direct: dict[str, Callable[..., Any] | None] = {}

    def mp_function(args: tuple[Any, ...], num: list[int]) -> Callable[..., Any] | None:
        key = repr([a for i, a in enumerate(args) if i not in num])
        if key not in direct:
            dummies = sp.symbols(f"_z0:{len(num)}")
            call = [sp.sympify(a) for a in args]
            for k, i in enumerate(num):
                call[i] = dummies[k]
            g: Callable[..., Any] | None
            try:
                g = sp.lambdify(dummies, cls(*call), modules="mpmath")
                g(*[mpmath.mpf("0.37")] * len(num))
            except NameError:  # the mpmath printer does not know it: evalf below
                g = None
            except Exception:  # noqa: BLE001 - a domain error at the probe point is fine
                pass
            direct[key] = g
        return direct[key]

    def by_evalf(args: tuple[Any, ...], num: list[int], xs: list[float]) -> float:
        call = [sp.sympify(a) for a in args]
        for k, i in enumerate(num):
            call[i] = sp.Float(xs[k], 17) if math.isfinite(xs[k]) else sp.nan
        try:
            return _real_or_nan(cls(*call).evalf(17))
        except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
            return math.nan

    def impl(*args: Any) -> np.ndarray:
        num = [i for i, a in enumerate(args) if not isinstance(a, (tuple, list, sp.Basic))]
        arrs = np.broadcast_arrays(*[np.asarray(args[i], dtype=float) for i in num])
        shape = arrs[0].shape if arrs else ()
        out = np.empty(shape)
        g = mp_function(args, num)
        for idx in np.ndindex(shape):
            xs = [float(a[idx]) for a in arrs]
            val = math.nan
            if g is not None and all(math.isfinite(x) for x in xs):
                try:
                    val = _real_or_nan(complex(g(*[mpmath.mpf(x) for x in xs])))
                except Exception:  # noqa: BLE001 - outside mpmath's domain: evalf decides
                    val = by_evalf(args, num, xs)
            else:
                val = by_evalf(args, num, xs)
            out[idx] = val
        return out

    return impl


def _evalf_mpmath(cls: type) -> Callable[..., Any]:
    """Fallback for the mpmath backend: SymPy's evalf at the working precision of mpmath."""

    def impl(*args: Any) -> Any:
        import mpmath

        dps = mpmath.mp.dps
        call = [sp.Float(a, dps) if isinstance(a, mpmath.mpf) else sp.sympify(a) for a in args]
        val = cls(*call).evalf(dps)
        try:
            return mpmath.mpf(val) if val.is_real else mpmath.mpc(complex(val))
        except (TypeError, ValueError):
            return mpmath.mpf("nan")

    return impl


def _expn(n: Any, x: Any) -> np.ndarray:
    """E_n(x) = ∫_1^∞ e^{−xt} t^{−n} dt (SymPy's ``expint``): scipy's expn for integer n ≥ 0,
    x^{n−1} Γ(1−n, x) otherwise (DLMF 8.19.1)."""
    n, x = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(x, dtype=float))
    import scipy.special as sc

    out = np.empty(n.shape)
    integer = (n == np.round(n)) & (n >= 0)
    out[integer] = sc.expn(n[integer].astype(int), x[integer])
    if np.any(~integer):
        nn, xx = n[~integer], x[~integer]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out[~integer] = np.where(xx > 0, xx ** (nn - 1) * upper_gamma(1 - nn, xx), np.nan)
    return out


def _scipy_special() -> dict[str, Callable[..., Any]]:
    """SciPy implementations of SymPy functions the SciPy printer leaves as bare names."""
    import scipy.special as sc

    def li(x: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return sc.expi(np.log(x))

    return {
        "expint": _expn,
        "E1": sc.exp1,
        "li": li,
        "Li": lambda x: li(x) - li(2.0),
        "Shi": lambda x: sc.shichi(x)[0],
        "Chi": lambda x: sc.shichi(x)[1],
        "erf2": lambda x, y: sc.erf(y) - sc.erf(x),
        "erfcinv": sc.erfcinv,
        "hankel1": sc.hankel1,
        "hankel2": sc.hankel2,
        "polygamma": lambda n, x: sc.polygamma(np.asarray(n).astype(int), x),
        "loggamma": sc.gammaln,
        "elliptic_k": sc.ellipk,
        "elliptic_f": sc.ellipkinc,
        "elliptic_e": lambda *a: sc.ellipe(a[0]) if len(a) == 1 else sc.ellipeinc(a[0], a[1]),
        "LambertW": lambda x: np.where(np.asarray(x) >= -1 / np.e, sc.lambertw(x).real, np.nan),
        "dirichlet_eta": lambda x: (1 - 2.0 ** (1 - np.asarray(x, dtype=float))) * sc.zeta(x),
        "marcumq": _marcumq,
    }


def _marcumq(m: Any, a: Any, b: Any) -> Any:
    """Marcum Q_m(a, b) = P(χ'²_{2m}(a²) > b²) (noncentral chi-square survival function)."""
    from scipy.stats import ncx2

    return ncx2.sf(
        np.asarray(b, dtype=float) ** 2,
        2 * np.asarray(m, dtype=float),
        np.asarray(a, dtype=float) ** 2,
    )


def _mpmath_special() -> dict[str, Callable[..., Any]]:
    """mpmath implementations of SymPy functions whose evalf SymPy does not implement."""
    import mpmath

    def marcumq(m: Any, a: Any, b: Any) -> Any:
        def f(x: Any) -> Any:
            return (
                x
                * (x / a) ** (m - 1)
                * mpmath.exp(-(x**2 + a**2) / 2)
                * mpmath.besseli(m - 1, a * x)
            )

        return mpmath.quad(f, [b, mpmath.inf])

    return {"erfcinv": lambda x: mpmath.erfinv(1 - x), "marcumq": marcumq}


def _function_atoms(expr: Any) -> list[sp.Basic]:
    """One applied instance per SymPy function class in ``expr`` (workbench and undefined
    functions excluded)."""
    exprs = expr if isinstance(expr, tuple) else (expr,)
    found: dict[type, sp.Basic] = {}
    for e in exprs:
        for f in sp.sympify(e).atoms(sp.Function):
            cls = type(f)
            if not issubclass(cls, (NumericFunction, sp.core.function.AppliedUndef)):
                found.setdefault(cls, f)
    return list(found.values())


@functools.lru_cache(maxsize=2)
def _namespace_names(backend: Backend) -> frozenset[str]:
    """Names a lambdified function of this backend resolves without our help."""
    if backend == "mpmath":
        import mpmath

        return frozenset(vars(mpmath))
    import scipy.special as sc

    return frozenset(vars(np)) | frozenset(vars(sc)) | {"scipy", "numpy"}


def _printed_name(f: sp.Basic, backend: Backend) -> str | None:
    """The bare name the backend's printer calls for the applied function ``f``, or None when it
    prints an expression of its own (``sici(x)[0]``, ``numpy.exp(x)``)."""
    from sympy.printing.numpy import SciPyPrinter
    from sympy.printing.pycode import MpmathPrinter

    settings = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True}
    printer = MpmathPrinter(settings) if backend == "mpmath" else SciPyPrinter(settings)
    head = printer.doprint(f).split("(", 1)[0].strip()
    return head if head.isidentifier() else None


def _special_functions(expr: Any, backend: Backend) -> dict[str, Callable[..., Any]]:
    """Implementations for every special function of ``expr`` the backend's namespace lacks:
    SciPy where it has the function (numpy backend), SymPy's evalf on mpmath otherwise."""
    names = _namespace_names(backend)
    scipy_map = _scipy_special() if backend == "numpy" else _mpmath_special()
    found: dict[str, Callable[..., Any]] = {}
    for f in _function_atoms(expr):
        cls = type(f)
        name = _printed_name(f, backend)
        if name is None or name in names:
            continue
        if name in scipy_map:
            found[name] = scipy_map[name]
        else:
            found[name] = _evalf_numpy(cls) if backend == "numpy" else _evalf_mpmath(cls)
    return found


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
    """``out`` as a float array of ``shape``; copies only when broadcasting a constant.

    A complex result (SciPy's ``lambertw``, a power of a negative base) keeps its real part where
    the imaginary part vanishes (below 1e-12 of the modulus) and is NaN elsewhere: a non-real
    value is not silently truncated to its real part."""
    arr = np.asarray(out)
    if np.iscomplexobj(arr):
        real = np.abs(arr.imag) <= 1e-12 * np.abs(arr)
        arr = np.where(real, arr.real, np.nan)
    arr = np.asarray(arr, dtype=float)
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
    modules = _modules(backend, extra)
    special = _special_functions(expr, backend)
    # the special functions fill gaps only: a name of the base map or of a NumericFunction wins
    modules[0] = {**special, **modules[0]}
    func = sp.lambdify(args, expr, modules=modules, cse=cse)
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
