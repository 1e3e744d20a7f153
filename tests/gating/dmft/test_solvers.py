"""The DMFT entry point: the Fourier solver at alpha_z = 0, Monte Carlo otherwise, identical inputs
give identical results, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.dmft.fourier import solve_dmft_fourier
from theory.gating.dmft.montecarlo import solve_dmft_montecarlo
from theory.gating.dmft.solvers import solve_dmft
from theory.gating.model import GatedParams

P0 = GatedParams(g_h=3.0, alpha_r=2.0)
GRID = dict(n=256, dtau=0.5)  # decays well inside the window here; a wide gate is cheap
PZ = GatedParams(g_h=4.0, alpha_z=3.0)
# a small Monte-Carlo run (seconds): only the dispatch and the seeding are tested here
MC = dict(dtau=0.2, n=256, n_paths=16, n_iter=4, n_avg=2, n_replicas=2)


def test_auto_is_fourier_at_alpha_z_0():
    a = solve_dmft(P0, rng=123, **GRID)  # the generator is ignored by the Fourier solver
    b = solve_dmft_fourier(P0, **GRID)
    assert a.method == "fourier" and a.C_h_err is None and a.converged
    # identical up to rounding (repeated solves differ in the last bits: SIMD/BLAS summation order)
    np.testing.assert_allclose(a.C_h, b.C_h, rtol=0, atol=1e-12 * b.C_h[0])


def test_auto_is_montecarlo_for_alpha_z_and_seeded():
    a = solve_dmft(PZ, **MC)
    assert a.method == "montecarlo" and a.C_h_err is not None
    # no generator given: seed 0, so identical inputs give identical results
    # (up to rounding, amplified by the iteration to ~1e-10 of C_h(0))
    same = dict(rtol=0, atol=1e-8 * a.C_h[0])
    np.testing.assert_allclose(solve_dmft(PZ, **MC).C_h, a.C_h, **same)
    b = solve_dmft_montecarlo(PZ, rng=np.random.default_rng(0), **MC)
    np.testing.assert_allclose(b.C_h, a.C_h, **same)
    c = solve_dmft(PZ, rng=np.random.default_rng(5), **MC)
    assert np.max(np.abs(c.C_h - a.C_h)) > 1e-4 * a.C_h[0]  # another seed: other paths
    np.testing.assert_allclose(solve_dmft(PZ, rng=5, **MC).C_h, c.C_h, **same)  # int = seed


def test_forced_method():
    m = solve_dmft(P0, method="montecarlo", **MC)
    assert m.method == "montecarlo"
    # Monte Carlo at alpha_z = 0 agrees with the exact solver within its own crude error bars
    f = solve_dmft(P0, method="fourier", **GRID)
    assert abs(m.C_h[0] - f.C_h[0]) < 0.25 * f.C_h[0]


def test_bad_input():
    with pytest.raises(ParameterError, match="method"):
        solve_dmft(P0, method="euler")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="params"):
        solve_dmft({"g_h": 2.5})  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="alpha_z"):
        solve_dmft(PZ, method="fourier")
    with pytest.raises(ParameterError, match="not_an_option"):
        solve_dmft(P0, not_an_option=1)


def test_negative_seed_is_a_parameter_error() -> None:
    from theory.errors import ParameterError
    from theory.gating.dmft.solvers import solve_dmft
    from theory.gating.model import GatedParams

    with pytest.raises(ParameterError, match="rng"):
        solve_dmft(GatedParams(g_h=2.0, alpha_z=1.0), rng=-1)


@pytest.mark.parametrize(
    ("params", "kw", "close"),
    [
        (P0, {"bogus": 1}, None),
        (P0, {"dtua": 0.1}, "dtau"),
        (P0, {"n_paths": 8}, None),  # a Monte-Carlo option given to the Fourier solver
        (PZ, {"n_path": 8}, "n_paths"),
        (PZ, {"quad_step": 0.1}, None),  # a Fourier option given to the Monte-Carlo solver
    ],
)
def test_unknown_option_is_a_parameter_error_with_close_matches(params, kw, close):
    """solve_dmft forwards **options: a keyword the chosen solver does not take is refused before
    any work with ParameterError naming it, the valid keywords and the close matches (was Python's
    TypeError from inside the solver)."""
    (key,) = kw
    with pytest.raises(ParameterError, match=f"invalid {key}=") as err:
        solve_dmft(params, **kw)
    msg = str(err.value)
    assert "dtau" in msg and "damping" in msg  # the valid ones are listed
    assert "params" not in msg.split("one of", 1)[1]  # not the ones solve_dmft sets itself
    if close is None:
        assert "did you mean" not in msg
    else:
        assert f"did you mean {close}" in msg
