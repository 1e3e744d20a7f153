"""Error models: what the difference between theory and a finite-width measurement should be.

Every check states an :class:`ErrorModel` -- the finite-size fluctuation ``c/√N`` estimated from
independent networks (Student-t quantile times the standard error, :func:`statistical_tolerance`),
an ``O(1/N)`` bias with a stated constant, an integrator or quadrature order, a truncation
``ρ^L`` -- and derives its tolerance from it. Curves are compared point by point
(:func:`compare_curve`), rates by fitting exponents across sizes (:func:`fit_power_law`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.checks.result import CheckResult, perturbed
from theory.errors import ParameterError

__all__ = [
    "ErrorModel",
    "mean_sem",
    "statistical_tolerance",
    "compare_curve",
    "fit_power_law",
]


@dataclass(frozen=True)
class ErrorModel:
    """An error model and the tolerance it implies.

    Parameters
    ----------
    description:
        What the error should be and why, in words and symbols, e.g. ``"4 SEM over 4 networks
        (fluctuation c/√(NT)) + O(1/N) bias bound 2/N"``.
    tolerance:
        The tolerance that follows (same units as the check's error).
    """

    description: str
    tolerance: float

    def __post_init__(self) -> None:
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise ParameterError("tolerance", self.tolerance, "a finite number >= 0")


def mean_sem(values: Sequence[float] | np.ndarray, axis: int = 0) -> tuple[Any, Any]:
    """Mean and standard error of the mean over ``axis`` (ddof = 1)."""
    v = np.asarray(values, dtype=float)
    n = v.shape[axis]
    if n < 2:
        raise ParameterError("values", v.shape, "at least two samples along the averaging axis")
    return v.mean(axis=axis), v.std(axis=axis, ddof=1) / np.sqrt(n)


def statistical_tolerance(
    sem: float,
    n_samples: int,
    *,
    alpha: float = 1e-3,
    bias: float = 0.0,
    bias_text: str = "",
) -> ErrorModel:
    """Tolerance ``t_{1−α/2, n−1}·SEM + bias`` for a mean over ``n_samples`` independent samples.

    The Student-t quantile makes a false alarm from the statistical part alone an event of
    probability ``alpha`` (1e-3 by default) for Gaussian sample errors, with the SEM itself
    estimated from the samples; ``bias`` is the deterministic part (finite size ``O(1/N)``, time
    step, truncation) whose bound must be justified in ``bias_text``.
    """
    from scipy.stats import t as student_t

    if n_samples < 2:
        raise ParameterError("n_samples", n_samples, "at least 2 independent samples")
    z = float(student_t.ppf(1 - alpha / 2, n_samples - 1))
    desc = f"t-quantile {z:.2f} (alpha={alpha:g}, {n_samples} samples) x SEM {sem:.3g}"
    if bias:
        desc += f" + bias bound {bias:.3g}" + (f" ({bias_text})" if bias_text else "")
    return ErrorModel(desc, z * float(sem) + float(bias))


def compare_curve(
    theory: np.ndarray,
    samples: np.ndarray,
    *,
    alpha: float = 1e-3,
    n_independent: int = 1,
    bias: float | np.ndarray = 0.0,
    bias_text: str = "",
    details: dict[str, Any] | None = None,
    figures: list[Any] | None = None,
) -> CheckResult:
    """Compare a predicted curve with S independent measured curves, point by point.

    The error is the largest *standardised* deviation
    ``max_k max(0, |mean_k − theory_k| − bias_k) / SEM_k`` and the tolerance is the Student-t
    quantile at ``alpha / n_independent`` (Bonferroni over roughly independent points) with
    S − 1 degrees of freedom. Standardising point by point keeps the test sharp where the
    measurement is precise (short lags) and honest where it is not (long lags, where finite-N
    slow modes make single networks fluctuate). The theory and simulation columns report the
    values at the worst point.

    Parameters
    ----------
    theory:
        Prediction, shape (K,).
    samples:
        Measurements, shape (S, K), one row per independent sample (network, seed).
    """
    from scipy.stats import t as student_t

    samples = np.asarray(samples, dtype=float)
    theory = np.asarray(perturbed(np.asarray(theory, dtype=float)), dtype=float)
    S = samples.shape[0]
    mean, sem = mean_sem(samples)
    excess = np.clip(np.abs(mean - theory) - bias, 0.0, None)
    z = excess / np.maximum(sem, 1e-300)
    k = int(np.argmax(z))
    a = alpha / max(1, n_independent)
    q = float(student_t.ppf(1 - a / 2, S - 1))
    desc = (
        f"pointwise: (|mean - theory| - bias)/SEM over {S} samples <= t-quantile {q:.2f} "
        f"(alpha={alpha:g}, Bonferroni over {n_independent} independent points)"
    )
    if np.any(np.asarray(bias) > 0):
        desc += f"; bias bound max {float(np.max(bias)):.3g}" + (
            f" ({bias_text})" if bias_text else ""
        )
    det = {
        "worst_index": k,
        "sem_at_worst": float(sem[k]),
        "abs_error_at_worst": float(abs(mean[k] - theory[k])),
        "sup_abs_error": float(np.max(np.abs(mean - theory))),
    }
    det.update(details or {})
    floor = np.maximum(sem, 1e-300)

    def judge(eps: float) -> bool:
        zz = np.clip(np.abs(mean - theory * (1.0 + eps)) - bias, 0.0, None) / floor
        return bool(np.max(zz) <= q)

    return CheckResult.compare(
        "",
        float(theory[k]),
        float(mean[k]),
        ErrorModel(desc, q),
        error=float(z[k]),
        details=det,
        figures=figures,
        judge=judge,
    )


def fit_power_law(
    sizes: Sequence[float] | np.ndarray, errors: Sequence[float] | np.ndarray
) -> tuple[float, float, float]:
    """Least-squares fit of ``log error = log c + p log size``.

    Returns
    -------
    (p, c, stderr_p):
        The fitted exponent, prefactor and the standard error of the exponent (0 for two points).
    """
    x = np.log(np.asarray(sizes, dtype=float))
    y = np.log(np.asarray(errors, dtype=float))
    if x.size < 2:
        raise ParameterError("sizes", sizes, "at least two sizes")
    if not np.all(np.isfinite(y)):
        raise ParameterError("errors", errors, "positive finite errors")
    A = np.vstack([x, np.ones_like(x)]).T
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    p, logc = coef
    if x.size > 2:
        resid = y - A @ coef
        s2 = resid @ resid / (x.size - 2)
        cov = s2 * np.linalg.inv(A.T @ A)
        se = float(np.sqrt(cov[0, 0]))
    else:
        se = 0.0
    return float(p), float(np.exp(logc)), se
