"""User memory kernels (issue 11, item 6): expressions and callables through the Laplace
transform, norms, Hankel values, constructions and plateau theory; hypotheses checked; bad input
refused with ParameterError."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate as si
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from theory.errors import ParameterError
from theory.linear_memory import approximation as ap
from theory.linear_memory import hankel as hk
from theory.linear_memory import kernels as K
from theory.linear_memory import plateau as pl
from theory.linear_memory.loss import diagonal_loss


def _quad_laplace(f, s: float) -> float:  # type: ignore[no-untyped-def]
    """Independent reference: SciPy's adaptive quadrature of ρ(t)e^{−st} on [0, ∞)."""
    return float(si.quad(lambda x: f(x) * math.exp(-s * x), 0, np.inf, limit=400, epsabs=1e-13)[0])


def test_power_law_two_compiles_through_expint() -> None:
    """The reported crash: G of 1/(1+t)^2 is e^s E_2(s) (NameError: expint before the spine fix)."""
    k = K.from_expression("1/(1+t)**2")
    assert k.methods["laplace"] == "closed form"
    for sv in (0.1, 1.0, 5.0):
        ref = _quad_laplace(lambda x: (1 + x) ** -2.0, sv)
        assert k.laplace(np.array([sv]))[0] == pytest.approx(ref, rel=1e-10)
    # ‖ρ‖₁ = 1 (tail beyond 10⁸ added from the estimated exponent 2), ‖ρ‖₂² = 1/3
    assert k.l1_norm() == pytest.approx(1.0, rel=1e-9)
    assert k.l2_norm_sq() == pytest.approx(1.0 / 3.0, rel=1e-12)
    reg = k.regularity()
    assert reg.integrable and reg.continuous and reg.rate == 0.0
    assert reg.tail_exponent == pytest.approx(2.0, rel=1e-5)
    assert reg.how["integrable"] == "symbolic" and reg.how["continuous"] == "symbolic"


def test_callable_matches_expression() -> None:
    """The same kernel as a callable (quadrature) and as an expression (closed form)."""
    ke = K.from_expression("1/(1+t)**2")
    kc = K.from_callable(lambda t: 1.0 / (1.0 + t) ** 2)
    ss = np.array([1e-3, 0.1, 1.0, 30.0])
    err = K.laplace_quadrature_error(kc, ss)
    assert np.all(np.abs(kc.laplace(ss) - ke.laplace(ss)) <= 10 * err + 1e-12)
    assert np.allclose(kc.dlaplace(ss), ke.dlaplace(ss), rtol=1e-9)
    assert kc.l1_norm() == pytest.approx(1.0, rel=1e-9)
    assert kc.l2_norm_sq() == pytest.approx(1.0 / 3.0, rel=1e-9)
    assert kc.regularity().how["continuous"] == "estimated"
    assert np.allclose(hk.hankel_singular_values(kc, k=4), hk.hankel_singular_values(ke, k=4))


def test_declared_regularity_is_kept() -> None:
    kc = K.from_callable(
        lambda t: np.exp(-2 * t), continuous=True, rate=2.0, tail_exponent=math.inf
    )
    reg = kc.regularity()
    assert reg.rate == 2.0 and reg.how["rate"] == "declared"


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("1/sqrt(1+t)", "integrable"),
        ("1/(1+t)", "integrable"),
        ("exp(-a*t)", "free symbols"),
        ("exp(-t", "could not parse"),
        ("log(t-1)*exp(-t)", "finite"),
        ("exp(-t)/(t-1)", "finite on t >= 0"),
        ("exp(-t)/t", "finite at t = 0"),
        (42, "depending on t"),
        ([1, 2], "callable"),
        (None, "callable"),
    ],
)
def test_bad_expressions_are_refused(expr: object, needle: str) -> None:
    with pytest.raises(ParameterError, match="expr") as exc:
        K.from_expression(expr)  # type: ignore[arg-type]
    assert needle in str(exc.value)


@pytest.mark.parametrize(
    ("fn", "needle"),
    [
        (lambda t: np.full_like(t, np.nan), "finite"),
        (lambda t: np.where(t > 5, np.nan, np.exp(-t)), "finite"),
        (lambda t: 1 / np.sqrt(1 + t), "integrable"),
        (lambda t: np.exp(-t)[:3], "shape"),
        (lambda t: 1 / 0, "evaluable"),
        (3.0, "callable"),
    ],
)
def test_bad_callables_are_refused(fn: object, needle: str) -> None:
    with pytest.raises(ParameterError) as exc:
        K.from_callable(fn)  # type: ignore[arg-type]
    assert needle in str(exc.value)


def test_callable_nan_later_is_a_parameter_error() -> None:
    """A callable finite on the validation grid but NaN elsewhere: ParameterError at use."""
    kc = K.from_callable(lambda t: np.where(np.abs(t - 0.123456) < 1e-9, np.nan, np.exp(-t)))
    with pytest.raises(ParameterError, match="rho"):
        kc(np.array([0.123456]))


def test_construction_refuses_jumps_and_slow_decay() -> None:
    jump = K.from_expression("exp(-t)*Heaviside(t-1)", derive_transforms=False)
    assert not jump.regularity().continuous
    assert jump.regularity().jump_at == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ParameterError, match="continuous"):
        ap.chebyshev_construction(jump, 4, 0.5)
    with pytest.raises(ParameterError, match="continuous"):
        ap.chebyshev_construction(K.shifted_window(1.0, 1.0), 4, 0.5)
    with pytest.raises(ParameterError, match="decay rate"):
        ap.chebyshev_construction(K.from_expression("1/(1+t)**2"), 4, 0.5)
    cjump = K.from_callable(lambda t: np.exp(-t) * (t > 2.0))
    with pytest.raises(ParameterError, match="jumps at t = 2"):
        ap.chebyshev_construction(cjump, 4, 0.5)


def test_reported_error_is_that_of_the_returned_model() -> None:
    k = K.from_callable(lambda t: t * np.exp(-t), name="t*exp(-t)")
    apx = ap.chebyshev_construction(k, 6, 0.5)
    # independent: adaptive quadrature of |ρ − ρ̂| with the returned model's kernel
    ref = si.quad(
        lambda x: abs(x * math.exp(-x) - float(apx.model(np.array([x]))[0])),
        0,
        200,
        limit=500,
        epsabs=1e-14,
    )[0]
    assert apx.l1_error == pytest.approx(ref, rel=1e-6)
    ke = K.from_expression("1/(1+t)**2")
    fit = ap.best_coefficients(ke, np.array([0.3, 2.0]))
    assert fit.model_loss == pytest.approx(
        diagonal_loss(ke).value(fit.model.a, fit.model.w), rel=1e-9
    )
    assert fit.model_loss >= fit.loss - 1e-15


def test_stable_floor_kernel_matches_power_law_closed_form() -> None:
    L, err = ap.stable_floor_kernel(K.from_expression("1/(1+t)**2"), 1.0, 0.5)
    L0, _ = ap.stable_floor(2.0, 1.0, 0.5)
    assert abs(L - L0) <= err + 1e-12


def test_plateau_with_user_bump() -> None:
    """The escape experiment runs on a user kernel and matches the shipped bump."""
    bump = K.from_expression("exp(-(t-3)**2)")
    r_user = pl.escape_time(K.exponential_sum([1.0], [1.0]) + bump, bump)
    r_ship = pl.escape_time(*pl.delayed_target(3.0))
    assert r_user.tau_exit == pytest.approx(r_ship.tau_exit, rel=1e-6)


# ------------------------------------------------------------------ property test over families
_settings = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)

kernels = st.one_of(
    st.tuples(st.just("power"), st.floats(1.05, 4.0)),
    st.tuples(
        st.just("expsum"),
        st.lists(st.floats(-2.0, 2.0).filter(lambda b: abs(b) > 0.05), min_size=1, max_size=3),
        st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3),
    ),
    st.tuples(st.just("tk"), st.integers(0, 3), st.floats(0.3, 3.0)),
)


def _make(spec: tuple) -> tuple[K.MemoryKernel, object]:  # type: ignore[type-arg]
    if spec[0] == "power":
        p = spec[1]
        return K.from_callable(lambda t: (1 + t) ** -p), lambda x: (1 + x) ** -p
    if spec[0] == "expsum":
        b, v = spec[1], spec[2][: len(spec[1])]
        f = lambda x: sum(bj * math.exp(-vj * x) for bj, vj in zip(b, v, strict=True))  # noqa: E731
        expr = " + ".join(f"({bj!r})*exp(-({vj!r})*t)" for bj, vj in zip(b, v, strict=True))
        return K.from_expression(expr), f
    k, a = spec[1], spec[2]
    return K.from_callable(lambda t: t**k * np.exp(-a * t)), lambda x: x**k * math.exp(-a * x)


@_settings
@given(kernels)
def test_user_kernel_contract(spec: tuple) -> None:  # type: ignore[type-arg]
    """Finite transforms and norms that agree with independent quadrature, finite Hankel values
    below ‖ρ‖₁, and constructions that return a finite error for their own model or refuse
    with ParameterError."""
    k, f = _make(spec)
    assert k.regularity().integrable
    ss = np.array([0.05, 1.0, 10.0])
    G = k.laplace(ss)
    assert np.all(np.isfinite(G))
    ref = _quad_laplace(f, 1.0)
    tol = 1e-7 * max(1.0, abs(ref)) + 10 * float(K.laplace_quadrature_error(k, [1.0])[0])
    assert abs(G[1] - ref) <= tol
    l1 = k.l1_norm()
    assert math.isfinite(l1) and l1 > 0
    assert math.isfinite(k.l2_norm_sq()) and k.l2_norm_sq() > 0
    sig = hk.hankel_singular_values(k, n=200, k=3)
    assert np.all(np.isfinite(sig)) and sig[0] <= l1 * (1 + 1e-6)
    try:
        apx = ap.chebyshev_construction(k, 5, 0.05)
    except ParameterError as exc:
        assert spec[0] == "power" and "decay rate" in str(exc)
    else:
        assert math.isfinite(apx.l1_error) and apx.l1_error >= 0
        assert apx.l1_error == pytest.approx(K.l1_distance(k, apx.model), rel=1e-4, abs=1e-10)
