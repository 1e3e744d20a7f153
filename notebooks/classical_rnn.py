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
# # The classical random RNN: derive → LaTeX → solve → simulate → compare
#
# $\dot x = -x + J\phi(x)$ with $J_{ij}\sim\mathcal N(0, g^2/N)$ (Sompolinsky, Crisanti & Sommers 1988),
# the ungated limit of the gated RNN of Krishnamurthy, Can & Schwab (2022).
# Set `THEORY_QUICK=1` for small sizes (CI does).

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import theory
from theory.checks import mean_sem
from theory.gating.classical import (
    ClassicalDMFT,
    ClassicalParams,
    classical_dmft_derivation,
    simulate_classical,
    solve_classical_dmft,
)

QUICK = os.environ.get("THEORY_QUICK") == "1"
N = 300 if QUICK else 2000
T, BURN = (120.0, 40.0) if QUICK else (300.0, 50.0)
NETWORKS = 3 if QUICK else 6

# %% [markdown]
# ## 1. Derive
# SymPy builds the potential from $\Phi=\int\phi$ and obtains the equation of motion by differentiating it
# (Price's theorem turns $\partial_\Delta C_\Phi$ into $C_\phi$). The derivation is data: named steps.

# %%
d = classical_dmft_derivation("tanh")
print(d)
d  # renders in Jupyter

# %% [markdown]
# ## 2. Export LaTeX
# `d.latex()` is the body: a section with one numbered, labelled equation per step
# (`\eqref{eq:classical_dmft.potential}` in a paper); `d.standalone()` is a compilable document.
# From a shell, `theory derive` writes every registered derivation to `derivations/`, with the
# book `index.tex` and the bibliography `references.bib`; `theory.citation(...)` returns the
# BibTeX entries a derivation cites.

# %%
print(d.latex()[:1200])
print(theory.citation("classical_dmft", format="text"))

# %% [markdown]
# ## 3. Solve
# $\Delta_0$ from $V(\Delta_0)=V(0)$ (Brent), then $\Delta(\tau)$ by integrating $\ddot\Delta=-\partial_\Delta V$.
# All functions evaluated here were compiled from the derivation's steps.

# %%
th = ClassicalDMFT.for_phi("tanh")
gs = np.linspace(0.6, 3.5, 30)
t0 = time.perf_counter()
sols = [solve_classical_dmft(ClassicalParams(float(g)), tau_max=5.0) for g in gs]
print(f"{len(gs)} solves in {time.perf_counter() - t0:.2f} s")
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(gs, [s.delta0 for s in sols], "k-")
ax.axvline(th.onset_g, ls=":", color="gray")
ax.set_xlabel("g")
ax.set_ylabel(r"$\Delta_0$")
ax.set_title("chaos onset at g = 1")
plt.show()

# %% [markdown]
# ## 4. Simulate
# Independent finite networks (RK4, dt = 0.1), the FFT autocorrelation averaged over units.

# %%
g = 2.0
sol = solve_classical_dmft(ClassicalParams(g))
acs, m2 = [], []
for seed in range(NETWORKS):
    tr = simulate_classical(ClassicalParams(g), N, T=T, burn_in=BURN, seed=seed)
    lags, ac = tr.autocorrelation(20.0)
    acs.append(ac)
    m2.append(tr.second_moment())
mean_ac, sem_ac = mean_sem(np.array(acs))
m, e = mean_sem(np.array(m2))
display(
    Markdown(
        f"**Δ0**: DMFT {sol.delta0:.4f}, simulation {m:.4f} ± {e:.4f} (N = {N}, {NETWORKS} networks)"
    )
)

# %% [markdown]
# ## 5. Compare

# %%
fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
ax[0].plot(sol.tau, sol.delta, "k-", label="DMFT")
ax[0].errorbar(
    lags[::4], mean_ac[::4], yerr=sem_ac[::4], fmt=".", color="C3", label=f"simulation N={N}"
)
ax[0].set_xlim(0, 20)
ax[0].set_xlabel(r"$\tau$")
ax[0].set_ylabel(r"$\Delta(\tau)$")
ax[0].legend()
ax[1].semilogy(sol.tau, sol.delta, "k-")
ax[1].semilogy(lags, np.abs(mean_ac), "C3.", ms=3)
ax[1].set_xlim(0, 20)
ax[1].set_xlabel(r"$\tau$")
ax[1].set_title(rf"exponential tail, $\tau_R$ = {sol.tau_R:.2f}")
plt.show()

# %% [markdown]
# The same comparison, with an error model and a verdict, is the registered check
# `classical.autocorrelation[g=2.0]`: `theory check --only classical.` runs it.
