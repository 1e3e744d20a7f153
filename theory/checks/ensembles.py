"""Ensembles of independent finite networks, seeded from the check context and memoised.

Most checks measure a statistic on S independent networks (quenched disorder, initial state) and
compare the mean with the theory, using the spread over networks as the error bar. One helper does
the bookkeeping for all of them::

    rows = ensemble(measure, ctx, S, params, N, T=200.0, stream=3)

calls ``measure(params, N, T=200.0, seed=s)`` for the S seeds ``s = ctx.seed + 100·stream + k``
(k = 0 … S−1) and returns the list of results. Results are memoised on (function, arguments,
seeds), so two checks that need the same networks (the moment and the curve of one simulation)
simulate them once. ``measure`` should reduce a network to the small statistics the checks need
(not return whole trajectories), and must be deterministic given its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

from theory.errors import ParameterError

__all__ = ["ensemble", "ensemble_seeds", "stack", "clear_ensembles"]

T = TypeVar("T")

_MEMO: dict[Hashable, list[Any]] = {}
#: Bound on memoised ensembles (oldest dropped first).
MAX_MEMO = 64


def ensemble_seeds(ctx: Any, count: int, stream: int = 0) -> list[int]:
    """The seeds ``ctx.seed + 100·stream + k`` for k < ``count`` (``ctx`` may be an int seed)."""
    if not (isinstance(count, (int, np.integer)) and count >= 1):
        raise ParameterError("count", count, "an integer >= 1")
    base = int(ctx if isinstance(ctx, (int, np.integer)) else ctx.seed)
    return [base + 100 * int(stream) + k for k in range(int(count))]


def ensemble(
    measure: Callable[..., T],
    ctx: Any,
    count: int,
    *args: Hashable,
    stream: int = 0,
    **kwargs: Hashable,
) -> list[T]:
    """``[measure(*args, **kwargs, seed=s) for s in ensemble_seeds(ctx, count, stream)]``, memoised."""
    seeds = ensemble_seeds(ctx, count, stream)
    key = (
        measure.__module__,
        measure.__qualname__,
        args,
        tuple(sorted(kwargs.items())),
        tuple(seeds),
    )
    try:
        hit = _MEMO.get(key)
    except TypeError as exc:  # unhashable argument
        raise ParameterError("ensemble arguments", (args, kwargs), "hashable values") from exc
    if hit is None:
        hit = [measure(*args, **kwargs, seed=s) for s in seeds]
        if len(_MEMO) >= MAX_MEMO:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = hit
    return list(hit)


def stack(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Stack per-network dictionaries of statistics into arrays with a leading network axis."""
    if not rows:
        raise ParameterError("rows", rows, "at least one network")
    return {k: np.asarray([r[k] for r in rows]) for k in rows[0]}


def clear_ensembles() -> None:
    """Forget every memoised ensemble."""
    _MEMO.clear()
