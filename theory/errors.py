"""Project exceptions.

Every bad input raises :class:`ParameterError` (a ``ValueError``) naming the parameter, the value
received and the allowed range; a numerical method that fails raises :class:`ConvergenceError`
(or returns a result flagged ``converged=False`` together with its residual). No function of the
workbench returns NaN silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


class ParameterError(ValueError):
    """A parameter is outside its allowed range.

    Parameters
    ----------
    name:
        The parameter's name, as the user spelled it (``"g"``, ``"N"``, ``"dt"``).
    value:
        The offending value.
    allowed:
        Human-readable description of the allowed set (``"g > 0"``, ``"one of {'tanh', 'erf'}"``).
    """

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid {name}={value!r}: allowed {allowed}")


class ConvergenceError(RuntimeError):
    """A numerical method did not reach its tolerance.

    Attributes
    ----------
    residual:
        The last residual reached (same units as the tolerance).
    iterations:
        Number of iterations or function evaluations spent.
    """

    def __init__(self, message: str, residual: float, iterations: int | None = None) -> None:
        self.residual = float(residual)
        self.iterations = iterations
        extra = f" after {iterations} iterations" if iterations is not None else ""
        super().__init__(f"{message} (residual {residual:.3e}{extra})")


def require(condition: bool | np.bool_, name: str, value: Any, allowed: str) -> None:
    """Raise :class:`ParameterError` unless ``condition`` holds."""
    if not condition:
        raise ParameterError(name, value, allowed)


def require_finite(name: str, value: Any) -> None:
    """Raise :class:`ParameterError` if ``value`` (scalar or array) holds NaN or infinity."""
    import numpy as np

    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ParameterError(name, value, "finite numbers (no NaN or infinity)")
