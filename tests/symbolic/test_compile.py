"""The shared compile step: broadcasting, cache, backends, errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.compile import compile_cache_info, compile_function


def test_broadcasting_and_constants() -> None:
    a, b = sp.symbols("a b", real=True)
    f = compile_function(sp.sin(a) * sp.exp(b) + sp.sin(a) ** 2, [a, b])
    x = np.linspace(0, 1, 5)[:, None]
    y = np.linspace(-1, 0, 3)[None, :]
    out = f(x, y)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out, np.sin(x) * np.exp(y) + np.sin(x) ** 2)
    const = compile_function(sp.Integer(2), [a, b])
    assert const(np.zeros(4), 1.0).shape == (4,)


def test_cache_returns_same_object() -> None:
    a = sp.Symbol("a", real=True)
    before = compile_cache_info().hits
    f1 = compile_function(sp.cos(a) ** 3, [a])
    f2 = compile_function(sp.cos(a) ** 3, [a])
    assert f1 is f2
    assert compile_cache_info().hits > before


def test_mpmath_backend_high_precision() -> None:
    a = sp.Symbol("a", real=True)
    f = compile_function(sp.exp(a) - 1 - a, [a], backend="mpmath")
    with mpmath.workdps(50):
        v = f(mpmath.mpf("1e-20"))
        # 50 digits leave ~1e-50 absolute error after the cancellation against 1 (float64 would give 0)
        assert abs(v - mpmath.mpf("5e-41")) < mpmath.mpf("1e-49")


def test_special_functions_numpy() -> None:
    a = sp.Symbol("a", positive=True)
    f = compile_function(sp.erf(a) + sp.besseli(0, a) + sp.airyai(a), [a])
    import scipy.special as sc

    np.testing.assert_allclose(f(0.7), sc.erf(0.7) + sc.iv(0, 0.7) + sc.airy(0.7)[0])


def test_errors() -> None:
    a, b = sp.symbols("a b", real=True)
    with pytest.raises(ParameterError, match="missing"):
        compile_function(a + b, [a])
    with pytest.raises(ParameterError, match="backend"):
        compile_function(a, [a], backend="torch")  # type: ignore[arg-type]
    f = compile_function(a + b, [a, b])
    with pytest.raises(TypeError):
        f(1.0)


def test_upper_gamma_all_real_orders() -> None:
    """Γ(a, x) for a <= 0 (recurrence DLMF 8.8.2, E1 at a = 0) against mpmath."""
    from theory.symbolic.compile import upper_gamma

    for a in (-2.5, -1.0, -0.5, 0.0, 0.5, 3.0):
        for x in (0.3, 2.0, 7.0):
            assert upper_gamma(a, x) == pytest.approx(float(mpmath.gammainc(a, x)), rel=1e-10)
    xx = sp.Symbol("x", positive=True)
    f = compile_function(sp.uppergamma(-sp.Rational(1, 2), xx), [xx])
    assert f(2.0) == pytest.approx(float(mpmath.gammainc(-0.5, 2.0)), rel=1e-12)
