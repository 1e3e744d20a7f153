r"""Time series: FFT autocorrelations (open and periodic windows), Gaussian paths with a given
periodic covariance, and batch-means error bars.

* :func:`autocorrelation_fft` — the time-averaged autocorrelation of a recorded trajectory,
  ``ac[k] = mean_i Σ_t x_i(t) x_i(t+k) / (T − k)``, by zero-padded FFTs (Wiener–Khinchin; no
  wrap-around), O(T log T) per unit;
* :func:`periodic_autocorrelation` — the same on a periodic window (no padding), for paths that
  are periodic by construction;
* :func:`circulant_paths` — stationary Gaussian paths on a periodic grid with a prescribed
  covariance, by circulant embedding (Dietrich & Newsam, SIAM J. Sci. Comput. 18, 1088 (1997));
* :func:`even_extend` — the periodic even extension of a half-line correlation;
* :func:`resolvent_even` — the bounded solution of (κ² − ∂²)y = f for even f (Green's function
  e^{−κ|τ|}/2κ, spectrally), the linear step of stationary DMFT equations;
* :func:`batch_means` — mean and standard error of a correlated series from means of B
  consecutive batches (Flyvbjerg & Petersen, J. Chem. Phys. 91, 461 (1989)).
"""

from __future__ import annotations

import numpy as np

from theory.errors import ParameterError

__all__ = [
    "autocorrelation_fft",
    "periodic_autocorrelation",
    "even_extend",
    "circulant_paths",
    "batch_means",
    "resolvent_even",
]


def autocorrelation_fft(x: np.ndarray, max_lag: int, *, chunk: int = 256) -> np.ndarray:
    """Time-averaged raw autocorrelation averaged over units.

    ``x`` has shape (T, N) (time first). Returns ``ac[k] = mean_i Σ_t x_i(t) x_i(t+k) / (T − k)``
    for k = 0..max_lag, computed with zero-padded FFTs (O(T log T) per unit), in unit chunks.
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ParameterError("x", x.shape, "an array of shape (T, N), time first")
    T, N = x.shape
    if not (isinstance(max_lag, (int, np.integer)) and 0 <= max_lag < T):
        raise ParameterError("max_lag", max_lag, f"an integer 0 <= max_lag < T = {T}")
    nfft = 1 << int(np.ceil(np.log2(2 * T)))
    acc = np.zeros(max_lag + 1)
    for start in range(0, N, chunk):
        block = np.asarray(x[:, start : start + chunk], dtype=float)
        f = np.fft.rfft(block, n=nfft, axis=0)
        ac = np.fft.irfft(f * np.conj(f), n=nfft, axis=0)[: max_lag + 1]
        acc += ac.sum(axis=1)
    return acc / N / (T - np.arange(max_lag + 1))


def periodic_autocorrelation(x: np.ndarray, K: int) -> np.ndarray:
    """Periodic autocorrelation over axis 0 of each column: lags 0..K−1, shape (K, n_cols)."""
    n = x.shape[0]
    f = np.fft.rfft(x, axis=0)
    return np.fft.irfft(np.abs(f) ** 2, n=n, axis=0)[:K] / n


def even_extend(half: np.ndarray, n: int) -> np.ndarray:
    """Periodic even extension of c(τ_0..τ_{n/2}) to the n-point grid (c(−τ) = c(τ))."""
    return np.concatenate([half, half[-2:0:-1]])[:n]


def circulant_paths(
    cov_half: np.ndarray, n: int, n_paths: int, rng: np.random.Generator
) -> np.ndarray:
    """Stationary Gaussian paths (n, n_paths) with periodic covariance ``even_extend(cov_half)``.

    Negative eigenvalues of the circulant (from a covariance that is not positive definite on the
    periodic grid) are clipped to zero.
    """
    lam = np.fft.fft(even_extend(cov_half, n)).real
    lam = np.clip(lam, 0.0, None)
    m = (n_paths + 1) // 2
    w = rng.standard_normal((n, m)) + 1j * rng.standard_normal((n, m))
    x = np.fft.fft(np.sqrt(lam / n)[:, None] * w, axis=0)
    return np.concatenate([x.real, x.imag], axis=1)[:, :n_paths]


def batch_means(series: np.ndarray, n_batches: int = 10) -> tuple[float, float]:
    """Mean and standard error of a stationary, correlated 1-D series from batch means.

    The batches must be longer than the correlation time for the error to be honest.
    """
    y = np.asarray(series, dtype=float).ravel()
    if not (isinstance(n_batches, (int, np.integer)) and 2 <= n_batches <= y.size):
        raise ParameterError("n_batches", n_batches, f"an integer 2 <= n_batches <= {y.size}")
    L = y.size // n_batches
    means = y[: L * n_batches].reshape(n_batches, L).mean(axis=1)
    return float(means.mean()), float(means.std(ddof=1) / np.sqrt(n_batches))


def resolvent_even(f_half: np.ndarray, dtau: float, kappa: float = 1.0) -> np.ndarray:
    """Solve (κ² − ∂²_τ) y = f for an even function given on τ = 0, dτ, …, L (bounded solution).

    y = G * f with G(τ) = e^{−κ|τ|}/(2κ), computed spectrally on the periodic even extension of
    ``f_half`` (period 2L): ŷ(ω) = f̂(ω)/(κ² + ω²). Exact for trigonometric polynomials; for smooth
    f whose derivative vanishes at τ = L (a correlation function that has reached its plateau)
    the error decays faster than any power of dτ. A constant f gives the constant f/κ².

    This is the Green's-function step of every stationary DMFT of the form
    ``(κ² − ∂²)Δ = C[Δ]`` (Sompolinsky, Crisanti & Sommers 1988; one population per call).

    Parameters
    ----------
    f_half:
        Samples f(k dτ), k = 0 … n (shape (n+1,) or (n+1, m) for m functions at once).
    dtau:
        Grid spacing (> 0).
    kappa:
        κ > 0.
    """
    f = np.asarray(f_half, dtype=float)
    if f.ndim not in (1, 2) or f.shape[0] < 3:
        raise ParameterError("f_half", f.shape, "shape (n+1,) or (n+1, m) with n >= 2")
    if not (dtau > 0 and np.isfinite(dtau)):
        raise ParameterError("dtau", dtau, "a finite dtau > 0")
    if not (kappa > 0 and np.isfinite(kappa)):
        raise ParameterError("kappa", kappa, "a finite kappa > 0")
    if not np.all(np.isfinite(f)):
        raise ParameterError("f_half", "non-finite values", "finite samples")
    n = f.shape[0] - 1
    ext = np.concatenate([f, f[-2:0:-1]], axis=0)  # period 2n, even
    omega = 2 * np.pi * np.fft.rfftfreq(2 * n, d=dtau)
    shape = (-1,) + (1,) * (f.ndim - 1)
    y = np.fft.irfft(
        np.fft.rfft(ext, axis=0) / (kappa**2 + omega**2).reshape(shape), n=2 * n, axis=0
    )
    return y[: n + 1]
