"""Time-step bias of the simulations behind the checks (issue 14: the checks' RK4 steps).

The checks integrate their ensembles with RK4 at dt = 0.2 (moments and autocorrelations of the
classical and gated networks, :data:`theory.gating.classical.checks.SIM_DT`,
:data:`theory.gating.dmft.checks.SIM_DT`) and the gated λ runs at dt = 0.25
(:data:`theory.gating.chaos.checks.GATED_LYAPUNOV_DT`). A step changes a time- or population-average
by c·dt⁴ (RK4). As in ``bench_lyapunov_bias.py``, the bias is measured on the *same* networks
(couplings, initial state) at a reference step dt = 0.1 and at larger steps; the paired differences
cancel the network-to-network spread but not the temporal noise of each record (the chaotic
trajectories decorrelate), so the law d(dt) = a + c·dt⁴ is fitted to all steps at once (one offset
a for the reference record's noise) and the bias at the checks' step is c·dt⁴ with its SE. A larger
step magnifies the bias by (dt/dt_check)⁴ (16× at 0.4 against 0.2), which is what makes a bias far
below the noise measurable.

Records: per quantity, the fitted bias at the checks' step (value), its SE (baseline column) and the
bias relative to the quantity (ratio). Full run about 5 CPU-minutes on one core; quick about 30 s.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _fit_rk4(dts: list[float], means: list[float], ses: list[float]) -> tuple[float, float, float]:
    """(c, se(c), reduced χ²) of d = a + c·dt⁴ (``bench_lyapunov_bias.fit_bias_law``)."""
    spec = importlib.util.spec_from_file_location(
        "bench_lyapunov_bias", Path(__file__).with_name("bench_lyapunov_bias.py")
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    coef, _, chi2 = mod.fit_bias_law([("rk4", d) for d in dts], np.array(means), np.array(ses))
    c, se = coef["rk4"]
    return c, se, chi2


def _records(
    label: str, values: dict[float, np.ndarray], dt_check: float, unit: str, cpu: float
) -> list[dict]:
    """Fit the paired differences against the reference step (the smallest key)."""
    ref_dt = min(values)
    ref = values[ref_dt]
    dts = sorted(d for d in values if d != ref_dt)
    S = ref.shape[0]
    means = [float(np.mean(values[d] - ref)) for d in dts]
    ses = [float(np.std(values[d] - ref, ddof=1) / np.sqrt(S)) for d in dts]
    c, se, chi2 = _fit_rk4(dts, means, ses)
    level = float(np.mean(ref))
    raw = ", ".join(f"dt={d:g}: {m:+.5f}+-{s:.5f}" for d, m, s in zip(dts, means, ses, strict=True))
    return [
        dict(
            name=f"{label}: RK4 bias at dt={dt_check:g}",
            value=c * dt_check**4,
            unit=unit,
            baseline=se * dt_check**4,
            ratio=c * dt_check**4 / level,
            note=(
                f"fitted c*dt^4, c = {c:+.4g} +- {se:.2g} (reduced chi2 {chi2:.2f}); baseline "
                f"column: SE; ratio: relative to {level:.4g}; paired vs dt={ref_dt:g} over {S} "
                f"networks: {raw}; CPU {cpu:.0f} s"
            ),
        )
    ]


def _gated_lambda(quick: bool) -> list[dict]:
    from theory.gating.chaos.checks import GATED_LYAPUNOV_DT
    from theory.gating.chaos.lyapunov import lyapunov_spectra
    from theory.gating.model import GatedNetwork, GatedParams

    cases = (
        [GatedParams(g_h=2.5, alpha_r=20.0)]
        if quick
        else [
            GatedParams(g_h=4.0),
            GatedParams(g_h=3.0, alpha_r=5.0),
            GatedParams(g_h=2.5, alpha_r=20.0),
            GatedParams(g_h=4.0, alpha_z=15.0),
        ]
    )
    N, S, T = (100, 6, 200.0) if quick else (200, 16, 600.0)
    out = []
    for p in cases:
        t0 = time.process_time()
        nets = [GatedNetwork.sample(p, N, np.random.default_rng([5, 11, N, s])) for s in range(S)]
        vals = {}
        for dt in (0.1, 0.2, 0.25, 1 / 3, 0.5):
            res = lyapunov_spectra(
                nets, 1, T=T, transient=40.0, rng=np.random.default_rng([5, 12, N]), dt=dt
            )
            vals[dt] = np.array([r.exponents[0] for r in res])
        label = (
            f"gated lambda_1 (g_h={p.g_h:g}, alpha_r={p.alpha_r:g}, alpha_z={p.alpha_z:g}, N={N})"
        )
        out += _records(label, vals, GATED_LYAPUNOV_DT, "1/time", time.process_time() - t0)
    return out


def _paired_moments(
    simulate: Callable[[float, int], tuple[float, float]], S: int
) -> tuple[dict[float, np.ndarray], dict[float, np.ndarray]]:
    """A moment and a velocity moment of S networks (seed index s) at each step dt = 0.1 … 0.4."""
    first: dict[float, np.ndarray] = {}
    second: dict[float, np.ndarray] = {}
    for dt in (0.1, 0.2, 0.3, 0.4):
        a = np.array([simulate(dt, s) for s in range(S)])
        first[dt], second[dt] = a[:, 0], a[:, 1]
    return first, second


def _classical_moments(quick: bool) -> list[dict]:
    from theory.gating.classical.checks import SIM_DT
    from theory.gating.classical.model import ClassicalParams
    from theory.gating.classical.simulation import simulate_classical

    N, S = (300, 6) if quick else (1000, 12)
    out = []
    for g in (2.0,) if quick else (2.0, 3.0):

        def one(dt: float, s: int, g: float = g) -> tuple[float, float]:
            tr = simulate_classical(
                ClassicalParams(g), N, T=250.0, burn_in=50.0, dt=dt, seed=1000 + s,
                dtype=np.float32,
            )  # fmt: skip
            return tr.second_moment(), tr.velocity_second_moment()

        t0 = time.process_time()
        d0, kin = _paired_moments(one, S)
        cpu = time.process_time() - t0
        out += _records(f"classical Delta0 (g={g:g}, N={N}, T=200)", d0, SIM_DT, "", cpu)
        out += _records(f"classical <xdot^2> (g={g:g}, N={N}, T=200)", kin, SIM_DT, "", cpu)
    return out


def _gated_moments(quick: bool) -> list[dict]:
    from theory.gating.dmft.checks import SIM_DT
    from theory.gating.model import GatedParams
    from theory.gating.simulation import simulate_gated

    N, S = (200, 4) if quick else (500, 12)
    p = GatedParams(g_h=2.5, alpha_r=20.0)

    def one(dt: float, s: int) -> tuple[float, float]:
        tr = simulate_gated(p, N, T=140.0, burn_in=20.0, dt=dt, seed=2000 + s)
        return tr.second_moment("h"), tr.velocity_second_moment()

    t0 = time.process_time()
    ch, kin = _paired_moments(one, S)
    cpu = time.process_time() - t0
    lab = f"gated (g_h=2.5, alpha_r=20, N={N}, T=120)"
    return _records(f"{lab} C_h(0)", ch, SIM_DT, "", cpu) + _records(
        f"{lab} <hdot^2>", kin, SIM_DT, "", cpu
    )


def run(quick: bool = False) -> list[dict]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _gated_lambda(quick) + _classical_moments(quick) + _gated_moments(quick)
