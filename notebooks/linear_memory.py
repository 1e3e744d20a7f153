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
# # The curse of memory in pictures
#
# Linear RNNs learning linear functionals $H_t(x)=\int_0^\infty x_{t-s}\rho(s)\,ds$
# (Li, Han, E, Li, JMLR 23 (2022)). Every curve below comes from the
# SymPy derivations of `theory.linear_memory`, compiled by the shared compile step.
# Set `THEORY_QUICK=1` for the small CI sizes.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from theory.linear_memory import (
    airy_escape_time,
    best_coefficients,
    chebyshev_construction,
    delayed_target,
    escape_time,
    free_rates,
    from_expression,
    hankel_singular_values,
    l1_distance,
    loss_derivation,
    nondelayed_target,
    nonnegative_fit,
    power_law,
    quasi_static_tau,
    stable_floor,
    stable_rates,
)

QUICK = os.environ.get("THEORY_QUICK") == "1"
MS = list(range(1, 9 if QUICK else 13))

# %% [markdown]
# ## The derived loss
# $J=\int(\hat\rho-\rho)^2$ for the diagonal model and its gradients in the $E$-form:

# %%
loss_derivation()

# %% [markdown]
# ## Approximation error vs width: exponential vs power-law memory
# Exponential memory $e^{-t}/(1+t)$: the constructive Chebyshev RNN converges fast and stays
# below its bound. Power-law memory $(1+t)^{-(1+\omega)}$: stable models (rates $\ge 0.5$,
# nonnegative coefficients) stall above the floor $L(A,\beta)$; free rates keep improving.

# %%
k_exp = from_expression("exp(-t)/(1+t)")
cheb = [chebyshev_construction(k_exp, m, 0.5) for m in MS]
sig_exp = hankel_singular_values(k_exp, T=60.0, n=300, k=max(MS) + 1)

fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
a1.semilogy(MS, [c.l1_error for c in cheb], "o-", label="Chebyshev construction")
a1.semilogy(MS, [c.bound for c in cheb], "k--", label=r"bound $\|q-P\|_\infty/\beta'$")
a1.semilogy(MS, sig_exp[1 : len(MS) + 1], "v:", label=r"Hankel $\sigma_{m+1}$ (AAK)")
a1.set_xlabel("width m")
a1.set_ylabel(r"$\|\rho-\hat\rho\|_{L^1}$")
a1.set_title(r"exponential memory $e^{-t}/(1+t)$")
a1.legend(fontsize=8)

omega = 0.2
k_pow = power_law(1 + omega)
ms_p = [4, 8, 12] if QUICK else [4, 8, 12, 16, 24]
stable, free, floor = [], [], []
for m in ms_p:
    st = nonnegative_fit(k_pow, stable_rates(m, 0.5))
    stable.append(l1_distance(k_pow, st))
    floor.append(stable_floor(1 + omega, max(1.0, float(np.abs(st.a).sum())), 0.5)[0])
    free.append(l1_distance(k_pow, best_coefficients(k_pow, free_rates(m)).model))
sig_pow = hankel_singular_values(k_pow, n=300, k=max(ms_p) + 1)
a2.semilogy(ms_p, stable, "o-", label=r"stable (rates $\geq 0.5$)")
a2.semilogy(ms_p, free, "s-", label="free rates (best coefficients)")
a2.semilogy(ms_p, floor, "k--", label=r"floor $L(A,\beta)$")
a2.semilogy(ms_p, [sig_pow[m] for m in ms_p], "v:", label=r"Hankel $\sigma_{m+1}$")
a2.set_xlabel("width m")
a2.set_title(rf"power-law memory, $\omega={omega}$")
a2.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## Plateaus: delayed memory
# Target $e^{-t}+e^{-(t-\mu)^2}$, width 2, exact gradient flow (LSODA). The escape time grows like
# $e^{2w_0\mu}$: loss curves on a log time axis, and $\tau_{\rm exit}$ vs $\mu$ with the
# quasi-static estimate.

# %%
mus = [6.0, 8.0, 10.0] if QUICK else [6.0, 8.0, 10.0, 12.0]
fig, (b1, b2) = plt.subplots(1, 2, figsize=(10, 3.8))
taus = []
for mu in mus:
    r = escape_time(*delayed_target(mu))
    taus.append(r.tau_exit)
    full = escape_time(*delayed_target(mu), stop=False, tau_max=20 * r.tau_exit)
    b1.semilogx(full.flow.tau[1:], full.flow.loss[1:], label=rf"$\mu={mu:g}$")
b1.set_xlabel(r"flow time $\tau$")
b1.set_ylabel("J")
b1.legend()
b1.set_title("loss curves")
b2.semilogy(mus, taus, "o", label=r"$\tau_{\rm exit}$ (gradient flow)")
grid = np.linspace(mus[0], mus[-1], 50)
b2.semilogy(grid, [quasi_static_tau(m) for m in grid], "k--", label="quasi-static estimate")
b2.set_xlabel(r"memory lag $\mu$")
b2.legend()
b2.set_title(r"$\tau_{\rm exit}$ vs $\mu$")
fig.tight_layout()
print("fitted slope d ln tau / d mu =", np.polyfit(mus, np.log(taus), 1)[0], "(2 w0 = 2)")

# %% [markdown]
# ## Contrasts: non-delayed long memory and the Airy family

# %%
oms = [0.2, 0.1, 0.05] if QUICK else [0.2, 0.1, 0.05, 0.025]
tau_nd = [escape_time(*nondelayed_target(o)).tau_exit for o in oms]
t0s = [1.0, 2.0, 3.0, 4.0]
fig, (c1, c2) = plt.subplots(1, 2, figsize=(10, 3.8))
c1.loglog([1 / o for o in oms], tau_nd, "o-")
c1.set_xlabel(r"$1/\omega$")
c1.set_ylabel(r"$\tau_{\rm exit}$")
c1.set_title(r"non-delayed $\sqrt{2\omega}e^{-\omega t}$: power law only")
for t0 in t0s:
    r = airy_escape_time(t0, drop=0.1)
    c2.semilogx(r.flow.tau[1:], r.flow.loss[1:] / r.flow.loss[0], label=f"t0 = {t0:g}")
c2.set_xlabel(r"$\tau$")
c2.set_ylabel(r"$J/J(0)$")
c2.set_title(r"Airy targets $\mathrm{Ai}(t-t_0)$")
c2.legend()
fig.tight_layout()
