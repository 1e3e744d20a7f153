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


# ---------------------------------------------------------------- special functions (issue 11)
_xs = sp.Symbol("x", positive=True)
_r = sp.Rational
#: special functions SymPy's integrals, transforms and simplifications produce; each must compile
#: in both backends and agree with SymPy's own evalf (an independent mpmath evaluation).
SPECIAL = [
    sp.expint(2, _xs),
    sp.expint(_r(1, 2), _xs),
    sp.exp(_xs) * sp.expint(2, _xs),  # the Laplace transform of (1+t)^-2
    sp.Ei(_xs),
    sp.E1(_xs),
    sp.li(_xs + 1),
    sp.Li(_xs + 2),
    sp.Si(_xs),
    sp.Ci(_xs),
    sp.Shi(_xs),
    sp.Chi(_xs),
    sp.fresnels(_xs),
    sp.fresnelc(_xs),
    sp.erfi(_xs),
    sp.erf2(_xs, 2 * _xs),
    sp.erfinv(_xs / 2),
    sp.besselj(_r(1, 3), _xs),
    sp.bessely(1, _xs),
    sp.besselk(1, _xs),
    sp.jn(1, _xs),
    sp.yn(1, _xs),
    sp.airybi(_xs),
    sp.airyaiprime(_xs),
    sp.polygamma(1, _xs),
    sp.digamma(_xs),
    sp.loggamma(_xs),
    sp.beta(_xs, 2),
    sp.zeta(_xs + 1),
    sp.zeta(_xs + 1, 2),
    sp.elliptic_k(_xs / 2),
    sp.elliptic_e(_xs / 2),
    sp.elliptic_e(_xs, _r(1, 2)),
    sp.elliptic_f(_xs, _r(1, 2)),
    sp.elliptic_pi(_r(3, 10), _xs / 2),
    sp.uppergamma(-1, _xs),
    sp.uppergamma(_r(-3, 2), _xs),
    sp.lowergamma(_xs, 2),
    sp.hyper([1], [3], _xs),
    sp.hyper([_r(1, 2), 1], [3], -_xs),
    sp.meijerg([[1], []], [[_r(1, 2)], [0]], _xs),
    sp.polylog(2, _xs / 2),
    sp.polylog(3, -_xs),
    sp.dirichlet_eta(_xs + 1),
    sp.LambertW(_xs),
    sp.betainc(1, 2, 0, _xs / 2),
    sp.riemann_xi(_xs + 2),
    sp.harmonic(_xs),
    sp.Heaviside(_xs - _r(1, 2)),
]


def _reference(value: sp.Expr) -> complex:
    """SymPy's evalf (mpmath) at 20 digits, through the function's rewrite in elementary or
    better-known functions where evalf is not implemented (erf2, riemann_xi)."""
    for form in (value, sp.expand_func(value), value.rewrite(sp.erf), value.rewrite(sp.zeta)):
        v = sp.N(form, 20)
        if v.is_number and not v.has(sp.Function):
            return complex(v)
    raise AssertionError(f"no reference value for {value}")


@pytest.mark.parametrize("expr", SPECIAL, ids=[sp.srepr(e)[:40] for e in SPECIAL])
def test_special_functions_compile_in_both_backends(expr: sp.Expr) -> None:
    pts = [0.3, 0.7, 1.9]
    ref = [_reference(expr.subs(_xs, sp.Rational(str(p)))) for p in pts]
    num = compile_function(expr, [_xs])(np.array(pts))
    with mpmath.workdps(30):
        mp = [complex(compile_function(expr, [_xs], backend="mpmath")(mpmath.mpf(p))) for p in pts]
    # float64 special functions: relative error ~1e-13 (scipy); 1e-9 leaves room for cancellation
    for a, b, r in zip(num, mp, ref, strict=True):
        assert abs(a - r) <= 1e-9 * max(1.0, abs(r))
        assert abs(b - r) <= 1e-12 * max(1.0, abs(r))


def test_special_functions_without_evalf() -> None:
    """erfcinv and Marcum Q have no SymPy evalf: SciPy and mpmath agree with each other and with
    their defining identities."""
    import scipy.special as sc

    x = np.array([0.3, 0.7])
    f = compile_function(sp.erfcinv(_xs), [_xs])
    assert np.allclose(sc.erfc(f(x)), x, rtol=1e-13)
    assert (
        abs(float(compile_function(sp.erfcinv(_xs), [_xs], backend="mpmath")(0.3)) - f(0.3)) < 1e-13
    )
    q = compile_function(sp.marcumq(1, 2, _xs), [_xs])(x)
    qm = [
        float(compile_function(sp.marcumq(1, 2, _xs), [_xs], backend="mpmath")(mpmath.mpf(v)))
        for v in x
    ]
    assert np.allclose(q, qm, rtol=1e-10)
