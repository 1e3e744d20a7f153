"""One entry point to the stationary gated DMFT: the Fourier solver where it applies, else Monte Carlo.

:func:`solve_dmft` picks solver A (:func:`theory.gating.dmft.fourier.solve_dmft_fourier`, exact to
its tolerance, α_z = 0) or solver B (:func:`theory.gating.dmft.montecarlo.solve_dmft_montecarlo`,
any α_z, Monte-Carlo error bars); ``method`` forces one.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from theory.errors import ParameterError, require, require_keywords
from theory.gating.dmft.equations import GatedDMFTSolution
from theory.gating.model import GatedParams

__all__ = ["solve_dmft"]


def solve_dmft(
    params: GatedParams,
    *,
    method: Literal["auto", "fourier", "montecarlo"] = "auto",
    rng: np.random.Generator | int | None = None,
    **options: Any,
) -> GatedDMFTSolution:
    """Stationary DMFT correlation functions of the gated RNN.

    Parameters
    ----------
    params:
        Model parameters.
    method:
        ``"auto"``: Fourier (solver A) when α_z = 0, Monte Carlo (solver B) otherwise.
    rng:
        Generator or seed of the Monte-Carlo solver (default seed 0, so that identical inputs give
        identical results); ignored by the Fourier solver.
    options:
        Passed to the chosen solver (grid, tolerances, path counts); a keyword it does not take
        raises :class:`~theory.errors.ParameterError` listing the valid ones (close matches
        first).
    """
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    if method == "auto":
        method = "fourier" if params.alpha_z == 0.0 else "montecarlo"
    if method == "fourier":
        from theory.gating.dmft.fourier import solve_dmft_fourier

        require_keywords(
            options, solve_dmft_fourier, "solve_dmft(method='fourier')", own=("params",)
        )
        return solve_dmft_fourier(params, **options)
    if method == "montecarlo":
        from theory.gating.dmft.montecarlo import solve_dmft_montecarlo

        require_keywords(
            options, solve_dmft_montecarlo, "solve_dmft(method='montecarlo')", own=("params", "rng")
        )
        if isinstance(rng, np.random.Generator):
            gen = rng
        else:
            from theory.errors import require_seed

            gen = np.random.default_rng(require_seed(0 if rng is None else rng, "rng"))
        return solve_dmft_montecarlo(params, rng=gen, **options)
    raise ParameterError("method", method, "'auto', 'fourier' or 'montecarlo'")
