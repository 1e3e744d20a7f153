"""The batched Fourier DMFT (solver A over many points): tables, agreement with point-by-point
solves to the solver tolerance, independence of the batch, the batched fixed-point existence."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.gating.dmft.batched import (
    GATE_S_HI,
    PHI_S_HI,
    S_MIN,
    batch_theory,
    fixed_point_exists_batch,
    solve_dmft_fourier_batch,
)
from theory.gating.dmft.fixed_points import fixed_point_branches
from theory.gating.dmft.fourier import solve_dmft_fourier
from theory.gating.model import GatedParams

TOL = 1e-8
GRID = dict(n=256, dtau=0.25, tol=TOL, max_iter=1500)


@pytest.fixture(scope="module")
def theory():
    return batch_theory(0.0, 0.0)


@pytest.mark.parametrize("which, hi", [("phi", PHI_S_HI), ("gate", GATE_S_HI)])
def test_tables_match_the_exact_closure(theory, which, hi):
    """Chebyshev tables in log s vs the compiled quadrature at random s over both pieces.

    Error model: interpolation of a function analytic in log s, geometric in the order; measured
    ≈ 1e-15, bound 1e-13 (both absolute, closures are O(1)); the a-posteriori estimate too.
    """
    tab = getattr(theory, which)
    rng = np.random.default_rng(3)
    s = np.exp(rng.uniform(np.log(S_MIN), np.log(hi), 24))
    got = tab.nodes(s)
    exact = np.array([tab.exact(x) for x in s])
    assert np.max(np.abs(got - exact)) < 1e-13
    # the a-posteriori estimate (last Chebyshev coefficients) sits at the noise floor of the
    # closure's own quadrature: on the first piece (V/s at s = 1e-12 ... 0.05) the graded rules
    # of the sharp-closure evaluator leave a relative noise of ~1e-13 (coefficients 48-44 of
    # size 1e-13 ... 2e-13, measured 6.2e-13 in all), bound 1e-12 (solver tolerance 1e-8)
    assert tab.error < 1e-12
    # relative accuracy kept at small s where C_phi vanishes with s (table of V/s there)
    if which == "phi":
        small = s < 1e-6
        rel = np.abs(got[small] - exact[small]).max(axis=1) / np.abs(exact[small]).max(axis=1)
        assert small.any() and rel.max() < 1e-10


CASES = [
    GatedParams(g_h=2.5, alpha_r=20.0),  # chaotic, sharp gate
    GatedParams(g_h=1.78, alpha_r=20.0),  # bistable window near the fold
    GatedParams(g_h=1.5, alpha_r=0.0),  # collapses to the zero state
    GatedParams(g_h=2.2, alpha_r=5.0, convention="B"),  # convention B
    GatedParams(g_h=2.0, alpha_r=2.0, beta_r=0.5, tau_r=2.0, sigma_h=0.1),  # inputs, tau_r, beta_r
]


@pytest.fixture(scope="module")
def batch():
    return solve_dmft_fourier_batch(CASES, init=(1.0, 1.0), **GRID)


@pytest.mark.parametrize("i", range(len(CASES)))
def test_batch_equals_point_by_point(batch, i):
    """Identical to solve_dmft_fourier to the solver tolerance (same map to 1e-15, same iteration).

    Error model: both iterations stop when the step is below tol = 1e-8; from the same start on
    maps equal to rounding they stay within a few tol of each other (measured: 1e-14 typically).
    """
    ref = solve_dmft_fourier(CASES[i], init=(1.0, 1.0), **GRID)
    got = batch[i]
    assert got.converged == ref.converged
    assert np.max(np.abs(got.C_h - ref.C_h)) < 10 * TOL
    assert np.max(np.abs(got.C_r - ref.C_r)) < 10 * TOL
    assert np.max(np.abs(got.C_z - ref.C_z)) < 10 * TOL
    assert np.max(np.abs(got.C_phi - ref.C_phi)) < 10 * TOL
    assert abs(got.kinetic - ref.kinetic) < 10 * TOL * max(1.0, abs(ref.kinetic))
    # equal iteration counts only while the point solver's guarded Anderson mixing did not
    # restart its history (a rejected extrapolated step, info["restarts"]); the batch has no guard
    if ref.info["restarts"] == 0:
        assert abs(got.iterations - ref.iterations) <= 2
    assert got.info["table_error"] < 1e-12  # estimate's quadrature floor, see above


def test_each_point_is_independent_of_the_batch(batch):
    alone = solve_dmft_fourier_batch([CASES[1]], init=(1.0, 1.0), **GRID)[0]
    assert np.array_equal(alone.C_h, batch[1].C_h)
    assert alone.residual_history == batch[1].residual_history
    again = solve_dmft_fourier_batch([CASES[1]], init=(1.0, 1.0), **GRID)[0]
    assert np.array_equal(again.C_h, alone.C_h)


def test_per_point_initial_amplitudes():
    ps = [GatedParams(g_h=1.78, alpha_r=20.0)] * 2
    out = solve_dmft_fourier_batch(ps, init=np.array([[1.0, 1.0], [0.5, 0.5]]), **GRID)
    ref = solve_dmft_fourier(ps[1], init=(0.5, 0.5), **GRID)
    assert abs(out[1].C_h[0] - ref.C_h[0]) < 10 * TOL


def test_bad_input():
    p = GatedParams(g_h=2.0, alpha_r=1.0)
    with pytest.raises(ParameterError):
        solve_dmft_fourier_batch([])
    with pytest.raises(ParameterError):
        solve_dmft_fourier_batch([GatedParams(g_h=2.0, alpha_z=1.0)])
    with pytest.raises(ParameterError):
        solve_dmft_fourier_batch([p, p], init=np.ones((3, 2)))
    with pytest.raises(ParameterError):
        solve_dmft_fourier_batch([p], init=(0.0, 1.0))
    with pytest.raises(ParameterError):
        solve_dmft_fourier_batch([p], n=63)


@pytest.mark.parametrize(
    "p",
    [
        GatedParams(g_h=1.5, alpha_r=20.0, convention="B"),
        GatedParams(g_h=1.7, alpha_r=20.0, convention="B"),
        GatedParams(g_h=2.1, alpha_r=0.0, convention="B"),
        GatedParams(g_h=1.9, alpha_r=1.0, convention="B"),
    ],
)
def test_fixed_point_existence_matches_the_scan(p):
    assert fixed_point_exists_batch([p], n_grid=200)[0] == (
        len(fixed_point_branches(p, n_grid=200)) > 0
    )


def test_fixed_point_existence_from_tables_matches_the_exact_moments():
    """The default path reads <phi^2>, <sigma_r^2> off the closure tables' last node (error ~1e-15,
    ScaledClosureTable.error); the exact path evaluates the derivation's quadratures. Decisions
    agree on a grid across the L2 line (both outcomes present), and the table's second moment
    equals the last node of ``nodes`` and the exact closure at c = c0."""
    G, A = np.meshgrid(np.linspace(1.0, 2.6, 9), np.linspace(0.0, 22.0, 7), indexing="ij")
    ps = [
        GatedParams(g_h=float(g), alpha_r=float(a))
        for g, a in zip(G.ravel(), A.ravel(), strict=True)
    ]
    ps += [
        GatedParams(g_h=1.8, alpha_r=10.0, beta_r=1.0),
        GatedParams(g_h=2.2, alpha_r=3.0, convention="B"),
    ]
    fast = fixed_point_exists_batch(ps, n_grid=200)
    exact = fixed_point_exists_batch(ps, n_grid=200, moments="exact")
    np.testing.assert_array_equal(fast, exact)
    assert 0 < fast.sum() < len(ps)
    bt = batch_theory(0.0, 0.0)
    s = np.logspace(-11.5, 2.9, 41)
    for table in (bt.phi, bt.gate):
        np.testing.assert_allclose(table.diagonal(s), table.nodes(s)[:, -1], rtol=1e-14, atol=0)
        ref = np.array([table.exact(float(v))[-1] for v in s[::8]])
        # absolute 1e-13 as the module's table bound; relative 1e-10 where the first piece keeps
        # V/s (measured 1.6e-11 at s ~ 1e-11 for tanh: the quadrature reference's own rounding)
        np.testing.assert_allclose(table.diagonal(s[::8]), ref, rtol=1e-10, atol=0)
        np.testing.assert_allclose(table.diagonal(s[::8]), ref, rtol=0, atol=1e-13)
    with pytest.raises(ParameterError, match="moments"):
        fixed_point_exists_batch(ps[:1], moments="fast")


def test_fixed_point_existence_is_convention_free():
    a = [GatedParams(g_h=g, alpha_r=20.0) for g in (1.5, 1.62, 1.7, 2.1)]
    b = [q.to_convention("B") for q in a]
    np.testing.assert_array_equal(fixed_point_exists_batch(a), fixed_point_exists_batch(b))
    np.testing.assert_array_equal(fixed_point_exists_batch(a), [False, False, True, True])


_BAD_OPTIONS = [
    {"dtau": 0.0},
    {"dtau": float("nan")},
    {"dtau": "0.1"},
    {"n": 63},
    {"n": 2**22},
    {"n": 100.0},
    {"damping": 0.0},
    {"damping": float("nan")},
    {"damping": 1.5},
    {"tol": 0.0},
    {"tol": 2.0},
    {"tol": float("nan")},
    {"max_iter": 0},
    {"max_iter": 2.5},
    {"anderson": -1},
    {"anderson": True},
    {"table_nodes": 2},
    {"table_nodes": 10**6},
    {"init": (0.0, 1.0)},
    {"init": (1e300, 1.0)},
    {"init": (float("nan"), 1.0)},
    {"init": (1.0,)},
    {"init": "ab"},
]


@pytest.mark.parametrize("kw", _BAD_OPTIONS, ids=repr)
def test_batched_refuses_what_the_point_solver_refuses(kw):
    """Both Fourier solvers validate through the same functions (equations.check_fourier_params,
    check_fourier_options, check_init_amplitudes): the same bad option gives the same
    ParameterError message, before any work (no compile, no closure table)."""
    p = GatedParams(g_h=2.0, alpha_r=1.0)
    with pytest.raises(ParameterError) as point:
        solve_dmft_fourier(p, **kw)
    with pytest.raises(ParameterError) as batch:
        solve_dmft_fourier_batch([p], **kw)
    assert str(batch.value) == str(point.value)


@pytest.mark.parametrize(
    "bad", [GatedParams(g_h=2.0, alpha_z=1.0), {"g_h": 2.0}], ids=["alpha_z", "dict"]
)
def test_batched_refuses_the_same_parameter_points(bad):
    with pytest.raises(ParameterError) as point:
        solve_dmft_fourier(bad)
    with pytest.raises(ParameterError) as batch:
        solve_dmft_fourier_batch([bad])
    assert str(batch.value) == str(point.value)
    with pytest.raises(ParameterError, match="non-empty sequence"):
        solve_dmft_fourier_batch(GatedParams(g_h=2.0))
