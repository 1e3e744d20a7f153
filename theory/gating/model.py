r"""The gated RNN: parameters, nonlinearities, and the finite network's vector field.

Krishnamurthy, Can & Schwab, *Theory of gating in recurrent neural networks*, Phys. Rev. X 12,
011011 (2022), Eqs. (1)–(3):

.. math::
    \dot h_i &= \sigma_z(z_i)\,\big[-h_i + \textstyle\sum_j J^h_{ij}\,\sigma_r(r_j)\,\phi(h_j) + I^h_i\big]\\
    \tau_z\dot z_i &= -z_i + \textstyle\sum_j J^z_{ij}\,\phi(h_j) + I^z_i\\
    \tau_r\dot r_i &= -r_i + \textstyle\sum_j J^r_{ij}\,\phi(h_j) + I^r_i

with :math:`\phi(x)=\tanh(g_h x+\beta_h)`, :math:`\sigma_{z,r}(x)=1/(1+e^{-\alpha_{z,r}x+\beta_{z,r}})`
(our reading of the sign of the paper's gate bias: σ(x) = sigmoid(αx − β)), and J^h, J^z, J^r
independent with entries N(0, 1/N). Where the gain g_h sits (``GatedParams.convention``):

* ``"A"`` (default, the paper's): g_h inside tanh, Var J^h = 1/N;
* ``"B"``: φ(x) = tanh(x + β_h) and Var J^h = g_h²/N. Equivalent via h_B = g_h h_A (static
  h-inputs scale by g_h too); only h-level statistics scale by g_h².

This module holds the *definition* of the finite network (used by simulators, Jacobians and
adjoints); it contains no mean-field theory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, cast, overload

import numpy as np
import sympy as sp

from theory.errors import is_finite_number, require, require_memory
from theory.symbolic.gaussian import X

__all__ = ["GatedParams", "GatedNetwork", "gate_expr", "phi_expr", "sigmoid_gate"]


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

    @property
    def s_z(self) -> float:
        """σ_z(0) = 1/(1 + e^{β_z})."""
        return sigmoid_gate(0.0, self.alpha_z, self.beta_z)

    @property
    def s_r(self) -> float:
        """σ_r(0) = 1/(1 + e^{β_r})."""
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


def gate_expr(alpha: float, beta: float) -> sp.Expr:
    """SymPy σ(X) = 1/(1 + exp(−αX + β)) for numeric α, β (exact rationals when possible)."""
    a, b = sp.nsimplify(alpha), sp.nsimplify(beta)
    return 1 / (1 + sp.exp(-a * X + b))


def phi_expr(params: GatedParams) -> sp.Expr:
    """SymPy φ(X) in the params' convention: tanh(g_h X + β_h) (A) or tanh(X + β_h) (B)."""
    gh, bh = sp.nsimplify(params.g_h), sp.nsimplify(params.beta_h)
    return sp.tanh(gh * X + bh) if params.convention == "A" else sp.tanh(X + bh)


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
    def phi(self, h: np.ndarray) -> np.ndarray:
        p = self.params
        return np.tanh(p.g_h * h + p.beta_h) if p.convention == "A" else np.tanh(h + p.beta_h)

    def dphi(self, h: np.ndarray) -> np.ndarray:
        p = self.params
        t = self.phi(h)
        return (p.g_h if p.convention == "A" else 1.0) * (1.0 - t * t)

    def sigma_z(self, z: np.ndarray) -> np.ndarray:
        # z is a state vector (ndim >= 1), so the result is an array, never the 0-d float
        return cast(np.ndarray, sigmoid_gate(z, self.params.alpha_z, self.params.beta_z))

    def dsigma_z(self, z: np.ndarray) -> np.ndarray:
        s = self.sigma_z(z)
        return self.params.alpha_z * s * (1.0 - s)

    def sigma_r(self, r: np.ndarray) -> np.ndarray:
        # r is a state vector (ndim >= 1), so the result is an array, never the 0-d float
        return cast(np.ndarray, sigmoid_gate(r, self.params.alpha_r, self.params.beta_r))

    def dsigma_r(self, r: np.ndarray) -> np.ndarray:
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
