r"""The gated RNN: parameters, nonlinearities, and the finite network's vector field.

Krishnamurthy, Can & Schwab, *Theory of gating in recurrent neural networks*, Phys. Rev. X 12,
011011 (2022), Eqs. (1)–(3):

.. math::
    \dot h_i &= \sigma_z(z_i)\,\big[-h_i + \textstyle\sum_j J^h_{ij}\,\sigma_r(r_j)\,\phi(h_j) + I^h_i\big]\\
    \tau_z\dot z_i &= -z_i + \textstyle\sum_j J^z_{ij}\,\phi(h_j) + I^z_i\\
    \tau_r\dot r_i &= -r_i + \textstyle\sum_j J^r_{ij}\,\phi(h_j) + I^r_i

with :math:`\phi(x)=\tanh(g_h x+\beta_h)`, :math:`\sigma_{z,r}(x)=1/(1+e^{-\alpha_{z,r}x+\beta_{z,r}})`
(our reading of the sign of the paper's gate bias: σ(x) = sigmoid(αx − β)), and J^h, J^z, J^r
independent with entries N(0, 1/N).

**The theorist's own φ and gates.** ``GatedParams(phi=f, gate_z=s_z, gate_r=s_r)`` replaces the
*shapes* tanh and sigmoid by user functions (a SymPy expression in ``x``, a string SymPy parses or a
registered name, :func:`theory.symbolic.expressions.as_expression`), keeping the gains and biases:

.. math::
    \phi(x)=f(g_hx+\beta_h)\ \text{(A)},\quad f(x+\beta_h)\ \text{(B)},\qquad
    \sigma_{z,r}(x)=s_{z,r}(\alpha_{z,r}x-\beta_{z,r}),

so ``gate_r="Min(Max(0.2*x + 0.5, 0), 1)", alpha_r=1`` is the hard sigmoid as written and the
defaults (``None``) are tanh and the logistic sigmoid, bit for bit. Assumptions, checked on
construction (:class:`~theory.errors.ParameterError` naming the argument otherwise): a gate is a
gate -- bounded with values in [0, 1] on the whole line (probe grid |x| ≤ 50 and |x| = 10², …, 10⁸)
and, when given, used with α > 0 (α = 0 would make it the constant s(−β): use the default gate and
β for a constant rate); φ is bounded (the DMFT closures integrate φ against Gaussians of unknown
variance on a truncated domain, and the fixed-point scan brackets Δ_h by g_J sup φ² ⟨σ_r²⟩); both
are real, finite and continuous on ℝ with no free symbol but x.

Where the gain g_h sits (``GatedParams.convention``):

* ``"A"`` (default, the paper's): g_h inside tanh, Var J^h = 1/N;
* ``"B"``: φ(x) = tanh(x + β_h) and Var J^h = g_h²/N. Equivalent via h_B = g_h h_A (static
  h-inputs scale by g_h too); only h-level statistics scale by g_h².

This module holds the *definition* of the finite network (used by simulators, Jacobians and
adjoints); it contains no mean-field theory.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Literal, cast, overload

import numpy as np
import sympy as sp

from theory.errors import ParameterError, is_finite_number, require, require_memory
from theory.symbolic.gaussian import X

__all__ = [
    "GatedParams",
    "GatedNetwork",
    "gate_expr",
    "gate_z_expr",
    "gate_r_expr",
    "phi_expr",
    "sigmoid_gate",
    "phi_is_odd",
    "has_user_functions",
    "compiled_model",
    "require_default_shapes",
]

#: The default shapes: φ = tanh(g_h x + β_h), σ = sigmoid(αx − β).
DEFAULT_PHI_SHAPE = sp.tanh(X)
DEFAULT_GATE_SHAPE = 1 / (1 + sp.exp(-X))
#: Far-tail probe points of the gate-range check (besides a grid of step 0.05 on [−50, 50]).
_GATE_TAILS = np.array([-1e8, -1e6, -1e4, -1e3, -1e2, 1e2, 1e3, 1e4, 1e6, 1e8])


@dataclass(frozen=True)
class GatedParams:
    """Parameters of the gated RNN of Krishnamurthy, Can & Schwab (2022), Eqs. (1)–(3).

    Parameters
    ----------
    g_h:
        Gain of φ (> 0).
    beta_h:
        Bias of φ.
    alpha_z, beta_z:
        Update-gate sharpness (≥ 0) and bias; α_z = 0 gives a constant rate σ_z = s_z.
    alpha_r, beta_r:
        Output-gate sharpness (≥ 0) and bias.
    tau_z, tau_r:
        Gate time constants (> 0), in units of the h time constant.
    sigma_h, sigma_z, sigma_r:
        Standard deviations (≥ 0) of static i.i.d. Gaussian inputs I^h_i, I^z_i, I^r_i.
    convention:
        ``"A"`` (g_h inside tanh; default, as in the paper) or ``"B"`` (g_h in Var J^h).
    phi:
        Shape f of φ (module docstring): ``None`` (tanh), a SymPy expression in x, a string or a
        registered name; φ(x) = f(g_h x + β_h) (A) or f(x + β_h) (B). Must be bounded.
    gate_z, gate_r:
        Shapes s of the gates: ``None`` (logistic sigmoid) or a user function with values in
        [0, 1]; σ(x) = s(αx − β), which needs α > 0.

    Stored as ``None`` (default shape; an expression equal to tanh or the sigmoid is stored as
    ``None`` too) or the validated SymPy expression in :data:`theory.symbolic.gaussian.X`.
    """

    g_h: float
    beta_h: float = 0.0
    alpha_z: float = 0.0
    beta_z: float = 0.0
    alpha_r: float = 0.0
    beta_r: float = 0.0
    tau_z: float = 1.0
    tau_r: float = 1.0
    sigma_h: float = 0.0
    sigma_z: float = 0.0
    sigma_r: float = 0.0
    convention: Literal["A", "B"] = "A"
    phi: Any = None
    gate_z: Any = None
    gate_r: Any = None

    def __post_init__(self) -> None:
        for name in ("g_h", "tau_z", "tau_r"):
            v = getattr(self, name)
            require(is_finite_number(v) and v > 0, name, v, f"a finite number {name} > 0")
        for name in ("alpha_z", "alpha_r", "sigma_h", "sigma_z", "sigma_r"):
            v = getattr(self, name)
            require(is_finite_number(v) and v >= 0, name, v, f"a finite number {name} >= 0")
        for name in ("beta_h", "beta_z", "beta_r"):
            v = getattr(self, name)
            require(is_finite_number(v), name, v, "a finite number")
        require(self.convention in ("A", "B"), "convention", self.convention, "'A' or 'B'")
        object.__setattr__(self, "phi", _phi_shape(self.phi))
        for name, alpha in (("gate_z", "alpha_z"), ("gate_r", "alpha_r")):
            shape = _gate_shape(getattr(self, name), name)
            object.__setattr__(self, name, shape)
            if shape is not None and getattr(self, alpha) == 0.0:
                raise ParameterError(
                    alpha,
                    0.0,
                    f"{alpha} > 0 with a user {name} (sigma(x) = {name}({alpha} x - beta); "
                    f"{alpha} = 1 uses it as written; for a constant gate use the default shape "
                    "and its bias)",
                )

    @property
    def s_z(self) -> float:
        """σ_z(0) = 1/(1 + e^{β_z}) (the user shape at −β_z when ``gate_z`` is given)."""
        if self.gate_z is not None:
            return _shape_value(self.gate_z, -self.beta_z)
        return sigmoid_gate(0.0, self.alpha_z, self.beta_z)

    @property
    def s_r(self) -> float:
        """σ_r(0) = 1/(1 + e^{β_r}) (the user shape at −β_r when ``gate_r`` is given)."""
        if self.gate_r is not None:
            return _shape_value(self.gate_r, -self.beta_r)
        return sigmoid_gate(0.0, self.alpha_r, self.beta_r)

    def to_convention(self, convention: Literal["A", "B"]) -> GatedParams:
        """Same network in the other convention (only the flag changes: parameters are shared)."""
        from dataclasses import replace

        return replace(self, convention=convention)


@overload
def sigmoid_gate(x: float, alpha: float, beta: float) -> float: ...
@overload
def sigmoid_gate(x: np.ndarray | float, alpha: float, beta: float) -> np.ndarray | float: ...
def sigmoid_gate(x: np.ndarray | float, alpha: float, beta: float) -> np.ndarray | float:
    """σ(x) = 1/(1 + exp(−αx + β)), numerically stable for large |αx − β|."""
    a = np.asarray(alpha * np.asarray(x, dtype=float) - beta)
    out = 0.5 * (1.0 + np.tanh(0.5 * a))
    return float(out) if np.ndim(out) == 0 else out


def gate_expr(alpha: float, beta: float, shape: sp.Expr | None = None) -> sp.Expr:
    """SymPy σ(X) = 1/(1 + exp(−αX + β)) for numeric α, β (exact rationals when possible);
    with a user ``shape`` s (an expression in X), σ(X) = s(αX − β)."""
    a, b = sp.nsimplify(alpha), sp.nsimplify(beta)
    if shape is None:
        return 1 / (1 + sp.exp(-a * X + b))
    return sp.sympify(shape.xreplace({X: a * X - b}))


def gate_z_expr(params: GatedParams) -> sp.Expr:
    """SymPy σ_z(X) of ``params`` (default or user shape)."""
    return gate_expr(params.alpha_z, params.beta_z, params.gate_z)


def gate_r_expr(params: GatedParams) -> sp.Expr:
    """SymPy σ_r(X) of ``params`` (default or user shape)."""
    return gate_expr(params.alpha_r, params.beta_r, params.gate_r)


def phi_expr(params: GatedParams) -> sp.Expr:
    """SymPy φ(X) in the params' convention: tanh(g_h X + β_h) (A) or tanh(X + β_h) (B), or the
    user shape f in place of tanh."""
    gh, bh = sp.nsimplify(params.g_h), sp.nsimplify(params.beta_h)
    if params.phi is None:
        return sp.tanh(gh * X + bh) if params.convention == "A" else sp.tanh(X + bh)
    arg = gh * X + bh if params.convention == "A" else X + bh
    return sp.sympify(params.phi.xreplace({X: arg}))


def has_user_functions(params: GatedParams) -> bool:
    """Whether φ or a gate of ``params`` is a user shape (not tanh / the logistic sigmoid)."""
    return params.phi is not None or params.gate_z is not None or params.gate_r is not None


def require_default_shapes(params: GatedParams, what: str) -> None:
    """Raise :class:`~theory.errors.ParameterError` naming the user shape if ``params`` has one:
    for the solvers written for tanh and the logistic gates only (``what`` names the solver)."""
    for name in ("phi", "gate_z", "gate_r"):
        if getattr(params, name) is not None:
            raise ParameterError(
                name,
                getattr(params, name),
                f"the default shape (None) for {what}: it is derived for tanh(g_h x + beta_h) and "
                "sigmoid(alpha x - beta) only (the DMFT, fixed points, Jacobian, spectrum and "
                "lambda_max take user shapes)",
            )


def phi_is_odd(params: GatedParams) -> bool:
    """Whether φ is odd: β_h = 0 for tanh; decided on the expression for a user φ."""
    if params.phi is None:
        return params.beta_h == 0.0
    from theory.symbolic.expressions import is_odd

    return is_odd(phi_expr(params))


# ---------------------------------------------------------------- user shapes: parse and validate
def _phi_shape(value: Any) -> sp.Expr | None:
    if value is None:
        return None
    from theory.symbolic.expressions import as_expression, growth

    expr = as_expression(value, "phi")
    if expr == DEFAULT_PHI_SHAPE:
        return None
    if not growth(expr).bounded:
        raise ParameterError(
            "phi",
            expr,
            "a bounded phi (assumption of the gated DMFT: its Gaussian closures are integrated on "
            "a truncated domain and the fixed-point scan brackets Delta_h by g_J sup phi^2)",
        )
    return expr


def _gate_shape(value: Any, name: str) -> sp.Expr | None:
    if value is None:
        return None
    from theory.symbolic.compile import compile_function
    from theory.symbolic.expressions import as_expression, growth

    expr = as_expression(value, name)
    if expr == DEFAULT_GATE_SHAPE:
        return None
    required = (
        "a gate: a function bounded on the real line with values in [0, 1] "
        "(e.g. 'Min(Max(0.2*x + 0.5, 0), 1)' or '1/(1 + exp(-x))')"
    )
    if not growth(expr).bounded:
        raise ParameterError(name, expr, f"{required}; it is unbounded")
    xs = np.concatenate([np.linspace(-50.0, 50.0, 2001), _GATE_TAILS])
    with np.errstate(all="ignore"):
        vals = np.broadcast_to(np.asarray(compile_function(expr, [X])(xs), dtype=float), xs.shape)
    bad = (vals < -1e-12) | (vals > 1.0 + 1e-12) | ~np.isfinite(vals)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ParameterError(name, expr, f"{required}; it is {vals[i]:.6g} at x = {xs[i]:.6g}")
    return expr


@functools.lru_cache(maxsize=256)
def _shape_value(shape: sp.Expr, x: float) -> float:
    from theory.symbolic.compile import compile_function

    return float(compile_function(shape, [X])(np.array([x]))[0])


@functools.lru_cache(maxsize=64)
def compiled_model(params: GatedParams) -> dict[str, Any]:
    """Compiled φ, φ', σ_z, σ_z', σ_r, σ_r' of ``params`` (keys ``phi, dphi, z, dz, r, dr``):
    the model expressions and their SymPy derivatives through
    :func:`theory.symbolic.compile.compile_function`."""
    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import diff_x

    out = {}
    for key, expr in (
        ("phi", phi_expr(params)),
        ("z", gate_z_expr(params)),
        ("r", gate_r_expr(params)),
    ):
        out[key] = compile_function(expr, [X])
        out["d" + key] = compile_function(diff_x(expr), [X])
    return out


@dataclass(frozen=True)
class GatedNetwork:
    """One sampled gated network of N units: couplings, static inputs and its vector field.

    Create with :meth:`sample`. States are arrays of shape (3, N) (rows h, z, r) or
    (3, N, B) for a batch of B trajectories of the same network.
    """

    params: GatedParams
    N: int
    J_h: np.ndarray = field(repr=False)
    J_z: np.ndarray = field(repr=False)
    J_r: np.ndarray = field(repr=False)
    I_h: np.ndarray = field(repr=False)
    I_z: np.ndarray = field(repr=False)
    I_r: np.ndarray = field(repr=False)

    @classmethod
    def sample(cls, params: GatedParams, N: int, rng: np.random.Generator) -> GatedNetwork:
        """Draw J^h, J^z, J^r (entries N(0, 1/N); J^h scaled by g_h in convention B) and inputs."""
        require(isinstance(params, GatedParams), "params", params, "a GatedParams")
        require(
            isinstance(N, (int, np.integer)) and not isinstance(N, bool) and N >= 2,
            "N",
            N,
            "an integer N >= 2",
        )
        require(isinstance(rng, np.random.Generator), "rng", rng, "a numpy.random.Generator")
        require_memory(8.0 * 3 * N * N, "N", N, "coupling matrices (3 N² floats)")
        scale = 1.0 / np.sqrt(N)
        J_h = rng.standard_normal((N, N)) * scale
        J_z = rng.standard_normal((N, N)) * scale
        J_r = rng.standard_normal((N, N)) * scale
        I_h = rng.standard_normal(N) * params.sigma_h
        I_z = rng.standard_normal(N) * params.sigma_z
        I_r = rng.standard_normal(N) * params.sigma_r
        if params.convention == "B":
            J_h = J_h * params.g_h
            I_h = I_h * params.g_h
        return cls(params, int(N), J_h, J_z, J_r, I_h, I_z, I_r)

    # ---------------------------------------------------------------- nonlinearities
    # defaults: the closed forms below (bit for bit as before); user shapes: the model expressions
    # compiled by theory.symbolic.compile.compile_function (with their SymPy derivatives)
    def _user(self, key: str, x: np.ndarray) -> np.ndarray:
        f = compiled_model(self.params)[key]
        with np.errstate(all="ignore"):  # a Piecewise (select) evaluates every branch
            return np.asarray(f(np.asarray(x, dtype=float)), dtype=float)

    def phi(self, h: np.ndarray) -> np.ndarray:
        p = self.params
        if p.phi is not None:
            return self._user("phi", h)
        return np.tanh(p.g_h * h + p.beta_h) if p.convention == "A" else np.tanh(h + p.beta_h)

    def dphi(self, h: np.ndarray) -> np.ndarray:
        p = self.params
        if p.phi is not None:
            return self._user("dphi", h)
        t = self.phi(h)
        return (p.g_h if p.convention == "A" else 1.0) * (1.0 - t * t)

    def sigma_z(self, z: np.ndarray) -> np.ndarray:
        if self.params.gate_z is not None:
            return self._user("z", z)
        # z is a state vector (ndim >= 1), so the result is an array, never the 0-d float
        return cast(np.ndarray, sigmoid_gate(z, self.params.alpha_z, self.params.beta_z))

    def dsigma_z(self, z: np.ndarray) -> np.ndarray:
        if self.params.gate_z is not None:
            return self._user("dz", z)
        s = self.sigma_z(z)
        return self.params.alpha_z * s * (1.0 - s)

    def sigma_r(self, r: np.ndarray) -> np.ndarray:
        if self.params.gate_r is not None:
            return self._user("r", r)
        # r is a state vector (ndim >= 1), so the result is an array, never the 0-d float
        return cast(np.ndarray, sigmoid_gate(r, self.params.alpha_r, self.params.beta_r))

    def dsigma_r(self, r: np.ndarray) -> np.ndarray:
        if self.params.gate_r is not None:
            return self._user("dr", r)
        s = self.sigma_r(r)
        return self.params.alpha_r * s * (1.0 - s)

    # ---------------------------------------------------------------- dynamics
    def _inputs(self, like: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if like.ndim == 1:
            return self.I_h, self.I_z, self.I_r
        return self.I_h[:, None], self.I_z[:, None], self.I_r[:, None]

    def rhs(self, state: np.ndarray) -> np.ndarray:
        """Time derivative of a state of shape (3, N) or (3, N, B) (Eqs. (1)–(3) of the paper)."""
        h, z, r = state[0], state[1], state[2]
        p = self.params
        Ih, Iz, Ir = self._inputs(h)
        ph = self.phi(h)
        dh = self.sigma_z(z) * (-h + self.J_h @ (self.sigma_r(r) * ph) + Ih)
        dz = (-z + self.J_z @ ph + Iz) / p.tau_z
        dr = (-r + self.J_r @ ph + Ir) / p.tau_r
        return np.stack([dh, dz, dr])

    def step(self, state: np.ndarray, dt: float, method: str = "rk4") -> np.ndarray:
        """One explicit Runge–Kutta step of :meth:`rhs` (:func:`theory.numerics.rk_step`)."""
        from theory.numerics.integrate import rk_step

        return rk_step(self.rhs, state, dt, method=method)

    def initial_state(
        self, rng: np.random.Generator, scale: float = 1.0, batch: int | None = None
    ) -> np.ndarray:
        """Random initial state with i.i.d. N(0, scale²) entries, shape (3, N) or (3, N, batch)."""
        require(
            isinstance(rng, np.random.Generator),
            "rng",
            rng,
            "a numpy.random.Generator (numpy.random.default_rng(seed))",
        )
        require(
            math.isfinite(scale) and scale >= 0, "scale", scale, "a finite standard deviation >= 0"
        )
        require(
            batch is None or (isinstance(batch, (int, np.integer)) and batch >= 1),
            "batch",
            batch,
            "None or an integer >= 1",
        )
        shape = (3, self.N) if batch is None else (3, self.N, batch)
        return rng.standard_normal(shape) * scale
