# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Gated RNN: DMFT vs finite-width simulation
# Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Secs. II–IV.
# Correlation functions from solver A (α_z = 0, Fourier fixed point) and solver B (α_z > 0,
# Monte-Carlo DMFT) against simulated networks; fixed-point branches vs g_h; the LaTeX of the DMFT.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from theory.gating import GatedParams, simulate_gated
from theory.gating.dmft import (
    fixed_point_branches,
    gated_dmft_derivation,
    solve_dmft_fourier,
    solve_dmft_montecarlo,
    tricritical_alpha_r,
    zero_fp_threshold,
)

QUICK = os.environ.get("THEORY_QUICK") == "1"
N = 300 if QUICK else 2000
T = 120.0 if QUICK else 300.0
SEEDS = (
    3 if QUICK else 4
)  # network-averaged autocorrelations (single small networks carry slow collective modes)


def mean_autocorrelation(p, max_lag, seed0):
    acs = []
    for s in range(SEEDS):
        tr = simulate_gated(p, N, T=T + max_lag, burn_in=20.0, seed=seed0 + s)
        lags, ac = tr.autocorrelation("h", max_lag)
        acs.append(ac)
    return lags, np.mean(acs, axis=0)


# %% [markdown]
# ## The DMFT, derived by SymPy
# The derivation renders itself with the same printer as the exported LaTeX: named functions
# ($\phi$, $\sigma_r$, the closures $C_\phi$), numbered steps, citations.

# %%
d = gated_dmft_derivation()
display(d)

# %% [markdown]
# ## C_h(τ): solver A for several α_r (α_z = 0) vs simulation

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for k, ar in enumerate([0.0, 20.0]):
    p = GatedParams(g_h=2.5 if ar else 3.0, alpha_r=ar)
    sol = solve_dmft_fourier(p)
    lags, ac = mean_autocorrelation(p, 20.0, 100 * k)
    ax.plot(sol.tau, sol.C_h, f"C{k}-", label=rf"DMFT $g_h$={p.g_h}, $\alpha_r$={ar}")
    ax.plot(lags[::5], ac[::5], f"C{k}.", label=f"sim N={N}, {SEEDS} networks")
ax.set_xlim(0, 20)
ax.set_xlabel(r"$\tau$")
ax.set_ylabel(r"$C_h(\tau)$")
ax.legend()

# %% [markdown]
# ## α_z slows the dynamics: solver B (Monte-Carlo DMFT)

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for k, az in enumerate([0.0, 3.0]):
    p = GatedParams(g_h=4.0, alpha_z=az)
    if az == 0:
        sol = solve_dmft_fourier(p)
    else:
        kw = dict(n=2048, n_paths=64, n_iter=30, n_avg=15) if QUICK else {}
        sol = solve_dmft_montecarlo(p, rng=np.random.default_rng(0), **kw)
    lags, ac = mean_autocorrelation(p, 40.0, 1000 + 100 * k)
    ax.plot(sol.tau, sol.C_h / sol.C_h[0], f"C{k}-", label=rf"DMFT $\alpha_z$={az} ({sol.method})")
    ax.plot(lags[::10], ac[::10] / ac[0], f"C{k}.", label=f"sim N={N}, {SEEDS} networks")
ax.set_xlim(0, 40)
ax.set_xlabel(r"$\tau$")
ax.set_ylabel(r"$C_h(\tau)/C_h(0)$")
ax.legend()

# %% [markdown]
# ## Fixed-point branches vs g_h (α_r = 20: subcritical, α_r* = 2√2)

# %%
print(
    "alpha_r* =",
    tricritical_alpha_r(0.0),
    "  zero-FP threshold =",
    zero_fp_threshold(GatedParams(g_h=1.0)),
)
gs = np.linspace(1.2, 2.6, 12 if QUICK else 40)
fig, ax = plt.subplots(figsize=(6, 4))
for ar, col in [(20.0, "C3"), (2.0, "C0")]:
    for g in gs:
        roots = fixed_point_branches(
            GatedParams(g_h=float(g), alpha_r=ar), n_grid=120 if QUICK else 400
        )
        ax.plot([g] * len(roots), roots, ".", color=col)
    ax.plot([], [], ".", color=col, label=rf"$\alpha_r$={ar}")
ax.axvline(2.0, color="k", ls=":", label="zero-FP threshold")
ax.set_xlabel(r"$g_h$")
ax.set_ylabel(r"$\Delta_h$ at nonzero fixed points")
ax.legend()
