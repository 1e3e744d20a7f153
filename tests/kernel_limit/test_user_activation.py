"""User activations of the kernel limit: accepted forms, checked assumptions, bad input, and the
kernel and network compiled from the same expression."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.errors import ParameterError
from theory.kernel_limit.kernel import QuadratureKernel, kernel_monte_carlo, kernel_quadrature
from theory.kernel_limit.model import KernelLimitParams, example_task, sup_abs_derivative
from theory.kernel_limit.network import InplacePlan, empirical_ntk, init_network, train
from theory.kernel_limit.rtrl import RTRL
from theory.markov.histories import HistoryChain
from theory.symbolic.gaussian import X

x = sp.Symbol("x", real=True)


@pytest.mark.parametrize(
    ("phi", "stored"),
    [
        ("tanh", "tanh"),
        (sp.tanh(x), "tanh"),  # an expression equal to a registered one is stored by name
        ("tanh(x)", "tanh"),
        (lambda s: sp.tanh(s), "tanh"),
        ("erf(x)", sp.erf(X)),  # erf(x), not the registered erf(sqrt(pi) x / 2)
        (sp.Lambda(sp.Symbol("u"), sp.tanh(sp.Symbol("u") - sp.Rational(3, 10))), None),
    ],
)
def test_accepted_forms(phi: object, stored: object) -> None:
    p = KernelLimitParams(phi=phi)
    if stored is not None:
        assert p.phi == stored
    assert math.isfinite(p.rho) and p.rho < 1


def test_defaults_unchanged() -> None:
    """The registered names keep their numbers (grid maxima at x = 0)."""
    assert KernelLimitParams().rho == 0.5
    assert sup_abs_derivative("tanh") == 1.0
    assert sup_abs_derivative("sigmoid") == 0.25
    assert KernelLimitParams(phi="sigmoid", b_max=3.0).rho == 0.75


@pytest.mark.parametrize(
    ("phi", "sup_d", "sup_s"),
    [
        ("tanh(x - 0.3)", 1.0, 1.0),
        ("tanh(x - 50)", 1.0, 1.0),  # maximum far from the origin (beyond the [-20, 20] grid)
        ("1/(1 + exp(-(x - 2)))", 0.25, 1.0),  # exp overflows at the far probes: mpmath there
        ("erf(x)", 2 / math.sqrt(math.pi), 1.0),
        ("x/(1 + Abs(x))", 1.0, 1.0),  # softsign: C1 with Lipschitz sigma' (accepted)
        ("sin(x)", 1.0, 1.0),  # bounded although oscillating
        ("exp(-x**2)", math.sqrt(2) * math.exp(-0.5), 1.0),
    ],
)
def test_sup_from_the_expression(phi: str, sup_d: float, sup_s: float) -> None:
    p = KernelLimitParams(phi=phi, b_max=0.4)
    assert sup_abs_derivative(p.phi) == pytest.approx(sup_d, rel=1e-9)
    assert p.rho == pytest.approx(0.4 * sup_d, rel=1e-9)
    assert p.sup_sigma == pytest.approx(sup_s, rel=1e-7)


@pytest.mark.parametrize(
    ("phi", "kwargs", "name", "word"),
    [
        ("tanh(a*x)", {}, "phi", "free symbols"),
        ("x**3", {}, "phi", "bounded"),
        ("x + tanh(x)", {}, "phi", "bounded"),
        ("exp(x)", {}, "phi", "bounded"),
        ("log(1 + x**2)", {}, "phi", "bounded"),
        ("2*tanh(x)", {}, "b_max", "rho"),
        ("tanh(x)", {"b_max": 1.0}, "b_max", "rho"),
        ("tanh(Abs(x))", {}, "phi", "Lipschitz"),  # sigma' jumps at 0
        ("sin(x**2)", {}, "phi", "C\\^2"),
        ("3", {}, "phi", "depends on x"),
        ("log(x)", {}, "phi", "continuous"),
        ("tanh(x", {}, "phi", "parses"),
        ("softplus", {}, "phi", "free symbols"),
        ("Max(0, x)", {}, "phi", "allow_relu"),
    ],
)
def test_bad_activation(phi: str, kwargs: dict, name: str, word: str) -> None:
    with pytest.raises(ParameterError, match=word) as info:
        KernelLimitParams(phi=phi, **kwargs)
    assert info.value.name == name


@pytest.mark.parametrize("phi", [object(), [1, 2], None, 2.5j, np.zeros(3)])
def test_non_callable_is_a_parameter_error(phi: object) -> None:
    with pytest.raises(ParameterError) as info:
        KernelLimitParams(phi=phi)
    assert info.value.name == "phi"


@settings(max_examples=15, deadline=None)
@given(
    a=st.floats(0.2, 3.0),
    s=st.floats(-30.0, 30.0),
    b_max=st.floats(0.05, 0.95),
)
def test_shifted_scaled_tanh_property(a: float, s: float, b_max: float) -> None:
    """σ = tanh(a(x − s)): sup|σ'| = a wherever the maximum is; accepted iff b_max·a < 1."""
    phi = sp.tanh(sp.Float(a) * (X - sp.Float(s)))
    rho = b_max * a
    if rho < 1 - 1e-6:
        p = KernelLimitParams(phi=phi, b_max=b_max)
        assert p.rho == pytest.approx(rho, rel=1e-9)
    elif rho > 1 + 1e-6:
        with pytest.raises(ParameterError, match="rho"):
            KernelLimitParams(phi=phi, b_max=b_max)


@settings(max_examples=20, deadline=None)
@given(
    st.one_of(
        # no * or ^: '9**9**9' would make SymPy build a 370-million-digit integer
        st.text(alphabet="xyz+-/() 0123456789.", min_size=1, max_size=12),
        st.sampled_from(["x**2", "cosh(x)", "x*y", "1/x", "sqrt(x)", "gamma(x)", "tan(x)"]),
        st.integers(-5, 5),
        st.none(),
    )
)
def test_bad_input_never_a_sympy_traceback(phi: object) -> None:
    """Anything the user types is accepted (and then satisfies the assumptions) or is a
    ParameterError, never another exception."""
    try:
        p = KernelLimitParams(phi=phi)
    except ParameterError:
        return
    assert p.rho < 1
    assert p.phi == "linear" or math.isfinite(p.sup_sigma)  # 'x' is the registered linear case


# ------------------------------------------------------------------ kernel and networks
PHIS = ["erf(x)", "tanh(x - 0.3)", "x/(1 + Abs(x))", "1/(1 + exp(-(x - 2)))", "erf", "sigmoid"]


@pytest.mark.parametrize("phi", PHIS)
def test_kernel_quadrature_vs_monte_carlo(phi: str) -> None:
    """Quadrature kernel (error estimate on by default) vs Monte Carlo over θ ~ μ₀: every entry
    within the quadrature error estimate + 5 SEM (Bonferroni over 21 entries at z = 5 is
    conservative; the MC error is c/√n)."""
    p = KernelLimitParams(phi=phi)
    hc = HistoryChain(example_task().chain, 2)
    A = kernel_quadrature(p, hc)
    assert isinstance(A, QuadratureKernel) and math.isfinite(A.error) and A.error > 0
    est = kernel_monte_carlo(p, hc, 64_000, np.random.default_rng(3))
    excess = np.abs(est.mean - A) - A.error
    assert np.all(excess <= 5 * est.sem), (A.error, float(np.max(excess / est.sem)))


def test_error_estimate_default_and_legacy() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_task().chain, 2)
    A = kernel_quadrature(p, hc)
    A0 = kernel_quadrature(p, hc, estimate_error=False)
    A2, err = kernel_quadrature(p, hc, estimate_error=True)  # the earlier pair
    assert np.array_equal(A, A0) and math.isnan(A0.error)
    assert err == A.error == float(np.max(np.abs(A2 - A)))
    assert type(A + 1.0) is np.ndarray and type(A @ A) is np.ndarray
    with pytest.raises(ParameterError, match="estimate_error"):
        kernel_quadrature(p, hc, estimate_error="yes")  # type: ignore[call-overload]


def test_softsign_error_estimate_covers_the_error() -> None:
    """For the kinked softsign the estimate (Richardson, second order) covers the distance to a
    4x finer rule."""
    p = KernelLimitParams(phi="x/(1 + Abs(x))")
    hc = HistoryChain(example_task().chain, 2)
    A = kernel_quadrature(p, hc)
    fine = kernel_quadrature(p, hc, step=0.1, n_B=40, estimate_error=False)
    assert float(np.max(np.abs(A - fine))) <= A.error


@pytest.mark.parametrize("phi", PHIS)
def test_inplace_step_equals_compiled_function(phi: str) -> None:
    """The network's in-place replay of the compiled RTRL step is bitwise the compiled step."""
    p = KernelLimitParams(phi=phi)
    step = RTRL.for_phi(p.phi).step
    plan = InplacePlan(step.source, step.func.__globals__)
    rng = np.random.default_rng(1)
    args = [rng.normal(size=(2, 40)) for _ in range(8)]
    args[0] = args[0][:, :1]
    outs = [np.empty((2, 40)) for _ in range(4)]
    plan.run(args, outs, [np.empty((2, 40)) for _ in range(max(1, plan.n_tmp))])
    for o, w in zip(outs, step.func(*args), strict=True):
        assert np.array_equal(o, np.broadcast_to(w, o.shape))


@pytest.mark.parametrize("phi", ["erf(x)", "x/(1 + Abs(x))"])
def test_network_compiled_from_the_expression(phi: str) -> None:
    """The memory of a frozen network is σ of its pre-activation (σ evaluated by NumPy here), and
    the empirical NTK's mean over units is the quadrature kernel to within Monte-Carlo error."""
    p = KernelLimitParams(phi=phi)
    task = example_task()
    rng = np.random.default_rng(0)
    f = sp.lambdify(X, p.sigma_expr, modules=["scipy", "numpy"])
    res = train(p, task, 64, 3 / 64, rng=rng, learn=False, keep_recent=10)
    th = {k: v[0] for k, v in res.theta.items()}
    xs = res.recent_states[0][::-1]  # the whole path (4 samples), oldest first
    S = np.zeros(64)
    for xv in xs:
        S = f(th["W"] * xv + th["B"] * S + th["b"])
    np.testing.assert_allclose(res.memory[0], S, rtol=0, atol=1e-14)
    hc = HistoryChain(task.chain, 2)
    N = 20_000
    th0 = init_network(p, N, 1, rng)
    AN = empirical_ntk(p, {k: v[0] for k, v in th0.items()}, hc.values)
    A = kernel_quadrature(p, hc)
    # c/√N with c <= 3 (per-unit contributions of order 1): 0.02 at N = 2e4, plus the rule error
    assert np.max(np.abs(AN - A)) <= 0.1 + A.error


def test_call_fallback_gives_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step the in-place replay cannot parse is called as the compiled function: same numbers."""
    import theory.kernel_limit.network as net

    p = KernelLimitParams(phi="tanh(x - 0.3)")
    task = example_task()
    kw = dict(R=2, theta0=init_network(p, 300, 2, np.random.default_rng(1)))
    a = train(p, task, 300, 0.5, rng=np.random.default_rng(2), **kw)  # type: ignore[arg-type]

    class Unparsable:
        def __init__(self, *args: object) -> None:
            raise ValueError("unsupported")

    monkeypatch.setattr(net, "InplacePlan", Unparsable)
    b = train(p, task, 300, 0.5, rng=np.random.default_rng(2), **kw)  # type: ignore[arg-type]
    for k in a.theta:
        assert np.array_equal(a.theta[k], b.theta[k])
    assert np.array_equal(a.memory, b.memory)
