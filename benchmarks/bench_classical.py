"""Benchmarks of the classical random RNN (issues 2 and 14).

* compiled DMFT force (erf network, closed-form Gaussian kernel) vs SymPy ``subs``/``evalf``;
* Δ0 of the DMFT: the package's vectorised safeguarded Newton (sinh-mapped Gaussian rule) vs the
  mean-field peer codes' two standard ways, written here: a plain ``scipy.optimize.fsolve`` of the
  self-consistency Δ0²/2 = g²(⟨Φ²⟩ − ⟨Φ⟩²) and the damped fixed-point iteration
  Δ0 ← (1 − α)Δ0 + α·√(2g² Var Φ(Δ0)) (α = 0.5), both with Gauss–Hermite quadrature of 100 nodes
  (numpy ``hermegauss``) as in those codes; one gain, and a 40-gain sweep from 1.01 to 1000;
  accuracy against a 30-digit mpmath root;
* the full solve (Δ0, ⟨ẋ²⟩, τ_R and Δ(τ) on [0, 40], step 0.01) vs the previous implementation
  (``method="ode"``: DOP853 with a quadrature force), and λ_max (spectral elements vs the previous
  finite differences with Richardson);
* simulator RK4 step vs a bare loop of the same number of ``J @ tanh(x)`` matvecs.

All timings with one BLAS thread (threadpoolctl), best of repeats, on a shared 2-core machine.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import sympy as sp
from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)

#: Gauss–Hermite order of the peer-code baselines.
GH_ORDER = 100


@functools.cache
def _gh_rule() -> tuple[np.ndarray, np.ndarray]:
    u, w = np.polynomial.hermite_e.hermegauss(GH_ORDER)
    return u, w / np.sqrt(2 * np.pi)


def _gh_var_phi(d0: float) -> float:
    """Var Φ for tanh at variance d0, Gauss–Hermite (the peer codes' quadrature)."""
    u, w = _gh_rule()
    x = np.sqrt(d0) * u
    Phi = np.logaddexp(x, -x) - np.log(2.0)
    m1 = w @ Phi
    return float(w @ Phi**2 - m1 * m1)


def baseline_fsolve(g: float) -> float:
    """Δ0 by a plain ``fsolve`` of Δ0²/2 − g² Var Φ(Δ0) = 0 from Δ0 = g² (peer-code style)."""
    import scipy.optimize as so

    def f(x: np.ndarray) -> list[float]:
        d0 = abs(float(x[0]))
        return [d0 * d0 / 2 - g * g * _gh_var_phi(d0)]

    with warnings.catch_warnings():  # fsolve warns when GH100 cannot resolve large g
        warnings.simplefilter("ignore", RuntimeWarning)
        return abs(float(so.fsolve(f, [g * g], xtol=1e-13)[0]))


def baseline_fixed_point(g: float, alpha: float = 0.5, tol: float = 1e-12) -> tuple[float, int]:
    """Δ0 by the damped fixed-point iteration Δ0 ← (1 − α)Δ0 + α√(2g² Var Φ(Δ0))."""
    d0 = g * g
    for it in range(1, 100_000):
        new = (1 - alpha) * d0 + alpha * np.sqrt(2 * g * g * _gh_var_phi(d0))
        if abs(new - d0) <= tol * d0:
            return float(new), it
        d0 = float(new)
    return d0, 100_000


@functools.cache
def mpmath_delta0(g: float) -> float:
    """30-digit reference root (mpmath quadrature split at ±1/√Δ0 and ±10, secant from the solver)."""
    import mpmath as mp

    from theory.gating.classical.dmft import classical_dmft_sweep

    start = float(classical_dmft_sweep([g]).delta0[0])
    with mp.workdps(30):

        def gap(d0: mp.mpf) -> mp.mpf:
            s = mp.sqrt(d0)
            pts = [-mp.inf, -10, -1 / s, 0, 1 / s, 10, mp.inf]
            m1 = mp.quad(lambda u: mp.log(mp.cosh(s * u)) * mp.npdf(u), pts)
            m2 = mp.quad(lambda u: mp.log(mp.cosh(s * u)) ** 2 * mp.npdf(u), pts)
            return (-(d0**2) / 2 + g**2 * (m2 - m1**2)) / d0**2

        return float(mp.findroot(gap, (mp.mpf(start) * (1 - 1e-9), mp.mpf(start) * (1 + 1e-9))))


def _rel(a: np.ndarray | float, b: np.ndarray | float) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.abs(np.asarray(b))))


def _delta0_records(quick: bool) -> list[dict]:
    from theory.gating.classical.dmft import classical_dmft_sweep

    out: list[dict] = []
    classical_dmft_sweep([2.0])  # compile once
    gains = [2.0] if quick else [2.0, 10.0, 1000.0]
    for g in gains:
        ref = mpmath_delta0(g)
        t_ours = best_time(lambda g=g: classical_dmft_sweep([g]), repeat=20)
        t_fs = best_time(lambda g=g: baseline_fsolve(g), repeat=20)
        t_fp = best_time(lambda g=g: baseline_fixed_point(g), repeat=3)
        e_ours = _rel(classical_dmft_sweep([g]).delta0[0], ref)
        e_fs = _rel(baseline_fsolve(g), ref)
        d_fp, it_fp = baseline_fixed_point(g)
        e_fp = _rel(d_fp, ref)
        out.append(
            dict(
                name=f"Delta0 root, g={g:g}: package vs plain fsolve",
                value=t_ours * 1e3,
                unit="ms",
                baseline=t_fs * 1e3,
                ratio=t_ours / t_fs,
                note=f"rel. error vs mpmath: package {e_ours:.1e}, fsolve (GH{GH_ORDER}) {e_fs:.1e}",
            )
        )
        out.append(
            dict(
                name=f"Delta0 root, g={g:g}: package vs damped fixed point",
                value=t_ours * 1e3,
                unit="ms",
                baseline=t_fp * 1e3,
                ratio=t_ours / t_fp,
                note=f"fixed point (alpha=0.5, GH{GH_ORDER}): {it_fp} iterations, rel. error {e_fp:.1e}",
            )
        )
    gs = np.geomspace(1.01, 1000.0, 40)
    t_sw = best_time(lambda: classical_dmft_sweep(gs), repeat=10)
    t_fs = best_time(lambda: [baseline_fsolve(float(g)) for g in gs], repeat=3)
    sw = classical_dmft_sweep(gs)
    fs = np.array([baseline_fsolve(float(g)) for g in gs])
    spread = _rel(fs, sw.delta0)
    out.append(
        dict(
            name="Delta0 sweep, 40 gains 1.01..1000 (vectorised)",
            value=t_sw * 1e3,
            unit="ms",
            baseline=t_fs * 1e3,
            ratio=t_sw / t_fs,
            note=f"baseline: fsolve per gain (GH{GH_ORDER}); max rel. difference of fsolve from the "
            f"package {spread:.1e} (the package agrees with mpmath to 1e-14, tests)",
        )
    )
    return out


def _full_records(quick: bool) -> list[dict]:
    from theory.gating.chaos.lyapunov_dmft import classical_lyapunov_dmft
    from theory.gating.classical.dmft import classical_dmft_sweep, solve_classical_dmft
    from theory.gating.classical.model import ClassicalParams

    out: list[dict] = []
    for g in [2.0] if quick else [2.0, 3.0, 5.0]:
        p = ClassicalParams(g)
        solve_classical_dmft(p).delta  # noqa: B018  (warm the compile caches)
        t_new = best_time(lambda p=p: solve_classical_dmft(p).delta, repeat=10)
        t_ode = best_time(lambda p=p: solve_classical_dmft(p, method="ode").delta, repeat=1)
        a = solve_classical_dmft(p)
        b = solve_classical_dmft(p, method="ode")
        diff = float(np.max(np.abs(a.delta - b.delta)) / a.delta0)
        out.append(
            dict(
                name=f"full DMFT solve g={g:g}: Delta0 + Delta(tau) on [0,40] step 0.01",
                value=t_new * 1e3,
                unit="ms",
                baseline=t_ode * 1e3,
                ratio=t_new / t_ode,
                note=f"baseline: the previous ODE method (DOP853 + quadrature force); max|dDelta|/Delta0 = {diff:.1e}",
            )
        )
    gs = np.linspace(1.05, 10.0, 40)
    sw = classical_dmft_sweep(gs)
    t_all = best_time(lambda: [sw.solution(i).delta for i in range(gs.size)], repeat=3)
    out.append(
        dict(
            name="full solves of a 40-gain sweep (1.05..10), Delta(tau) included",
            value=t_all * 1e3,
            unit="ms",
            baseline=None,
            ratio=None,
            note="target 200 ms",
        )
    )
    for g in [2.0] if quick else [2.0, 1000.0]:
        classical_lyapunov_dmft(g)
        t_sp = best_time(lambda g=g: classical_lyapunov_dmft(g), repeat=5)
        r = classical_lyapunov_dmft(g)
        if g <= 5:
            t_fd = best_time(lambda g=g: classical_lyapunov_dmft(g, method="fd"), repeat=2)
            f = classical_lyapunov_dmft(g, method="fd")
            note = (
                f"lambda = {r.value:.12f} +- {r.discretisation_error:.0e}; previous finite differences "
                f"{f.value:.9f} +- {f.discretisation_error:.0e}"
            )
            base, ratio = t_fd * 1e3, t_sp / t_fd
        else:
            note = f"lambda = {r.value:.12f} +- {r.discretisation_error:.0e} (FD cannot resolve the 1/g well)"
            base, ratio = None, None
        out.append(
            dict(
                name=f"DMFT lambda_max g={g:g} (solve + spectral elements)",
                value=t_sp * 1e3,
                unit="ms",
                baseline=base,
                ratio=ratio,
                note=note,
            )
        )
    return out


def run(quick: bool = False) -> list[dict]:
    from threadpoolctl import threadpool_limits

    from theory.gating.classical.dmft import (
        Delta,
        Delta0,
        classical_dmft_derivation,
        g,
    )
    from theory.gating.classical.model import ClassicalParams
    from theory.gating.classical.simulation import simulate_classical
    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import closed_form

    out: list[dict] = []
    with threadpool_limits(1):
        # 1. compiled vs subs/evalf
        d = classical_dmft_derivation("erf")
        force = closed_form(
            d.rhs("equation_of_motion").subs(
                sp.Function("Delta", real=True)(sp.Symbol("tau", real=True)), Delta
            )
        )
        f = compile_function(force, [Delta, Delta0, g])
        xs = np.linspace(0.0, 1.9, 10_000)
        t_comp = best_time(lambda: f(xs, 1.9, 2.0)) / xs.size
        n_sub = 20 if quick else 200
        pts = np.linspace(0.0, 1.9, n_sub)
        t_sub = (
            best_time(
                lambda: [float(force.subs({Delta: x, Delta0: 1.9, g: 2.0}).evalf()) for x in pts],
                repeat=2,
            )
            / n_sub
        )
        out.append(
            dict(
                name="DMFT force (erf, closed form): compiled per point",
                value=t_comp * 1e9,
                unit="ns",
                baseline=t_sub * 1e9,
                ratio=t_sub / t_comp,
                note="speed-up vs subs+evalf",
            )
        )
        # 2. DMFT solves
        out += _delta0_records(quick)
        out += _full_records(quick)
        # 3. simulator step vs bare matvec loop
        p = ClassicalParams(2.0)
        N = 500 if quick else 2000
        steps = 50 if quick else 300
        rng = np.random.default_rng(0)
        J = rng.standard_normal((N, N)) * (2.0 / np.sqrt(N))
        x = rng.standard_normal(N)

        def bare() -> None:
            y = x
            for _ in range(4 * steps):
                y = J @ np.tanh(y)

        t_bare = best_time(bare, repeat=3) / steps
        t_sim = (
            best_time(
                lambda: simulate_classical(p, N, T=steps * 0.1 + 0.2, burn_in=0.1, seed=0),
                repeat=3,
            )
            / steps
        )
        out.append(
            dict(
                name=f"simulator RK4 step, N={N} (4 matvecs)",
                value=t_sim * 1e3,
                unit="ms/step",
                baseline=t_bare * 1e3,
                ratio=t_sim / t_bare,
                note="ratio to a bare loop of 4 J@tanh(x) (1.0 = no overhead)",
            )
        )
    return out
