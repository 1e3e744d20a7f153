r"""Finite simulation of the discretised linear RNN, independent of the theory modules.

The finite-width side of the checks of LHEL (Li, Han, E, Li, JMLR 23 (2022)) as implemented here.
Step Δ, exact zero-order hold (input held constant on each step):

    h_{k+1} = e^{WΔ} h_k + W^{−1}(e^{WΔ} − I) U x_k,      ŷ_k = cᵀ h_{k+1},

white-noise inputs x_k ~ N(0, 1/Δ) (or an exact AR(1) sampling of the OU process), targets
y_k = Δ Σ_{j≥0} ρ(jΔ) x_{k−j} by FFT convolution. Sequences run a burn-in of length T_burn (the
kernel is truncated there: error ∫_{T_burn}^∞ ρ²) followed by an observation window T_obs; the loss
a simulation optimises is the *stationary* mean squared error over the window (not the finite-horizon
weight (1 − s/T)). The diagonal model is trained by minibatch SGD with exact gradients of the batch
MSE (forward sensitivities through the recursion). Nothing here calls the compiled theory: only ρ(t)
itself (the target's definition) is evaluated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import scipy.linalg as sl
import scipy.signal as ss

from theory.errors import (
    DivergenceError,
    StepSizeWarning,
    is_real,
    require,
    require_generator,
    require_memory,
)
from theory.linear_memory.kernels import MemoryKernel
from theory.linear_memory.model import DiagonalRNN, LinearRNN

__all__ = [
    "zoh",
    "white_noise",
    "ou_noise",
    "target_outputs",
    "model_outputs",
    "diagonal_outputs",
    "monte_carlo_mse",
    "SGDResult",
    "sgd_train",
    "worst_case_gap",
]


def _check_step(dt: float, T_burn: float | None = None, T_obs: float | None = None) -> None:
    require(is_real(dt) and np.isfinite(dt) and dt > 0, "dt", dt, "a step dt > 0")
    if T_burn is not None:
        require(np.isfinite(T_burn) and T_burn >= 0, "T_burn", T_burn, "a horizon T_burn >= 0")
    if T_obs is not None:
        require(np.isfinite(T_obs) and T_obs > dt, "T_obs", T_obs, "a horizon T_obs > dt")


def _check_batch(batch: int, n: int) -> None:
    require(isinstance(batch, (int, np.integer)) and batch >= 1, "batch", batch, "an integer >= 1")
    require_memory(
        8.0 * 4 * batch * max(n, 1), "batch", batch, "input/output arrays (4 × batch × steps)"
    )


def _step_accuracy(model: LinearRNN | DiagonalRNN, dt: float) -> None:
    """Warn when Δ·(fastest rate) > 1: the exact ZOH recursion stays stable, but the Riemann-sum
    target and a sampled input of spacing Δ no longer resolve the model's memory (error O(Δ·w))."""
    rate = (
        float(np.max(model.w))
        if isinstance(model, DiagonalRNN)
        else float(np.max(np.abs(np.linalg.eigvals(model.W))))
    )
    if dt * rate > 1.0:
        warnings.warn(
            StepSizeWarning(
                f"dt = {dt:g} exceeds the accuracy limit 1/{rate:.4g} = {1 / rate:.4g} of the model "
                "(fastest decay rate): the discretised MSE has an O(dt*rate) error"
            ),
            stacklevel=3,
        )


def zoh(model: LinearRNN, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(e^{WΔ}, W^{−1}(e^{WΔ} − I)U): exact zero-order-hold discretisation (via the augmented
    matrix exponential, which needs no inverse of W)."""
    _check_step(dt)
    m = model.m
    Maug = np.zeros((m + 1, m + 1))
    Maug[:m, :m] = model.W * dt
    Maug[:m, m] = model.U * dt
    E = sl.expm(Maug)
    return E[:m, :m], E[:m, m]


def white_noise(rng: np.random.Generator, batch: int, n: int, dt: float) -> np.ndarray:
    """x_k ~ N(0, 1/Δ), shape (batch, n): the discretisation of white noise of unit intensity."""
    _check_step(dt)
    require_generator(rng)
    return rng.standard_normal((batch, n)) / np.sqrt(dt)


def ou_noise(rng: np.random.Generator, batch: int, n: int, dt: float, theta: float) -> np.ndarray:
    """Stationary OU samples at spacing Δ with covariance e^{−θ|τ|} (exact AR(1))."""
    _check_step(dt)
    require_generator(rng)
    require(theta > 0, "theta", theta, "theta > 0")
    phi = np.exp(-theta * dt)
    z = rng.standard_normal((batch, n))
    z[:, 1:] *= np.sqrt(1 - phi**2)
    return ss.lfilter([1.0], [1.0, -phi], z, axis=1)


def target_outputs(kernel: MemoryKernel, x: np.ndarray, dt: float, n_lags: int) -> np.ndarray:
    """y_k = Δ Σ_{j=0}^{n_lags−1} ρ(jΔ) x_{k−j} (zero input before k = 0), FFT convolution."""
    taps = dt * kernel(np.arange(n_lags) * dt)
    return ss.fftconvolve(x, taps[None, :], axes=1)[:, : x.shape[1]]


@overload
def diagonal_outputs(
    model: DiagonalRNN, x: np.ndarray, dt: float, *, sensitivities: Literal[False] = ...
) -> tuple[np.ndarray, None, None]: ...
@overload
def diagonal_outputs(
    model: DiagonalRNN, x: np.ndarray, dt: float, *, sensitivities: Literal[True]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
@overload
def diagonal_outputs(
    model: DiagonalRNN, x: np.ndarray, dt: float, *, sensitivities: bool = ...
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]: ...
def diagonal_outputs(
    model: DiagonalRNN, x: np.ndarray, dt: float, *, sensitivities: bool = False
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """ŷ_k = Σ_i a_i h_{i,k+1} of the ZOH diagonal RNN; optionally ∂ŷ/∂a_i = h_i and ∂ŷ/∂w_i."""
    _check_step(dt)
    B, n = x.shape
    m = model.m
    yhat = np.zeros((B, n))
    H = np.zeros((m, B, n)) if sensitivities else None
    S = np.zeros((m, B, n)) if sensitivities else None
    for i in range(m):
        w, a = model.w[i], model.a[i]
        al = np.exp(-w * dt)
        be = -np.expm1(-w * dt) / w
        h = ss.lfilter([be], [1.0, -al], x, axis=1)  # h_{k+1}
        yhat += a * h
        if sensitivities:
            assert H is not None and S is not None  # allocated above when sensitivities
            H[i] = h
            dal = -dt * al
            dbe = (dt * al * w + np.expm1(-w * dt)) / w**2
            h_prev = np.concatenate([np.zeros((B, 1)), h[:, :-1]], axis=1)  # h_k
            g = ss.lfilter([1.0], [1.0, -al], dal * h_prev + dbe * x, axis=1)
            S[i] = a * g
    return yhat, H, S


def model_outputs(model: LinearRNN, x: np.ndarray, dt: float) -> np.ndarray:
    """ŷ_k = cᵀh_{k+1} of the general ZOH model (time loop, batch vectorised)."""
    A, b = zoh(model, dt)
    Bn, n = x.shape
    h = np.zeros((Bn, model.m))
    out = np.empty((Bn, n))
    for k in range(n):
        h = h @ A.T + np.outer(x[:, k], b)
        out[:, k] = h @ model.c
    return out


def monte_carlo_mse(
    kernel: MemoryKernel,
    model: LinearRNN | DiagonalRNN,
    *,
    dt: float,
    T_burn: float,
    T_obs: float,
    batch: int,
    rng: np.random.Generator,
    theta_ou: float | None = None,
) -> np.ndarray:
    """Per-sequence stationary MSE (1/n_obs) Σ_{k in window} (ŷ_k − y_k)², shape (batch,).

    Raises
    ------
    ParameterError
        For invalid steps, horizons, batch, generator or OU rate, or arrays beyond the memory
        budget.

    Warns
    -----
    StepSizeWarning
        When dt exceeds 1/(fastest decay rate of the model): the exact zero-order-hold recursion
        stays stable, but an input sampled at spacing dt and the Riemann-sum target no longer
        resolve the model's memory (error O(dt·rate)).
    """
    _check_step(dt, T_burn, T_obs)
    require_generator(rng)
    require(
        theta_ou is None or (is_real(theta_ou) and np.isfinite(theta_ou) and theta_ou > 0),
        "theta_ou",
        theta_ou,
        "None or a finite OU rate > 0",
    )
    nb, no = int(round(T_burn / dt)), int(round(T_obs / dt))
    n = nb + no
    _check_batch(batch, n)
    _step_accuracy(model, dt)
    x = (
        white_noise(rng, batch, n, dt)
        if theta_ou is None
        else ou_noise(rng, batch, n, dt, theta_ou)
    )
    y = target_outputs(kernel, x, dt, nb if nb > 0 else n)
    if isinstance(model, DiagonalRNN):
        yhat = diagonal_outputs(model, x, dt)[0]
    else:
        yhat = model_outputs(model, x, dt)
    return np.mean((yhat[:, nb:] - y[:, nb:]) ** 2, axis=1)


@dataclass(frozen=True)
class SGDResult:
    """SGD trajectory: parameters after each step (row 0 = start) and the step size."""

    theta: np.ndarray  # (steps+1, 2m)
    lr: float
    batch: int
    dt: float
    batch_loss: np.ndarray

    def tau(self) -> np.ndarray:
        """Flow time τ_k = k·lr (SGD on the MSE ↔ gradient flow of J in τ)."""
        return np.arange(self.theta.shape[0]) * self.lr


def sgd_train(
    kernel: MemoryKernel,
    model0: DiagonalRNN,
    *,
    lr: float,
    steps: int,
    batch: int,
    dt: float,
    T_burn: float,
    T_obs: float,
    rng: np.random.Generator,
    w_min: float = 1e-3,
) -> SGDResult:
    """Minibatch SGD θ ← θ − lr ∇_θ MSE_batch on fresh white-noise sequences each step.

    Rates are clipped at ``w_min`` (counted in ``info``; the checks use settings where it never binds).
    """
    _check_step(dt, T_burn, T_obs)
    require_generator(rng)
    require(is_real(lr) and np.isfinite(lr) and lr > 0, "lr", lr, "a finite learning rate lr > 0")
    require(isinstance(steps, (int, np.integer)) and steps >= 1, "steps", steps, "an integer >= 1")
    require(is_real(w_min) and np.isfinite(w_min) and w_min > 0, "w_min", w_min, "w_min > 0")
    nb, no = int(round(T_burn / dt)), int(round(T_obs / dt))
    n = nb + no
    _check_batch(batch, n)
    _step_accuracy(model0, dt)
    th = model0.params.copy()
    m = model0.m
    traj = [th.copy()]
    losses = []
    for _ in range(steps):
        x = white_noise(rng, batch, n, dt)
        y = target_outputs(kernel, x, dt, max(nb, 1))
        mdl = DiagonalRNN(th[:m], th[m:])
        yhat, H, S = diagonal_outputs(mdl, x, dt, sensitivities=True)
        r = (yhat - y)[:, nb:]
        losses.append(float(np.mean(r**2)))
        ga = 2 * np.mean(r[None] * H[:, :, nb:], axis=(1, 2))
        gw = 2 * np.mean(r[None] * S[:, :, nb:], axis=(1, 2))
        th = th - lr * np.concatenate([ga, gw])
        th[m:] = np.maximum(th[m:], w_min)
        if not np.all(np.isfinite(th)):
            raise DivergenceError(
                f"SGD diverged at step {len(traj)} (lr = {lr:g} too large for this loss)",
                float("inf"),
                len(traj),
            )
        traj.append(th.copy())
    return SGDResult(np.array(traj), lr, batch, dt, np.array(losses))


def worst_case_gap(
    kernel: MemoryKernel, model: DiagonalRNN, *, dt: float, T: float, delta: float
) -> float:
    """|H_T(x) − Ĥ_T(x)| for the smoothed sign input x_{T−s} = tanh((ρ − ρ̂)(s)/δ), simulated:
    target by the Riemann sum of ρ, model by the ZOH recursion. As Δ, δ → 0 it tends to
    sup_{|x|≤1} |H_T − Ĥ_T| = ‖ρ − ρ̂‖_{L¹} (LHEL Sec. 3)."""
    _check_step(dt, T_obs=T)
    require(is_real(delta) and np.isfinite(delta) and delta > 0, "delta", delta, "delta > 0")
    require_memory(8.0 * 4 * T / dt, "dt", dt, "the input of T/dt steps")
    n = int(round(T / dt))
    lags = np.arange(n) * dt
    # sign of the error at the lag of each step (midpoint of the ZOH cell for the model part)
    e_mid = kernel(lags + 0.5 * dt) - model(lags + 0.5 * dt)
    x = np.tanh(e_mid / delta)[::-1][None, :]  # x_k for k = 0..n-1, lag of x_k is (n-1-k)Δ
    y = target_outputs(kernel, x, dt, n)[0, -1]
    yhat = diagonal_outputs(model, x, dt)[0][0, -1]
    return float(abs(y - yhat))
