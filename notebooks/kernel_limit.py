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
# # Kernel limit of an RNN trained online on Markov data
#
# Our reading of Lam, Sirignano & Spiliopoulos, arXiv 2308.14555: a
# diagonal-recurrence RNN $S^i_{k+1}=\sigma(W^iX_k+B^iS^i_k+b^i)$, $\hat Y_k=N^{-\beta}\sum_iC^iS^i_{k+1}$,
# trained by online SGD with RTRL on a Markov chain. As $N\to\infty$ ($t=k/N$) the output on
# histories follows a linear ODE driven by the tangent kernel of the memory fixed point; the
# fluctuations are controlled by the Poisson equation of the history chain.
# Set `THEORY_QUICK=1` for small sizes (CI does).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from theory.checks import mean_sem
from theory.kernel_limit import (
    KernelLimitParams,
    LimitODE,
    example_task,
    fit_rate,
    kernel_quadrature,
    limit_ode_derivation,
    rtrl_derivation,
    train,
)
from theory.markov import (
    HistoryChain,
    asymptotic_variance,
    asymptotic_variance_exact,
    stationary_exact,
)

QUICK = os.environ.get("THEORY_QUICK") == "1"
SIZES = [250, 1000] if QUICK else [250, 1000, 4000, 16000]
SEEDS = 4 if QUICK else 8
L = 3 if QUICK else 4
T = 2.0

# %% [markdown]
# ## 1. The example chain: exact stationary law and CLT variance

# %%
task = example_task(exact=True)
chain = task.chain
pi = stationary_exact(chain)
display(
    Markdown(
        f"$\\pi = {pi.T}$ (exact), $\\sigma^2(x) = {asymptotic_variance_exact(chain, [-1, 0, 1])}$"
    )
)

# %% [markdown]
# ## 2. Derivations (SymPy): RTRL recursion and the limit ODE

# %%
display(rtrl_derivation())
display(limit_ode_derivation())

# %% [markdown]
# ## 3. The kernel $A(\xi,\xi')$ on histories (quadrature over the initial law)

# %%
params = KernelLimitParams()
hc = HistoryChain(task.chain, L)
A, qerr = kernel_quadrature(params, hc, estimate_error=True)
y = task.y(hc.values)
labels = ["".join({-1.0: "-", 0.0: "0", 1.0: "+"}[v] for v in row) for row in hc.values]
fig, ax = plt.subplots(figsize=(6, 5))
im = ax.imshow(A, cmap="viridis")
step = max(1, hc.H // 27)
ax.set_xticks(range(0, hc.H, step), labels[::step], rotation=90, fontsize=6)
ax.set_yticks(range(0, hc.H, step), labels[::step], fontsize=6)
ax.set_title(f"A(xi, xi') on {hc.H} histories (x_0 x_-1 ...), quadrature error ~{qerr:.1e}")
fig.colorbar(im)
plt.show()

# %% [markdown]
# ## 4. Trained networks converge to the limit ODE

# %%
ode = LimitODE(A, hc.Pi, y, params.alpha)
gT = ode.g(T)
order = np.argsort(gT)
per_seed_sq = []
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(y[order], "k:", label="target y")
ax.plot(gT[order], "k-", lw=2, label=f"limit ODE g_T, T={T}")
for N in SIZES:
    res = train(params, task, N, T, R=SEEDS, rng=np.random.default_rng(N), eval_values=hc.values)
    gN = res.outputs[-1]
    per_seed_sq.append(((gN - gT) ** 2) @ hc.Pi)
    ax.plot(gN.mean(0)[order], ".", label=f"g^N_T, N={N} (mean of {SEEDS})")
ax.set_xlabel("history (sorted by g_T)")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 5. Convergence rate (log–log, fitted slope vs the predicted $-\min(\beta-1/2,1-\beta)$)

# %%
fit = fit_rate(np.array(SIZES), per_seed_sq)
pred = -min(params.beta - 0.5, 1 - params.beta)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(
    SIZES,
    fit.errors,
    yerr=fit.errors * fit.log_se,
    fmt="o",
    color="C3",
    label=f"fitted slope {fit.slope:.3f} ± {fit.se:.3f}",
)
ax.loglog(
    SIZES,
    fit.errors[0] * (np.array(SIZES) / SIZES[0]) ** pred,
    "k--",
    label=f"predicted {pred:.2f}",
)
ax.set_xlabel("N")
ax.set_ylabel("Pi-RMS |g^N_T - g_T|")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. Poisson equation: CLT of ergodic averages

# %%
fchain = example_task(exact=False).chain
n, S = (400, 2000) if QUICK else (2000, 10000)
paths = fchain.sample(n, S, np.random.default_rng(0))
F = fchain.states
Ybar = np.sqrt(n) * (F[paths].mean(1) - fchain.stationary @ F)
s2 = asymptotic_variance(fchain, F)
m, sem = mean_sem(Ybar**2)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.hist(
    Ybar, bins=50, density=True, alpha=0.6, label=f"sqrt(n)(mean - pi F), var {m:.3f} ± {sem:.3f}"
)
u = np.linspace(-4, 4, 200)
ax.plot(
    u,
    np.exp(-(u**2) / (2 * s2)) / np.sqrt(2 * np.pi * s2),
    "k-",
    label=f"N(0, sigma^2 = {s2:.3f}) (Poisson eq.)",
)
ax.legend(fontsize=7)
plt.show()
