r"""Gradient flow dθ/dτ = −∇J(θ) of the diagonal model, integrated with a stiff solver.

LHEL (Li, Han, E, Li, JMLR 23 (2022)) Sec. 5: gradient-flow dynamics of the diagonal linear RNN.
The flow on θ = (a, w) uses the compiled J and ∇J of :mod:`.loss` (derivation
``linear_memory_loss_diagonal``). Plateaus make it stiff (time
scales from O(1) to e^{2w₀μ}), so the default is LSODA (automatic stiff switching, BDF with a finite-difference Jacobian) with rtol 1e-8; events stop the flow
at a loss level (τ_exit) or when a rate reaches zero (the model would leave the Hurwitz set).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.integrate as si

from theory.errors import ConvergenceError, require
from theory.linear_memory.loss import DiagonalLoss
from theory.linear_memory.model import DiagonalRNN

__all__ = ["FlowResult", "gradient_flow"]

_METHODS = ("LSODA", "BDF", "Radau", "RK45", "RK23", "DOP853")


@dataclass(frozen=True)
class FlowResult:
    """A gradient-flow trajectory.

    Attributes
    ----------
    tau:
        Flow times (log-spaced output grid, plus the event time if any), shape (n,).
    theta:
        Parameters (a_1..a_m, w_1..w_m) at ``tau``, shape (n, 2m).
    loss:
        J(θ(τ)), shape (n,).
    tau_exit:
        First τ with J ≤ ``level``; None when no level was given or it was not reached by
        ``tau_max`` (the exit is later).
    converged:
        Solver success (``message`` otherwise).
    """

    tau: np.ndarray
    theta: np.ndarray
    loss: np.ndarray
    tau_exit: float | None
    converged: bool
    message: str
    nfev: int
    info: dict[str, float] = field(default_factory=dict)

    @property
    def final(self) -> DiagonalRNN:
        return DiagonalRNN.from_params(self.theta[-1])


def gradient_flow(
    loss: DiagonalLoss,
    model0: DiagonalRNN,
    tau_max: float,
    *,
    level: float | None = None,
    n_out: int = 300,
    rtol: float = 1e-8,
    atol: float = 1e-12,
    method: str = "LSODA",
    stop_at_level: bool = True,
    w_floor: float = 1e-6,
) -> FlowResult:
    """Integrate dθ/dτ = −∇J(θ) from ``model0`` to ``tau_max``.

    Parameters
    ----------
    loss:
        Compiled loss (:func:`theory.linear_memory.loss.diagonal_loss`).
    model0:
        Initial diagonal model.
    tau_max:
        Final flow time > 0.
    level:
        Loss level defining τ_exit (first crossing from above).
    stop_at_level:
        Stop the integration at τ_exit.
    w_floor:
        Stop (converged=False) if a rate falls below this value.

    Raises
    ------
    ParameterError
        tau_max ≤ 0 or non-finite.
    ConvergenceError
        If the solver fails outright.
    """
    require(isinstance(loss, DiagonalLoss), "loss", loss, "a DiagonalLoss (diagonal_loss(kernel))")
    require(isinstance(model0, DiagonalRNN), "model0", model0, "a DiagonalRNN")
    require(
        np.isfinite(tau_max) and tau_max > 0, "tau_max", tau_max, "a finite horizon tau_max > 0"
    )
    require(
        isinstance(n_out, (int, np.integer)) and 2 <= n_out <= 10**6,
        "n_out",
        n_out,
        "an integer 2 <= n_out <= 1e6",
    )
    require(method in _METHODS, "method", method, f"one of {_METHODS}")
    require(1e-13 <= rtol < 1, "rtol", rtol, "1e-13 <= rtol < 1")
    require(0 < atol < 1, "atol", atol, "0 < atol < 1")
    require(np.isfinite(w_floor) and w_floor > 0, "w_floor", w_floor, "a rate floor w_floor > 0")
    require(level is None or np.isfinite(level), "level", level, "None or a finite loss level")
    m = model0.m
    nfev = 0

    def rhs(_tau: float, th: np.ndarray) -> np.ndarray:
        nonlocal nfev
        nfev += 1
        _, g = loss.value_and_grad(th)
        return -g

    events = []

    def rate_floor(_tau: float, th: np.ndarray) -> float:
        return float(np.min(th[m:]) - w_floor)

    rate_floor.terminal = True  # type: ignore[attr-defined]  # solve_ivp event flag
    events.append(rate_floor)
    if level is not None:

        def hit(_tau: float, th: np.ndarray) -> float:
            return loss.value_and_grad(th)[0] - level

        hit.terminal = stop_at_level  # type: ignore[attr-defined]  # solve_ivp event flag
        hit.direction = -1  # type: ignore[attr-defined]  # solve_ivp event flag
        events.append(hit)
    t_eval = np.concatenate([[0.0], np.geomspace(1e-3, tau_max, n_out - 1)])
    t_eval = t_eval[t_eval <= tau_max]
    sol = si.solve_ivp(
        rhs,
        (0.0, tau_max),
        model0.params,
        method=method,
        rtol=rtol,
        atol=atol,
        t_eval=t_eval,
        events=events,
    )
    if sol.status < 0 or not np.all(np.isfinite(sol.y)):
        raise ConvergenceError(
            f"gradient flow failed: {sol.message} (try method='LSODA' or 'BDF', a smaller rtol, "
            "or a smaller tau_max)",
            float("inf"),
            nfev,
        )
    tau = sol.t
    theta = sol.y.T
    tau_exit: float | None = None
    if level is not None and sol.t_events[1].size:
        tau_exit = float(sol.t_events[1][0])
        if stop_at_level:
            tau = np.append(tau, tau_exit)
            theta = np.vstack([theta, sol.y_events[1][0]])
    losses = np.array([loss.value_and_grad(th)[0] for th in theta])
    floor_hit = sol.t_events[0].size > 0
    return FlowResult(
        tau=tau,
        theta=theta,
        loss=losses,
        tau_exit=tau_exit,
        converged=bool(sol.success and not floor_hit),
        message="rate reached w_floor" if floor_hit else sol.message,
        nfev=nfev,
    )
