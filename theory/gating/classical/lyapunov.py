r"""Lyapunov spectra of finite classical random networks (the network itself, not a gated emulation).

For ẋ = −x + Jφ(x) + θ the tangent dynamics is Q̇ = −Q + J diag φ'(x) Q. φ is the model's
nonlinearity (a registered name or any SymPy expression: φ' is SymPy's derivative of it, compiled),
J may carry a mean J0/N and θ quenched inputs of mean I and spread I_std: the network is drawn
exactly as :func:`~theory.gating.classical.simulation.simulate_classical` draws it for the same seed. The QR (Benettin)
method of Benettin et al., Meccanica 15, 9 (1980), as used for rate networks by Engelken, Wolf &
Abbott, arXiv 2006.02427 (2020): integrate the state and an orthonormal frame of k tangent vectors
together, re-orthonormalise Q ← qr(Q) now and then, and average the logarithms of |R_ii|.

What makes this path fast (``benchmarks/bench_gating_chaos.py`` measures it against the standard
algorithm written out there):

* **one BLAS-3 product per stage**: the state and its frame are one array Y = [x | Q] of shape
  (S, N, k + 1), and the field is Ẏ = −Y + J·[φ(x) | φ'(x)⊙Q], so J is read once per stage for
  the state and all k vectors together (for k = 1 this halves the memory traffic of J against
  separate mat-vecs); S networks are integrated together as a batched product, in groups whose
  couplings fit the cache (:func:`theory.numerics.lyapunov.cache_groups`), each group over the
  whole run, so that J is read from the cache at every stage;
* **a step set by the accuracy target**: RK4 (:func:`theory.numerics.integrate.rk_step`) makes the
  exponents those of a map within O(dt⁴) of the flow. Measured discretisation bias of λ₁ on the
  classical network at g = 2 (``benchmarks/bench_lyapunov_bias.py``: 48 networks of N = 200,
  T = 2000, the same networks with every method and step, the paired means fitted jointly to
  a + c·dt^p): Euler — the standard algorithm — is biased *high*, c = +0.027 ± 0.009 per unit dt
  (+0.0027 ± 0.0009 at dt = 0.1, 2.4 % of the N → ∞ λ_max = 0.1125); RK4 has c = −0.004 ± 0.010
  per dt⁴ (−0.0003 ± 0.0006 at dt = 0.5, −0.00002 ± 0.00004 at dt = 0.25); Heun −0.002 ± 0.016
  per dt². At g = 3: Euler +0.021 ± 0.009 per dt, RK4 −0.019 ± 0.021 per dt⁴ (−0.00008 ± 0.00008
  at dt = 0.25). :func:`default_step` picks dt from the relative bias asked for (:data:`BIAS_CONSTANT`);
* **re-orthonormalisation set by the growth**: after each QR the spread of log|R_ii| over the
  interval measures (λ₁ − λ_k)·t_ons; the interval is adapted so that the frame's condition
  number stays near ``max_condition`` (10⁴: rounding costs 1e-12 relative in Q), i.e. QR every
  few time units instead of every step (for k = 1 a normalisation every 10 time units).

Exponents are returned sorted, λ₁ ≥ … ≥ λ_k (QR with a positive diagonal keeps the order of the
Oseledets directions; the sort makes it exact when two exponents cross within the noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.errors import require
from theory.gating.classical.model import ClassicalParams
from theory.gating.classical.simulation import model_phi
from theory.numerics.integrate import get_method
from theory.numerics.lyapunov import cache_groups, qr_lyapunov

__all__ = [
    "ClassicalLyapunovSpectrum",
    "LyapunovEstimate",
    "max_lyapunov_classical",
    "sample_network",
    "classical_lyapunov_spectra",
    "default_step",
    "sample_couplings",
    "PHI_PRIME_NUMPY",
]

#: φ' of the model's nonlinearities as NumPy functions (definitions, not theory).
PHI_PRIME_NUMPY = {
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "erf": lambda x: np.exp(-np.pi * x * x / 4.0),
}

#: |bias| of λ₁ per dt^p relative to λ_max = 0.1125 (classical network g = 2, module docstring):
#: Euler 0.24 (measured +0.24 ± 0.08), Heun and midpoint ≤ 0.30 and RK4 ≤ 0.22 (two-SE bounds
#: of fitted coefficients consistent with zero).
BIAS_CONSTANT = {"euler": 0.24, "heun": 0.30, "midpoint": 0.30, "rk4": 0.22}


def default_step(method: str = "rk4", rel_bias: float = 1e-3) -> float:
    """Largest step with relative discretisation bias of λ₁ below ``rel_bias`` (at most 0.25).

    From the measured constants :data:`BIAS_CONSTANT` (bias ≈ C·dt^p relative to λ₁ at g = 2;
    at larger g the local expansion rates grow and so does C: check with two steps).
    """
    tab = get_method(method)
    require(0 < rel_bias < 1, "rel_bias", rel_bias, "0 < rel_bias < 1")
    dt = (rel_bias / BIAS_CONSTANT[tab.name]) ** (1.0 / tab.order)
    return float(min(0.25, dt))


def sample_network(
    params: ClassicalParams, N: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(J, x0, θ) exactly as :func:`theory.gating.classical.simulation.simulate_classical` draws
    them: J with mean J0/N, then x(0), then (drawn last) the quenched inputs θ."""
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((N, N)) * (params.g / np.sqrt(N))
    if params.J0 != 0.0:
        J += params.J0 / N
    x = rng.standard_normal(N)
    if params.I_std > 0:
        theta = params.I + params.I_std * rng.standard_normal(N)
    else:
        theta = np.full(N, float(params.I))
    return J, x, theta


def sample_couplings(params: ClassicalParams, N: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(J, x0) of :func:`sample_network`."""
    J, x, _ = sample_network(params, N, seed)
    return J, x


def model_phi_prime(params: ClassicalParams):  # noqa: ANN201
    """φ' of the model as a NumPy function: :data:`PHI_PRIME_NUMPY` for its names, else SymPy's
    derivative of the model's expression, compiled (the model, not a theory formula)."""
    if isinstance(params.phi, str) and params.phi in PHI_PRIME_NUMPY:
        return PHI_PRIME_NUMPY[params.phi]
    import sympy as sp

    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import X

    return compile_function(sp.diff(params.phi_expr, X), [X])


@dataclass(frozen=True)
class ClassicalLyapunovSpectrum:
    """The k largest Lyapunov exponents of one classical network.

    Attributes
    ----------
    exponents:
        λ₁ ≥ … ≥ λ_k, shape (k,), in units of 1/time.
    block_exponents:
        Exponents of ``n_blocks`` consecutive blocks of the record, shape (n_blocks, k).
    sem:
        Standard error of ``exponents`` from the blocks, shape (k,).
    T, transient, dt, method:
        Recorded duration, discarded transient, step and Runge–Kutta method.
    n_qr:
        Number of re-orthonormalisations in the record.
    """

    exponents: np.ndarray
    block_exponents: np.ndarray
    sem: np.ndarray
    N: int
    k: int
    seed: int
    T: float
    transient: float
    dt: float
    method: str
    n_qr: int
    final_state: np.ndarray


def _field(J: np.ndarray, phi, dphi, theta: np.ndarray | None):  # noqa: ANN001, ANN202
    """Ẏ = −Y + J·[φ(x) | φ'(x)⊙Q] + [θ | 0] for Y = [x | Q] of shape (S, N, k + 1)."""

    def f(Y: np.ndarray) -> np.ndarray:
        x = Y[..., 0]
        Z = np.empty_like(Y)
        Z[..., 0] = phi(x)
        np.multiply(dphi(x)[..., None], Y[..., 1:], out=Z[..., 1:])
        out = np.matmul(J, Z)
        out -= Y
        if theta is not None:
            out[..., 0] += theta
        return out

    return f


def classical_lyapunov_spectra(
    params: ClassicalParams,
    N: int,
    k: int,
    *,
    seeds: Sequence[int],
    T: float,
    transient: float,
    dt: float | None = None,
    method: str = "rk4",
    rel_bias: float = 1e-3,
    max_condition: float = 1e4,
    interval: float | None = None,
    n_blocks: int = 10,
    frame_seed: int = 0,
    dtype: Any = np.float64,
    progress: bool = False,
) -> list[ClassicalLyapunovSpectrum]:
    """QR Lyapunov spectra (k largest exponents) of classical networks, one per seed, integrated together.

    Parameters
    ----------
    params:
        Model parameters (the network is ẋ = −x + Jφ(x) + θ, module docstring).
    N, k:
        Network size and number of exponents, 1 ≤ k ≤ N.
    seeds:
        One network per seed: J, x(0) and θ drawn as :func:`sample_network` (the same networks as
        :func:`~theory.gating.classical.simulation.simulate_classical` with that seed).
    T, transient:
        Recorded time and discarded transient (state and frame relax onto the attractor and the
        Oseledets directions).
    dt, method, rel_bias:
        Runge–Kutta step and method; by default dt = :func:`default_step` (method, rel_bias).
    max_condition, interval:
        Target condition number of the frame between re-orthonormalisations (sets their
        interval), or a fixed interval in time units.
    n_blocks:
        Blocks of the record for the error estimate (≥ 2).
    frame_seed:
        Seeds the initial frames (with each network's seed: a network gives the same exponents
        alone or in a batch).
    dtype:
        Floating type of J and the packed state: ``numpy.float32`` halves the memory traffic of
        the products (the cost at N ≳ 1000, where J no longer fits the cache); rounding then adds
        ≈ 1e-7 per step to log|R_ii|, far below the statistical error of any finite record. The
        couplings are drawn in float64 and rounded, so the networks are the same.

    Raises
    ------
    ParameterError
        For k ∉ [1, N], bad times or steps, a step beyond RK stability (dt·(1 + g) > limit).
    FloatingPointError
        If the trajectory diverges.
    """
    require(isinstance(N, (int, np.integer)) and N >= 2, "N", N, "an integer N >= 2")
    require(
        isinstance(k, (int, np.integer)) and 1 <= k <= N,
        "k",
        k,
        f"an integer 1 <= k <= N = {N} (one exponent per dimension)",
    )
    seeds = [int(s) for s in seeds]
    require(len(seeds) >= 1, "seeds", seeds, "at least one seed")
    tab = get_method(method)
    if dt is None:
        dt = default_step(tab.name, rel_bias)
    require(np.isfinite(dt) and dt > 0, "dt", dt, "dt > 0")
    # the linear part −1 ± g (spectral radius of J diag φ' ≤ g) must sit inside the stability region
    limit = tab.real_stability_limit
    require(
        dt * (1.0 + params.g + abs(params.J0)) <= limit,
        "dt",
        dt,
        f"dt*(1+g+|J0|) <= {limit:.3g} (stability of {tab.name} on the linear part)",
    )
    S = len(seeds)
    require(
        np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64)),
        "dtype",
        dtype,
        "numpy.float32 or numpy.float64",
    )
    phi, dphi = model_phi(params), model_phi_prime(params)
    out: list[ClassicalLyapunovSpectrum] = []
    # groups of networks whose couplings fit the cache, each integrated over the whole run (a
    # network gives the same exponents alone, in its group or in one batch; for k > 1 up to the
    # rounding of a re-orthonormalisation interval adapted per group)
    for grp in cache_groups(S, N * N * np.dtype(dtype).itemsize):
        gseeds = seeds[grp]
        Js, xs, thetas = zip(*(sample_network(params, N, s) for s in gseeds), strict=True)
        J = np.stack(Js).astype(dtype, copy=False)
        Y = np.empty((len(gseeds), N, k + 1), dtype=dtype)
        Y[..., 0] = np.stack(xs)
        for b, sd in enumerate(gseeds):  # the frame of a network depends on its seed only
            frng = np.random.default_rng([frame_seed, sd, N, k])
            Y[b, :, 1:] = np.linalg.qr(frng.standard_normal((N, k)))[0]
        theta = np.stack(thetas).astype(dtype) if (params.I != 0 or params.I_std > 0) else None
        res = qr_lyapunov(
            _field(J, phi, dphi, theta),
            Y,
            dt=dt,
            T=T,
            transient=transient,
            method=tab,
            n_blocks=n_blocks,
            max_condition=max_condition,
            interval=interval,
            progress=f"QR Lyapunov N={N} k={k} x{S}" if progress else None,
        )
        out.extend(
            ClassicalLyapunovSpectrum(
                res.exponents[b],
                res.block_exponents[b],
                res.sem[b],
                int(N),
                int(k),
                gseeds[b],
                res.T,
                res.transient,
                float(dt),
                tab.name,
                res.n_qr,
                res.final[b, :, 0].copy(),
            )
            for b in range(len(gseeds))
        )
    return out


@dataclass(frozen=True)
class LyapunovEstimate:
    """λ_1 of one network: ``value`` ± ``sem`` (block means), with the block values."""

    value: float
    sem: float
    blocks: np.ndarray


def max_lyapunov_classical(
    params: ClassicalParams,
    N: int,
    *,
    T: float,
    transient: float,
    dt: float = 0.1,
    seed: int = 0,
    t_renorm: float = 1.0,
    n_blocks: int = 8,
) -> LyapunovEstimate:
    """λ_1 of one network of N units over a window T after a transient: the k = 1 case of
    :func:`classical_lyapunov_spectra` with a fixed renormalisation interval ``t_renorm``.

    Parameters
    ----------
    T, transient:
        Averaging window and discarded transient (network and tangent vector), time units.
    dt:
        RK4 step (error O(dt⁴) in the trajectory and in λ).
    seed:
        Seeds J, x(0), θ (as :func:`simulate_classical`) and the tangent vector.
    t_renorm:
        Interval between renormalisations of the tangent vector (≥ dt).
    n_blocks:
        Blocks for the error bar.
    """
    require(np.isfinite(dt) and dt > 0, "dt", dt, "dt > 0")
    require(t_renorm >= dt, "t_renorm", t_renorm, f"t_renorm >= dt = {dt}")
    (r,) = classical_lyapunov_spectra(
        params,
        N,
        1,
        seeds=[seed],
        T=T,
        transient=transient,
        dt=dt,
        interval=t_renorm,
        n_blocks=n_blocks,
    )
    return LyapunovEstimate(float(r.exponents[0]), float(r.sem[0]), r.block_exponents[:, 0].copy())
