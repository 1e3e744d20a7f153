"""Adjoint DMFT (gradient statistics): derivation steps, solver properties, bad input."""

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.dmft.fourier import solve_dmft_fourier
from theory.gating.gradients.adjoint_dmft import adjoint_dmft_derivation, solve_adjoint_dmft
from theory.gating.model import GatedParams

P = GatedParams(g_h=4.0)


@pytest.fixture(scope="module")
def forward():
    # the forward DMFT on the grid the gradient checks use
    return solve_dmft_fourier(P, n=2048, dtau=0.1)


def test_derivation_has_reaction_and_transpose_steps():
    d = adjoint_dmft_derivation()
    names = [s.name for s in d.steps]
    for n in (
        "source_hh",
        "source_rr",
        "transpose_of_replica",
        "marching",
        "reaction_field_h",
        "reaction_field_r",
        "reaction_response_h",
        "reaction_response_r",
        "gradient_norm",
    ):
        assert n in names


def test_bad_input(forward):
    with pytest.raises(ParameterError):
        solve_adjoint_dmft(GatedParams(g_h=4.0, alpha_z=2.0), T=5.0)
    with pytest.raises(ParameterError):
        solve_adjoint_dmft(P, T=5.0, running=0.0, readout=0.0, forward=forward)
    with pytest.raises(ParameterError):
        solve_adjoint_dmft(P, T=5.0, dt=3.0, forward=forward)
    with pytest.raises(ParameterError):
        solve_adjoint_dmft(P, T=1e4, forward=forward)  # longer than the DMFT window
    with pytest.raises(ParameterError):
        solve_adjoint_dmft(P, T=5.0, forward=forward, n_paths=10)


def test_marching_is_second_order(forward):
    # no reaction term: deterministic; successive differences shrink by 4 when dt halves (O(dt^2))
    g = [
        solve_adjoint_dmft(
            P, T=8.0, dt=dt, running=1.0, readout=0.5, forward=forward, reaction=False
        ).grad_norm_Jh
        for dt in (0.4, 0.2, 0.1)
    ]
    ratio = (g[0] - g[1]) / (g[1] - g[2])
    assert 3.0 < ratio < 5.0, g


def test_reaction_vanishes_for_readout_loss(forward):
    a = solve_adjoint_dmft(
        P, T=6.0, dt=0.2, running=0.0, readout=1.0, forward=forward, reaction=True, n_paths=800
    )
    b = solve_adjoint_dmft(
        P, T=6.0, dt=0.2, running=0.0, readout=1.0, forward=forward, reaction=False
    )
    assert np.max(np.abs(a.info["chi"])) == 0.0
    assert a.grad_norm_Jh == pytest.approx(b.grad_norm_Jh, rel=1e-12)


def test_reaction_increases_running_gradient(forward):
    # the reaction of a neuron's own forward path adds a positive source (measured: 4.57 vs 2.45 at T = 10)
    a = solve_adjoint_dmft(
        P, T=6.0, dt=0.2, running=1.0, forward=forward, reaction=True, n_paths=4000
    )
    b = solve_adjoint_dmft(P, T=6.0, dt=0.2, running=1.0, forward=forward, reaction=False)
    assert a.grad_norm_Jh > 1.3 * b.grad_norm_Jh
