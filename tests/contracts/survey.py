"""Survey of the solver contract: bad and extreme-but-valid inputs across the public API.

Every case runs in a forked child with a time limit and an address-space limit
(:func:`contract_harness.run_isolated`), and its outcome is classified as a clear error
(``ParameterError``), a flagged failure (``ConvergenceError`` or ``converged=False``), a converged
finite result, or a contract violation (a raw library exception, a silent NaN/inf, a hang past the
limit, a runaway allocation). Run it as a script::

    PYTHONPATH=. python tests/contracts/survey.py [--timeout 60] [--only MODULE] [--json out.json]

It prints one table row per case and a summary per module (a script, not collected by pytest;
the enforced form of the contract is ``tests/contracts/test_properties.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract_harness import BAD_KINDS, run_isolated  # noqa: E402

Case = tuple[str, str, Callable[[], Any]]


# =============================================================================== gating
def _gating_cases() -> list[Case]:
    from theory.gating import GatedParams
    from theory.gating.model import GatedNetwork
    from theory.gating.simulation import simulate_gated

    out: list[Case] = []
    m = "gating.model"
    for kw in [
        {"g_h": 0.0},
        {"g_h": -1.0},
        {"g_h": float("nan")},
        {"g_h": float("inf")},
        {"g_h": 2.0, "alpha_z": -1.0},
        {"g_h": 2.0, "tau_z": 0.0},
        {"g_h": 2.0, "tau_r": float("inf")},
        {"g_h": 2.0, "beta_r": float("nan")},
        {"g_h": 2.0, "sigma_h": -0.1},
        {"g_h": 2.0, "convention": "C"},
        {"g_h": "2"},
        {"g_h": True},
        {"g_h": 1e300},
        {"g_h": 2.0, "alpha_r": 1e300},
    ]:
        out.append((m, f"GatedParams({kw})", lambda kw=kw: GatedParams(**kw)))
    p = GatedParams(g_h=2.0)
    out.append((m, "sample N=1", lambda: GatedNetwork.sample(p, 1, np.random.default_rng(0))))
    out.append((m, "sample N=2.5", lambda: GatedNetwork.sample(p, 2.5, np.random.default_rng(0))))
    out.append((m, "sample rng=0", lambda: GatedNetwork.sample(p, 10, 0)))  # type: ignore[arg-type]
    m = "gating.simulation"
    sim = simulate_gated
    out += [
        (m, "N=0", lambda: sim(p, 0, T=10, burn_in=1)),
        (m, "dt=0", lambda: sim(p, 20, T=10, burn_in=1, dt=0.0)),
        (m, "dt=nan", lambda: sim(p, 20, T=10, burn_in=1, dt=float("nan"))),
        (m, "T<burn_in", lambda: sim(p, 20, T=1, burn_in=10)),
        (m, "T=inf", lambda: sim(p, 20, T=float("inf"), burn_in=1)),
        (m, "record too short", lambda: sim(p, 20, T=1.05, burn_in=1)),
        (m, "dt=3 (beyond RK4 limit)", lambda: sim(p, 50, T=300, burn_in=10, dt=3.0)),
        (m, "dt=1.5", lambda: sim(p, 50, T=300, burn_in=10, dt=1.5)),
        (
            m,
            "tau_z=1e-3 dt=0.1 (stiff gate)",
            lambda: sim(GatedParams(g_h=2.0, tau_z=1e-3), 50, T=20, burn_in=1),
        ),
        (
            m,
            "tau_r=1e-4 dt=0.1",
            lambda: sim(GatedParams(g_h=2.0, tau_r=1e-4, alpha_r=1.0), 50, T=20, burn_in=1),
        ),
        (
            m,
            "tau_z=1e4 (slow gate)",
            lambda: sim(GatedParams(g_h=2.0, alpha_z=1.0, tau_z=1e4), 50, T=20, burn_in=1),
        ),
        (m, "g_h=1e3", lambda: sim(GatedParams(g_h=1e3), 50, T=20, burn_in=1)),
        (m, "alpha_r=1e4", lambda: sim(GatedParams(g_h=3.0, alpha_r=1e4), 50, T=20, burn_in=1)),
        (m, "x0_scale=1e200", lambda: sim(p, 20, T=5, burn_in=1, x0_scale=1e200)),
        (m, "x0_scale=-1", lambda: sim(p, 20, T=5, burn_in=1, x0_scale=-1.0)),
        (m, "precision=float16", lambda: sim(p, 20, T=5, burn_in=1, precision="float16")),  # type: ignore[arg-type]
        (m, "seed=-1", lambda: sim(p, 20, T=5, burn_in=1, seed=-1)),
        (m, "seed=1.5", lambda: sim(p, 20, T=5, burn_in=1, seed=1.5)),  # type: ignore[arg-type]
        (m, "seed=None", lambda: sim(p, 20, T=5, burn_in=1, seed=None)),  # type: ignore[arg-type]
        (
            m,
            "initial_state nan",
            lambda: sim(p, 4, T=5, burn_in=1, initial_state=np.full((3, 4), np.nan)),
        ),
        (
            m,
            "initial_state wrong shape",
            lambda: sim(p, 4, T=5, burn_in=1, initial_state=np.zeros((2, 4))),
        ),
        (
            m,
            "inputs wrong shape",
            lambda: sim(p, 4, T=5, burn_in=1, inputs=lambda t: (np.zeros(3), 0, 0)),
        ),
        (m, "inputs nan", lambda: sim(p, 4, T=5, burn_in=1, inputs=lambda t: (np.nan, 0, 0))),
        (m, "record_every=0", lambda: sim(p, 4, T=5, burn_in=1, record_every=0)),
        (m, "params not GatedParams", lambda: sim({"g_h": 2.0}, 4, T=5, burn_in=1)),  # type: ignore[arg-type]
        (m, "valid small", lambda: sim(p, 20, T=20, burn_in=5)),
        (m, "huge N", lambda: sim(p, 10**6, T=5, burn_in=1)),
        (m, "huge T", lambda: sim(p, 4, T=1e9, burn_in=1)),
    ]
    return out


def _classical_cases() -> list[Case]:
    from theory.gating.classical import ClassicalParams, simulate_classical, solve_classical_dmft
    from theory.gating.classical.dmft import quiescent_decay

    out: list[Case] = []
    m = "gating.classical.model"
    for kw in [
        {"g": 0},
        {"g": -1},
        {"g": float("nan")},
        {"g": 2, "phi": "relu"},
        {"g": 2, "I": float("inf")},
        {"g": np.float64(2.0)},
    ]:
        out.append((m, f"ClassicalParams({kw})", lambda kw=kw: ClassicalParams(**kw)))
    m = "gating.classical.dmft"
    for g in [0.5, 1.0, 1.0 + 1e-9, 1.0 + 1e-6, 1.01, 1.5, 2.0, 5.0, 10.0, 30.0, 100.0, 1000.0]:
        out.append((m, f"solve g={g}", lambda g=g: solve_classical_dmft(ClassicalParams(g=g))))
    out += [
        (m, "solve erf g=3", lambda: solve_classical_dmft(ClassicalParams(g=3.0, phi="erf"))),
        (m, "solve I=0.5", lambda: solve_classical_dmft(ClassicalParams(g=2.0, I=0.5))),
        (m, "solve tau_max=-1", lambda: solve_classical_dmft(ClassicalParams(g=2.0), tau_max=-1)),
        (
            m,
            "solve dtau=nan",
            lambda: solve_classical_dmft(ClassicalParams(g=2.0), dtau=float("nan")),
        ),
        (m, "solve tau_max=1e5", lambda: solve_classical_dmft(ClassicalParams(g=2.0), tau_max=1e5)),
        (m, "solve xtol=0", lambda: solve_classical_dmft(ClassicalParams(g=2.0), xtol=0.0)),
        (m, "quiescent g=-1", lambda: quiescent_decay(-1.0, np.linspace(0, 1, 5))),
        (m, "quiescent g=0.9 t=1e4", lambda: quiescent_decay(0.9, np.array([0.0, 1e4]))),
        (m, "quiescent t=nan", lambda: quiescent_decay(0.5, np.array([np.nan]))),
        (m, "quiescent t<0", lambda: quiescent_decay(0.5, np.array([-1.0]))),
    ]
    m = "gating.classical.simulation"
    p = ClassicalParams(g=2.0)
    out += [
        (
            m,
            "dt=3 rk4 (beyond limit)",
            lambda: simulate_classical(p, 100, T=300, burn_in=10, dt=3.0),
        ),
        (
            m,
            "dt=2.5 heun",
            lambda: simulate_classical(p, 100, T=300, burn_in=10, dt=2.5, method="heun"),
        ),
        (m, "dt=1.0 (accuracy)", lambda: simulate_classical(p, 100, T=300, burn_in=10, dt=1.0)),
        (m, "g=1e3", lambda: simulate_classical(ClassicalParams(g=1e3), 50, T=20, burn_in=1)),
        (m, "burn_in=nan", lambda: simulate_classical(p, 10, T=5, burn_in=float("nan"))),
        (m, "T=inf", lambda: simulate_classical(p, 10, T=float("inf"), burn_in=1)),
        (
            m,
            "x0_scale=nan",
            lambda: simulate_classical(p, 10, T=5, burn_in=1, x0_scale=float("nan")),
        ),
        (m, "method=euler", lambda: simulate_classical(p, 10, T=5, burn_in=1, method="euler")),  # type: ignore[arg-type]
        (m, "seed=-3", lambda: simulate_classical(p, 10, T=5, burn_in=1, seed=-3)),
        (m, "N=True", lambda: simulate_classical(p, True, T=5, burn_in=1)),  # type: ignore[arg-type]
        (m, "valid", lambda: simulate_classical(p, 50, T=30, burn_in=5)),
    ]
    return out


def _dmft_cases() -> list[Case]:
    from theory.gating import GatedParams
    from theory.gating.dmft import solvers
    from theory.gating.dmft.fixed_points import (
        fixed_point_branches,
        solve_fixed_point_dmft,
        tricritical_alpha_r,
        zero_fp_threshold,
    )
    from theory.gating.dmft.fourier import solve_dmft_fourier
    from theory.gating.dmft.montecarlo import solve_dmft_montecarlo

    out: list[Case] = []
    m = "gating.dmft.fourier"
    F = solve_dmft_fourier
    grid: list[dict[str, Any]] = [
        {"g_h": 0.5},
        {"g_h": 1.0},
        {"g_h": 1.0 + 1e-6},
        {"g_h": 1.05},
        {"g_h": 2.0},
        {"g_h": 3.0},
        {"g_h": 3.0, "beta_z": 1.0, "alpha_r": 2.5, "beta_r": -0.5},
        {"g_h": 10.0},
        {"g_h": 30.0},
        {"g_h": 100.0},
        {"g_h": 1000.0},
        {"g_h": 3.0, "alpha_r": 100.0},
        {"g_h": 3.0, "alpha_r": 1e4},
        {"g_h": 3.0, "alpha_r": 1e8},
        {"g_h": 30.0, "alpha_r": 1e4},
        {"g_h": 3.0, "beta_z": 30.0},
        {"g_h": 3.0, "beta_z": -30.0},
        {"g_h": 3.0, "beta_r": 30.0},
        {"g_h": 3.0, "beta_r": -30.0},
        {"g_h": 3.0, "tau_r": 1e-4, "alpha_r": 1.0},
        {"g_h": 3.0, "tau_r": 1e4, "alpha_r": 1.0},
        {"g_h": 3.0, "tau_z": 1e4},
        {"g_h": 3.0, "beta_h": 1.0},
        {"g_h": 3.0, "sigma_h": 1.0},
        {"g_h": 3.0, "sigma_r": 3.0, "alpha_r": 5.0},
        {"g_h": 3.0, "convention": "B"},
        {"g_h": 30.0, "convention": "B"},
        {"g_h": 3.0, "beta_h": 50.0},
    ]
    for kw in grid:
        out.append((m, f"solve {kw}", lambda kw=kw: F(GatedParams(**kw))))
    p = GatedParams(g_h=3.0)
    out += [
        (m, "alpha_z=1", lambda: F(GatedParams(g_h=3.0, alpha_z=1.0))),
        (m, "n=63", lambda: F(p, n=63)),
        (m, "n=2**24", lambda: F(p, n=2**24)),
        (m, "dtau=1e-6", lambda: F(p, dtau=1e-6)),
        (m, "dtau=100", lambda: F(p, dtau=100.0)),
        (m, "tol=0", lambda: F(p, tol=0.0)),
        (m, "tol=nan", lambda: F(p, tol=float("nan"))),
        (m, "damping=nan", lambda: F(p, damping=float("nan"))),
        (m, "max_iter=0", lambda: F(p, max_iter=0)),
        (m, "init=(0,0)", lambda: F(p, init=(0.0, 0.0))),
        (m, "init=(1e300,1)", lambda: F(p, init=(1e300, 1.0))),
        (m, "quad_step=nan", lambda: F(p, quad_step=float("nan"))),
        (m, "quad_step=1e-7", lambda: F(p, quad_step=1e-7)),
        (m, "table_nodes=2", lambda: F(p, table_nodes=2)),
        (m, "table_nodes=1e6", lambda: F(p, table_nodes=10**6)),
        (m, "anderson=-1", lambda: F(p, anderson=-1)),
        (m, "params=dict", lambda: F({"g_h": 3.0})),  # type: ignore[arg-type]
        (m, "max_iter=2 raise", lambda: F(p, max_iter=2, raise_on_failure=True)),
    ]
    m = "gating.dmft.montecarlo"
    rng = np.random.default_rng
    small = {"n": 512, "n_paths": 32, "n_iter": 6, "n_avg": 3}
    out += [
        (
            m,
            "alpha_z=3 small",
            lambda: solve_dmft_montecarlo(GatedParams(g_h=3.0, alpha_z=3.0), rng=rng(0), **small),
        ),
        (
            m,
            "alpha_z=1e4 small",
            lambda: solve_dmft_montecarlo(GatedParams(g_h=3.0, alpha_z=1e4), rng=rng(0), **small),
        ),
        (
            m,
            "alpha_z=3 alpha_r=1e4",
            lambda: solve_dmft_montecarlo(
                GatedParams(g_h=3.0, alpha_z=3.0, alpha_r=1e4), rng=rng(0), **small
            ),
        ),
        (
            m,
            "g_h=1e3 alpha_z=1",
            lambda: solve_dmft_montecarlo(GatedParams(g_h=1e3, alpha_z=1.0), rng=rng(0), **small),
        ),
        (
            m,
            "beta_z=50",
            lambda: solve_dmft_montecarlo(
                GatedParams(g_h=3.0, alpha_z=1.0, beta_z=50.0), rng=rng(0), **small
            ),
        ),
        (
            m,
            "tau_z=1e-4",
            lambda: solve_dmft_montecarlo(
                GatedParams(g_h=3.0, alpha_z=1.0, tau_z=1e-4), rng=rng(0), **small
            ),
        ),
        (
            m,
            "rng=0",
            lambda: solve_dmft_montecarlo(GatedParams(g_h=3.0, alpha_z=1.0), rng=0, **small),
        ),  # type: ignore[arg-type]
        (
            m,
            "n_paths=7",
            lambda: solve_dmft_montecarlo(GatedParams(g_h=3.0, alpha_z=1.0), rng=rng(0), n_paths=7),
        ),
        (
            m,
            "n_avg>n_iter",
            lambda: solve_dmft_montecarlo(
                GatedParams(g_h=3.0, alpha_z=1.0), rng=rng(0), n_iter=4, n_avg=5
            ),
        ),
        (
            m,
            "init_phi=1e300",
            lambda: solve_dmft_montecarlo(
                GatedParams(g_h=3.0, alpha_z=1.0), rng=rng(0), init_phi=1e300, **small
            ),
        ),
        (
            m,
            "damping=0",
            lambda: solve_dmft_montecarlo(
                GatedParams(g_h=3.0, alpha_z=1.0), rng=rng(0), damping=0.0
            ),
        ),
        (
            m,
            "g_h=0.5 alpha_z=1",
            lambda: solve_dmft_montecarlo(GatedParams(g_h=0.5, alpha_z=1.0), rng=rng(0), **small),
        ),
    ]
    m = "gating.dmft.solvers"
    out += [
        (m, "method=bogus", lambda: solvers.solve_dmft(GatedParams(g_h=3.0), method="bogus")),  # type: ignore[arg-type]
        (
            m,
            "rng=-1",
            lambda: solvers.solve_dmft(GatedParams(g_h=3.0, alpha_z=1.0), rng=-1, **small),
        ),
        (m, "unknown option", lambda: solvers.solve_dmft(GatedParams(g_h=3.0), bogus=1)),
    ]
    m = "gating.dmft.fixed_points"
    for kw in [
        {"g_h": 0.5},
        {"g_h": 3.0},
        {"g_h": 1e3},
        {"g_h": 3.0, "alpha_r": 1e4},
        {"g_h": 1.5, "alpha_r": 20.0},
        {"g_h": 3.0, "beta_r": 40.0},
        {"g_h": 3.0, "sigma_h": 2.0},
        {"g_h": 3.0, "convention": "B"},
    ]:
        out.append((m, f"branches {kw}", lambda kw=kw: fixed_point_branches(GatedParams(**kw))))
        out.append((m, f"solve_fp {kw}", lambda kw=kw: solve_fixed_point_dmft(GatedParams(**kw))))
        out.append(
            (m, f"zero_fp_threshold {kw}", lambda kw=kw: zero_fp_threshold(GatedParams(**kw)))
        )
    out += [
        (m, "branches n_grid=1", lambda: fixed_point_branches(GatedParams(g_h=3.0), n_grid=1)),
        (m, "branches xtol=-1", lambda: fixed_point_branches(GatedParams(g_h=3.0), xtol=-1.0)),
        (
            m,
            "solve_fp branch=middle",
            lambda: solve_fixed_point_dmft(GatedParams(g_h=3.0), branch="middle"),
        ),  # type: ignore[arg-type]
        (m, "tricritical beta_r=0", lambda: tricritical_alpha_r(0.0)),
        (m, "tricritical beta_r=-50", lambda: tricritical_alpha_r(-50.0)),
        (m, "tricritical beta_r=50", lambda: tricritical_alpha_r(50.0)),
        (m, "tricritical beta_r=nan", lambda: tricritical_alpha_r(float("nan"))),
        (m, "tricritical beta_r=log 2", lambda: tricritical_alpha_r(float(np.log(2.0)))),
        (m, "tricritical beta_r=-log 2", lambda: tricritical_alpha_r(-float(np.log(2.0)))),
    ]
    return out


def _chaos_cases() -> list[Case]:
    from theory.gating import GatedParams
    from theory.gating.chaos.jacobian import jacobian_matrix
    from theory.gating.chaos.spectrum import (
        BoundaryModel,
        slow_mode_fraction,
        spectral_abscissa,
        support_height,
    )
    from theory.gating.model import GatedNetwork

    out: list[Case] = []
    m = "gating.chaos.jacobian"
    p = GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=2.0)
    net = GatedNetwork.sample(p, 20, np.random.default_rng(0))
    out += [
        (m, "valid", lambda: jacobian_matrix(net, net.initial_state(np.random.default_rng(1)))),
        (m, "state wrong shape", lambda: jacobian_matrix(net, np.zeros((3, 5)))),
        (m, "state nan", lambda: jacobian_matrix(net, np.full((3, 20), np.nan))),
        (m, "state 1e300", lambda: jacobian_matrix(net, np.full((3, 20), 1e300))),
        (m, "e wrong shape", lambda: jacobian_matrix(net, np.zeros((3, 20)), e=np.zeros(3))),
    ]
    m = "gating.chaos.spectrum"
    out += [
        (m, "fixed_point negative", lambda: BoundaryModel.fixed_point(p, -1.0, 1.0, 1.0)),
        (
            m,
            "fixed_point alpha_r=1e4",
            lambda: BoundaryModel.fixed_point(GatedParams(g_h=3.0, alpha_r=1e4), 1.0, 1.0, 1.0),
        ),
        (
            m,
            "fixed_point g_h=1e3",
            lambda: BoundaryModel.fixed_point(GatedParams(g_h=1e3), 1.0, 1.0, 1.0),
        ),
        (m, "fixed_point huge var", lambda: BoundaryModel.fixed_point(p, 1e12, 1e12, 1e12)),
        (
            m,
            "abscissa valid",
            lambda: spectral_abscissa(BoundaryModel.fixed_point(p, 1.0, 1.0, 1.0)),
        ),
        (
            m,
            "abscissa alpha_z=1e4",
            lambda: spectral_abscissa(
                BoundaryModel.fixed_point(GatedParams(g_h=3.0, alpha_z=1e4), 1.0, 1.0, 1.0)
            ),
        ),
        (
            m,
            "abscissa x_max=-1",
            lambda: spectral_abscissa(BoundaryModel.fixed_point(p, 1.0, 1.0, 1.0), x_max=-1.0),
        ),
        (
            m,
            "abscissa n_scan=0",
            lambda: spectral_abscissa(BoundaryModel.fixed_point(p, 1.0, 1.0, 1.0), n_scan=0),
        ),
        (
            m,
            "support_height nan",
            lambda: support_height(BoundaryModel.fixed_point(p, 1.0, 1.0, 1.0), float("nan")),
        ),
        (
            m,
            "support_height valid",
            lambda: support_height(BoundaryModel.fixed_point(p, 1.0, 1.0, 1.0), -0.5),
        ),
        (
            m,
            "from_samples nan",
            lambda: BoundaryModel.from_samples(
                p, np.array([np.nan, 1.0]), np.ones(2), np.ones(2), np.ones(2)
            ),
        ),
        (
            m,
            "from_samples 1 sample",
            lambda: BoundaryModel.from_samples(p, np.ones(1), np.ones(1), np.ones(1), np.ones(1)),
        ),
        (
            m,
            "samples abscissa z=-1e3",
            lambda: spectral_abscissa(
                BoundaryModel.from_samples(
                    p, np.ones(10), -1e3 * np.ones(10), np.ones(10), np.zeros(10)
                )
            ),
        ),
        (m, "slow_mode_fraction delta=-1", lambda: slow_mode_fraction(p, 1.0, -1.0)),
        (m, "slow_mode_fraction delta_z=nan", lambda: slow_mode_fraction(p, float("nan"), 0.1)),
        (
            m,
            "slow_mode_fraction alpha_z=0",
            lambda: slow_mode_fraction(GatedParams(g_h=3.0), 1.0, 0.1),
        ),
        (
            m,
            "slow_mode_fraction alpha_z=1e4",
            lambda: slow_mode_fraction(GatedParams(g_h=3.0, alpha_z=1e4), 1.0, 0.1),
        ),
    ]
    return out


def _gradient_cases() -> list[Case]:
    from theory.gating import GatedParams
    from theory.gating.gradients.adjoint import adjoint_gradients, adjoint_growth_rate, loss_only
    from theory.gating.gradients.adjoint_dmft import solve_adjoint_dmft
    from theory.gating.model import GatedNetwork

    out: list[Case] = []
    m = "gating.gradients.adjoint"
    p = GatedParams(g_h=3.0, alpha_z=1.0, alpha_r=1.0)
    net = GatedNetwork.sample(p, 10, np.random.default_rng(0))
    x0 = net.initial_state(np.random.default_rng(1))
    out += [
        (m, "valid", lambda: adjoint_gradients(net, x0, T=2.0, dt=0.05)),
        (m, "T=0", lambda: adjoint_gradients(net, x0, T=0.0)),
        (m, "dt=-1", lambda: adjoint_gradients(net, x0, T=2.0, dt=-1.0)),
        (m, "dt=5 (beyond limit)", lambda: adjoint_gradients(net, x0, T=20.0, dt=5.0)),
        (m, "x0 nan", lambda: adjoint_gradients(net, np.full((3, 10), np.nan), T=2.0)),
        (m, "x0 wrong shape", lambda: adjoint_gradients(net, np.zeros((3, 4)), T=2.0)),
        (m, "readout wrong shape", lambda: adjoint_gradients(net, x0, T=1.0, readout=np.ones(3))),
        (m, "loss_only T=nan", lambda: loss_only(net, x0, T=float("nan"))),
        (
            m,
            "growth n_blocks=0",
            lambda: adjoint_growth_rate(
                net, T=5.0, transient=1.0, rng=np.random.default_rng(0), n_blocks=0
            ),
        ),
        (
            m,
            "growth T short",
            lambda: adjoint_growth_rate(net, T=0.5, transient=0.0, rng=np.random.default_rng(0)),
        ),
        (m, "growth rng=0", lambda: adjoint_growth_rate(net, T=5.0, transient=1.0, rng=0)),  # type: ignore[arg-type]
        (
            m,
            "growth valid",
            lambda: adjoint_growth_rate(net, T=10.0, transient=2.0, rng=np.random.default_rng(0)),
        ),
    ]
    m = "gating.gradients.adjoint_dmft"
    q = GatedParams(g_h=3.0)
    out += [
        (m, "valid T=2", lambda: solve_adjoint_dmft(q, T=2.0, n=512, n_paths=800)),
        (m, "alpha_z=1", lambda: solve_adjoint_dmft(GatedParams(g_h=3.0, alpha_z=1.0), T=2.0)),
        (m, "T=0", lambda: solve_adjoint_dmft(q, T=0.0)),
        (m, "T=1e4", lambda: solve_adjoint_dmft(q, T=1e4)),
        (m, "dt=0", lambda: solve_adjoint_dmft(q, T=2.0, dt=0.0)),
        (m, "no loss", lambda: solve_adjoint_dmft(q, T=2.0, running=0.0, readout=0.0)),
        (
            m,
            "g_h=0.5 (quiescent)",
            lambda: solve_adjoint_dmft(GatedParams(g_h=0.5), T=2.0, n=512, n_paths=800),
        ),
        (m, "n_paths=0", lambda: solve_adjoint_dmft(q, T=2.0, n_paths=0)),
        (m, "seed=-1", lambda: solve_adjoint_dmft(q, T=2.0, n=512, n_paths=800, seed=-1)),
        (m, "running=nan", lambda: solve_adjoint_dmft(q, T=2.0, running=float("nan"))),
        (m, "g_h=30", lambda: solve_adjoint_dmft(GatedParams(g_h=30.0), T=2.0, n=512, n_paths=800)),
    ]
    return out


# =============================================================================== linear memory
def _linear_memory_cases() -> list[Case]:
    import theory.linear_memory as lm
    from theory.linear_memory.approximation import (
        best_coefficients,
        chebyshev_construction,
        nonnegative_fit,
        stable_floor,
    )
    from theory.linear_memory.gradient_flow import gradient_flow
    from theory.linear_memory.hankel import hankel_singular_values, hankel_singular_values_exp
    from theory.linear_memory.loss import diagonal_loss, general_loss
    from theory.linear_memory.model import DiagonalRNN, LinearRNN
    from theory.linear_memory.plateau import airy_escape_time, escape_time, quasi_static_tau
    from theory.linear_memory.simulation import monte_carlo_mse, sgd_train, worst_case_gap

    out: list[Case] = []
    m = "linear_memory.kernels"
    out += [
        (m, "power_law p=1", lambda: lm.power_law(1.0)),
        (m, "power_law p=1+1e-12", lambda: lm.power_law(1.0 + 1e-12).l1_norm()),
        (m, "power_law p=1e3 l2", lambda: lm.power_law(1e3).l2_norm_sq()),
        (m, "exponential_sum v=0", lambda: lm.exponential_sum([1.0], [0.0])),
        (m, "exponential_sum v=1e-300", lambda: lm.exponential_sum([1.0], [1e-300]).l2_norm_sq()),
        (m, "exponential_sum v=1e300", lambda: lm.exponential_sum([1.0], [1e300]).l2_norm_sq()),
        (m, "exponential_sum lengths", lambda: lm.exponential_sum([1.0, 2.0], [1.0])),
        (m, "gaussian_bump mu=1e6", lambda: lm.gaussian_bump(1.0, 1e6).l2_norm_sq()),
        (m, "gaussian_bump A=nan", lambda: lm.gaussian_bump(float("nan"), 1.0)),
        (m, "airy t0=1e4", lambda: lm.airy_kernel(1e4).laplace(np.array([1.0]))),
        (m, "airy s0=-1", lambda: lm.airy_kernel(1.0, -1.0)),
        (m, "window L=0", lambda: lm.shifted_window(1.0, 0.0)),
        (m, "window l1", lambda: lm.shifted_window(1.0, 2.0).l1_norm()),
        (m, "from_expression 1/(1+t)", lambda: lm.from_expression("1/(1+t)")),
        (m, "from_expression x*t", lambda: lm.from_expression("x*exp(-t)")),
        (m, "from_expression garbage", lambda: lm.from_expression("exp(-t")),
        (m, "from_expression 1/t", lambda: lm.from_expression("exp(-t)/t")),
        (m, "from_expression const", lambda: lm.from_expression("1")),
        (m, "laplace s=-1", lambda: lm.power_law(2.0).laplace(np.array([-1.0]))),
        (m, "laplace s=0", lambda: lm.power_law(2.0).laplace(np.array([0.0]))),
        (m, "laplace s=nan", lambda: lm.exponential_sum([1.0], [1.0]).laplace(np.array([np.nan]))),
        (m, "laplace s=1e300", lambda: lm.power_law(2.0).laplace(np.array([1e300]))),
        (m, "kernel t=-1", lambda: lm.power_law(2.0)(np.array([-1.0]))),
    ]
    m = "linear_memory.model"
    out += [
        (m, "DiagonalRNN w=0", lambda: DiagonalRNN([1.0], [0.0])),
        (m, "DiagonalRNN empty", lambda: DiagonalRNN([], [])),
        (m, "LinearRNN not Hurwitz", lambda: LinearRNN([[1.0]], [1.0], [1.0])),
        (m, "LinearRNN nan", lambda: LinearRNN([[np.nan]], [1.0], [1.0])),
        (
            m,
            "LinearRNN defective kernel",
            lambda: LinearRNN([[-1.0, 1.0], [0.0, -1.0]], [1.0, 1.0], [1.0, 0.0]).kernel(
                np.linspace(0, 5, 4)
            ),
        ),
    ]
    m = "linear_memory.approximation"
    pl = lm.power_law(2.0)
    ex = lm.exponential_sum([1.0], [2.0])
    for mm in [1, 5, 20, 60, 200]:
        out.append((m, f"chebyshev m={mm} exp", lambda mm=mm: chebyshev_construction(ex, mm, 1.0)))
    out += [
        (m, "chebyshev m=0", lambda: chebyshev_construction(ex, 0, 1.0)),
        (m, "chebyshev beta=0", lambda: chebyshev_construction(ex, 5, 0.0)),
        (m, "chebyshev beta above decay", lambda: chebyshev_construction(ex, 5, 10.0)),
        (m, "chebyshev power law", lambda: chebyshev_construction(pl, 10, 0.5)),
        (m, "chebyshev m=1e6", lambda: chebyshev_construction(ex, 10**6, 1.0)),
        (m, "best dps=0", lambda: best_coefficients(ex, np.array([1.0, 3.0]), dps=0)),
        (m, "best dps=5", lambda: best_coefficients(ex, np.array([1.0, 3.0]), dps=5)),
        (m, "best dps=-3", lambda: best_coefficients(ex, np.array([1.0, 3.0]), dps=-3)),
        (m, "best dps=1e5", lambda: best_coefficients(ex, np.array([1.0, 3.0]), dps=100000)),
        (m, "best w repeated", lambda: best_coefficients(ex, np.array([1.0, 1.0]))),
        (m, "best w nan", lambda: best_coefficients(ex, np.array([np.nan, 1.0]))),
        (m, "best w inf", lambda: best_coefficients(ex, np.array([np.inf, 1.0]))),
        (m, "best m=40 geometric", lambda: best_coefficients(pl, np.geomspace(0.01, 40, 40))),
        (
            m,
            "best airy (no closed form)",
            lambda: best_coefficients(lm.airy_kernel(2.0), np.array([1.0, 2.0])),
        ),
        (m, "best w nearly equal", lambda: best_coefficients(ex, np.array([1.0, 1.0 + 1e-15]))),
        (m, "stable_floor beta<0", lambda: stable_floor(2.0, 1.0, -1.0)),
        (m, "stable_floor beta=0", lambda: stable_floor(2.0, 1.0, 0.0)),
        (m, "stable_floor p<0", lambda: stable_floor(-1.0, 1.0, 0.5)),
        (m, "stable_floor p=0.5", lambda: stable_floor(0.5, 1.0, 0.5)),
        (m, "stable_floor A=nan", lambda: stable_floor(2.0, float("nan"), 0.5)),
        (m, "stable_floor A=inf", lambda: stable_floor(2.0, float("inf"), 0.5)),
        (m, "stable_floor beta=1e-300", lambda: stable_floor(2.0, 1.0, 1e-300)),
        (m, "stable_floor beta=1e6", lambda: stable_floor(2.0, 1.0, 1e6)),
        (m, "stable_floor valid", lambda: stable_floor(2.0, 2.0, 0.1)),
        (m, "nnls w=0", lambda: nonnegative_fit(pl, np.array([0.0, 1.0]))),
        (m, "nnls valid", lambda: nonnegative_fit(pl, np.geomspace(0.1, 10, 5))),
        (m, "nnls n=1", lambda: nonnegative_fit(pl, np.geomspace(0.1, 10, 5), n=1)),
        (m, "free_rates m=0", lambda: lm.free_rates(0)),
        (m, "stable_rates beta=-1", lambda: lm.stable_rates(3, -1.0)),
    ]
    m = "linear_memory.hankel"
    out += [
        (m, "exp v=0", lambda: hankel_singular_values_exp([1.0], [0.0])),
        (m, "exp lengths", lambda: hankel_singular_values_exp([1.0, 1.0], [1.0])),
        (m, "exp b=nan", lambda: hankel_singular_values_exp([np.nan], [1.0])),
        (m, "nystrom n=0", lambda: hankel_singular_values(pl, n=0)),
        (m, "nystrom k=0", lambda: hankel_singular_values(pl, k=0)),
        (m, "nystrom T=-1", lambda: hankel_singular_values(pl, T=-1.0)),
        (m, "nystrom n=20000", lambda: hankel_singular_values(pl, n=20000)),
        (m, "nystrom valid", lambda: hankel_singular_values(pl, n=200)),
    ]
    m = "linear_memory.loss"
    loss = diagonal_loss(pl)
    out += [
        (m, "value w<0", lambda: loss.value(np.array([1.0]), np.array([-1.0]))),
        (m, "value nan", lambda: loss.value(np.array([np.nan]), np.array([1.0]))),
        (m, "value shapes", lambda: loss.value(np.array([1.0, 2.0]), np.array([1.0]))),
        (m, "gradient w=1e-300", lambda: loss.gradient(np.array([1.0]), np.array([1e-300]))),
        (m, "general_loss", lambda: general_loss(pl, LinearRNN([[-1.0]], [1.0], [1.0]))),
    ]
    m = "linear_memory.gradient_flow"
    out += [
        (m, "tau_max=0", lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 0.0)),
        (m, "tau_max=1e12", lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 1e12)),
        (m, "n_out=1", lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 10.0, n_out=1)),
        (
            m,
            "method=bogus",
            lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 10.0, method="bogus"),
        ),
        (m, "rtol=0", lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 10.0, rtol=0.0)),
        (
            m,
            "w_floor=-1",
            lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 10.0, w_floor=-1.0),
        ),
        (m, "valid", lambda: gradient_flow(loss, DiagonalRNN([1.0], [1.0]), 10.0)),
    ]
    m = "linear_memory.plateau"
    out += [
        (m, "quasi_static_tau mu=-1", lambda: quasi_static_tau(-1.0)),
        (m, "quasi_static_tau mu=0", lambda: quasi_static_tau(0.0)),
        (m, "quasi_static_tau mu=1e3", lambda: quasi_static_tau(1e3)),
        (m, "delayed mu=0", lambda: lm.delayed_target(0.0)),
        (m, "escape drop=0", lambda: escape_time(*lm.delayed_target(2.0), drop=0.0)),
        (m, "escape mu=40", lambda: escape_time(*lm.delayed_target(40.0), tau_max=1e6)),
        (m, "escape w0=0", lambda: escape_time(*lm.delayed_target(2.0), w0_=0.0)),
        (m, "airy t0=0", lambda: airy_escape_time(0.0)),
        (m, "airy t0=30", lambda: airy_escape_time(30.0)),
        (m, "nondelayed omega=0", lambda: lm.nondelayed_target(0.0)),
    ]
    m = "linear_memory.simulation"
    dm = DiagonalRNN([1.0], [1.0])
    r = np.random.default_rng
    out += [
        (
            m,
            "mc dt=0",
            lambda: monte_carlo_mse(ex, dm, dt=0.0, T_burn=1.0, T_obs=1.0, batch=4, rng=r(0)),
        ),
        (
            m,
            "mc dt=10 (coarse)",
            lambda: monte_carlo_mse(ex, dm, dt=10.0, T_burn=10.0, T_obs=100.0, batch=4, rng=r(0)),
        ),
        (
            m,
            "mc batch=0",
            lambda: monte_carlo_mse(ex, dm, dt=0.1, T_burn=1.0, T_obs=1.0, batch=0, rng=r(0)),
        ),
        (
            m,
            "mc rng=0",
            lambda: monte_carlo_mse(ex, dm, dt=0.1, T_burn=1.0, T_obs=1.0, batch=4, rng=0),
        ),  # type: ignore[arg-type]
        (
            m,
            "mc T_obs=0",
            lambda: monte_carlo_mse(ex, dm, dt=0.1, T_burn=1.0, T_obs=0.0, batch=4, rng=r(0)),
        ),
        (
            m,
            "mc theta_ou=-1",
            lambda: monte_carlo_mse(
                ex, dm, dt=0.1, T_burn=1.0, T_obs=1.0, batch=4, rng=r(0), theta_ou=-1.0
            ),
        ),
        (
            m,
            "mc fast rate w=1e4",
            lambda: monte_carlo_mse(
                ex, DiagonalRNN([1.0], [1e4]), dt=0.1, T_burn=1.0, T_obs=5.0, batch=4, rng=r(0)
            ),
        ),
        (
            m,
            "mc huge",
            lambda: monte_carlo_mse(ex, dm, dt=1e-6, T_burn=1.0, T_obs=1e3, batch=10**4, rng=r(0)),
        ),
        (
            m,
            "mc valid",
            lambda: monte_carlo_mse(ex, dm, dt=0.1, T_burn=5.0, T_obs=20.0, batch=8, rng=r(0)),
        ),
        (
            m,
            "sgd lr=1e6",
            lambda: sgd_train(
                ex, dm, lr=1e6, steps=20, batch=4, dt=0.1, T_burn=2.0, T_obs=2.0, rng=r(0)
            ),
        ),
        (
            m,
            "sgd lr=-1",
            lambda: sgd_train(
                ex, dm, lr=-1.0, steps=5, batch=4, dt=0.1, T_burn=2.0, T_obs=2.0, rng=r(0)
            ),
        ),
        (
            m,
            "sgd steps=0",
            lambda: sgd_train(
                ex, dm, lr=0.1, steps=0, batch=4, dt=0.1, T_burn=2.0, T_obs=2.0, rng=r(0)
            ),
        ),
        (
            m,
            "sgd valid",
            lambda: sgd_train(
                ex, dm, lr=0.05, steps=10, batch=4, dt=0.1, T_burn=2.0, T_obs=2.0, rng=r(0)
            ),
        ),
        (m, "worst delta=0", lambda: worst_case_gap(ex, dm, dt=0.1, T=10.0, delta=0.0)),
        (m, "worst dt=-1", lambda: worst_case_gap(ex, dm, dt=-1.0, T=10.0, delta=1.0)),
        (m, "worst valid", lambda: worst_case_gap(ex, dm, dt=0.1, T=10.0, delta=1.0)),
    ]
    return out


# =============================================================================== markov, kernel limit
def _markov_cases() -> list[Case]:
    from theory.markov import MarkovChain, example_chain
    from theory.markov.histories import HistoryChain
    from theory.markov.poisson import (
        asymptotic_variance,
        finite_n_variance,
        poisson_numeric,
        stationary_numeric,
    )

    out: list[Case] = []
    m = "markov.chain"
    out += [
        (m, "P negative", lambda: MarkovChain(np.array([[1.5, -0.5], [0.5, 0.5]]))),
        (m, "P rows != 1", lambda: MarkovChain(np.array([[0.5, 0.4], [0.5, 0.5]]))),
        (m, "P reducible", lambda: MarkovChain(np.eye(2))),
        (m, "P periodic", lambda: MarkovChain(np.array([[0.0, 1.0], [1.0, 0.0]]))),
        (m, "P nan", lambda: MarkovChain(np.array([[np.nan, 1.0], [0.5, 0.5]]))),
        (m, "P 1-d", lambda: MarkovChain(np.array([1.0]))),
        (m, "P empty", lambda: MarkovChain(np.zeros((0, 0)))),
        (m, "P 1x1", lambda: MarkovChain(np.array([[1.0]]))),
        (
            m,
            "P nearly reducible",
            lambda: MarkovChain(np.array([[1 - 1e-15, 1e-15], [1e-15, 1 - 1e-15]])).stationary,
        ),
        (m, "states wrong", lambda: MarkovChain(np.full((2, 2), 0.5), states=[1.0])),
        (m, "sample n=0", lambda: example_chain().sample(0, 2, np.random.default_rng(0))),
        (m, "sample rng=0", lambda: example_chain().sample(5, 2, 0)),  # type: ignore[arg-type]
        (
            m,
            "sample start bad",
            lambda: example_chain().sample(5, 2, np.random.default_rng(0), start=np.array([99, 0])),
        ),
        (
            m,
            "sample start string",
            lambda: example_chain().sample(5, 2, np.random.default_rng(0), start="uniform"),
        ),
    ]
    m = "markov.histories"
    out += [
        (m, "L=0", lambda: HistoryChain(example_chain(), 0)),
        (m, "L=40", lambda: HistoryChain(example_chain(), 40)),
        (m, "L=2", lambda: HistoryChain(example_chain(), 2).H),
    ]
    m = "markov.poisson"
    ch = example_chain()
    out += [
        (m, "stationary method bogus", lambda: stationary_numeric(ch, method="bogus")),
        (m, "poisson F nan", lambda: poisson_numeric(ch, np.array([np.nan, 0.0, 1.0]))),
        (m, "poisson F wrong shape", lambda: poisson_numeric(ch, np.ones(7))),
        (
            m,
            "poisson pi unnormalised",
            lambda: poisson_numeric(ch, np.array([1.0, 0.0, -1.0]), pi=np.array([1.0, 1.0, 1.0])),
        ),
        (
            m,
            "poisson pi negative",
            lambda: poisson_numeric(ch, np.array([1.0, 0.0, -1.0]), pi=np.array([-0.2, 0.6, 0.6])),
        ),
        (
            m,
            "poisson pi not stationary",
            lambda: poisson_numeric(ch, np.array([1.0, 0.0, -1.0]), pi=np.array([0.2, 0.2, 0.6])),
        ),
        (
            m,
            "variance near-reducible",
            lambda: asymptotic_variance(
                MarkovChain(np.array([[1 - 1e-13, 1e-13], [1e-13, 1 - 1e-13]])),
                np.array([1.0, -1.0]),
            ),
        ),
        (m, "finite_n n=0", lambda: finite_n_variance(ch, np.array([1.0, 0.0, -1.0]), 0)),
        (m, "finite_n n=1e12", lambda: finite_n_variance(ch, np.array([1.0, 0.0, -1.0]), 10**12)),
        (m, "variance valid", lambda: asymptotic_variance(ch, np.array([1.0, 0.0, -1.0]))),
    ]
    return out


def _kernel_limit_cases() -> list[Case]:
    from theory.kernel_limit import KernelLimitParams, LimitODE
    from theory.kernel_limit.fluctuations import kernel_dynamics, predicted_covariance
    from theory.kernel_limit.kernel import kernel_monte_carlo, kernel_quadrature
    from theory.kernel_limit.memory import memory_on_histories, truncation_bound
    from theory.markov import example_chain
    from theory.markov.histories import HistoryChain

    out: list[Case] = []
    m = "kernel_limit.model"
    for kw in [
        {"beta": 0.5},
        {"beta": 1.0},
        {"alpha": 0.0},
        {"b_max": 2.0},
        {"sigma_w": 0.0},
        {"phi": "relu"},
        {"c_law": "cauchy"},
        {"m_C": float("nan")},
        {"alpha": 1e300},
    ]:
        out.append((m, f"KernelLimitParams({kw})", lambda kw=kw: KernelLimitParams(**kw)))
    p = KernelLimitParams()
    hc = HistoryChain(example_chain(), 2)
    m = "kernel_limit.kernel"
    out += [
        (m, "quadrature valid L=2", lambda: kernel_quadrature(p, hc)),
        (m, "quadrature step=0", lambda: kernel_quadrature(p, hc, step=0.0)),
        (m, "quadrature n_B=0", lambda: kernel_quadrature(p, hc, n_B=0)),
        (m, "quadrature rule bogus", lambda: kernel_quadrature(p, hc, rule="bogus")),
        (
            m,
            "quadrature sigma_w=1e3",
            lambda: kernel_quadrature(KernelLimitParams(sigma_w=1e3), hc),
        ),
        (m, "quadrature b_max=0", lambda: kernel_quadrature(KernelLimitParams(b_max=0.0), hc)),
        (m, "mc n=1", lambda: kernel_monte_carlo(p, hc, 1, np.random.default_rng(0))),
        (m, "mc rng=0", lambda: kernel_monte_carlo(p, hc, 64, 0)),  # type: ignore[arg-type]
        (m, "mc valid", lambda: kernel_monte_carlo(p, hc, 256, np.random.default_rng(0))),
    ]
    m = "kernel_limit.memory"
    out += [
        (m, "truncation L=0", lambda: truncation_bound(p, 0)),
        (m, "truncation L=1e6", lambda: truncation_bound(p, 10**6)),
        (
            m,
            "memory shapes",
            lambda: memory_on_histories(p, hc, np.ones(3), np.ones(4), np.ones(3)),
        ),
        (
            m,
            "memory nan",
            lambda: memory_on_histories(p, hc, np.full(3, np.nan), np.ones(3), np.ones(3)),
        ),
    ]
    m = "kernel_limit.limit_ode"
    H = hc.H
    K = kernel_quadrature(p, hc)
    y = np.linspace(-1, 1, H)
    out += [
        (m, "valid", lambda: LimitODE(K, hc.Pi, y, 1.0).g(np.linspace(0, 5, 4))),
        (m, "K not PSD", lambda: LimitODE(-K, hc.Pi, y, 1.0).g(np.linspace(0, 5, 4))),
        (
            m,
            "K not symmetric",
            lambda: LimitODE(K + np.triu(np.ones((H, H)), 1), hc.Pi, y, 1.0).g(1.0),
        ),
        (m, "Pi unnormalised", lambda: LimitODE(K, 2 * hc.Pi, y, 1.0).g(1.0)),
        (m, "Pi zero", lambda: LimitODE(K, np.zeros(H), y, 1.0)),
        (m, "y nan", lambda: LimitODE(K, hc.Pi, np.full(H, np.nan), 1.0).g(1.0)),
        (m, "alpha=nan", lambda: LimitODE(K, hc.Pi, y, float("nan"))),
        (m, "alpha=inf", lambda: LimitODE(K, hc.Pi, y, float("inf")).g(1.0)),
        (m, "t=inf", lambda: LimitODE(K, hc.Pi, y, 1.0).g(np.inf)),
        (m, "t=nan", lambda: LimitODE(K, hc.Pi, y, 1.0).g(np.nan)),
        (m, "method bogus", lambda: LimitODE(K, hc.Pi, y, 1.0, method="bogus")),
        (
            m,
            "expm valid",
            lambda: LimitODE(K, hc.Pi, y, 1.0, method="expm").g(np.array([0.0, 1.0])),
        ),
        (m, "expm not PSD", lambda: LimitODE(-K, hc.Pi, y, 1.0, method="expm").g(np.array([10.0]))),
        (m, "K 1-d", lambda: LimitODE(np.ones(H), hc.Pi, y, 1.0)),
    ]
    m = "kernel_limit.fluctuations"
    ode = LimitODE(K, hc.Pi, y, 1.0)
    out += [
        (m, "predicted_covariance T=0", lambda: predicted_covariance(ode, hc, 0.0, 100)),
        (m, "predicted_covariance N=0", lambda: predicted_covariance(ode, hc, 1.0, 0)),
        (
            m,
            "predicted_covariance n_time=0",
            lambda: predicted_covariance(ode, hc, 1.0, 100, n_time=0),
        ),
        (m, "predicted_covariance valid", lambda: predicted_covariance(ode, hc, 1.0, 100)),
        (
            m,
            "kernel_dynamics N=0",
            lambda: kernel_dynamics(K, y, np.zeros((2, 3), dtype=int), 1.0, 0),
        ),
        (
            m,
            "kernel_dynamics bad positions",
            lambda: kernel_dynamics(K, y, np.full((2, 3), 10**6), 1.0, 10),
        ),
        (
            m,
            "kernel_dynamics float positions",
            lambda: kernel_dynamics(K, y, np.zeros((2, 3)), 1.0, 10),
        ),
    ]
    return out


def _symbolic_cases() -> list[Case]:
    import sympy as sp

    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import X, expect, expect2, gaussian_cross

    out: list[Case] = []
    m = "symbolic"
    out += [
        (m, "compile missing symbol", lambda: compile_function(sp.Symbol("y") * X, [X])),
        (m, "expect var=-1", lambda: expect(np.tanh, -1.0)),
        (m, "expect var=1e300", lambda: expect(np.tanh, 1e300)),
        (m, "expect2 |c|>c0", lambda: expect2(np.tanh, None, 2.0, 1.0)),
        (m, "expect2 step=1e-6", lambda: expect2(np.tanh, None, 0.5, 1.0, step=1e-6)),
        (
            m,
            "gaussian_cross tanh(50x) at c0=100",
            lambda: compile_function(
                gaussian_cross(sp.tanh(50 * X))(sp.Symbol("c"), sp.Symbol("c0")),
                [sp.Symbol("c"), sp.Symbol("c0")],
            )(50.0, 100.0),
        ),
    ]
    return out


ALL = {
    "gating": _gating_cases,
    "classical": _classical_cases,
    "dmft": _dmft_cases,
    "chaos": _chaos_cases,
    "gradients": _gradient_cases,
    "linear_memory": _linear_memory_cases,
    "markov": _markov_cases,
    "kernel_limit": _kernel_limit_cases,
    "symbolic": _symbolic_cases,
}


def collect(only: list[str] | None = None) -> list[Case]:
    cases: list[Case] = []
    for name, fn in ALL.items():
        if only and not any(name.startswith(o) or o.startswith(name) for o in only):
            continue
        cases += fn()
    if only:
        cases = [
            c
            for c in cases
            if any(
                c[0].startswith(o) or o.startswith(c[0].split(".")[0]) or o in c[0] for o in only
            )
        ]
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--mem-gib", type=float, default=4.0)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--grep", default=None, help="only cases whose label contains this")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    cases = collect(args.only)
    if args.grep:
        cases = [c for c in cases if args.grep in c[1]]
    rows = []
    for module, label, thunk in cases:
        o = run_isolated(thunk, timeout=args.timeout, mem_gib=args.mem_gib)
        flag = "!!" if o.kind in BAD_KINDS else "  "
        print(
            f"{flag} {module:32s} {label[:48]:48s} {o.kind:16s} {o.seconds:7.2f}s  {o.detail[:110]}",
            flush=True,
        )
        for w in o.warnings[:2]:
            print(f"      warning: {w}")
        rows.append(
            {
                "module": module,
                "case": label,
                "kind": o.kind,
                "seconds": o.seconds,
                "detail": o.detail,
                "warnings": list(o.warnings),
            }
        )
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        per[r["module"]][r["kind"]] += 1
    print(
        "\n| module | inputs | ParameterError | ConvergenceError | flagged | converged | raw | NaN/inf | hang | memory |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    tot: Counter[str] = Counter()
    for mod, c in per.items():
        tot.update(c)
        print(
            f"| {mod} | {sum(c.values())} | {c['ParameterError']} | {c['ConvergenceError']} | {c['flagged']} | {c['converged']} | {c['raw']} | {c['nonfinite']} | {c['timeout']} | {c['memory']} |"
        )
    print(
        f"| **total** | {sum(tot.values())} | {tot['ParameterError']} | {tot['ConvergenceError']} | {tot['flagged']} | {tot['converged']} | {tot['raw']} | {tot['nonfinite']} | {tot['timeout']} | {tot['memory']} |"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 1 if any(r["kind"] in BAD_KINDS for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
