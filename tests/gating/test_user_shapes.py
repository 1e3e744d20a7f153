"""The theorist's own φ and gates in the gated network: acceptance, bad input, the compiled
simulator and Jacobian, the general closures, the DMFT, fixed points, spectrum and λ_max."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theory.errors import ParameterError
from theory.gating.model import (
    GatedNetwork,
    GatedParams,
    gate_expr,
    gate_r_expr,
    phi_expr,
    phi_is_odd,
)
from theory.symbolic.gaussian import X

SOFTSIGN = "x/(1 + Abs(x))"
HARD = "Min(Max(0.2*x + 0.5, 0), 1)"
#: tanh and the logistic sigmoid written so that they are *not* recognised as the defaults
TANH_DISGUISED = "2/(1 + exp(-2*x)) - 1"
SIGMOID_DISGUISED = "(1 + tanh(x/2))/2"


# ------------------------------------------------------------------ acceptance and defaults
def test_defaults_are_unchanged():
    p = GatedParams(g_h=2.5, alpha_r=20.0, beta_r=0.5)
    assert p.phi is None and p.gate_z is None and p.gate_r is None
    assert phi_expr(p) == sp.tanh(sp.Rational(5, 2) * X)
    assert gate_r_expr(p) == gate_expr(20.0, 0.5) == 1 / (1 + sp.exp(-20 * X + sp.Rational(1, 2)))
    assert p.s_r == pytest.approx(1 / (1 + math.exp(0.5)), rel=1e-15)
    # the default shapes given by name or expression are stored as the default (None)
    assert GatedParams(2.0, phi="tanh") == GatedParams(2.0, phi=sp.tanh(X)) == GatedParams(2.0)
    assert GatedParams(2.0, alpha_r=1.0, gate_r="sigmoid") == GatedParams(2.0, alpha_r=1.0)


@pytest.mark.parametrize(
    "value",
    [SOFTSIGN, sp.Symbol("x") / (1 + sp.Abs(sp.Symbol("x"))), lambda x: x / (1 + sp.Abs(x))],
)
def test_phi_accepts_string_expression_and_callable(value):
    p = GatedParams(2.0, phi=value)
    assert p.phi == X / (1 + sp.Abs(X))
    assert phi_expr(p) == 2 * X / (2 * sp.Abs(X) + 1)
    assert phi_is_odd(p)
    half = sp.Rational(1, 2)
    pb = GatedParams(2.0, phi=value, convention="B", beta_h=0.5)
    assert phi_expr(pb) == (X + half) / (sp.Abs(X + half) + 1)


def test_registered_name_and_gate_composition():
    p = GatedParams(2.0, phi="erf", alpha_r=4.0, beta_r=1.0, gate_r=HARD)
    assert p.phi == sp.erf(sp.sqrt(sp.pi) * X / 2)
    assert gate_r_expr(p) == sp.Min(1, sp.Max(0, sp.Float(0.2) * (4 * X - 1) + 0.5))
    assert p.s_r == pytest.approx(0.3)  # hard sigmoid at -beta_r = -1


@pytest.mark.parametrize(
    ("kwargs", "arg", "says"),
    [
        (dict(phi="x"), "phi", "bounded"),
        (dict(phi="tanh(x) + x/10"), "phi", "bounded"),
        (dict(phi="tanh(a*x)"), "phi", "free symbols"),
        (dict(phi="tanh(x"), "phi", "parses"),
        (dict(phi="log(x)"), "phi", ""),
        (dict(phi=[1, 2]), "phi", ""),
        (dict(gate_r="x", alpha_r=1.0), "gate_r", "unbounded"),
        (dict(gate_r="2/(1 + exp(-x))", alpha_r=1.0), "gate_r", "[0, 1]"),
        (dict(gate_z="tanh(x)", alpha_z=1.0), "gate_z", "[0, 1]"),
        (dict(gate_z="exp(x)", alpha_z=1.0), "gate_z", "gate"),
        (dict(gate_r=HARD), "alpha_r", "alpha_r > 0"),
        (dict(gate_r="sigmoid(y*x)", alpha_r=1.0), "gate_r", ""),
    ],
)
def test_bad_input_is_a_parameter_error_naming_the_argument(kwargs, arg, says):
    with pytest.raises(ParameterError) as info:
        GatedParams(2.0, **kwargs)
    assert info.value.name == arg
    assert says in str(info.value)


# ------------------------------------------------------------------ simulator and Jacobian
def test_simulator_and_jacobian_are_compiled_from_the_model():
    from theory.gating.chaos.jacobian import jacobian_matrix
    from theory.symbolic.compile import compile_function

    p = GatedParams(
        2.0, phi=SOFTSIGN, gate_r=HARD, alpha_r=3.0, gate_z="0.1 + 0.8/(1 + exp(-x))", alpha_z=2.0
    )
    net = GatedNetwork.sample(p, 7, np.random.default_rng(1))
    x = net.initial_state(np.random.default_rng(2))
    h = x[0]
    np.testing.assert_allclose(net.phi(h), 2 * h / (2 * np.abs(h) + 1), rtol=1e-14)
    np.testing.assert_allclose(net.sigma_r(x[2]), np.clip(0.6 * x[2] + 0.5, 0, 1), rtol=1e-14)
    np.testing.assert_allclose(
        net.sigma_z(x[1]), np.asarray(compile_function(0.1 + 0.8 / (1 + sp.exp(-2 * X)), [X])(x[1]))
    )
    D = jacobian_matrix(net, x)
    eps, Dn = 1e-6, np.zeros_like(D)
    for k in range(D.shape[0]):
        e = np.zeros(D.shape[0])
        e[k] = eps
        Dn[:, k] = (
            (net.rhs(x + e.reshape(x.shape)) - net.rhs(x - e.reshape(x.shape))) / 2 / eps
        ).ravel()
    np.testing.assert_allclose(D, Dn, atol=1e-8)  # central differences: O(eps²) + rounding/eps


def test_default_simulation_is_bit_for_bit():
    """The default path never goes through the compiled user functions."""
    from theory.gating.simulation import simulate_gated

    p = GatedParams(2.5, alpha_r=20.0)
    a = simulate_gated(p, 50, T=5.0, burn_in=1.0, seed=3)
    net = GatedNetwork.sample(p, 50, np.random.default_rng(0))
    assert np.array_equal(net.phi(np.linspace(-2, 2, 9)), np.tanh(2.5 * np.linspace(-2, 2, 9)))
    b = simulate_gated(p, 50, T=5.0, burn_in=1.0, seed=3)
    assert np.array_equal(a.h, b.h)


# ------------------------------------------------------------------ general closures
def test_kink_points_and_general_cross_against_adaptive_quadrature():
    from scipy import integrate

    from theory.gating.dmft.closures import general_cross, general_cross_error, kink_points
    from theory.symbolic.compile import compile_function

    F = sp.Min(1, sp.Max(0, X / 5 + sp.Rational(1, 2)))
    assert kink_points(F) == (-2.5, 2.5)
    assert kink_points(X / (1 + sp.Abs(X))) == (0.0,)
    f = compile_function(F, [X])
    c0, c = 2.0, 1.2
    s, r = math.sqrt(c0), c / c0
    q = math.sqrt(1 - r * r)

    def pdf(t: float) -> float:
        return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)

    def inner(u: float) -> float:
        pts = [(k / s - r * u) / q for k in (-2.5, 2.5)]
        return integrate.quad(
            lambda v: float(f(np.array([s * (r * u + q * v)]))[0]) * pdf(v), -9, 9, points=pts
        )[0]

    ref = integrate.quad(
        lambda u: float(f(np.array([s * u]))[0]) * inner(u) * pdf(u),
        -9,
        9,
        points=[-2.5 / s, 2.5 / s, -2.5 / (s * r), 2.5 / (s * r)],
        epsabs=1e-13,
    )[0]
    val = float(general_cross(f, f, kink_points(F), c, c0))
    assert val == pytest.approx(ref, abs=1e-10)  # scipy's own error ~1e-11
    assert general_cross_error(F, np.array([c]), c0) < 1e-10


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lo=st.floats(0.0, 0.4),
    span=st.floats(0.1, 0.6),
    slope=st.floats(0.1, 3.0),
    shift=st.floats(-2.0, 2.0),
    hard=st.booleans(),
    c0=st.floats(0.05, 5.0),
    rho=st.floats(-0.99, 0.99),
)
def test_property_user_gate_family(lo, span, slope, shift, hard, c0, rho):
    """Hard and shifted sigmoids with biases: accepted as gates, and their general closures obey
    the Gaussian identities (values in the gate's range, factorisation at c = 0, C(c) ≤ C(c0))."""
    from theory.gating.dmft.closures import general_cross, general_mean, kink_points
    from theory.symbolic.compile import compile_function

    lo_, hi_ = sp.nsimplify(round(lo, 3)), sp.nsimplify(round(lo + span, 3))
    core = (
        sp.Min(1, sp.Max(0, sp.nsimplify(round(slope, 3)) * X + sp.Rational(1, 2)))
        if hard
        else 1 / (1 + sp.exp(-sp.nsimplify(round(slope, 3)) * X))
    )
    shape = lo_ + (hi_ - lo_) * core
    p = GatedParams(2.0, alpha_r=1.5, beta_r=round(shift, 3), gate_r=shape)
    sr = gate_r_expr(p)
    assert float(lo_) - 1e-12 <= p.s_r <= float(hi_) + 1e-12
    f = compile_function(sr, [X])
    k = kink_points(sr)
    mean = float(general_mean(f, k, c0))
    assert float(lo_) - 1e-12 <= mean <= float(hi_) + 1e-12
    c = np.array([0.0, rho * c0, c0])
    vals = general_cross(f, f, k, c, c0)
    assert vals[0] == pytest.approx(mean**2, abs=1e-11)
    assert vals[1] <= vals[2] + 1e-12 and vals[2] <= float(hi_) ** 2 + 1e-12
    # a shape reaching above 1 is not a gate
    with pytest.raises(ParameterError):
        GatedParams(2.0, alpha_r=1.0, gate_r=shape + sp.Rational(1, 2) + (1 - hi_))


# ------------------------------------------------------------------ solvers
def test_dmft_of_disguised_tanh_and_sigmoid_equals_the_default():
    """tanh and the sigmoid written as other expressions take the general quadrature: the
    Fourier DMFT agrees with the default (exact logistic) path to its error estimate."""
    from theory.gating.dmft.fourier import solve_dmft_fourier

    base = GatedParams(3.0, alpha_r=2.0)
    user = GatedParams(3.0, alpha_r=2.0, phi=TANH_DISGUISED, gate_r=SIGMOID_DISGUISED)
    a = solve_dmft_fourier(base, n=1024)
    b = solve_dmft_fourier(user, n=1024)
    assert a.converged and b.converged
    assert 0 < b.info["closure_quadrature_error"] < 1e-10
    np.testing.assert_allclose(b.C_h, a.C_h, atol=1e-10)
    np.testing.assert_allclose(b.C_r, a.C_r, atol=1e-10)


def test_fixed_points_and_spectrum_with_user_shapes():
    from theory.gating.chaos.spectrum import BoundaryModel
    from theory.gating.dmft.fixed_points import solve_fixed_point_dmft, zero_fp_threshold

    base = GatedParams(1.5, alpha_r=2.0, sigma_h=0.3)
    user = GatedParams(1.5, alpha_r=2.0, sigma_h=0.3, phi=TANH_DISGUISED, gate_r=SIGMOID_DISGUISED)
    a, b = solve_fixed_point_dmft(base), solve_fixed_point_dmft(user)
    assert a.exists and b.exists
    assert b.Delta_h == pytest.approx(a.Delta_h, rel=1e-9)
    assert b.V1 + b.V2 == pytest.approx(a.V1 + a.V2, rel=1e-9)
    ma = BoundaryModel.fixed_point(base, a.Delta_h, a.Delta_z, a.Delta_r).moments
    mb = BoundaryModel.fixed_point(user, a.Delta_h, a.Delta_z, a.Delta_r).moments
    for key in ma:
        assert mb[key] == pytest.approx(ma[key], rel=1e-9), key
    # zero fixed point of a user phi: threshold 1/(f'(0) sigma_r(0)); softsign f'(0) = 1
    soft = GatedParams(1.0, alpha_r=1.0, phi=SOFTSIGN, gate_r=HARD)
    assert zero_fp_threshold(soft) == pytest.approx(2.0, rel=1e-12)
    with pytest.raises(ParameterError, match="phi"):
        zero_fp_threshold(GatedParams(1.0, phi="1/(1 + exp(-x))"))


def test_solvers_written_for_the_default_shapes_refuse_user_shapes():
    from theory.gating.chaos.spectrum import slow_mode_fraction
    from theory.gating.dmft.batched import fixed_point_exists_batch, solve_dmft_fourier_batch
    from theory.gating.gradients.adjoint_dmft import solve_adjoint_dmft

    p = GatedParams(3.0, phi=SOFTSIGN)
    with pytest.raises(ParameterError, match="batched"):
        solve_dmft_fourier_batch([p])
    with pytest.raises(ParameterError, match="batched"):
        fixed_point_exists_batch([p])
    with pytest.raises(ParameterError, match="default shape"):
        solve_adjoint_dmft(p, T=1.0)
    with pytest.raises(ParameterError, match="gate_z"):
        slow_mode_fraction(GatedParams(3.0, alpha_z=1.0, gate_z=HARD), 1.0, 0.1)


# ------------------------------------------------------------------ the registered check
def test_user_model_check_passes_and_can_fail():
    """Quick sizes: C_h(0) = 0.0629, tolerance 0.022 (t x SE of the 1/N intercept), so a +100 %
    error must fail; C_r(0) = 0.174, tolerance 0.034, +60 % must fail."""
    from theory.checks import CheckContext, run_check

    for name, eps in (
        ("gating.dmft.user_model.C_h0[softsign,hard_sigmoid]", 1.0),
        ("gating.dmft.user_model.C_r0[softsign,hard_sigmoid]", 0.6),
    ):
        good = run_check(name, CheckContext(quick=True))
        bad = run_check(name, CheckContext(quick=True, perturb=eps))
        assert good.passed and not bad.passed, (name, good.details, bad.details)
        assert "exception" not in bad.details


@pytest.mark.slow
def test_lambda_max_of_user_model_matches_finite_networks():
    """Two-replica DMFT λ_max at the user model vs the QR λ_1 of finite networks extrapolated in
    1/N over N = 150..400 (measured: 0.1526 vs 0.1536 ± 0.0067): |Δ| ≤ t(α=1e-3) × SE."""
    from scipy.stats import t as student_t

    from theory.gating.chaos.checks import lambda_size_trend
    from theory.gating.chaos.lyapunov_dmft import gated_lyapunov_dmft
    from theory.gating.dmft.checks import USER_MODEL

    lam = gated_lyapunov_dmft(USER_MODEL)
    trend = lambda_size_trend(USER_MODEL, 0, True)
    tol = float(student_t.ppf(1 - 5e-4, trend.dof)) * trend.se + 3 * lam.discretisation_error
    assert abs(trend.intercept - lam.value) <= tol
