"""Project exceptions: messages name the parameter, the value and what is allowed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.errors import ConvergenceError, ParameterError, require, require_finite


def test_parameter_error_message_and_fields() -> None:
    e = ParameterError("g", -1.0, "g > 0")
    assert isinstance(e, ValueError) and str(e) == "invalid g=-1.0: allowed g > 0"
    assert (e.name, e.value, e.allowed) == ("g", -1.0, "g > 0")


def test_convergence_error_carries_the_residual() -> None:
    e = ConvergenceError("fixed point not reached", 1e-3, 50)
    assert (
        e.residual == 1e-3
        and e.iterations == 50
        and "1.000e-03" in str(e)
        and "50 iterations" in str(e)
    )


def test_require_helpers() -> None:
    require(True, "x", 1, "anything")
    with pytest.raises(ParameterError, match="x=2"):
        require(False, "x", 2, "x < 1")
    require_finite("v", np.ones(3))
    with pytest.raises(ParameterError, match="finite"):
        require_finite("v", [1.0, math.nan])
