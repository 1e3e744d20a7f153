r"""Finite-width simulator of the gated RNN (Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Eqs. (1)–(3)).

.. math::
    \dot h_i &= \sigma_z(z_i)\,\big[-h_i + \textstyle\sum_j J^h_{ij}\,\sigma_r(r_j)\,\phi(h_j) + I^h_i(t)\big]\\
    \tau_z\dot z_i &= -z_i + \textstyle\sum_j J^z_{ij}\,\phi(h_j) + I^z_i(t)\\
    \tau_r\dot r_i &= -r_i + \textstyle\sum_j J^r_{ij}\,\phi(h_j) + I^r_i(t)

integrated by classical RK4 (error O(dt⁴)) for all N units at once, seeded by an explicit
:class:`numpy.random.Generator`, with a burn-in and FFT autocorrelations of h, z, r and φ(h).
The network (couplings, static inputs, conventions A/B of :class:`~theory.gating.model.GatedParams`)
is the one of :class:`theory.gating.model.GatedNetwork`; nothing here uses a mean-field formula.

Speed: one RK4 step costs 4 × (one N×N and one 2N×N matvec); the z- and r-couplings are stacked
into one (2N, N) matrix so that each stage calls BLAS twice (``benchmarks/bench_gating_dmft.py``
compares the step with a bare matvec loop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from theory.errors import (
    DivergenceError,
    ParameterError,
    is_real,
    require,
    require_memory,
    require_run,
    require_seed,
)
from theory.gating.model import GatedNetwork, GatedParams
from theory.numerics.integrate import guard_step, rk_step
from theory.numerics.timeseries import autocorrelation_fft

__all__ = ["GatedTrajectory", "simulate_gated", "guard_gated_step", "TimeDependentInput"]

#: Optional time-dependent input: t -> (I^h(t), I^z(t), I^r(t)), each broadcastable to (N,);
#: added to the network's static inputs.
TimeDependentInput = Callable[
    [float], tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float]
]

Variable = Literal["h", "z", "r", "phi"]


@dataclass(frozen=True)
class GatedTrajectory:
    """A recorded trajectory of one gated network after burn-in.

    Attributes
    ----------
    params, N, seed:
        What was simulated.
    t:
        Record times, shape (T_rec,), starting at the end of the burn-in.
    h, z, r:
        States, shape (T_rec, N), float32.
    hdot:
        ḣ at the record times, shape (T_rec, N), float32.
    dt_record:
        Spacing of the records.
    network:
        The sampled network (couplings and static inputs).
    """

    params: GatedParams
    N: int
    seed: int
    t: np.ndarray
    h: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    r: np.ndarray = field(repr=False)
    hdot: np.ndarray = field(repr=False)
    dt_record: float
    network: GatedNetwork = field(repr=False)

    def series(self, var: Variable) -> np.ndarray:
        """The recorded (T_rec, N) array of ``var`` ∈ {h, z, r, phi}."""
        if var == "phi":
            return self.network.phi(np.asarray(self.h, dtype=float)).astype(np.float32)
        if var in ("h", "z", "r"):
            return getattr(self, var)
        raise ParameterError("var", var, "one of 'h', 'z', 'r', 'phi'")

    def second_moment(self, var: Variable = "h") -> float:
        """Raw moment ⟨x²⟩ averaged over units and record times."""
        return float(np.mean(np.square(self.series(var), dtype=float)))

    def velocity_second_moment(self) -> float:
        """⟨ḣ²⟩ averaged over units and record times."""
        return float(np.mean(np.square(self.hdot, dtype=float)))

    def autocorrelation(self, var: Variable, max_lag_time: float) -> tuple[np.ndarray, np.ndarray]:
        """(lags, raw autocorrelation ⟨x(t)x(t+lag)⟩) of ``var`` for lags 0..max_lag_time."""
        k = int(round(max_lag_time / self.dt_record))
        ac = autocorrelation_fft(self.series(var), k)
        return np.arange(k + 1) * self.dt_record, ac


def _check_inputs(inputs: TimeDependentInput, N: int) -> None:
    """Validate a time-dependent input at t = 0: three finite values broadcastable to (N,)."""
    try:
        vals = inputs(0.0)
        ok = len(vals) == 3
        arrs = [np.broadcast_to(np.asarray(v, dtype=float), (N,)) for v in vals] if ok else []
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            "inputs", inputs, f"t -> (I_h, I_z, I_r), each broadcastable to ({N},) ({exc})"
        ) from None
    require(ok, "inputs", inputs, f"t -> (I_h, I_z, I_r), each broadcastable to ({N},)")
    require(all(np.all(np.isfinite(a)) for a in arrs), "inputs", inputs, "finite inputs (at t = 0)")


def guard_gated_step(params: GatedParams, dt: float) -> None:
    """The RK4 step guard of the gated network (:func:`theory.numerics.integrate.guard_step`):
    leak max(1, 1/τ_z, 1/τ_r), linearisation radius bounded by max(1 + g_h, leak)."""
    p = params
    leak = max(1.0, 1.0 / p.tau_z, 1.0 / p.tau_r)
    guard_step(
        dt,
        method="rk4",
        leak_rate=leak,
        spectral_radius=max(1.0 + p.g_h, leak),
        model=f"the gated network (g_h = {p.g_h:g}, tau_z = {p.tau_z:g}, tau_r = {p.tau_r:g})",
    )


def simulate_gated(
    params: GatedParams,
    N: int,
    *,
    T: float,
    burn_in: float,
    dt: float = 0.1,
    seed: int = 0,
    record_every: int = 1,
    x0_scale: float = 1.0,
    inputs: TimeDependentInput | None = None,
    network: GatedNetwork | None = None,
    initial_state: np.ndarray | None = None,
    precision: Literal["float64", "float32"] = "float64",
    progress: bool = False,
) -> GatedTrajectory:
    """Simulate one gated network of N units for a total time T (RK4), recording after burn-in.

    Parameters
    ----------
    params:
        Model parameters (convention A or B, static input standard deviations).
    N:
        Number of units (≥ 2).
    T:
        Total duration (> burn_in); the last T − burn_in time units are recorded.
    burn_in:
        Discarded transient (≥ 0).
    dt:
        RK4 step (> 0). dt = 0.1 is used by the checks: its local error, one step against two
        half steps from a chaotic state, is below 1e-6 of the state norm
        (``tests/gating/test_simulation.py``).
    seed:
        Seeds the couplings, the static inputs and the initial state
        (``numpy.random.default_rng(seed)``).
    record_every:
        Record every k-th step.
    x0_scale:
        Standard deviation of the i.i.d. Gaussian initial state (h, z, r).
    inputs:
        Optional time-dependent input t -> (I^h, I^z, I^r), added to the static inputs.
    network:
        Use this sampled network instead of drawing one (its params must equal ``params``).
    initial_state:
        Initial state of shape (3, N) (overrides ``x0_scale``).
    precision:
        Precision of the coupling matrices in the matvecs: ``"float32"`` halves the memory
        traffic (≈ 2× faster at N ≥ 2000; relative rounding 1e-7 per matvec, far below the
        statistical errors of the checks); the state and the RK4 combination stay float64.
    progress:
        Show a progress bar.

    Raises
    ------
    ParameterError
        For N < 2, dt ≤ 0, burn_in < 0, T ≤ burn_in, too short a record, a mismatched network, a
        seed that is not a non-negative integer, inputs that are not finite arrays broadcastable
        to (N,), sizes whose couplings or records exceed the memory budget
        (:func:`theory.errors.memory_budget`), or a step ``dt`` beyond the RK4 stability limit of
        the fastest linear decay rate max(1, 1/τ_z, 1/τ_r).
    DivergenceError
        If the state becomes non-finite (a :class:`FloatingPointError` too).

    Warns
    -----
    StepSizeWarning
        If dt·(1 + g_h) (the bound of the linearisation by the circular law: leak 1, coupling
        radius g_h·sup φ'·sup σ_r ≤ g_h) exceeds the RK4 stability limit 2.785.

    Time and memory: O(n_steps·N²) time (4 matvecs per step), 3N² floats of couplings and
    4·N·n_records float32 records.
    """
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    require_run(N, dt, burn_in, T)
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
    require(precision in ("float64", "float32"), "precision", precision, "'float64' or 'float32'")
    guard_gated_step(params, dt)
    p = params
    n_steps = int(round(T / dt))
    n_burn = int(round(burn_in / dt))
    n_rec = (n_steps - n_burn) // record_every
    if n_rec < 2:
        raise ParameterError("T", T, "a recorded window of at least two records after burn-in")
    require_memory(8.0 * 5 * N * N, "N", N, "coupling matrices (5 N² floats)")
    require_memory(16.0 * n_rec * N, "T", T, "records (4 float32 arrays of n_records × N)")
    rng = np.random.default_rng(seed)
    if network is None:
        net = GatedNetwork.sample(params, int(N), rng)
    else:
        require(
            network.params == params and network.N == N,
            "network",
            network,
            f"a network with params {params} and N = {N}",
        )
        net = network
    if initial_state is None:
        state = net.initial_state(rng, x0_scale)
    else:
        state = np.array(initial_state, dtype=float)
        require(
            state.shape == (3, N) and np.all(np.isfinite(state)),
            "initial_state",
            state.shape,
            f"a finite array of shape (3, {N})",
        )
    if inputs is not None:
        _check_inputs(inputs, N)
    mdt = np.float32 if precision == "float32" else np.float64
    J_h = np.ascontiguousarray(net.J_h, dtype=mdt)
    J_zr = np.ascontiguousarray(np.vstack([net.J_z, net.J_r]), dtype=mdt)
    inv_tau = np.concatenate([np.full(N, 1.0 / p.tau_z), np.full(N, 1.0 / p.tau_r)])
    static_zr = np.concatenate([net.I_z, net.I_r])
    gain = p.g_h if p.convention == "A" else 1.0

    def field(t: float, x: np.ndarray) -> np.ndarray:
        h = x[0]
        zr = x[1:].reshape(2 * N)
        # user shapes: the model expressions compiled once (GatedNetwork.phi, .sigma_z, .sigma_r)
        if p.phi is None:
            ph = np.tanh(gain * h + p.beta_h)
        else:
            ph = np.asarray(net.phi(h), dtype=np.float64)
        ph_m = ph.astype(mdt, copy=False)
        if p.gate_z is None:
            sz = 0.5 * (1.0 + np.tanh(0.5 * (p.alpha_z * x[1] - p.beta_z)))
        else:
            sz = np.asarray(net.sigma_z(x[1]), dtype=np.float64)
        if p.gate_r is None:
            sr = 0.5 * (1.0 + np.tanh(0.5 * (p.alpha_r * x[2] - p.beta_r)))
        else:
            sr = np.asarray(net.sigma_r(x[2]), dtype=np.float64)
        ih: np.ndarray | float = net.I_h
        izr: np.ndarray = static_zr
        if inputs is not None:
            a, b, c = inputs(t)
            ih = net.I_h + (p.g_h if p.convention == "B" else 1.0) * np.broadcast_to(a, (N,))
            izr = static_zr + np.concatenate([np.broadcast_to(b, (N,)), np.broadcast_to(c, (N,))])
        out = np.empty_like(x)
        out[0] = sz * (J_h @ (sr * ph).astype(mdt, copy=False) - h + ih)
        out[1:] = ((J_zr @ ph_m - zr + izr) * inv_tau).reshape(2, N)
        return out

    hs = np.empty((n_rec, N), dtype=np.float32)
    zs = np.empty((n_rec, N), dtype=np.float32)
    rs = np.empty((n_rec, N), dtype=np.float32)
    vs = np.empty((n_rec, N), dtype=np.float32)
    ts = np.empty(n_rec)
    steps: Iterable[int] = range(n_steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(range(n_steps), desc=f"gated N={N}", leave=False)
    x = state
    k_rec = 0
    for k in steps:
        t = k * dt
        k1 = field(t, x)
        if k >= n_burn and (k - n_burn) % record_every == 0 and k_rec < n_rec:
            hs[k_rec], zs[k_rec], rs[k_rec], vs[k_rec] = x[0], x[1], x[2], k1[0]
            ts[k_rec] = t
            k_rec += 1
        x = rk_step(field, x, dt, t=t, k1=k1)
        if k % 256 == 0 and not np.all(np.isfinite(x)):
            raise DivergenceError(
                f"gated simulation diverged at t = {t:.3g} (dt = {dt}; RK4 needs "
                f"dt*|lambda| <= 2.785): reduce dt or check the inputs",
                float("inf"),
                k,
            )
    if not (np.all(np.isfinite(x)) and all(np.all(np.isfinite(a)) for a in (hs, zs, rs, vs))):
        raise DivergenceError(
            f"gated simulation produced non-finite values (dt = {dt}): reduce dt or check the inputs",
            float("inf"),
            n_steps,
        )
    return GatedTrajectory(
        params,
        int(N),
        int(seed),
        ts[:k_rec],
        hs[:k_rec],
        zs[:k_rec],
        rs[:k_rec],
        vs[:k_rec],
        dt * record_every,
        net,
    )
