r"""Checks of the adjoint DMFT (gradient statistics) against adjoint gradients of finite networks.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IX (arXiv v1–v3); theory in
:mod:`theory.gating.gradients.adjoint_dmft` (derivation ``gated_adjoint_dmft``), measurement by
:func:`theory.gating.gradients.adjoint.adjoint_gradients` (the finite-network adjoint, itself
checked against finite differences by ``chaos.adjoint_fd``). The simulator never calls the theory.

Error model of every gradient-norm check: the mean over independent networks at three sizes
(:data:`G4_SIZES`, :data:`G25_SIZES`) fitted by y = y0 + a/N (weighted,
:func:`theory.checks.compare_extrapolation`; the finite-N shift of the backward growth, 2T·δλ·G
with a λ gap δλ ∝ 1/N, is what the slope a measures) and the intercept compared with the theory:
Student-t (α = 10⁻³, S − 1 dof) × SE(y0), the theory's own error (O(dt²) marching error from the
dt vs 2dt difference, and the Monte-Carlo error of the reaction source) added in quadrature; no
bias allowance. The adjoint growth check fits its rates like the λ_max checks
(λ_N = λ∞ + a/N over :data:`ADJOINT_TREND`, Welch degrees of freedom).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from theory.checks import (
    CheckContext,
    CheckResult,
    ErrorModel,
    check,
    compare_extrapolation,
    mean_sem,
    perturbed,
)
from theory.gating.chaos.checks import dmft_lambda_max
from theory.gating.chaos.size_trend import TrendPlan
from theory.gating.model import GatedNetwork, GatedParams

__all__: list[str] = []

#: burn-in before the gradient window (forward state stationary), in units of the h time constant
BURN_IN = 50.0

G4 = GatedParams(g_h=4.0)
G25 = GatedParams(g_h=2.5, alpha_r=20.0)

#: Sizes ((N, networks), ...) of the gradient-norm checks: the mean over networks at each size is
#: fitted by G0 + a/N and the intercept compared with the adjoint DMFT. The adjoint costs ∝ N² per
#: network, so the small sizes get more networks (the full plans cost what one size, 12–16
#: networks at N = 1000, did).
G4_SIZES = {"quick": ((150, 16), (250, 12), (400, 10)), "full": ((250, 16), (500, 12), (1000, 8))}
#: Sizes of the adjoint growth check (backward growth rate of ‖a‖ vs λ_max): fitted like the λ_max
#: checks, λ_N = λ∞ + a/N over three sizes, intercept vs the DMFT (no b·λ/N allowance).
ADJOINT_TREND = {
    "quick": TrendPlan(((100, 8), (150, 8), (200, 8)), 50.0, 30.0),
    "full": TrendPlan(((150, 12), (250, 10), (400, 8)), 120.0, 30.0),
}
G25_SIZES = {"quick": ((120, 16), (200, 12), (300, 10)), "full": ((250, 20), (500, 16), (1000, 10))}


@functools.lru_cache(maxsize=8)
def _forward_solution(params: GatedParams) -> Any:
    from theory.gating.dmft.fourier import solve_dmft_fourier

    return solve_dmft_fourier(params, n=2048, dtau=0.1)


@functools.lru_cache(maxsize=16)
def _theory(
    params: GatedParams, T: float, running: float, readout: float, reaction: bool | None
) -> dict[str, Any]:
    """Adjoint-DMFT gradient norms at dt = 0.1 with an O(dt²) error estimate from dt = 0.2."""
    from theory.gating.gradients.adjoint_dmft import solve_adjoint_dmft

    sol = _forward_solution(params)
    fine = solve_adjoint_dmft(
        params, T=T, dt=0.1, running=running, readout=readout, forward=sol, reaction=reaction
    )
    coarse = solve_adjoint_dmft(
        params, T=T, dt=0.2, running=running, readout=readout, forward=sol, reaction=reaction
    )
    out: dict[str, Any] = {"result": fine}
    for key in ("grad_norm_Jh", "grad_norm_Jr"):
        v, c = getattr(fine, key), getattr(coarse, key)
        # Richardson: error of the fine value ≈ |fine − coarse|/3; Monte Carlo: relative error of the source
        out[key] = (v, abs(v - c) / 3 + 2 * fine.info["reaction_mc_rel_err"] * abs(v))
    return out


@functools.lru_cache(maxsize=8)
def measured_gradients(
    params: GatedParams, N: int, S: int, T: float, seed: int, losses: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """‖∇_{J^h}L‖², ‖∇_{J^r}L‖² of S networks (stationary start after BURN_IN) and N²⟨a_h(t)²⟩_i.

    ``losses`` ⊂ {"running", "readout"}; the same networks and start states serve both losses.
    """
    from theory.gating.gradients.adjoint import adjoint_gradients

    out: dict[str, list[Any]] = {}
    for s in range(S):
        rng = np.random.default_rng([seed, 97, N, s])
        net = GatedNetwork.sample(params, N, rng)
        x = net.initial_state(rng)
        for _ in range(int(round(BURN_IN / 0.2))):  # RK4 at the ensembles' step (SIM_DT)
            x = net.step(x, 0.2)
        for loss in losses:
            kw = (
                {"running": 1.0}
                if loss == "running"
                else {"running": 0.0, "readout": rng.standard_normal(N)}
            )
            r = adjoint_gradients(net, x, T=T, dt=0.05, **kw)
            if not (np.all(np.isfinite(r.grad_Jh)) and np.all(np.isfinite(r.adjoint))):
                raise FloatingPointError(
                    f"non-finite adjoint gradients (params {params}, N={N}, seed={seed}, network {s})"
                )
            out.setdefault(f"{loss}_h", []).append(float(np.sum(r.grad_Jh**2)))
            out.setdefault(f"{loss}_r", []).append(float(np.sum(r.grad_Jr**2)))
            out.setdefault(f"{loss}_diag", []).append(
                N**2 * np.mean(r.adjoint[::2, 0] ** 2, axis=1)
            )
    return {k: np.array(v) for k, v in out.items()}


@check(
    "gradient_norm",
    target="gradient",
    cases={
        "readout,g_h=4": dict(params=G4, loss="readout", T=10.0, sizes=G4_SIZES),
        "running,g_h=4": dict(params=G4, loss="running", T=10.0, sizes=G4_SIZES),
        "running,g_h=2.5,alpha_r=20,J^h": dict(
            params=G25, loss="running", T=6.0, sizes=G25_SIZES, block="h"
        ),
        "running,g_h=2.5,alpha_r=20,J^r": dict(
            params=G25, loss="running", T=6.0, sizes=G25_SIZES, block="r"
        ),
        "readout,g_h=2.5,alpha_r=20,J^h": dict(params=G25, loss="readout", T=6.0, sizes=G25_SIZES),
        "readout,g_h=2.5,alpha_r=20,J^r": dict(
            params=G25, loss="readout", T=6.0, sizes=G25_SIZES, block="r"
        ),
    },
    shares=lambda kw: f"measured_gradients g_h={kw['params'].g_h},alpha_r={kw['params'].alpha_r}",
    description="Adjoint DMFT ||dL/dJ||^2 (read-out loss w.h(T)/N, or running loss int sum h^2/2N with "
    "the reaction term; the fresh-field closure value is reported) vs adjoint gradients of finite networks.",
)
def check_gradient_norm(
    ctx: CheckContext,
    params: GatedParams,
    loss: str,
    T: float,
    sizes: dict[str, tuple[tuple[int, int], ...]],
    block: str = "h",
) -> CheckResult:
    """Adjoint-DMFT ‖∇_{J^block}L‖² vs the mean over finite networks (one loss)."""
    import matplotlib.pyplot as plt

    plan = sizes["quick" if ctx.quick else "full"]
    running, readout = (1.0, 0.0) if loss == "running" else (0.0, 1.0)
    th = _theory(params, T, running, readout, None)
    key = "grad_norm_J" + block
    pred, num_err = th[key]
    lam, _ = dmft_lambda_max(params)
    per_size = [
        measured_gradients(params, N, S, T, ctx.seed, ("running", "readout")) for N, S in plan
    ]
    N, S = plan[-1]
    meas = per_size[-1]
    m, sem = mean_sem(meas[f"{loss}_{block}"])
    res_obj = th["result"]
    details: dict[str, Any] = {
        "T": T,
        "lambda_max_dmft": lam,
        "reaction_term": bool(res_obj.info["reaction"]),
        "theory dt^2 + Monte-Carlo error": num_err,
    }
    figs = []
    if loss == "running":
        fresh = _theory(params, T, running, readout, False)[key][0]
        details["fresh_field_closure (no reaction)"] = fresh
        details[f"fresh_field_closure z-score (N = {N})"] = abs(fresh - m) / sem
    if loss == "running" and block == "h":
        diag = meas["running_diag"]
        dm, ds = mean_sem(diag)
        tt = np.arange(diag.shape[1]) * 0.1
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(res_obj.times, np.diag(res_obj.C_hh), "k-", label="adjoint DMFT with reaction")
        ax.plot(
            res_obj.times,
            np.diag(_theory(params, T, running, readout, False)["result"].C_hh),
            "k--",
            label="fresh-field closure",
        )
        ax.errorbar(tt[::5], dm[::5], yerr=ds[::5], fmt=".", color="C3", label=f"adjoint, N={N}")
        ax.set_xlabel("t")
        ax.set_ylabel(r"$N^2\langle a_h(t)^2\rangle$")
        ax.set_title(f"running loss, g_h={params.g_h}, alpha_r={params.alpha_r}")
        ax.legend()
        fig.tight_layout()
        figs.append(fig)
    res = compare_extrapolation(
        pred,
        [n for n, _ in plan],
        [d[f"{loss}_{block}"] for d in per_size],
        quantity=f"||dL/dJ^{block}||^2",
        extra_se=num_err,
        details=details,
    )
    res.figures = figs + res.figures
    return res


@check(
    "adjoint_dmft_growth",
    target="lyapunov",
    cases={"g_h=4": {"params": G4}},
    description="Backward growth rate of the adjoint-DMFT variance C_hh(t,t) vs the two-replica DMFT lambda_max (transpose operators).",
)
def check_adjoint_dmft_growth(ctx: CheckContext, params: GatedParams) -> CheckResult:
    """Backward growth of the adjoint-DMFT variance C_hh(t, t) vs the two-replica DMFT λ_max.

    Two independent codes for one operator (the adjoint is the transpose of the replica operator):
    the fitted rate on t ∈ [10, 25] of T = 50 must equal λ_max within 3× the O(dt²) marching error
    (dt = 0.2 vs 0.4, Richardson), the λ_max grid error, and the drift between two fit windows
    (transient of the subleading mode).
    """
    from theory.gating.gradients.adjoint_dmft import solve_adjoint_dmft

    lam, lam_err = dmft_lambda_max(params)
    sol = _forward_solution(params)
    rates = {}
    for dt in (0.2, 0.4):
        r = solve_adjoint_dmft(params, T=50.0, dt=dt, running=0.0, readout=1.0, forward=sol)
        rates[dt] = (r.diagonal_growth_rate(10.0, 25.0), r.diagonal_growth_rate(5.0, 20.0))
    rate = rates[0.2][0]
    disc = abs(rates[0.2][0] - rates[0.4][0]) / 3
    drift = abs(rates[0.2][0] - rates[0.2][1])
    model = ErrorModel(
        f"3 x (marching O(dt^2) error {disc:.2g} + lambda grid error {lam_err:.2g} + window drift {drift:.2g})",
        3 * (disc + lam_err + drift),
    )
    return CheckResult.compare(
        "",
        lam,
        rate,
        model,
        details={
            "rate_dt0.4": rates[0.4][0],
            "rate_window_5_20": rates[0.2][1],
            "quick": ctx.quick,
        },
    )


# ============================================================================ adjoint vs finite networks
@check(
    "adjoint_fd",
    description="Adjoint-method gradients dL/dJ^h, dL/dJ^z, dL/dJ^r (directional) vs central finite differences, N=20, T=5.",
)
def check_adjoint_fd(ctx: CheckContext) -> CheckResult:
    """Adjoint gradient dL/dJ·D (J^h, J^z, J^r directions) vs central finite differences of the loss."""
    from dataclasses import replace

    from theory.gating.gradients.adjoint import adjoint_gradients, loss_only

    p = GatedParams(g_h=3.0, alpha_z=2.0, alpha_r=3.0, beta_h=0.1)
    N, T = 20, 5.0
    rng = ctx.rng(31)
    net = GatedNetwork.sample(p, N, rng)
    x0 = net.initial_state(rng)
    dirs = {name: rng.standard_normal((N, N)) for name in ("J_h", "J_z", "J_r")}
    w = rng.standard_normal(N)  # running loss plus a terminal read-out w.h(T)/N

    def mismatch(dt: float) -> tuple[np.ndarray, np.ndarray]:
        res = adjoint_gradients(net, x0, T=T, dt=dt, readout=w)
        g = {"J_h": res.grad_Jh, "J_z": res.grad_Jz, "J_r": res.grad_Jr}
        adj, fd = [], []
        for name, D in dirs.items():
            eps = 1e-5
            lp = loss_only(
                replace(net, **{name: getattr(net, name) + eps * D}), x0, T=T, dt=dt, readout=w
            )
            lm = loss_only(
                replace(net, **{name: getattr(net, name) - eps * D}), x0, T=T, dt=dt, readout=w
            )
            adj.append(float(np.sum(g[name] * D)))
            fd.append((lp - lm) / (2 * eps))
        return np.array(adj), np.array(fd)

    a1, f1 = mismatch(0.01)
    a2, f2 = mismatch(0.02)
    a1 = perturbed(a1)
    err = np.abs(a1 - f1)
    tol = 2 * np.abs(a2 - f2) / 4 + 1e-8 * np.abs(f1) + 1e-9
    k = int(np.argmax(err / tol))
    return CheckResult.compare(
        "",
        a1[k],
        f1[k],
        ErrorModel(
            "O(dt^2) consistency: 2 x mismatch(2dt)/4 + FD round-off 1e-8|g| (per direction; worst ratio shown)",
            1.0,
        ),
        error=float(err[k] / tol[k]),
        details={
            "adjoint": a1,
            "finite_difference": f1,
            "mismatch_dt0.02": np.abs(a2 - f2),
            "N": N,
            "T": T,
        },
    )


@check(
    "adjoint_growth",
    target="lyapunov",
    cases={"g_h=2.5,alpha_r=20.0": {"params": G25}},
    description="Exploding gradients: backward growth rate of the adjoint vs DMFT lambda_max (alpha_z=0, g_h=2.5, alpha_r=20).",
)
def check_adjoint_growth(ctx: CheckContext, params: GatedParams) -> CheckResult:
    """Backward growth rate of the adjoint (exploding gradients) vs DMFT λ_max."""
    from theory.gating.chaos.size_trend import fit_size_trend, plot_size_trend, trend_result
    from theory.gating.gradients.adjoint import adjoint_growth_rate

    lam, grid_err = dmft_lambda_max(params)
    z = ADJOINT_TREND["quick" if ctx.quick else "full"]
    vals = []
    for N, S in z.plan:
        rates = []
        for s in range(S):
            net = GatedNetwork.sample(params, N, np.random.default_rng([ctx.seed, 41, N, s]))
            rates.append(
                adjoint_growth_rate(net, T=z.T, transient=z.transient, rng=ctx.rng(42, N, s)).rate
            )
        vals.append(np.array(rates))
    trend = fit_size_trend(z.sizes, vals)
    return trend_result(
        trend,
        lam,
        grid_err,
        {"T": z.T, "transient": z.transient},
        [
            plot_size_trend(
                trend, lam, f"adjoint growth, g_h={params.g_h}, alpha_r={params.alpha_r}"
            )
        ],
    )
