"""Finite-width simulator of the classical random RNN.

    dx/dt = −x + J φ(x) + θ,   J_ij ~ N(J0/N, g²/N),  θ_i ~ N(I, I_std²) (quenched),

integrated by RK4 (default) or Heun, seeded by an explicit :class:`numpy.random.Generator`, with a
burn-in and time-averaged statistics. Written independently of the DMFT: it uses only the model's
definition (φ as a NumPy function: the registered NumPy function, or the model's SymPy expression
compiled by :func:`theory.symbolic.compile.compile_function`), never a theory formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.special as sc

from theory.errors import (
    DivergenceError,
    ParameterError,
    is_real,
    require,
    require_memory,
    require_run,
    require_seed,
)
from theory.gating.classical.model import ClassicalParams
from theory.numerics.integrate import guard_step, rk_step
from theory.numerics.timeseries import autocorrelation_fft

__all__ = ["ClassicalTrajectory", "simulate_classical", "model_phi", "PHI_NUMPY"]

#: The model's nonlinearities as plain NumPy functions (definitions, not theory).
PHI_NUMPY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "erf": lambda x: sc.erf(np.sqrt(np.pi) / 2 * x),
}


@dataclass(frozen=True)
class ClassicalTrajectory:
    """A recorded trajectory after burn-in.

    Attributes
    ----------
    t:
        Record times, shape (T_rec,), starting at the end of the burn-in.
    x:
        States, shape (T_rec, N), float32 to halve memory.
    xdot:
        Velocities −x + Jφ(x) + θ at the record times, shape (T_rec, N), float32.
    dt_record:
        Spacing of the records.
    """

    params: ClassicalParams
    N: int
    seed: int
    t: np.ndarray
    x: np.ndarray
    xdot: np.ndarray
    dt_record: float

    def second_moment(self) -> float:
        """⟨x²⟩ averaged over units and record times."""
        return float(np.mean(np.square(self.x, dtype=float)))

    def velocity_second_moment(self) -> float:
        """⟨ẋ²⟩ averaged over units and record times."""
        return float(np.mean(np.square(self.xdot, dtype=float)))

    def autocorrelation(self, max_lag_time: float) -> tuple[np.ndarray, np.ndarray]:
        """(lags, Δ̂(lag)) for lags 0..max_lag_time on the record grid."""
        k = int(round(max_lag_time / self.dt_record))
        ac = autocorrelation_fft(self.x, k)
        return np.arange(k + 1) * self.dt_record, ac


def model_phi(params: ClassicalParams) -> Callable[[np.ndarray], np.ndarray]:
    """φ of the model as a NumPy function: :data:`PHI_NUMPY` for its names, else compiled from
    the model's SymPy expression (its definition, not a theory formula)."""
    if isinstance(params.phi, str) and params.phi in PHI_NUMPY:
        return PHI_NUMPY[params.phi]
    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import X

    return compile_function(params.phi_expr, [X])


def simulate_classical(
    params: ClassicalParams,
    N: int,
    *,
    T: float,
    burn_in: float,
    dt: float = 0.1,
    seed: int = 0,
    method: Literal["rk4", "heun"] = "rk4",
    record_every: int = 1,
    x0_scale: float = 1.0,
    dtype: Any = np.float64,
    progress: bool = False,
) -> ClassicalTrajectory:
    """Simulate one network of size N from x(0) ~ N(0, x0_scale²) for a total time T.

    Parameters
    ----------
    params:
        Model parameters.
    N:
        Number of units (≥ 2).
    T:
        Total duration, > burn_in; the last T − burn_in time units are recorded.
    burn_in:
        Discarded transient (≥ 0).
    dt:
        Integration step (> 0).
    seed:
        Seeds the coupling matrix, the initial state and (drawn last) the quenched inputs.
    method:
        ``"rk4"`` (4 matvecs per step, error O(dt⁴)) or ``"heun"`` (2 matvecs, O(dt²)).
    record_every:
        Record every k-th step.
    x0_scale:
        Standard deviation of the initial state.
    dtype:
        Floating type of J and of the integrated state: ``numpy.float32`` halves the memory
        traffic of the mat-vecs, the whole cost once J leaves the cache (N ≳ 1000; at N = 2000
        J then fits a 32 MiB L3: measured 2.9x less CPU per mat-vec with one BLAS thread, 1.5x
        per simulated step on the shared machine). J, x(0) and θ are drawn in
        float64 from the same stream and rounded, so the network is the same up to a relative
        perturbation of 6e-8 per coupling; each step adds rounding of ≈ 6e-8 relative to the
        state, which the chaotic flow amplifies like any perturbation: the trajectory
        decorrelates from the float64 one as from another initial state, and the bias the
        rounding can cause in time- and population-averaged moments is of its own order,
        ≈ 1e-7 relative, far below their network-to-network spread.
    progress:
        Show a progress bar.

    Raises
    ------
    ParameterError
        Invalid sizes, times or seed; sizes beyond the memory budget; a step with dt > 2.785
        (RK4) or dt > 2 (Heun), the stability limit of the leak −x.
    DivergenceError
        If the state becomes non-finite (also a :class:`FloatingPointError`).

    Warns
    -----
    StepSizeWarning
        If dt·(1 + g) exceeds the method's stability limit: the linearisation −1 + gJφ' has its
        spectrum in the disk of radius g·sup φ' = g around −1 (circular law), so larger steps are
        unstable near the origin and inaccurate in the chaotic state (at g = 2, dt = 3 gave
        ⟨x²⟩ = 117 where the DMFT gives 1.92).

    Time and memory: O(n_steps·N²) (4 matvecs per RK4 step); N² floats of couplings and
    2·N·n_records float32 records.
    """
    require(isinstance(params, ClassicalParams), "params", params, "a ClassicalParams")
    require_run(N, dt, burn_in, T)
    require(method in ("rk4", "heun"), "method", method, "'rk4' or 'heun'")
    require(
        isinstance(record_every, (int, np.integer)) and record_every >= 1,
        "record_every",
        record_every,
        "an integer >= 1",
    )
    require(
        is_real(x0_scale) and np.isfinite(x0_scale) and 0 <= x0_scale <= 1e6,
        "x0_scale",
        x0_scale,
        "0 <= x0_scale <= 1e6 (records are float32; the network forgets its initial state)",
    )
    require_seed(seed)
    require(
        np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64)),
        "dtype",
        dtype,
        "numpy.float32 or numpy.float64",
    )
    guard_step(
        dt,
        method=method,
        leak_rate=1.0,
        spectral_radius=1.0 + params.g + abs(params.J0),
        model=f"the random network (g = {params.g:g}, J0 = {params.J0:g})",
    )
    n_steps = int(round(T / dt))
    n_burn = int(round(burn_in / dt))
    n_rec = (n_steps - n_burn) // record_every
    if n_rec < 2:
        raise ParameterError("T", T, "a recorded window of at least two records after burn-in")
    require_memory(8.0 * N * N, "N", N, "coupling matrix (N² floats)")
    require_memory(8.0 * n_rec * N, "T", T, "records (2 float32 arrays of n_records × N)")
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((N, N)) * (params.g / np.sqrt(N))
    if params.J0 != 0.0:
        J += params.J0 / N
    x = rng.standard_normal(N) * x0_scale
    phi = model_phi(params)
    I = params.I + params.I_std * rng.standard_normal(N) if params.I_std > 0 else params.I
    dt_ = np.dtype(dtype)
    if dt_ != np.float64:  # drawn in float64 above (the same stream), rounded once
        J = J.astype(dt_)
        x = x.astype(dt_)
        I = np.asarray(I, dtype=dt_)

    def f(y: np.ndarray) -> np.ndarray:
        return -y + J @ np.asarray(phi(y), dtype=dt_) + I

    xs = np.empty((n_rec, N), dtype=np.float32)
    vs = np.empty((n_rec, N), dtype=np.float32)
    ts = np.empty(n_rec)
    steps = range(n_steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"simulate N={N} g={params.g}", leave=False)
    r = 0
    for k in steps:
        k1 = f(x)
        if k >= n_burn and (k - n_burn) % record_every == 0 and r < n_rec:
            xs[r] = x
            vs[r] = k1
            ts[r] = k * dt
            r += 1
        x = rk_step(f, x, dt, method=method, k1=k1)
        if k % 64 == 0 and not np.all(np.isfinite(x)):
            raise DivergenceError(
                f"simulation diverged at t = {k * dt:.3g} (dt = {dt}): reduce dt",
                float("inf"),
                k,
            )
    if not (np.all(np.isfinite(xs[:r])) and np.all(np.isfinite(vs[:r]))):
        raise DivergenceError(
            f"simulation produced non-finite states (dt = {dt}): reduce dt", float("inf"), n_steps
        )
    return ClassicalTrajectory(params, int(N), int(seed), ts[:r], xs[:r], vs[:r], dt * record_every)
