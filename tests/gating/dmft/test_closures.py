"""Gaussian closures of the gated DMFT: the quadrature step follows the sharpness of phi and the
gate, the symbolic rules (factorisation, reduction, Price) keep that step, and the Chebyshev table
interpolates the compiled closure."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import dblquad, quad
from scipy.special import expit

from theory.errors import ParameterError
from theory.gating.dmft.closures import (
    ClosureTable,
    gate_strip,
    phi_strip,
    sharp_cross,
    sharp_mean,
)
from theory.gating.model import GatedParams, gate_expr
from theory.numerics.quadrature import strip_step
from theory.symbolic.compile import compile_function
from theory.symbolic.gaussian import X, gaussian_cross

c, c0 = sp.Symbol("c", real=True), sp.Symbol("c_0", positive=True)
GATE = gate_expr(20.0, 0.0)  # sigma(20 x), the reference output gate


def _gauss(f, v):
    s = math.sqrt(v)
    return quad(
        lambda x: f(x) * math.exp(-x * x / (2 * v)) / math.sqrt(2 * math.pi * v),
        -12 * s,
        12 * s,
        limit=400,
        points=[0],
    )[0]


def test_strips_and_steps():
    assert phi_strip(GatedParams(g_h=2.5)) == pytest.approx(math.pi / 5)
    assert phi_strip(GatedParams(g_h=2.5, convention="B")) == pytest.approx(math.pi / 2)
    assert gate_strip(20.0) == pytest.approx(math.pi / 20)
    assert gate_strip(0.0) == 1e3  # a constant gate: no constraint
    # 2 pi a / step = 49: step 0.4/alpha for the gate (capped at the spine's 0.2)
    assert strip_step(gate_strip(20.0)) == pytest.approx(2 * math.pi * (math.pi / 20) / 49)
    assert strip_step(gate_strip(1.0)) == 0.2


def test_sharp_class_carries_its_step_and_is_cached():
    step = strip_step(gate_strip(20.0))
    cls = sharp_cross(GATE, None, step)
    assert cls.step == step and sharp_cross(GATE, GATE, step) is cls
    base = gaussian_cross(GATE)
    # a coarser step than the spine's: the spine class (its wide-variance subclass for logistic F)
    wide = sharp_cross(GATE, None, 1.0)
    assert (
        issubclass(wide, base) and wide.step == base.step and sharp_cross(GATE, None, 0.5) is wide
    )
    assert sharp_cross(sp.erf(X), None, 1.0) is gaussian_cross(sp.erf(X))  # not logistic
    assert sharp_mean(GATE, step).step == step


def test_spine_step_closure_takes_the_logistic_form_at_large_variance():
    """tanh(x) (φ of convention B) has the spine's step 0.2: its closure is the spine's trapezoid
    (bit for bit) while that needs at most STRUCTURED_MIN_NODES = 400 nodes per axis (c0 ≤ 22.1),
    and the exact logistic form beyond, which agrees with the spine's structured rule to 1e-12
    (both exact to ≲ 1e-13: logistic_cross by its error model, the structured rule at 1e-10 per
    its own and measured 2e-14 here)."""
    from theory.symbolic.gaussian import expect2, structure_core

    F = sp.tanh(X)
    wide = compile_function(sharp_cross(F, None, 0.2)(c, c0), [c, c0])
    spine = compile_function(gaussian_cross(F)(c, c0), [c, c0])
    th = np.linspace(-np.pi / 2, np.pi / 2, 9)
    small = 20.0 * np.sin(th)
    assert np.array_equal(wide(small, 20.0), spine(small, 20.0))
    core = structure_core(F)
    for v in (25.0, 161.0, 1e4):
        cv = v * np.sin(th)
        ref = expect2(np.tanh, None, cv, v, cores=(core, core))
        assert np.max(np.abs(wide(cv, v) - ref)) <= 1e-12


def test_symbolic_rules_keep_the_step():
    step = 0.01
    C = sharp_cross(GATE, None, step)
    assert C(0, c0) == sharp_mean(GATE, step)(c0) ** 2  # independent at zero covariance
    assert C(c0, c0) == sharp_mean(GATE**2, step)(c0)  # the same variable at c = c0
    dC = sp.diff(C(c, c0), c)  # Price: the derivative is the closure of the derivatives
    (term,) = [f for f in dC.atoms(sp.Function) if hasattr(f, "step")]
    assert term.step == step
    f, df = compile_function(C(c, c0), [c, c0]), compile_function(dC, [c, c0])
    e = 1e-5
    fd = (float(f(0.1 + e, 0.3)) - float(f(0.1 - e, 0.3))) / (2 * e)
    assert float(df(0.1, 0.3)) == pytest.approx(fd, rel=1e-6)


def test_sharp_gate_closure_matches_adaptive_quadrature():
    """The sharp step is accurate to 1e-10; the spine's default step is not (gating-derivations 2.3)."""
    v = 0.334
    exact_diag = _gauss(lambda x: expit(20 * x) ** 2, v)
    sharp = compile_function(sharp_cross(GATE, None, strip_step(gate_strip(20.0)))(c, c0), [c, c0])
    coarse = compile_function(gaussian_cross(GATE)(c, c0), [c, c0])
    assert float(sharp(v, v)) == pytest.approx(exact_diag, abs=1e-10)
    assert abs(float(coarse(v, v)) - exact_diag) > 1e-3  # measured 5e-3
    # an interior covariance: E[sigma(20x) sigma(20y)] with Corr(x, y) = 0.6, by 2-d quadrature
    rho = 0.6
    s = math.sqrt(v * (1 - rho**2))

    def integrand(y, x):  # y | x ~ N(rho x, s^2)
        return (
            expit(20 * x)
            * expit(20 * y)
            * math.exp(-x * x / (2 * v) - (y - rho * x) ** 2 / (2 * s * s))
            / (2 * math.pi * math.sqrt(v) * s)
        )

    sv = math.sqrt(v)
    exact = dblquad(integrand, -10 * sv, 10 * sv, -10 * sv, 10 * sv, epsabs=1e-12)[0]
    assert float(sharp(rho * v, v)) == pytest.approx(exact, abs=1e-8)


def test_closure_table_interpolates_the_compiled_closure():
    phi = sp.tanh(sp.Rational(5, 2) * X)
    f = compile_function(sharp_cross(phi, None, strip_step(math.pi / 5))(c, c0), [c, c0])
    tab = ClosureTable(f, 33)
    cc = np.linspace(-0.12, 0.12, 17)
    np.testing.assert_allclose(tab(cc, 0.12), f(cc, 0.12), atol=1e-10)
    # covariances beyond the variance are clipped to the diagonal value
    assert tab(np.array([0.2]), 0.12)[0] == pytest.approx(float(f(0.12, 0.12)), abs=1e-10)
    with pytest.raises(ParameterError, match="c0"):
        tab(cc, 0.0)
    with pytest.raises(ParameterError, match="c0"):
        tab(cc, float("nan"))
