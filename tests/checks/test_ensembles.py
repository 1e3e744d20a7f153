"""The memoised ensemble helper: seeds from the context, memoisation, stacking."""

from __future__ import annotations

import numpy as np
import pytest

from theory.checks import CheckContext, clear_ensembles, ensemble, ensemble_seeds, stack
from theory.errors import ParameterError

CALLS: list[int] = []


def measure(scale: float, *, seed: int) -> dict[str, float]:
    CALLS.append(seed)
    return {"x": scale * np.random.default_rng(seed).standard_normal(), "seed": seed}


def test_seeds_streams_and_memo() -> None:
    clear_ensembles()
    CALLS.clear()
    ctx = CheckContext(seed=10)
    assert ensemble_seeds(ctx, 3, stream=2) == [210, 211, 212]
    rows = ensemble(measure, ctx, 3, 2.0, stream=2)
    again = ensemble(measure, ctx, 3, 2.0, stream=2)
    assert rows == again and CALLS == [210, 211, 212]  # simulated once
    other = ensemble(measure, 7, 2, 2.0)  # an int seed works as a context
    assert [r["seed"] for r in other] == [7, 8]
    st = stack(rows)
    assert st["x"].shape == (3,) and np.all(st["seed"] == [210, 211, 212])


def test_bad_input() -> None:
    with pytest.raises(ParameterError):
        ensemble_seeds(CheckContext(), 0)
    with pytest.raises(ParameterError):
        ensemble(measure, CheckContext(), 1, [1.0])  # unhashable argument
    with pytest.raises(ParameterError):
        stack([])
