"""Gaussian expectations: closed forms (derived by SymPy) and quadrature vs Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.symbolic.compile import compile_function
from theory.symbolic.gaussian import (
    C0,
    C,
    X,
    closed_form,
    expect,
    expect2,
    gaussian_cross,
    gaussian_mean,
    normal_rule,
)


def _mc(f, g, c, c0, n=400_000, seed=0):
    """Monte Carlo estimate and its standard error for E[f(x)g(y)]."""
    rng = np.random.default_rng(seed)
    cov = np.array([[c0, c], [c, c0]])
    xy = rng.multivariate_normal([0, 0], cov, size=n)
    v = f(xy[:, 0]) * g(xy[:, 1])
    return v.mean(), v.std() / np.sqrt(n)


@pytest.mark.parametrize(
    "F, hand",
    [
        (X, lambda c, c0: c),
        (sp.erf(X), lambda c, c0: 2 / np.pi * np.arcsin(2 * c / (1 + 2 * c0))),
        # arc-cosine kernel (Cho & Saul 2009): c0/(2π)(sinθ + (π−θ)cosθ), cosθ = c/c0
        (
            sp.Max(0, X),
            lambda c, c0: (
                c0
                / (2 * np.pi)
                * (np.sin(np.arccos(c / c0)) + (np.pi - np.arccos(c / c0)) * c / c0)
            ),
        ),
    ],
)
def test_closed_forms_match_known_kernels(F, hand) -> None:
    cf = gaussian_cross(F).closed_form()
    assert cf is not None, f"SymPy should derive a closed form for {F}"
    f = compile_function(cf, [C, C0])
    c0 = np.array([0.3, 1.0, 2.5])
    for rho in (-0.7, 0.0, 0.4, 0.95):
        np.testing.assert_allclose(f(rho * c0, c0), hand(rho * c0, c0), rtol=1e-12, atol=1e-14)


def test_no_closed_form_for_tanh_falls_back_to_quadrature() -> None:
    assert gaussian_cross(sp.tanh(X)).closed_form() is None
    Delta, Delta0 = sp.symbols("Delta Delta0", positive=True)
    expr = gaussian_cross(sp.tanh(X))(Delta, Delta0)
    assert closed_form(expr) == expr
    f = compile_function(expr, [Delta, Delta0])
    est, se = _mc(np.tanh, np.tanh, 0.6, 1.3)
    # Monte Carlo tolerance: 5 standard errors (quadrature error ~1e-15 is negligible)
    assert abs(f(0.6, 1.3) - est) < 5 * se


@pytest.mark.parametrize("c, c0", [(0.2, 0.5), (-0.4, 1.0), (1.9, 2.0), (3.0, 5.4)])
def test_quadrature_vs_monte_carlo(c, c0) -> None:
    f = lambda x: np.tanh(2 * x + 0.3)  # noqa: E731
    g = lambda x: 1 / (1 + np.exp(-5 * x))  # noqa: E731
    q = expect2(f, g, c, c0)
    est, se = _mc(f, g, c, c0)
    assert abs(q - est) < 5 * se


def test_quadrature_error_estimate_and_convergence() -> None:
    # trapezoid rule error O(exp(-2 pi a / step)), a = pi/2 for tanh: step 0.2 vs 0.1 agree to 1e-13
    v, err = expect2(np.tanh, None, 4.0, 5.45, return_error=True)
    assert err < 1e-12
    # Gauss-Hermite converges slowly for tanh at large variance (documented): 64 nodes err > 1e-5
    gh = expect2(np.tanh, None, 4.0, 5.45, rule="hermite", order=64)
    assert abs(gh - v) > 1e-5


def test_price_theorem_derivatives() -> None:
    Delta, Delta0 = sp.Symbol("Delta", real=True), sp.Symbol("Delta0", positive=True)
    Phi = gaussian_cross(sp.log(sp.cosh(X)))
    d = sp.diff(Phi(Delta, Delta0), Delta)
    assert d == gaussian_cross(sp.tanh(X))(Delta, Delta0)
    # numerical derivative of the compiled C_Phi matches compiled C_phi
    fPhi = compile_function(Phi(Delta, Delta0), [Delta, Delta0])
    fphi = compile_function(d, [Delta, Delta0])
    h = 1e-5
    num = (fPhi(0.7 + h, 1.5) - fPhi(0.7 - h, 1.5)) / (2 * h)
    assert abs(num - fphi(0.7, 1.5)) < 1e-8
    # derivative in the variance: 1/2 (C_{F'',F} + C_{F,F''})
    dv = sp.diff(gaussian_cross(sp.erf(X))(Delta, Delta0), Delta0)
    fe = compile_function(gaussian_cross(sp.erf(X))(Delta, Delta0), [Delta, Delta0])
    fdv = compile_function(dv, [Delta, Delta0])
    num = (fe(0.3, 1.0 + h) - fe(0.3, 1.0 - h)) / (2 * h)
    assert abs(num - fdv(0.3, 1.0)) < 1e-7


def test_special_lags_reduce_to_means() -> None:
    Delta0 = sp.Symbol("Delta0", positive=True)
    F = sp.log(sp.cosh(X))
    assert gaussian_cross(F)(0, Delta0) == gaussian_mean(F)(Delta0) ** 2
    assert gaussian_cross(F)(Delta0, Delta0) == gaussian_mean(F**2)(Delta0)
    assert gaussian_mean(sp.tanh(X))(Delta0) == 0  # odd


def test_mean_closed_form_and_numeric() -> None:
    cf = gaussian_mean(X**4).closed_form()
    assert sp.simplify(cf - 3 * C0**2) == 0
    v = sp.Symbol("v", positive=True)
    f = compile_function(gaussian_mean(sp.cosh(X) ** 2)(v), [v])
    # E cosh^2 x = (1 + e^{2v})/2 for x ~ N(0, v)
    # error model: cosh^2 grows like e^{2x}, so at v = 1 the weight e^{2u-u^2/2} peaks at u = 2 and the
    # truncation at 8.5 sd leaves ~e^{-6.5^2/2} ~ 1e-9 relative: this is the rule's stated limitation
    np.testing.assert_allclose(
        f(np.array([0.1, 1.0])), (1 + np.exp(2 * np.array([0.1, 1.0]))) / 2, rtol=2e-9
    )
    assert abs(expect(lambda x: x**2, 2.0) - 2.0) < 1e-12


def test_bad_input() -> None:
    with pytest.raises(ParameterError, match="c"):
        expect2(np.tanh, None, 2.0, 1.0)
    with pytest.raises(ParameterError, match="c0"):
        expect2(np.tanh, None, 0.0, -1.0)
    with pytest.raises(ParameterError, match="var"):
        expect(np.tanh, -1.0)
    with pytest.raises(ParameterError, match="order"):
        normal_rule(0)
    with pytest.raises(ParameterError, match="rule"):
        expect(np.tanh, 1.0, rule="simpson")


# ---------------------------------------------------------------------------- mean shift
def test_shifted_expectations_against_gauss_hermite_and_price() -> None:
    """E F(m + x), E F(m + x) F(m + y) by the package's trapezoid rule vs 300-node Gauss–Hermite,
    and the Price/mean-shift derivatives vs central differences."""
    from numpy.polynomial.hermite_e import hermegauss

    from theory.symbolic.gaussian import shifted_gaussian_cross, shifted_gaussian_mean

    c, c0, m = sp.Symbol("c", real=True), sp.Symbol("c_0", positive=True), sp.Symbol("m", real=True)
    F = sp.tanh(X - sp.Rational(1, 2))
    Cx = shifted_gaussian_cross(F)(c, c0, m)
    Mx = shifted_gaussian_mean(F)(c0, m)
    fC, fM = compile_function(Cx, [c, c0, m]), compile_function(Mx, [c0, m])
    u, w = hermegauss(300)
    w = w / np.sqrt(2 * np.pi)
    cv, c0v, mv = 0.7, 2.0, 0.3
    a, s = np.sqrt(c0v), cv / np.sqrt(c0v)
    r = np.sqrt(c0v - s * s)
    ref = np.einsum(
        "i,ij,j->", w * np.tanh(mv + a * u - 0.5), np.tanh(mv + s * u[:, None] + r * u - 0.5), w
    )
    assert fC(cv, c0v, mv) == pytest.approx(ref, abs=1e-12)
    assert fM(c0v, mv) == pytest.approx(w @ np.tanh(mv + a * u - 0.5), abs=1e-12)
    h = 1e-5
    for var, i in ((c, 0), (c0, 1), (m, 2)):
        d = compile_function(sp.diff(Cx, var), [c, c0, m])
        up, dn = [cv, c0v, mv], [cv, c0v, mv]
        up[i] += h
        dn[i] -= h
        assert d(cv, c0v, mv) == pytest.approx((fC(*up) - fC(*dn)) / (2 * h), abs=1e-8)
    # at c = 0 it factors, at c = c0 it is a mean of F^2; zero shift is the unshifted moment
    assert shifted_gaussian_cross(F)(0, c0, m) == Mx**2
    assert fC(0.0, c0v, mv) == pytest.approx(fM(c0v, mv) ** 2, abs=1e-13)
    G = compile_function(gaussian_cross(F)(c, c0), [c, c0])
    assert fC(cv, c0v, 0.0) == pytest.approx(G(cv, c0v), abs=1e-13)
    with pytest.raises(ParameterError):
        fC(3.0, 2.0, 0.0)  # |c| > c0


# ---------------------------------------------------------------------------- structured path
def test_structure_core_of_common_functions():
    from theory.symbolic.gaussian import structure_core

    for F in (sp.tanh(X), sp.erf(X), sp.tanh(X - sp.Rational(1, 2)), sp.tanh(X) + X / 10):
        lo, hi = structure_core(F)
        assert -6 < lo < hi < 6
    assert structure_core(X / 3) == (0.0, 0.0)  # affine: no structure
    assert structure_core(sp.sin(X)) is None  # F'' does not decay
    assert structure_core(sp.floor(X)) is None  # jumps everywhere: trapezoid
    assert structure_core(sp.Abs(X - sp.Rational(3, 10)))[2:] == (0.3,)  # the kink is an edge


@pytest.mark.parametrize("F", [sp.tanh(X - sp.Rational(1, 2)), sp.erf(X) + X / 5])
def test_expect2_shifted_structured_rule_matches_the_trapezoid(F):
    """At sd ≈ 12 both rules run; the trapezoid (step 0.2, error e^{-2πa/0.2}) and the structured
    rule (≲ 1e-10 relative per the rule's error model) must agree to 1e-10·(1 + |C|)."""
    from theory.symbolic.gaussian import expect2_shifted, structure_core

    f = compile_function(F, [X])
    core = structure_core(F)
    c0 = 150.0
    c = np.array([-100.0, 0.0, 30.0, 120.0, 149.0, 150.0])
    m = 0.7
    ref = expect2_shifted(f, f, c, c0, m)
    fast = expect2_shifted(f, f, c, c0, m, cores=(core, core))
    assert np.all(np.abs(fast - ref) <= 1e-10 * (1 + np.abs(ref)))


def test_structured_rule_with_kinks_matches_the_arc_cosine_kernel():
    """ReLU: the kink at 0 is a panel edge (structure_core lists it), so each panel sees an affine
    function and GL is exact up to the Gaussian's own quadrature (≲ 1e-12 relative); the
    reference is the closed-form arc-cosine kernel c0/(2π)(sin θ + (π − θ) cos θ), cos θ = c/c0
    (Cho & Saul 2009). The trapezoid rule errs by O(step²) here."""
    from theory.symbolic.gaussian import expect2_shifted, structure_core

    F = sp.Max(X, 0)
    core = structure_core(F)
    assert core is not None and 0.0 in core[2:]
    f = compile_function(F, [X])
    c0 = 400.0
    c = np.array([-399.0, -100.0, 0.0, 150.0, 399.0, 400.0])
    th = np.arccos(np.clip(c / c0, -1, 1))
    exact = c0 / (2 * np.pi) * (np.sin(th) + (np.pi - th) * np.cos(th))
    fast = expect2_shifted(f, f, c, c0, 0.0, cores=(core, core))
    assert np.all(np.abs(fast - exact) <= 1e-10 * (1 + np.abs(exact)))


# ------------------------------------------------------------- structured path, unshifted moment
@pytest.mark.parametrize(
    ("c", "c0", "c0b"),
    [
        (1.0, 25.0, None),  # sd 5: just above STRUCTURED_MIN_NODES
        (-20.0, 25.0, None),
        (100.0, 161.0, None),  # sd 12.7 (C_h(0) of the g_h = 30 convention-B DMFT)
        (161.0, 161.0, None),  # c = c0: the inner Gaussian degenerates to a point
        (-1500.0, 1600.0, None),  # sd 40
        (30.0, 900.0, 4.0),  # unequal variances
        (0.0, 0.0, 900.0),  # Var x = 0: f(0)·E g(y)
    ],
)
@pytest.mark.parametrize("F", [sp.tanh(X - sp.Rational(1, 2)), sp.erf(X) + X / 5])
def test_expect2_structured_rule_matches_the_trapezoid(F, c, c0, c0b):
    """expect2(cores=...) against the trapezoid rule at step 0.2 (error e^{-2πa/0.2} ≈ e^{-49}
    relative for these functions, analytic in |Im x| < π/2: the fine reference, at up to 3400²
    nodes) to 1e-10·(1 + |C|), the structured rule's error model (Gauss–Legendre of order 10 on
    panels that see the function analytic at their own length, ρ^{-20} per panel)."""
    from theory.symbolic.gaussian import structure_core

    f = compile_function(F, [X])
    core = structure_core(F)
    assert core is not None
    ref = expect2(f, f, c, c0, c0b)
    fast, err = expect2(f, f, c, c0, c0b, cores=(core, core), return_error=True)
    assert abs(fast - ref) <= 1e-10 * (1 + abs(ref))
    assert err <= 1e-10 * (1 + abs(ref))  # its own error estimate says so too


def test_expect2_structured_node_count_is_flat_in_the_scale():
    """The trapezoid rule needs (2·8.5·sd/0.2)² evaluations per cross moment (10⁴× more at
    sd 1000 than at sd 10); the structured rule's panels grow geometrically away from the core, so
    its count grows like log(sd): the same increment per decade (within 30 %; measured 1.61×
    from sd 10 to sd 1000, against 10⁴× for the trapezoid). The compiled class (gaussian_cross)
    takes the structured rule by itself and agrees with it bit for bit."""
    from theory.symbolic.gaussian import structure_core

    core = structure_core(sp.tanh(X))
    seen = [0]

    def f(x):
        seen[0] += np.size(x)
        return np.tanh(x)

    counts = {}
    for c0 in (1e2, 1e4, 1e6):
        seen[0] = 0
        expect2(f, f, 0.5 * c0, c0, cores=(core, core))
        counts[c0] = seen[0]
    first, second = counts[1e4] - counts[1e2], counts[1e6] - counts[1e4]
    assert 0 < second <= 1.3 * first  # logarithmic, not a power of sd
    assert counts[1e6] <= 2 * counts[1e2]
    assert counts[1e4] <= (2 * 8.5 * 100 / 0.2) ** 2 / 100  # 100× below the trapezoid at sd 100
    cc = sp.Symbol("cc", real=True)
    cz = sp.Symbol("cz", positive=True)
    fC = compile_function(gaussian_cross(sp.tanh(X))(cc, cz), [cc, cz])
    got = fC(5e5, 1e6)
    assert got == expect2(np.tanh, None, 5e5, 1e6, cores=(core, core))
