r"""One explicit Runge–Kutta engine for every simulator, Lyapunov and adjoint loop.

A method is a :class:`ButcherTableau` (``a``, ``b``, ``c`` and its order); :func:`rk_step` advances
``y' = f(y)`` (or ``f(t, y)``) by one step of size ``dt``. The state ``y`` is a NumPy array or a
tuple of arrays (a state together with a tangent frame, say), combined term by term. A caller that
already evaluated the first stage (to record the velocity) passes it as ``k1``.

The shipped methods: :data:`EULER` (order 1), :data:`HEUN` (explicit trapezoid, order 2),
:data:`MIDPOINT` (order 2) and :data:`RK4` (the classical fourth-order method, Kutta 1901;
Hairer, Nørsett & Wanner, *Solving ODEs I*, Sec. II.1). Each one's convergence order is tested by
fitting the global error over step sizes (``tests/numerics/test_integrate.py``).

:meth:`ButcherTableau.real_stability_limit` gives the largest ``dt·|λ|`` for which the method is
stable on ``y' = −|λ| y`` (2 for Euler and Heun, 2.785 for RK4): the simulators use it, through
:func:`guard_step`, to refuse a step beyond the stability limit of the linear part of their vector
field (:class:`~theory.errors.ParameterError`) and to warn (:class:`~theory.errors.StepSizeWarning`)
when the step exceeds the limit set by a bound on the whole linearisation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from theory.errors import ParameterError, StepSizeWarning

__all__ = [
    "ButcherTableau",
    "EULER",
    "HEUN",
    "MIDPOINT",
    "RK4",
    "METHODS",
    "get_method",
    "rk_step",
    "guard_step",
]

State: TypeAlias = Any  # np.ndarray or a tuple of np.ndarray


@dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge–Kutta method.

    Attributes
    ----------
    name:
        Short name (``"rk4"``).
    a:
        Strictly lower-triangular stage coefficients, one row per stage (row i has i entries).
    b:
        Weights of the stages in the update.
    c:
        Nodes (stage times as fractions of ``dt``).
    order:
        Classical order p (global error O(dt^p)).
    """

    name: str
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    c: tuple[float, ...]
    order: int

    def __post_init__(self) -> None:
        s = len(self.b)
        if len(self.a) != s or len(self.c) != s or any(len(r) != i for i, r in enumerate(self.a)):
            raise ParameterError(
                "tableau", self.name, "a lower-triangular a, and b, c of one length"
            )
        if abs(sum(self.b) - 1.0) > 1e-14:
            raise ParameterError("tableau.b", self.b, "weights summing to 1 (consistency)")

    @property
    def stages(self) -> int:
        """Number of evaluations of f per step."""
        return len(self.b)

    def stability_polynomial(self, z: complex | np.ndarray) -> Any:
        """R(z) with y_{n+1} = R(dt λ) y_n on the test equation y' = λy."""
        z = np.asarray(z, dtype=complex)
        s = self.stages
        A = np.zeros((s, s))
        for i, row in enumerate(self.a):
            A[i, : len(row)] = row
        b = np.asarray(self.b)
        # R(z) = 1 + z b^T (I - z A)^{-1} 1, a polynomial of degree s for explicit methods
        out = np.ones_like(z)
        term = np.ones(s)  # (zA)^k 1, built up for k = 0..s-1
        for _k in range(s):
            out = out + np.multiply.outer(z ** (_k + 1), b @ term).reshape(z.shape)
            term = A @ term
        return out

    @functools.cached_property
    def plan(
        self,
    ) -> tuple[
        tuple[tuple[float, tuple[tuple[int, float], ...]], ...], tuple[tuple[int, float], ...]
    ]:
        """The nonzero coefficients, precomputed: ((c_i, ((j, a_ij), ...)) per stage, ((j, b_j), ...))."""
        stages = tuple(
            (ci, tuple((j, a) for j, a in enumerate(row) if a))
            for ci, row in zip(self.c, self.a, strict=True)
        )
        return stages, tuple((j, b) for j, b in enumerate(self.b) if b)

    @functools.cached_property
    def real_stability_limit(self) -> float:
        """Largest x with |R(−x')| ≤ 1 for all 0 ≤ x' ≤ x (stability on the negative real axis)."""
        from scipy.optimize import brentq

        xs = np.linspace(0.0, 10.0, 10_001)[1:]
        bad = np.abs(self.stability_polynomial(-xs)) > 1.0
        if not bad.any():
            return float(xs[-1])
        k = int(np.argmax(bad))
        lo, hi = (xs[k - 1] if k else 1e-12), xs[k]
        return float(brentq(lambda x: abs(self.stability_polynomial(-x)) - 1.0, lo, hi, xtol=1e-12))


EULER = ButcherTableau("euler", ((),), (1.0,), (0.0,), 1)
HEUN = ButcherTableau("heun", ((), (1.0,)), (0.5, 0.5), (0.0, 1.0), 2)
MIDPOINT = ButcherTableau("midpoint", ((), (0.5,)), (0.0, 1.0), (0.0, 0.5), 2)
RK4 = ButcherTableau(
    "rk4",
    ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
    (1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0),
    (0.0, 0.5, 0.5, 1.0),
    4,
)

#: The shipped methods by name.
METHODS: dict[str, ButcherTableau] = {m.name: m for m in (EULER, HEUN, MIDPOINT, RK4)}


def get_method(method: str | ButcherTableau) -> ButcherTableau:
    """A tableau from its name (``"euler"``, ``"heun"``, ``"midpoint"``, ``"rk4"``) or itself."""
    if isinstance(method, ButcherTableau):
        return method
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise ParameterError("method", method, f"one of {sorted(METHODS)}") from None


def _combine(
    y: State, scale: float, terms: tuple[tuple[int, float], ...], ks: list[State]
) -> State:
    """``y + scale·Σ c_j ks[j]`` over the nonzero ``terms`` (tuples of arrays term by term).

    One accumulator and one scratch buffer per call: the array passes of a hand-written step.
    """
    if not terms:
        return y
    if isinstance(y, tuple):
        return tuple(_combine(yi, scale, terms, [k[i] for k in ks]) for i, yi in enumerate(y))
    j0, c0 = terms[0]
    acc = ks[j0] * (scale * c0)
    if len(terms) > 1:
        tmp = np.empty_like(acc)
        for j, c in terms[1:]:
            np.multiply(ks[j], scale * c, out=tmp)
            acc += tmp
    if type(y) is np.ndarray and acc.dtype is y.dtype and acc.shape == y.shape:
        acc += y  # in place: same dtype and shape, so the result equals y + acc
        return acc
    return y + acc


def _rk4_array(
    f: Callable[..., State], y: np.ndarray, dt: float, t: float | None, k1: State | None
) -> State:
    """RK4 for a single array, fused by hand: the same coefficients as :data:`RK4` with the
    fewest temporaries (the tableau path costs ~5 µs of Python per step, 5-15 % of a step at
    N = 200-500; ``tests/numerics/test_integrate.py`` checks both paths agree)."""
    h = 0.5 * dt
    if t is None:
        a1 = f(y) if k1 is None else k1
        a2 = f(y + h * a1)
        a3 = f(y + h * a2)
        a4 = f(y + dt * a3)
    else:
        a1 = f(t, y) if k1 is None else k1
        a2 = f(t + h, y + h * a1)
        a3 = f(t + h, y + h * a2)
        a4 = f(t + dt, y + dt * a3)
    return y + (dt / 6.0) * (a1 + 2.0 * a2 + 2.0 * a3 + a4)


def rk_step(
    f: Callable[..., State],
    y: State,
    dt: float,
    *,
    method: str | ButcherTableau = RK4,
    t: float | None = None,
    k1: State | None = None,
) -> State:
    """One explicit Runge–Kutta step of ``y' = f(y)`` (``f(t, y)`` when ``t`` is given).

    Parameters
    ----------
    f:
        The vector field; returns an array (or tuple of arrays) shaped like ``y``.
    y:
        The state at time ``t``: an array or a tuple of arrays.
    dt:
        The step (may be negative to integrate backward).
    method:
        A :class:`ButcherTableau` or its name.
    t:
        The current time, for a non-autonomous ``f(t, y)``; ``None`` for ``f(y)``.
    k1:
        ``f`` at (t, y) if already known (it is not evaluated again).

    Returns
    -------
    The state at ``t + dt``.
    """
    tab = method if isinstance(method, ButcherTableau) else get_method(method)
    if tab is RK4 and type(y) is np.ndarray:
        return _rk4_array(f, y, dt, t, k1)
    ks: list[State] = []
    for i, (ci, terms) in enumerate(tab.plan[0]):
        if i == 0 and k1 is not None:
            ks.append(k1)
            continue
        yi = _combine(y, dt, terms, ks)
        ks.append(f(yi) if t is None else f(t + ci * dt, yi))
    return _combine(y, dt, tab.plan[1], ks)


def guard_step(
    dt: float,
    *,
    method: str | ButcherTableau = RK4,
    leak_rate: float,
    spectral_radius: float,
    model: str = "the model",
) -> None:
    """Refuse or flag an explicit step beyond the model's stability limit.

    With ``x = real_stability_limit`` of the method (2.785 for RK4, 2 for Euler and Heun):

    * ``dt · leak_rate > x`` raises :class:`~theory.errors.ParameterError`: the linear decay
      ``y' = −leak_rate·y`` alone is integrated unstably, so the result is garbage for certain;
    * ``dt · spectral_radius > x`` warns with :class:`~theory.errors.StepSizeWarning`:
      ``spectral_radius`` bounds |λ| of the linearisation (leak plus coupling, e.g. 1 + g for
      the random network by the circular law), so the step may be unstable or inaccurate.

    Parameters
    ----------
    dt:
        The step (> 0).
    method:
        The Runge–Kutta method (name or tableau).
    leak_rate:
        Largest decay rate of the linear part of the vector field (> 0).
    spectral_radius:
        Upper bound of |λ| over the spectrum of the linearisation (≥ ``leak_rate``).
    model:
        What is simulated, for the messages.
    """
    import warnings

    tab = get_method(method)
    limit = tab.real_stability_limit
    if dt * leak_rate > limit:
        raise ParameterError(
            "dt",
            dt,
            f"dt <= {limit / leak_rate:.4g} for {model}: {tab.name} is stable for dt*rate <= "
            f"{limit:.4g} and the fastest linear decay rate is {leak_rate:.4g}",
        )
    if dt * spectral_radius > limit:
        warnings.warn(
            StepSizeWarning(
                f"dt = {dt:g} exceeds the stability limit {limit / spectral_radius:.4g} of "
                f"{tab.name} for {model} (|lambda| <= {spectral_radius:.4g} for the linearisation; "
                f"{tab.name} is stable for dt*|lambda| <= {limit:.4g}): results may be wrong; "
                f"use dt <= {limit / spectral_radius:.3g}"
            ),
            stacklevel=3,
        )
