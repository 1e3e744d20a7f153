# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Gated RNNs: Jacobian spectra, Lyapunov exponents, transitions, phase diagrams, gradients
#
# Krishnamurthy, Can & Schwab, *Theory of gating in recurrent neural networks*, PRX 12, 011011
# (2022), Secs. IV–IX. Every curve below is a compiled theory (SymPy
# derivation → `compile_function`) drawn against finite-width simulations.
# Set `THEORY_QUICK=1` for the small CI sizes.

# %%
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from theory.gating import GatedNetwork, GatedParams
from theory.gating.chaos import (
    BoundaryModel,
    gated_lyapunov_dmft,
    jacobian_matrix,
    lyapunov_spectra,
    slow_mode_fraction,
    spectral_abscissa,
)
from theory.gating.gradients import adjoint_growth_rate

QUICK = os.environ.get("THEORY_QUICK") == "1"
rng = np.random.default_rng(2022)

# %% [markdown]
# ## 1. Jacobian spectra and the RMT boundary
# Synthetic state of gating-derivations §4.2 (g_h = 3, α_z = 8, α_r = 5, Δ_h = 0.15,
# Δ_z = Δ_r = 0.4): eigenvalues of one sampled 3N × 3N Jacobian against the predicted support
# (fixed-point form, E = 0, and the general form with e ~ N(0, 0.09)).

# %%
N = 200 if QUICK else 1000
p = GatedParams(g_h=3.0, alpha_z=8.0, alpha_r=5.0)
net = GatedNetwork.sample(p, N, rng)
state = np.stack(
    [
        rng.normal(0, np.sqrt(0.15), N),
        rng.normal(0, np.sqrt(0.4), N),
        rng.normal(0, np.sqrt(0.4), N),
    ]
)
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
M = 4_000 if QUICK else 40_000
for ax, e_sd in zip(axes, (0.0, 0.3), strict=True):
    e = rng.normal(0, e_sd, N) if e_sd else np.zeros(N)
    ev = np.linalg.eigvals(jacobian_matrix(net, state, e))
    if e_sd == 0:
        model = BoundaryModel.fixed_point(p, 0.15, 0.4, 0.4)
    else:
        model = BoundaryModel.from_samples(
            p,
            rng.normal(0, np.sqrt(0.15), M),
            rng.normal(0, np.sqrt(0.4), M),
            rng.normal(0, np.sqrt(0.4), M),
            rng.normal(0, e_sd, M),
        )
    xs = np.linspace(-1.3, 0.5, 25 if QUICK else 90)
    ys = np.linspace(-1.3, 1.3, 25 if QUICK else 90)
    X, Y = np.meshgrid(xs, ys)
    L = model.lhs(X, Y)
    ax.plot(ev.real, ev.imag, ".", ms=2, color="C0", label=f"eigenvalues, N={N}")
    ax.contour(X, Y, L, levels=[1.0], colors="k")
    ax.axvline(spectral_abscissa(model), color="C3", ls="--", label="predicted abscissa")
    ax.set_title(f"e_sd = {e_sd}")
    ax.set_xlabel(r"Re $\lambda$")
    ax.set_ylabel(r"Im $\lambda$")
    ax.legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# **Slow modes.** As α_z grows the support pinches at 0 and the fraction of eigenvalues with
# |λ| < δ (per neuron) tends to P(σ_z < δ) → 1/2.

# %%
alphas = [2.0, 20.0] if QUICK else [2.0, 8.0, 20.0, 50.0]
delta = 0.05
meas, pred = [], []
for az in alphas:
    pz = GatedParams(g_h=3.0, alpha_z=az, alpha_r=5.0)
    netz = GatedNetwork.sample(pz, N, rng)
    ev = np.linalg.eigvals(jacobian_matrix(netz, state, np.zeros(N)))
    meas.append(np.sum(np.abs(ev) < delta) / N)
    pred.append(slow_mode_fraction(pz, 0.4, delta))
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(alphas, pred, "k-o", label=r"$P(\sigma_z<\delta)$")
ax.plot(alphas, meas, "C3s", label=f"eigenvalues, N={N}")
ax.set_xscale("log")
ax.set_xlabel(r"$\alpha_z$")
ax.set_ylabel(r"fraction $|\lambda|<0.05$")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## 2. Lyapunov spectra vs α_z
# QR (Benettin) spectra of the 3N-dimensional flow; the DMFT λ_max (two-replica / Schrödinger
# form) is available for α_z = 0. As α_z grows the spectrum compresses toward 0 (for α_z ≠ 0
# λ_max is measured by simulation only: the paper's analytic relation is not implemented).

# %%
Nl, k, T = (60, 12, 40.0) if QUICK else (300, 90, 300.0)
fig, ax = plt.subplots(figsize=(5, 3.5))
for az in (0.0, 5.0, 15.0):
    pl = GatedParams(g_h=4.0, alpha_z=az)
    spec = lyapunov_spectra(
        [GatedNetwork.sample(pl, Nl, rng)], k, T=T, transient=20.0, rng=rng, dt=0.1
    )[0]
    ax.plot(np.arange(1, k + 1), spec.exponents, "o-", ms=3, label=rf"$\alpha_z$={az:g}")
ax.axhline(
    gated_lyapunov_dmft(GatedParams(g_h=4.0)).value,
    color="k",
    ls="--",
    label=r"DMFT $\lambda_{\max}$ ($\alpha_z$=0)",
)
ax.axhline(0, color="gray", lw=0.5)
ax.set_xlabel("index i")
ax.set_ylabel(r"$\lambda_i$")
ax.set_title(f"g_h = 4, N = {Nl}")
ax.legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# ## 3. The discontinuous transition (α_r = 20)
# The chaotic DMFT branch (order-one initial guess) appears at L3 with a finite C_h(0) and λ_max,
# below the zero-state instability L1 = 2; nonzero fixed points appear even earlier (L2).
# Simulations: from small states (decay in the bistable window) and from order-one states.

# %%
from theory.gating import simulate_gated
from theory.gating.chaos import chaotic_branch, line_l1
from theory.gating.dmft import fixed_point_branches

ar = 20.0
gs = np.array([1.6, 1.85, 2.1]) if QUICK else np.linspace(1.5, 2.3, 17)
branch = [chaotic_branch(float(g), ar) for g in gs]
ch0 = np.array([b.C_h0 for b in branch])
l3_est = gs[np.argmax(ch0 > 1e-6)]
l2_est = gs[
    np.argmax(
        [
            len(fixed_point_branches(GatedParams(g_h=float(g), alpha_r=ar), n_grid=100)) > 0
            for g in gs
        ]
    )
]
sim_g = [1.9] if QUICK else [1.7, 1.9, 2.1]
Ns = 200 if QUICK else 500
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(gs, ch0, "k-o", label="DMFT chaotic branch")
for g in sim_g:
    for x0, mk in ((1.0, "C3s"), (1e-3, "C0v")):
        tr = simulate_gated(
            GatedParams(g_h=g, alpha_r=ar),
            Ns,
            T=80.0,
            burn_in=40.0,
            dt=0.1,
            seed=1,
            x0_scale=x0,
            record_every=5,
        )
        ax.plot([g], [np.mean(tr.h**2)], mk, label=f"sim x0={x0:g}" if g == sim_g[0] else None)
ax.axvline(line_l1(ar), color="gray", ls="--", label="L1")
ax.axvline(l3_est, color="C2", ls=":", label="L3 (first chaotic grid point)")
ax.axvline(l2_est, color="C1", ls=":", label="L2 (first grid point with FPs)")
ax.set_xlabel(r"$g_h$")
ax.set_ylabel(r"$C_h(0)$")
ax.set_yscale("symlog", linthresh=1e-3)
ax.legend(fontsize=7)
fig.tight_layout()
g_above = float(l3_est)  # first chaotic grid point
lam_above = gated_lyapunov_dmft(GatedParams(g_h=g_above, alpha_r=ar), n=512, dtau=0.2).value
print(
    f"L3 in ({gs[np.argmax(ch0 > 1e-6) - 1]:.3g}, {l3_est:.3g}]; on the chaotic branch at g_h = {g_above:.3g}: "
    f"C_h(0) = {chaotic_branch(g_above, ar).C_h0:.3g}, lambda_max = {lam_above:.3f}; below L3 the stable zero state has "
    f"lambda_max = s_z (g_h s_r - 1) < 0: both jump at L3"
)

# %% [markdown]
# ## 4. Phase diagram (g_h, α_r) from a Dask sweep
# `theory.sweeps.sweep` runs `phase_point` over the grid on a local Dask cluster and returns an
# xarray Dataset; regions: 0 quiescent, 1 topological complexity (stable zero + unstable fixed
# points), 2 bistable (zero + chaos), 3 chaotic.

# %%
from distributed import Client, LocalCluster

from theory.gating.chaos import REGIONS, phase_point
from theory.sweeps import sweep

grid = (
    {"g_h": [1.6, 1.85], "alpha_r": [0.0, 20.0]}
    if QUICK
    else {"g_h": list(np.linspace(1.4, 2.4, 11)), "alpha_r": [0.0, 2.0, 5.0, 10.0, 20.0]}
)
with (
    LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster,
    Client(cluster) as client,
):
    ds = sweep(phase_point, grid, client=client, progress=False, cache=False)
print(ds)
fig, ax = plt.subplots(figsize=(5.5, 3.5))
im = ax.pcolormesh(
    ds["g_h"], ds["alpha_r"], ds["region"].T, shading="nearest", cmap="viridis", vmin=0, vmax=3
)
cb = fig.colorbar(im, ax=ax, ticks=list(REGIONS))
cb.ax.set_yticklabels([REGIONS[i].split(" (")[0] for i in REGIONS], fontsize=7)
ax.axvline(2.0, color="w", ls="--")
ax.plot(
    [1.9],
    [20.0],
    "r*",
    ms=12,
    label="simulation spot check: chaos from x0 = 1, decay from x0 = 1e-3",
)
ax.set_xlabel(r"$g_h$")
ax.set_ylabel(r"$\alpha_r$")
ax.legend(fontsize=7, loc="lower left")
fig.tight_layout()

# %% [markdown]
# **Marginal stability at large α_z.** At the upper fixed point, the RMT abscissa for α_z = 30
# is pushed to ≈ 0⁺ where V = V_1 + V_2 ∈ (1, 2) (open-gate bulk stable), compared with α_z = 0.

# %%
from theory.gating.chaos import marginal_point

mgrid = (
    {"g_h": [2.2, 3.0], "alpha_r": [0.0]}
    if QUICK
    else {"g_h": list(np.linspace(2.1, 4.0, 6)), "alpha_r": [0.0, 2.0, 5.0, 10.0]}
)
mds = sweep(marginal_point, mgrid, n_workers=1, processes=False, progress=False, cache=False)
print(mds[["V", "abscissa", "abscissa_az0", "marginal"]])

# %% [markdown]
# ## 5. Exploding gradients
# The homogeneous adjoint −ȧ = 𝒟ᵀa grows backward at the rate λ_max in the chaotic phase.

# %%
pa = GatedParams(g_h=2.5, alpha_r=20.0)
Na = 120 if QUICK else 500
rates = [
    adjoint_growth_rate(
        GatedNetwork.sample(pa, Na, np.random.default_rng(s)),
        T=40.0 if QUICK else 200.0,
        transient=20.0,
        rng=rng,
    ).rate
    for s in range(1 if QUICK else 4)
]
lam = gated_lyapunov_dmft(pa, n=1024).value
print(
    f"adjoint backward growth rates (N={Na}): {np.round(rates, 3)}; DMFT lambda_max = {lam:.3f} (finite N runs low, cf. the QR check)"
)

# %% [markdown]
# ## 6. Gradient statistics from the adjoint DMFT
# For α_z = 0 the adjoint covariance C_hh(t, s) obeys a hyperbolic equation on [0, T]² driven by the
# forward DMFT (derivation `gated_adjoint_dmft`), and ‖∇_{J^h}L‖² = s_z² ∬ C_hh C_{σ_r}C_φ. For the
# running loss ∫Σh²/2N a neuron's adjoint also sees its own forward path through J_ji (the reaction
# term); the fresh-field closure without it underestimates the gradients. Dots: N²⟨a_h(t)²⟩ of
# finite networks (adjoint method), independent of the theory.

# %%
from theory.gating.dmft import solve_dmft_fourier
from theory.gating.gradients import adjoint_gradients, solve_adjoint_dmft

pg, Tg = GatedParams(g_h=4.0), 10.0
fwd = solve_dmft_fourier(pg, n=2048, dtau=0.1)
with_r = solve_adjoint_dmft(pg, T=Tg, dt=0.1, forward=fwd, n_paths=4000 if QUICK else 20000)
fresh = solve_adjoint_dmft(pg, T=Tg, dt=0.1, forward=fwd, reaction=False)
Ng, Sg = (150, 3) if QUICK else (1000, 8)
diag, norms = [], []
for s in range(Sg):
    net = GatedNetwork.sample(pg, Ng, np.random.default_rng([5, s]))
    x = net.initial_state(np.random.default_rng([6, s]))
    for _ in range(500):
        x = net.step(x, 0.1)
    res = adjoint_gradients(net, x, T=Tg, dt=0.05)
    diag.append(Ng**2 * np.mean(res.adjoint[:, 0] ** 2, axis=1))
    norms.append(np.sum(res.grad_Jh**2))
diag = np.array(diag)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(with_r.times, np.diag(with_r.C_hh), "k-", label="adjoint DMFT (with reaction)")
ax.plot(fresh.times, np.diag(fresh.C_hh), "k--", label="fresh-field closure")
ax.errorbar(
    res.times[::10],
    diag.mean(0)[::10],
    yerr=diag.std(0, ddof=1)[::10] / np.sqrt(Sg),
    fmt=".",
    color="C3",
    label=f"finite networks, N={Ng}",
)
ax.set_xlabel("t")
ax.set_ylabel(r"$N^2\langle a_h(t)^2\rangle$")
ax.legend()
plt.show()
print(
    f"||dL/dJ^h||^2: theory {with_r.grad_norm_Jh:.3f} (fresh-field closure {fresh.grad_norm_Jh:.3f}); "
    f"networks {np.mean(norms):.3f} +- {np.std(norms, ddof=1) / np.sqrt(Sg):.3f}"
)
