"""Project exceptions.

Every bad input raises :class:`ParameterError` (a ``ValueError``) naming the parameter, the value
received and the allowed range; a numerical method that fails raises :class:`ConvergenceError`
(or returns a result flagged ``converged=False`` together with its residual). No function of the
workbench returns NaN silently. A simulation whose state leaves the finite numbers raises
:class:`DivergenceError` (a :class:`ConvergenceError`); an explicit integration step beyond the
stability or accuracy limit of the model warns with :class:`StepSizeWarning` (or raises
:class:`ParameterError` where the step is certainly unstable).
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


class DivergenceError(ConvergenceError, FloatingPointError):
    """A simulation or iteration left the finite numbers (overflow, NaN).

    Also a :class:`FloatingPointError`, so code written against the earlier simulators keeps
    working. ``residual`` is the last finite size of the state (inf when unknown).
    """


class StepSizeWarning(UserWarning):
    """An explicit integration step is beyond the stability or accuracy limit of the model.

    The message names the step ``dt``, the limit and the rate that sets it; results computed with
    such a step are not trustworthy (they may look finite and still be wrong).
    """


def is_real(v: object) -> bool:
    """A real scalar (Python or NumPy int/float), not a bool."""
    import numpy as np

    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def is_finite_number(v: object) -> bool:
    """A finite Python or NumPy int/float scalar (bools count as ints, as in Python)."""
    import math

    import numpy as np

    return isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(float(v))


def require(condition: bool | np.bool_, name: str, value: Any, allowed: str) -> None:
    """Raise :class:`ParameterError` unless ``condition`` holds."""
    if not condition:
        raise ParameterError(name, value, allowed)


def require_run(N: Any, dt: Any, burn_in: Any, T: Any) -> None:
    """Validate a simulation run: an integer size N ≥ 2, a finite step dt > 0, a finite burn-in
    ≥ 0 and a finite duration T > burn_in (the simulators' shared preconditions)."""
    import numpy as np

    require(
        isinstance(N, (int, np.integer)) and not isinstance(N, bool) and N >= 2,
        "N",
        N,
        "an integer N >= 2",
    )
    require(is_real(dt) and np.isfinite(dt) and dt > 0, "dt", dt, "a finite dt > 0")
    require(
        is_real(burn_in) and np.isfinite(burn_in) and burn_in >= 0,
        "burn_in",
        burn_in,
        "a finite burn_in >= 0",
    )
    require(
        is_real(T) and np.isfinite(T) and T > burn_in, "T", T, f"a finite T > burn_in = {burn_in}"
    )


def require_seed(seed: Any, name: str = "seed") -> int:
    """Validate a seed for :func:`numpy.random.default_rng`: an integer ``0 <= seed < 2**63``."""
    import numpy as np

    ok = isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))
    require(ok and 0 <= int(seed) < 2**63, name, seed, "an integer seed 0 <= seed < 2**63")
    return int(seed)


def require_generator(rng: Any, name: str = "rng") -> Any:
    """Validate an explicit :class:`numpy.random.Generator` (every random quantity takes one)."""
    import numpy as np

    require(
        isinstance(rng, np.random.Generator),
        name,
        rng,
        "a numpy.random.Generator (numpy.random.default_rng(seed))",
    )
    return rng


def memory_budget() -> int:
    """Bytes a single array allocation of the workbench may take: ``$THEORY_MEMORY_BUDGET_GIB``
    GiB if set, else half the physical memory (at least 1 GiB)."""
    import os

    env = os.environ.get("THEORY_MEMORY_BUDGET_GIB")
    if env:
        try:
            return int(float(env) * 2**30)
        except ValueError:
            pass
    try:
        phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        phys = 8 * 2**30
    return max(2**30, phys // 2)


def require_memory(nbytes: float, name: str, value: Any, what: str) -> None:
    """Raise :class:`ParameterError` if an allocation of ``nbytes`` exceeds :func:`memory_budget`."""
    budget = memory_budget()
    if not nbytes <= budget:
        raise ParameterError(
            name,
            value,
            f"a size whose {what} fit in the memory budget ({nbytes / 2**30:.3g} GiB needed, "
            f"{budget / 2**30:.3g} GiB allowed; set THEORY_MEMORY_BUDGET_GIB to change it)",
        )


def require_finite(name: str, value: Any) -> None:
    """Raise :class:`ParameterError` if ``value`` (scalar or array) holds NaN or infinity."""
    import numpy as np

    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ParameterError(name, value, "finite numbers (no NaN or infinity)")


def require_keywords(
    options: dict[str, Any], target: Any, where: str, *, own: tuple[str, ...] = ()
) -> None:
    """Raise :class:`ParameterError` for a keyword in ``options`` that ``target`` (a function a
    front door forwards its ``**options`` to) does not take, listing the valid ones and the close
    matches of a misspelling (instead of Python's raw ``TypeError`` from deep inside the call).

    ``where`` names the front door and the target in the message (``"solve_dmft(method='fourier')"``);
    ``own``: the target's parameters the front door sets itself (not listed as options).
    """
    import difflib
    import inspect

    params = inspect.signature(target).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    valid = [
        n
        for n, p in params.items()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and n not in own
    ]
    for key in options:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ParameterError(
                key, options[key], f"a keyword of {where}: one of {', '.join(valid)}{hint}"
            )
